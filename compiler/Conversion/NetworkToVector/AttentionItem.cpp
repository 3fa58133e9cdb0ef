//===- AttentionItem.cpp - One attention item as vector code --------------===//
//
// See AttentionItem.h.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/AttentionItem.h"
#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::tern;

namespace {

/// Lanes of the vector loops over a head's scores (maximum, division):
/// each lane is its own position, so the width changes no result.
constexpr int64_t kScoreLanes = 16;

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

} // namespace

Value AttentionItem::add(Value x, Value y) {
  return arith::AddIOp::create(v.b, v.loc, x, y);
}

std::string mlir::tern::panelSuffix(const AttentionShape &s) {
  return s.valuePanel ? "_p" + std::to_string(s.valuePanel) : std::string();
}

Value mlir::tern::valueCacheView(VectorBuilder &v, const AttentionShape &s,
                                 Value vc) {
  const int64_t p = s.valuePanel;
  if (!p)
    return vc;
  SmallVector<int64_t> shape = {s.kvHeads, s.headDim / p, s.context, p};
  auto type = cast<MemRefType>(vc.getType());
  // The layers (and slots) keep their places and strides.
  const int64_t lead = s.batch ? 2 : 1;
  shape.insert(shape.begin(), type.getShape().begin(),
               type.getShape().begin() + lead);
  SmallVector<OpFoldResult> sizes, strides(shape.size());
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i)
    sizes.push_back(ShapedType::isDynamic(shape[i])
                        ? OpFoldResult(memref::DimOp::create(v.b, v.loc, vc, i)
                                           .getResult())
                        : OpFoldResult(v.b.getIndexAttr(shape[i])));
  int64_t stride = 1;
  for (int64_t i = static_cast<int64_t>(shape.size()) - 1; i >= 0; --i) {
    strides[i] = v.b.getIndexAttr(stride);
    if (i > 0)
      stride *= shape[i];
  }
  return memref::ReinterpretCastOp::create(
      v.b, v.loc, MemRefType::get(shape, type.getElementType()), vc,
      v.b.getIndexAttr(0), sizes, strides);
}

SmallVector<Value> mlir::tern::valueIndices(VectorBuilder &v,
                                            const AttentionShape &s, Value slot,
                                            Value layer, Value j, Value kvh,
                                            Value d) {
  SmallVector<Value> out;
  if (s.batch)
    out.push_back(slot);
  out.push_back(layer);
  // Folded where d is a constant (the output's lanes).
  if (!s.valuePanel) {
    out.push_back(j);
    out.push_back(v.b.createOrFold<arith::AddIOp>(
        v.loc, v.b.createOrFold<arith::MulIOp>(v.loc, kvh, v.idx(s.headDim)),
        d));
    return out;
  }
  Value p = v.idx(s.valuePanel);
  out.push_back(kvh);
  out.push_back(v.b.createOrFold<arith::DivUIOp>(v.loc, d, p));
  out.push_back(j);
  out.push_back(v.b.createOrFold<arith::RemUIOp>(v.loc, d, p));
  return out;
}

SmallVector<Value> AttentionItem::at(Value j, Value d) {
  if (s.batch)
    return {slot, layer, j, d};
  return {layer, j, d};
}

SmallVector<Value> AttentionItem::valueAt(Value j, int64_t d) {
  return valueIndices(v, s, slot, layer, j, kvHead, v.idx(d));
}

Value AttentionItem::score(int64_t i, Value j) {
  return memref::LoadOp::create(v.b, v.loc, scores,
                                ValueRange{add(scoreRow, v.idx(i)), j});
}

void AttentionItem::setScore(int64_t i, Value j, Value x) {
  memref::StoreOp::create(v.b, v.loc, x, scores,
                          ValueRange{add(scoreRow, v.idx(i)), j});
}

/// Prefetches lanes [first, first + lanes) of the item's kv head at
/// position j + prefetchAhead (the context's last past its end) of a cache
/// indexed by `at(position, lane)`, one prefetch per cache line.
void AttentionItem::prefetchRow(
    Value cache, Value j, int64_t first, int64_t lanes,
    const std::function<SmallVector<Value>(Value, int64_t)> &at) {
  if (!prefetchAhead)
    return;
  constexpr int64_t kLineFloats = 16;
  Value ahead = arith::MinUIOp::create(v.b, v.loc, add(j, v.idx(prefetchAhead)),
                                       v.idx(s.context - 1));
  for (int64_t d = first; d < first + lanes; d += kLineFloats)
    memref::PrefetchOp::create(v.b, v.loc, cache, at(ahead, d),
                               /*isWrite=*/false, /*localityHint=*/2,
                               /*isDataCache=*/true);
}

/// Scores of `n` positions from j0 for every head, the heads' maxima `mx`
/// (none where empty) carried in order of position.
SmallVector<Value> AttentionItem::scorePositions(Value j0, int64_t n,
                                                 ValueRange mx) {
  const int64_t hd = s.headDim;
  auto keyAt = [&](Value j, int64_t d) { return at(j, add(kvBase, v.idx(d))); };
  for (int64_t u = 0; u < n; ++u)
    prefetchRow(kc, add(j0, v.idx(u)), 0, hd, keyAt);
  return scoreRows(j0, n, mx, [&](int64_t u, Value k) {
    return v.vload(kc, at(add(j0, v.idx(u)), add(kvBase, k)));
  });
}

/// scorePositions with key row u of the step read by loadKey(u, lane).
SmallVector<Value>
AttentionItem::scoreRows(Value j0, int64_t n, ValueRange mx,
                         const std::function<Value(int64_t, Value)> &loadKey) {
  OpBuilder &b = v.b;
  const int64_t hd = s.headDim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  SmallVector<Value> d = dots(
      v, hd, g, n,
      [&](int64_t i, Value k) { return v.vload(q, {r, add(qBase[i], k)}); },
      loadKey);
  SmallVector<Value> out(mx.begin(), mx.end());
  for (int64_t u = 0; u < n; ++u)
    for (int64_t i = 0; i < g; ++i) {
      Value sc = arith::MulFOp::create(b, v.loc, d[i * n + u], v.f32(scale));
      setScore(i, add(j0, v.idx(u)), sc);
      if (!out.empty())
        out[i] = arith::MaxNumFOp::create(b, v.loc, out[i], sc);
    }
  return out;
}

void AttentionItem::rotateHead(Value from, Value to, Value base) {
  Value row = v.idx(0);
  mlir::tern::rotateHead(v, from, to, row, cos, sin, row, base,
                         s.headDim / 2);
}

void AttentionItem::rotateKey() { rotateHead(newKey, newKeys, kvBase); }

Value AttentionItem::newest() {
  return arith::SubIOp::create(v.b, v.loc, len, v.idx(1));
}

Value AttentionItem::cached() { return fresh() ? newest() : len; }

SmallVector<Value> AttentionItem::scoreNewest(ValueRange mx) {
  rotateKey();
  Value last = newest();
  return scoreRows(last, 1, mx, [&](int64_t, Value k) {
    return v.vload(newKeys, {v.idx(0), add(kvBase, k)});
  });
}

void AttentionItem::storeNewKey() {
  Value last = newest();
  v.forEachVec(s.headDim, [&](Value d) {
    Value col = add(kvBase, d);
    v.vstore(v.vload(newKeys, {v.idx(0), col}), kc, at(last, col));
  });
}

void AttentionItem::storeNewValue(int64_t first, int64_t lanes) {
  Value last = newest();
  for (int64_t d = first; d < first + lanes; d += kLanes)
    v.vstore(v.vload(newValue, {v.idx(0), add(kvBase, v.idx(d))}), vc,
             valueAt(last, d));
}

int64_t AttentionItem::positionsPerStep() const {
  return std::min(kScorePositions, std::max<int64_t>(1, kChains / g));
}

void AttentionItem::storeScores(Value j0, int64_t n) {
  scorePositions(j0, n, {});
}

SmallVector<Value> AttentionItem::scoreRange(Value lo, Value hi) {
  OpBuilder &b = v.b;
  auto positions = [&](Value from, Value to, int64_t n, ValueRange init) {
    auto loop = scf::ForOp::create(b, v.loc, from, to, v.idx(n), init);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    scf::YieldOp::create(
        b, v.loc,
        scorePositions(loop.getInductionVar(), n, loop.getRegionIterArgs()));
    return SmallVector<Value>(loop.getResults());
  };
  // `per` positions per loop iteration, then the rest one by one.
  const int64_t per = positionsPerStep();
  Value count = arith::SubIOp::create(b, v.loc, hi, lo);
  Value mainEnd = arith::SubIOp::create(
      b, v.loc, hi, arith::RemUIOp::create(b, v.loc, count, v.idx(per)));
  SmallVector<Value> mx =
      positions(lo, mainEnd, per, SmallVector<Value>(g, v.f32(-INFINITY)));
  return positions(mainEnd, hi, 1, mx);
}

Value AttentionItem::maxScore(int64_t i) {
  OpBuilder &b = v.b;
  Value row = add(scoreRow, v.idx(i));
  Value full = arith::SubIOp::create(
      b, v.loc, len, arith::RemUIOp::create(b, v.loc, len, v.idx(kScoreLanes)));
  Value lanes = v.reduce(
      v.idx(0), full, kScoreLanes,
      v.vsplat(v.f32(-INFINITY), kScoreLanes), [&](Value j, Value acc) {
        return arith::MaxNumFOp::create(
            b, v.loc, acc, v.vload(scores, {row, j}, kScoreLanes));
      });
  Value m = vector::ReductionOp::create(b, v.loc, vector::CombiningKind::MAXNUMF,
                                        lanes);
  return v.reduce(full, len, 1, m, [&](Value j, Value acc) {
    return arith::MaxNumFOp::create(b, v.loc, acc, score(i, j));
  });
}

void AttentionItem::softmax(int64_t i, Value maxScore) {
  OpBuilder &b = v.b;
  Value sum = v.reduce(v.idx(0), len, 1, v.f32(0.0f), [&](Value j, Value acc) {
    Value e = math::ExpOp::create(
        b, v.loc, arith::SubFOp::create(b, v.loc, score(i, j), maxScore));
    setScore(i, j, e);
    return arith::AddFOp::create(b, v.loc, acc, e);
  });
  // The divisions are exact per lane (IEEE), so they go 16 at a time.
  Value row = add(scoreRow, v.idx(i));
  Value full = arith::SubIOp::create(
      b, v.loc, len, arith::RemUIOp::create(b, v.loc, len, v.idx(kScoreLanes)));
  Value sums = v.vsplat(sum, kScoreLanes);
  v.forEach(v.idx(0), full, kScoreLanes, [&](Value j) {
    v.vstore(arith::DivFOp::create(b, v.loc,
                                   v.vload(scores, {row, j}, kScoreLanes),
                                   sums),
             scores, {row, j});
  });
  v.forEach(full, len, 1, [&](Value j) {
    setScore(i, j, arith::DivFOp::create(b, v.loc, score(i, j), sum));
  });
}

namespace {
/// Output lanes per group: 16 where the head allows, 8 otherwise; each
/// lane is its own sum, so the width changes no result.
int64_t laneWidth(const AttentionShape &s) {
  return s.headDim % (2 * kLanes) == 0 ? 2 * kLanes : kLanes;
}
} // namespace

int64_t mlir::tern::outputPassesOf(const AttentionShape &s, int64_t g) {
  const int64_t perPass = std::max<int64_t>(1, kChains / g);
  const int64_t groups = s.headDim / laneWidth(s);
  return (groups + perPass - 1) / perPass;
}

void AttentionItem::outputPass(int64_t p, bool storeNew) {
  OpBuilder &b = v.b;
  const int64_t hd = s.headDim, width = laneWidth(s);
  const int64_t perPass = std::max<int64_t>(1, kChains / g);
  const int64_t first = p * perPass * width;
  const int64_t n = std::min(perPass, (hd - first) / width);
  // Each sum adds w_j v_j in order of j: the cached rows, then (fresh)
  // the new row.
  auto accumulate = [&](Value j, ValueRange sums, ArrayRef<Value> vals) {
    SmallVector<Value> next;
    for (int64_t i = 0; i < g; ++i) {
      Value w = v.vsplat(score(i, j), width);
      for (int64_t c = 0; c < n; ++c)
        next.push_back(arith::AddFOp::create(
            b, v.loc, sums[i * n + c],
            arith::MulFOp::create(b, v.loc, w, vals[c])));
    }
    return next;
  };
  auto loop = scf::ForOp::create(
      b, v.loc, v.idx(0), cached(), v.idx(1),
      SmallVector<Value>(g * n, v.vzero(b.getF32Type(), width)));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value j = loop.getInductionVar();
    prefetchRow(vc, j, first, n * width,
                [&](Value row, int64_t d) { return valueAt(row, d); });
    SmallVector<Value> vals;
    for (int64_t c = 0; c < n; ++c)
      vals.push_back(v.vload(vc, valueAt(j, first + c * width), width));
    scf::YieldOp::create(b, v.loc,
                         accumulate(j, loop.getRegionIterArgs(), vals));
  }
  SmallVector<Value> sums(loop.getResults());
  if (fresh()) {
    SmallVector<Value> vals;
    for (int64_t c = 0; c < n; ++c)
      vals.push_back(v.vload(
          newValue, {v.idx(0), add(kvBase, v.idx(first + c * width))}, width));
    sums = accumulate(newest(), sums, vals);
    if (storeNew)
      storeNewValue(first, n * width);
  }
  for (int64_t i = 0; i < g; ++i)
    for (int64_t c = 0; c < n; ++c)
      v.vstore(sums[i * n + c], att,
               {r, add(qBase[i], v.idx(first + c * width))});
}
