//===- RmsNormLowering.cpp - tern.rms_norm(_quantize) as vector code ------===//
//
// Per row: the sum of squares in f64, 8 interleaved partial sums
// (vector<8xf64>), folded by the lane tree; mean in f64, then f32;
// rs = 1 / sqrt(mean + eps); y = (x * rs) * w, 8 lanes at a time.
//
// tern.rms_norm_quantize then takes absmax = max(1e-5, max |y|) in 64
// lanes (a maximum: any order gives tern.quantize_act's value), s = 127 /
// absmax, and q = clamp(round_half_even(y * s), -128, 127), computing y
// again in that pass instead of storing it: it writes only q and s.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"
#include "compiler/Conversion/NetworkToVector/VectorBuilder.h"
#include "runtime/ternary/Ternary.h"

using namespace mlir;
using namespace mlir::tern;

namespace {
/// One row's normalization: rs, then y at any 8 lanes.
struct NormRow {
  VectorBuilder &v;
  Value x, w, r;
  Value inv, rs; // 1 / sqrt(mean + eps), and in 8 lanes

  NormRow(VectorBuilder &v, Value x, Value w, Value r, int64_t n, float eps)
      : v(v), x(x), w(w), r(r) {
    OpBuilder &b = v.b;
    Location loc = v.loc;
    Type f64 = b.getF64Type();
    Value parts = v.reduce(
        v.idx(0), v.idx(n), kLanes, v.vzero(f64), [&](Value i, Value acc) {
          Value d = arith::ExtFOp::create(b, loc, v.vec(f64), v.vload(x, {r, i}));
          return arith::AddFOp::create(b, loc, acc,
                                       arith::MulFOp::create(b, loc, d, d));
        });
    Value mean64 =
        arith::DivFOp::create(b, loc, v.laneTree(parts), v.f64(double(n)));
    Value mean = arith::TruncFOp::create(b, loc, b.getF32Type(), mean64);
    Value denom = math::SqrtOp::create(
        b, loc, arith::AddFOp::create(b, loc, mean, v.f32(eps)));
    inv = arith::DivFOp::create(b, loc, v.f32(1.0f), denom);
    rs = v.vsplat(inv);
  }

  /// y[i, i + width) = (x * rs) * w.
  Value at(Value i, int64_t width = kLanes) {
    OpBuilder &b = v.b;
    Value splat = width == kLanes ? rs : v.vsplat(inv, width);
    Value xs = arith::MulFOp::create(b, v.loc, v.vload(x, {r, i}, width), splat);
    return arith::MulFOp::create(b, v.loc, xs, v.vload(w, {i}, width));
  }
};

struct RmsNormLowering : OpRewritePattern<RmsNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RmsNormOp op,
                                PatternRewriter &rewriter) const override {
    VectorBuilder v{rewriter, op.getLoc()};
    auto type = op.getResult().getType();
    const int64_t rows = type.getDimSize(0), n = type.getDimSize(1);
    Value x = v.buffer(op.getInput()), w = v.buffer(op.getWeight());
    Value out = v.newBuffer(type);
    const float eps = op.getEpsilon().convertToFloat();
    v.forEach(0, rows, [&](Value r) {
      NormRow row(v, x, w, r, n, eps);
      v.forEachVec(n, [&](Value i) { v.vstore(row.at(i), out, {r, i}); });
    });
    rewriter.replaceOp(op, v.tensorOf(out, type));
    return success();
  }
};

/// The quantization passes run `kWide` lanes at a time over the longest
/// multiple of kWide values, then 8: independent maxima, and each 64 int8
/// values stored as one cache line. Stored 16 at a time (LLVM's truncating
/// store of narrower vectors), the lines that start out evicted or shared
/// with the thread that last read them each took several stores' round
/// trips: 1.4x the time for such a buffer on the Zen 4. The int8 values
/// are computed `kHalf` lanes at a time and joined before the store: at 64
/// f32 lanes, the RISC-V vector code of the rounding crashes qemu 7.2.
constexpr int64_t kWide = 64;
constexpr int64_t kHalf = 32;

struct RmsNormQuantizeLowering : OpRewritePattern<RmsNormQuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RmsNormQuantizeOp op,
                                PatternRewriter &rewriter) const override {
    VectorBuilder v{rewriter, op.getLoc()};
    Location loc = op.getLoc();
    auto qType = op.getOutput().getType();
    auto sType = op.getScale().getType();
    const int64_t rows = qType.getDimSize(0), n = qType.getDimSize(1);
    const int64_t wide = n - n % kWide;
    Value x = v.buffer(op.getInput()), w = v.buffer(op.getWeight());
    // 64-byte aligned, as the row regions' outputs: the matmul kernels load
    // activations by the cache line.
    Value q = v.newBuffer(qType, 64), s = v.newBuffer(sType);
    const float eps = op.getEpsilon().convertToFloat();
    // [0, wide) kWide lanes at a time, then [wide, n) 8 at a time.
    auto spans = [&](const std::function<void(int64_t lb, int64_t ub,
                                              int64_t width)> &span) {
      if (wide > 0)
        span(0, wide, kWide);
      if (wide < n)
        span(wide, n, kLanes);
    };
    v.forEach(0, rows, [&](Value r) {
      NormRow row(v, x, w, r, n, eps);
      Value absmax = v.f32(::tern::kQuantEpsilon);
      spans([&](int64_t lb, int64_t ub, int64_t width) {
        Value lanes = v.reduce(
            v.idx(lb), v.idx(ub), width,
            v.vsplat(v.f32(::tern::kQuantEpsilon), width),
            [&](Value i, Value acc) {
              return arith::MaximumFOp::create(
                  rewriter, loc, acc,
                  math::AbsFOp::create(rewriter, loc, row.at(i, width)));
            });
        absmax = arith::MaximumFOp::create(
            rewriter, loc, absmax,
            vector::ReductionOp::create(rewriter, loc,
                                        vector::CombiningKind::MAXIMUMF, lanes));
      });
      Value scale = arith::DivFOp::create(rewriter, loc, v.f32(127.0f), absmax);
      memref::StoreOp::create(rewriter, loc, scale, s, ValueRange{r});
      // q[i, i + width) = clamp(round_half_even(y * s), -128, 127), through
      // i32 (the value is in [-128, 127] either way): RISC-V's direct
      // narrowing conversion to i8 crashes qemu 7.2's translator.
      auto quantized = [&](Value i, int64_t width) -> Value {
        Value y = arith::MulFOp::create(rewriter, loc, row.at(i, width),
                                        v.vsplat(scale, width));
        Value c = math::RoundEvenOp::create(rewriter, loc, y);
        c = arith::MaximumFOp::create(rewriter, loc, c,
                                      v.vsplat(v.f32(-128.0f), width));
        c = arith::MinimumFOp::create(rewriter, loc, c,
                                      v.vsplat(v.f32(127.0f), width));
        Value n = arith::FPToSIOp::create(
            rewriter, loc, v.vec(rewriter.getI32Type(), width), c);
        return arith::TruncIOp::create(
            rewriter, loc, v.vec(rewriter.getI8Type(), width), n);
      };
      spans([&](int64_t lb, int64_t ub, int64_t width) {
        v.forEach(v.idx(lb), v.idx(ub), width, [&](Value i) {
          if (width == kLanes) {
            v.vstore(quantized(i, width), q, {r, i});
            return;
          }
          Value second =
              arith::AddIOp::create(rewriter, loc, i, v.idx(kHalf));
          Value lowHalf = quantized(i, kHalf);
          Value highHalf = quantized(second, kHalf);
          SmallVector<int64_t> both(kWide);
          for (int64_t k = 0; k < kWide; ++k)
            both[k] = k;
          v.vstore(vector::ShuffleOp::create(rewriter, loc, lowHalf, highHalf,
                                             both),
                   q, {r, i});
        });
      });
    });
    rewriter.replaceOp(op, {v.tensorOf(q, qType), v.tensorOf(s, sType)});
    return success();
  }
};
} // namespace

void mlir::tern::addRmsNormLowering(RewritePatternSet &patterns) {
  patterns.add<RmsNormLowering, RmsNormQuantizeLowering>(patterns.getContext());
}
