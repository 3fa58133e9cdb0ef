//===- ChatTemplate.h - Conversations as tokens ---------------------------===//
//
// A chat template turns a list of messages (system, user, assistant) into
// the token sequence a chat model was trained on. Models carry theirs as a
// Jinja program (GGUF `tokenizer.chat_template`, Hugging Face
// `tokenizer_config.json`'s `chat_template`); Tern does not run Jinja: it
// recognizes which of its built-in formats a template is (as llama.cpp
// does) and renders that format itself. The formats, in one table
// (ChatTemplate.cpp):
//
//   bitnet  <|begin_of_text|>System: {sys}<|eot_id|>User: {msg}<|eot_id|>
//           Assistant: {reply}<|eot_id|>   (BitNet b1.58 2B4T)
//   llama3  <|begin_of_text|><|start_header_id|>{role}<|end_header_id|>\n\n
//           {content}<|eot_id|> ...         (LLaMA-3 instruct)
//
// Message contents are encoded as plain text: a special token's spelling
// inside a message stays text and cannot forge a turn.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_GENERATE_CHATTEMPLATE_H
#define TERN_RUNTIME_GENERATE_CHATTEMPLATE_H

#include "runtime/model/OrError.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <string>
#include <vector>

namespace tern {

struct ChatMessage {
  std::string role; ///< "system", "user" or "assistant"
  std::string content;
};

struct ChatFormat; // a row of the table in ChatTemplate.cpp

class ChatTemplate {
public:
  /// The built-in format `name` ("bitnet", "llama3"), or the format of the
  /// template in file `name`; errors list the names.
  static OrError<ChatTemplate> fromSpec(const std::string &nameOrFile);
  /// The format of a model's Jinja template (`source` names it in errors);
  /// an empty template is the 2B4T format.
  static OrError<ChatTemplate> fromJinja(const std::string &jinja,
                                         const std::string &source);
  /// --chat-template when given, else the model's.
  static OrError<ChatTemplate> choose(const std::string &flag,
                                      const std::string &modelTemplate,
                                      const std::string &modelPath);
  /// The built-in format names, for --help.
  static std::string names();

  const char *name() const;

  /// `messages` as tokens: <|begin_of_text|> first when `bos` and the
  /// tokenizer has one, each message closed by the end-of-turn token, then
  /// the assistant's header when `addGenerationPrompt`. Errors name a role
  /// the format does not know.
  OrError<std::vector<TokenId>> render(const Tokenizer &tok,
                                       const std::vector<ChatMessage> &messages,
                                       bool addGenerationPrompt,
                                       bool bos) const;

private:
  explicit ChatTemplate(const ChatFormat *f) : format_(f) {}
  const ChatFormat *format_;
};

} // namespace tern

#endif // TERN_RUNTIME_GENERATE_CHATTEMPLATE_H
