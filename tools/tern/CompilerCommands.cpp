//===- CompilerCommands.cpp - tern's subcommands over the compiler --------===//
//
//   tern compile    MODEL -o OUT [--target T] [--emit E] [--ctx N]
//                   [--tuning-db FILE] [--packing P] [--head H]
//                   [--threads N] [--weights-file] [--print-ir-after-all]
//   tern tune       [MODEL] [--shapes MxNxK,...] [--prefill P] [--budget S]
//                   [--target T] [--search-decode] [--retune]
//                   [--check-rounds N] -o tuning.json
//   tern kernels    [--markdown]   (the kernel-family and packing registries)
//
//===----------------------------------------------------------------------===//

#include "tools/tern/Driver.h"

#include <unistd.h>

#include "compiler/Driver/CompileModel.h"
#include "compiler/Import/ModelImporter.h"
#include "compiler/Packings/Packing.h"
#include "compiler/Target/Target.h"
#include "compiler/Tuning/KernelJit.h"
#include "compiler/Tuning/ExecutableCheck.h"
#include "compiler/Tuning/Tuner.h"
#include "runtime/model/HeadFormat.h"
#include "runtime/model/Model.h"
#include "runtime/support/ThreadPool.h"
#include "tools/tern/KernelsListing.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace cl = llvm::cl;
using tern::cli::fail;

static cl::OptionCategory &ternCategory = tern::cli::category();

static cl::SubCommand compileCmd("compile",
                                 "Compile a model to a native executable");
static cl::SubCommand kernelsCmd(
    "kernels", "List the kernel families and weight packings Tern generates "
               "code for, and which this machine runs");
static cl::opt<bool> kernelsMarkdown(
    "markdown", cl::desc("As the Markdown of docs/kernels.md"),
    cl::sub(kernelsCmd), cl::cat(ternCategory));

// Help texts listing what the registries and the target table hold.
static const std::string kTargetHelp =
    mlir::tern::supportedTargets() + " (default: native)";
static const std::string kEmitHelp =
    "graph (the imported network) | mlir (layouts and kernels chosen, "
    "weights planned) | lowered | llvm | asm | obj | exe (default)";
static const std::string kPackingHelp =
    "Store ternary weights in this packing (" + mlir::tern::packingNames() +
    "; one block per row) wherever a kernel family of the target reads it "
    "(tern kernels lists which); a --tuning-db's choices come first; "
    "default: the target's defaults";
static cl::SubCommand tuneCmd("tune",
                              "Time generated kernels on this CPU and record "
                              "the fastest per matmul shape (tuning.json)");
static cl::opt<std::string> compileModel(cl::Positional, cl::Required,
                                         cl::desc("MODEL"), cl::sub(compileCmd));
static cl::opt<std::string> compileOut("o", cl::desc("Output file"),
                                       cl::value_desc("OUT"), cl::Required,
                                       cl::sub(compileCmd),
                                       cl::cat(ternCategory));
static cl::opt<std::string> compileTarget("target", cl::desc(kTargetHelp),
                                          cl::init("native"),
                                          cl::sub(compileCmd),
                                          cl::cat(ternCategory));
static cl::opt<std::string> compileEmit("emit", cl::desc(kEmitHelp),
                                        cl::init("exe"), cl::sub(compileCmd),
                                        cl::cat(ternCategory));
static cl::opt<bool> compileWeightsFile(
    "weights-file",
    cl::desc("Write the weights to OUT.weights instead of appending them"),
    cl::sub(compileCmd), cl::cat(ternCategory));
static cl::opt<int64_t> compileCtx(
    "ctx", cl::desc("KV cache length compiled in (default: the model's)"),
    cl::init(0), cl::sub(compileCmd), cl::cat(ternCategory));
static cl::opt<int64_t> compilePrefill(
    "prefill",
    cl::desc("Tokens per prefill call (default 64; 0: decode only)"),
    cl::init(-1), cl::sub(compileCmd), cl::cat(ternCategory));
static cl::opt<int64_t> compileBatch(
    "batch",
    cl::desc("Largest batch of the batched decode entry points, powers of "
             "two from 2 (default 16; 0: none); serve decodes that many "
             "streams per step"),
    cl::init(16), cl::sub(compileCmd), cl::cat(ternCategory));
static cl::opt<bool> compilePrintIr("print-ir-after-all",
                                    cl::desc("Print the IR after every pass"),
                                    cl::sub(compileCmd),
                                    cl::cat(ternCategory));
static cl::opt<bool> compileTimings("time",
                                    cl::desc("Print the time of each stage"),
                                    cl::sub(compileCmd),
                                    cl::cat(ternCategory));
static cl::opt<cl::boolOrDefault> compileProgress(
    "progress",
    cl::desc("One stderr line that follows the stages, then what was written "
             "and in how long (default: when stderr is a terminal)"),
    cl::sub(compileCmd), cl::cat(ternCategory));
static cl::opt<std::string> compileTuningDb(
    "tuning-db",
    cl::desc("Kernel choices per matmul shape for the target CPU (written "
             "by tern tune; default: the built-in choices)"),
    cl::value_desc("FILE"), cl::sub(compileCmd), cl::cat(ternCategory));
static cl::opt<int64_t> compileThreads(
    "threads",
    cl::desc("Default thread count of the executable (its -t overrides; "
             "default: all hardware threads)"),
    cl::init(0), cl::sub(compileCmd), cl::cat(ternCategory));
static const std::string kHeadHelp =
    "Output head format (default native): " + tern::headFormatHelp();
static cl::opt<std::string> compileHead(
    "head", cl::desc(kHeadHelp),
    cl::value_desc("FORMAT"), cl::init("native"), cl::sub(compileCmd),
    cl::cat(ternCategory));
static cl::opt<std::string> compilePacking("packing", cl::desc(kPackingHelp),
                                           cl::value_desc("PACKING"),
                                           cl::sub(compileCmd),
                                           cl::cat(ternCategory));
static cl::opt<int64_t> compilePrefetch(
    "prefetch",
    cl::desc("Bytes ahead in the weight stream that matmul kernels and the "
             "output head prefetch (default: the target's, 5120 on x86-64 and "
             "0 elsewhere; 0: none)"),
    cl::value_desc("BYTES"), cl::init(-1), cl::sub(compileCmd),
    cl::cat(ternCategory));
static cl::opt<int64_t> compilePrefetchLocality(
    "prefetch-locality",
    cl::desc("LLVM's locality hint of those prefetches, 0 to 3 (default: the "
             "target's, 3 = into L1 on AMD Zen, 1 = towards the outer caches "
             "elsewhere)"),
    cl::value_desc("L"), cl::init(-1), cl::sub(compileCmd),
    cl::cat(ternCategory));
static const std::string compileAttentionStagedFromDesc =
    "Attended positions from which decode attention runs in three parallel "
    "stages: scores over blocks of positions, softmax per head, output over "
    "groups of lanes (default " +
    std::to_string(mlir::tern::kDefaultAttentionStagedFrom) + "; 0: never)";
static cl::opt<int64_t> compileAttentionStagedFrom(
    "attention-staged-from", cl::desc(compileAttentionStagedFromDesc),
    cl::value_desc("N"), cl::init(mlir::tern::kDefaultAttentionStagedFrom),
    cl::sub(compileCmd),
    cl::cat(ternCategory));
static const std::string compileAttentionValuePanelDesc =
    "Lanes per panel of the value cache, a multiple of 16 dividing the head "
    "width: each kv head's value rows stored as panels of P lanes, a "
    "panel's positions together, so that decode attention's output reads "
    "them in order (default " +
    std::to_string(mlir::tern::kDefaultValuePanel) + "; 0: whole rows)";
static cl::opt<int64_t> compileAttentionValuePanel(
    "attention-value-panel", cl::desc(compileAttentionValuePanelDesc),
    cl::value_desc("P"), cl::init(mlir::tern::kDefaultValuePanel),
    cl::sub(compileCmd), cl::cat(ternCategory));
static cl::opt<bool> compileFuse(
    "fuse-projections",
    cl::desc("Compute q/k/v and gate/up as one matmul each (one activation "
             "quantization and one parallel call instead of three and two; "
             "default true; tune with the same setting)"),
    cl::init(true), cl::sub(compileCmd), cl::cat(ternCategory));
static cl::opt<bool> compileFuseRope(
    "fuse-rope-attention",
    cl::desc("Rotate decode's query and key heads and store the new cache "
             "rows in the attention's parallel items rather than on the "
             "calling thread before them (same logits; default true)"),
    cl::init(true), cl::sub(compileCmd), cl::cat(ternCategory));
static cl::opt<bool> compileRowPrologues(
    "row-prologues",
    cl::desc("Compute decode's RMSNorm and quantization on each thread of "
             "the matmul that reads them rather than on the calling thread "
             "between the two parallel regions (same logits; default true)"),
    cl::init(true), cl::sub(compileCmd), cl::cat(ternCategory));
static cl::opt<std::string> compileRuntimeDir(
    "runtime-lib-dir", cl::desc("Where the runtime libraries are"),
    cl::init(TERN_RUNTIME_LIB_DIR), cl::sub(compileCmd),
    cl::cat(ternCategory));

static cl::opt<std::string> compileCrossRuntimeDir(
    "cross-runtime-lib-dir",
    cl::desc("Where the runtime libraries for a cross target's architecture "
             "are (default: <build>-<arch>/lib, as tools/setup.sh builds "
             "them)"),
    cl::sub(compileCmd), cl::cat(ternCategory));

static cl::opt<std::string> tuneModel(cl::Positional, cl::Optional,
                                      cl::desc("[MODEL]"), cl::sub(tuneCmd));
static cl::opt<std::string> tuneOut("o", cl::desc("Tuning database to write "
                                                  "(extended if it exists)"),
                                    cl::value_desc("tuning.json"),
                                    cl::Required, cl::sub(tuneCmd),
                                    cl::cat(ternCategory));
static cl::list<std::string>
    tuneShapes("shapes", cl::CommaSeparated,
               cl::desc("Matmul shapes MxNxK (M token rows, N outputs, K "
                        "inputs), instead of or besides MODEL's"),
               cl::value_desc("MxNxK,..."), cl::sub(tuneCmd),
               cl::cat(ternCategory));
static cl::opt<int64_t> tunePrefill(
    "prefill", cl::desc("MODEL's prefill rows to tune for (default 64, as "
                        "tern compile; 0: decode only)"),
    cl::init(mlir::tern::kDefaultPrefillRows), cl::sub(tuneCmd),
    cl::cat(ternCategory));
static cl::opt<double> tuneBudget(
    "budget", cl::desc("Seconds of screening, shared by the shapes "
                       "(default: no limit; each shape still gets its "
                       "default timed; the model-step rounds of the "
                       "finalists come on top)"),
    cl::init(0), cl::sub(tuneCmd), cl::cat(ternCategory));
static cl::opt<bool> tuneVerbose("verbose",
                                 cl::desc("Print every candidate's time"),
                                 cl::sub(tuneCmd), cl::cat(ternCategory));
static cl::opt<int> tuneThreads(
    "threads",
    cl::desc("Threads to time the kernels on, their columns split as the "
             "executable splits them (default: all hardware threads, the "
             "executables' default)"),
    cl::init(0), cl::sub(tuneCmd), cl::cat(ternCategory));
static cl::opt<std::string> tuneTarget(
    "target",
    cl::desc("Tune the kernels of this tern compile --target (native, "
             "x86-64-v3, x86-64-v4, a CPU name, ...; default native): its "
             "kernel families, keyed by its CPU name; this CPU must run "
             "them"),
    cl::init("native"), cl::sub(tuneCmd), cl::cat(ternCategory));
static cl::opt<bool> tuneSearchDecode(
    "search-decode",
    cl::desc("With --shapes and no MODEL (or --check-rounds 0): also search "
             "decode (M = 1) kernels (default there: decode keeps the "
             "default, as model-step timings misjudged decode; with a MODEL "
             "decode is searched and judged in the executable)"),
    cl::sub(tuneCmd), cl::cat(ternCategory));
static cl::opt<int> tuneCheckRounds(
    "check-rounds",
    cl::desc("With a MODEL: compile it with and without the tuned choices "
             "and run both executables' bench (pp of two prefill chunks, "
             "tg32) in this many alternating rounds; choices that do not "
             "run the executable faster go back to the defaults (default "
             "5; 0: no check, decode not searched)"),
    cl::init(5), cl::sub(tuneCmd), cl::cat(ternCategory));
static cl::opt<std::string> tuneRuntimeDir(
    "runtime-lib-dir",
    cl::desc("Where the runtime libraries are (for the check's "
             "executables)"),
    cl::init(TERN_RUNTIME_LIB_DIR), cl::sub(tuneCmd), cl::cat(ternCategory));
static cl::opt<bool> tuneRetune("retune",
                                cl::desc("Re-time shapes already in the file"),
                                cl::sub(tuneCmd), cl::cat(ternCategory));


/// tern kernels: the registries as a table (or docs/kernels.md).
static int runKernels() {
  if (!kernelsMarkdown) {
    tern::cli::printKernelsText(llvm::outs());
    return 0;
  }
  if (llvm::Error e = tern::cli::printKernelsMarkdown(llvm::outs()))
    return fail(llvm::toString(std::move(e)));
  return 0;
}

static int runCompile() {
  mlir::tern::CompileOptions o;
  o.commandLine = tern::cli::commandLine();
  o.model = compileModel;
  o.output = compileOut;
  o.target = compileTarget;
  o.emit = compileEmit;
  o.weightsFile = compileWeightsFile;
  o.contextSize = compileCtx;
  o.prefillRows = compilePrefill;
  if (compileBatch < 0 || compileBatch > 64)
    return fail("--batch " + llvm::Twine(compileBatch) +
                " is outside 0..64");
  o.batchRows = compileBatch;
  o.printIrAfterAll = compilePrintIr;
  o.timings = compileTimings;
  o.progress = compileProgress == cl::BOU_UNSET
                   ? ::isatty(STDERR_FILENO) != 0
                   : compileProgress == cl::BOU_TRUE;
  o.tuningDb = compileTuningDb;
  o.threads = compileThreads;
  std::optional<tern::HeadFormat> head = tern::parseHeadFormat(compileHead);
  if (!head)
    return fail("--head: unknown format '" + compileHead + "' (" +
                tern::headFormatNames() + ")");
  o.head = *head;
  o.packing = compilePacking;
  o.prefetch = compilePrefetch;
  o.prefetchLocality = compilePrefetchLocality;
  o.attentionStagedFrom = compileAttentionStagedFrom;
  o.attentionValuePanel = compileAttentionValuePanel;
  o.fuseProjections = compileFuse;
  o.fuseRopeAttention = compileFuseRope;
  o.rowPrologues = compileRowPrologues;
  o.runtimeLibDir = compileRuntimeDir;
  o.crossRuntimeLibDir = compileCrossRuntimeDir;
  if (llvm::Error e = mlir::tern::compileModel(o))
    return fail(llvm::toString(std::move(e)));
  return 0;
}

static int runTune() {
  mlir::tern::TuneOptions o;
  o.output = tuneOut;
  o.budgetSeconds = tuneBudget;
  o.retune = tuneRetune;
  o.verbose = tuneVerbose;
  o.progress = &llvm::errs();
  if (tuneCheckRounds < 0 || tuneCheckRounds > 100)
    return fail("--check-rounds " + llvm::Twine(tuneCheckRounds) +
                " is out of range (0-100)");
  // With a model to check in, decode is searched: the executable decides.
  const bool check = !tuneModel.empty() && tuneCheckRounds > 0;
  o.searchDecode = tuneSearchDecode || check;
  if (tuneBudget < 0)
    return fail("--budget must not be negative");
  if (tuneThreads < 0 || tuneThreads > 1024)
    return fail("--threads " + std::to_string(tuneThreads) +
                " is out of range (0-1024)");
  o.threads = tuneThreads;
  {
    llvm::Expected<mlir::tern::Target> t =
        mlir::tern::resolveTarget(tuneTarget);
    if (!t)
      return fail("--target: " + llvm::toString(t.takeError()));
    if (mlir::tern::familiesFor(*t).empty())
      return fail("--target " + tuneTarget +
                  ": no generated kernel family runs on it");
    o.target = std::move(*t);
  }
  if (tunePrefill < 0 || tunePrefill > 4096)
    return fail("--prefill " + llvm::Twine(tunePrefill) +
                " is out of range (0 to 4096)");
  for (const std::string &spec : tuneShapes) {
    llvm::SmallVector<llvm::StringRef, 3> parts;
    llvm::StringRef(spec).split(parts, 'x');
    std::array<int64_t, 3> shape{};
    bool ok = parts.size() == 3;
    for (size_t i = 0; ok && i < 3; ++i)
      ok = !parts[i].getAsInteger(10, shape[i]) && shape[i] > 0 &&
           shape[i] <= (1 << 20);
    if (!ok || shape[2] % 4)
      return fail("--shapes: '" + spec +
                  "' is not MxNxK (positive sizes, K a multiple of 4)");
    o.shapes.push_back(shape);
  }
  if (!tuneModel.empty()) {
    tern::ModelOrError m = tern::loadModel(tuneModel);
    if (!m)
      return fail(m.error);
    // The matmuls tern compile generates (q/k/v and gate/up fused); the
    // finalists are timed in the model's step: one layer's matmuls, as
    // many layers as it has.
    llvm::Expected<mlir::tern::ModelMatmuls> mm =
        mlir::tern::modelMatmuls(*m, /*fuseProjections=*/true);
    if (!mm)
      return fail(llvm::toString(mm.takeError()));
    o.layer = mm->layer;
    o.layers = mm->layers;
    std::vector<std::array<int64_t, 3>> weights;
    for (const auto &[n, k] : o.layer)
      if (!llvm::is_contained(weights, std::array<int64_t, 3>{1, n, k}))
        weights.push_back({1, n, k});
    for (int64_t rows : {int64_t(1), tunePrefill.getValue()})
      if (rows >= 1)
        for (std::array<int64_t, 3> s : weights) {
          s[0] = rows;
          if (!llvm::is_contained(o.shapes, s))
            o.shapes.push_back(s);
        }
  }
  if (o.shapes.empty())
    return fail("nothing to tune: give a MODEL or --shapes");
  llvm::errs() << "tern tune: " << o.shapes.size() << " shapes on "
               << o.target.cpu << " (";
  llvm::interleaveComma(mlir::tern::familiesFor(o.target), llvm::errs(),
                        [](const mlir::tern::KernelFamily *f) {
                          llvm::errs() << f->name;
                        });
  const int threads = o.threads > 0 ? o.threads
                                    : tern::ThreadPool::hardwareThreads();
  llvm::errs() << "), " << threads << (threads == 1 ? " thread" : " threads")
               << ", into " << o.output << "\n";
  if (llvm::Error e = mlir::tern::tune(o))
    return fail(llvm::toString(std::move(e)));
  if (!check)
    return 0;
  mlir::tern::CheckOptions c;
  c.model = tuneModel;
  c.dbPath = tuneOut;
  c.targetName = tuneTarget;
  c.target = o.target;
  c.prefillRows = tunePrefill;
  c.threads = o.threads;
  c.rounds = tuneCheckRounds;
  c.runtimeLibDir = tuneRuntimeDir;
  c.progress = &llvm::errs();
  if (llvm::Error e = mlir::tern::checkExecutables(c))
    return fail(llvm::toString(std::move(e)));
  return 0;
}


static tern::cli::Registration compileEntry(compileCmd, runCompile);
static tern::cli::Registration kernelsEntry(kernelsCmd, runKernels);
static tern::cli::Registration tuneEntry(tuneCmd, runTune);
