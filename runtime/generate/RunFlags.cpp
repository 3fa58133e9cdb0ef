//===- RunFlags.cpp - The `run` flags: one table, parsing and --help ------===//
//
// Every flag of `tern run` and compiled executables is one row of
// flagTable(): its spellings (Tern's and llama.cpp's), the value it takes,
// its help line and what it does. parseRunOptions and runUsage both read
// the table, so --help lists exactly what is parsed.
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/FlagReader.h"
#include "runtime/generate/RunCli.h"

#include "runtime/support/Text.h"

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>

namespace tern {

namespace {


/// What the flags set besides RunOptions.
struct ParseState {
  RunOptions o;
  std::string promptFile;
  bool modelFlag = false;
  bool temperatureGiven = false;
  bool samplingGiven = false; ///< --top-k, --top-p, --min-p, --seed, ...
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

/// Which command lines a flag belongs to.
enum class Scope { Both, ModelFile, Executable };

struct Flag {
  std::vector<std::string> names;
  const char *value; ///< "" for a flag alone
  const char *help;  ///< nullptr: accepted and ignored (llama.cpp's)
  FlagFn apply;
  Scope scope = Scope::Both;
};

FlagFn setTrue(bool RunOptions::*field) {
  return [field](FlagReader &r, ParseState &s) {
    return s.o.*field = true, r.none();
  };
}

/// A sampling flag: sampling is what the user asks for (llama.cpp's
/// temperature, 0.8, unless --temp is given).
FlagFn sampling(FlagFn f) {
  return [f](FlagReader &r, ParseState &s) {
    s.samplingGiven = true;
    return f(r, s);
  };
}

/// llama.cpp flags that mean nothing here: accepted, noted once on stderr.
FlagFn ignored(bool takesValue) {
  return [takesValue](FlagReader &r, ParseState &s) -> std::string {
    std::string v;
    if (takesValue)
      if (std::string e = r.value(v); !e.empty())
        return e;
    s.o.ignoredFlags.push_back(r.flag());
    return takesValue ? "" : r.none();
  };
}

const std::vector<Flag> &flagTable() {
  static const std::string headHelp =
      "output head: " + headFormatNames() + " (default native, as stored)";
  static const std::vector<Flag> t = {
      {{"-m", "--model"}, "FILE", "GGUF file or Hugging Face directory (or give it first, without -m)",
       [](FlagReader &r, ParseState &s) { return r.value(s.o.model); },
       Scope::ModelFile},
      {{"-p", "--prompt"}, "TEXT", "prompt text (special-token text is parsed)",
       [](FlagReader &r, ParseState &s) {
         std::string v;
         std::string e = r.value(v);
         s.o.prompt = v;
         return e;
       }},
      {{"-f", "--file"}, "FILE", "read the prompt text from FILE",
       [](FlagReader &r, ParseState &s) { return r.value(s.promptFile); }},
      {{"--tokens"}, "1,2,3", "prompt as token ids",
       [](FlagReader &r, ParseState &s) {
         std::string v;
         if (std::string e = r.value(v); !e.empty())
           return e;
         return parseTokenList(v, s.o.tokens);
       }},
      {{"-e", "--escape"}, "", "process escapes (\\n, \\t, \\\\, \\\", \\') in -p, -sys and -r",
       setTrue(&RunOptions::escape)},
      {{"--no-escape"}, "", "do not process escapes (the default)",
       [](FlagReader &r, ParseState &s) { return s.o.escape = false, r.none(); }},
      {{"--chat"}, "", "wrap the prompt in the chat format; print the reply",
       setTrue(&RunOptions::chat)},
      {{"-i", "--interactive", "-cnv", "--conversation"}, "",
       "chat turn by turn, reading stdin (Ctrl-D ends)",
       setTrue(&RunOptions::interactive)},
      {{"-no-cnv", "--no-conversation"}, "", "plain completion (the default)",
       [](FlagReader &r, ParseState &s) {
         return s.o.interactive = false, s.o.chat = false, r.none();
       }},
      {{"-sys", "--system-prompt"}, "TEXT", "a system turn first (with --chat / -i)",
       [](FlagReader &r, ParseState &s) { return r.value(s.o.systemPrompt); }},
      {{"--chat-template", "--chat-template-file"}, "NAME|FILE",
       "chat format: bitnet, llama3 or a Jinja template file (default: the "
       "model's)",
       [](FlagReader &r, ParseState &s) { return r.value(s.o.chatTemplate); }},
      {{"--context-shift"}, "",
       "-i: when the context fills, drop the oldest turns and go on",
       setTrue(&RunOptions::contextShift)},
      {{"--no-context-shift"}, "", "-i: end the chat when the context fills (the default)",
       [](FlagReader &r, ParseState &s) {
         return s.o.contextShift = false, r.none();
       }},
      {{"-r", "--reverse-prompt"}, "TEXT",
       "stop when the output ends with TEXT (repeatable; -i: your turn)",
       [](FlagReader &r, ParseState &s) {
         std::string v;
         std::string e = r.value(v);
         if (e.empty() && v.empty())
           return r.flag() + ": the text is empty";
         s.o.reversePrompts.push_back(v);
         return e;
       }},
      {{"--no-bos"}, "", "do not prepend <|begin_of_text|>",
       [](FlagReader &r, ParseState &s) { return s.o.bos = false, r.none(); }},
      {{"-n", "--n-predict"}, "N", "tokens to generate (default 128; -1: until end of text or context)",
       [](FlagReader &r, ParseState &s) -> std::string {
         if (std::string e = r.integer(s.o.nPredict, -1); !e.empty())
           return e;
         if (s.o.nPredict == -1)
           s.o.nPredict = INT64_MAX;
         return "";
       }},
      {{"-t", "--threads"}, "N", "threads (default: as compiled, else all hardware threads)",
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
      {{"-c", "--ctx-size"}, "N", "KV cache length (default: prompt + N)",
       [](FlagReader &r, ParseState &s) {
         return r.integer(s.o.contextSize, 1);
       }},
      {{"--temp"}, "T", "temperature (default 0 = greedy; 0.8 when another sampling flag is given)",
       [](FlagReader &r, ParseState &s) {
         s.temperatureGiven = true;
         return r.number(s.o.sampler.temperature);
       }},
      {{"--top-k"}, "K", "(default 40, 0 = off)", sampling([](FlagReader &r, ParseState &s) {
         return cappedInt(r, s.o.sampler.topK, 0, INT32_MAX);
       })},
      {{"--top-p"}, "P", "(default 0.95, 1 = off)", sampling([](FlagReader &r, ParseState &s) {
         return r.number(s.o.sampler.topP);
       })},
      {{"--min-p"}, "P", "(default 0.05, 0 = off)", sampling([](FlagReader &r, ParseState &s) {
         return r.number(s.o.sampler.minP);
       })},
      {{"--repeat-penalty"}, "R", "(default 1 = off)", sampling([](FlagReader &r, ParseState &s) {
         return r.number(s.o.sampler.repeatPenalty);
       })},
      {{"--repeat-last-n"}, "N", "(default 64)", sampling([](FlagReader &r, ParseState &s) {
         return cappedInt(r, s.o.sampler.repeatLastN, 0, INT32_MAX);
       })},
      {{"-s", "--seed"}, "S", "sampling seed (default -1: random, printed on stderr)",
       sampling([](FlagReader &r, ParseState &s) -> std::string {
         int64_t v = 0;
         if (std::string e = r.integer(v, -1); !e.empty())
           return e;
         s.o.seed = v < 0 ? std::nullopt : std::optional<uint64_t>(v);
         return "";
       })},
      {{"--lookup"}, "", "prompt-lookup decoding: draft the next tokens from an earlier occurrence of the last few, verify them in one pass (greedy only; the same output)",
       setTrue(&RunOptions::lookup)},
      {{"--draft-max", "--draft", "--draft-n"}, "N", "tokens drafted per pass with --lookup (default 7)",
       [](FlagReader &r, ParseState &s) {
         return cappedInt(r, s.o.draftMax, 1, 63);
       }},
      {{"--ignore-eos"}, "", "keep generating past end-of-text tokens",
       setTrue(&RunOptions::ignoreEos)},
      {{"--dump-logits"}, "FILE", "write every evaluated position's logits (float32 .npy)",
       [](FlagReader &r, ParseState &s) { return r.value(s.o.dumpLogits); }},
      {{"--head"}, "FORMAT", headHelp.c_str(),
       [](FlagReader &r, ParseState &s) -> std::string {
         std::string v;
         if (std::string e = r.value(v); !e.empty())
           return e;
         std::optional<HeadFormat> f = parseHeadFormat(v);
         if (!f)
           return "--head: unknown format '" + v + "' (" + headFormatNames() +
                  ")";
         s.o.head = *f;
         return "";
       },
       Scope::ModelFile},
      {{"--verbose-prompt"}, "", "print the prompt's tokens on stderr and echo it with its special tokens",
       setTrue(&RunOptions::verbosePrompt)},
      {{"--color"}, "", "on a terminal, the prompt and your turns in color",
       setTrue(&RunOptions::color)},
      {{"--quiet", "--log-disable"}, "", "no prompt echo, no timing lines",
       setTrue(&RunOptions::quiet)},
      {{"--verify"}, "", "check every byte of the weights against their checksum (each start checks 256 KiB)",
       setTrue(&RunOptions::verify), Scope::Executable},
      {{"--version"}, "", "print the version and exit",
       setTrue(&RunOptions::version)},
      {{"--info"}, "", "what this executable is: model, target, kernels, head, context, the tern compile command",
       setTrue(&RunOptions::info), Scope::Executable},
      {{"-h", "--help"}, "", "this list", setTrue(&RunOptions::help)},
      {{"--no-mmap"}, "", "compiled executables: read the weights into memory with huge pages (the default; streams at full bandwidth)",
       [](FlagReader &r, ParseState &s) { return s.o.mmap = false, r.none(); }},
      {{"--mmap"}, "", "compiled executables: map the weights from the file instead (starts at once; may stream slower)",
       [](FlagReader &r, ParseState &s) { return s.o.mmap = true, r.none(); }},
      // llama.cpp's flags with no meaning on a CPU-only runtime.
      {{"-ngl", "--gpu-layers", "--n-gpu-layers"}, "N", nullptr, ignored(true)},
      {{"--mlock"}, "", nullptr, ignored(false)},
  };
  return t;
}

bool inScope(const Flag &f, bool modelFlag) {
  return f.scope == Scope::Both ||
         (f.scope == Scope::ModelFile) == modelFlag;
}

const Flag *findFlag(const std::string &name) {
  for (const Flag &f : flagTable())
    if (std::find(f.names.begin(), f.names.end(), name) != f.names.end())
      return &f;
  return nullptr;
}

/// "\n", "\t", "\\", "\"", "\'" and "\r" as the characters they name.
std::string unescape(const std::string &s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char c = s[++i];
    switch (c) {
    case 'n': out += '\n'; break;
    case 't': out += '\t'; break;
    case 'r': out += '\r'; break;
    case '\\': out += '\\'; break;
    case '"': out += '"'; break;
    case '\'': out += '\''; break;
    default: out += '\\'; out += c; break;
    }
  }
  return out;
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
  if (o.escape) {
    if (o.prompt)
      o.prompt = unescape(*o.prompt);
    o.systemPrompt = unescape(o.systemPrompt);
    for (std::string &r : o.reversePrompts)
      r = unescape(r);
  }
  if (s.samplingGiven && !s.temperatureGiven)
    o.sampler.temperature = 0.8f;
  if (o.prompt && o.tokens)
    return "give either a prompt (-p/-f) or --tokens, not both";
  if (o.interactive && o.tokens)
    return "--interactive reads text turns; it takes no --tokens";
  if (!o.prompt && !o.tokens && !o.interactive)
    return "no prompt: use -p TEXT, -f FILE or --tokens IDS (or -i to chat)";
  if (o.tokens && o.chat)
    return "--chat needs a text prompt, not --tokens";
  if (!o.systemPrompt.empty() && !o.chat && !o.interactive)
    return "-sys needs a chat: add --chat (one reply) or -i (turn by turn)";
  if (s.modelFlag && o.model.empty())
    return "no model: use -m MODEL";
  return checkSamplerOptions(o.sampler);
}

} // namespace

std::string runUsage(const std::string &program, bool modelFlag) {
  std::string u = "usage: " + program + (modelFlag ? " -m MODEL" : "") +
                  " (-p TEXT | -f FILE | --tokens IDS | -i) [options]\n";
  std::vector<std::string> ignoredNames;
  for (const Flag &f : flagTable()) {
    if (!inScope(f, modelFlag))
      continue;
    if (!f.help) {
      ignoredNames.push_back(f.names[0]);
      continue;
    }
    u += flagHelpLine(f.names, f.value, f.help);
  }
  std::string list;
  for (const std::string &n : ignoredNames)
    list += (list.empty() ? "" : ", ") + n;
  u += "  accepted and ignored (llama.cpp's, no meaning here): " + list + "\n";
  if (!modelFlag)
    u += "\n  " + program + " serve --help        an OpenAI-compatible "
         "server\n"
         "  " + program + " bench --help        speed and memory\n"
         "  " + program + " perplexity --help   perplexity of a text, KL "
         "divergence against a base\n";
  return u;
}

OrError<RunOptions> parseRunOptions(const std::vector<std::string> &args,
                                    bool modelFlag) {
  using R = OrError<RunOptions>;
  ParseState s;
  s.modelFlag = modelFlag;
  FlagReader r(args);
  bool first = true;
  while (r.next()) {
    const std::string flag = r.flag();
    const bool bare = flag.empty() || flag[0] != '-' || flag == "-";
    // `tern run MODEL -p ...`: the model may come first, without -m.
    if (first && bare && modelFlag) {
      s.o.model = flag;
      first = false;
      continue;
    }
    first = false;
    const Flag *f = findFlag(flag);
    if (!f)
      return R::failure(!bare ? "unknown flag '" + flag + "' (see --help)"
                              : "unexpected argument '" + flag +
                                    "' (the prompt goes after -p)");
    if (!inScope(*f, modelFlag))
      return R::failure(
          f->scope == Scope::ModelFile
              ? (flag == "--head"
                     ? "--head applies to model files; a compiled "
                       "executable's head format is set by 'tern compile "
                       "--head'"
                     : flag + ": this executable has its model built in")
              : flag == "--info"
                    ? "--info describes a compiled executable; for a model "
                      "file use 'tern inspect MODEL'"
                    : "--verify checks a compiled executable's appended "
                      "weights; model files are checked as they load");
    if (std::string err = f->apply(r, s); !err.empty())
      return R::failure(err);
  }
  if (s.o.help || s.o.version || s.o.info)
    return R(std::move(s.o));
  if (std::string err = finish(s); !err.empty())
    return R::failure(err);
  return R(std::move(s.o));
}

} // namespace tern
