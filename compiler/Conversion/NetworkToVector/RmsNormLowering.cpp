//===- RmsNormLowering.cpp - tern.rms_norm as vector code -----------------===//
//
// Per row: the sum of squares in f64, 8 interleaved partial sums
// (vector<8xf64>), folded by the lane tree; mean in f64, then f32;
// rs = 1 / sqrt(mean + eps); y = (x * rs) * w, 8 lanes at a time.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"
#include "compiler/Conversion/NetworkToVector/VectorBuilder.h"

using namespace mlir;
using namespace mlir::tern;

namespace {
struct RmsNormLowering : OpRewritePattern<RmsNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RmsNormOp op,
                                PatternRewriter &rewriter) const override {
    VectorBuilder v{rewriter, op.getLoc()};
    Location loc = op.getLoc();
    auto type = op.getResult().getType();
    const int64_t rows = type.getDimSize(0), n = type.getDimSize(1);
    Value x = v.buffer(op.getInput()), w = v.buffer(op.getWeight());
    Value out = v.newBuffer(type);
    Type f64 = rewriter.getF64Type();
    const float eps = op.getEpsilon().convertToFloat();
    v.forEach(0, rows, [&](Value r) {
      Value parts = v.reduce(
          v.idx(0), v.idx(n), kLanes, v.vzero(f64), [&](Value i, Value acc) {
            Value d = arith::ExtFOp::create(rewriter, loc, v.vec(f64),
                                            v.vload(x, {r, i}));
            return arith::AddFOp::create(
                rewriter, loc, acc, arith::MulFOp::create(rewriter, loc, d, d));
          });
      Value mean64 = arith::DivFOp::create(rewriter, loc, v.laneTree(parts),
                                           v.f64(double(n)));
      Value mean =
          arith::TruncFOp::create(rewriter, loc, rewriter.getF32Type(), mean64);
      Value denom = math::SqrtOp::create(
          rewriter, loc, arith::AddFOp::create(rewriter, loc, mean, v.f32(eps)));
      Value rs = v.vsplat(arith::DivFOp::create(rewriter, loc, v.f32(1.0f), denom));
      v.forEachVec(n, [&](Value i) {
        Value y = arith::MulFOp::create(
            rewriter, loc,
            arith::MulFOp::create(rewriter, loc, v.vload(x, {r, i}), rs),
            v.vload(w, {i}));
        v.vstore(y, out, {r, i});
      });
    });
    rewriter.replaceOp(op, v.tensorOf(out, type));
    return success();
  }
};
} // namespace

void mlir::tern::addRmsNormLowering(RewritePatternSet &patterns) {
  patterns.add<RmsNormLowering>(patterns.getContext());
}
