//===- NetworkToVector.cpp - The network ops as vector code ---------------===//
//
// See the pass description in compiler/Conversion/Passes.td.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::tern {
#define GEN_PASS_DEF_CONVERTTERNNETWORKTOVECTOR
#include "compiler/Conversion/Passes.h.inc"
} // namespace mlir::tern

using namespace mlir;
using namespace mlir::tern;

void mlir::tern::populateTernNetworkToVectorPatterns(
    RewritePatternSet &patterns) {
  addEmbeddingLowering(patterns);
  addRmsNormLowering(patterns);
  addRopeLowerings(patterns);
  addAttentionLowering(patterns);
  addLmHeadLowering(patterns);
  addScreenHeadLowering(patterns);
}

func::FuncOp mlir::tern::getOrBuildFunction(
    Operation *near, StringRef name, FunctionType type,
    function_ref<void(OpBuilder &, Block *)> build) {
  auto module = near->getParentOfType<ModuleOp>();
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  auto fn = func::FuncOp::create(b, near->getLoc(), name, type);
  fn.setPrivate();
  Block *body = fn.addEntryBlock();
  b.setInsertionPointToStart(body);
  build(b, body);
  return fn;
}

namespace {
struct ConvertTernNetworkToVectorPass
    : mlir::tern::impl::ConvertTernNetworkToVectorBase<
          ConvertTernNetworkToVectorPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateTernNetworkToVectorPatterns(patterns);
    // One visit per op, no folding: the code stays as the patterns write
    // it (their order of floating-point operations is the point).
    walkAndApplyPatterns(getOperation(), std::move(patterns));
    WalkResult left = getOperation().walk([](Operation *op) {
      if (isa<EmbeddingOp, RmsNormOp, RmsNormQuantizeOp, RopeTableOp, RopeOp,
              AttentionOp, LmHeadOp, ScreenHeadOp>(op)) {
        op->emitError() << "was not lowered";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
