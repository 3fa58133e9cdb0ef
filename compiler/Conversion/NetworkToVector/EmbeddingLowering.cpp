//===- EmbeddingLowering.cpp - tern.embedding as vector code --------------===//
//
// out[r, :] = f32(table[tokens[r], :]), 8 lanes at a time.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"
#include "compiler/Conversion/NetworkToVector/VectorBuilder.h"

using namespace mlir;
using namespace mlir::tern;

namespace {
struct EmbeddingLowering : OpRewritePattern<EmbeddingOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(EmbeddingOp op,
                                PatternRewriter &rewriter) const override {
    VectorBuilder v{rewriter, op.getLoc()};
    auto type = op.getResult().getType();
    const int64_t rows = type.getDimSize(0), h = type.getDimSize(1);
    Value table = v.buffer(op.getTable()), tokens = v.buffer(op.getTokens());
    Value out = v.newBuffer(type);
    Type f32 = rewriter.getF32Type();
    v.forEach(0, rows, [&](Value r) {
      Value tok = arith::IndexCastOp::create(
          rewriter, v.loc, rewriter.getIndexType(),
          memref::LoadOp::create(rewriter, v.loc, tokens, ValueRange{r}));
      v.forEachVec(h, [&](Value i) {
        Value e = v.vload(table, {tok, i});
        if (!getElementTypeOrSelf(e.getType()).isF32())
          e = arith::ExtFOp::create(rewriter, v.loc, v.vec(f32), e);
        v.vstore(e, out, {r, i});
      });
    });
    rewriter.replaceOp(op, v.tensorOf(out, type));
    return success();
  }
};
} // namespace

void mlir::tern::addEmbeddingLowering(RewritePatternSet &patterns) {
  patterns.add<EmbeddingLowering>(patterns.getContext());
}
