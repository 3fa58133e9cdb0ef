//===- Int8HeadLowering.cpp - The integer int8 head as vector code --------===//
//
// The body of `tern.lm_head %xq scaled %xs, ... as int8`
// (runtime/model/HeadFormat.h states the arithmetic, int8HeadLogit): the
// int8 codes of each vocabulary row times the token row quantized to i8,
// summed exactly in i32, then one float product with the row's scale and
// 1 / xs.
//
// The multiply-add of byte quads takes unsigned bytes of at most 127 on one
// side (KernelFamily::quadDot), and both the codes and the token row are
// signed: per call, each wanted token row is split once into its
// magnitudes |xq| (xq clamped to [-127, 127], the reference's clamp) and a
// byte mask m = -1 where xq < 0, and each 64-byte load of codes w is
// multiplied as |xq| * ((w ^ m) - m), which is |xq| * sign(xq) * w. Per
// vocabulary row: 4 accumulators of 16 i32 lanes, one load of codes, one
// xor, one subtract and one multiply-add (vpdpbusd, vpmaddubsw + vpmaddwd,
// sdot; plain widening arithmetic without a family) per 64 bytes, over
// steps of 256 bytes, then the whole 64-byte chunks left, then the columns
// left by widening arithmetic; the lanes summed (exact), to f32, times the
// scale, times 1 / xs.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/HeadDot.h"
#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"
#include "compiler/Kernels/KernelFamily.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::tern;

namespace {

struct Int8Builder : IntegerHeadFormat {
  using IntegerHeadFormat::IntegerHeadFormat;

  /// Per call: |xq| and the sign mask of each wanted token row.
  Value mag, sign;

  void allocate() override {
    mag = v.newBuffer(RankedTensorType::get({s.rows, s.hidden}, i8));
    sign = v.newBuffer(RankedTensorType::get({s.rows, s.hidden}, i8));
  }

  /// Writes |max(xq, -127)| and (xq < 0 ? -1 : 0) of token row r.
  void prepareRow(Value xq, Value r) override {
    OpBuilder &b = v.b;
    forEachPiece([&](int64_t k, int64_t w) {
      Value x = arith::MaxSIOp::create(b, v.loc, v.vload(xq, {r, v.idx(k)}, w),
                                       splat8(w, -127));
      Value zero = splat8(w, 0);
      Value negative =
          arith::CmpIOp::create(b, v.loc, arith::CmpIPredicate::slt, x, zero);
      Value abs = arith::SelectOp::create(
          b, v.loc, negative, arith::SubIOp::create(b, v.loc, zero, x), x);
      v.vstore(abs, mag, {r, v.idx(k)});
      v.vstore(arith::SelectOp::create(b, v.loc, negative, splat8(w, -1), zero),
               sign, {r, v.idx(k)});
    });
  }

  /// Codes w of vocabulary row `row` at column k times sign(xq) of token
  /// row r: (w ^ m) - m.
  Value signedCodes(Value codes, Value row, Value r, Value k, int64_t w) {
    OpBuilder &b = v.b;
    Value m = v.vload(sign, {r, k}, w);
    return arith::SubIOp::create(
        b, v.loc,
        arith::XOrIOp::create(b, v.loc, v.vload(codes, {row, k}, w), m), m);
  }

  /// acc + the quad sums of the 64 columns at k.
  Value chunk(Value acc, Value codes, Value row, Value r, Value k,
              Value ahead) {
    if (ahead)
      memref::PrefetchOp::create(v.b, v.loc, codes, ValueRange{ahead, k},
                                 /*isWrite=*/false,
                                 /*localityHint=*/s.locality,
                                 /*isDataCache=*/true);
    return headQuadDot(v, module, s.family, acc, v.vload(mag, {r, k}, kChunk),
                       signedCodes(codes, row, r, k, kChunk));
  }

  /// The exact i32 sum of vocabulary row `row` with token row r.
  Value rowSum(Value codes, Value row, Value r, Value ahead) {
    OpBuilder &b = v.b;
    int64_t k = 0;
    Value sum = chunkSums(
        1,
        [&](MutableArrayRef<Value> acc, Value at) {
          acc[0] = chunk(acc[0], codes, row, r, at, ahead);
        },
        k)[0];
    if (const int64_t w = s.hidden - k) {
      // The columns past the last chunk (a multiple of 8).
      Value prod = arith::MulIOp::create(
          b, v.loc,
          arith::ExtUIOp::create(b, v.loc, v.vec(i32, w),
                                 v.vload(mag, {r, v.idx(k)}, w)),
          arith::ExtSIOp::create(b, v.loc, v.vec(i32, w),
                                 signedCodes(codes, row, r, v.idx(k), w)));
      sum = arith::AddIOp::create(
          b, v.loc, sum,
          vector::ReductionOp::create(b, v.loc, vector::CombiningKind::ADD,
                                      prod));
    }
    return sum;
  }

  /// f32(sum) times the row's scale (buildIntegerHeadBody multiplies it by
  /// 1 / xs).
  Value rowLogit(Value codes, Value scales, Value xq, Value row, Value r,
                 Value ahead) override {
    Value d =
        arith::SIToFPOp::create(v.b, v.loc, f32, rowSum(codes, row, r, ahead));
    return arith::MulFOp::create(
        v.b, v.loc, d,
        memref::LoadOp::create(v.b, v.loc, scales, ValueRange{row, v.idx(0)}));
  }
};

} // namespace

void mlir::tern::buildInt8HeadBody(OpBuilder &b, Block *body,
                                   const IntegerHeadShape &s) {
  buildIntegerHeadBody(b, body, s, [&](VectorBuilder &v, ModuleOp module) {
    return std::make_unique<Int8Builder>(v, s, module);
  });
}
