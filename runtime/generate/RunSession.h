//===- RunSession.h - Pieces shared by run, chat and serve ----------------===//
//
// Internal to runtime/generate and runtime/serve: the stop tokens of a
// model, the seed of a run, -r's reverse prompts, --color and
// --verbose-prompt.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_GENERATE_RUNSESSION_H
#define TERN_RUNTIME_GENERATE_RUNSESSION_H

#include "runtime/generate/RunCli.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace tern {

/// The tokens that end generation: end of text and end of turn, from the
/// model's configuration and its tokenizer (either may lack them).
std::vector<TokenId> stopIds(const ModelConfig &c, const Tokenizer *tok);

/// The seed of a run: -s, else a random one (printed when sampling).
uint64_t chooseSeed(const std::string &program, const RunOptions &o);

/// --verbose-prompt: the prompt's tokens, one per line, on stderr.
void printPromptTokens(const std::string &program, const Tokenizer *tok,
                       const std::vector<TokenId> &prompt);

/// Watches the generated text for -r's reverse prompts.
class ReversePrompts {
public:
  explicit ReversePrompts(const std::vector<std::string> &r) : prompts_(r) {
    for (const std::string &p : prompts_)
      keep_ = std::max(keep_, p.size());
  }
  /// Appends `piece`; true when the text now ends with a reverse prompt.
  bool push(const std::string &piece) {
    if (prompts_.empty())
      return false;
    tail_ += piece;
    if (tail_.size() > 2 * keep_ + 64)
      tail_.erase(0, tail_.size() - keep_);
    for (const std::string &p : prompts_)
      if (tail_.size() >= p.size() &&
          tail_.compare(tail_.size() - p.size(), p.size(), p) == 0)
        return true;
    return false;
  }
  void clear() { tail_.clear(); }

private:
  const std::vector<std::string> &prompts_;
  std::string tail_;
  size_t keep_ = 0;
};

/// ANSI colour on a terminal with --color: the prompt and the user's turns.
struct Colors {
  bool on = false;
  void prompt() const {
    if (on)
      std::fputs("\033[33m", stdout);
  }
  void user() const {
    if (on)
      std::fputs("\033[32m", stdout);
  }
  void reset() const {
    if (on)
      std::fputs("\033[0m", stdout);
  }
};

/// The interactive chat (-i) over `in` (stdin); RunCli calls it.
int runChat(const std::string &program, const RunOptions &o, RunBackend &b,
            std::istream &in);

/// The prompt of a one-reply --chat run: -sys's turn, the user's, the
/// assistant's header, in the model's (or --chat-template's) format.
OrError<std::vector<TokenId>> chatPrompt(const RunOptions &o,
                                         const RunBackend &b,
                                         const std::string &user);

/// Set by SIGINT while a reply streams in a chat (the reply stops there);
/// tests set it to interrupt a reply.
void interruptReply();

} // namespace tern

#endif // TERN_RUNTIME_GENERATE_RUNSESSION_H
