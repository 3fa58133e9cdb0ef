//===- AttentionItem.h - One attention item as vector code -----*- C++ -*-===//
//
// The pieces both forms of the attention lowering build from: the scores of
// a range of positions for G query heads that share a kv head, a head's
// softmax, and the output lanes as in-order sums over the positions. Every
// sum adds in the reference's order (runtime/ternary's attendHead);
// independent sums (heads, positions, lane groups) run side by side as
// separate chains.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_CONVERSION_NETWORKTOVECTOR_ATTENTIONITEM_H
#define TERN_COMPILER_CONVERSION_NETWORKTOVECTOR_ATTENTIONITEM_H

#include "compiler/Conversion/NetworkToVector/VectorBuilder.h"

#include "llvm/ADT/SmallVector.h"

#include <functional>
#include <string>

namespace mlir::tern {

/// Chains of additions the loops keep in flight: each score and each
/// output lane still adds in the reference's order, but independent sums
/// go side by side so that the loops run at the adder's throughput rather
/// than its latency. At most kScorePositions positions and kChains
/// (head, position) scores per iteration; at most kChains (head, lane
/// group) output sums per pass over the positions.
constexpr int64_t kScorePositions = 4;
constexpr int64_t kChains = 8;

struct AttentionShape {
  int64_t rows, heads, kvHeads, headDim, context;
  /// tern.batch_attention: rank-4 caches, a position and a slot per row.
  bool batch = false;
  /// The ops' value_panel: lanes per panel of the value cache; 0 for
  /// whole rows.
  int64_t valuePanel = 0;
  /// Query heads that share a kv head.
  int64_t group() const { return heads / kvHeads; }
};

/// "_p<P>" for a value panel of P lanes, "" for whole rows: the functions'
/// names tell the layouts apart.
std::string panelSuffix(const AttentionShape &s);

/// The value cache `vc` as the lowering indexes it: itself where its rows
/// are whole, else the view [(slots,) layers, kv heads, D / P, context, P]
/// of the same buffer.
Value valueCacheView(VectorBuilder &v, const AttentionShape &s, Value vc);
/// The indices into valueCacheView of lane `d` (0 <= d < D) of kv head
/// `kvh` at position `j` of `layer` (and `slot`, batched).
SmallVector<Value> valueIndices(VectorBuilder &v, const AttentionShape &s,
                                Value slot, Value layer, Value j, Value kvh,
                                Value d);

/// Output passes over the positions for items of `g` query heads: each
/// covers kChains / g groups of lanes of every head (fewer in the last).
int64_t outputPassesOf(const AttentionShape &s, int64_t g);

/// One item of an attention function, stage by stage: the scores of G
/// query heads that share a kv head, their softmax, their output. The
/// scores live in rows [scoreRow, scoreRow + G) of `scores` ([*, context]):
/// the scores, then the exponentials, then the weights.
struct AttentionItem {
  AttentionItem(VectorBuilder &v, const AttentionShape &s, int64_t g)
      : v(v), s(s), g(g) {}

  VectorBuilder &v;
  const AttentionShape &s;
  /// G: the query heads of the item.
  int64_t g;
  /// The query rows, key cache, value cache (valueCacheView), output rows,
  /// scores buffer, cache layer.
  Value q, kc, vc, att, scores, layer;
  /// The row, the positions attended ([0, len)), the batch slot, the kv
  /// head, its first key cache column, the first score row.
  Value r, len, slot, kvHead, kvBase, scoreRow;
  /// Each head's first query (and output) column.
  SmallVector<Value> qBase;
  /// Positions ahead whose key rows (scores) or value rows (output) are
  /// prefetched into L2, the cache lines the item reads of them; 0: none.
  int64_t prefetchAhead = 0;

  /// The op's rope tables (decode): the new key and value rows before they
  /// are in the caches ([1, kv heads x D] each; the key not yet rotated)
  /// and the tables ([1, D / 2]), as far as the item's stage reads them.
  /// Then the newest position, len - 1, is scored against `newKeys`
  /// (rotateKey's copy) and its value read from `newValue`; the cache rows
  /// read are [0, len - 1). Null otherwise.
  Value newKey, newValue, cos, sin;
  /// Rotated copies, each the item's own: query heads at their columns of
  /// [1, heads x D], new keys at theirs of [1, kv heads x D].
  Value newKeys;
  bool fresh() const { return newKey || newValue; }
  /// Rotates the head of D values at column `base` of row 0 of `from`
  /// into the same columns of `to`: tern.rope's arithmetic
  /// (mlir::tern::rotateHead, RopeLowering.cpp).
  void rotateHead(Value from, Value to, Value base);
  /// The item's kv head's new key, rotated into `newKeys`.
  void rotateKey();
  /// The newest position, len - 1.
  Value newest();
  /// The positions read from the caches: newest() where fresh, else len.
  Value cached();
  /// fresh: the newest position's scores (rotateKey first) for every head
  /// (stored), the maxima `mx` (none where empty) updated.
  SmallVector<Value> scoreNewest(ValueRange mx);
  /// fresh: stores the item's kv head's rotated new key as position len - 1
  /// of the key cache.
  void storeNewKey();
  /// fresh: stores lanes [first, first + lanes) of the item's kv head's new
  /// value row as position len - 1 of the value cache.
  void storeNewValue(int64_t first, int64_t lanes);

  Value add(Value x, Value y);

  /// Scores of positions [lo, hi) for every head (stored); returns each
  /// head's maximum over them.
  SmallVector<Value> scoreRange(Value lo, Value hi);
  /// Positions whose scores one step computes side by side.
  int64_t positionsPerStep() const;
  /// Stores the scores of positions [j0, j0 + n) (n <= positionsPerStep())
  /// for every head.
  void storeScores(Value j0, int64_t n);
  /// Head i's maximum over the stored scores of [0, len) (any order: the
  /// maximum is exact).
  Value maxScore(int64_t i);
  /// Head i: the exponentials e_j = exp(s_j - maxScore) and their sum in
  /// order of position, then the weights w_j = e_j / sum.
  void softmax(int64_t i, Value maxScore);
  /// outputPassesOf(s, g).
  int64_t outputPasses() const { return outputPassesOf(s, g); }
  /// Pass p of the output: each lane the in-order sum over positions of
  /// w_j v_j, each value row loaded once for the G heads. `storeNew`
  /// (fresh): the pass's lanes of the new value row then go into the cache.
  void outputPass(int64_t p, bool storeNew = false);

private:
  Value score(int64_t i, Value j);
  void setScore(int64_t i, Value j, Value x);
  SmallVector<Value> at(Value j, Value d);
  SmallVector<Value> valueAt(Value j, int64_t d);
  void prefetchRow(Value cache, Value j, int64_t first, int64_t lanes,
                   const std::function<SmallVector<Value>(Value, int64_t)> &at);
  SmallVector<Value> scorePositions(Value j0, int64_t n, ValueRange mx);
  SmallVector<Value>
  scoreRows(Value j0, int64_t n, ValueRange mx,
            const std::function<Value(int64_t, Value)> &loadKey);
};

/// Decode attention (one row, not batched) in three tern.parallel ranges
/// (StagedAttention.cpp), writing `att` [1, heads x headDim]: the scores
/// of blocks of positions for each kv head's query heads, the softmax of
/// each head, the output lanes of each kv head's query heads in groups.
/// `args` is {pos, layer} for the ranges, `len` the positions attended
/// (pos + 1); `op` names the functions' place.
/// `rope` (the op's rope tables): {new key, new value, cos, sin} as
/// AttentionItem's fields; empty without them.
void callStagedAttention(OpBuilder &b, Operation *op, const AttentionShape &s,
                         Value q, Value kc, Value vc, Value args, Value len,
                         Value att, ValueRange rope);

} // namespace mlir::tern

#endif // TERN_COMPILER_CONVERSION_NETWORKTOVECTOR_ATTENTIONITEM_H
