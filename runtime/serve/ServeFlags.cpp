//===- ServeFlags.cpp - The `serve` flags: one table, parsing and --help --===//
//
// Spellings are llama-server's where it has the same setting (--host,
// --port, --api-key, -np/--parallel, -c, -t, -n, -a/--alias,
// --chat-template, --temp, --top-k, --top-p, --min-p).
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/ChatTemplate.h"
#include "runtime/generate/FlagReader.h"
#include "runtime/serve/Server.h"

#include <functional>

namespace tern {

namespace {

using Apply = std::function<std::string(FlagReader &, ServeOptions &)>;

struct ServeFlag {
  std::vector<std::string> names;
  const char *value;
  const char *help;
  Apply apply;
  bool modelFileOnly = false;
};

Apply intField(int64_t ServeOptions::*f, int64_t min, int64_t max) {
  return [=](FlagReader &r, ServeOptions &o) -> std::string {
    if (std::string e = r.integer(o.*f, min); !e.empty())
      return e;
    if (o.*f > max)
      return r.flag() + ": " + r.last() + " is above the maximum " +
             std::to_string(max);
    return "";
  };
}

Apply floatField(float SamplerOptions::*f) {
  return [=](FlagReader &r, ServeOptions &o) {
    return r.number(o.sampler.*f);
  };
}

const std::vector<ServeFlag> &serveFlags() {
  static const std::string headHelp =
      "head format of a model file: " + headFormatNames();
  static const std::vector<ServeFlag> t = {
      {{"-m", "--model"}, "FILE", "GGUF file or Hugging Face directory",
       [](FlagReader &r, ServeOptions &o) { return r.value(o.model); },
       true},
      {{"--host"}, "ADDR", "address to listen on (default 127.0.0.1)",
       [](FlagReader &r, ServeOptions &o) { return r.value(o.host); }},
      {{"--port"}, "N", "port (default 8080; 0: any free port, printed)",
       [](FlagReader &r, ServeOptions &o) -> std::string {
         int64_t v = 0;
         if (std::string e = r.integer(v, 0); !e.empty())
           return e;
         if (v > 65535)
           return r.flag() + ": " + r.last() + " is not a port (0..65535)";
         o.port = static_cast<int>(v);
         return "";
       }},
      {{"--api-key"}, "KEY",
       "require 'Authorization: Bearer KEY' (401 otherwise)",
       [](FlagReader &r, ServeOptions &o) { return r.value(o.apiKey); }},
      {{"-a", "--alias"}, "NAME", "the model's name in responses and /v1/models",
       [](FlagReader &r, ServeOptions &o) { return r.value(o.alias); }},
      {{"-np", "--parallel"}, "N",
       "sequences decoded together (slots; default 4)",
       intField(&ServeOptions::slots, 1, 256)},
      {{"--queue"}, "N",
       "requests waiting for a slot before 503 (default 64)",
       intField(&ServeOptions::queueLimit, 0, 1 << 20)},
      {{"-c", "--ctx-size"}, "N",
       "context per slot (default: the model's, at most 4096)",
       intField(&ServeOptions::contextSize, 1, INT32_MAX)},
      {{"-b", "--batch-size"}, "N",
       "prompt tokens evaluated between decode steps (default 256)",
       intField(&ServeOptions::prefillChunk, 1, 1 << 20)},
      {{"-t", "--threads"}, "N", "threads (default: all)",
       [](FlagReader &r, ServeOptions &o) -> std::string {
         int64_t v = 0;
         if (std::string e = r.integer(v, 1); !e.empty())
           return e;
         if (v > 1024)
           return r.flag() + ": " + r.last() + " is above the maximum 1024";
         o.threads = static_cast<int>(v);
         return "";
       }},
      {{"-n", "--n-predict"}, "N",
       "max_tokens when a request gives none (default -1: until the "
       "context is full)",
       intField(&ServeOptions::defaultMaxTokens, -1, INT64_MAX)},
      {{"--temp"}, "T", "default temperature (0.8; 0: greedy)",
       floatField(&SamplerOptions::temperature)},
      {{"--top-k"}, "K", "default top-k (40; 0: off)",
       [](FlagReader &r, ServeOptions &o) -> std::string {
         int64_t v = 0;
         if (std::string e = r.integer(v, 0); !e.empty())
           return e;
         o.sampler.topK = static_cast<int32_t>(std::min<int64_t>(v, 1 << 30));
         return "";
       }},
      {{"--top-p"}, "P", "default top-p (0.95)",
       floatField(&SamplerOptions::topP)},
      {{"--min-p"}, "P", "default min-p (0.05)",
       floatField(&SamplerOptions::minP)},
      {{"--chat-template"}, "NAME|FILE",
       "chat format (default: the model's)",
       [](FlagReader &r, ServeOptions &o) { return r.value(o.chatTemplate); }},
      {{"--head"}, "FORMAT", headHelp.c_str(),
       [](FlagReader &r, ServeOptions &o) -> std::string {
         std::string v;
         if (std::string e = r.value(v); !e.empty())
           return e;
         std::optional<HeadFormat> f = parseHeadFormat(v);
         if (!f)
           return r.flag() + ": '" + v + "' is not " + headFormatNames();
         o.head = *f;
         return "";
       },
       true},
      {{"--verify"}, "", "check every byte of the weights' checksum first",
       [](FlagReader &r, ServeOptions &o) {
         return o.verify = true, r.none();
       }},
      {{"--lookup"}, "",
       "prompt-lookup decoding for a greedy request generating alone "
       "(drafts from its context, verified in one pass; the same output)",
       [](FlagReader &r, ServeOptions &o) {
         return o.lookup = true, r.none();
       }},
      {{"--draft-max", "--draft", "--draft-n"}, "N",
       "tokens drafted per pass with --lookup (default 7)",
       intField(&ServeOptions::draftMax, 1, 63)},
      {{"--no-mmap"}, "",
       "compiled executables: read the weights into memory with huge pages "
       "(the default)",
       [](FlagReader &r, ServeOptions &o) { return o.mmap = false, r.none(); }},
      {{"--mmap"}, "",
       "compiled executables: map the weights from the file instead",
       [](FlagReader &r, ServeOptions &o) { return o.mmap = true, r.none(); }},
      {{"-h", "--help"}, "", "this help",
       [](FlagReader &r, ServeOptions &o) { return o.help = true, r.none(); }},
  };
  return t;
}

} // namespace

OrError<ServeOptions> parseServeOptions(const std::vector<std::string> &args,
                                        bool modelFlag) {
  using R = OrError<ServeOptions>;
  ServeOptions o;
  o.sampler.temperature = 0.8f;
  std::vector<std::string> a = args;
  // The model may come first: tern serve MODEL [flags].
  if (modelFlag && !a.empty() && !a[0].empty() && a[0][0] != '-') {
    o.model = a[0];
    a.erase(a.begin());
  }
  FlagReader r(a);
  while (r.next()) {
    const ServeFlag *flag = nullptr;
    for (const ServeFlag &f : serveFlags())
      if ((modelFlag || !f.modelFileOnly) &&
          std::find(f.names.begin(), f.names.end(), r.flag()) != f.names.end())
        flag = &f;
    if (!flag)
      return R::failure("unknown flag '" + escapeForMessage(r.flag()) +
                        "' (see --help)");
    if (std::string e = flag->apply(r, o); !e.empty())
      return R::failure(e);
  }
  if (o.help)
    return R(o);
  if (modelFlag && o.model.empty())
    return R::failure("no model: use -m MODEL");
  if (std::string e = checkSamplerOptions(o.sampler); !e.empty())
    return R::failure(e);
  if (o.defaultMaxTokens == -1)
    o.defaultMaxTokens = INT64_MAX;
  return R(o);
}

std::string serveUsage(const std::string &program, bool modelFlag) {
  std::string u = "usage: " + program + (modelFlag ? " -m MODEL" : "") +
                  " [options]\n\nAn OpenAI-compatible server: POST "
                  "/v1/chat/completions, /v1/completions; GET /v1/models, "
                  "/health, /metrics, and a chat page at /.\n\n";
  for (const ServeFlag &f : serveFlags()) {
    if (f.modelFileOnly && !modelFlag)
      continue;
    u += flagHelpLine(f.names, f.value, f.help);
  }
  u += "\nChat formats: " + ChatTemplate::names() + "\n";
  return u;
}

} // namespace tern
