//===- SquaredReluGateLowering.cpp - tern.squared_relu_gate as vector code ===//
//
// r = max(gate, 0), y = (r * r) * up, 8 lanes at a time.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"
#include "compiler/Conversion/NetworkToVector/VectorBuilder.h"

using namespace mlir;
using namespace mlir::tern;

namespace {
struct SquaredReluGateLowering : OpRewritePattern<SquaredReluGateOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SquaredReluGateOp op,
                                PatternRewriter &rewriter) const override {
    VectorBuilder v{rewriter, op.getLoc()};
    Location loc = op.getLoc();
    auto type = op.getResult().getType();
    const int64_t rows = type.getDimSize(0), n = type.getDimSize(1);
    Value gate = v.buffer(op.getGate()), up = v.buffer(op.getUp());
    Value out = v.newBuffer(type);
    Value zeros = v.vsplat(v.f32(0.0f));
    v.forEach(0, rows, [&](Value r) {
      v.forEachVec(n, [&](Value i) {
        Value rl = arith::MaxNumFOp::create(rewriter, loc,
                                            v.vload(gate, {r, i}), zeros);
        Value y = arith::MulFOp::create(
            rewriter, loc, arith::MulFOp::create(rewriter, loc, rl, rl),
            v.vload(up, {r, i}));
        v.vstore(y, out, {r, i});
      });
    });
    rewriter.replaceOp(op, v.tensorOf(out, type));
    return success();
  }
};
} // namespace

void mlir::tern::addSquaredReluGateLowering(RewritePatternSet &patterns) {
  patterns.add<SquaredReluGateLowering>(patterns.getContext());
}
