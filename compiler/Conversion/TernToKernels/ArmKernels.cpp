//===- ArmKernels.cpp - NEON dotprod bodies of i2 matmul kernels ----------===//
//
// out[m, n] = sum over 128-weight blocks b, bit positions j and halves h of
// sdot(t (s8: codes - 1), a[m, 128 b + 32 j + 16 h : + 16] (s8)) into 4 i32
// lanes, then reduced. The ternary values are signed already, so no
// correction term is needed. Exact: every partial sum fits in i32.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/TernToKernels/TernToKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

void mlir::tern::kernels::defineNeonDotprodKernel(func::FuncOp fn) {
  OpBuilder b(fn.getContext());
  Location loc = fn.getLoc();
  auto aType = cast<MemRefType>(fn.getArgumentTypes()[0]);
  const int64_t m = aType.getDimSize(0), k = aType.getDimSize(1);
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  fn.setPrivate();
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value a = entry->getArgument(0), w = entry->getArgument(1),
        out = entry->getArgument(2);

  auto v16i8 = VectorType::get({16}, i8);
  auto v4i32 = VectorType::get({4}, i32);
  auto idx = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto splat = [&](VectorType t, int64_t v) -> Value {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(t, b.getIntegerAttr(t.getElementType(), v)));
  };
  Value three = splat(v16i8, 3), one = splat(v16i8, 1);
  Value zero32 = splat(v4i32, 0);
  Value shifts[4] = {splat(v16i8, 6), splat(v16i8, 4), splat(v16i8, 2),
                     splat(v16i8, 0)};
  auto sdot = b.getStringAttr("llvm.aarch64.neon.sdot.v4i32.v16i8");

  auto rowLoop = scf::ForOp::create(b, loc, idx(0), idx(m), idx(1));
  b.setInsertionPointToStart(rowLoop.getBody());
  Value row = rowLoop.getInductionVar();
  auto colLoop = scf::ForOp::create(b, loc, entry->getArgument(3),
                                    entry->getArgument(4), idx(1));
  b.setInsertionPointToStart(colLoop.getBody());
  Value col = colLoop.getInductionVar();
  Value acc = zero32;
  for (int64_t blk = 0; blk < k / kI2Block; ++blk) {
    for (int h = 0; h < 2; ++h) {
      // Bytes 32 b + 16 h + p hold elements 128 b + 16 h + p + 32 j.
      Value bytes = vector::LoadOp::create(
          b, loc, v16i8, w,
          ValueRange{col, idx(blk * kI2BlockBytes + 16 * h)});
      for (int j = 0; j < 4; ++j) {
        Value t = arith::SubIOp::create(
            b, loc,
            arith::AndIOp::create(
                b, loc, arith::ShRUIOp::create(b, loc, bytes, shifts[j]),
                three),
            one);
        Value x = vector::LoadOp::create(
            b, loc, v16i8, a,
            ValueRange{row, idx(blk * kI2Block + 32 * j + 16 * h)});
        acc = LLVM::CallIntrinsicOp::create(b, loc, v4i32, sdot,
                                            ValueRange{acc, t, x})
                  .getResult(0);
      }
    }
  }
  Value total =
      vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, acc);
  memref::StoreOp::create(b, loc, total, out, ValueRange{row, col});
  b.setInsertionPointAfter(rowLoop);
  func::ReturnOp::create(b, loc);
}
