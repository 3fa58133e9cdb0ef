//===- DecomposeBitLinear.cpp - tern.bitlinear -> its three steps ---------===//

#include "dialects/Tern/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNDECOMPOSEBITLINEAR
#include "dialects/Tern/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

struct DecomposeBitLinear : OpRewritePattern<BitLinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BitLinearOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = op.getInput().getType();
    auto shape = inType.getShape();
    auto qType = RankedTensorType::get(shape, rewriter.getI8Type());
    auto sType = RankedTensorType::get({shape[0]}, rewriter.getF32Type());
    auto quant = QuantizeActOp::create(rewriter, loc, qType, sType, op.getInput());
    auto accType = RankedTensorType::get(op.getResult().getType().getShape(),
                                         rewriter.getI32Type());
    // The layer's kernel (tern-select-kernels' choice) computes its matmul.
    Value acc = MatmulOp::create(rewriter, loc, accType, quant.getOutput(),
                                 op.getWeights(), op.getKernelAttr());
    rewriter.replaceOpWithNewOp<RescaleOp>(op, op.getResult().getType(), acc,
                                           quant.getScale(),
                                           op.getWeightScale());
    return success();
  }
};

struct TernDecomposeBitLinearPass
    : mlir::tern::impl::TernDecomposeBitLinearBase<TernDecomposeBitLinearPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateDecomposeBitLinearPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::tern::populateDecomposeBitLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<DecomposeBitLinear>(patterns.getContext());
}
