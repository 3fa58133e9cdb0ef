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

void mlir::tern::kernels::defineAvx2Kernel(func::FuncOp fn) {
  MLIRContext *ctx = fn.getContext();
  auto v32i8 = VectorType::get({32}, IntegerType::get(ctx, 8));
  auto v16i16 = VectorType::get({16}, IntegerType::get(ctx, 16));
  auto v8i32 = VectorType::get({8}, IntegerType::get(ctx, 32));

  // sum_k a[row, k]: the overcount of multiplying by codes t + 1.
  auto rowSum = [&](I2KernelBuilder &kb, Value row) -> Value {
    Value ones8 = kb.splat(v32i8, 1), ones16 = kb.splat(v16i16, 1);
    Value sum = kb.splat(v8i32, 0);
    for (int64_t kk = 0; kk < kb.k; kk += 32) {
      Value x = vector::LoadOp::create(kb.b, kb.loc, v32i8, kb.a,
                                       ValueRange{row, kb.idx(kk)});
      Value p = kb.intrinsic(v16i16, kPmaddubsw, {ones8, x});
      sum = arith::AddIOp::create(kb.b, kb.loc, sum,
                                  kb.intrinsic(v8i32, kPmaddwd, {p, ones16}));
    }
    return vector::ReductionOp::create(kb.b, kb.loc,
                                       vector::CombiningKind::ADD, sum);
  };

  auto output = [&](I2KernelBuilder &kb, Value row, Value col,
                    Value sumA) -> Value {
    Value three = kb.splat(v32i8, 3), ones16 = kb.splat(v16i16, 1);
    Value shifts[4] = {kb.splat(v32i8, 6), kb.splat(v32i8, 4),
                       kb.splat(v32i8, 2), kb.splat(v32i8, 0)};
    Value acc = kb.splat(v8i32, 0);
    for (int64_t blk = 0; blk < kb.k / kI2Block; ++blk) {
      Value bytes = vector::LoadOp::create(
          kb.b, kb.loc, v32i8, kb.w,
          ValueRange{col, kb.idx(blk * kI2BlockBytes)});
      Value p16 = kb.splat(v16i16, 0);
      for (int j = 0; j < 4; ++j) {
        Value codes = arith::AndIOp::create(
            kb.b, kb.loc,
            arith::ShRUIOp::create(kb.b, kb.loc, bytes, shifts[j]), three);
        Value x = vector::LoadOp::create(
            kb.b, kb.loc, v32i8, kb.a,
            ValueRange{row, kb.idx(blk * kI2Block + 32 * j)});
        p16 = arith::AddIOp::create(kb.b, kb.loc, p16,
                                    kb.intrinsic(v16i16, kPmaddubsw,
                                                 {codes, x}));
      }
      acc = arith::AddIOp::create(kb.b, kb.loc, acc,
                                  kb.intrinsic(v8i32, kPmaddwd, {p16, ones16}));
    }
    Value total = vector::ReductionOp::create(kb.b, kb.loc,
                                              vector::CombiningKind::ADD, acc);
    return arith::SubIOp::create(kb.b, kb.loc, total, sumA);
  };

  defineI2Kernel(fn, rowSum, output);
}

void mlir::tern::kernels::defineVnniKernel(func::FuncOp fn) {
  MLIRContext *ctx = fn.getContext();
  auto v32i8 = VectorType::get({32}, IntegerType::get(ctx, 8));
  auto v8i32 = VectorType::get({8}, IntegerType::get(ctx, 32));

  // sum_k a[row, k] (codes are t + 1), by vpdpbusd with ones.
  auto rowSum = [&](I2KernelBuilder &kb, Value row) -> Value {
    Value ones8 = kb.splat(v32i8, 1);
    Value sum = kb.splat(v8i32, 0);
    for (int64_t kk = 0; kk < kb.k; kk += 32) {
      Value x = vector::LoadOp::create(kb.b, kb.loc, v32i8, kb.a,
                                       ValueRange{row, kb.idx(kk)});
      sum = kb.intrinsic(v8i32, kVpdpbusd, {sum, ones8, x});
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
      for (int j = 0; j < 4; ++j) {
        Value codes = arith::AndIOp::create(
            kb.b, kb.loc,
            arith::ShRUIOp::create(kb.b, kb.loc, bytes, shifts[j]), three);
        Value x = vector::LoadOp::create(
            kb.b, kb.loc, v32i8, kb.a,
            ValueRange{row, kb.idx(blk * kI2Block + 32 * j)});
        acc = kb.intrinsic(v8i32, kVpdpbusd, {acc, codes, x});
      }
    }
    Value total = vector::ReductionOp::create(kb.b, kb.loc,
                                              vector::CombiningKind::ADD, acc);
    return arith::SubIOp::create(kb.b, kb.loc, total, sumA);
  };

  defineI2Kernel(fn, rowSum, output);
}
