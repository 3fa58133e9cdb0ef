//===- TernToKernels.cpp - Ternary matmuls to generated kernels -----------===//
//
// See the pass description in compiler/Conversion/Passes.td.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/TernToKernels/TernToKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

#include <algorithm>

namespace mlir::tern {
#define GEN_PASS_DEF_GENERATETERNKERNELS
#define GEN_PASS_DEF_CONVERTTERNTOKERNELS
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

bool mlir::tern::kernels::isKernelFamily(llvm::StringRef family) {
  return family == "avx2" || family == "neon-dotprod";
}

namespace {

/// Declares (once per shape) the kernel out[M, N] = a[M, K] x t[N, K]^T;
/// its body is generated after bufferization (defineKernel).
func::FuncOp getOrDeclareKernel(ModuleOp module, llvm::StringRef family,
                                int64_t m, int64_t n, int64_t k) {
  std::string tag = family.str();
  std::replace(tag.begin(), tag.end(), '-', '_');
  const std::string name = "tern_kernel_i2_" + tag + "_" + std::to_string(m) +
                           "x" + std::to_string(n) + "x" + std::to_string(k);
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder b(module.getContext());
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  auto aType = MemRefType::get({m, k}, i8);
  auto wType = MemRefType::get({n, k / 4}, i8);
  auto oType = MemRefType::get({m, n}, i32);
  b.setInsertionPointToEnd(module.getBody());
  auto fn = func::FuncOp::create(
      b, module.getLoc(), name,
      b.getFunctionType({aType, wType, oType, b.getIndexType(),
                         b.getIndexType()},
                        {}));
  fn.setPrivate();
  fn->setAttr(kKernelAttr, b.getStringAttr("i2_" + family.str()));
  return fn;
}

struct ConvertTernToKernelsPass
    : mlir::tern::impl::ConvertTernToKernelsBase<ConvertTernToKernelsPass> {
  using ConvertTernToKernelsBase::ConvertTernToKernelsBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!isKernelFamily(family)) {
      module.emitError() << "convert-tern-to-kernels: unknown kernel family '"
                         << family << "' (expected avx2 or neon-dotprod)";
      return signalPassFailure();
    }
    SmallVector<MatmulOp> matmuls;
    module.walk([&](MatmulOp op) { matmuls.push_back(op); });
    for (MatmulOp op : matmuls) {
      auto weight = op.getWeights().getDefiningOp<WeightOp>();
      WeightsType wt = op.getWeights().getType();
      auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
      if (!weight || !wt.isPacked() ||
          wt.getLayout().getKind() != PackingKind::i2 ||
          wt.getLayout().getBlock() != kI2Block ||
          wt.getCols() % kI2Block != 0 ||
          !lhsType.hasStaticShape() ||
          !weight.getBlob().getType().hasStaticShape())
        continue;
      const int64_t m = lhsType.getDimSize(0), n = wt.getRows(),
                    k = wt.getCols();
      func::FuncOp kernel = getOrDeclareKernel(module, family, m, n, k);
      OpBuilder b(op);
      Location loc = op.getLoc();
      Value offset = arith::ConstantIndexOp::create(
          b, loc, static_cast<int64_t>(weight.getOffset()));
      Value view = memref::ViewOp::create(
          b, loc, MemRefType::get({n, k / 4}, b.getI8Type()), weight.getBlob(),
          offset, ValueRange{});
      Value lhs = bufferization::ToBufferOp::create(
          b, loc, MemRefType::get({m, k}, b.getI8Type()), op.getLhs(),
          b.getUnitAttr());
      auto outType = MemRefType::get({m, n}, b.getI32Type());
      Value out = memref::AllocOp::create(b, loc, outType);
      auto call = func::CallOp::create(
          b, loc, kernel,
          ValueRange{lhs, view, out, arith::ConstantIndexOp::create(b, loc, 0),
                     arith::ConstantIndexOp::create(b, loc, n)});
      // Columns are independent: convert-parallel-to-runtime may split them.
      call->setAttr("tern.parallel", b.getUnitAttr());
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
  void runOnOperation() override {
    getOperation().walk([&](func::FuncOp fn) {
      auto kind = fn->getAttrOfType<StringAttr>(kKernelAttr);
      if (!fn.isExternal() || !kind)
        return;
      if (kind.getValue() == "i2_avx2")
        defineAvx2Kernel(fn);
      else if (kind.getValue() == "i2_neon-dotprod")
        defineNeonDotprodKernel(fn);
      else
        fn.emitError() << "unknown kernel kind '" << kind.getValue() << "'";
    });
  }
};

} // namespace
