//===- CompileModel.cpp - tern compile: a model file to an executable -----===//

#include "compiler/Driver/CompileModel.h"

#include "compiler/Import/ModelImporter.h"
#include "compiler/Pipelines/Pipelines.h"
#include "compiler/Pipelines/Registration.h"
#include "compiler/Tuning/TuningDb.h"
#include "runtime/compiled/tern_abi.h"
#include "runtime/model/GgufWriter.h"
#include "runtime/model/Model.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <chrono>
#include <cstdio>
#include <cstring>

using namespace mlir;
using namespace mlir::tern;
namespace rt = ::tern;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(message.str());
}

struct TargetSpec {
  llvm::Triple triple;
  std::string cpu, features;
};

llvm::Expected<TargetSpec> resolveTarget(llvm::StringRef name) {
  TargetSpec t;
  if (name == "native") {
    t.triple = llvm::Triple(llvm::sys::getProcessTriple());
    t.cpu = llvm::sys::getHostCPUName().str();
    std::vector<std::string> feats;
    for (const auto &f : llvm::sys::getHostCPUFeatures())
      feats.push_back((f.second ? "+" : "-") + f.first().str());
    t.features = llvm::join(feats, ",");
    return t;
  }
  if (name == "aarch64" || name == "aarch64+sve") {
    t.triple = llvm::Triple("aarch64-unknown-linux-gnu");
    t.cpu = "generic";
    t.features = name == "aarch64" ? "+neon,+dotprod" : "+neon,+dotprod,+sve";
    return t;
  }
  t.triple = llvm::Triple("x86_64-unknown-linux-gnu");
  t.cpu = name.str();
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(t.triple, error);
  if (!target)
    return fail("the X86 backend is not available: " + error);
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      target->createMCSubtargetInfo(t.triple, "", ""));
  if (!sti || !sti->isCPUStringValid(t.cpu))
    return fail("unknown target '" + name + "': use one of " +
                supportedTargets());
  return t;
}

/// Whether the target has `feature` (by its explicit feature list, or for a
/// named CPU by LLVM's knowledge of it).
bool hasFeature(const TargetSpec &t, llvm::StringRef feature) {
  if (llvm::is_contained(llvm::split(t.features, ','), ("+" + feature).str()))
    return true;
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(t.triple, error);
  if (!target)
    return false;
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      target->createMCSubtargetInfo(t.triple, t.cpu, t.features));
  return sti && sti->checkFeatures(("+" + feature).str());
}

class StageTimer {
public:
  explicit StageTimer(bool on) : on_(on) {}
  void done(const char *stage) {
    auto now = std::chrono::steady_clock::now();
    if (on_)
      llvm::errs() << llvm::format(
          "tern compile: %-9s %7.2f s\n", stage,
          std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }

private:
  bool on_;
  std::chrono::steady_clock::time_point last_ =
      std::chrono::steady_clock::now();
};

/// The payload: model metadata, tokenizer, and the weights blob.
llvm::Error writePayload(const std::string &path,
                         const rt::ModelDescription &m,
                         const ImportedModel &imported,
                         const std::string &target, int64_t threads,
                         rt::HeadFormat head) {
  rt::GgufWriter w;
  w.setAlignment(64);
  rt::addGgufConfig(w, m.config);
  w.addString("general.name", llvm::sys::path::filename(m.sourcePath).str());
  w.addUint32(TERN_ABI_KEY_VERSION, TERN_ABI_VERSION);
  w.addUint32(TERN_ABI_KEY_CONTEXT,
              static_cast<uint32_t>(imported.contextSize));
  w.addString(TERN_ABI_KEY_TARGET, target);
  w.addUint32(TERN_ABI_KEY_PREFILL_ROWS,
              static_cast<uint32_t>(imported.prefillRows));
  if (threads > 0)
    w.addUint32(TERN_ABI_KEY_THREADS, static_cast<uint32_t>(threads));
  w.addString(TERN_ABI_KEY_HEAD, rt::headFormatName(head));
  w.addUint64(TERN_ABI_KEY_BYTES_PER_TOKEN, imported.bytesPerToken);
  if (!m.vocab.tokens.empty())
    rt::addGgufVocab(w, m.vocab, m.config);
  const std::vector<BlobEntry> *entries = &imported.blob;
  bool ok = true;
  std::string bad;
  w.addTensorDeferred(TERN_ABI_WEIGHTS_TENSOR,
                      {static_cast<int64_t>(imported.blobSize)},
                      rt::GgmlType::I8, imported.blobSize,
                      [entries, &ok, &bad](uint8_t *dst) {
                        for (const BlobEntry &e : *entries)
                          if (!e.fill(dst + e.offset)) {
                            ok = false;
                            bad = e.name;
                          }
                      });
  std::string err = w.writeFile(path);
  if (!err.empty())
    return fail(err);
  if (!ok)
    return fail(m.sourcePath + ": cannot repack weight '" + bad +
                "' (an invalid ternary code)");
  return llvm::Error::success();
}

/// Appends `payload` to `exe`, page-aligned, followed by the trailer.
llvm::Error appendPayload(const std::string &exe, const std::string &payload) {
  std::FILE *out = std::fopen(exe.c_str(), "ab");
  std::FILE *in = std::fopen(payload.c_str(), "rb");
  if (!out || !in) {
    if (out)
      std::fclose(out);
    if (in)
      std::fclose(in);
    return fail(exe + ": cannot append the weights");
  }
  std::fseek(out, 0, SEEK_END);
  long end = std::ftell(out);
  const uint64_t start = (static_cast<uint64_t>(end) + 4095) / 4096 * 4096;
  std::vector<char> pad(start - static_cast<uint64_t>(end), 0);
  bool ok = std::fwrite(pad.data(), 1, pad.size(), out) == pad.size();
  std::vector<char> buf(1 << 20);
  uint64_t size = 0;
  size_t n;
  while (ok && (n = std::fread(buf.data(), 1, buf.size(), in)) > 0) {
    ok = std::fwrite(buf.data(), 1, n, out) == n;
    size += n;
  }
  tern_payload_trailer t;
  t.offset = start;
  t.size = size;
  std::memcpy(t.magic, TERN_ABI_TRAILER_MAGIC, 8);
  ok = ok && std::fwrite(&t, sizeof t, 1, out) == 1;
  ok = (std::fclose(out) == 0) && ok;
  std::fclose(in);
  if (!ok)
    return fail(exe + ": writing the appended weights failed");
  return llvm::Error::success();
}

llvm::Expected<std::string> findTool(llvm::StringRef name,
                                     llvm::StringRef package) {
  for (const char *dir : {"/usr/lib/llvm-22/bin"}) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    if (llvm::sys::fs::can_execute(p))
      return std::string(p);
  }
  if (auto p = llvm::sys::findProgramByName((name + "-22").str()))
    return *p;
  return fail(name + " (LLVM 22) not found: install " + package +
              " (tools/setup.sh does)");
}

} // namespace

std::string mlir::tern::supportedTargets() {
  return "native, x86-64, x86-64-v2, x86-64-v3, x86-64-v4, an x86 CPU name "
         "such as znver3 or skylake-avx512, aarch64, aarch64+sve";
}

llvm::Expected<TargetKernels>
mlir::tern::targetKernels(const std::string &name) {
  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  llvm::Expected<TargetSpec> target = resolveTarget(name);
  if (!target)
    return target.takeError();
  TargetKernels t;
  t.cpu = target->cpu;
  t.features = kernelFeatures(
      [&](llvm::StringRef f) { return hasFeature(*target, f); },
      target->triple.isX86());
  t.families = familiesFor(t.features);
  return t;
}

llvm::Error mlir::tern::compileModel(const CompileOptions &o) {
  static const char *emits[] = {"mlir", "lowered", "llvm", "asm", "obj",
                                "exe"};
  if (std::find_if(std::begin(emits), std::end(emits), [&](const char *e) {
        return o.emit == e;
      }) == std::end(emits))
    return fail("--emit '" + o.emit +
                "' is not one of mlir, lowered, llvm, asm, obj, exe");
  if (o.output.empty())
    return fail("no output: use -o OUT");
  if (o.contextSize < 0)
    return fail("--ctx must be positive");
  if (o.threads < 0 || o.threads > 1024)
    return fail("--threads " + std::to_string(o.threads) +
                " is out of range (0: all hardware threads, at most 1024)");

  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  llvm::InitializeAllAsmPrinters();
  llvm::Expected<TargetSpec> target = resolveTarget(o.target);
  if (!target)
    return target.takeError();
  const bool hostArch =
      target->triple.getArch() ==
      llvm::Triple(llvm::sys::getProcessTriple()).getArch();
  // The runtime libraries for the target: the host build's, or the
  // cross-built AArch64 runtime (tools/setup.sh builds it into
  // <build>-aarch64/).
  const std::string runtimeDir =
      hostArch ? o.runtimeLibDir
               : (o.crossRuntimeLibDir.empty() ? o.runtimeLibDir
                                               : o.crossRuntimeLibDir);
  if (o.emit == "exe" && !hostArch &&
      !target->triple.isAArch64())
    return fail("--target " + o.target +
                ": executables for this architecture are not supported; use "
                "--emit obj/asm/llvm for " + target->triple.str());

  // Kernel choices: the target's families, and a tuning database's choices
  // for this CPU when one is given.
  const bool x86 = target->triple.isX86();
  const std::vector<std::string> features = kernelFeatures(
      [&](llvm::StringRef f) { return hasFeature(*target, f); }, x86);
  const std::vector<std::string> families = familiesFor(features);
  const std::string family = families.empty() ? "" : families.front();
  std::optional<TuningDb> db;
  if (!o.tuningDb.empty()) {
    llvm::Expected<TuningDb> loadedDb = TuningDb::load(o.tuningDb);
    if (!loadedDb)
      return loadedDb.takeError();
    db = std::move(*loadedDb);
    for (const TuningEntry &e : db->entries())
      if (e.cpu == target->cpu &&
          !llvm::is_contained(families, e.choice.kernel.family))
        return fail(o.tuningDb + ": the entry for " + e.cpu + " " +
                    std::to_string(e.m) + "x" + std::to_string(e.n) + "x" +
                    std::to_string(e.k) + " uses the " +
                    e.choice.kernel.family + " kernels, which target '" +
                    o.target + "' cannot run");
  }

  StageTimer timer(o.timings);
  // 1. Load.
  rt::ModelOrError loaded = rt::loadModel(o.model);
  if (!loaded)
    return fail(loaded.error);
  auto model = std::make_shared<const rt::ModelDescription>(std::move(*loaded));
  timer.done("load");

  // 2. Import.
  DialectRegistry registry;
  registerTernDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  context.disableMultithreading();
  ImportOptions io;
  io.contextSize = o.contextSize;
  io.prefillRows = o.prefillRows;
  io.head = o.head;
  io.fuseProjections = o.fuseProjections;
  const std::string cpu = target->cpu;
  const TuningDb *dbp = db ? &*db : nullptr;
  io.layout = [&](const std::string &, int64_t rows,
                  int64_t cols) -> rt::PackedLayout {
    return compiledLayout(dbp, cpu, families, rows, cols, o.packing);
  };
  io.kernelConfig = [&](int64_t m, int64_t n, int64_t k,
                        rt::PackedLayout layout) -> DictionaryAttr {
    std::optional<kernels::KernelConfig> c =
        compiledKernel(dbp, cpu, families, m, n, k, layout);
    return c ? kernels::configAttr(&context, *c) : DictionaryAttr();
  };
  llvm::Expected<ImportedModel> imported = importModel(context, model, io);
  if (!imported)
    return imported.takeError();
  ModuleOp module = imported->module.get();
  if (failed(verify(module))) {
    if (o.emit == "mlir")
      module.print(llvm::errs());
    return fail(o.model + ": the imported module does not verify (a Tern "
                          "bug; --emit mlir prints it)");
  }
  timer.done("import");
  auto writeText = [&](const std::function<void(llvm::raw_ostream &)> &fn)
      -> llvm::Error {
    std::error_code ec;
    llvm::ToolOutputFile out(o.output, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return fail(o.output + ": " + ec.message());
    fn(out.os());
    out.keep();
    return llvm::Error::success();
  };
  if (o.emit == "mlir")
    return writeText([&](llvm::raw_ostream &os) {
      OpPrintingFlags flags;
      flags.elideLargeElementsAttrs(16);
      module.print(os, flags);
    });

  // 3. Lower to the LLVM dialect.
  PassManager pm(&context);
  if (o.printIrAfterAll)
    pm.enableIRPrinting(
        [](Pass *, Operation *) { return false; },
        [](Pass *, Operation *) { return true; },
        /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/true);
  KernelOptions kernels;
  kernels.family = family; // matmuls carry their own tern.kernel_config
  kernels.runtimeThreads = true;
  buildCompilePipeline(pm, kernels);
  if (failed(pm.run(module)))
    return fail(o.model + ": lowering failed (see the diagnostics above)");
  timer.done("lower");
  if (o.emit == "lowered")
    return writeText([&](llvm::raw_ostream &os) { module.print(os); });

  // 4. LLVM IR, optimized for the target.
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> ir = translateModuleToLLVMIR(module, llvmContext);
  if (!ir)
    return fail(o.model + ": translation to LLVM IR failed");
  std::string error;
  const llvm::Target *tgt =
      llvm::TargetRegistry::lookupTarget(target->triple, error);
  if (!tgt)
    return fail("target " + target->triple.str() + ": " + error);
  llvm::TargetOptions to;
  std::unique_ptr<llvm::TargetMachine> tm(tgt->createTargetMachine(
      target->triple, target->cpu, target->features, to, llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!tm)
    return fail("cannot create a target machine for " + o.target);
  ir->setTargetTriple(target->triple);
  ir->setDataLayout(tm->createDataLayout());
  for (llvm::Function &f : *ir)
    if (!f.isDeclaration()) {
      f.addFnAttr("target-cpu", target->cpu);
      if (!target->features.empty())
        f.addFnAttr("target-features", target->features);
    }
  {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(tm.get());
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::ModulePassManager mpm =
        pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
    mpm.run(*ir, mam);
  }
  timer.done("llvm-opt");
  if (o.emit == "llvm")
    return writeText([&](llvm::raw_ostream &os) { ir->print(os, nullptr); });

  // 5. Machine code.
  auto emitFile = [&](const std::string &path,
                      llvm::CodeGenFileType type) -> llvm::Error {
    std::error_code ec;
    llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_None);
    if (ec)
      return fail(path + ": " + ec.message());
    llvm::legacy::PassManager cg;
    if (tm->addPassesToEmitFile(cg, out.os(), nullptr, type))
      return fail("the target cannot emit this file type");
    cg.run(*ir);
    out.keep();
    return llvm::Error::success();
  };
  if (o.emit == "asm")
    return emitFile(o.output, llvm::CodeGenFileType::AssemblyFile);
  if (o.emit == "obj")
    return emitFile(o.output, llvm::CodeGenFileType::ObjectFile);
  const std::string obj = o.output + ".o";
  if (llvm::Error e = emitFile(obj, llvm::CodeGenFileType::ObjectFile))
    return e;
  timer.done("codegen");

  // 6. Link with the runtime.
  llvm::Expected<std::string> clang = findTool("clang++", "clang-22");
  if (!clang)
    return clang.takeError();
  if (!llvm::sys::fs::exists(runtimeDir + "/libtern_compiled.a"))
    return fail(runtimeDir + "/libtern_compiled.a not found: " +
                (hostArch ? std::string("build the runtime (cmake --build "
                                        "build) or pass --runtime-lib-dir")
                          : std::string("build the AArch64 runtime "
                                        "(tools/setup.sh does) or pass "
                                        "--cross-runtime-lib-dir")));
  std::vector<std::string> args = {*clang, "-fuse-ld=lld", "-o", o.output, obj};
  if (!hostArch) {
    // A static executable: runs under qemu-aarch64 without a sysroot.
    args.push_back("--target=" + target->triple.str());
    args.push_back("-static");
  }
  args.push_back("-Wl,--start-group");
  for (const char *lib : {"tern_compiled", "tern_generate", "tern_model",
                          "tern_tokenizer", "tern_ternary", "tern_support"})
    args.push_back(runtimeDir + "/lib" + lib + ".a");
  args.push_back("-Wl,--end-group");
  if (hostArch)
    args.push_back("-lpcre2-8");
  for (const char *a : {"-lpthread", "-lm"})
    args.push_back(a);
  std::vector<llvm::StringRef> argRefs(args.begin(), args.end());
  std::string linkError;
  int rc = llvm::sys::ExecuteAndWait(*clang, argRefs, std::nullopt, {}, 0, 0,
                                     &linkError);
  llvm::sys::fs::remove(obj);
  if (rc != 0)
    return fail("linking " + o.output + " failed (" + llvm::join(args, " ") +
                ")" + (linkError.empty() ? "" : ": " + linkError));
  timer.done("link");

  // 7. Weights.
  const std::string payload =
      o.weightsFile ? o.output + ".weights" : o.output + ".payload.tmp";
  if (llvm::Error e = writePayload(payload, *model, *imported, o.target,
                                    o.threads, o.head))
    return e;
  if (!o.weightsFile) {
    llvm::Error e = appendPayload(o.output, payload);
    llvm::sys::fs::remove(payload);
    if (e)
      return e;
  }
  timer.done("weights");
  return llvm::Error::success();
}
