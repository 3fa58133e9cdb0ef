//===- ChatTemplate.cpp - Conversations as tokens -------------------------===//

#include "runtime/generate/ChatTemplate.h"

#include "runtime/support/Text.h"

#include <fstream>
#include <sstream>

namespace tern {

/// One chat format: how a turn of each role begins and what ends it.
struct ChatFormat {
  const char *name;
  const char *description;
  /// A substring found only in this format's Jinja templates.
  const char *marker;
  /// The turn's opening, as text around special tokens: the role's header
  /// is `headerSpecialBefore` (a special token or ""), then `header(role)`
  /// text, then `headerSpecialAfter`, then `headerTextAfter`.
  const char *headerSpecialBefore;
  std::string (*header)(const std::string &role);
  const char *headerSpecialAfter;
  const char *headerTextAfter;
  /// The special token closing every turn.
  const char *endOfTurn;
};

namespace {

std::string capitalizedRole(const std::string &role) {
  std::string r = role;
  if (!r.empty() && r[0] >= 'a' && r[0] <= 'z')
    r[0] = static_cast<char>(r[0] - 'a' + 'A');
  return r + ": ";
}
std::string plainRole(const std::string &role) { return role; }

const ChatFormat kFormats[] = {
    {"bitnet", "BitNet b1.58 2B4T: 'User: ...<|eot_id|>Assistant: '",
     "Assistant: ", "", capitalizedRole, "", "", "<|eot_id|>"},
    {"llama3",
     "LLaMA-3 instruct: '<|start_header_id|>user<|end_header_id|>\\n\\n"
     "...<|eot_id|>'",
     "<|start_header_id|>", "<|start_header_id|>", plainRole,
     "<|end_header_id|>", "\n\n", "<|eot_id|>"},
};

const ChatFormat *findFormat(const std::string &name) {
  for (const ChatFormat &f : kFormats)
    if (name == f.name)
      return &f;
  return nullptr;
}

} // namespace

std::string ChatTemplate::names() {
  std::string out;
  for (const ChatFormat &f : kFormats)
    out += std::string(out.empty() ? "" : ", ") + f.name;
  return out;
}

const char *ChatTemplate::name() const { return format_->name; }

OrError<ChatTemplate> ChatTemplate::fromJinja(const std::string &jinja,
                                              const std::string &source) {
  if (jinja.empty())
    return OrError<ChatTemplate>(ChatTemplate(&kFormats[0]));
  // The most specific marker first (a LLaMA-3 template may also spell
  // "Assistant: " in a comment; the 2B4T one never has header tokens).
  for (const char *name : {"llama3", "bitnet"}) {
    const ChatFormat *f = findFormat(name);
    if (jinja.find(f->marker) != std::string::npos)
      return OrError<ChatTemplate>(ChatTemplate(f));
  }
  return OrError<ChatTemplate>::failure(
      source + ": the chat template is not one Tern knows ('" +
      escapeForMessage(jinja.substr(0, 60)) +
      (jinja.size() > 60 ? "...'" : "'") + "); pass --chat-template with " +
      names());
}

OrError<ChatTemplate> ChatTemplate::fromSpec(const std::string &spec) {
  if (const ChatFormat *f = findFormat(spec))
    return OrError<ChatTemplate>(ChatTemplate(f));
  std::ifstream in(spec, std::ios::binary);
  if (!in)
    return OrError<ChatTemplate>::failure(
        "--chat-template '" + escapeForMessage(spec) +
        "' is neither a built-in format (" + names() +
        ") nor a readable template file");
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > (1u << 20))
    return OrError<ChatTemplate>::failure(spec + ": a chat template of " +
                                          std::to_string(text.str().size()) +
                                          " bytes (at most 1 MiB)");
  return fromJinja(text.str(), spec);
}

OrError<ChatTemplate> ChatTemplate::choose(const std::string &flag,
                                           const std::string &modelTemplate,
                                           const std::string &modelPath) {
  return flag.empty() ? fromJinja(modelTemplate, modelPath) : fromSpec(flag);
}

OrError<std::vector<TokenId>>
ChatTemplate::render(const Tokenizer &tok,
                     const std::vector<ChatMessage> &messages,
                     bool addGenerationPrompt, bool bos) const {
  using R = OrError<std::vector<TokenId>>;
  const ChatFormat &f = *format_;
  std::vector<TokenId> out;
  std::string missing, pending;
  // Text between special tokens is encoded as one run, as a tokenizer
  // reading the rendered template would ("User: hi" is not "User: " + "hi").
  auto flush = [&] {
    if (pending.empty())
      return;
    std::vector<TokenId> ids = tok.encode(pending, /*addBos=*/false);
    out.insert(out.end(), ids.begin(), ids.end());
    pending.clear();
  };
  auto special = [&](const char *spelling) {
    if (!*spelling)
      return;
    flush();
    if (std::optional<TokenId> id = tok.specialTokenId(spelling))
      out.push_back(*id);
    else if (missing.empty())
      missing = spelling;
  };
  auto header = [&](const std::string &role) {
    special(f.headerSpecialBefore);
    pending += f.header(role);
    special(f.headerSpecialAfter);
    pending += f.headerTextAfter;
  };
  if (bos && tok.bosId() >= 0)
    out.push_back(tok.bosId());
  for (const ChatMessage &m : messages) {
    if (m.role != "system" && m.role != "user" && m.role != "assistant")
      return R::failure("unknown chat role '" + escapeForMessage(m.role) +
                        "' (system, user or assistant)");
    header(m.role);
    pending += m.content;
    special(f.endOfTurn);
  }
  if (addGenerationPrompt)
    header("assistant");
  flush();
  if (!missing.empty())
    return R::failure(std::string("the ") + f.name +
                      " chat format needs the special token " + missing +
                      ", which this model's tokenizer lacks");
  return R(std::move(out));
}

} // namespace tern
