//===- RunCli.cpp - The `run` command line, shared by every backend --------===//

#include "runtime/generate/RunCli.h"

#include "runtime/generate/Generate.h"
#include "runtime/support/Bandwidth.h"
#include "runtime/support/Limits.h"
#include "runtime/support/Text.h"
#include "runtime/support/Npy.h"
#include "runtime/support/ThreadPool.h"

#include <sys/resource.h>

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
#include <sstream>

namespace tern {

namespace {

bool parseFloat(const std::string &s, float &out) {
  if (s.empty())
    return false;
  errno = 0;
  char *end = nullptr;
  const float v = std::strtof(s.c_str(), &end);
  // Underflow (1e-40) is a number, rounded to a denormal or 0; overflow
  // is not.
  const bool underflow = errno == ERANGE && std::fabs(v) <= FLT_MIN;
  if ((errno != 0 && !underflow) || *end != '\0' || !std::isfinite(v))
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
  if (!modelFlag)
    u += "      --verify            check every byte of the weights against "
         "their checksum\n"
         "                          (each start checks 256 KiB of them)\n"
         "\n  " + program + " bench --help        speed and memory\n"
         "  " + program + " perplexity --help   perplexity of a text, KL "
         "divergence against a base\n";
  return u;
}

namespace {

/// A command line's flags one at a time: `--flag=value`, `--flag value`,
/// `-f value`, or a flag alone. The parsers return an error message or "".
class FlagReader {
public:
  explicit FlagReader(const std::vector<std::string> &args) : args_(args) {}

  /// Advances to the next flag; false at the end.
  bool next() {
    if (++i_ >= args_.size())
      return false;
    flag_ = args_[i_];
    inline_.reset();
    const size_t eq = flag_.find('=');
    if (flag_.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_ = flag_.substr(eq + 1);
      flag_ = flag_.substr(0, eq);
    }
    return true;
  }
  const std::string &flag() const { return flag_; }
  /// The last value read (for messages).
  const std::string &last() const { return value_; }

  std::string value(std::string &out) {
    if (inline_) {
      value_ = *inline_;
    } else if (i_ + 1 < args_.size()) {
      value_ = args_[++i_];
    } else {
      return flag_ + " needs a value";
    }
    out = value_;
    return "";
  }
  std::string integer(int64_t &out, int64_t min) {
    std::string v;
    if (std::string e = value(v); !e.empty())
      return e;
    if (!parseInt64(v, out))
      return flag_ + ": '" + v + "' is not an integer";
    if (out < min)
      return flag_ + ": " + v + " is below the minimum " + std::to_string(min);
    return "";
  }
  std::string number(float &out) {
    std::string v;
    if (std::string e = value(v); !e.empty())
      return e;
    if (!parseFloat(v, out))
      return flag_ + ": '" + v + "' is not a number";
    return "";
  }
  /// For flags that take no value.
  std::string none() const {
    return inline_ ? flag_ + " takes no value" : "";
  }

private:
  const std::vector<std::string> &args_;
  size_t i_ = static_cast<size_t>(-1);
  std::string flag_, value_;
  std::optional<std::string> inline_;
};

/// What the flags set besides RunOptions.
struct ParseState {
  RunOptions o;
  std::string promptFile;
  bool modelFlag = false;
};

/// `--tokens 1,2,3`.
std::string parseTokenList(const std::string &list,
                           std::optional<std::vector<TokenId>> &out) {
  std::vector<TokenId> ids;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    int64_t id;
    if (!parseInt64(item, id) || id < 0 || id > INT32_MAX)
      return "--tokens: '" + item +
             "' is not a token id (expected a comma-separated list such as "
             "128000,9906)";
    ids.push_back(static_cast<TokenId>(id));
  }
  if (ids.empty())
    return "--tokens: no token ids given";
  out = std::move(ids);
  return "";
}

/// An int64 flag stored in a narrower field, capped at `max`.
template <typename T>
std::string cappedInt(FlagReader &r, T &out, int64_t min, int64_t max) {
  int64_t n = 0;
  std::string e = r.integer(n, min);
  out = static_cast<T>(std::min(n, max));
  return e;
}

using FlagFn = std::function<std::string(FlagReader &, ParseState &)>;

/// Every flag of `run`: its names and what it does.
const std::vector<std::pair<std::vector<std::string>, FlagFn>> &flagTable() {
  static const std::vector<std::pair<std::vector<std::string>, FlagFn>> t = {
      {{"-h", "--help"},
       [](FlagReader &, ParseState &s) { return s.o.help = true, ""; }},
      {{"-m", "--model"},
       [](FlagReader &r, ParseState &s) -> std::string {
         if (!s.modelFlag)
           return "-m: this executable has its model built in";
         return r.value(s.o.model);
       }},
      {{"-p", "--prompt"},
       [](FlagReader &r, ParseState &s) {
         std::string v;
         std::string e = r.value(v);
         s.o.prompt = v;
         return e;
       }},
      {{"-f", "--file"},
       [](FlagReader &r, ParseState &s) { return r.value(s.promptFile); }},
      {{"--tokens"},
       [](FlagReader &r, ParseState &s) {
         std::string v;
         if (std::string e = r.value(v); !e.empty())
           return e;
         return parseTokenList(v, s.o.tokens);
       }},
      {{"--chat"},
       [](FlagReader &r, ParseState &s) { return s.o.chat = true, r.none(); }},
      {{"-i", "--interactive"},
       [](FlagReader &r, ParseState &s) {
         return s.o.interactive = true, r.none();
       }},
      {{"--no-bos"},
       [](FlagReader &r, ParseState &s) { return s.o.bos = false, r.none(); }},
      {{"-n", "--n-predict"},
       [](FlagReader &r, ParseState &s) { return r.integer(s.o.nPredict, 0); }},
      {{"-t", "--threads"},
       [](FlagReader &r, ParseState &s) -> std::string {
         int64_t n = 0;
         if (std::string e = r.integer(n, 1); !e.empty())
           return e;
         if (n > 1024)
           return r.flag() + ": " + r.last() +
                  " threads is absurd (at most 1024)";
         s.o.threads = static_cast<int>(n);
         return "";
       }},
      {{"-c", "--ctx-size"},
       [](FlagReader &r, ParseState &s) {
         return r.integer(s.o.contextSize, 1);
       }},
      {{"--temp"},
       [](FlagReader &r, ParseState &s) {
         return r.number(s.o.sampler.temperature);
       }},
      {{"--top-k"},
       [](FlagReader &r, ParseState &s) {
         return cappedInt(r, s.o.sampler.topK, 0, INT32_MAX);
       }},
      {{"--top-p"},
       [](FlagReader &r, ParseState &s) { return r.number(s.o.sampler.topP); }},
      {{"--min-p"},
       [](FlagReader &r, ParseState &s) { return r.number(s.o.sampler.minP); }},
      {{"--repeat-penalty"},
       [](FlagReader &r, ParseState &s) {
         return r.number(s.o.sampler.repeatPenalty);
       }},
      {{"--repeat-last-n"},
       [](FlagReader &r, ParseState &s) {
         return cappedInt(r, s.o.sampler.repeatLastN, 0, INT32_MAX);
       }},
      {{"--seed"},
       [](FlagReader &r, ParseState &s) {
         return cappedInt(r, s.o.sampler.seed, 0, INT64_MAX);
       }},
      {{"--ignore-eos"},
       [](FlagReader &r, ParseState &s) {
         return s.o.ignoreEos = true, r.none();
       }},
      {{"--dump-logits"},
       [](FlagReader &r, ParseState &s) { return r.value(s.o.dumpLogits); }},
      {{"--head"},
       [](FlagReader &r, ParseState &s) -> std::string {
         if (!s.modelFlag)
           return "--head applies to model files; a compiled executable's "
                  "head format is set by 'tern compile --head'";
         std::string v;
         if (std::string e = r.value(v); !e.empty())
           return e;
         std::optional<HeadFormat> f = parseHeadFormat(v);
         if (!f)
           return "--head: unknown format '" + v + "' (native, int8 or q4)";
         s.o.head = *f;
         return "";
       }},
      {{"--quiet"},
       [](FlagReader &r, ParseState &s) { return s.o.quiet = true, r.none(); }},
      {{"--verify"},
       [](FlagReader &r, ParseState &s) -> std::string {
         if (s.modelFlag)
           return "--verify checks a compiled executable's appended weights; "
                  "model files are checked as they load";
         return s.o.verify = true, r.none();
       }},
  };
  return t;
}

/// The checks that need every flag: where the prompt comes from, the
/// model, the sampler.
std::string finish(ParseState &s) {
  RunOptions &o = s.o;
  if (!s.promptFile.empty()) {
    if (o.prompt)
      return "give the prompt with -p or -f, not both";
    std::ifstream in(s.promptFile, std::ios::binary);
    if (!in)
      return s.promptFile + ": cannot read the prompt file";
    std::stringstream ss;
    ss << in.rdbuf();
    o.prompt = ss.str();
  }
  if (o.prompt && o.tokens)
    return "give either a prompt (-p/-f) or --tokens, not both";
  if (o.interactive && o.tokens)
    return "--interactive reads text turns; it takes no --tokens";
  if (!o.prompt && !o.tokens && !o.interactive)
    return "no prompt: use -p TEXT, -f FILE or --tokens IDS (or -i to chat)";
  if (o.tokens && o.chat)
    return "--chat needs a text prompt, not --tokens";
  if (s.modelFlag && o.model.empty())
    return "no model: use -m MODEL";
  return checkSamplerOptions(o.sampler);
}

} // namespace

OrError<RunOptions> parseRunOptions(const std::vector<std::string> &args,
                                    bool modelFlag) {
  using R = OrError<RunOptions>;
  ParseState s;
  s.modelFlag = modelFlag;
  FlagReader r(args);
  while (r.next()) {
    const auto &table = flagTable();
    auto it = std::find_if(table.begin(), table.end(), [&](const auto &e) {
      return std::find(e.first.begin(), e.first.end(), r.flag()) !=
             e.first.end();
    });
    if (it == table.end())
      return R::failure(!r.flag().empty() && r.flag()[0] == '-'
                            ? "unknown flag '" + r.flag() + "' (see --help)"
                            : "unexpected argument '" + r.flag() +
                                  "' (the prompt goes after -p)");
    if (std::string err = it->second(r, s); !err.empty())
      return R::failure(err);
  }
  if (s.o.help)
    return R(std::move(s.o));
  if (std::string err = finish(s); !err.empty())
    return R::failure(err);
  return R(std::move(s.o));
}

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
    printError(program, message);
    return 1;
  };
  const Tokenizer *tok = b.tokenizer();
  if (!tok || !tok->canEncode())
    return fail("--interactive needs a model with a tokenizer (and a runtime "
                "built with PCRE2)");
  const ModelConfig &c = b.config();
  const int64_t ctx =
      o.contextSize ? o.contextSize : std::min<int64_t>(b.maxContext(), 4096);
  const int threads = resolveThreads(o.threads, b);
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

  OrError<std::unique_ptr<RunBackend>> backend = load(o);
  if (!backend)
    return fail(backend.error);
  RunBackend &b = **backend;
  const ModelConfig &c = b.config();
  const Tokenizer *tok = b.tokenizer();
  if (o.contextSize > b.maxContext())
    return fail("-c " + std::to_string(o.contextSize) + " exceeds the " +
                std::to_string(b.maxContext()) + "-token context " +
                (modelFlag ? "the model was trained for"
                           : "this executable was compiled for (tern "
                             "compile --ctx N)"));

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
  const int64_t needed =
      saturatingAdd(static_cast<int64_t>(prompt.size()), o.nPredict);
  if (ctx == 0)
    ctx = std::max<int64_t>(1, std::min(needed, b.maxContext()));
  if (static_cast<int64_t>(prompt.size()) > ctx)
    return fail("the prompt has " + std::to_string(prompt.size()) +
                " tokens, more than the context size " + std::to_string(ctx));
  const int threads = resolveThreads(o.threads, b);
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

} // namespace

int runMain(const std::string &program, const std::vector<std::string> &args,
            bool modelFlag, const RunBackendLoader &load) {
  return runGuarded(program, [&] {
    return runMainUnguarded(program, args, modelFlag, load);
  });
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
    if (!parseInt64(v, n))
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

namespace {
int benchMainUnguarded(const std::string &program,
                       const std::vector<std::string> &args, bool modelArg,
                       const RunBackendLoader &load) {
  auto fail = [&](const std::string &message) {
    printError(program, message);
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
  const int threads = resolveThreads(o.threads, b);
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

} // namespace

int benchMain(const std::string &program, const std::vector<std::string> &args,
              bool modelArg, const RunBackendLoader &load) {
  return runGuarded(program, [&] {
    return benchMainUnguarded(program, args, modelArg, load);
  });
}

} // namespace tern
