//===- X86Kernels.cpp - AVX2 and VNNI bodies of i2 matmul kernels ---------===//
//
// AVX2: out[m, n] = sum over 128-weight blocks b and bit positions j of
// vpmaddubsw(codes_j (u8 0..2), a[m, 128 b + 32 j : + 32] (s8)), summed in
// i16 over the 4 positions (|.| <= 2048), widened by vpmaddwd(., 1) into 8
// i32 lanes, reduced, minus sum_k a[m, k] (codes are t + 1). Exact.
// VNNI: the same with vpdpbusd accumulating u8 x s8 straight into i32.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/TernToKernels/TernToKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

namespace {
constexpr const char *kPmaddubsw = "llvm.x86.avx2.pmadd.ub.sw";
constexpr const char *kPmaddwd = "llvm.x86.avx2.pmadd.wd";
// vpdpbusd (AVX512-VNNI with VL, or AVX-VNNI): acc + 4-byte dot products of
// u8 x s8 into i32 lanes.
constexpr const char *kVpdpbusd = "llvm.x86.avx512.vpdpbusd.256";
} // namespace

namespace {

/// acc (8 x i32) + the dot products of each (u8 codes, s8 activations)
/// pair of 32-byte vectors (at most 4 pairs per call).
using AccumulateFn = std::function<Value(I2KernelBuilder &, Value acc,
                                         ArrayRef<std::pair<Value, Value>>)>;

/// The x86 i2 kernel, given how a family accumulates u8 x s8 products.
void defineX86Kernel(func::FuncOp fn, const AccumulateFn &accumulate) {
  MLIRContext *ctx = fn.getContext();
  auto v32i8 = VectorType::get({32}, IntegerType::get(ctx, 8));
  auto v8i32 = VectorType::get({8}, IntegerType::get(ctx, 32));

  // sum_k a[row, k]: the overcount of multiplying by codes t + 1.
  auto rowSum = [&](I2KernelBuilder &kb, Value row) -> Value {
    Value ones8 = kb.splat(v32i8, 1);
    Value sum = kb.splat(v8i32, 0);
    for (int64_t kk = 0; kk < kb.k; kk += 4 * 32) {
      SmallVector<std::pair<Value, Value>> pairs;
      for (int64_t c = kk; c < std::min(kb.k, kk + 4 * 32); c += 32)
        pairs.push_back({ones8, vector::LoadOp::create(
                                    kb.b, kb.loc, v32i8, kb.a,
                                    ValueRange{row, kb.idx(c)})});
      sum = accumulate(kb, sum, pairs);
    }
    return vector::ReductionOp::create(kb.b, kb.loc,
                                       vector::CombiningKind::ADD, sum);
  };

  auto output = [&](I2KernelBuilder &kb, Value row, Value col,
                    Value sumA) -> Value {
    Value three = kb.splat(v32i8, 3);
    Value shifts[4] = {kb.splat(v32i8, 6), kb.splat(v32i8, 4),
                       kb.splat(v32i8, 2), kb.splat(v32i8, 0)};
    Value acc = kb.splat(v8i32, 0);
    for (int64_t blk = 0; blk < kb.k / kI2Block; ++blk) {
      Value bytes = vector::LoadOp::create(
          kb.b, kb.loc, v32i8, kb.w,
          ValueRange{col, kb.idx(blk * kI2BlockBytes)});
      SmallVector<std::pair<Value, Value>> pairs;
      for (int j = 0; j < 4; ++j) {
        Value codes = arith::AndIOp::create(
            kb.b, kb.loc,
            arith::ShRUIOp::create(kb.b, kb.loc, bytes, shifts[j]), three);
        Value x = vector::LoadOp::create(
            kb.b, kb.loc, v32i8, kb.a,
            ValueRange{row, kb.idx(blk * kI2Block + 32 * j)});
        pairs.push_back({codes, x});
      }
      acc = accumulate(kb, acc, pairs);
    }
    Value total = vector::ReductionOp::create(kb.b, kb.loc,
                                              vector::CombiningKind::ADD, acc);
    return arith::SubIOp::create(kb.b, kb.loc, total, sumA);
  };

  defineI2Kernel(fn, rowSum, output);
}

} // namespace

void mlir::tern::kernels::defineAvx2Kernel(func::FuncOp fn) {
  // vpmaddubsw per pair, summed in i16 (at most 4 x 2 x 2 x 128 = 2048 in
  // magnitude), widened once by vpmaddwd with ones.
  defineX86Kernel(fn, [](I2KernelBuilder &kb, Value acc,
                         ArrayRef<std::pair<Value, Value>> pairs) {
    MLIRContext *ctx = kb.b.getContext();
    auto v16i16 = VectorType::get({16}, IntegerType::get(ctx, 16));
    auto v8i32 = VectorType::get({8}, IntegerType::get(ctx, 32));
    Value p16 = kb.splat(v16i16, 0);
    for (auto [codes, x] : pairs)
      p16 = arith::AddIOp::create(kb.b, kb.loc, p16,
                                  kb.intrinsic(v16i16, kPmaddubsw, {codes, x}));
    Value wide = kb.intrinsic(v8i32, kPmaddwd, {p16, kb.splat(v16i16, 1)});
    return Value(arith::AddIOp::create(kb.b, kb.loc, acc, wide));
  });
}

void mlir::tern::kernels::defineVnniKernel(func::FuncOp fn) {
  // vpdpbusd accumulates each pair straight into the i32 lanes.
  defineX86Kernel(fn, [](I2KernelBuilder &kb, Value acc,
                         ArrayRef<std::pair<Value, Value>> pairs) {
    auto v8i32 =
        VectorType::get({8}, IntegerType::get(kb.b.getContext(), 32));
    for (auto [codes, x] : pairs)
      acc = kb.intrinsic(v8i32, kVpdpbusd, {acc, codes, x});
    return acc;
  });
}
