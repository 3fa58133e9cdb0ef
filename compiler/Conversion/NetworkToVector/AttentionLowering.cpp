//===- AttentionLowering.cpp - tern.attention as vector code --------------===//
//
// The new rows' keys and values are stored into the caches, then one
// outlined function computes (row, head) pairs [begin, end), called as a
// `tern.parallel` range over all R x H pairs (convert-parallel-to-runtime
// splits it among the runtime's threads). Per pair: the scores
// s_j = dot(q, k_j) * scale (8-lane dot, lane tree; 4 positions per loop
// iteration), their maximum, the exponentials and their running sum
// (scalar, in order of j), the weights e_j / sum, and the output as the
// in-order sum of w_j * v_j, up to 8 groups of 16 lanes (8 where the head
// is not a multiple of 16) per pass over j.
// Every sum adds in the reference's order (runtime/ternary's attendHead).
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"
#include "compiler/Conversion/NetworkToVector/VectorBuilder.h"
#include "compiler/Kernels/KernelFamily.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <functional>

using namespace mlir;
using namespace mlir::tern;

namespace {

/// Positions whose scores one loop iteration computes, and groups of 8
/// output lanes per pass over the positions: independent chains of
/// additions, so that the loops run at the adder's throughput rather than
/// its latency. Each chain adds in the reference's order.
constexpr int64_t kScorePositions = 4;
constexpr int64_t kOutputChunks = 8;

/// The dot products of one vector with `n` others, as VectorBuilder::dot
/// computes each (8 interleaved partial sums, then the lane tree), in one
/// loop over the `len` elements: loadA(k) is shared, loadB(u, k) is
/// vector u's.
SmallVector<Value> dots(VectorBuilder &v, int64_t len, int64_t n,
                        const std::function<Value(Value)> &loadA,
                        const std::function<Value(int64_t, Value)> &loadB) {
  OpBuilder &b = v.b;
  auto loop = scf::ForOp::create(
      b, v.loc, v.idx(0), v.idx(len), v.idx(kLanes),
      SmallVector<Value>(n, v.vzero(b.getF32Type())));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value k = loop.getInductionVar();
    Value a = loadA(k);
    SmallVector<Value> next;
    for (int64_t u = 0; u < n; ++u)
      next.push_back(arith::AddFOp::create(
          b, v.loc, loop.getRegionIterArgs()[u],
          arith::MulFOp::create(b, v.loc, a, loadB(u, k))));
    scf::YieldOp::create(b, v.loc, next);
  }
  SmallVector<Value> out;
  for (int64_t u = 0; u < n; ++u)
    out.push_back(v.laneTree(loop.getResult(u)));
  return out;
}

struct Shape {
  int64_t rows, heads, kvHeads, headDim, context;
  /// tern.batch_attention: rank-4 caches, a position and a slot per row.
  bool batch = false;
};

/// The body of the attention function: (q [R, H D], k cache, v cache,
/// att [R, H D], args, begin, end) where args is {pos, layer} (row r at
/// position pos + r of the caches) or, batched, {layer, positions[R],
/// slots[R]} (row r at positions[r] of slot slots[r]).
void buildAttentionBody(OpBuilder &b, Block *body, const Shape &s) {
  VectorBuilder v{b, b.getUnknownLoc()};
  Location loc = v.loc;
  Type f32 = b.getF32Type();
  Value q = body->getArgument(0), kc = body->getArgument(1),
        vc = body->getArgument(2), att = body->getArgument(3),
        args = body->getArgument(4);
  auto arg = [&](Value i) -> Value {
    return memref::LoadOp::create(b, loc, args, ValueRange{i});
  };
  Value layer = arg(v.idx(s.batch ? 0 : 1));
  Value pos = s.batch ? Value() : arg(v.idx(0));
  Value scores =
      memref::AllocaOp::create(b, loc, MemRefType::get({1, s.context}, f32));
  Value c0 = v.idx(0);
  const int64_t group = s.heads / s.kvHeads, hd = s.headDim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  auto add = [&](Value x, Value y) -> Value {
    return arith::AddIOp::create(b, loc, x, y);
  };
  auto score = [&](Value j) -> Value {
    return memref::LoadOp::create(b, loc, scores, ValueRange{c0, j});
  };
  v.forEach(body->getArgument(5), body->getArgument(6), 1, [&](Value t) {
    Value r = arith::DivUIOp::create(b, loc, t, v.idx(s.heads));
    Value h = arith::RemUIOp::create(b, loc, t, v.idx(s.heads));
    // Row r attends to positions [0, pos + r] (batched: [0, positions[r]]
    // of its slot).
    Value len, slot;
    if (s.batch) {
      len = add(arg(add(r, v.idx(1))), v.idx(1));
      slot = arg(add(r, v.idx(1 + s.rows)));
    } else {
      len = add(add(pos, r), v.idx(1));
    }
    auto at = [&](Value j, Value d) -> SmallVector<Value> {
      if (s.batch)
        return {slot, layer, j, d};
      return {layer, j, d};
    };
    Value qBase = arith::MulIOp::create(b, loc, h, v.idx(hd));
    Value kvBase = arith::MulIOp::create(
        b, loc, arith::DivUIOp::create(b, loc, h, v.idx(group)), v.idx(hd));
    // Scores kScorePositions positions at a time (their dot products in
    // one loop over the head, as independent chains), then the rest one
    // by one; the maximum in order of position either way.
    auto scorePositions = [&](Value j0, int64_t n, Value mx) -> Value {
      SmallVector<Value> d = dots(
          v, hd, n, [&](Value k) { return v.vload(q, {r, add(qBase, k)}); },
          [&](int64_t u, Value k) {
            return v.vload(kc, at(add(j0, v.idx(u)), add(kvBase, k)));
          });
      for (int64_t u = 0; u < n; ++u) {
        Value sc = arith::MulFOp::create(b, loc, d[u], v.f32(scale));
        memref::StoreOp::create(b, loc, sc, scores,
                                ValueRange{c0, add(j0, v.idx(u))});
        mx = arith::MaxNumFOp::create(b, loc, mx, sc);
      }
      return mx;
    };
    Value lenMain = arith::SubIOp::create(
        b, loc, len,
        arith::RemUIOp::create(b, loc, len, v.idx(kScorePositions)));
    Value maxScore = v.reduce(
        v.idx(0), lenMain, kScorePositions, v.f32(-INFINITY),
        [&](Value j, Value mx) { return scorePositions(j, kScorePositions, mx); });
    maxScore = v.reduce(lenMain, len, 1, maxScore, [&](Value j, Value mx) {
      return scorePositions(j, 1, mx);
    });
    Value sum = v.reduce(v.idx(0), len, 1, v.f32(0.0f), [&](Value j, Value acc) {
      Value e = math::ExpOp::create(
          b, loc, arith::SubFOp::create(b, loc, score(j), maxScore));
      memref::StoreOp::create(b, loc, e, scores, ValueRange{c0, j});
      return arith::AddFOp::create(b, loc, acc, e);
    });
    // The weights w_j = e_j / sum, then per 8 lanes of the head the
    // weighted sum of V rows in order of position (each lane as the
    // reference's out[d] += w_j * v_j[d]).
    v.forEach(v.idx(0), len, 1, [&](Value j) {
      memref::StoreOp::create(b, loc, arith::DivFOp::create(b, loc, score(j), sum),
                              scores, ValueRange{c0, j});
    });
    // Each output lane is its own sum, so the lanes go in groups of 16
    // where the head allows (8 otherwise), up to kOutputChunks groups per
    // pass over the positions, each group its own chain.
    const int64_t width = hd % (2 * kLanes) == 0 ? 2 * kLanes : kLanes;
    for (int64_t first = 0; first < hd; first += kOutputChunks * width) {
      const int64_t n = std::min(kOutputChunks, (hd - first) / width);
      auto loop = scf::ForOp::create(
          b, loc, v.idx(0), len, v.idx(1),
          SmallVector<Value>(n, v.vzero(f32, width)));
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(loop.getBody());
        Value j = loop.getInductionVar();
        Value w = v.vsplat(score(j), width);
        SmallVector<Value> next;
        for (int64_t c = 0; c < n; ++c) {
          Value kvd = add(kvBase, v.idx(first + c * width));
          next.push_back(arith::AddFOp::create(
              b, loc, loop.getRegionIterArgs()[c],
              arith::MulFOp::create(b, loc, w,
                                    v.vload(vc, at(j, kvd), width))));
        }
        scf::YieldOp::create(b, loc, next);
      }
      for (int64_t c = 0; c < n; ++c)
        v.vstore(loop.getResult(c), att,
                 {r, add(qBase, v.idx(first + c * width))});
    }
  });
  func::ReturnOp::create(b, loc);
}

/// Calls the attention function of shape `s` (named `prefix` and the
/// shape) on all R x H (row, head) pairs as a tern.parallel range and
/// replaces `op` with its output.
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
      ValueRange{q, kc, vc, att, args, v.idx(0), v.idx(s.rows * s.heads)});
  call->setAttr("tern.parallel", rewriter.getI64IntegerAttr(kParallelBlocks));
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
