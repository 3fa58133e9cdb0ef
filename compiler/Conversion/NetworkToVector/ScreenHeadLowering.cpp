//===- ScreenHeadLowering.cpp - tern.screen_head as scf loops -------------===//
//
// One function per shape and min_norm, called once per decoded token after
// the screen's scan, the int8 or q4 head (on the calling thread: it reads
// the logits and bounds twice, 16 rows a vector step, and a few native
// rows):
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
// recomputed each row as its scan found it. Both passes over the logits
// step kRowLanes rows at a time (the best lower bound per lane, then the
// best lane; a block without a candidate passed over whole), in the same
// float operations per row as one row at a time.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/HeadDot.h"
#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"

#include "llvm/ADT/bit.h"
#include "llvm/Support/FormatVariadic.h"

#include "runtime/model/HeadFormat.h"

#include <limits>

using namespace mlir;
using namespace mlir::tern;

namespace {

/// The token row's n = |x| and m = max|x|.
struct RowStats {
  Value norm, max;
};

/// Rows a vector step of the two passes over the logits covers.
constexpr int64_t kRowLanes = 16;

/// (c * n + r * m) + |a| * 2^-20, on scalars or on vectors of kRowLanes
/// (`n`, `m` and the constant splat to a's shape): the same operations
/// either way, so a row's margin is the same float in both.
Value marginOf(VectorBuilder &v, Value a, Value c, Value r, const RowStats &x) {
  OpBuilder &b = v.b;
  const bool lanes = isa<VectorType>(a.getType());
  auto like = [&](Value scalar) {
    return lanes ? v.vsplat(scalar, kRowLanes) : scalar;
  };
  Value perNorm = arith::MulFOp::create(b, v.loc, c, like(x.norm));
  Value perMax = arith::MulFOp::create(b, v.loc, r, like(x.max));
  Value scaled = arith::AddFOp::create(b, v.loc, perNorm, perMax);
  Value abs = math::AbsFOp::create(b, v.loc, a);
  return arith::AddFOp::create(
      b, v.loc, scaled,
      arith::MulFOp::create(b, v.loc, abs, like(v.f32(0x1p-20f))));
}

/// B[v] for the logit `a` and the row `row` of `bounds` [V, 2], as
/// runtime/model/HeadFormat.h's screenMargin computes it: (bounds[row, 0] *
/// n + bounds[row, 1] * m) + |a| * 2^-20.
Value margin(VectorBuilder &v, Value a, Value bounds, Value row,
             const RowStats &x) {
  auto bound = [&](int64_t i) -> Value {
    return memref::LoadOp::create(v.b, v.loc, bounds,
                                  ValueRange{row, v.idx(i)});
  };
  // In sequence, so that the IR does not depend on the C++ compiler.
  Value c = bound(0);
  Value r = bound(1);
  return marginOf(v, a, c, r, x);
}

/// B for the kRowLanes logits `a` of rows row.., from `flat` (the bounds as
/// [2V]: c and r interleaved).
Value blockMargin(VectorBuilder &v, Value a, Value flat, Value row,
                  const RowStats &x) {
  OpBuilder &b = v.b;
  Value at = arith::MulIOp::create(b, v.loc, row, v.idx(2));
  Value pairs = v.vload(flat, {at}, 2 * kRowLanes);
  auto every = [&](int64_t first) {
    SmallVector<int64_t> lanes;
    for (int64_t i = 0; i < kRowLanes; ++i)
      lanes.push_back(first + 2 * i);
    return vector::ShuffleOp::create(b, v.loc, pairs, pairs, lanes);
  };
  Value c = every(0);
  Value r = every(1);
  return marginOf(v, a, c, r, x);
}

/// The row numbers row + [0, kRowLanes) as i32 lanes.
Value blockRows(VectorBuilder &v, Value row) {
  OpBuilder &b = v.b;
  Type i32 = b.getI32Type();
  SmallVector<int32_t> steps;
  for (int32_t i = 0; i < kRowLanes; ++i)
    steps.push_back(i);
  Value first = v.vsplat(arith::IndexCastOp::create(b, v.loc, i32, row),
                        kRowLanes);
  Value lanes = arith::ConstantOp::create(
      b, v.loc, DenseIntElementsAttr::get(v.vec(i32, kRowLanes), steps));
  return arith::AddIOp::create(b, v.loc, first, lanes);
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
                   const std::function<Value(Value)> &isCandidate,
                   const std::function<Value(Value)> &blockHasCandidate) {
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
      // A whole block of kRowLanes rows without a candidate is passed over
      // in one step; otherwise one row at a time.
      Value aligned = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::eq,
          arith::RemUIOp::create(b, loc, row, v.idx(kRowLanes)), v.idx(0));
      Value inBlocks =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, row,
                                v.idx(vocab / kRowLanes * kRowLanes));
      Value whole = arith::AndIOp::create(b, loc, aligned, inBlocks);
      auto pass = scf::IfOp::create(b, loc, TypeRange{b.getI1Type()}, whole,
                                    /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard branch(b);
        b.setInsertionPointToStart(pass.thenBlock());
        Value any = blockHasCandidate(row);
        scf::YieldOp::create(
            b, loc,
            ValueRange{arith::XOrIOp::create(
                b, loc, any, arith::ConstantIntOp::create(b, loc, 1, 1))});
        b.setInsertionPointToStart(pass.elseBlock());
        scf::YieldOp::create(
            b, loc, ValueRange{arith::ConstantIntOp::create(b, loc, 0, 1)});
      }
      auto step = scf::IfOp::create(b, loc, TypeRange{index, index},
                                    pass.getResult(0),
                                    /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard branch(b);
        b.setInsertionPointToStart(step.thenBlock());
        scf::YieldOp::create(
            b, loc,
            ValueRange{arith::AddIOp::create(b, loc, row, v.idx(kRowLanes)),
                       listed});
        b.setInsertionPointToStart(step.elseBlock());
        memref::StoreOp::create(b, loc, row, list, ValueRange{listed});
        Value next = arith::SelectOp::create(
            b, loc, isCandidate(row),
            arith::AddIOp::create(b, loc, listed, v.idx(1)), listed);
        scf::YieldOp::create(
            b, loc,
            ValueRange{arith::AddIOp::create(b, loc, row, v.idx(1)), next});
      }
      scf::YieldOp::create(b, loc, step.getResults());
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

/// The logits, their bounds and the token row's n and m of one call, and
/// what the first pass finds: p, its native logit T, and whether the
/// bounds hold for the row's norm.
struct ScreenPass {
  VectorBuilder &v;
  int64_t vocab;
  Value logits, bounds, flat; // flat: the bounds as [2V]
  RowStats n;
  Value p, threshold, held;

  int64_t wholeRows() const { return vocab / kRowLanes * kRowLanes; }

  /// Over the rows of whole blocks of kRowLanes: the best lower bound a - B
  /// and the first row with it (-inf and row 0 where no lower bound
  /// exceeds -inf, as the scalar loop starts; NaN never counts as larger).
  std::pair<Value, Value> bestOfBlocks() {
    OpBuilder &b = v.b;
    Location loc = v.loc;
    Type i32 = b.getI32Type();
    if (wholeRows() == 0)
      return {v.f32(-INFINITY), v.idx(0)};
    auto loop = scf::ForOp::create(
        b, loc, v.idx(0), v.idx(wholeRows()), v.idx(kRowLanes),
        ValueRange{v.vsplat(v.f32(-INFINITY), kRowLanes),
                   v.vzero(i32, kRowLanes)});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value row = loop.getInductionVar();
      Value best = loop.getRegionIterArgs()[0];
      Value rows = loop.getRegionIterArgs()[1];
      Value a = v.vload(logits, {row}, kRowLanes);
      Value low = arith::SubFOp::create(b, loc, a,
                                        blockMargin(v, a, flat, row, n));
      Value higher = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                           low, best);
      scf::YieldOp::create(
          b, loc,
          ValueRange{arith::SelectOp::create(b, loc, higher, low, best),
                     arith::SelectOp::create(b, loc, higher,
                                             blockRows(v, row), rows)});
    }
    // The lanes hold no NaN (only a larger lower bound replaces -inf).
    Value lanes = loop.getResult(0), rows = loop.getResult(1);
    Value best = vector::ReductionOp::create(
        b, loc, vector::CombiningKind::MAXIMUMF, lanes);
    Value atBest = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                         lanes, v.vsplat(best, kRowLanes));
    Value none = arith::ConstantOp::create(
        b, loc, b.getI32IntegerAttr(std::numeric_limits<int32_t>::max()));
    Value first = vector::ReductionOp::create(
        b, loc, vector::CombiningKind::MINSI,
        arith::SelectOp::create(b, loc, atBest, rows,
                                v.vsplat(none, kRowLanes)));
    return {best, arith::IndexCastOp::create(b, loc, b.getIndexType(), first)};
  }

  /// The row with the best lower bound (the first of equals, as the
  /// reference's `low > best`): bestOfBlocks, then the rows past the last
  /// whole block one at a time.
  Value bestRow() {
    OpBuilder &b = v.b;
    Location loc = v.loc;
    auto [best, first] = bestOfBlocks();
    auto loop = scf::ForOp::create(b, loc, v.idx(wholeRows()), v.idx(vocab),
                                   v.idx(1), ValueRange{best, first});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value row = loop.getInductionVar();
    Value acc = loop.getRegionIterArgs()[0];
    Value accRow = loop.getRegionIterArgs()[1];
    Value a = memref::LoadOp::create(b, loc, logits, ValueRange{row});
    Value low =
        arith::SubFOp::create(b, loc, a, margin(v, a, bounds, row, n));
    Value higher = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                         low, acc);
    scf::YieldOp::create(
        b, loc,
        ValueRange{arith::SelectOp::create(b, loc, higher, low, acc),
                   arith::SelectOp::create(b, loc, higher, row, accRow)});
    return loop.getResult(1);
  }

  Value notHeld() {
    return arith::XOrIOp::create(v.b, v.loc, held,
                                 arith::ConstantIntOp::create(v.b, v.loc, 1, 1));
  }

  /// Whether `row` is recomputed: v != p with a + B >= T, or every row
  /// where the norm is not held.
  Value isCandidate(Value row) {
    OpBuilder &b = v.b;
    Location loc = v.loc;
    Value a = memref::LoadOp::create(b, loc, logits, ValueRange{row});
    Value high =
        arith::AddFOp::create(b, loc, a, margin(v, a, bounds, row, n));
    Value other =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, row, p);
    Value reaches = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE,
                                          high, threshold);
    Value rule = arith::AndIOp::create(b, loc, other, reaches);
    return arith::SelectOp::create(b, loc, held, rule,
                                   arith::ConstantIntOp::create(b, loc, 1, 1));
  }

  /// Whether any row of the block row.. (kRowLanes rows) is a candidate.
  Value blockHasCandidate(Value row) {
    OpBuilder &b = v.b;
    Location loc = v.loc;
    Value a = v.vload(logits, {row}, kRowLanes);
    Value high = arith::AddFOp::create(b, loc, a,
                                       blockMargin(v, a, flat, row, n));
    Value rows = blockRows(v, row);
    Value ps = v.vsplat(
        arith::IndexCastOp::create(b, loc, b.getI32Type(), p), kRowLanes);
    Value other =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, rows, ps);
    Value reaches =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, high,
                              v.vsplat(threshold, kRowLanes));
    Value rule = arith::AndIOp::create(b, loc, other, reaches);
    Value any =
        vector::ReductionOp::create(b, loc, vector::CombiningKind::OR, rule);
    return arith::OrIOp::create(b, loc, any, notHeld());
  }
};

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
  ScreenPass pass{v, vocab, logits, bounds,
                  memref::CollapseShapeOp::create(
                      b, loc, bounds, ArrayRef<ReassociationIndices>{{0, 1}}),
                  n, Value(), Value(), Value()};
  // The row with the best lower bound; its native logit is the threshold.
  pass.p = pass.bestRow();
  pass.threshold = headDot(v, h, loadX, [&](Value k, int64_t w) {
    return loadNativeRow(v, weights, pass.p, k, w);
  });
  memref::StoreOp::create(b, loc, pass.threshold, logits,
                          ValueRange{pass.p});
  // A norm the bounds hold for: finite, at least minNorm.
  Value notTiny = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE,
                                        n.norm, v.f32(minNorm));
  Value finite = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                       n.norm, v.f32(INFINITY));
  pass.held = arith::AndIOp::create(b, loc, notTiny, finite);
  emitRecompute(
      v, h, vocab, loadX, weights, logits,
      [&](Value row) { return pass.isCandidate(row); },
      [&](Value row) { return pass.blockHasCandidate(row); });
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
