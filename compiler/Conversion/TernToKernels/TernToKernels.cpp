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
  return family == "avx2" || family == "vnni" || family == "neon-dotprod";
}

Value I2KernelBuilder::idx(int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value I2KernelBuilder::splat(VectorType t, int64_t v) {
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(t, b.getIntegerAttr(t.getElementType(), v)));
}

Value I2KernelBuilder::intrinsic(Type result, llvm::StringRef name,
                                 ValueRange args) {
  return LLVM::CallIntrinsicOp::create(b, loc, result, b.getStringAttr(name),
                                       args)
      .getResult(0);
}

void mlir::tern::kernels::defineI2Kernel(
    func::FuncOp fn,
    const std::function<Value(I2KernelBuilder &, Value)> &perRow,
    const std::function<Value(I2KernelBuilder &, Value, Value, Value)>
        &perOutput) {
  OpBuilder b(fn.getContext());
  auto aType = cast<MemRefType>(fn.getArgumentTypes()[0]);
  fn.setPrivate();
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  I2KernelBuilder kb{b,
                     fn.getLoc(),
                     entry->getArgument(0),
                     entry->getArgument(1),
                     aType.getDimSize(0),
                     aType.getDimSize(1)};
  auto rowLoop =
      scf::ForOp::create(b, kb.loc, kb.idx(0), kb.idx(kb.m), kb.idx(1));
  b.setInsertionPointToStart(rowLoop.getBody());
  Value row = rowLoop.getInductionVar();
  Value rowState = perRow(kb, row);
  // Output columns [begin, end): the caller may split them among threads.
  auto colLoop = scf::ForOp::create(b, kb.loc, entry->getArgument(3),
                                    entry->getArgument(4), kb.idx(1));
  b.setInsertionPointToStart(colLoop.getBody());
  Value col = colLoop.getInductionVar();
  Value total = perOutput(kb, row, col, rowState);
  memref::StoreOp::create(b, kb.loc, total, entry->getArgument(2),
                          ValueRange{row, col});
  b.setInsertionPointAfter(rowLoop);
  func::ReturnOp::create(b, kb.loc);
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
                         << family << "' (expected avx2, vnni or neon-dotprod)";
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
      else if (kind.getValue() == "i2_vnni")
        defineVnniKernel(fn);
      else if (kind.getValue() == "i2_neon-dotprod")
        defineNeonDotprodKernel(fn);
      else
        fn.emitError() << "unknown kernel kind '" << kind.getValue() << "'";
    });
  }
};

} // namespace
