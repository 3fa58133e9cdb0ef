//===- StagedAttention.cpp - Decode attention in three parallel ranges ----===//
//
// One decoded row's attention over a long cache, split so that the work
// divides evenly among any number of threads and the caches are read as
// streams (the one-range form has one item per query head: 20 items on 5
// kv heads for 2B4T, each reading its kv head's 512 bytes of every 2560-byte
// cache row again). Three tern.parallel ranges, each a barrier for the
// next:
//
//   1. scores: an item is a block of kStagedBlock positions; per step of
//      positions it scores every kv head's query heads, so it reads whole
//      key rows in order (AttentionItem::storeScores).
//   2. softmax: an item is a query head; its maximum over the stored
//      scores (exact in any order), then the exponentials summed in order
//      of position and the weights, as the one-range form computes them.
//   3. output: an item is a kv head and one output pass (groups of lanes of
//      its query heads); each lane is the in-order sum over all positions.
//      With the ops' value_panel (the value cache in panels of the lanes
//      one pass reads, each panel's rows together) an item reads one panel
//      in order.
//
// Every value is computed by the same operations in the same order as in
// the one-range form, so the output is identical. The scores, and the
// output over whole value rows, prefetch the rows kStagedPrefetch
// positions ahead. With the op's rope tables the scores rotate the query
// heads once per call, the item of the last block scores the newest
// position against the rotated new keys and stores them, and each output
// item adds its lanes of the new value row last and stores them.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/AttentionItem.h"
#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"
#include "compiler/Conversion/ParallelToRuntime/ParallelToRuntime.h"
#include "compiler/Kernels/KernelFamily.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::tern;

namespace {

/// Positions per item of the scores range: 32 whole rows of the key
/// cache (80 KiB for 2B4T), 33 items at depth 1024.
constexpr int64_t kStagedBlock = 32;

/// Positions ahead whose rows the scores and output items prefetch into
/// L2. Each reads part of every row (a kv head's lanes) or rows 2.5 KiB
/// apart, which the hardware prefetchers do not run far enough ahead of:
/// at depth 1024 on a Zen 4 the scores took about half the time with it
/// and the output about 0.6 (docs/performance.md, "Decode at depth").
constexpr int64_t kStagedPrefetch = 16;

/// The function arguments every stage reads: {pos, layer} and the
/// positions attended, pos + 1.
struct StageArgs {
  Value layer, len;
};

StageArgs loadArgs(VectorBuilder &v, Value args) {
  auto arg = [&](int64_t i) -> Value {
    return memref::LoadOp::create(v.b, v.loc, args, ValueRange{v.idx(i)});
  };
  Value pos = arg(0);
  return {arg(1), arith::AddIOp::create(v.b, v.loc, pos, v.idx(1))};
}

/// ceil(len / kStagedBlock).
Value blocksOf(VectorBuilder &v, Value len) {
  return arith::DivUIOp::create(
      v.b, v.loc, arith::AddIOp::create(v.b, v.loc, len, v.idx(kStagedBlock - 1)),
      v.idx(kStagedBlock));
}

/// An item over the query heads of kv head `kvh`, their scores in rows
/// kvh * group of the scores buffer.
void setKvHead(AttentionItem &it, Value kvh) {
  VectorBuilder &v = it.v;
  const AttentionShape &s = it.s;
  Value h0 = arith::MulIOp::create(v.b, v.loc, kvh, v.idx(s.group()));
  it.scoreRow = h0;
  it.kvHead = kvh;
  it.kvBase = arith::MulIOp::create(v.b, v.loc, kvh, v.idx(s.headDim));
  it.qBase.clear();
  for (int64_t i = 0; i < it.g; ++i)
    it.qBase.push_back(arith::MulIOp::create(
        v.b, v.loc, it.add(h0, v.idx(i)), v.idx(s.headDim)));
}

/// An item of the scores or output range: the one row, all positions up
/// to `a.len`, the query heads of one kv head (setKvHead), its rows
/// prefetched `prefetchAhead` positions ahead (0: none).
AttentionItem kvHeadItem(VectorBuilder &v, const AttentionShape &s,
                         const StageArgs &a, int64_t prefetchAhead) {
  AttentionItem it(v, s, s.group());
  it.layer = a.layer;
  it.r = v.idx(0);
  it.len = a.len;
  it.prefetchAhead = prefetchAhead;
  return it;
}

/// (q, kc, scores, args, [new key, cos, sin,] begin, end): item t is
/// positions [kStagedBlock t, ...); each step scores positionsPerStep()
/// positions for the query heads of every kv head in turn. With the rope
/// operands each call first rotates every query head into a buffer of its
/// own, and the item of the last block scores the newest position against
/// the rotated new keys and stores them into the key cache.
void buildScores(OpBuilder &b, Block *body, const AttentionShape &s,
                 bool rope) {
  VectorBuilder v{b, b.getUnknownLoc()};
  StageArgs a = loadArgs(v, body->getArgument(3));
  AttentionItem it = kvHeadItem(v, s, a, kStagedPrefetch);
  Value query = body->getArgument(0);
  it.q = query;
  it.kc = body->getArgument(1);
  it.scores = body->getArgument(2);
  unsigned range = 4;
  if (rope) {
    it.newKey = body->getArgument(4);
    it.cos = body->getArgument(5);
    it.sin = body->getArgument(6);
    range = 7;
    it.q = memref::AllocaOp::create(b, v.loc,
                                    cast<MemRefType>(query.getType()));
    it.newKeys = memref::AllocaOp::create(
        b, v.loc, cast<MemRefType>(it.newKey.getType()));
    for (int64_t h = 0; h < s.heads; ++h)
      it.rotateHead(query, it.q, v.idx(h * s.headDim));
  }
  const int64_t per = it.positionsPerStep();
  auto step = [&](Value j, int64_t n) {
    for (int64_t kvh = 0; kvh < s.kvHeads; ++kvh) {
      setKvHead(it, v.idx(kvh));
      it.storeScores(j, n);
    }
  };
  Value cached = it.cached();
  v.forEach(body->getArgument(range), body->getArgument(range + 1), 1,
            [&](Value t) {
    Value lo = arith::MulIOp::create(b, v.loc, t, v.idx(kStagedBlock));
    Value end = it.add(lo, v.idx(kStagedBlock));
    Value hi = arith::MinUIOp::create(b, v.loc, end, cached);
    Value rest = arith::RemUIOp::create(
        b, v.loc, arith::SubIOp::create(b, v.loc, hi, lo), v.idx(per));
    Value mainEnd = arith::SubIOp::create(b, v.loc, hi, rest);
    v.forEach(lo, mainEnd, per, [&](Value j) { step(j, per); });
    v.forEach(mainEnd, hi, 1, [&](Value j) { step(j, 1); });
    if (!rope)
      return;
    Value last = arith::CmpIOp::create(b, v.loc, arith::CmpIPredicate::uge,
                                       end, a.len);
    scf::IfOp::create(b, v.loc, last, [&](OpBuilder &ib, Location l) {
      for (int64_t kvh = 0; kvh < s.kvHeads; ++kvh) {
        setKvHead(it, v.idx(kvh));
        it.scoreNewest({}); // builds with `b`, here inside the branch
        it.storeNewKey();
      }
      scf::YieldOp::create(ib, l);
    });
  });
  func::ReturnOp::create(b, v.loc);
}

/// (scores, args, begin, end): item t is query head t.
void buildSoftmax(OpBuilder &b, Block *body, const AttentionShape &s,
                  bool /*rope*/) {
  VectorBuilder v{b, b.getUnknownLoc()};
  StageArgs a = loadArgs(v, body->getArgument(1));
  AttentionItem it(v, s, 1);
  it.scores = body->getArgument(0);
  it.len = a.len;
  v.forEach(body->getArgument(2), body->getArgument(3), 1, [&](Value t) {
    it.scoreRow = t;
    it.softmax(0, it.maxScore(0));
  });
  func::ReturnOp::create(b, v.loc);
}

/// (vc, scores, att, args, [new value,] begin, end): item t is kv head
/// t / passes and output pass t % passes of its query heads. With the new
/// value row, each item adds its lanes of it last and stores them into the
/// value cache.
void buildOutput(OpBuilder &b, Block *body, const AttentionShape &s,
                 bool rope) {
  VectorBuilder v{b, b.getUnknownLoc()};
  StageArgs a = loadArgs(v, body->getArgument(3));
  // A panel's rows are one stream, which the hardware prefetchers follow:
  // prefetching them too was slower (docs/performance.md, "Value panels").
  AttentionItem it = kvHeadItem(v, s, a, s.valuePanel ? 0 : kStagedPrefetch);
  it.vc = valueCacheView(v, s, body->getArgument(0));
  it.scores = body->getArgument(1);
  it.att = body->getArgument(2);
  unsigned range = 4;
  if (rope) {
    it.newValue = body->getArgument(4);
    range = 5;
  }
  const int64_t passes = it.outputPasses();
  v.forEach(body->getArgument(range), body->getArgument(range + 1), 1,
            [&](Value t) {
    setKvHead(it, arith::DivUIOp::create(b, v.loc, t, v.idx(passes)));
    Value pass = arith::RemUIOp::create(b, v.loc, t, v.idx(passes));
    // The pass's lane groups are static: one branch per pass.
    for (int64_t p = 0; p < passes; ++p) {
      Value is = arith::CmpIOp::create(b, v.loc, arith::CmpIPredicate::eq,
                                       pass, v.idx(p));
      scf::IfOp::create(b, v.loc, is, [&](OpBuilder &ib, Location l) {
        // Builds with `b`, here inside the branch; the item's lanes of the
        // new value row into the cache (where fresh).
        it.outputPass(p, /*storeNew=*/rope);
        scf::YieldOp::create(ib, l);
      });
    }
  });
  func::ReturnOp::create(b, v.loc);
}

/// The stage function `stage` of shape `s` ("_rope" where it takes the
/// rope operands), built by `build`.
func::FuncOp stageFunction(OpBuilder &b, Operation *op, const AttentionShape &s,
                           StringRef stage, TypeRange memrefs, bool rope,
                           void (*build)(OpBuilder &, Block *,
                                         const AttentionShape &, bool)) {
  SmallVector<Type> types(memrefs.begin(), memrefs.end());
  types.append(2, b.getIndexType());
  const std::string name =
      llvm::formatv("tern_attention_{0}_h{1}_kv{2}_d{3}_c{4}{5}{6}", stage,
                    s.heads, s.kvHeads, s.headDim, s.context, panelSuffix(s),
                    rope ? "_rope" : "")
          .str();
  return getOrBuildFunction(
      op, name, b.getFunctionType(types, {}),
      [&](OpBuilder &fb, Block *body) { build(fb, body, s, rope); });
}

/// fn(operands..., 0, end) as a tern.parallel range.
void callRange(OpBuilder &b, Location loc, func::FuncOp fn,
               SmallVector<Value> operands, Value end) {
  VectorBuilder v{b, loc};
  operands.push_back(v.idx(0));
  operands.push_back(end);
  auto call = func::CallOp::create(b, loc, fn, operands);
  call->setAttr(kParallelCallAttr, b.getI64IntegerAttr(kParallelBlocks));
}

} // namespace

void mlir::tern::callStagedAttention(OpBuilder &b, Operation *op,
                                     const AttentionShape &s, Value q, Value kc,
                                     Value vc, Value args, Value len,
                                     Value att, ValueRange rope) {
  Location loc = op->getLoc();
  VectorBuilder v{b, loc};
  const bool fresh = !rope.empty();
  auto scoresType = MemRefType::get({s.heads, s.context}, b.getF32Type());
  Value scores =
      memref::AllocOp::create(b, loc, scoresType, b.getI64IntegerAttr(64));
  SmallVector<Value> scoresArgs = {q, kc, scores, args};
  SmallVector<Value> outputArgs = {vc, scores, att, args};
  if (fresh) {
    scoresArgs.append({rope[0], rope[2], rope[3]}); // new key, cos, sin
    outputArgs.push_back(rope[1]);                  // new value
  }
  func::FuncOp scoresFn =
      stageFunction(b, op, s, "scores", ValueRange(scoresArgs).getTypes(),
                    fresh, buildScores);
  func::FuncOp softmaxFn =
      stageFunction(b, op, s, "softmax", {scoresType, args.getType()},
                    /*rope=*/false, buildSoftmax);
  func::FuncOp outputFn =
      stageFunction(b, op, s, "output", ValueRange(outputArgs).getTypes(),
                    fresh, buildOutput);
  callRange(b, loc, scoresFn, scoresArgs, blocksOf(v, len));
  callRange(b, loc, softmaxFn, {scores, args}, v.idx(s.heads));
  callRange(b, loc, outputFn, outputArgs,
            v.idx(s.kvHeads * outputPassesOf(s, s.group())));
}
