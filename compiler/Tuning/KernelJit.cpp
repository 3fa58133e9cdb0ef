//===- KernelJit.cpp - One generated matmul kernel, JIT-compiled ----------===//

#include "compiler/Tuning/KernelJit.h"

#include "compiler/Pipelines/Pipelines.h"
#include "compiler/Pipelines/Registration.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>

using namespace mlir;
using namespace mlir::tern;

namespace {
/// The C interface's view of a 2-D memref.
struct Memref2D {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
};
using RunFn = void (*)(Memref2D *, Memref2D *, Memref2D *, int64_t, int64_t);

Memref2D view(const void *p, int64_t rows, int64_t cols) {
  void *q = const_cast<void *>(p);
  return Memref2D{q, q, 0, {rows, cols}, {cols, 1}};
}
} // namespace

struct KernelJit::Impl {
  std::unique_ptr<MLIRContext> context;
  std::unique_ptr<ExecutionEngine> engine;
  RunFn fn = nullptr;
};

KernelJit::~KernelJit() = default;

std::string mlir::tern::hostCpu() { return llvm::sys::getHostCPUName().str(); }

std::vector<std::string> mlir::tern::hostKernelFeatures() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  const bool x86 =
      llvm::Triple(llvm::sys::getProcessTriple()).isX86();
  return kernelFeatures(
      [&](llvm::StringRef f) { return features.lookup(f); }, x86);
}

std::vector<std::string> mlir::tern::hostKernelFamilies() {
  return familiesFor(hostKernelFeatures());
}

llvm::Expected<std::unique_ptr<KernelJit>>
KernelJit::create(const KernelChoice &c, int64_t m, int64_t n, int64_t k) {
  const std::string what =
      llvm::formatv("kernel {0} {1} tile {2}x{3} for {4}x{5}x{6}",
                    c.kernel.family, c.layoutName(), c.kernel.tileM,
                    c.kernel.tileN, m, n, k)
          .str();
  auto fail = [&](const llvm::Twine &why) {
    return llvm::createStringError(what + ": " + why.str());
  };
  if (m < 1 || n < 1 || k < 4)
    return fail("empty shape");
  if (!llvm::is_contained(hostKernelFamilies(), c.kernel.family))
    return fail("this CPU (" + hostCpu() + ") cannot run the " +
                c.kernel.family + " kernels");
  if (!kernels::supportsLayout(c.kernel.family, c.packing, c.block, k))
    return fail("the family does not read this layout");
  if (std::string why = ::tern::checkPackedShape(c.packedLayout(), n, k);
      !why.empty())
    return fail(why);
  const int64_t rowBytes =
      ::tern::packedRowBytes(c.packedLayout(), k);
  if (c.kernel.tileM < 1 || c.kernel.tileN < 1 ||
      c.kernel.tileM > kernels::kMaxTile || c.kernel.tileN > kernels::kMaxTile)
    return fail("tile out of range");
  static std::once_flag init;
  std::call_once(init, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });

  std::unique_ptr<KernelJit> jit(new KernelJit());
  jit->m_ = m, jit->n_ = n, jit->k_ = k, jit->rowBytes_ = rowBytes;
  jit->units_ = kernels::rangeUnits(c.packing, n);
  jit->impl_ = std::make_unique<Impl>();
  DialectRegistry registry;
  registerTernDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  jit->impl_->context = std::make_unique<MLIRContext>(registry);
  MLIRContext *ctx = jit->impl_->context.get();
  ctx->loadAllAvailableDialects();
  const std::string types = llvm::formatv(
      "memref<{0}x{2}xi8>, memref<{1}x{3}xi8>, memref<{0}x{1}xi32>, index, "
      "index",
      m, n, k, rowBytes);
  const std::string src = llvm::formatv(
      R"mlir(
    func.func private @kernel({0}) attributes {{tern.kernel = "{9}_{1}",
        tern.block = {2} : i64, tern.tile = array<i64: {3}, {4}>}
    func.func @run(%a: memref<{5}x{7}xi8>, %w: memref<{6}x{8}xi8>,
                   %o: memref<{5}x{6}xi32>, %b: index, %e: index)
        attributes {{llvm.emit_c_interface} {
      call @kernel(%a, %w, %o, %b, %e) : ({0}) -> ()
      return
    }
  )mlir",
      types, c.kernel.family, c.block, c.kernel.tileM, c.kernel.tileN, m, n,
      k, rowBytes, stringifyPackingKind(c.packing));
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(src, ctx);
  if (!module)
    return fail("the kernel module does not parse (a Tern bug)");
  PassManager pm(ctx);
  KernelOptions ko;
  ko.family = c.kernel.family;
  buildCompilePipeline(pm, ko);
  if (failed(pm.run(*module)))
    return fail("lowering failed (a Tern bug)");
  ExecutionEngineOptions eo;
  eo.transformer = makeOptimizingTransformer(2, 0, nullptr);
  eo.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(*module, eo);
  if (!engine)
    return fail(llvm::toString(engine.takeError()));
  jit->impl_->engine = std::move(*engine);
  auto sym = jit->impl_->engine->lookup("_mlir_ciface_run");
  if (!sym)
    return fail(llvm::toString(sym.takeError()));
  jit->impl_->fn = reinterpret_cast<RunFn>(*sym);
  return jit;
}

void KernelJit::run(const int8_t *a, const uint8_t *w, int32_t *out,
                    int64_t begin, int64_t end) const {
  Memref2D ma = view(a, m_, k_), mw = view(w, n_, rowBytes_),
           mo = view(out, m_, n_);
  impl_->fn(&ma, &mw, &mo, begin, end);
}
