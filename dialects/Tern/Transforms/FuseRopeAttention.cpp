//===- FuseRopeAttention.cpp - rope of q and k into decode attention -------===//
//
// A one-row tern.attention whose query and key are tern.rope results with
// the same tables, read by nothing else, takes the rows before the
// rotation and the tables instead: the rotation then runs in the
// attention's parallel items rather than on the calling thread between
// the q/k/v matmul and the attention (see the op's `rope` operands).
//
//===----------------------------------------------------------------------===//

#include "dialects/Tern/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNFUSEROPEATTENTION
#include "dialects/Tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

struct FuseRopeAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getCos())
      return rewriter.notifyMatchFailure(op, "rotates its rows already");
    if (op.getQuery().getType().getDimSize(0) != 1)
      return rewriter.notifyMatchFailure(op, "attends for more than one row");
    auto q = op.getQuery().getDefiningOp<RopeOp>();
    auto k = op.getKey().getDefiningOp<RopeOp>();
    if (!q || !k)
      return rewriter.notifyMatchFailure(op, "query or key is not rotated "
                                             "by a tern.rope");
    if (q.getCos() != k.getCos() || q.getSin() != k.getSin())
      return rewriter.notifyMatchFailure(op, "query and key rotate by "
                                             "different tables");
    if (!q->hasOneUse() || !k->hasOneUse())
      return rewriter.notifyMatchFailure(op, "the rotated rows are read "
                                             "elsewhere too");
    const int64_t half = q.getCos().getType().getDimSize(1);
    if (2 * half != op.getHeadDim())
      return rewriter.notifyMatchFailure(op, "the tables do not cover the "
                                             "attention's heads");
    rewriter.modifyOpInPlace(op, [&] {
      op.getQueryMutable().assign(q.getInput());
      op.getKeyMutable().assign(k.getInput());
      op.getCosMutable().assign(q.getCos());
      op.getSinMutable().assign(q.getSin());
    });
    rewriter.eraseOp(q);
    rewriter.eraseOp(k);
    return success();
  }
};

struct TernFuseRopeAttentionPass
    : mlir::tern::impl::TernFuseRopeAttentionBase<TernFuseRopeAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseRopeAttentionPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::tern::populateFuseRopeAttentionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<FuseRopeAttention>(patterns.getContext());
}
