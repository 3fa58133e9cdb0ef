//===- X86Kernels.cpp - AVX2 and VNNI bodies of i2 matmul kernels ---------===//
//
// Both multiply the 2-bit codes (t + 1, unsigned 0..2) by the int8
// activations and subtract sum_k a[m, k] at the end; exact.
//
// AVX2: per 32-byte step, vpmaddubsw(codes_j, a[.. 32 ..]) for the 4 bit
// positions j, summed in i16 (|.| <= 4 x 2 x 2 x 127 < 2^15), widened by
// vpmaddwd(., 1) into 8 i32 lanes.
// VNNI: vpdpbusd accumulates each u8 x s8 pair straight into 8 i32 lanes.
// VNNI512: the same on 512-bit vectors (64-byte steps, 16 i32 lanes), for
// CPUs with AVX512-VNNI and a full-width datapath (Zen 5, Sapphire Rapids).
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
constexpr const char *kVpdpbusd512 = "llvm.x86.avx512.vpdpbusd.512";

/// The x86 family of `vecBytes`-byte steps given how it accumulates u8 x s8
/// pairs into i32 lanes (vecBytes / 4 of them).
I2Family x86Family(int64_t vecBytes, const AccumulateFn &accumulate) {
  I2Family f;
  f.dots = [=](I2KernelBuilder &kb, ArrayRef<Value> rows,
               ArrayRef<Value> cols) {
    auto acc = VectorType::get({vecBytes / 4}, kb.b.getI32Type());
    return fixedWidthDots(kb, rows, cols, vecBytes, acc, /*codeOffset=*/0,
                          accumulate);
  };
  // sum_k a[row, k]: the overcount of multiplying by codes t + 1.
  f.rowSum = [=](I2KernelBuilder &kb, Value row) -> Value {
    auto bytes = VectorType::get({vecBytes}, kb.b.getI8Type());
    auto acc = VectorType::get({vecBytes / 4}, kb.b.getI32Type());
    Value ones = kb.splat(bytes, 1);
    Value sum = kb.splat(acc, 0);
    for (int64_t kk = 0; kk < kb.k; kk += 4 * vecBytes) {
      SmallVector<std::pair<Value, Value>> pairs;
      for (int64_t c = kk; c < std::min(kb.k, kk + 4 * vecBytes);
           c += vecBytes)
        pairs.push_back({ones, vector::LoadOp::create(
                                   kb.b, kb.loc, bytes, kb.a,
                                   ValueRange{row, kb.idx(c)})});
      sum = accumulate(kb, sum, pairs);
    }
    return vector::ReductionOp::create(kb.b, kb.loc,
                                       vector::CombiningKind::ADD, sum);
  };
  return f;
}

} // namespace

void mlir::tern::kernels::defineAvx2Kernel(func::FuncOp fn) {
  defineTiledKernel(fn, x86Family(32, [](I2KernelBuilder &kb, Value acc,
                                         ArrayRef<std::pair<Value, Value>>
                                             pairs) {
    auto v16i16 = VectorType::get({16}, kb.b.getI16Type());
    auto v8i32 = VectorType::get({8}, kb.b.getI32Type());
    Value p16;
    for (auto [codes, x] : pairs) {
      Value p = kb.intrinsic(v16i16, kPmaddubsw, {codes, x});
      p16 = p16 ? Value(arith::AddIOp::create(kb.b, kb.loc, p16, p)) : p;
    }
    Value wide = kb.intrinsic(v8i32, kPmaddwd, {p16, kb.splat(v16i16, 1)});
    return Value(arith::AddIOp::create(kb.b, kb.loc, acc, wide));
  }));
}

namespace {
/// vpdpbusd of `name` accumulating each pair into acc's lanes.
AccumulateFn dpbusd(const char *name) {
  return [name](I2KernelBuilder &kb, Value acc,
                ArrayRef<std::pair<Value, Value>> pairs) {
    for (auto [codes, x] : pairs)
      acc = kb.intrinsic(acc.getType(), name, {acc, codes, x});
    return acc;
  };
}
} // namespace

void mlir::tern::kernels::defineVnniKernel(func::FuncOp fn) {
  defineTiledKernel(fn, x86Family(32, dpbusd(kVpdpbusd)));
}

void mlir::tern::kernels::defineVnni512Kernel(func::FuncOp fn) {
  defineTiledKernel(fn, x86Family(64, dpbusd(kVpdpbusd512)));
}
