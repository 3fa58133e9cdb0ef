//===- ArmKernels.cpp - NEON dotprod and SVE bodies of i2 matmul kernels --===//
//
// Both multiply the signed ternary values ((byte >> s) & 3) - 1 by the int8
// activations with sdot (4-byte dot products into i32 lanes), so no
// correction term is needed. Exact: every partial sum fits in i32.
//
// neon-dotprod: fully unrolled 16-byte steps, `llvm.aarch64.neon.sdot`.
// sve: the weights in one block per row (`#tern.layout<i2, block = K>`):
// byte q of a row holds elements q + j K/4 for bit positions j, so for any
// vector length the activations of each bit position are one contiguous
// run. The loop steps by the vector length (vscale x 16 bytes), with a
// predicate (vector.create_mask + masked loads) for the last step, and
// accumulates with `llvm.aarch64.sve.sdot`: the code runs unchanged on
// 128- to 2048-bit SVE.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/TernToKernels/TernToKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

void mlir::tern::kernels::defineNeonDotprodKernel(func::FuncOp fn) {
  I2Family f;
  f.dots = [](I2KernelBuilder &kb, ArrayRef<Value> rows,
              ArrayRef<Value> cols) {
    auto v4i32 = VectorType::get({4}, kb.b.getI32Type());
    return fixedWidthDots(
        kb, rows, cols, /*vecBytes=*/16, v4i32, /*codeOffset=*/1,
        [v4i32](I2KernelBuilder &kb, Value acc,
                ArrayRef<std::pair<Value, Value>> pairs) {
          for (auto [t, x] : pairs)
            acc = kb.intrinsic(v4i32, "llvm.aarch64.neon.sdot.v4i32.v16i8",
                               {acc, t, x});
          return acc;
        });
  };
  defineTiledKernel(fn, f);
}

void mlir::tern::kernels::defineSveKernel(func::FuncOp fn) {
  I2Family f;
  f.dots = [](I2KernelBuilder &kb, ArrayRef<Value> rows,
              ArrayRef<Value> cols) {
    OpBuilder &b = kb.b;
    Location loc = kb.loc;
    auto bytesType = VectorType::get({16}, b.getI8Type(), {true});
    auto maskType = VectorType::get({16}, b.getI1Type(), {true});
    auto accType = VectorType::get({4}, b.getI32Type(), {true});
    const int64_t quarter = kb.k / 4; // bytes per row; block == k
    Value vl = arith::MulIOp::create(
        b, loc, vector::VectorScaleOp::create(b, loc), kb.idx(16));
    SmallVector<Value> init(rows.size() * cols.size(), kb.splat(accType, 0));
    auto loop = scf::ForOp::create(
        b, loc, kb.idx(0), kb.idx(quarter), vl, init,
        [&](OpBuilder &nb, Location l, Value q, ValueRange accs) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          Value left = arith::SubIOp::create(b, l, kb.idx(quarter), q);
          Value mask =
              vector::CreateMaskOp::create(b, l, maskType, ValueRange{left});
          Value zero = kb.splat(bytesType, 0);
          SmallVector<std::array<Value, 4>> t;
          for (Value col : cols) {
            Value bytes = vector::MaskedLoadOp::create(
                b, l, bytesType, kb.w, ValueRange{col, q}, mask, zero);
            // Lanes past the end read code 0 (t = -1) against activations
            // loaded as 0: they add nothing.
            t.push_back({kb.codes(bytes, 0, 1), kb.codes(bytes, 1, 1),
                         kb.codes(bytes, 2, 1), kb.codes(bytes, 3, 1)});
          }
          SmallVector<Value> next(accs.begin(), accs.end());
          for (size_t i = 0; i < rows.size(); ++i)
            for (int j = 0; j < 4; ++j) {
              Value at = arith::AddIOp::create(b, l, q, kb.idx(j * quarter));
              Value x = vector::MaskedLoadOp::create(
                  b, l, bytesType, kb.a, ValueRange{rows[i], at}, mask, zero);
              for (size_t n = 0; n < cols.size(); ++n) {
                Value &acc = next[i * cols.size() + n];
                acc = kb.intrinsic(accType, "llvm.aarch64.sve.sdot.nxv4i32",
                                   {acc, t[n][j], x});
              }
            }
          scf::YieldOp::create(b, l, next);
        });
    SmallVector<SmallVector<Value>> dots(rows.size());
    for (size_t i = 0; i < rows.size(); ++i)
      for (size_t n = 0; n < cols.size(); ++n)
        dots[i].push_back(vector::ReductionOp::create(
            b, loc, vector::CombiningKind::ADD,
            loop.getResult(i * cols.size() + n)));
    return dots;
  };
  defineTiledKernel(fn, f);
}
