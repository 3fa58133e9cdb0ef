//===- TernToKernels.cpp - Ternary matmuls to generated kernels -----------===//
//
// See the pass descriptions in compiler/Conversion/Passes.td.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/TernToKernels/TernToKernels.h"
#include "compiler/Conversion/ParallelToRuntime/ParallelToRuntime.h"

#include "compiler/Kernels/KernelFamily.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include <algorithm>

namespace mlir::tern {
#define GEN_PASS_DEF_GENERATETERNKERNELS
#define GEN_PASS_DEF_CONVERTTERNTOKERNELS
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

/// Byte alignment of a matmul's output buffer.
constexpr int64_t kOutputAlignment = 64;

/// The kernel's symbol: tern_kernel_<packing>_<family>_MxNxK_b<B>_t<TM>x<TN>
/// and _pf<P> when it prefetches, l<L> after it for a locality other than 1
/// (hyphens in names become underscores).
std::string kernelName(KernelAttr kernel, int64_t m, int64_t n, int64_t k) {
  std::string family = kernel.getFamily().getValue().str();
  std::replace(family.begin(), family.end(), '-', '_');
  return "tern_kernel_" + kernel.getPacking()->name.str() + "_" + family +
         "_" + std::to_string(m) + "x" + std::to_string(n) + "x" +
         std::to_string(k) + "_b" + std::to_string(kernel.getBlock()) + "_t" +
         std::to_string(kernel.getTileM()) + "x" +
         std::to_string(kernel.getTileN()) +
         (kernel.getPrefetch()
              ? "_pf" + std::to_string(kernel.getPrefetch())
              : std::string()) +
         (kernel.getLocality() != KernelAttr::kDefaultLocality
              ? "l" + std::to_string(kernel.getLocality())
              : std::string());
}

/// Declares (once per shape and kernel) the kernel
/// out[M, N] = a[M, K] x t[N, K]^T; its body is generated after
/// bufferization (tern-generate-kernels).
func::FuncOp getOrDeclareKernel(ModuleOp module, KernelAttr kernel, int64_t m,
                                int64_t n, int64_t k) {
  const std::string name = kernelName(kernel, m, n, k);
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder b(module.getContext());
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  auto aType = MemRefType::get({m, k}, i8);
  auto wType = MemRefType::get({n, kernel.getLayout().rowBytes(k)}, i8);
  auto oType = MemRefType::get({m, n}, i32);
  b.setInsertionPointToEnd(module.getBody());
  auto fn = func::FuncOp::create(
      b, module.getLoc(), name,
      b.getFunctionType({aType, wType, oType, b.getIndexType(),
                         b.getIndexType()},
                        {}));
  fn.setPrivate();
  fn->setAttr(kKernelDeclAttr, kernel);
  return fn;
}

/// Why `op`'s kernel cannot compute it here, or "".
std::string whyNot(MatmulOp op, KernelAttr kernel) {
  WeightsType wt = op.getWeights().getType();
  auto weight = op.getWeights().getDefiningOp<WeightOp>();
  if (!weight || !weight.getOffset() ||
      !weight.getBlob().getType().hasStaticShape())
    return "its weights must be a planned tern.weight in the blob "
           "(tern-plan-weights)";
  if (!op.getLhs().getType().hasStaticShape())
    return "its activations need a static shape";
  return checkKernel(kernel.getFamily().getValue(), kernel.getLayout(),
                     wt.getCols());
}

struct ConvertTernToKernelsPass
    : mlir::tern::impl::ConvertTernToKernelsBase<ConvertTernToKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<MatmulOp> matmuls;
    module.walk([&](MatmulOp op) {
      if (op.getKernelAttr())
        matmuls.push_back(op);
    });
    for (MatmulOp op : matmuls) {
      KernelAttr kernel = op.getKernelAttr();
      if (std::string why = whyNot(op, kernel); !why.empty()) {
        op.emitError() << "cannot use kernel " << kernel << ": " << why;
        return signalPassFailure();
      }
      auto weight = op.getWeights().getDefiningOp<WeightOp>();
      WeightsType wt = op.getWeights().getType();
      const int64_t m = op.getLhs().getType().getDimSize(0), n = wt.getRows(),
                    k = wt.getCols();
      func::FuncOp fn = getOrDeclareKernel(module, kernel, m, n, k);
      OpBuilder b(op);
      Location loc = op.getLoc();
      auto index = [&](int64_t v) -> Value {
        return arith::ConstantIndexOp::create(b, loc, v);
      };
      Value view = memref::ViewOp::create(
          b, loc,
          MemRefType::get({n, kernel.getLayout().rowBytes(k)}, b.getI8Type()),
          weight.getBlob(), index(static_cast<int64_t>(*weight.getOffset())),
          ValueRange{});
      Value lhs = bufferization::ToBufferOp::create(
          b, loc, MemRefType::get({m, k}, b.getI8Type()), op.getLhs(),
          b.getUnitAttr());
      // A cache line's alignment: the kernels store whole vectors of sums,
      // and the pipeline keeps the buffer on the stack
      // (buildLoweringPipeline), where nothing else would align it.
      Value out = memref::AllocOp::create(
          b, loc, MemRefType::get({m, n}, b.getI32Type()),
          b.getI64IntegerAttr(kOutputAlignment));
      auto call = func::CallOp::create(
          b, loc, fn,
          ValueRange{lhs, view, out, index(0),
                     index(rangeUnits(kernel.getLayout(), n))});
      // Columns are independent: convert-parallel-to-runtime may split
      // them, in the family's blocks per thread.
      const KernelFamily *family =
          findKernelFamily(kernel.getFamily().getValue());
      const int64_t blocks = family ? family->parallelBlocks : kParallelBlocks;
      call->setAttr(kParallelCallAttr, b.getI64IntegerAttr(blocks));
      // One row streams the weights: blocks of at most kStreamBlockBytes.
      if (int64_t most = matmulBlockItems(
              m, blocks, n * kernel.getLayout().rowBytes(k),
              rangeUnits(kernel.getLayout(), n)))
        call->setAttr(kBlockCallAttr, b.getI64IntegerAttr(most));
      Value result = bufferization::ToTensorOp::create(
          b, loc, op.getResult().getType(), out, /*restrict=*/true,
          /*writable=*/true);
      op.getResult().replaceAllUsesWith(result);
      op.erase();
      if (weight->use_empty())
        weight.erase();
    }
  }
};

struct GenerateTernKernelsPass
    : mlir::tern::impl::GenerateTernKernelsBase<GenerateTernKernelsPass> {
  /// The body of a family's multiply-add of byte quads (kQuadDotDeclAttr),
  /// inlined by LLVM.
  bool defineQuadDot(func::FuncOp fn) {
    auto name = fn->getAttrOfType<StringAttr>(kQuadDotDeclAttr);
    std::string why = name ? checkQuadDot(name.getValue())
                           : std::string("needs a kernel family name");
    const KernelFamily *f = why.empty() ? findKernelFamily(name) : nullptr;
    FunctionType type = fn.getFunctionType();
    auto bytes = type.getNumInputs() == 3
                     ? dyn_cast<VectorType>(type.getInput(1))
                     : VectorType();
    if (f && (!bytes || bytes.getNumElements() != f->quadBytes ||
              type.getNumResults() != 1 ||
              type.getResult(0) != type.getInput(0)))
      why = "needs (vector<" + std::to_string(f->quadBytes / 4) +
            "xi32>, vector<" + std::to_string(f->quadBytes) + "xi8>, vector<" +
            std::to_string(f->quadBytes) + "xi8>) -> vector<" +
            std::to_string(f->quadBytes / 4) + "xi32>";
    if (!why.empty()) {
      fn.emitError() << "cannot define " << kQuadDotDeclAttr << ": " << why;
      return false;
    }
    Block *body = fn.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockBegin(body);
    Value out = f->quadDot(b, fn.getLoc(), body->getArgument(0),
                           body->getArgument(1), body->getArgument(2));
    func::ReturnOp::create(b, fn.getLoc(), out);
    fn->removeAttr(kQuadDotDeclAttr);
    fn->setAttr("passthrough", b.getArrayAttr({b.getStringAttr("alwaysinline")}));
    return true;
  }

  void runOnOperation() override {
    WalkResult r = getOperation().walk([&](func::FuncOp fn) {
      if (fn.isExternal() && fn->hasAttr(kQuadDotDeclAttr))
        return defineQuadDot(fn) ? WalkResult::advance()
                                 : WalkResult::interrupt();
      auto kernel = fn->getAttrOfType<KernelAttr>(kKernelDeclAttr);
      if (!fn.isExternal() || !kernel)
        return WalkResult::advance();
      auto aType = fn.getNumArguments() == 5
                       ? dyn_cast<MemRefType>(fn.getArgumentTypes()[0])
                       : MemRefType();
      if (!aType || !aType.hasStaticShape()) {
        fn.emitError() << "kernel declaration needs the signature of "
                          "convert-tern-to-kernels";
        return WalkResult::interrupt();
      }
      if (std::string why = checkKernel(kernel.getFamily().getValue(),
                                        kernel.getLayout(),
                                        aType.getDimSize(1));
          !why.empty()) {
        fn.emitError() << "cannot generate kernel " << kernel << ": " << why;
        return WalkResult::interrupt();
      }
      KernelChoice choice = KernelChoice::fromAttr(kernel);
      choice.family->define(fn, choice);
      // The body says it all now; without the attribute the module needs
      // no tern dialect (mlir-runner, translation to LLVM IR).
      fn->removeAttr(kKernelDeclAttr);
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
