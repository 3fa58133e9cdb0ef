//===- AttentionLowering.cpp - tern.attention as vector code --------------===//
//
// The new rows' keys and values are stored into the caches, then one
// outlined function computes items [begin, end), called as a
// `tern.parallel` range (convert-parallel-to-runtime splits it among the
// runtime's threads). An item is a row and G of the query heads that share
// a kv head (G = headsPerItem: all of them where that leaves enough items,
// as in prefill; one in decode), so each key and value row is read once
// for the G heads. Per head: the scores s_j = dot(q, k_j) * scale (8-lane
// dot, lane tree), their maximum, the exponentials and their running sum
// (scalar, in order of j), the weights e_j / sum, and the output as the
// in-order sum of w_j * v_j in groups of 16 lanes (8 where the head is not
// a multiple of 16). Every sum adds in the reference's order
// (runtime/ternary's attendHead); independent sums (heads, positions,
// lane groups) run side by side as separate chains.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"
#include "compiler/Conversion/NetworkToVector/VectorBuilder.h"
#include "compiler/Conversion/ParallelToRuntime/ParallelToRuntime.h"
#include "compiler/Kernels/KernelFamily.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <functional>

using namespace mlir;
using namespace mlir::tern;

namespace {

/// Chains of additions the loops keep in flight: each score and each
/// output lane still adds in the reference's order, but independent sums
/// go side by side so that the loops run at the adder's throughput rather
/// than its latency. At most kScorePositions positions and kChains
/// (head, position) scores per iteration; at most kChains (head, lane
/// group) output sums per pass over the positions.
constexpr int64_t kScorePositions = 4;
constexpr int64_t kChains = 8;
/// The least number of parallel items the heads may be grouped into.
constexpr int64_t kMinItems = 16;

/// The dot products of each of `nA` vectors with each of `nB` others, as
/// VectorBuilder::dot computes each (8 interleaved partial sums, then the
/// lane tree), in one loop over the `len` elements: each vector is loaded
/// once per step (loadA(a, k), loadB(b, k)). Result [a * nB + b].
SmallVector<Value> dots(VectorBuilder &v, int64_t len, int64_t nA, int64_t nB,
                        const std::function<Value(int64_t, Value)> &loadA,
                        const std::function<Value(int64_t, Value)> &loadB) {
  OpBuilder &b = v.b;
  auto loop = scf::ForOp::create(
      b, v.loc, v.idx(0), v.idx(len), v.idx(kLanes),
      SmallVector<Value>(nA * nB, v.vzero(b.getF32Type())));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value k = loop.getInductionVar();
    SmallVector<Value> as, bs, next;
    for (int64_t a = 0; a < nA; ++a)
      as.push_back(loadA(a, k));
    for (int64_t u = 0; u < nB; ++u)
      bs.push_back(loadB(u, k));
    for (int64_t a = 0; a < nA; ++a)
      for (int64_t u = 0; u < nB; ++u)
        next.push_back(arith::AddFOp::create(
            b, v.loc, loop.getRegionIterArgs()[a * nB + u],
            arith::MulFOp::create(b, v.loc, as[a], bs[u])));
    scf::YieldOp::create(b, v.loc, next);
  }
  SmallVector<Value> out;
  for (Value acc : loop.getResults())
    out.push_back(v.laneTree(acc));
  return out;
}

struct Shape {
  int64_t rows, heads, kvHeads, headDim, context;
  /// tern.batch_attention: rank-4 caches, a position and a slot per row.
  bool batch = false;
};

/// Query heads per parallel item: the largest divisor of the group (the
/// query heads that share a kv head) that leaves at least kMinItems items,
/// so that prefill reads each key and value once for the group while
/// decode still splits its few heads among the threads.
int64_t headsPerItem(const Shape &s) {
  const int64_t group = s.heads / s.kvHeads;
  for (int64_t g = group; g > 1; --g)
    if (group % g == 0 && s.rows * s.heads / g >= kMinItems)
      return g;
  return 1;
}

/// One item of the attention function, stage by stage: its row and heads
/// (a row and `g` query heads sharing a kv head), the scores, their
/// softmax, the output. `scores` [g, context] holds the scores, then the
/// exponentials, then the weights.
struct AttentionItem {
  VectorBuilder &v;
  const Shape &s;
  Value q, kc, vc, att, scores, layer;
  int64_t g;
  Value r, len, slot, kvBase;
  SmallVector<Value> qBase;

  Value add(Value x, Value y) {
    return arith::AddIOp::create(v.b, v.loc, x, y);
  }
  /// Indices of element d of cache row j.
  SmallVector<Value> at(Value j, Value d) {
    if (s.batch)
      return {slot, layer, j, d};
    return {layer, j, d};
  }
  Value score(int64_t i, Value j) {
    return memref::LoadOp::create(v.b, v.loc, scores, ValueRange{v.idx(i), j});
  }
  void setScore(int64_t i, Value j, Value x) {
    memref::StoreOp::create(v.b, v.loc, x, scores, ValueRange{v.idx(i), j});
  }

  /// Scores of `n` positions from j0 for every head, the heads' maxima
  /// `mx` carried in order of position.
  SmallVector<Value> scorePositions(Value j0, int64_t n, ValueRange mx) {
    OpBuilder &b = v.b;
    const int64_t hd = s.headDim;
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    SmallVector<Value> d = dots(
        v, hd, g, n,
        [&](int64_t i, Value k) { return v.vload(q, {r, add(qBase[i], k)}); },
        [&](int64_t u, Value k) {
          return v.vload(kc, at(add(j0, v.idx(u)), add(kvBase, k)));
        });
    SmallVector<Value> out(mx.begin(), mx.end());
    for (int64_t u = 0; u < n; ++u)
      for (int64_t i = 0; i < g; ++i) {
        Value sc = arith::MulFOp::create(b, v.loc, d[i * n + u], v.f32(scale));
        setScore(i, add(j0, v.idx(u)), sc);
        out[i] = arith::MaxNumFOp::create(b, v.loc, out[i], sc);
      }
    return out;
  }

  /// Every position's scores, `per` positions per loop iteration then the
  /// rest one by one; returns each head's maximum.
  SmallVector<Value> scoreAll() {
    OpBuilder &b = v.b;
    auto positions = [&](Value lo, Value hi, int64_t n, ValueRange init) {
      auto loop = scf::ForOp::create(b, v.loc, lo, hi, v.idx(n), init);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      scf::YieldOp::create(
          b, v.loc,
          scorePositions(loop.getInductionVar(), n, loop.getRegionIterArgs()));
      return SmallVector<Value>(loop.getResults());
    };
    const int64_t per =
        std::min(kScorePositions, std::max<int64_t>(1, kChains / g));
    Value lenMain = arith::SubIOp::create(
        b, v.loc, len, arith::RemUIOp::create(b, v.loc, len, v.idx(per)));
    SmallVector<Value> mx = positions(v.idx(0), lenMain, per,
                                      SmallVector<Value>(g, v.f32(-INFINITY)));
    return positions(lenMain, len, 1, mx);
  }

  /// Per head: exponentials and their sum in order of position, then the
  /// weights w_j = e_j / sum.
  void softmax(ArrayRef<Value> maxScore) {
    OpBuilder &b = v.b;
    for (int64_t i = 0; i < g; ++i) {
      Value sum =
          v.reduce(v.idx(0), len, 1, v.f32(0.0f), [&](Value j, Value acc) {
            Value e = math::ExpOp::create(
                b, v.loc,
                arith::SubFOp::create(b, v.loc, score(i, j), maxScore[i]));
            setScore(i, j, e);
            return arith::AddFOp::create(b, v.loc, acc, e);
          });
      v.forEach(v.idx(0), len, 1, [&](Value j) {
        setScore(i, j, arith::DivFOp::create(b, v.loc, score(i, j), sum));
      });
    }
  }

  /// The output: each lane the in-order sum over positions of w_j v_j,
  /// its own sum, so the lanes go in groups of 16 where the head allows (8
  /// otherwise); per pass over the positions, `n` groups of every head,
  /// each value row loaded once for all of them.
  void output() {
    OpBuilder &b = v.b;
    const int64_t hd = s.headDim;
    const int64_t width = hd % (2 * kLanes) == 0 ? 2 * kLanes : kLanes;
    const int64_t perPass = std::max<int64_t>(1, kChains / g);
    for (int64_t first = 0; first < hd; first += perPass * width) {
      const int64_t n = std::min(perPass, (hd - first) / width);
      auto loop = scf::ForOp::create(
          b, v.loc, v.idx(0), len, v.idx(1),
          SmallVector<Value>(g * n, v.vzero(b.getF32Type(), width)));
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(loop.getBody());
        Value j = loop.getInductionVar();
        SmallVector<Value> vals, next;
        for (int64_t c = 0; c < n; ++c)
          vals.push_back(v.vload(
              vc, at(j, add(kvBase, v.idx(first + c * width))), width));
        for (int64_t i = 0; i < g; ++i) {
          Value w = v.vsplat(score(i, j), width);
          for (int64_t c = 0; c < n; ++c)
            next.push_back(arith::AddFOp::create(
                b, v.loc, loop.getRegionIterArgs()[i * n + c],
                arith::MulFOp::create(b, v.loc, w, vals[c])));
        }
        scf::YieldOp::create(b, v.loc, next);
      }
      for (int64_t i = 0; i < g; ++i)
        for (int64_t c = 0; c < n; ++c)
          v.vstore(loop.getResult(i * n + c), att,
                   {r, add(qBase[i], v.idx(first + c * width))});
    }
  }
};

/// The body of the attention function: (q [R, H D], k cache, v cache,
/// att [R, H D], args, begin, end) where args is {pos, layer} (row r at
/// position pos + r of the caches) or, batched, {layer, positions[R],
/// slots[R]} (row r at positions[r] of slot slots[r]). Item t is row
/// t / (H / G) and its G = headsPerItem query heads from (t % (H / G)) G,
/// which share one kv head.
void buildAttentionBody(OpBuilder &b, Block *body, const Shape &s) {
  VectorBuilder v{b, b.getUnknownLoc()};
  Location loc = v.loc;
  Value args = body->getArgument(4);
  auto arg = [&](Value i) -> Value {
    return memref::LoadOp::create(b, loc, args, ValueRange{i});
  };
  const int64_t g = headsPerItem(s), items = s.heads / g;
  AttentionItem it{v, s, body->getArgument(0), body->getArgument(1),
                   body->getArgument(2), body->getArgument(3),
                   memref::AllocaOp::create(
                       b, loc, MemRefType::get({g, s.context}, b.getF32Type())),
                   arg(v.idx(s.batch ? 0 : 1)), g, {}, {}, {}, {}, {}};
  Value pos = s.batch ? Value() : arg(v.idx(0));
  v.forEach(body->getArgument(5), body->getArgument(6), 1, [&](Value t) {
    it.r = arith::DivUIOp::create(b, loc, t, v.idx(items));
    Value h0 = arith::MulIOp::create(
        b, loc, arith::RemUIOp::create(b, loc, t, v.idx(items)), v.idx(g));
    // Row r attends to positions [0, pos + r] (batched: [0, positions[r]]
    // of its slot).
    if (s.batch) {
      it.len = it.add(arg(it.add(it.r, v.idx(1))), v.idx(1));
      it.slot = arg(it.add(it.r, v.idx(1 + s.rows)));
    } else {
      it.len = it.add(it.add(pos, it.r), v.idx(1));
    }
    it.qBase.clear();
    for (int64_t i = 0; i < g; ++i)
      it.qBase.push_back(arith::MulIOp::create(b, loc, it.add(h0, v.idx(i)),
                                               v.idx(s.headDim)));
    it.kvBase = arith::MulIOp::create(
        b, loc,
        arith::DivUIOp::create(b, loc, h0, v.idx(s.heads / s.kvHeads)),
        v.idx(s.headDim));
    it.softmax(it.scoreAll());
    it.output();
  });
  func::ReturnOp::create(b, loc);
}

/// Calls the attention function of shape `s` (named `prefix` and the
/// shape) on all its items (rows and groups of query heads) as a
/// tern.parallel range and replaces `op` with its output.
void callAttention(PatternRewriter &rewriter, Operation *op, const Shape &s,
                   const char *prefix, Value q, Value kc, Value vc, Value args,
                   RankedTensorType type) {
  VectorBuilder v{rewriter, op->getLoc()};
  auto rowType = MemRefType::get(type.getShape(), type.getElementType());
  Type index = rewriter.getIndexType();
  const std::string name =
      llvm::formatv("{0}_r{1}_h{2}_kv{3}_d{4}_c{5}", prefix, s.rows, s.heads,
                    s.kvHeads, s.headDim, s.context)
          .str();
  func::FuncOp fn = getOrBuildFunction(
      op, name,
      rewriter.getFunctionType({rowType, kc.getType(), vc.getType(), rowType,
                                args.getType(), index, index},
                               {}),
      [&](OpBuilder &b, Block *body) { buildAttentionBody(b, body, s); });
  Value att = v.newBuffer(type);
  auto call = func::CallOp::create(
      rewriter, op->getLoc(), fn,
      ValueRange{q, kc, vc, att, args, v.idx(0),
                 v.idx(s.rows * s.heads / headsPerItem(s))});
  call->setAttr(kParallelCallAttr, rewriter.getI64IntegerAttr(kParallelBlocks));
  rewriter.replaceOp(op, v.tensorOf(att, type));
}

struct AttentionLowering : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    VectorBuilder v{rewriter, op.getLoc()};
    Location loc = op.getLoc();
    auto type = op.getResult().getType();
    auto cacheType = op.getKeyCache().getType();
    const Shape s{type.getDimSize(0), static_cast<int64_t>(op.getNumHeads()),
                  static_cast<int64_t>(op.getNumKvHeads()), op.getHeadDim(),
                  cacheType.getDimSize(1)};
    const int64_t kvWidth = s.kvHeads * s.headDim;
    Value q = v.buffer(op.getQuery()), k = v.buffer(op.getKey()),
          val = v.buffer(op.getValue());
    Value kc = op.getKeyCache(), vc = op.getValueCache(),
          pos = op.getPosition();
    Value layer = v.idx(static_cast<int64_t>(op.getLayer()));

    // The new rows into the caches.
    v.forEach(0, s.rows, [&](Value r) {
      Value p = arith::AddIOp::create(rewriter, loc, pos, r);
      v.forEachVec(kvWidth, [&](Value d) {
        v.vstore(v.vload(k, {r, d}), kc, {layer, p, d});
        v.vstore(v.vload(val, {r, d}), vc, {layer, p, d});
      });
    });

    // The (row, head) pairs, split among the runtime's threads.
    auto argsType = MemRefType::get({2}, rewriter.getIndexType());
    Value args = memref::AllocaOp::create(rewriter, loc, argsType);
    memref::StoreOp::create(rewriter, loc, pos, args, ValueRange{v.idx(0)});
    memref::StoreOp::create(rewriter, loc, layer, args, ValueRange{v.idx(1)});
    callAttention(rewriter, op, s, "tern_attention", q, kc, vc, args, type);
    return success();
  }
};

/// tern.batch_attention: each row's key and value into its slot at its
/// position, then the (row, head) pairs as tern.attention's, each row over
/// its own slot.
struct BatchAttentionLowering : OpRewritePattern<BatchAttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchAttentionOp op,
                                PatternRewriter &rewriter) const override {
    VectorBuilder v{rewriter, op.getLoc()};
    Location loc = op.getLoc();
    auto type = op.getResult().getType();
    auto cacheType = op.getKeyCache().getType();
    Shape s{type.getDimSize(0), static_cast<int64_t>(op.getNumHeads()),
            static_cast<int64_t>(op.getNumKvHeads()), op.getHeadDim(),
            cacheType.getDimSize(2)};
    s.batch = true;
    const int64_t kvWidth = s.kvHeads * s.headDim;
    Value q = v.buffer(op.getQuery()), k = v.buffer(op.getKey()),
          val = v.buffer(op.getValue()), positions = v.buffer(op.getPositions()),
          slots = v.buffer(op.getSlots());
    Value kc = op.getKeyCache(), vc = op.getValueCache();
    Value layer = v.idx(static_cast<int64_t>(op.getLayer()));
    Type index = rewriter.getIndexType();
    // args = {layer, positions[R], slots[R]} as indices.
    auto argsType = MemRefType::get({1 + 2 * s.rows}, index);
    Value args = memref::AllocaOp::create(rewriter, loc, argsType);
    memref::StoreOp::create(rewriter, loc, layer, args, ValueRange{v.idx(0)});
    v.forEach(0, s.rows, [&](Value r) {
      auto load = [&](Value from) -> Value {
        return arith::IndexCastOp::create(
            rewriter, loc, index,
            memref::LoadOp::create(rewriter, loc, from, ValueRange{r}));
      };
      Value p = load(positions), slot = load(slots);
      memref::StoreOp::create(
          rewriter, loc, p, args,
          ValueRange{arith::AddIOp::create(rewriter, loc, r, v.idx(1))});
      memref::StoreOp::create(
          rewriter, loc, slot, args,
          ValueRange{arith::AddIOp::create(rewriter, loc, r,
                                           v.idx(1 + s.rows))});
      v.forEachVec(kvWidth, [&](Value d) {
        v.vstore(v.vload(k, {r, d}), kc, {slot, layer, p, d});
        v.vstore(v.vload(val, {r, d}), vc, {slot, layer, p, d});
      });
    });
    callAttention(rewriter, op, s, "tern_batch_attention", q, kc, vc, args,
                  type);
    return success();
  }
};
} // namespace

void mlir::tern::addAttentionLowering(RewritePatternSet &patterns) {
  patterns.add<AttentionLowering, BatchAttentionLowering>(
      patterns.getContext());
}
