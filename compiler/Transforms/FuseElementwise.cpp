//===- FuseElementwise.cpp - Elementwise generics into their one user -----===//
//
// See the pass description in Passes.td: upstream's elementwise fusion,
// limited to producers whose results have exactly one user, an
// elementwise generic that reads each element once, so that no value is
// computed twice.
//
//===----------------------------------------------------------------------===//

#include "compiler/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tern {
#define GEN_PASS_DEF_TERNFUSEELEMENTWISE
#include "compiler/Transforms/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

namespace {

/// Fuse where the producer is a generic whose results are read once, by
/// an elementwise generic that reads each of its elements once (a
/// permutation, not a broadcast): fused into a matmul's reduction or a
/// broadcast, each value would be computed again for every use.
bool fusesOnce(OpOperand *fused) {
  Operation *producer = fused->get().getDefiningOp();
  auto consumer = dyn_cast<linalg::GenericOp>(fused->getOwner());
  return producer && isa<linalg::GenericOp>(producer) &&
         producer->hasOneUse() && consumer &&
         consumer.getNumLoops() == consumer.getNumParallelLoops() &&
         consumer.getMatchingIndexingMap(fused).isPermutation();
}

struct TernFuseElementwisePass
    : mlir::tern::impl::TernFuseElementwiseBase<TernFuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, fusesOnce);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
