//===- ScreenHeadLowering.cpp - tern.screen_head as scf loops -------------===//
//
// One function per shape, called once per decoded token after the int8
// head (serial: it reads the logits twice and a few native rows):
//   n = sqrt(headDot(x, x));
//   L = max over v of a[v] - B[v],  B[v] = bounds[v] * n + |a[v]| * 2^-20;
//   for each v with a[v] + B[v] >= L: logits[v] = headDot(x, w[v]),
// the native row through the same headDot and widening as tern.lm_head's,
// so each recomputed logit is the native head's float.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/HeadDot.h"
#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::tern;

namespace {

/// B[v] for the logit `a`, the bound `c` and the norm `n`, as
/// runtime/model/HeadFormat.h's screenMargin computes it.
Value margin(VectorBuilder &v, Value a, Value c, Value n) {
  OpBuilder &b = v.b;
  Value scaled = arith::MulFOp::create(b, v.loc, c, n);
  Value abs = math::AbsFOp::create(b, v.loc, a);
  return arith::AddFOp::create(
      b, v.loc, scaled, arith::MulFOp::create(b, v.loc, abs, v.f32(0x1p-20f)));
}

/// (x [1, H], weights [V, H], bounds [V], logits [V]).
void buildScreenBody(OpBuilder &b, Block *body, int64_t h, int64_t vocab) {
  VectorBuilder v{b, b.getUnknownLoc()};
  Location loc = v.loc;
  Value x = body->getArgument(0), weights = body->getArgument(1);
  Value bounds = body->getArgument(2), logits = body->getArgument(3);
  auto loadX = [&](Value k, int64_t w) { return v.vload(x, {v.idx(0), k}, w); };
  Value n = math::SqrtOp::create(b, loc, headDot(v, h, loadX, loadX));
  auto at = [&](Value mem, Value row) {
    return memref::LoadOp::create(b, loc, mem, ValueRange{row});
  };
  // The best lower bound (`low > best ? low : best`, as the reference).
  auto loop = scf::ForOp::create(b, loc, v.idx(0), v.idx(vocab), v.idx(1),
                                 ValueRange{v.f32(-INFINITY)});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value row = loop.getInductionVar(), best = loop.getRegionIterArgs()[0];
    Value a = at(logits, row);
    Value low = arith::SubFOp::create(b, loc, a,
                                      margin(v, a, at(bounds, row), n));
    Value higher = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                         low, best);
    scf::YieldOp::create(
        b, loc, ValueRange{arith::SelectOp::create(b, loc, higher, low, best)});
  }
  Value best = loop.getResult(0);
  v.forEach(v.idx(0), v.idx(vocab), 1, [&](Value row) {
    Value a = at(logits, row);
    Value high = arith::AddFOp::create(b, loc, a,
                                       margin(v, a, at(bounds, row), n));
    Value candidate = arith::CmpFOp::create(
        b, loc, arith::CmpFPredicate::OGE, high, best);
    auto ifOp = scf::IfOp::create(b, loc, candidate, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    Value exact = headDot(v, h, loadX, [&](Value k, int64_t w) {
      return loadNativeRow(v, weights, row, k, w);
    });
    memref::StoreOp::create(b, loc, exact, logits, ValueRange{row});
  });
  func::ReturnOp::create(b, loc);
}

struct ScreenHeadLowering : OpRewritePattern<ScreenHeadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ScreenHeadOp op,
                                PatternRewriter &rewriter) const override {
    VectorBuilder v{rewriter, op.getLoc()};
    auto inType = op.getInput().getType();
    auto wType = op.getWeights().getType();
    const int64_t h = inType.getDimSize(1), vocab = wType.getDimSize(0);
    auto memrefOf = [](RankedTensorType t) -> Type {
      return MemRefType::get(t.getShape(), t.getElementType());
    };
    SmallVector<Type> inputs = {memrefOf(inType), memrefOf(wType),
                                memrefOf(op.getBounds().getType()),
                                op.getLogits().getType()};
    std::string elem;
    llvm::raw_string_ostream(elem) << wType.getElementType();
    const std::string name =
        llvm::formatv("tern_screen_head_{0}_h{1}_v{2}", elem, h, vocab).str();
    func::FuncOp fn = getOrBuildFunction(
        op, name, rewriter.getFunctionType(inputs, {}),
        [&](OpBuilder &b, Block *body) { buildScreenBody(b, body, h, vocab); });
    func::CallOp::create(rewriter, op.getLoc(), fn,
                         ValueRange{v.buffer(op.getInput()),
                                    v.buffer(op.getWeights()),
                                    v.buffer(op.getBounds()), op.getLogits()});
    rewriter.eraseOp(op);
    return success();
  }
};
} // namespace

void mlir::tern::addScreenHeadLowering(RewritePatternSet &patterns) {
  patterns.add<ScreenHeadLowering>(patterns.getContext());
}
