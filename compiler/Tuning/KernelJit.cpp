//===- KernelJit.cpp - One generated matmul kernel, JIT-compiled ----------===//

#include "compiler/Tuning/KernelJit.h"

#include "compiler/Pipelines/Pipelines.h"
#include "compiler/Pipelines/Registration.h"
#include "compiler/Target/TargetMachine.h"
#include "dialects/Tern/IR/TernDialect.h"
#include "runtime/support/CpuState.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
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

std::vector<const KernelFamily *> mlir::tern::hostFamilies() {
  // The families whose features the CPU has and whose process state (AMX
  // tiles) this process was granted.
  static const std::vector<const KernelFamily *> families = [] {
    std::vector<const KernelFamily *> out;
    for (const KernelFamily *f : familiesFor(hostTarget()))
      if (f->osState.empty() ||
          ::tern::requestCpuState(f->osState.str()).empty())
        out.push_back(f);
    return out;
  }();
  return families;
}

llvm::Expected<std::unique_ptr<KernelJit>>
KernelJit::create(const KernelChoice &c, int64_t m, int64_t n, int64_t k) {
  const std::string what =
      llvm::formatv("kernel {0} for {1}x{2}x{3}", c.str(), m, n, k).str();
  auto fail = [&](const llvm::Twine &why) {
    return llvm::createStringError(what + ": " + why.str());
  };
  if (m < 1 || n < 1 || k < 4)
    return fail("empty shape");
  if (!c.family || !llvm::is_contained(hostFamilies(), c.family))
    return fail("this CPU (" + hostTarget().cpu + ") cannot run the " +
                (c.family ? c.family->name.str() : std::string("?")) +
                " kernels");
  if (std::string why = c.layout.check(n, k); !why.empty())
    return fail(why);
  if (!c.family->reads(c.layout, k))
    return fail("the family does not read this layout");
  const int64_t rowBytes = c.layout.rowBytes(k);
  if (c.tile.m < 1 || c.tile.n < 1 || c.tile.m > KernelAttr::kMaxTile ||
      c.tile.n > KernelAttr::kMaxTile)
    return fail("tile out of range");
  static std::once_flag init;
  std::call_once(init, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });

  std::unique_ptr<KernelJit> jit(new KernelJit());
  jit->m_ = m, jit->n_ = n, jit->k_ = k, jit->rowBytes_ = rowBytes;
  jit->units_ = n / c.layout.rowGroup();
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
  const std::string prefetch =
      c.prefetch > 0 ? ", prefetch = " + std::to_string(c.prefetch) : "";
  const std::string src = llvm::formatv(
      R"mlir(
    func.func private @kernel({0}) attributes {{tern.kernel =
        #tern.kernel<"{1}", {9}, block = {2}, tile = [{3}, {4}]{10}>}
    func.func @run(%a: memref<{5}x{7}xi8>, %w: memref<{6}x{8}xi8>,
                   %o: memref<{5}x{6}xi32>, %b: index, %e: index)
        attributes {{llvm.emit_c_interface} {
      call @kernel(%a, %w, %o, %b, %e) : ({0}) -> ()
      return
    }
  )mlir",
      types, c.family->name, c.layout.block, c.tile.m, c.tile.n, m, n, k,
      rowBytes, c.layout.packing->name, prefetch);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(src, ctx);
  if (!module)
    return fail("the kernel module does not parse (a Tern bug)");
  PassManager pm(ctx);
  buildLoweringPipeline(pm, /*runtimeThreads=*/false);
  if (failed(pm.run(*module)))
    return fail("lowering failed (a Tern bug)");
  // Optimized as tern compile optimizes the executable (the host's CPU and
  // features, LLVM's O2 with its cost models): a kernel is timed as the
  // code the executable runs.
  auto optimizer = jitOptimizer(hostTarget());
  if (!optimizer)
    return fail(llvm::toString(optimizer.takeError()));
  ExecutionEngineOptions eo;
  eo.transformer = std::move(*optimizer);
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
