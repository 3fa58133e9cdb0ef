//===- CompileModel.cpp - tern compile: a model file to an executable -----===//

#include "compiler/Driver/CompileModel.h"

#include "compiler/Driver/Backend.h"
#include "compiler/Driver/CompileChecks.h"
#include "compiler/Driver/Payload.h"
#include "compiler/Import/ModelImporter.h"
#include "compiler/Kernels/KernelFamily.h"
#include "compiler/Pipelines/Pipelines.h"
#include "compiler/Pipelines/Registration.h"
#include "runtime/compiled/tern_abi.h"
#include "runtime/support/Text.h"
#include "dialects/Tern/IR/TernOps.h"
#include "dialects/Tern/Transforms/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>

using namespace mlir;
using namespace mlir::tern;
namespace rt = ::tern;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(message.str());
}

class StageTimer {
public:
  StageTimer(bool on, bool progress) : on_(on), progress_(progress && !on) {}
  void done(const char *stage) {
    auto now = std::chrono::steady_clock::now();
    if (on_)
      llvm::errs() << llvm::format(
          "tern compile: %-9s %7.2f s\n", stage,
          std::chrono::duration<double>(now - last_).count());
    if (progress_)
      llvm::errs() << llvm::format("\r\033[Ktern compile: %s done, %.1f s",
                                   stage, elapsed(now));
    last_ = now;
  }
  /// Ends the progress line: `what` happened (or nothing, after an error).
  void finish(const std::string &what) {
    if (!progress_)
      return;
    llvm::errs() << "\r\033[K";
    if (!what.empty())
      llvm::errs() << llvm::format(
          "tern compile: %s in %.1f s\n", what.c_str(),
          elapsed(std::chrono::steady_clock::now()));
  }

private:
  double elapsed(std::chrono::steady_clock::time_point now) const {
    return std::chrono::duration<double>(now - start_).count();
  }
  bool on_, progress_;
  std::chrono::steady_clock::time_point start_ =
      std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

/// An MLIR context with everything tern compile uses.
std::unique_ptr<MLIRContext> newContext() {
  DialectRegistry registry;
  registerTernDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  auto context = std::make_unique<MLIRContext>(registry);
  context->loadAllAvailableDialects();
  context->disableMultithreading();
  return context;
}

/// One `tern compile`, stage by stage; each stage may be the last
/// (--emit).
class Compilation {
public:
  explicit Compilation(const CompileOptions &o)
      : o_(o), timer_(o.timings, o.progress) {}
  /// Runs the stages; the progress line ends with what was written.
  llvm::Error run() {
    llvm::Error e = stages();
    timer_.finish(e ? std::string()
                    : "wrote " + o_.output + " (" + o_.emit + ")");
    return e;
  }
  llvm::Error stages();

private:
  llvm::Error checkOptions();
  llvm::Error load();
  llvm::Error import();
  llvm::Error select();
  llvm::Error lower();
  llvm::Error pack();
  llvm::Error codegen();
  llvm::Error link();
  llvm::Error writeWeights();
  PayloadInfo payloadInfo() const;
  /// Writes `o_.output` as text with `fn`.
  llvm::Error writeText(const std::function<void(llvm::raw_ostream &)> &fn);
  /// Runs `pm` on the module with the options' IR printing and prints
  /// diagnostics as tern's warnings and errors.
  LogicalResult runPasses(PassManager &pm);

  const CompileOptions &o_;
  StageTimer timer_;
  Target target_;
  std::shared_ptr<const rt::ModelDescription> model_;
  std::unique_ptr<MLIRContext> context_;
  ImportedModel imported_;
  WeightBlob blob_;
  PackedWeights packed_;
  llvm::LLVMContext llvmContext_;
  std::unique_ptr<llvm::TargetMachine> tm_;
  std::unique_ptr<llvm::Module> ir_;
  std::string kernels_; ///< the selection's summary, for the payload
  std::string cpuState_; ///< the families' process state, for the payload
};

/// The token rows an op computes: its first operand's leading size (0
/// when it has none).
int64_t tokenRows(Operation *op) {
  if (op->getNumOperands() == 0)
    return 0;
  auto t = llvm::dyn_cast<ShapedType>(op->getOperand(0).getType());
  return t && t.hasRank() && t.getRank() > 0 ? t.getDimSize(0) : 0;
}

/// "vnni512 i2/256 x 6, avx2 i2/128 x 1": each #tern.kernel chosen, by
/// family, packing and block, in order of first use; then "; prefetch P
/// bytes" when kernels or the head prefetch (" into L1" with locality 3;
/// " (not in one-row decode)" when only ops of several rows do).
std::string summarizeKernels(ModuleOp module) {
  std::vector<std::pair<std::string, int>> counts;
  int64_t prefetch = 0, oneRow = 0, locality = KernelAttr::kDefaultLocality;
  module.walk([&](Operation *op) {
    if (auto head = llvm::dyn_cast<LmHeadOp>(op)) {
      prefetch = std::max<int64_t>(prefetch, head.getPrefetch().value_or(0));
      if (head.getInput().getType().getDimSize(0) == 1)
        oneRow = std::max<int64_t>(oneRow, head.getPrefetch().value_or(0));
      if (head.getPrefetch())
        locality = head.getPrefetchLocality().value_or(locality);
    }
    for (NamedAttribute a : op->getAttrs())
      if (auto k = llvm::dyn_cast<KernelAttr>(a.getValue())) {
        prefetch = std::max(prefetch, k.getPrefetch());
        if (tokenRows(op) == 1)
          oneRow = std::max(oneRow, k.getPrefetch());
        if (k.getPrefetch())
          locality = k.getLocality();
        const std::string name =
            (k.getFamily().getValue() + " " + k.getPacking()->name + "/" +
             llvm::Twine(k.getBlock()))
                .str();
        auto it = llvm::find_if(counts, [&](const auto &c) {
          return c.first == name;
        });
        if (it == counts.end())
          counts.push_back({name, 1});
        else
          ++it->second;
      }
  });
  std::string out;
  for (const auto &[name, n] : counts)
    out += (out.empty() ? "" : ", ") + name + " x " + std::to_string(n);
  if (out.empty())
    out = "none";
  if (prefetch > 0)
    out += "; prefetch " + std::to_string(prefetch) + " bytes" +
           prefetchLocalityText(locality) +
           (oneRow ? "" : " (not in one-row decode)");
  return out;
}

/// The process states the chosen kernel families need (osState), "a,b".
std::string cpuStates(ModuleOp module) {
  std::vector<std::string> states;
  module.walk([&](Operation *op) {
    for (NamedAttribute a : op->getAttrs())
      if (auto k = llvm::dyn_cast<KernelAttr>(a.getValue()))
        if (const KernelFamily *f =
                findKernelFamily(k.getFamily().getValue()))
          if (!f->osState.empty() &&
              !llvm::is_contained(states, f->osState.str()))
            states.push_back(f->osState.str());
  });
  return llvm::join(states, ",");
}

llvm::Error Compilation::checkOptions() {
  static const char *emits[] = {"graph", "mlir", "lowered", "llvm",
                                "asm",   "obj",  "exe"};
  if (!llvm::is_contained(emits, o_.emit))
    return fail("--emit '" + o_.emit +
                "' is not one of graph, mlir, lowered, llvm, asm, obj, exe");
  if (o_.output.empty())
    return fail("no output: use -o OUT");
  if (o_.contextSize < 0)
    return fail("--ctx must be positive");
  if (o_.threads < 0 || o_.threads > 1024)
    return fail("--threads " + std::to_string(o_.threads) +
                " is out of range (0: all hardware threads, at most 1024)");
  if (o_.prefetch < -1 || o_.prefetch > KernelAttr::kMaxPrefetch)
    return fail("--prefetch " + std::to_string(o_.prefetch) +
                " is out of range (bytes, 0 to " +
                std::to_string(KernelAttr::kMaxPrefetch) + "; 0: none)");
  if (o_.prefetchLocality < -1 || o_.prefetchLocality > 3)
    return fail("--prefetch-locality " + std::to_string(o_.prefetchLocality) +
                " is out of range (LLVM's prefetch hints 0 to 3: 3 into L1, "
                "1 towards the outer caches)");
  if (o_.attentionStagedFrom < 0)
    return fail("--attention-staged-from " +
                std::to_string(o_.attentionStagedFrom) +
                " is negative (attended positions; 0: never)");
  if (o_.attentionValuePanel < 0 ||
      o_.attentionValuePanel % kValuePanelMultiple)
    return fail("--attention-value-panel " +
                std::to_string(o_.attentionValuePanel) + " is not a multiple of " +
                std::to_string(kValuePanelMultiple) +
                " (lanes per panel; 0: whole rows)");
  if (!o_.packing.empty() && !findPacking(o_.packing))
    return fail("--packing: unknown packing '" + o_.packing + "' (" +
                packingNames() + ")");
  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  llvm::InitializeAllAsmPrinters();
  llvm::Expected<Target> target = resolveTarget(o_.target);
  if (!target)
    return target.takeError();
  target_ = std::move(*target);
  if (o_.emit == "exe" && !target_.isHostArch() && !target_.arch())
    return fail("--target " + o_.target +
                ": executables for this architecture are not supported; use "
                "--emit obj/asm/llvm for " + target_.triple.str());
  return llvm::Error::success();
}

llvm::Error Compilation::load() {
  if (llvm::Error e = checkOutputIsNotAnInput(o_))
    return e;
  rt::ModelOrError loaded = rt::loadModel(o_.model);
  if (!loaded)
    return fail(loaded.error);
  model_ = std::make_shared<const rt::ModelDescription>(std::move(*loaded));
  if (llvm::Error e = checkAgainstModel(o_, *model_))
    return e;
  timer_.done("load");
  return llvm::Error::success();
}

llvm::Error Compilation::import() {
  context_ = newContext();
  ImportOptions io;
  io.contextSize = o_.contextSize;
  io.prefillRows = o_.prefillRows;
  io.batchRows = o_.batchRows;
  io.head = o_.head;
  llvm::Expected<ImportedModel> imported =
      importModel(*context_, *model_, io);
  if (!imported)
    return imported.takeError();
  imported_ = std::move(*imported);
  if (failed(verify(*imported_.module)))
    return fail(o_.model + ": the imported module does not verify (a Tern "
                           "bug)");
  timer_.done("import");
  return llvm::Error::success();
}

LogicalResult Compilation::runPasses(PassManager &pm) {
  if (o_.printIrAfterAll)
    pm.enableIRPrinting(
        [](Pass *, Operation *) { return false; },
        [](Pass *, Operation *) { return true; },
        /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/true);
  ScopedDiagnosticHandler handler(context_.get(), [](Diagnostic &d) {
    const char *kind = d.getSeverity() == DiagnosticSeverity::Warning
                           ? "warning"
                           : d.getSeverity() == DiagnosticSeverity::Error
                                 ? "error"
                                 : "note";
    llvm::errs() << "tern compile: " << kind << ": "
                 << ::tern::escapeForMessage(d.str()) << "\n";
    return success();
  });
  return pm.run(*imported_.module);
}

llvm::Error Compilation::select() {
  PassManager pm(context_.get());
  SelectionOptions so;
  so.target = o_.target;
  so.tuningDb = o_.tuningDb;
  so.packing = o_.packing;
  so.prefetch = o_.prefetch;
  so.prefetchLocality = o_.prefetchLocality;
  so.attentionStagedFrom = o_.attentionStagedFrom;
  so.attentionValuePanel = o_.attentionValuePanel;
  so.fuseProjections = o_.fuseProjections;
  so.fuseRopeAttention = o_.fuseRopeAttention;
  buildSelectionPipeline(pm, so);
  if (failed(runPasses(pm)))
    return fail(o_.model + ": choosing kernels and layouts failed (see the "
                           "diagnostics above)");
  llvm::Expected<WeightBlob> blob =
      collectWeights(*imported_.module, model_);
  if (!blob)
    return fail(o_.model + ": " + llvm::toString(blob.takeError()));
  blob_ = std::move(*blob);
  kernels_ = summarizeKernels(*imported_.module);
  cpuState_ = cpuStates(*imported_.module);
  timer_.done("select");
  return llvm::Error::success();
}

llvm::Error Compilation::lower() {
  PassManager pm(context_.get());
  buildLoweringPipeline(pm, /*runtimeThreads=*/true, o_.rowPrologues);
  if (failed(runPasses(pm)))
    return fail(o_.model + ": lowering failed (see the diagnostics above)");
  timer_.done("lower");
  return llvm::Error::success();
}

llvm::Error Compilation::pack() {
  llvm::Expected<PackedWeights> packed = packWeights(blob_, model_->sourcePath);
  if (!packed)
    return packed.takeError();
  packed_ = std::move(*packed);
  timer_.done("pack");
  return llvm::Error::success();
}

PayloadInfo Compilation::payloadInfo() const {
  PayloadInfo info;
  info.target = o_.target;
  // A native target's features are this machine's whole list: its CPU
  // name says it; other targets' features were asked for.
  info.cpu = target_.cpu;
  if (o_.target != "native" && !target_.features.empty())
    info.cpu += " " + target_.features;
  info.kernels = kernels_;
  info.cpuState = cpuState_;
  info.commandLine = o_.commandLine;
  info.contextSize = imported_.contextSize;
  info.prefillRows = imported_.prefillRows;
  info.batchRows = imported_.batchRows;
  info.threads = o_.threads;
  info.head = o_.head;
  return info;
}

llvm::Error Compilation::codegen() {
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> tm =
      createTargetMachine(target_);
  if (!tm)
    return tm.takeError();
  tm_ = std::move(*tm);
  llvm::Expected<std::unique_ptr<llvm::Module>> ir = translateAndOptimize(
      *imported_.module, llvmContext_, *tm_, target_);
  if (!ir)
    return fail(o_.model + ": " + llvm::toString(ir.takeError()));
  ir_ = std::move(*ir);
  defineCompiledShape(*ir_,
                      compiledShape(model_->config, payloadInfo(), packed_));
  timer_.done("llvm-opt");
  return llvm::Error::success();
}

llvm::Error Compilation::link() {
  // The runtime libraries for the target: the host build's, or the
  // cross-built runtime (tools/setup.sh builds it into <build>-<arch>/).
  std::string runtimeDir = o_.runtimeLibDir;
  if (!target_.isHostArch())
    runtimeDir = !o_.crossRuntimeLibDir.empty()
                     ? o_.crossRuntimeLibDir
                     : llvm::sys::path::parent_path(o_.runtimeLibDir).str() +
                           "-" + target_.arch()->dir.str() + "/lib";
  const std::string obj = o_.output + ".o";
  if (llvm::Error e = emitMachineCode(*ir_, *tm_, obj, /*assembly=*/false))
    return e;
  timer_.done("codegen");
  llvm::Error e = linkExecutable(obj, o_.output, runtimeDir, target_);
  llvm::sys::fs::remove(obj);
  if (e)
    return e;
  timer_.done("link");
  return llvm::Error::success();
}

llvm::Error Compilation::writeWeights() {
  const std::string payload =
      o_.weightsFile ? o_.output + ".weights" : o_.output + ".payload.tmp";
  if (llvm::Error e = writePayload(payload, *model_, packed_, payloadInfo()))
    return e;
  if (!o_.weightsFile) {
    llvm::Error e = appendPayload(o_.output, payload);
    llvm::sys::fs::remove(payload);
    if (e)
      return e;
  }
  timer_.done("weights");
  return llvm::Error::success();
}

llvm::Error Compilation::writeText(
    const std::function<void(llvm::raw_ostream &)> &fn) {
  std::error_code ec;
  llvm::ToolOutputFile out(o_.output, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return fail(o_.output + ": " + ec.message());
  fn(out.os());
  out.keep();
  return llvm::Error::success();
}

llvm::Error Compilation::stages() {
  auto printModule = [&](llvm::raw_ostream &os) {
    OpPrintingFlags flags;
    flags.elideLargeElementsAttrs(16);
    imported_.module->print(os, flags);
  };
  if (llvm::Error e = checkOptions())
    return e;
  if (llvm::Error e = load())
    return e;
  if (llvm::Error e = import())
    return e;
  if (o_.emit == "graph")
    return writeText(printModule);
  if (llvm::Error e = select())
    return e;
  if (o_.emit == "mlir")
    return writeText(printModule);
  if (llvm::Error e = lower())
    return e;
  if (o_.emit == "lowered")
    return writeText(printModule);
  if (llvm::Error e = pack())
    return e;
  if (llvm::Error e = codegen())
    return e;
  if (o_.emit == "llvm")
    return writeText([&](llvm::raw_ostream &os) { ir_->print(os, nullptr); });
  if (o_.emit == "asm" || o_.emit == "obj")
    return emitMachineCode(*ir_, *tm_, o_.output, o_.emit == "asm");
  if (llvm::Error e = link())
    return e;
  return writeWeights();
}

} // namespace

llvm::Error mlir::tern::compileModel(const CompileOptions &o) {
  return Compilation(o).run();
}

llvm::Expected<ModelMatmuls>
mlir::tern::modelMatmuls(const rt::ModelDescription &m, bool fuseProjections) {
  std::unique_ptr<MLIRContext> context = newContext();
  ImportOptions io;
  io.prefillRows = 0;
  llvm::Expected<ImportedModel> imported = importModel(*context, m, io);
  if (!imported)
    return imported.takeError();
  ModuleOp module = *imported->module;
  if (fuseProjections) {
    PassManager pm(context.get());
    pm.addPass(createTernFuseProjections());
    if (failed(pm.run(module)))
      return llvm::createStringError("fusing projections failed");
  }
  ModelMatmuls out;
  out.layers = m.config.numLayers;
  // The first layer's function: every layer has the same shapes.
  auto layer = module.lookupSymbol<func::FuncOp>(
      std::string(TERN_ABI_DECODE_FN) + "_layer_0");
  if (!layer)
    return out;
  layer.walk([&](Operation *op) {
    Value w;
    if (auto bl = dyn_cast<BitLinearOp>(op))
      w = bl.getWeights();
    else if (auto mm = dyn_cast<MatmulOp>(op))
      w = mm.getWeights();
    if (!w)
      return;
    auto t = cast<WeightsType>(w.getType());
    out.layer.push_back({t.getRows(), t.getCols()});
  });
  return out;
}
