//===- ChatCli.cpp - The interactive chat (-i, -cnv) ----------------------===//
//
// The conversation is a list of messages rendered by the model's chat
// template (ChatTemplate.h) before every turn; the KV cache keeps the
// tokens of the previous render, and only what differs from them is
// evaluated (a reply cut by -n or Ctrl-C is closed with the end-of-turn
// token by the next render). Ctrl-C while a reply streams stops the reply;
// at the prompt it exits, as does Ctrl-D (end of input). When the next
// turn does not fit the context, --context-shift drops the oldest turns
// (the system turn stays) and re-evaluates the rest; without it the chat
// ends with a message saying so.
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/ChatTemplate.h"
#include "runtime/generate/Generate.h"
#include "runtime/generate/RunSession.h"
#include "runtime/support/Text.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <unistd.h>

namespace tern {

namespace {

std::atomic<bool> gReplying{false};
std::atomic<bool> gInterrupted{false};

extern "C" void onSigint(int) {
  if (gReplying.load()) {
    gInterrupted.store(true);
    return;
  }
  static const char nl = '\n';
  (void)!::write(STDOUT_FILENO, &nl, 1);
  ::_exit(130);
}

/// Installs onSigint for the chat's lifetime.
struct SigintGuard {
  struct sigaction old {};
  SigintGuard() {
    struct sigaction sa {};
    sa.sa_handler = onSigint;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old);
  }
  ~SigintGuard() { ::sigaction(SIGINT, &old, nullptr); }
};

size_t commonPrefix(const std::vector<TokenId> &a,
                    const std::vector<TokenId> &b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n])
    ++n;
  return n;
}

/// The chat's state: messages, the template, the tokens in the cache.
class Chat {
public:
  Chat(const std::string &program, const RunOptions &o, const Tokenizer &tok,
       ChatTemplate tmpl, LanguageModel &lm, Sampler &sampler,
       std::vector<TokenId> stop)
      : program_(program), o_(o), tok_(tok), tmpl_(tmpl), lm_(lm),
        sampler_(sampler), stop_(std::move(stop)), reverse_(o.reversePrompts) {
    if (!o.systemPrompt.empty())
      messages_.push_back({"system", o.systemPrompt});
  }

  /// One user turn and the reply; "" or an error (the chat ends).
  std::string turn(const std::string &user) {
    messages_.push_back({"user", user});
    OrError<std::vector<TokenId>> prompt = fit();
    if (!prompt)
      return prompt.error;
    // Evaluate what differs from the cache (at least the last token, whose
    // logits start the reply).
    const size_t keep =
        std::min(commonPrefix(cached_, *prompt), prompt->size() - 1);
    lm_.truncate(static_cast<int64_t>(keep));
    GenerateRequest req;
    req.prompt.assign(prompt->begin() + static_cast<long>(keep),
                      prompt->end());
    const int64_t room =
        lm_.contextSize() - static_cast<int64_t>(prompt->size());
    req.maxNewTokens = std::min<int64_t>(o_.nPredict, room);
    req.draftMax = o_.lookup ? o_.draftMax : 0;
    req.stopIds = stop_;
    StreamDecoder decoder(tok_, /*skipSpecial=*/true);
    std::string reply;
    reverse_.clear();
    gInterrupted.store(false);
    req.onToken = [&](TokenId id) {
      if (gInterrupted.load())
        return false;
      if (std::find(stop_.begin(), stop_.end(), id) != stop_.end())
        return true;
      std::string piece = decoder.push(id);
      reply += piece;
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
      return !reverse_.push(piece);
    };
    gReplying.store(true);
    OrError<GenerateStats> stats = generate(lm_, sampler_, req);
    gReplying.store(false);
    const std::string rest = decoder.flush();
    reply += rest;
    std::fwrite(rest.data(), 1, rest.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    if (!stats)
      return stats.error;
    messages_.push_back({"assistant", reply});
    cached_ = *prompt;
    cached_.insert(cached_.end(), stats->tokens.begin(), stats->tokens.end());
    cached_.resize(static_cast<size_t>(lm_.position()));
    if (!o_.quiet)
      std::fprintf(stderr, "%s: %lld tokens, %.2f tokens/s%s\n",
                   program_.c_str(),
                   static_cast<long long>(stats->generatedTokens),
                   stats->decodeSeconds > 0 && stats->decodeEvals > 0
                       ? stats->decodeEvals / stats->decodeSeconds
                       : 0.0,
                   gInterrupted.load() ? " (interrupted)" : "");
    return "";
  }

private:
  /// The conversation rendered with the assistant's header, with room for
  /// at least one reply token: the oldest turns dropped under
  /// --context-shift, else an error when it does not fit.
  OrError<std::vector<TokenId>> fit() {
    using R = OrError<std::vector<TokenId>>;
    const int64_t ctx = lm_.contextSize();
    for (;;) {
      R prompt = tmpl_.render(tok_, messages_, true, o_.bos);
      if (!prompt)
        return prompt;
      const int64_t n = static_cast<int64_t>(prompt->size());
      if (n < ctx)
        return prompt;
      const size_t first = !messages_.empty() && messages_[0].role == "system";
      // Only the new user turn left (beside the system turn): it alone is
      // too long.
      if (!o_.contextShift || messages_.size() <= first + 1)
        return R::failure(
            "the conversation needs " + std::to_string(n) +
            " tokens, more than the context of " + std::to_string(ctx) +
            (o_.contextShift ? " (the last turn alone is too long)"
                             : "; --context-shift keeps the newest turns, "
                               "a larger -c keeps them all"));
      // Drop the oldest turn (a user turn and its reply).
      size_t drop = 1;
      if (messages_.size() > first + 2 &&
          messages_[first + 1].role == "assistant")
        drop = 2;
      messages_.erase(messages_.begin() + static_cast<long>(first),
                      messages_.begin() + static_cast<long>(first + drop));
      if (!o_.quiet)
        std::fprintf(stderr,
                     "%s: context full (%lld tokens): dropped the oldest "
                     "turn\n",
                     program_.c_str(), static_cast<long long>(ctx));
    }
  }

  const std::string &program_;
  const RunOptions &o_;
  const Tokenizer &tok_;
  ChatTemplate tmpl_;
  LanguageModel &lm_;
  Sampler &sampler_;
  std::vector<TokenId> stop_;
  ReversePrompts reverse_;
  std::vector<ChatMessage> messages_;
  std::vector<TokenId> cached_;
};

} // namespace

void interruptReply() { gInterrupted.store(true); }

OrError<std::vector<TokenId>> chatPrompt(const RunOptions &o,
                                         const RunBackend &b,
                                         const std::string &user) {
  using R = OrError<std::vector<TokenId>>;
  OrError<ChatTemplate> t =
      ChatTemplate::choose(o.chatTemplate, b.chatTemplate(), o.model);
  if (!t)
    return R::failure(t.error);
  std::vector<ChatMessage> messages;
  if (!o.systemPrompt.empty())
    messages.push_back({"system", o.systemPrompt});
  messages.push_back({"user", user});
  return t->render(*b.tokenizer(), messages, /*addGenerationPrompt=*/true,
                   o.bos);
}

int runChat(const std::string &program, const RunOptions &o, RunBackend &b,
            std::istream &in) {
  auto fail = [&](const std::string &message) {
    printError(program, message);
    return 1;
  };
  const Tokenizer *tok = b.tokenizer();
  if (!tok || !tok->canEncode())
    return fail("--interactive needs a model with a tokenizer (and a runtime "
                "built with PCRE2)");
  OrError<ChatTemplate> tmpl =
      ChatTemplate::choose(o.chatTemplate, b.chatTemplate(), o.model);
  if (!tmpl)
    return fail(tmpl.error);
  const int64_t ctx =
      o.contextSize ? o.contextSize : std::min<int64_t>(b.maxContext(), 4096);
  OrError<std::unique_ptr<LanguageModel>> lm =
      b.instantiate(resolveThreads(o.threads, b), ctx, 1);
  if (!lm)
    return fail(lm.error);
  SamplerOptions so = o.sampler;
  so.seed = chooseSeed(program, o);
  Sampler sampler(so);
  const Colors colors{o.color && ::isatty(STDOUT_FILENO)};
  Chat chat(program, o, *tok, *tmpl, **lm, sampler, stopIds(b.config(), tok));
  SigintGuard sigint;
  std::optional<std::string> pending = o.prompt;
  for (;;) {
    std::string line;
    if (pending) {
      line = *pending;
      pending.reset();
    } else {
      std::fputs("> ", stdout);
      colors.user();
      std::fflush(stdout);
      const bool got = static_cast<bool>(std::getline(in, line));
      colors.reset();
      if (!got)
        break;
      if (line.empty())
        continue;
    }
    if (std::string e = chat.turn(line); !e.empty())
      return fail(e);
  }
  return 0;
}

} // namespace tern
