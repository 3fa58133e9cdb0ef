//===- RunCli.cpp - The `run` command line, shared by every backend --------===//

#include "runtime/generate/RunCli.h"

#include "runtime/generate/Generate.h"
#include "runtime/generate/RunSession.h"
#include "runtime/support/Bandwidth.h"
#include "runtime/support/Limits.h"
#include "runtime/support/Text.h"
#include "runtime/support/Version.h"
#include "runtime/support/Npy.h"
#include "runtime/support/ThreadPool.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <climits>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <new>
#include <optional>
#include <random>
#include <sstream>

namespace tern {

namespace {

std::string fmt(double v, const char *spec = "%.2f") {
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, v);
  return buf;
}

} // namespace

int resolveThreads(int requested, const RunBackend &b) {
  if (requested)
    return requested;
  return b.defaultThreads() ? b.defaultThreads()
                            : ThreadPool::hardwareThreads();
}

int runGuarded(const std::string &program, const std::function<int()> &body) {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    printError(program, "out of memory");
  } catch (const std::exception &e) {
    printError(program, e.what());
  }
  return 1;
}

namespace {

} // namespace

namespace {
int runMainUnguarded(const std::string &program,
                     const std::vector<std::string> &args, bool modelFlag,
                     const RunBackendLoader &load) {
  auto fail = [&](const std::string &message) {
    printError(program, message);
    return 1;
  };
  OrError<RunOptions> parsed = parseRunOptions(args, modelFlag);
  if (!parsed)
    return fail(parsed.error);
  const RunOptions &o = *parsed;
  if (o.help) {
    std::fputs(runUsage(program, modelFlag).c_str(), stdout);
    return 0;
  }
  if (o.version) {
    std::printf("%s (Tern %s)\n", program.c_str(), ternVersion());
    return 0;
  }
  for (const std::string &flag : o.ignoredFlags)
    std::fprintf(stderr,
                 "%s: note: %s has no meaning here (Tern runs on the CPU); "
                 "ignored\n",
                 program.c_str(), flag.c_str());

  OrError<std::unique_ptr<RunBackend>> backend =
      loadRunBackend(program, o, load);
  if (!backend)
    return fail(backend.error);
  RunBackend &b = **backend;
  if (o.info) {
    std::fputs(b.describe().c_str(), stdout);
    return 0;
  }
  const ModelConfig &c = b.config();
  const Tokenizer *tok = b.tokenizer();
  if (o.contextSize > b.maxContext())
    return fail("-c " + std::to_string(o.contextSize) + " exceeds the " +
                std::to_string(b.maxContext()) + "-token context " +
                (modelFlag ? "the model was trained for"
                           : "this executable was compiled for (tern "
                             "compile --ctx N)"));

  if (o.interactive)
    return runChat(program, o, b, std::cin);

  // The prompt as token ids.
  std::vector<TokenId> prompt;
  if (o.tokens) {
    prompt = *o.tokens;
    for (TokenId id : prompt)
      if (id >= c.vocabSize)
        return fail("--tokens: token id " + std::to_string(id) +
                    " is outside the vocabulary (0.." +
                    std::to_string(c.vocabSize - 1) + ")");
  } else {
    if (!tok)
      return fail("the model has no tokenizer: give the prompt as --tokens "
                  "IDS (or synthesize the model with --tokenizer)");
    if (!tok->canEncode())
      return fail("this runtime was built without PCRE2 and cannot encode "
                  "text: give the prompt as --tokens IDS");
    if (o.chat) {
      OrError<std::vector<TokenId>> chat = chatPrompt(o, b, *o.prompt);
      if (!chat)
        return fail(chat.error);
      prompt = std::move(*chat);
    } else {
      prompt = tok->encode(*o.prompt, o.bos, /*parseSpecial=*/true);
    }
    if (prompt.empty())
      return fail("the prompt is empty (no tokens to evaluate)");
  }

  int64_t ctx = o.contextSize;
  const int64_t needed =
      saturatingAdd(static_cast<int64_t>(prompt.size()), o.nPredict);
  if (ctx == 0)
    ctx = std::max<int64_t>(1, std::min(needed, b.maxContext()));
  if (static_cast<int64_t>(prompt.size()) > ctx)
    return fail("the prompt has " + std::to_string(prompt.size()) +
                " tokens, more than the context size " + std::to_string(ctx));
  const int threads = resolveThreads(o.threads, b);
  OrError<std::unique_ptr<LanguageModel>> lm = b.instantiate(threads, ctx, 1);
  if (!lm)
    return fail(lm.error);

  SamplerOptions so = o.sampler;
  so.seed = chooseSeed(program, o);
  Sampler sampler(so);
  GenerateRequest req;
  req.prompt = prompt;
  req.maxNewTokens = o.nPredict;
  req.draftMax = o.lookup ? o.draftMax : 0;
  if (o.lookup && so.temperature > 0)
    std::fprintf(stderr,
                 "%s: note: --lookup verifies drafts against greedy decoding; "
                 "with --temp %g each token is decoded alone\n",
                 program.c_str(), static_cast<double>(so.temperature));
  if (!o.ignoreEos)
    req.stopIds = stopIds(c, tok);
  std::vector<float> logits;
  if (!o.dumpLogits.empty())
    req.logits = &logits;

  if (o.verbosePrompt)
    printPromptTokens(program, tok, prompt);
  // stdout: the prompt as text (special tokens only with --verbose-prompt;
  // a --chat run prints its reply alone), then the generation.
  const Colors colors{o.color && ::isatty(STDOUT_FILENO)};
  std::optional<StreamDecoder> decoder;
  ReversePrompts reverse(o.reversePrompts);
  if (tok) {
    decoder.emplace(*tok, /*skipSpecial=*/!o.verbosePrompt);
    if (!o.quiet && (!o.chat || o.verbosePrompt)) {
      std::string text = tok->decode(prompt, !o.verbosePrompt);
      colors.prompt();
      std::fwrite(text.data(), 1, text.size(), stdout);
      colors.reset();
      std::fflush(stdout);
    }
  } else if (!o.quiet) {
    for (TokenId id : prompt)
      std::printf("%d ", id);
    std::fflush(stdout);
  }
  bool firstId = true;
  req.onToken = [&](TokenId id) {
    if (std::find(req.stopIds.begin(), req.stopIds.end(), id) !=
        req.stopIds.end())
      return true; // not printed
    if (decoder) {
      std::string piece = decoder->push(id);
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
      return !reverse.push(piece);
    }
    std::printf(firstId ? "%d" : " %d", id);
    firstId = false;
    std::fflush(stdout);
    return true;
  };

  OrError<GenerateStats> stats = generate(**lm, sampler, req);
  if (decoder) {
    std::string rest = decoder->flush();
    std::fwrite(rest.data(), 1, rest.size(), stdout);
  }
  std::fputc('\n', stdout);
  std::fflush(stdout);
  if (!stats)
    return fail(stats.error);

  if (!o.dumpLogits.empty()) {
    const int64_t rows = static_cast<int64_t>(logits.size()) / c.vocabSize;
    std::string e =
        writeNpyFloat32(o.dumpLogits, {rows, c.vocabSize}, logits.data());
    if (!e.empty())
      return fail(e);
  }
  if (!o.quiet) {
    const GenerateStats &s = *stats;
    std::fprintf(stderr,
                 "%s: prompt: %lld tokens in %s s, %s tokens/s, %d "
                 "thread%s\n",
                 program.c_str(), static_cast<long long>(s.promptTokens),
                 fmt(s.promptSeconds, "%.3f").c_str(),
                 fmt(s.promptSeconds > 0 ? s.promptTokens / s.promptSeconds
                                         : 0.0)
                     .c_str(),
                 threads, threads == 1 ? "" : "s");
    std::fprintf(
        stderr,
        "%s: generation: %lld tokens (%lld evaluated) in %s s, %s tokens/s "
        "(stop: %s)\n",
        program.c_str(), static_cast<long long>(s.generatedTokens),
        static_cast<long long>(s.decodeEvals),
        fmt(s.decodeSeconds, "%.3f").c_str(),
        fmt(s.decodeSeconds > 0 && s.decodeEvals > 0
                ? s.decodeEvals / s.decodeSeconds
                : 0.0)
            .c_str(),
        s.stopReason == "callback" ? "reverse prompt" : s.stopReason.c_str());
    if (s.draftPasses)
      std::fprintf(stderr,
                   "%s: lookup: %lld drafted tokens in %lld passes, %lld "
                   "accepted (%s %%)\n",
                   program.c_str(), static_cast<long long>(s.draftedTokens),
                   static_cast<long long>(s.draftPasses),
                   static_cast<long long>(s.acceptedDraft),
                   fmt(100.0 * s.acceptedDraft / s.draftedTokens, "%.0f")
                       .c_str());
  }
  return 0;
}

} // namespace

OrError<std::unique_ptr<RunBackend>>
loadRunBackend(const std::string &program, const RunOptions &options,
               const RunBackendLoader &load) {
  OrError<std::unique_ptr<RunBackend>> backend = load(options);
  if (backend && options.mmap && (*backend)->weightHolding().empty())
    std::fprintf(stderr,
                 "%s: note: %s has no effect on a model file (the reference "
                 "forward pass unpacks the weights into memory of its own)\n",
                 program.c_str(), *options.mmap ? "--mmap" : "--no-mmap");
  return backend;
}

int runMain(const std::string &program, const std::vector<std::string> &args,
            bool modelFlag, const RunBackendLoader &load) {
  return runGuarded(program, [&] {
    return runMainUnguarded(program, args, modelFlag, load);
  });
}

} // namespace tern
