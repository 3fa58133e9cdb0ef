//===- FuseNormQuantize.cpp - rms_norm + quantize_act -> one op ------------===//
//
// A tern.quantize_act whose input is a tern.rms_norm that nothing else
// reads becomes one tern.rms_norm_quantize: the int8 rows without the
// normalized f32 rows in memory.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tern/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNFUSENORMQUANTIZE
#include "dialects/Tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

struct FuseNormQuantize : OpRewritePattern<QuantizeActOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QuantizeActOp op,
                                PatternRewriter &rewriter) const override {
    auto norm = op.getInput().getDefiningOp<RmsNormOp>();
    if (!norm)
      return rewriter.notifyMatchFailure(op, "input is not a tern.rms_norm");
    if (!norm.getResult().hasOneUse())
      return rewriter.notifyMatchFailure(op, "the normalized rows are read "
                                             "elsewhere too");
    rewriter.replaceOpWithNewOp<RmsNormQuantizeOp>(
        op, op.getOutput().getType(), op.getScale().getType(), norm.getInput(),
        norm.getWeight(), norm.getEpsilonAttr());
    rewriter.eraseOp(norm);
    return success();
  }
};

struct TernFuseNormQuantizePass
    : mlir::tern::impl::TernFuseNormQuantizeBase<TernFuseNormQuantizePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseNormQuantizePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::tern::populateFuseNormQuantizePatterns(RewritePatternSet &patterns) {
  patterns.add<FuseNormQuantize>(patterns.getContext());
}
