//===- Q4HeadLowering.cpp - The integer q4 head as vector code ------------===//
//
// The body of `tern.lm_head ... as q4` (runtime/model/HeadFormat.h states
// the arithmetic, q4HeadLogit): integer dot products of the quantized
// token rows with the 4-bit codes, per group of 32 weights, then 16 float
// partial sums of group sum x group scale.
//
// Per call, each wanted token row is rearranged once so that a 64-byte
// load of codes (4 groups of 16 bytes) meets its activations in two
// 64-byte loads: the low nibbles multiply the first 16 activations of each
// of the 4 groups, the high nibbles the last 16 (`rows` below); and 8 x
// each group's activation sum is kept to take the codes' offset of 8 out
// of the unsigned products. Per vocabulary row and block of 16 groups (256
// code bytes): 4 x (load, mask, shift, 2 multiply-adds of byte quads) into
// 4 accumulators of 16 i32 lanes (4 lanes per group), folded by two rounds
// of even/odd shuffles into the block's 16 group sums in order, minus the
// offsets, to f32, times the 16 scales (f16, widened), added to the 16
// partial sums. The multiply-add of byte quads is the `dot` family's
// (vpdpbusd, vpmaddubsw + vpmaddwd, sdot; a call of a declaration that
// generate-tern-kernels defines and LLVM inlines), or plain widening
// arithmetic without one. Groups past the last whole block are summed one
// at a time into the lanes they own.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/HeadDot.h"
#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"
#include "compiler/Kernels/KernelFamily.h"

#include "runtime/model/HeadFormat.h"

using namespace mlir;
using namespace mlir::tern;

namespace {

constexpr int64_t kGroup = ::tern::kHeadQ4Group; // weights per scale
constexpr int64_t kChunk = 64;                   // code bytes per load
constexpr int64_t kBlock = 16;                   // groups per partial sum

struct Q4Builder : IntegerHeadFormat {
  using IntegerHeadFormat::IntegerHeadFormat;

  /// Per call: the wanted token rows rearranged and their offsets.
  Value xr, offsets;

  void allocate() override {
    xr = v.newBuffer(RankedTensorType::get({s.rows, s.hidden}, i8));
    offsets = v.newBuffer(RankedTensorType::get({s.rows, paddedGroups()}, i32));
  }

  int64_t groups() const { return s.hidden / kGroup; }
  int64_t blocks() const { return groups() / kBlock; }

  Value shuffle(Value a, Value b, ArrayRef<int64_t> lanes) {
    return vector::ShuffleOp::create(v.b, v.loc, a, b, lanes);
  }
  /// Lanes [off, off + n) of `x`.
  Value slice(Value x, int64_t off, int64_t n) {
    return shuffle(x, x, strided(off, 1, n));
  }
  /// acc [16 x i32] + per lane l the sum over j < 4 of u[4l+j] * x[4l+j]
  /// (u: 64 bytes 0..15, x: 64 signed bytes).
  Value quadDot(Value acc, Value u, Value x) {
    return headQuadDot(v, module, s.family, acc, u, x);
  }
  Value pairSums(Value a, Value b) { return mlir::tern::pairSums(v, a, b); }

  /// Rearranges token row r of `xq` into `xr` (per 4 groups: the first 16
  /// activations of each, then the last 16) and writes 8 x each group's
  /// activation sum into `offsets` (0 past the last group).
  void prepareRow(Value xq, Value r) override {
    OpBuilder &b = v.b;
    const int64_t half = kGroup / 2;
    for (int64_t g = 0; g < groups(); ++g) {
      Value lo = v.vload(xq, {r, v.idx(g * kGroup)}, half);
      Value hi = v.vload(xq, {r, v.idx(g * kGroup + half)}, half);
      if (g < groups() / 4 * 4) {
        const int64_t base = g / 4 * 2 * kChunk + g % 4 * half;
        v.vstore(lo, xr, {r, v.idx(base)});
        v.vstore(hi, xr, {r, v.idx(base + kChunk)});
      }
      Value wide = arith::ExtSIOp::create(
          b, v.loc, v.vec(i32, kGroup),
          shuffle(lo, hi, strided(0, 1, kGroup)));
      Value sum = vector::ReductionOp::create(b, v.loc,
                                              vector::CombiningKind::ADD, wide);
      sum = arith::MulIOp::create(
          b, v.loc, sum, arith::ConstantOp::create(b, v.loc, b.getI32IntegerAttr(8)));
      memref::StoreOp::create(b, v.loc, sum, offsets,
                              ValueRange{r, v.idx(g)});
    }
    for (int64_t g = groups(); g < paddedGroups(); ++g)
      memref::StoreOp::create(
          b, v.loc, arith::ConstantOp::create(b, v.loc, b.getI32IntegerAttr(0)),
          offsets, ValueRange{r, v.idx(g)});
  }
  int64_t paddedGroups() const {
    return (groups() + kBlock - 1) / kBlock * kBlock;
  }

  /// Block t's 16 group sums of vocabulary row `row` with token row r.
  Value blockSums(Value codes, Value xr, Value row, Value r, int64_t t,
                  Value ahead) {
    OpBuilder &b = v.b;
    SmallVector<Value> acc;
    for (int64_t c = 0; c < 4; ++c) {
      const int64_t chunk = t * 4 + c;
      if (ahead)
        memref::PrefetchOp::create(b, v.loc, codes,
                                   ValueRange{ahead, v.idx(chunk * kChunk)},
                                   /*isWrite=*/false,
                                   /*localityHint=*/s.locality,
                                   /*isDataCache=*/true);
      Value bytes = v.vload(codes, {row, v.idx(chunk * kChunk)}, kChunk);
      Value lo = arith::AndIOp::create(b, v.loc, bytes, splat8(kChunk, 15));
      Value hi = arith::ShRUIOp::create(b, v.loc, bytes, splat8(kChunk, 4));
      Value a = v.vzero(i32, kChunk / 4);
      a = quadDot(a, lo, v.vload(xr, {r, v.idx(chunk * 2 * kChunk)}, kChunk));
      a = quadDot(a, hi,
                  v.vload(xr, {r, v.idx(chunk * 2 * kChunk + kChunk)}, kChunk));
      acc.push_back(a);
    }
    // Lanes 4i..4i+3 of acc[c] hold group 4c + i: two rounds of pair sums
    // leave group 4c + i in lane 4c + i.
    return pairSums(pairSums(acc[0], acc[1]), pairSums(acc[2], acc[3]));
  }

  /// The sums of the groups past the last whole block, in lanes 0.. of 16
  /// (0 elsewhere), from the unarranged token row.
  Value tailSums(Value codes, Value xq, Value row, Value r) {
    OpBuilder &b = v.b;
    Value out = v.vzero(i32, kBlock);
    const int64_t half = kGroup / 2;
    for (int64_t g = blocks() * kBlock; g < groups(); ++g) {
      Value bytes = v.vload(codes, {row, v.idx(g * half)}, half);
      Value u = shuffle(
          arith::AndIOp::create(b, v.loc, bytes, splat8(half, 15)),
          arith::ShRUIOp::create(b, v.loc, bytes, splat8(half, 4)),
          strided(0, 1, kGroup));
      Value x = v.vload(xq, {r, v.idx(g * kGroup)}, kGroup);
      Value prod = arith::MulIOp::create(
          b, v.loc, arith::ExtUIOp::create(b, v.loc, v.vec(i32, kGroup), u),
          arith::ExtSIOp::create(b, v.loc, v.vec(i32, kGroup), x));
      Value sum = vector::ReductionOp::create(b, v.loc,
                                              vector::CombiningKind::ADD, prod);
      out = vector::InsertOp::create(b, v.loc, sum, out,
                                     ArrayRef<int64_t>{g - blocks() * kBlock});
    }
    return out;
  }

  /// 16 scales of row `row` from group g0, widened from f16 (exact); past
  /// the last group, 0.
  Value scalesAt(Value scales, Value row, int64_t g0) {
    OpBuilder &b = v.b;
    if (g0 + kBlock <= groups())
      return arith::ExtFOp::create(b, v.loc, v.vec(f32, kBlock),
                                   v.vload(scales, {row, v.idx(g0)}, kBlock));
    Value out = v.vzero(f32, kBlock);
    for (int64_t g = g0; g < groups(); ++g)
      out = vector::InsertOp::create(
          b, v.loc,
          arith::ExtFOp::create(
              b, v.loc, f32,
              memref::LoadOp::create(b, v.loc, scales,
                                     ValueRange{row, v.idx(g)})
                  .getResult()),
          out, ArrayRef<int64_t>{g - g0});
    return out;
  }

  /// The logit of vocabulary row `row` for token row r, before 1 / xs.
  Value rowLogit(Value codes, Value scales, Value xq, Value row, Value r,
                 Value ahead) override {
    OpBuilder &b = v.b;
    Value p = v.vzero(f32, kBlock);
    auto accumulate = [&](Value sums, int64_t g0) {
      sums = arith::SubIOp::create(b, v.loc, sums,
                                   v.vload(offsets, {r, v.idx(g0)}, kBlock));
      Value f = arith::SIToFPOp::create(b, v.loc, v.vec(f32, kBlock), sums);
      p = arith::AddFOp::create(
          b, v.loc, p,
          arith::MulFOp::create(b, v.loc, f, scalesAt(scales, row, g0)));
    };
    for (int64_t t = 0; t < blocks(); ++t)
      accumulate(blockSums(codes, xr, row, r, t, ahead), t * kBlock);
    if (groups() % kBlock)
      accumulate(tailSums(codes, xq, row, r), blocks() * kBlock);
    // fold16: lanes l + 8 onto l, then the lane tree.
    auto addf = [&](Value a, Value c) -> Value {
      return arith::AddFOp::create(b, v.loc, a, c);
    };
    return v.laneTree(addf(slice(p, 0, 8), slice(p, 8, 8)));
  }
};

} // namespace

void mlir::tern::buildQ4HeadBody(OpBuilder &b, Block *body,
                                 const IntegerHeadShape &s) {
  buildIntegerHeadBody(b, body, s, [&](VectorBuilder &v, ModuleOp module) {
    return std::make_unique<Q4Builder>(v, s, module);
  });
}
