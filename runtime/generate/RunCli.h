//===- RunCli.h - The `run` command line, shared by every backend ----------===//
//
// `tern run` (reference forward pass) and executables built by
// `tern compile` take the same generation flags; RunFlags.cpp holds them
// in one table (Tern's spellings and llama.cpp's: -n -1, -s/--seed -1,
// -e, -cnv, -no-cnv, -sys, -r, --color; -ngl and the like are accepted and
// ignored with a note), parses them and prints --help from the table;
// RunCli.cpp runs the session, so both backends behave identically.
//
// stdout carries only text a user pipes: the prompt (without special
// tokens; none with --quiet, or --chat, whose reply alone is printed) and
// the generation. --verbose-prompt shows the prompt's tokens on stderr and
// echoes it with its special tokens. The seed of a sampled run and the
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
  /// -sys: a system turn before the first user turn (chats only).
  std::string systemPrompt;
  /// --chat-template: a built-in format name or a template file ("" : the
  /// model's; ChatTemplate.h).
  std::string chatTemplate;
  /// -i: when the conversation outgrows the context, drop the oldest turns.
  bool contextShift = false;
  /// -r: generation stops when the text ends with one of these.
  std::vector<std::string> reversePrompts;
  bool escape = false;
  bool bos = true;
  int64_t nPredict = 128;
  int threads = 0; ///< 0: hardware threads.
  int64_t contextSize = 0;
  /// sampler.seed comes from here; none (the default, or -1): random.
  std::optional<uint64_t> seed;
  SamplerOptions sampler;
  bool ignoreEos = false;
  /// --lookup: prompt-lookup decoding (Generate.h's draftMax) with up to
  /// draftMax drafted tokens per pass.
  bool lookup = false;
  int64_t draftMax = 7;
  std::string dumpLogits;
  /// Head format for a model file (--head; compiled executables carry
  /// theirs from `tern compile --head`).
  HeadFormat head = HeadFormat::Native;
  bool quiet = false;
  bool verbosePrompt = false;
  bool color = false;
  /// llama.cpp flags accepted without effect (-ngl ...), for one note.
  std::vector<std::string> ignoredFlags;
  /// Compiled executables: check every byte of the weights' checksum.
  bool verify = false;
  /// Compiled executables: --mmap (true) maps the weights from the file,
  /// --no-mmap (false) reads them into memory; neither: HeldWeights.h's
  /// default.
  std::optional<bool> mmap;
  bool help = false;
  bool version = false;
  /// Compiled executables: describe the executable (--info) and exit.
  bool info = false;
};

/// Parses the flags above (`args` without the program name). With
/// `modelFlag` false, -m is rejected (a compiled executable carries its
/// model). Errors name the flag and the bad value.
OrError<RunOptions> parseRunOptions(const std::vector<std::string> &args,
                                    bool modelFlag);

/// The flag list printed by --help.
std::string runUsage(const std::string &program, bool modelFlag);

/// How parallel regions of generated code split their items (bench
/// --split; RunBackend::setSplit).
enum class Split { balanced, coarse, static_ };

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
  /// How the weights are held in memory (HeldWeights::describe; "" for
  /// the reference, which holds its own unpacked copy).
  virtual std::string weightHolding() const { return ""; }
  /// The weights the forward pass streams, as held (empty when unknown):
  /// bench measures the read bandwidth over them.
  struct WeightSpan {
    const uint8_t *data = nullptr;
    uint64_t size = 0;
  };
  virtual WeightSpan heldWeights() const { return {}; }
  /// Parallel regions run so far (compiled code: tern_parallel_for calls,
  /// each a hand-off to the thread pool and a wait for it); 0 when not
  /// counted. Bench reports them per decoded token.
  virtual uint64_t parallelRegions() const { return 0; }
  /// Nanoseconds spent inside those regions so far, from each call to its
  /// return; 0 when not counted. The rest of a decoded token's time is the
  /// calling thread's alone (layer code between regions, the runtime's
  /// own steps), which bench reports as a fraction.
  virtual uint64_t parallelRegionNanos() const { return 0; }
  /// Thread time inside those regions, in nanoseconds so far, that threads
  /// spent out of work, waiting for the region's last thread
  /// (ThreadPool::idleNanos); 0 when not counted.
  virtual uint64_t parallelIdleNanos() const { return 0; }
  /// How parallel regions split their items among the threads (bench
  /// --split; tern_abi.h's tern_parallel_for): as compiled (balanced), in
  /// the compiled blocks per thread without the largest-block bound
  /// (coarse), or each thread its own part (static_). The last two are
  /// baselines to measure against. False when the backend has no parallel
  /// regions of generated code.
  virtual bool setSplit(Split) { return false; }
  /// The tokenizer, or null when the model has none (then only --tokens
  /// works and output is token ids).
  virtual const Tokenizer *tokenizer() const = 0;
  /// The model's chat template (Jinja source; "" when it has none).
  virtual std::string chatTemplate() const { return ""; }
  /// What --info prints (compiled executables: PayloadFile.h's
  /// describePayload); "" when the backend has nothing to say.
  virtual std::string describe() const { return ""; }
  /// A model with `sequences` KV caches of `contextSize` tokens each,
  /// using `threads`.
  virtual OrError<std::unique_ptr<LanguageModel>>
  instantiate(int threads, int64_t contextSize, int64_t sequences) = 0;
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

/// `load(options)`, with a note on stderr when --mmap or --no-mmap was
/// given to a backend that holds no weights of its own layout (the
/// reference unpacks them). What run, serve and bench load through.
OrError<std::unique_ptr<RunBackend>>
loadRunBackend(const std::string &program, const RunOptions &options,
               const RunBackendLoader &load);

/// Parses `args`, loads the backend, generates. Returns the exit code;
/// errors are printed to stderr as "<program>: error: ...".
int runMain(const std::string &program, const std::vector<std::string> &args,
            bool modelFlag, const RunBackendLoader &load);

/// `tern bench MODEL` / `./OUT bench` with llama-bench's flags (BenchCli.cpp):
/// -p/-n comma lists (0: skip), -pg PP,TG, -t list, -r, -o md|json|csv,
/// and -np N,... streams decoded together.
struct BenchOptions {
  std::string model;
  std::vector<int64_t> prompts = {128};
  std::vector<int64_t> gens = {32};
  std::vector<std::pair<int64_t, int64_t>> pg;
  /// -d: tokens already in the cache before each test (llama-bench's
  /// --n-depth).
  std::vector<int64_t> depths = {0};
  std::vector<int64_t> threadList = {0}; ///< 0: the backend's default
  std::vector<int64_t> streams = {1};
  int reps = 5;
  std::string output = "md";
  /// -mmp 1 / --mmap: weights mapped from the file; -mmp 0 / --no-mmap:
  /// read into memory; neither: HeldWeights.h's default.
  std::optional<bool> mmap;
  /// --split: how parallel regions split their items (RunBackend::setSplit);
  /// default: as compiled (balanced).
  Split split = Split::balanced;
  /// --llc BYTES: the last-level cache size that decides whether the
  /// weights lie beyond the caches (then the bandwidth is measured over
  /// them, alternating with decode repetitions); default: what Linux
  /// reports (a VM may report none or a host's).
  std::optional<uint64_t> llcBytes;
  bool help = false;
};
OrError<BenchOptions> parseBenchOptions(const std::vector<std::string> &args,
                                        bool modelArg);
int benchMain(const std::string &program, const std::vector<std::string> &args,
              bool modelArg, const RunBackendLoader &load);

} // namespace tern

#endif // TERN_RUNTIME_GENERATE_RUNCLI_H
