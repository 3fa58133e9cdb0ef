//===- RunCli.cpp - The `run` command line, shared by every backend --------===//

#include "runtime/generate/RunCli.h"

#include "runtime/generate/Generate.h"
#include "runtime/support/Bandwidth.h"
#include "runtime/support/Npy.h"
#include "runtime/support/ThreadPool.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

namespace tern {

namespace {

bool parseInt(const std::string &s, int64_t &out) {
  if (s.empty())
    return false;
  errno = 0;
  char *end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0')
    return false;
  out = v;
  return true;
}

bool parseFloat(const std::string &s, float &out) {
  if (s.empty())
    return false;
  errno = 0;
  char *end = nullptr;
  const float v = std::strtof(s.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(v))
    return false;
  out = v;
  return true;
}

std::string fmt(double v, const char *spec = "%.2f") {
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, v);
  return buf;
}

} // namespace

std::string runUsage(const std::string &program, bool modelFlag) {
  std::string u = "usage: " + program +
                  (modelFlag ? " -m MODEL" : "") +
                  " (-p TEXT | -f FILE | --tokens IDS) [options]\n";
  if (modelFlag)
    u += "  -m, --model FILE        GGUF file or Hugging Face directory\n";
  u += "  -p, --prompt TEXT       prompt text (special-token text is parsed)\n"
       "  -f, --file FILE         read the prompt text from FILE\n"
       "      --tokens 1,2,3      prompt as token ids\n"
       "      --chat              wrap the prompt in the chat format\n"
       "  -i, --interactive       chat turn by turn, reading stdin\n"
       "      --no-bos            do not prepend <|begin_of_text|>\n"
       "  -n, --n-predict N       tokens to generate (default 128)\n"
       "  -t, --threads N         threads (default: as compiled, else all "
      "hardware threads)\n"
       "  -c, --ctx-size N        KV cache length (default: prompt + N)\n"
       "      --temp T            temperature (default 0 = greedy)\n"
       "      --top-k K           (default 40, 0 = off)\n"
       "      --top-p P           (default 0.95, 1 = off)\n"
       "      --min-p P           (default 0.05, 0 = off)\n"
       "      --repeat-penalty R  (default 1 = off)\n"
       "      --repeat-last-n N   (default 64)\n"
       "      --seed S            sampling seed (default 0)\n"
       "      --ignore-eos        keep generating past end-of-text tokens\n"
       "      --dump-logits FILE  write every evaluated position's logits "
       "(float32 .npy)\n";
  if (modelFlag)
    u += "      --head FORMAT       output head: native (as stored, "
         "default), int8, q4\n";
  u += "      --quiet             no prompt echo, no timing lines\n";
  return u;
}

OrError<RunOptions> parseRunOptions(const std::vector<std::string> &args,
                                    bool modelFlag) {
  using R = OrError<RunOptions>;
  RunOptions o;
  std::string promptFile;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i], value;
    bool inlineValue = false;
    if (flag.rfind("--", 0) == 0) {
      const size_t eq = flag.find('=');
      if (eq != std::string::npos) {
        value = flag.substr(eq + 1);
        flag = flag.substr(0, eq);
        inlineValue = true;
      }
    }
    auto next = [&](std::string &out) -> bool {
      if (inlineValue) {
        out = value;
        return true;
      }
      if (i + 1 >= args.size())
        return false;
      out = args[++i];
      return true;
    };
    std::string v;
    auto needValue = [&]() -> std::string {
      if (!next(v))
        return flag + " needs a value";
      return "";
    };
    auto intFlag = [&](int64_t &out, int64_t min) -> std::string {
      std::string e = needValue();
      if (!e.empty())
        return e;
      if (!parseInt(v, out))
        return flag + ": '" + v + "' is not an integer";
      if (out < min)
        return flag + ": " + v + " is below the minimum " +
               std::to_string(min);
      return "";
    };
    auto floatFlag = [&](float &out) -> std::string {
      std::string e = needValue();
      if (!e.empty())
        return e;
      if (!parseFloat(v, out))
        return flag + ": '" + v + "' is not a number";
      return "";
    };
    auto noValue = [&]() -> std::string {
      return inlineValue ? flag + " takes no value" : "";
    };

    std::string err;
    int64_t n = 0;
    if (flag == "-h" || flag == "--help") {
      o.help = true;
    } else if (flag == "-m" || flag == "--model") {
      if (!modelFlag)
        return R::failure("-m: this executable has its model built in");
      err = needValue();
      o.model = v;
    } else if (flag == "-p" || flag == "--prompt") {
      err = needValue();
      o.prompt = v;
    } else if (flag == "-f" || flag == "--file") {
      err = needValue();
      promptFile = v;
    } else if (flag == "--tokens") {
      err = needValue();
      if (err.empty()) {
        std::vector<TokenId> ids;
        std::stringstream ss(v);
        std::string item;
        while (std::getline(ss, item, ',')) {
          int64_t id;
          if (!parseInt(item, id) || id < 0 || id > INT32_MAX)
            return R::failure("--tokens: '" + item +
                              "' is not a token id (expected a "
                              "comma-separated list such as 128000,9906)");
          ids.push_back(static_cast<TokenId>(id));
        }
        if (ids.empty())
          return R::failure("--tokens: no token ids given");
        o.tokens = std::move(ids);
      }
    } else if (flag == "--chat") {
      err = noValue();
      o.chat = true;
    } else if (flag == "-i" || flag == "--interactive") {
      err = noValue();
      o.interactive = true;
    } else if (flag == "--no-bos") {
      err = noValue();
      o.bos = false;
    } else if (flag == "-n" || flag == "--n-predict") {
      err = intFlag(o.nPredict, 0);
    } else if (flag == "-t" || flag == "--threads") {
      err = intFlag(n, 1);
      if (err.empty() && n > 1024)
        err = flag + ": " + v + " threads is absurd (at most 1024)";
      o.threads = static_cast<int>(n);
    } else if (flag == "-c" || flag == "--ctx-size") {
      err = intFlag(o.contextSize, 1);
    } else if (flag == "--temp") {
      err = floatFlag(o.sampler.temperature);
    } else if (flag == "--top-k") {
      err = intFlag(n, 0);
      o.sampler.topK = static_cast<int32_t>(std::min<int64_t>(n, INT32_MAX));
    } else if (flag == "--top-p") {
      err = floatFlag(o.sampler.topP);
    } else if (flag == "--min-p") {
      err = floatFlag(o.sampler.minP);
    } else if (flag == "--repeat-penalty") {
      err = floatFlag(o.sampler.repeatPenalty);
    } else if (flag == "--repeat-last-n") {
      err = intFlag(n, 0);
      o.sampler.repeatLastN =
          static_cast<int32_t>(std::min<int64_t>(n, INT32_MAX));
    } else if (flag == "--seed") {
      err = intFlag(n, 0);
      o.sampler.seed = static_cast<uint64_t>(n);
    } else if (flag == "--ignore-eos") {
      err = noValue();
      o.ignoreEos = true;
    } else if (flag == "--dump-logits") {
      err = needValue();
      o.dumpLogits = v;
    } else if (flag == "--head") {
      if (!modelFlag)
        return R::failure("--head applies to model files; a compiled "
                          "executable's head format is set by "
                          "'tern compile --head'");
      err = needValue();
      if (err.empty()) {
        std::optional<HeadFormat> f = parseHeadFormat(v);
        if (!f)
          return R::failure("--head: unknown format '" + v +
                            "' (native, int8 or q4)");
        o.head = *f;
      }
    } else if (flag == "--quiet") {
      err = noValue();
      o.quiet = true;
    } else if (!flag.empty() && flag[0] == '-') {
      return R::failure("unknown flag '" + flag + "' (see --help)");
    } else {
      return R::failure("unexpected argument '" + flag +
                        "' (the prompt goes after -p)");
    }
    if (!err.empty())
      return R::failure(err);
  }
  if (o.help)
    return R(std::move(o));

  if (!promptFile.empty()) {
    if (o.prompt)
      return R::failure("give the prompt with -p or -f, not both");
    std::ifstream in(promptFile, std::ios::binary);
    if (!in)
      return R::failure(promptFile + ": cannot read the prompt file");
    std::stringstream ss;
    ss << in.rdbuf();
    o.prompt = ss.str();
  }
  if (o.prompt && o.tokens)
    return R::failure("give either a prompt (-p/-f) or --tokens, not both");
  if (o.interactive && o.tokens)
    return R::failure("--interactive reads text turns; it takes no --tokens");
  if (!o.prompt && !o.tokens && !o.interactive)
    return R::failure("no prompt: use -p TEXT, -f FILE or --tokens IDS (or "
                      "-i to chat)");
  if (o.tokens && o.chat)
    return R::failure("--chat needs a text prompt, not --tokens");
  if (modelFlag && o.model.empty())
    return R::failure("no model: use -m MODEL");
  std::string samplerError = checkSamplerOptions(o.sampler);
  if (!samplerError.empty())
    return R::failure(samplerError);
  return R(std::move(o));
}

namespace {

/// -t, else the backend's default (a compiled executable's --threads), else
/// every hardware thread.
int threadCount(const RunOptions &o, const RunBackend &b) {
  if (o.threads)
    return o.threads;
  return b.defaultThreads() ? b.defaultThreads()
                            : ThreadPool::hardwareThreads();
}

/// The tokens that end generation: end of text and end of turn, from the
/// model's configuration and its tokenizer (either may lack them).
std::vector<TokenId> stopIds(const ModelConfig &c, const Tokenizer *tok) {
  std::vector<TokenId> ids;
  for (TokenId id : {c.eosId, c.eotId, tok ? tok->eosId() : -1,
                     tok ? tok->eotId() : -1})
    if (id >= 0 && std::find(ids.begin(), ids.end(), id) == ids.end())
      ids.push_back(id);
  return ids;
}

/// The interactive chat: each user line becomes a turn of the 2B4T chat
/// format; the reply streams until <|eot_id|> (or the token limit), and
/// the conversation stays in the KV cache.
int runChat(const std::string &program, const RunOptions &o, RunBackend &b) {
  auto fail = [&](const std::string &message) {
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), message.c_str());
    return 1;
  };
  const Tokenizer *tok = b.tokenizer();
  if (!tok || !tok->canEncode())
    return fail("--interactive needs a model with a tokenizer (and a runtime "
                "built with PCRE2)");
  const ModelConfig &c = b.config();
  const int64_t ctx =
      o.contextSize ? o.contextSize : std::min<int64_t>(b.maxContext(), 4096);
  const int threads = threadCount(o, b);
  OrError<std::unique_ptr<LanguageModel>> lm = b.instantiate(threads, ctx);
  if (!lm)
    return fail(lm.error);
  Sampler sampler(o.sampler);
  const std::vector<TokenId> stop = stopIds(c, tok);
  std::optional<TokenId> unevaluated; // the last reply's stop token
  bool first = true;
  std::optional<std::string> pending = o.prompt;
  for (;;) {
    std::string line;
    if (pending) {
      line = *pending;
      pending.reset();
    } else {
      std::fputs("> ", stdout);
      std::fflush(stdout);
      if (!std::getline(std::cin, line))
        break;
      if (line.empty())
        continue;
    }
    std::vector<TokenId> turn = tok->chatPrompt(line);
    if (!first && !turn.empty() && turn[0] == tok->bosId())
      turn.erase(turn.begin());
    if (first && !o.bos && !turn.empty() && turn[0] == tok->bosId())
      turn.erase(turn.begin());
    first = false;
    if (unevaluated)
      turn.insert(turn.begin(), *unevaluated);
    unevaluated.reset();
    const int64_t room = (*lm)->contextSize() - (*lm)->position();
    if (static_cast<int64_t>(turn.size()) >= room) {
      std::fprintf(stderr, "%s: the context (%lld tokens) is full\n",
                   program.c_str(), static_cast<long long>(ctx));
      break;
    }
    StreamDecoder decoder(*tok, /*skipSpecial=*/true);
    GenerateRequest req;
    req.prompt = std::move(turn);
    req.maxNewTokens = std::min<int64_t>(o.nPredict, room - 1 -
                                         static_cast<int64_t>(req.prompt.size()));
    req.stopIds = stop;
    req.onToken = [&](TokenId id) {
      if (std::find(stop.begin(), stop.end(), id) != stop.end())
        return true;
      std::string piece = decoder.push(id);
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
      return true;
    };
    OrError<GenerateStats> stats = generate(**lm, sampler, req);
    std::string rest = decoder.flush();
    std::fwrite(rest.data(), 1, rest.size(), stdout);
    std::fputc('\n', stdout);
    if (!stats)
      return fail(stats.error);
    if (!stats->tokens.empty())
      unevaluated = stats->tokens.back();
    if (!o.quiet)
      std::fprintf(stderr, "%s: %lld tokens, %.2f tokens/s\n",
                   program.c_str(),
                   static_cast<long long>(stats->generatedTokens),
                   stats->decodeSeconds > 0 && stats->decodeEvals > 0
                       ? stats->decodeEvals / stats->decodeSeconds
                       : 0.0);
  }
  return 0;
}

} // namespace

int runMain(const std::string &program, const std::vector<std::string> &args,
            bool modelFlag, const RunBackendLoader &load) {
  auto fail = [&](const std::string &message) {
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), message.c_str());
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

  OrError<std::unique_ptr<RunBackend>> backend = load(o);
  if (!backend)
    return fail(backend.error);
  RunBackend &b = **backend;
  const ModelConfig &c = b.config();
  const Tokenizer *tok = b.tokenizer();

  if (o.interactive)
    return runChat(program, o, b);

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
      prompt = tok->chatPrompt(*o.prompt);
      if (!o.bos && !prompt.empty() && prompt[0] == tok->bosId())
        prompt.erase(prompt.begin());
    } else {
      prompt = tok->encode(*o.prompt, o.bos, /*parseSpecial=*/true);
    }
    if (prompt.empty())
      return fail("the prompt is empty (no tokens to evaluate)");
  }

  int64_t ctx = o.contextSize;
  const int64_t needed = static_cast<int64_t>(prompt.size()) + o.nPredict;
  if (ctx == 0)
    ctx = std::max<int64_t>(1, std::min(needed, b.maxContext()));
  if (static_cast<int64_t>(prompt.size()) > ctx)
    return fail("the prompt has " + std::to_string(prompt.size()) +
                " tokens, more than the context size " + std::to_string(ctx));
  const int threads = threadCount(o, b);
  OrError<std::unique_ptr<LanguageModel>> lm = b.instantiate(threads, ctx);
  if (!lm)
    return fail(lm.error);

  SamplerOptions so = o.sampler;
  Sampler sampler(so);
  GenerateRequest req;
  req.prompt = prompt;
  req.maxNewTokens = o.nPredict;
  if (!o.ignoreEos)
    req.stopIds = stopIds(c, tok);
  std::vector<float> logits;
  if (!o.dumpLogits.empty())
    req.logits = &logits;

  std::optional<StreamDecoder> decoder;
  if (tok) {
    decoder.emplace(*tok, /*skipSpecial=*/false);
    if (!o.quiet) {
      std::string text = tok->decode(prompt, /*skipSpecial=*/false);
      std::fwrite(text.data(), 1, text.size(), stdout);
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
    } else {
      std::printf(firstId ? "%d" : " %d", id);
      firstId = false;
    }
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
        s.stopReason.c_str());
  }
  return 0;
}

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
} // namespace

OrError<BenchOptions> parseBenchOptions(const std::vector<std::string> &args,
                                        bool modelArg) {
  using R = OrError<BenchOptions>;
  BenchOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &flag = args[i];
    if (flag == "-h" || flag == "--help") {
      o.help = true;
      continue;
    }
    if (flag.empty() || flag[0] != '-') {
      if (!modelArg || !o.model.empty())
        return R::failure("unexpected argument '" + flag + "'");
      o.model = flag;
      continue;
    }
    if (i + 1 >= args.size())
      return R::failure(flag + " needs a value");
    const std::string &v = args[++i];
    int64_t n = 0;
    if (!parseInt(v, n))
      return R::failure(flag + ": '" + v + "' is not an integer");
    if (flag == "-p" || flag == "--prompt-tokens") {
      if (n < 1 || n > 1 << 20)
        return R::failure(flag + ": " + v + " prompt tokens is out of range");
      o.promptTokens = n;
    } else if (flag == "-n" || flag == "--gen-tokens") {
      if (n < 1 || n > 1 << 20)
        return R::failure(flag + ": " + v +
                          " generated tokens is out of range");
      o.genTokens = n;
    } else if (flag == "-t" || flag == "--threads") {
      if (n < 1 || n > 1024)
        return R::failure(flag + ": " + v + " threads is absurd (1 to 1024)");
      o.threads = static_cast<int>(n);
    } else if (flag == "-r" || flag == "--reps") {
      if (n < 1 || n > 1000)
        return R::failure(flag + ": " + v + " repetitions (1 to 1000)");
      o.reps = static_cast<int>(n);
    } else {
      return R::failure("unknown flag " + flag);
    }
  }
  if (modelArg && o.model.empty() && !o.help)
    return R::failure("no model: give MODEL");
  return R(o);
}

int benchMain(const std::string &program, const std::vector<std::string> &args,
              bool modelArg, const RunBackendLoader &load) {
  auto fail = [&](const std::string &message) {
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), message.c_str());
    return 1;
  };
  OrError<BenchOptions> parsed = parseBenchOptions(args, modelArg);
  if (!parsed)
    return fail(parsed.error);
  const BenchOptions &o = *parsed;
  if (o.help) {
    std::printf("usage: %s%s [-p PROMPT_TOKENS] [-n GEN_TOKENS] [-t THREADS] "
                "[-r REPS]\n",
                program.c_str(), modelArg ? " MODEL" : "");
    return 0;
  }
  RunOptions ro;
  ro.model = o.model;
  OrError<std::unique_ptr<RunBackend>> backend = load(ro);
  if (!backend)
    return fail(backend.error);
  RunBackend &b = **backend;
  const ModelConfig &c = b.config();
  const int64_t ctx = o.promptTokens + o.genTokens;
  if (ctx > b.maxContext())
    return fail("-p + -n = " + std::to_string(ctx) + " tokens exceed the " +
                std::to_string(b.maxContext()) + "-token context");
  RunOptions threadsOnly;
  threadsOnly.threads = o.threads;
  const int threads = threadCount(threadsOnly, b);
  OrError<std::unique_ptr<LanguageModel>> lm = b.instantiate(threads, ctx);
  if (!lm)
    return fail(lm.error);
  // Ordinary token ids (no special tokens), the same every run.
  const int64_t span = std::max<int64_t>(1, std::min<int64_t>(c.vocabSize, 128000) - 1000);
  std::vector<TokenId> ids(static_cast<size_t>(ctx));
  for (int64_t i = 0; i < ctx; ++i)
    ids[static_cast<size_t>(i)] = static_cast<TokenId>(
        std::min<int64_t>(c.vocabSize - 1, 1000 + (i * 7919) % span));
  std::vector<float> logits(static_cast<size_t>(c.vocabSize));
  std::vector<double> pp, tg;
  using Clock = std::chrono::steady_clock;
  for (int r = 0; r <= o.reps; ++r) { // run 0 is the warm-up
    (*lm)->reset();
    auto t0 = Clock::now();
    std::string e = (*lm)->forward(ids.data(), o.promptTokens, logits.data(),
                                   /*allLogits=*/false);
    const double promptSeconds =
        std::chrono::duration<double>(Clock::now() - t0).count();
    t0 = Clock::now();
    for (int64_t g = 0; e.empty() && g < o.genTokens; ++g)
      e = (*lm)->forward(&ids[static_cast<size_t>(o.promptTokens + g)], 1,
                         logits.data(), false);
    const double genSeconds =
        std::chrono::duration<double>(Clock::now() - t0).count();
    if (!e.empty())
      return fail(e);
    if (r > 0) {
      pp.push_back(o.promptTokens / promptSeconds);
      tg.push_back(o.genTokens / genSeconds);
    }
  }
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  ThreadPool pool(threads);
  const double bandwidth = measureReadBandwidth(pool);

  std::printf("%s: %s, %d thread%s, %d repetition%s after a warm-up\n",
              program.c_str(), o.model.empty() ? "compiled model" : o.model.c_str(),
              threads, threads == 1 ? "" : "s", o.reps, o.reps == 1 ? "" : "s");
  std::printf("  %-8s %10s  %s\n", "test", "tokens/s", "(min - max)");
  auto row = [](const std::string &name, const std::vector<double> &v) {
    std::printf("  %-8s %10.2f  (%.2f - %.2f)\n", name.c_str(), median(v),
                *std::min_element(v.begin(), v.end()),
                *std::max_element(v.begin(), v.end()));
  };
  row("pp" + std::to_string(o.promptTokens), pp);
  row("tg" + std::to_string(o.genTokens), tg);
  std::printf("  peak memory        %.2f GiB\n",
              static_cast<double>(usage.ru_maxrss) / (1024.0 * 1024.0));
  std::printf("  read bandwidth     %.1f GB/s (%d thread%s)\n",
              bandwidth / 1e9, threads, threads == 1 ? "" : "s");
  if (const uint64_t bytes = b.weightBytesPerToken()) {
    const double roofline = bandwidth / static_cast<double>(bytes);
    std::printf("  weights per token  %.3f GB: roofline %.2f tokens/s, tg%lld "
                "at %.0f %% of it\n",
                static_cast<double>(bytes) / 1e9, roofline,
                static_cast<long long>(o.genTokens),
                100.0 * median(tg) / roofline);
  } else {
    std::printf("  weights per token  unknown for this backend (no roofline)\n");
  }
  return 0;
}

} // namespace tern
