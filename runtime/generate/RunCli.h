//===- RunCli.h - The `run` command line, shared by every backend ----------===//
//
// `tern run` (reference forward pass) and executables built by
// `tern compile` take the same generation flags; this file parses them and
// runs the session, so both behave identically:
//
//   -m, --model FILE        model (GGUF file or Hugging Face directory)
//   -p, --prompt TEXT       prompt text (special-token text is parsed)
//   -f, --file FILE         prompt text from a file
//       --tokens 1,2,3      prompt as token ids instead of text
//       --chat              wrap the prompt in the 2B4T chat format
//   -i, --interactive       chat: read user turns from stdin (an optional
//                           -p is the first turn), reply to each, keep the
//                           conversation in the KV cache
//       --no-bos            do not start the prompt with <|begin_of_text|>
//   -n, --n-predict N       tokens to generate (default 128)
//   -t, --threads N         threads (default: the model's, else all hardware threads)
//   -c, --ctx-size N        KV cache length (default: prompt + N, at most
//                           the model's context length)
//       --temp T            temperature (default 0: greedy)
//       --top-k K --top-p P --min-p P --repeat-penalty R
//       --repeat-last-n N --seed S
//       --ignore-eos        do not stop at <|end_of_text|> / <|eot_id|>
//       --dump-logits FILE  write the logits of every evaluated position
//                           as float32 .npy [positions, vocab]
//       --quiet             no prompt echo and no timing lines
//   -h, --help
//
// Text goes to stdout as it is generated (whole UTF-8 characters); the
// timing lines ("prompt: 7 tokens in 0.05 s, 140.0 tokens/s" and
// "generation: ...") go to stderr.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_GENERATE_RUNCLI_H
#define TERN_RUNTIME_GENERATE_RUNCLI_H

#include "runtime/generate/LanguageModel.h"
#include "runtime/generate/Sampler.h"
#include "runtime/model/OrError.h"
#include "runtime/model/HeadFormat.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tern {

struct RunOptions {
  std::string model;
  std::optional<std::string> prompt;
  std::optional<std::vector<TokenId>> tokens;
  bool chat = false;
  bool interactive = false;
  bool bos = true;
  int64_t nPredict = 128;
  int threads = 0; ///< 0: hardware threads.
  int64_t contextSize = 0;
  SamplerOptions sampler;
  bool ignoreEos = false;
  std::string dumpLogits;
  /// Head format for a model file (--head; compiled executables carry
  /// theirs from `tern compile --head`).
  HeadFormat head = HeadFormat::Native;
  bool quiet = false;
  /// Compiled executables: check every byte of the weights' checksum.
  bool verify = false;
  bool help = false;
};

/// Parses the flags above (`args` without the program name). With
/// `modelFlag` false, -m is rejected (a compiled executable carries its
/// model). Errors name the flag and the bad value.
OrError<RunOptions> parseRunOptions(const std::vector<std::string> &args,
                                    bool modelFlag);

/// The flag list printed by --help.
std::string runUsage(const std::string &program, bool modelFlag);

/// What a backend provides to a run session.
class RunBackend {
public:
  virtual ~RunBackend() = default;
  virtual const ModelConfig &config() const = 0;
  /// The longest KV cache instantiate() accepts (default: the model's
  /// context length; a compiled executable's is fixed at compile time).
  virtual int64_t maxContext() const { return config().maxPositions; }
  /// Threads when -t is not given (0: all hardware threads).
  virtual int defaultThreads() const { return 0; }
  /// Bytes of weights read per decoded token (0: unknown): bench's
  /// bandwidth roofline.
  virtual uint64_t weightBytesPerToken() const { return 0; }
  /// The tokenizer, or null when the model has none (then only --tokens
  /// works and output is token ids).
  virtual const Tokenizer *tokenizer() const = 0;
  /// A model with a KV cache of `contextSize` tokens using `threads`.
  virtual OrError<std::unique_ptr<LanguageModel>>
  instantiate(int threads, int64_t contextSize) = 0;
};

/// `requested` threads (-t), else the backend's default (a compiled
/// executable's --threads), else every hardware thread.
int resolveThreads(int requested, const RunBackend &b);

/// Runs `body` (a command's whole work), turning an exception that escapes
/// it (out of memory in an allocation no check foresaw) into
/// "<program>: error: ..." and status 1.
int runGuarded(const std::string &program, const std::function<int()> &body);

using RunBackendLoader =
    std::function<OrError<std::unique_ptr<RunBackend>>(const RunOptions &)>;

/// Parses `args`, loads the backend, generates. Returns the exit code;
/// errors are printed to stderr as "<program>: error: ...".
int runMain(const std::string &program, const std::vector<std::string> &args,
            bool modelFlag, const RunBackendLoader &load);

/// `tern bench MODEL` / `./OUT bench`, in the spirit of llama-bench:
///   [-p N] prompt tokens (default 128)  [-n N] generated tokens (32)
///   [-t N] threads  [-r N] timed repetitions (5, after one warm-up)
/// prints prompt-processing and generation tokens/s (median, min - max),
/// peak memory, the measured memory read bandwidth, and generation as a
/// fraction of the bandwidth roofline when the backend knows its bytes per
/// token.
struct BenchOptions {
  std::string model;
  int64_t promptTokens = 128;
  int64_t genTokens = 32;
  int threads = 0;
  int reps = 5;
  bool help = false;
};
OrError<BenchOptions> parseBenchOptions(const std::vector<std::string> &args,
                                        bool modelArg);
int benchMain(const std::string &program, const std::vector<std::string> &args,
              bool modelArg, const RunBackendLoader &load);

} // namespace tern

#endif // TERN_RUNTIME_GENERATE_RUNCLI_H
