//===- ScreenHeadLowering.cpp - tern.screen_head as scf loops -------------===//
//
// One function per shape and min_norm, called once per decoded token after
// the screen's scan, the int8 or q4 head (serial: it reads the logits twice
// and a few native rows):
//   n = sqrt(headDot(x, x));  m = max|x|;
//   B[v] = (bounds[v, 0] * n + bounds[v, 1] * m) + |a[v]| * 2^-20;
//   p = the first v with the largest a[v] - B[v];
//   T = logits[p] = headDot(x, w[p]);
//   for each v != p with a[v] + B[v] >= T, or every v where n is not
//   finite or below min_norm (kScreenTinyNorm without it): logits[v] =
//   headDot(x, w[v]),
// the native row through the same headDot and widening as tern.lm_head's,
// so each recomputed logit is the native head's float
// (runtime/model/HeadFormat.h, screenHeadLogits). The rows are listed
// first (256 at a time) so that reading one row prefetches the next (a
// native row is 5 KB on the 2B4T shape, and the candidates lie anywhere in
// its 656 MB head, beyond the caches): decode with
// the screened head 1.041x (0.987-1.288, faster in 12 of 14 alternating
// rounds; Zen 5, docs/performance.md "Screened head") the loop that
// recomputed each row as its scan found it.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/HeadDot.h"
#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"

#include "llvm/ADT/bit.h"
#include "llvm/Support/FormatVariadic.h"

#include "runtime/model/HeadFormat.h"

using namespace mlir;
using namespace mlir::tern;

namespace {

/// The token row's n = |x| and m = max|x|.
struct RowStats {
  Value norm, max;
};

/// B[v] for the logit `a` and the row `row` of `bounds` [V, 2], as
/// runtime/model/HeadFormat.h's screenMargin computes it: (bounds[row, 0] *
/// n + bounds[row, 1] * m) + |a| * 2^-20.
Value margin(VectorBuilder &v, Value a, Value bounds, Value row,
             const RowStats &x) {
  OpBuilder &b = v.b;
  auto bound = [&](int64_t i) {
    return memref::LoadOp::create(b, v.loc, bounds, ValueRange{row, v.idx(i)});
  };
  Value perNorm = arith::MulFOp::create(b, v.loc, bound(0), x.norm);
  Value perMax = arith::MulFOp::create(b, v.loc, bound(1), x.max);
  Value scaled = arith::AddFOp::create(b, v.loc, perNorm, perMax);
  Value abs = math::AbsFOp::create(b, v.loc, a);
  return arith::AddFOp::create(
      b, v.loc, scaled, arith::MulFOp::create(b, v.loc, abs, v.f32(0x1p-20f)));
}

/// max|x| over the H values of x [1, H] (H a multiple of kLanes): kLanes
/// running maxima, then their maximum (exact in any order).
Value rowMax(VectorBuilder &v, Value x, int64_t h) {
  OpBuilder &b = v.b;
  Value lanes = v.reduce(
      v.idx(0), v.idx(h), kLanes, v.vzero(b.getF32Type()),
      [&](Value k, Value acc) {
        Value abs = math::AbsFOp::create(b, v.loc, v.vload(x, {v.idx(0), k}));
        return arith::MaxNumFOp::create(b, v.loc, acc, abs);
      });
  return vector::ReductionOp::create(b, v.loc, vector::CombiningKind::MAXNUMF,
                                     lanes);
}

/// Candidate rows listed at a time: the recomputation prefetches the next
/// listed row while it reads one (a row is H native weights, 5 KB on the
/// 2B4T shape, which the caches do not hold), in batches of this many.
constexpr int64_t kListed = 256;

/// For the rows v in order with isCandidate(v): logits[v] = the native dot
/// product. Scans [start, vocab) into a list of at most kListed rows, then
/// recomputes the list, each row's loads prefetching the same bytes of the
/// next listed row, until the scan reaches the end.
void emitRecompute(VectorBuilder &v, int64_t h, int64_t vocab,
                   const std::function<Value(Value, int64_t)> &loadX,
                   Value weights, Value logits,
                   const std::function<Value(Value)> &isCandidate) {
  OpBuilder &b = v.b;
  Location loc = v.loc;
  Type index = b.getIndexType();
  Value list = memref::AllocaOp::create(
      b, loc, MemRefType::get({kListed}, index));
  // while (start < vocab) { scan; recompute; start = where the scan stopped }
  auto outer = scf::WhileOp::create(b, loc, TypeRange{index},
                                    ValueRange{v.idx(0)});
  {
    OpBuilder::InsertionGuard guard(b);
    Block *before = b.createBlock(&outer.getBefore(), {}, {index}, {loc});
    Value start = before->getArgument(0);
    scf::ConditionOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, start,
                              v.idx(vocab)),
        ValueRange{start});
    Block *after = b.createBlock(&outer.getAfter(), {}, {index}, {loc});
    // The scan: (row, listed) while row < vocab and listed < kListed; the
    // row is written at list[listed] and counted when it is a candidate.
    auto scan = scf::WhileOp::create(b, loc, TypeRange{index, index},
                                     ValueRange{after->getArgument(0),
                                                v.idx(0)});
    {
      OpBuilder::InsertionGuard inner(b);
      Block *cond =
          b.createBlock(&scan.getBefore(), {}, {index, index}, {loc, loc});
      Value row = cond->getArgument(0), listed = cond->getArgument(1);
      Value more = arith::AndIOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, row,
                                v.idx(vocab)),
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, listed,
                                v.idx(kListed)));
      scf::ConditionOp::create(b, loc, more, ValueRange{row, listed});
      Block *body =
          b.createBlock(&scan.getAfter(), {}, {index, index}, {loc, loc});
      row = body->getArgument(0);
      listed = body->getArgument(1);
      memref::StoreOp::create(b, loc, row, list, ValueRange{listed});
      Value next = arith::SelectOp::create(
          b, loc, isCandidate(row),
          arith::AddIOp::create(b, loc, listed, v.idx(1)), listed);
      scf::YieldOp::create(
          b, loc,
          ValueRange{arith::AddIOp::create(b, loc, row, v.idx(1)), next});
    }
    Value stop = scan.getResult(0), listed = scan.getResult(1);
    v.forEach(v.idx(0), listed, 1, [&](Value i) {
      Value row = memref::LoadOp::create(b, loc, list, ValueRange{i});
      Value last = arith::SubIOp::create(b, loc, listed, v.idx(1));
      Value following = memref::LoadOp::create(
          b, loc, list,
          ValueRange{arith::MinUIOp::create(
              b, loc, arith::AddIOp::create(b, loc, i, v.idx(1)), last)});
      Value exact = headDot(v, h, loadX, [&](Value k, int64_t w) {
        memref::PrefetchOp::create(b, loc, weights, ValueRange{following, k},
                                   /*isWrite=*/false, /*localityHint=*/3,
                                   /*isDataCache=*/true);
        return loadNativeRow(v, weights, row, k, w);
      });
      memref::StoreOp::create(b, loc, exact, logits, ValueRange{row});
    });
    scf::YieldOp::create(b, loc, ValueRange{stop});
  }
}

/// (x [1, H], weights [V, H], bounds [V, 2], logits [V]).
void buildScreenBody(OpBuilder &b, Block *body, int64_t h, int64_t vocab,
                     float minNorm) {
  VectorBuilder v{b, b.getUnknownLoc()};
  Location loc = v.loc;
  Value x = body->getArgument(0), weights = body->getArgument(1);
  Value bounds = body->getArgument(2), logits = body->getArgument(3);
  auto loadX = [&](Value k, int64_t w) { return v.vload(x, {v.idx(0), k}, w); };
  const RowStats n{math::SqrtOp::create(b, loc, headDot(v, h, loadX, loadX)),
                   rowMax(v, x, h)};
  auto at = [&](Value mem, Value row) {
    return memref::LoadOp::create(b, loc, mem, ValueRange{row});
  };
  // The row with the best lower bound (the first of equals, as the
  // reference's `low > best`).
  auto loop = scf::ForOp::create(b, loc, v.idx(0), v.idx(vocab), v.idx(1),
                                 ValueRange{v.f32(-INFINITY), v.idx(0)});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value row = loop.getInductionVar();
    Value best = loop.getRegionIterArgs()[0];
    Value bestRow = loop.getRegionIterArgs()[1];
    Value a = at(logits, row);
    Value low =
        arith::SubFOp::create(b, loc, a, margin(v, a, bounds, row, n));
    Value higher = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                         low, best);
    scf::YieldOp::create(
        b, loc,
        ValueRange{arith::SelectOp::create(b, loc, higher, low, best),
                   arith::SelectOp::create(b, loc, higher, row, bestRow)});
  }
  // Its native logit is the threshold.
  Value p = loop.getResult(1);
  Value threshold = headDot(v, h, loadX, [&](Value k, int64_t w) {
    return loadNativeRow(v, weights, p, k, w);
  });
  memref::StoreOp::create(b, loc, threshold, logits, ValueRange{p});
  // A norm the bounds hold for: finite, at least minNorm.
  Value held = arith::AndIOp::create(
      b, loc,
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, n.norm,
                            v.f32(minNorm)),
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, n.norm,
                            v.f32(INFINITY)));
  emitRecompute(v, h, vocab, loadX, weights, logits, [&](Value row) {
    Value a = at(logits, row);
    Value high =
        arith::AddFOp::create(b, loc, a, margin(v, a, bounds, row, n));
    Value reaches = arith::AndIOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, row, p),
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, high,
                              threshold));
    return arith::SelectOp::create(b, loc, held, reaches,
                                   arith::ConstantIntOp::create(b, loc, 1, 1));
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
    // A min_norm other than kScreenTinyNorm names its f32 bits.
    const float minNorm = op.getMinNorm()
                              ? op.getMinNorm()->convertToFloat()
                              : ::tern::kScreenTinyNorm;
    std::string name =
        llvm::formatv("tern_screen_head_{0}_h{1}_v{2}", elem, h, vocab).str();
    if (minNorm != ::tern::kScreenTinyNorm)
      name += llvm::formatv("_n{0:x-8}", llvm::bit_cast<uint32_t>(minNorm))
                  .str();
    func::FuncOp fn = getOrBuildFunction(
        op, name, rewriter.getFunctionType(inputs, {}),
        [&](OpBuilder &b, Block *body) {
          buildScreenBody(b, body, h, vocab, minNorm);
        });
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
