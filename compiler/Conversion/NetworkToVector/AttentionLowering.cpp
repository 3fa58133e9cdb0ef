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
// a multiple of 16) (AttentionItem.h). Decode with `staged_from` takes
// StagedAttention.cpp's three ranges instead from that many positions.
// With the op's rope tables (decode) nothing is stored first: the items
// rotate the query heads they read, score the newest position against the
// rotated new key, add the new value row last and store both rows, so the
// calling thread does none of it between the q/k/v matmul and the range.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/AttentionItem.h"
#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"
#include "compiler/Conversion/ParallelToRuntime/ParallelToRuntime.h"
#include "compiler/Kernels/KernelFamily.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::tern;

namespace {

/// The least number of parallel items the heads may be grouped into.
constexpr int64_t kMinItems = 16;

/// Query heads per parallel item: the largest divisor of the group (the
/// query heads that share a kv head) that leaves at least kMinItems items,
/// so that prefill reads each key and value once for the group while
/// decode still splits its few heads among the threads.
int64_t headsPerItem(const AttentionShape &s) {
  const int64_t group = s.group();
  for (int64_t g = group; g > 1; --g)
    if (group % g == 0 && s.rows * s.heads / g >= kMinItems)
      return g;
  return 1;
}

/// The body of the attention function: (q [R, H D], k cache, v cache,
/// att [R, H D], args, [new key, new value, cos, sin,] begin, end) where
/// args is {pos, layer} (row r at position pos + r of the caches) or,
/// batched, {layer, positions[R], slots[R]} (row r at positions[r] of slot
/// slots[r]). Item t is row t / (H / G) and its G = headsPerItem query
/// heads from (t % (H / G)) G, which share one kv head. With the rope
/// operands (one row): each item rotates its query heads into a buffer of
/// its own, scores the newest position against its kv head's rotated new
/// key, adds the new value row last, and the item of the kv head's first
/// query head stores both rows into the caches.
void buildAttentionBody(OpBuilder &b, Block *body, const AttentionShape &s,
                        bool rope) {
  VectorBuilder v{b, b.getUnknownLoc()};
  Location loc = v.loc;
  Value args = body->getArgument(4);
  auto arg = [&](Value i) -> Value {
    return memref::LoadOp::create(b, loc, args, ValueRange{i});
  };
  const int64_t g = headsPerItem(s), items = s.heads / g;
  AttentionItem it(v, s, g);
  Value query = body->getArgument(0);
  it.q = query;
  it.kc = body->getArgument(1);
  it.vc = valueCacheView(v, s, body->getArgument(2));
  it.att = body->getArgument(3);
  unsigned range = 5;
  if (rope) {
    it.newKey = body->getArgument(5);
    it.newValue = body->getArgument(6);
    it.cos = body->getArgument(7);
    it.sin = body->getArgument(8);
    range = 9;
    it.q = memref::AllocaOp::create(b, loc, cast<MemRefType>(query.getType()));
    it.newKeys =
        memref::AllocaOp::create(b, loc, cast<MemRefType>(it.newKey.getType()));
  }
  it.scores = memref::AllocaOp::create(
      b, loc, MemRefType::get({g, s.context}, b.getF32Type()));
  it.layer = arg(v.idx(s.batch ? 0 : 1));
  it.scoreRow = v.idx(0);
  Value pos = s.batch ? Value() : arg(v.idx(0));
  v.forEach(body->getArgument(range), body->getArgument(range + 1), 1,
            [&](Value t) {
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
    it.kvHead = arith::DivUIOp::create(b, loc, h0, v.idx(s.group()));
    it.kvBase = arith::MulIOp::create(b, loc, it.kvHead, v.idx(s.headDim));
    if (rope)
      for (int64_t i = 0; i < g; ++i)
        it.rotateHead(query, it.q, it.qBase[i]);
    SmallVector<Value> mx = it.scoreRange(v.idx(0), it.cached());
    if (rope)
      mx = it.scoreNewest(mx);
    for (int64_t i = 0; i < g; ++i)
      it.softmax(i, mx[i]);
    for (int64_t p = 0; p < it.outputPasses(); ++p)
      it.outputPass(p);
    if (rope) {
      Value first = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::eq,
          arith::RemUIOp::create(b, loc, h0, v.idx(s.group())), v.idx(0));
      scf::IfOp::create(b, loc, first, [&](OpBuilder &ib, Location l) {
        it.storeNewKey(); // builds with `b`, here inside the branch
        it.storeNewValue(0, s.headDim);
        scf::YieldOp::create(ib, l);
      });
    }
  });
  func::ReturnOp::create(b, loc);
}

/// Stores row r of the new keys `k` and values `val` as position p of
/// `layer` (and `slot`, batched) of the key cache and the value cache's
/// view (valueCacheView).
void storeCacheRow(VectorBuilder &v, const AttentionShape &s, Value k,
                   Value val, Value r, Value kc, Value vcView, Value slot,
                   Value layer, Value p) {
  auto keyAt = [&](Value d) {
    SmallVector<Value> at = {layer, p, d};
    if (s.batch)
      at.insert(at.begin(), slot);
    return at;
  };
  if (!s.valuePanel) {
    v.forEachVec(s.kvHeads * s.headDim, [&](Value d) {
      v.vstore(v.vload(k, {r, d}), kc, keyAt(d));
      v.vstore(v.vload(val, {r, d}), vcView, keyAt(d));
    });
    return;
  }
  // Each kv head's lanes in turn, so that its index is static.
  for (int64_t kvh = 0; kvh < s.kvHeads; ++kvh)
    v.forEachVec(s.headDim, [&](Value d) {
      Value col = arith::AddIOp::create(v.b, v.loc, d,
                                        v.idx(kvh * s.headDim));
      v.vstore(v.vload(k, {r, col}), kc, keyAt(col));
      v.vstore(v.vload(val, {r, col}), vcView,
               valueIndices(v, s, slot, layer, p, v.idx(kvh), d));
    });
}

/// Calls the attention function of shape `s` (named `prefix` and the
/// shape, "_rope" where it rotates) on all its items (rows and groups of
/// query heads) as a tern.parallel range, writing `att`. `rope`: {new key,
/// new value, cos, sin}, or empty.
void callAttention(OpBuilder &b, Operation *op, const AttentionShape &s,
                   const char *prefix, Value q, Value kc, Value vc, Value args,
                   Value att, ValueRange rope) {
  VectorBuilder v{b, op->getLoc()};
  Type index = b.getIndexType();
  const std::string name =
      llvm::formatv("{0}_r{1}_h{2}_kv{3}_d{4}_c{5}{6}{7}", prefix, s.rows,
                    s.heads, s.kvHeads, s.headDim, s.context, panelSuffix(s),
                    rope.empty() ? "" : "_rope")
          .str();
  SmallVector<Value> operands = {q, kc, vc, att, args};
  operands.append(rope.begin(), rope.end());
  SmallVector<Type> types(ValueRange(operands).getTypes());
  types.append(2, index);
  func::FuncOp fn = getOrBuildFunction(
      op, name, b.getFunctionType(types, {}),
      [&](OpBuilder &fb, Block *body) {
        buildAttentionBody(fb, body, s, !rope.empty());
      });
  operands.push_back(v.idx(0));
  operands.push_back(v.idx(s.rows * s.heads / headsPerItem(s)));
  auto call = func::CallOp::create(b, op->getLoc(), fn, operands);
  call->setAttr(kParallelCallAttr, b.getI64IntegerAttr(kParallelBlocks));
}

struct AttentionLowering : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    VectorBuilder v{rewriter, op.getLoc()};
    Location loc = op.getLoc();
    auto type = op.getResult().getType();
    auto cacheType = op.getKeyCache().getType();
    AttentionShape s{type.getDimSize(0),
                     static_cast<int64_t>(op.getNumHeads()),
                     static_cast<int64_t>(op.getNumKvHeads()), op.getHeadDim(),
                     cacheType.getDimSize(1)};
    s.valuePanel = static_cast<int64_t>(op.getValuePanel().value_or(0));
    Value q = v.buffer(op.getQuery()), k = v.buffer(op.getKey()),
          val = v.buffer(op.getValue());
    Value kc = op.getKeyCache(), vc = op.getValueCache(),
          pos = op.getPosition();
    Value layer = v.idx(static_cast<int64_t>(op.getLayer()));

    // The new rows into the caches; with rope tables the items store them.
    SmallVector<Value> rope;
    if (op.getCos()) {
      rope = {k, val, v.buffer(op.getCos()), v.buffer(op.getSin())};
    } else {
      Value vcView = valueCacheView(v, s, vc);
      v.forEach(0, s.rows, [&](Value r) {
        storeCacheRow(v, s, k, val, r, kc, vcView, Value(), layer,
                      arith::AddIOp::create(rewriter, loc, pos, r));
      });
    }

    // The (row, head) pairs, split among the runtime's threads; with
    // staged_from, from that many positions (pos + 1) the staged ranges.
    auto argsType = MemRefType::get({2}, rewriter.getIndexType());
    Value args = memref::AllocaOp::create(rewriter, loc, argsType);
    memref::StoreOp::create(rewriter, loc, pos, args, ValueRange{v.idx(0)});
    memref::StoreOp::create(rewriter, loc, layer, args, ValueRange{v.idx(1)});
    Value att = v.newBuffer(type);
    std::optional<uint64_t> stagedFrom = op.getStagedFrom();
    if (!stagedFrom) {
      callAttention(rewriter, op, s, "tern_attention", q, kc, vc, args, att,
                    rope);
    } else {
      Value len = arith::AddIOp::create(rewriter, loc, pos, v.idx(1));
      Value staged = arith::CmpIOp::create(
          rewriter, loc, arith::CmpIPredicate::uge, len,
          v.idx(static_cast<int64_t>(*stagedFrom)));
      scf::IfOp::create(
          rewriter, loc, staged,
          [&](OpBuilder &b, Location l) {
            callStagedAttention(b, op, s, q, kc, vc, args, len, att, rope);
            scf::YieldOp::create(b, l);
          },
          [&](OpBuilder &b, Location l) {
            callAttention(b, op, s, "tern_attention", q, kc, vc, args, att,
                          rope);
            scf::YieldOp::create(b, l);
          });
    }
    rewriter.replaceOp(op, v.tensorOf(att, type));
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
    AttentionShape s{type.getDimSize(0),
                     static_cast<int64_t>(op.getNumHeads()),
                     static_cast<int64_t>(op.getNumKvHeads()), op.getHeadDim(),
                     cacheType.getDimSize(2)};
    s.batch = true;
    s.valuePanel = static_cast<int64_t>(op.getValuePanel().value_or(0));
    Value q = v.buffer(op.getQuery()), k = v.buffer(op.getKey()),
          val = v.buffer(op.getValue()), positions = v.buffer(op.getPositions()),
          slots = v.buffer(op.getSlots());
    Value kc = op.getKeyCache(), vc = op.getValueCache();
    Value layer = v.idx(static_cast<int64_t>(op.getLayer()));
    Value vcView = valueCacheView(v, s, vc);
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
      storeCacheRow(v, s, k, val, r, kc, vcView, slot, layer, p);
    });
    Value att = v.newBuffer(type);
    callAttention(rewriter, op, s, "tern_batch_attention", q, kc, vc, args,
                  att, /*rope=*/{});
    rewriter.replaceOp(op, v.tensorOf(att, type));
    return success();
  }
};
} // namespace

void mlir::tern::addAttentionLowering(RewritePatternSet &patterns) {
  patterns.add<AttentionLowering, BatchAttentionLowering>(
      patterns.getContext());
}
