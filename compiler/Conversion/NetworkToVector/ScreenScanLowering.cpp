//===- ScreenScanLowering.cpp - The screened head's scan in integers ------===//
//
// The body of `tern.lm_head %x, %codes, %scales ... as int8` on f32 token
// rows, the screened head's scan (runtime/model/HeadFormat.h states the
// arithmetic: quantizeScreenRow, screenScanLogit): the int8 codes of each
// vocabulary row times the token row quantized to 15 bits, summed exactly,
// then one float product with the row's scale and 1 / xs.
//
// Per call, each wanted token row is quantized once: xs = K / max|x| (1
// for a zero row), u = sign(x) * min(roundeven(|x| * xs), K), written as
// two byte digits u = 128 d1 + d0, in one of two forms by the `dot`
// family's multiply-add of byte quads (KernelFamily::quadDot):
//  - offset codes, where it multiplies whole unsigned bytes
//    (quadDotFullBytes: vpdpbusd): balanced signed digits d0 in [-64, 63],
//    d1 in [-127, 127], and each 64-byte load of codes w multiplied as the
//    unsigned w ^ 0x80 = w + 128 against each digit; the row's digit sums
//    D (once per call) take the offset back: sum w d = sum (w + 128) d -
//    128 D. Per 64 codes: one load of codes, one xor, two multiply-adds,
//    as many token row bytes loaded as the int8 head's.
//  - signed codes, elsewhere (vpmaddubsw + vpmaddwd, sdot; plain widening
//    arithmetic without a family; each unsigned operand at most 127):
//    digits of |u| in [0, 127] and a byte mask m = -1 where x < 0; each
//    load of codes multiplied as (w ^ m) - m = sign(x) w against each, as
//    the int8 head of i8 rows does (Int8HeadLowering.cpp).
// Per part, 4 accumulators over steps of 256 bytes, then the whole 64-byte
// chunks left, then the columns left by widening arithmetic of the same
// form. Each part's sum of w d is below 2^31 in magnitude (at most H * 127
// * 127, H <= kHeadInt8MaxCols), so its i32 lanes, whose adds wrap (the
// offset form's sums of (w + 128) d can pass 2^31), end exact; the two
// are joined in i64 (128 S1 + S0), to f32, times the scale (the skeleton
// multiplies by 1 / xs). Against the float form it replaces (each code
// widened to f32 against the token row itself: widen, convert, multiply,
// add per 16 codes), one core of the Zen 4 decoded 1.34-1.50x the tokens
// per second on a one-layer model of the 2B4T head (docs/performance.md,
// "The screen's scan in integers").
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/HeadDot.h"
#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"
#include "compiler/Kernels/KernelFamily.h"

#include "runtime/model/HeadFormat.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <array>

using namespace mlir;
using namespace mlir::tern;

namespace {

constexpr int64_t kDigits = 2; // u = 128 d1 + d0

struct ScreenScanBuilder : IntegerHeadFormat {
  ScreenScanBuilder(VectorBuilder &v, const IntegerHeadShape &s,
                    ModuleOp module)
      : IntegerHeadFormat(v, s, module),
        offset(s.family && s.family->quadDotFullBytes) {}

  /// Whether the codes are offset by 128 (else signed by x's mask).
  const bool offset;
  /// Per call and wanted token row: its digits, its sign mask (signed
  /// codes) or its digit sums (offset codes), and its xs.
  std::array<Value, kDigits> digit;
  Value sign, digitSums, xsOf;

  void allocate() override {
    auto bytes = RankedTensorType::get({s.rows, s.hidden}, i8);
    for (Value &d : digit)
      d = v.newBuffer(bytes, kVectorAlign);
    if (offset)
      digitSums = v.newBuffer(RankedTensorType::get({s.rows, kDigits}, i32));
    else
      sign = v.newBuffer(bytes, kVectorAlign);
    xsOf = v.newBuffer(RankedTensorType::get({s.rows}, f32));
  }

  /// `width` lanes of the i32 c.
  Value splat32(int64_t width, int64_t c) {
    return arith::ConstantOp::create(
        v.b, v.loc,
        DenseElementsAttr::get(v.vec(i32, width), v.b.getI32IntegerAttr(c)));
  }

  /// max |x| of token row r (maxnum: NaN elements are passed over, as the
  /// reference's max).
  Value absMax(Value x, Value r) {
    OpBuilder &b = v.b;
    Value out;
    forEachPiece([&](int64_t k, int64_t w) {
      Value a = math::AbsFOp::create(b, v.loc, v.vload(x, {r, v.idx(k)}, w));
      Value m = vector::ReductionOp::create(
          b, v.loc, vector::CombiningKind::MAXNUMF, a);
      out = out ? Value(arith::MaxNumFOp::create(b, v.loc, out, m)) : m;
    });
    return arith::MaxNumFOp::create(b, v.loc, out, v.f32(0.0f));
  }

  /// xs of token row r: K / max|x|, or 1 for a zero row.
  Value rowScaleOf(Value x, Value r) {
    OpBuilder &b = v.b;
    Value m = absMax(x, r);
    Value positive =
        arith::CmpFOp::create(b, v.loc, arith::CmpFPredicate::OGT, m, v.f32(0));
    return arith::SelectOp::create(
        b, v.loc, positive,
        arith::DivFOp::create(
            b, v.loc, v.f32(static_cast<float>(::tern::kScreenRowMax)), m),
        v.f32(1.0f));
  }

  /// Adds the lanes of `d` to digit sum p of token row r.
  void addDigitSum(Value r, int64_t p, Value d) {
    OpBuilder &b = v.b;
    Value sum =
        vector::ReductionOp::create(b, v.loc, vector::CombiningKind::ADD, d);
    SmallVector<Value, 2> at{r, v.idx(p)};
    Value prev = memref::LoadOp::create(b, v.loc, digitSums, at);
    memref::StoreOp::create(b, v.loc, arith::AddIOp::create(b, v.loc, prev, sum),
                            digitSums, at);
  }

  /// xs, the digits and the sign mask or digit sums of token row r.
  void prepareRow(Value x, Value r) override {
    OpBuilder &b = v.b;
    const float k = static_cast<float>(::tern::kScreenRowMax);
    Value xs = rowScaleOf(x, r);
    memref::StoreOp::create(b, v.loc, xs, xsOf, ValueRange{r});
    if (offset)
      for (int64_t p = 0; p < kDigits; ++p)
        memref::StoreOp::create(b, v.loc,
                                arith::ConstantIntOp::create(b, v.loc, i32, 0),
                                digitSums, ValueRange{r, v.idx(p)});
    forEachPiece([&](int64_t c, int64_t w) {
      Value xv = v.vload(x, {r, v.idx(c)}, w);
      Value t = math::RoundEvenOp::create(
          b, v.loc,
          arith::MulFOp::create(b, v.loc, math::AbsFOp::create(b, v.loc, xv),
                                v.vsplat(xs, w)));
      // maxnum turns a NaN into 0, as the reference's fmax.
      t = arith::MinNumFOp::create(
          b, v.loc, arith::MaxNumFOp::create(b, v.loc, t, v.vsplat(v.f32(0), w)),
          v.vsplat(v.f32(k), w));
      Value mag = arith::FPToSIOp::create(b, v.loc, v.vec(i32, w), t);
      Value negative = arith::CmpFOp::create(
          b, v.loc, arith::CmpFPredicate::OLT, xv, v.vsplat(v.f32(0), w));
      std::array<Value, kDigits> d;
      if (offset) {
        // Balanced: d0 = ((u + 64) & 127) - 64, d1 = (u - d0) >> 7.
        Value u = arith::SelectOp::create(
            b, v.loc, negative,
            arith::SubIOp::create(b, v.loc, splat32(w, 0), mag), mag);
        d[0] = arith::SubIOp::create(
            b, v.loc,
            arith::AndIOp::create(
                b, v.loc, arith::AddIOp::create(b, v.loc, u, splat32(w, 64)),
                splat32(w, 127)),
            splat32(w, 64));
        d[1] = arith::ShRSIOp::create(
            b, v.loc, arith::SubIOp::create(b, v.loc, u, d[0]), splat32(w, 7));
        for (int64_t p = 0; p < kDigits; ++p)
          addDigitSum(r, p, d[p]);
      } else {
        d[0] = arith::AndIOp::create(b, v.loc, mag, splat32(w, 127));
        d[1] = arith::ShRUIOp::create(b, v.loc, mag, splat32(w, 7));
        v.vstore(arith::SelectOp::create(b, v.loc, negative, splat8(w, -1),
                                         splat8(w, 0)),
                 sign, {r, v.idx(c)});
      }
      for (int64_t p = 0; p < kDigits; ++p)
        v.vstore(arith::TruncIOp::create(b, v.loc, v.vec(i8, w), d[p]),
                 digit[p], {r, v.idx(c)});
    });
  }

  Value rowScale(Value, Value r) override {
    return memref::LoadOp::create(v.b, v.loc, xsOf, ValueRange{r});
  }

  /// The codes of vocabulary row `row` at column k as the multiply-add's
  /// operand: w ^ 0x80 (offset) or (w ^ m) - m (signed by token row r).
  Value operandCodes(Value codes, Value row, Value r, Value k, int64_t w) {
    OpBuilder &b = v.b;
    Value c = v.vload(codes, {row, k}, w);
    if (offset)
      return arith::XOrIOp::create(b, v.loc, c, splat8(w, -128));
    Value m = v.vload(sign, {r, k}, w);
    return arith::SubIOp::create(b, v.loc, arith::XOrIOp::create(b, v.loc, c, m),
                                 m);
  }

  /// acc[p] + the quad sums of digit p over the 64 columns at k.
  void chunk(MutableArrayRef<Value> acc, Value codes, Value row, Value r,
             Value k, Value ahead) {
    if (ahead)
      memref::PrefetchOp::create(v.b, v.loc, codes, ValueRange{ahead, k},
                                 /*isWrite=*/false,
                                 /*localityHint=*/s.locality,
                                 /*isDataCache=*/true);
    Value cw = operandCodes(codes, row, r, k, kChunk);
    for (int64_t p = 0; p < kDigits; ++p) {
      Value d = v.vload(digit[p], {r, k}, kChunk);
      // The unsigned operand first: the offset codes, or |u|'s digit.
      acc[p] = offset ? headQuadDot(v, module, s.family, acc[p], cw, d)
                      : headQuadDot(v, module, s.family, acc[p], d, cw);
    }
  }

  /// The lanes' sum of digit p over the columns [k, H) past the last
  /// chunk, by widening arithmetic of the same form.
  Value tailSum(Value codes, Value row, Value r, int64_t k, int64_t p) {
    OpBuilder &b = v.b;
    const int64_t w = s.hidden - k;
    Value cw = operandCodes(codes, row, r, v.idx(k), w);
    Value d = v.vload(digit[p], {r, v.idx(k)}, w);
    Type wide = v.vec(i32, w);
    Value prod = arith::MulIOp::create(
        b, v.loc,
        offset ? Value(arith::ExtUIOp::create(b, v.loc, wide, cw))
               : Value(arith::ExtSIOp::create(b, v.loc, wide, cw)),
        offset ? Value(arith::ExtSIOp::create(b, v.loc, wide, d))
               : Value(arith::ExtUIOp::create(b, v.loc, wide, d)));
    return vector::ReductionOp::create(b, v.loc, vector::CombiningKind::ADD,
                                       prod);
  }

  /// Each digit's sum of w d with vocabulary row `row` and token row r,
  /// exact in i32.
  std::array<Value, kDigits> digitDots(Value codes, Value row, Value r,
                                       Value ahead) {
    OpBuilder &b = v.b;
    int64_t k = 0;
    SmallVector<Value> lanes = chunkSums(
        kDigits,
        [&](MutableArrayRef<Value> acc, Value at) {
          chunk(acc, codes, row, r, at, ahead);
        },
        k);
    std::array<Value, kDigits> sums;
    for (int64_t p = 0; p < kDigits; ++p) {
      sums[p] = lanes[p];
      if (k < s.hidden)
        sums[p] = arith::AddIOp::create(b, v.loc, sums[p],
                                        tailSum(codes, row, r, k, p));
      if (offset) // sum (w + 128) d - 128 D
        sums[p] = arith::SubIOp::create(
            b, v.loc, sums[p],
            arith::ShLIOp::create(
                b, v.loc,
                memref::LoadOp::create(b, v.loc, digitSums,
                                       ValueRange{r, v.idx(p)}),
                arith::ConstantIntOp::create(b, v.loc, i32, 7)));
    }
    return sums;
  }

  /// f32(128 S1 + S0, joined in i64) times the row's scale
  /// (buildIntegerHeadBody multiplies it by 1 / xs).
  Value rowLogit(Value codes, Value scales, Value, Value row, Value r,
                 Value ahead) override {
    OpBuilder &b = v.b;
    Type i64 = b.getI64Type();
    std::array<Value, kDigits> sums = digitDots(codes, row, r, ahead);
    Value joined = arith::AddIOp::create(
        b, v.loc,
        arith::ShLIOp::create(b, v.loc,
                              arith::ExtSIOp::create(b, v.loc, i64, sums[1]),
                              arith::ConstantIntOp::create(b, v.loc, i64, 7)),
        arith::ExtSIOp::create(b, v.loc, i64, sums[0]));
    Value d = arith::SIToFPOp::create(b, v.loc, f32, joined);
    return arith::MulFOp::create(
        b, v.loc, d,
        memref::LoadOp::create(b, v.loc, scales, ValueRange{row, v.idx(0)}));
  }
};

} // namespace

void mlir::tern::buildScreenScanBody(OpBuilder &b, Block *body,
                                     const IntegerHeadShape &s) {
  buildIntegerHeadBody(b, body, s, [&](VectorBuilder &v, ModuleOp module) {
    return std::make_unique<ScreenScanBuilder>(v, s, module);
  });
}
