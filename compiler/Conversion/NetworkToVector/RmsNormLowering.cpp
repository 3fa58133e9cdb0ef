//===- RmsNormLowering.cpp - tern.rms_norm(_quantize) as vector code ------===//
//
// Per row: the sum of squares in f64, 8 interleaved partial sums
// (vector<8xf64>), folded by the lane tree; mean in f64, then f32;
// rs = 1 / sqrt(mean + eps); y = (x * rs) * w, 8 lanes at a time.
//
// tern.rms_norm_quantize then takes absmax = max(1e-5, max |y|) in 64
// lanes (a maximum: any order gives tern.quantize_act's value), s = 127 /
// absmax, and q = clamp(round_half_even(y * s), -128, 127), computing y
// again in that pass instead of storing it: it writes only q and s. One
// row (decode) is a call of a function of its own, marked
// `tern.row_prologue`, which tern-outline-row-prologues can move onto the
// threads of the matmul that reads it.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"
#include "compiler/Conversion/NetworkToVector/VectorBuilder.h"
#include "compiler/Conversion/ParallelToRuntime/ParallelToRuntime.h"
#include "runtime/ternary/Ternary.h"

#include "llvm/Support/FormatVariadic.h"

#include <cstring>

using namespace mlir;
using namespace mlir::tern;

namespace {
/// One row's normalization: rs, then y at any lanes.
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

/// One row of tern.rms_norm_quantize after its normalization: the spans
/// it runs in, its absmax, and its int8 values.
struct QuantizeRow {
  VectorBuilder &v;
  NormRow &row;
  int64_t n;

  /// [0, wide) kWide lanes at a time, then [wide, n) 8 at a time.
  void spans(const std::function<void(int64_t lb, int64_t ub, int64_t width)>
                 &span) const {
    const int64_t wide = n - n % kWide;
    if (wide > 0)
      span(0, wide, kWide);
    if (wide < n)
      span(wide, n, kLanes);
  }

  /// max(1e-5, max |y|): independent maxima per lane, then across lanes.
  Value absmax() {
    OpBuilder &b = v.b;
    Value floor = v.f32(::tern::kQuantEpsilon);
    Value m = floor;
    spans([&](int64_t lb, int64_t ub, int64_t width) {
      Value lanes = v.reduce(
          v.idx(lb), v.idx(ub), width, v.vsplat(floor, width),
          [&](Value i, Value acc) {
            return arith::MaximumFOp::create(
                b, v.loc, acc, math::AbsFOp::create(b, v.loc, row.at(i, width)));
          });
      m = arith::MaximumFOp::create(
          b, v.loc, m,
          vector::ReductionOp::create(b, v.loc, vector::CombiningKind::MAXIMUMF,
                                      lanes));
    });
    return m;
  }

  /// clamp(round_half_even(y * scale), -128, 127) at [i, i + width), through
  /// i32 (the value is in [-128, 127] either way): RISC-V's direct narrowing
  /// conversion to i8 crashes qemu 7.2's translator.
  Value quantized(Value i, int64_t width, Value scale) {
    OpBuilder &b = v.b;
    Value y = arith::MulFOp::create(b, v.loc, row.at(i, width),
                                    v.vsplat(scale, width));
    Value c = math::RoundEvenOp::create(b, v.loc, y);
    c = arith::MaximumFOp::create(b, v.loc, c, v.vsplat(v.f32(-128.0f), width));
    c = arith::MinimumFOp::create(b, v.loc, c, v.vsplat(v.f32(127.0f), width));
    Value ints =
        arith::FPToSIOp::create(b, v.loc, v.vec(b.getI32Type(), width), c);
    return arith::TruncIOp::create(b, v.loc, v.vec(b.getI8Type(), width), ints);
  }

  /// Row r of q: kWide values per store (two halves of kHalf joined), then
  /// 8 at a time.
  void store(Value q, Value r, Value scale) {
    OpBuilder &b = v.b;
    SmallVector<int64_t> both(kWide);
    for (int64_t k = 0; k < kWide; ++k)
      both[k] = k;
    spans([&](int64_t lb, int64_t ub, int64_t width) {
      v.forEach(v.idx(lb), v.idx(ub), width, [&](Value i) {
        if (width == kLanes) {
          v.vstore(quantized(i, width, scale), q, {r, i});
          return;
        }
        Value low = quantized(i, kHalf, scale);
        Value second = arith::AddIOp::create(b, v.loc, i, v.idx(kHalf));
        Value high = quantized(second, kHalf, scale);
        v.vstore(vector::ShuffleOp::create(b, v.loc, low, high, both), q,
                 {r, i});
      });
    });
  }
};

/// Rows [0, rows) of x normalized by w and quantized into q (int8) and s
/// (one scale per row).
void normQuantizeRows(VectorBuilder &v, Value x, Value w, Value q, Value s,
                      int64_t rows, int64_t n, float eps) {
  v.forEach(0, rows, [&](Value r) {
    NormRow row(v, x, w, r, n, eps);
    QuantizeRow quantize{v, row, n};
    Value scale =
        arith::DivFOp::create(v.b, v.loc, v.f32(127.0f), quantize.absmax());
    memref::StoreOp::create(v.b, v.loc, scale, s, ValueRange{r});
    quantize.store(q, r, scale);
  });
}

/// One row (decode) in a function of its own, `f(x, w, q, s)`, marked as
/// a row prologue: where the row feeds a parallel call, each of its
/// threads can then compute it (tern-outline-row-prologues).
void callNormQuantizeRow(VectorBuilder &v, Value x, Value w, Value q, Value s,
                         int64_t n, float eps, Operation *near) {
  uint32_t epsBits;
  std::memcpy(&epsBits, &eps, sizeof(epsBits));
  const std::string name =
      llvm::formatv("tern_rms_norm_quantize_n{0}_eps{1:x-}", n, epsBits).str();
  SmallVector<Value> operands{x, w, q, s};
  func::FuncOp fn = getOrBuildFunction(
      near, name,
      v.b.getFunctionType(ValueRange(operands).getTypes(), {}),
      [&](OpBuilder &fb, Block *body) {
        VectorBuilder f{fb, v.loc};
        normQuantizeRows(f, body->getArgument(0), body->getArgument(1),
                         body->getArgument(2), body->getArgument(3), 1, n, eps);
        func::ReturnOp::create(fb, v.loc);
        body->getParentOp()->setAttr(kRowPrologueAttr,
                                     fb.getI64IntegerAttr(2));
      });
  func::CallOp::create(v.b, v.loc, fn, operands);
}

struct RmsNormQuantizeLowering : OpRewritePattern<RmsNormQuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RmsNormQuantizeOp op,
                                PatternRewriter &rewriter) const override {
    VectorBuilder v{rewriter, op.getLoc()};
    auto qType = op.getOutput().getType();
    auto sType = op.getScale().getType();
    const int64_t rows = qType.getDimSize(0), n = qType.getDimSize(1);
    Value x = v.buffer(op.getInput()), w = v.buffer(op.getWeight());
    // 64-byte aligned, as the row regions' outputs: the matmul kernels load
    // activations by the cache line.
    Value q = v.newBuffer(qType, 64), s = v.newBuffer(sType);
    const float eps = op.getEpsilon().convertToFloat();
    if (rows == 1)
      callNormQuantizeRow(v, x, w, q, s, n, eps, op);
    else
      normQuantizeRows(v, x, w, q, s, rows, n, eps);
    rewriter.replaceOp(op, {v.tensorOf(q, qType), v.tensorOf(s, sType)});
    return success();
  }
};
} // namespace

void mlir::tern::addRmsNormLowering(RewritePatternSet &patterns) {
  patterns.add<RmsNormLowering, RmsNormQuantizeLowering>(patterns.getContext());
}
