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
  MLIRContext *ctx = fn.getContext();
  auto v16i8 = VectorType::get({16}, IntegerType::get(ctx, 8));
  auto v4i32 = VectorType::get({4}, IntegerType::get(ctx, 32));

  auto output = [&](I2KernelBuilder &kb, Value row, Value col,
                    Value) -> Value {
    Value three = kb.splat(v16i8, 3), one = kb.splat(v16i8, 1);
    Value shifts[4] = {kb.splat(v16i8, 6), kb.splat(v16i8, 4),
                       kb.splat(v16i8, 2), kb.splat(v16i8, 0)};
    Value acc = kb.splat(v4i32, 0);
    for (int64_t blk = 0; blk < kb.k / kI2Block; ++blk) {
      for (int h = 0; h < 2; ++h) {
        // Bytes 32 b + 16 h + p hold elements 128 b + 16 h + p + 32 j.
        Value bytes = vector::LoadOp::create(
            kb.b, kb.loc, v16i8, kb.w,
            ValueRange{col, kb.idx(blk * kI2BlockBytes + 16 * h)});
        for (int j = 0; j < 4; ++j) {
          Value t = arith::SubIOp::create(
              kb.b, kb.loc,
              arith::AndIOp::create(
                  kb.b, kb.loc,
                  arith::ShRUIOp::create(kb.b, kb.loc, bytes, shifts[j]),
                  three),
              one);
          Value x = vector::LoadOp::create(
              kb.b, kb.loc, v16i8, kb.a,
              ValueRange{row, kb.idx(blk * kI2Block + 32 * j + 16 * h)});
          acc = kb.intrinsic(v4i32, "llvm.aarch64.neon.sdot.v4i32.v16i8",
                             {acc, t, x});
        }
      }
    }
    return vector::ReductionOp::create(kb.b, kb.loc,
                                       vector::CombiningKind::ADD, acc);
  };

  defineI2Kernel(
      fn, [](I2KernelBuilder &, Value) { return Value(); }, output);
}
