//===- Server.h - `tern serve` and `./exe serve` --------------------------===//
//
// An OpenAI-compatible HTTP server (cpp-httplib) over any run backend:
//   POST /v1/chat/completions, /v1/completions  (streamed as server-sent
//        events with "stream": true, else one JSON object)
//   GET  /v1/models, /health, /metrics (Prometheus text), / (a chat page)
// Requests run in the continuous-batching scheduler (Scheduler.h); errors
// are OpenAI error objects with their HTTP status (400 bad request or a
// prompt longer than the context, 401 wrong API key, 503 queue full or
// shutting down). Binds 127.0.0.1 unless --host says otherwise. SIGTERM or
// SIGINT: new requests get 503, the ones in flight finish, then it exits.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SERVE_SERVER_H
#define TERN_RUNTIME_SERVE_SERVER_H

#include "runtime/generate/RunCli.h"

#include <optional>
#include <string>
#include <vector>

namespace tern {

struct ServeOptions {
  std::string model; ///< tern serve: -m MODEL
  std::string host = "127.0.0.1";
  int port = 8080; ///< 0: any free port (printed)
  std::string apiKey;
  std::string alias; ///< the model's name in responses ("" : file name)
  int64_t slots = 4;
  int64_t queueLimit = 64;
  int64_t contextSize = 0; ///< per slot; 0: the model's, at most 4096
  int64_t prefillChunk = 256;
  bool lookup = false;  ///< --lookup
  int64_t draftMax = 7; ///< --draft-max
  int threads = 0;
  int httpThreads = 0; ///< 0: slots + queue + 4
  int64_t defaultMaxTokens = -1; ///< -n; -1: until the context is full
  SamplerOptions sampler;        ///< defaults for requests
  std::string chatTemplate;
  HeadFormat head = HeadFormat::Native;
  bool verify = false;
  std::optional<bool> mmap; ///< --mmap / --no-mmap (RunOptions::mmap)
  bool help = false;
};

OrError<ServeOptions> parseServeOptions(const std::vector<std::string> &args,
                                        bool modelFlag);
std::string serveUsage(const std::string &program, bool modelFlag);

/// `tern serve` (modelFlag: -m MODEL) and `./exe serve`: parses `args`,
/// loads the backend with `load` and serves until SIGTERM / SIGINT.
int serveMain(const std::string &program, const std::vector<std::string> &args,
              bool modelFlag, const RunBackendLoader &load);

} // namespace tern

#endif // TERN_RUNTIME_SERVE_SERVER_H
