//===- LaneSkeleton.cpp - Kernels with one output column per i32 lane -----===//
//
// The lane skeleton reads i2x16 (compiler/Packings/Kinds/I2X16.cpp): lane
// l of a 64-byte chunk of a 16-row group holds 4 consecutive weights of
// row l at each of 4 bit positions. Per chunk and position j, the
// position's codes (t + 1, 0..2) multiply the 4 activations
// a[row, 16c + 4j .. 16c + 4j + 3] broadcast to every lane, accumulating
// into a vector whose i32 lanes are the group's output columns: a tile's
// results need no lane sums and are stored as whole vectors. 512-bit
// vectors hold a chunk's 16 columns; 256-bit vectors take a chunk in two
// halves of 8 columns each (rows 0-7, rows 8-15), both multiplied by the
// same broadcast activations. The multiply-add skeleton (Skeleton.cpp)
// instead reduces 16 lanes per dot product after its loop (with the
// tile's set-up, 14 % of the samples of vnni512's 64 x 13824 x 2560
// prefill kernel; docs/performance-log.md, 2026-12-05 entry 7).
//
// Tiles of tile.m activation rows x tile.n groups loop over the chunks;
// each chunk's codes are decoded once per tile (shifted down and masked)
// and each broadcast activation feeds tile.n multiply-adds. One-row tiles
// (decode) mask each position in place instead (the code times 2^shift,
// one instruction), into two accumulator chains per position and group
// that take alternate chunks, added and shifted right once after the
// loop. The activation row's sum is subtracted at the end, as the codes
// are t + 1.
//
//===----------------------------------------------------------------------===//

#include "compiler/Kernels/Skeleton.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

namespace {

constexpr int64_t kGroupRows = 16;
constexpr int64_t kPositions = 4;
/// Bytes of one chunk of a group: 4 bytes of each of its 16 rows.
constexpr int64_t kChunkBytes = 4 * kGroupRows;

/// Builds one lane kernel body, stage by stage: the row sums of a row tile
/// (prologue), one tile of rows x groups (accumulate: the loop over the
/// chunks; store: the epilogue), and the tile loops around them.
class LaneSkeleton : BodyBuilder {
public:
  LaneSkeleton(func::FuncOp fn, const KernelChoice &choice, int64_t vecBytes,
               AccumulateFn accumulate);
  void define();

private:
  /// a[row, at .. at + 3] in every 32-bit lane, as bytes.
  Value broadcastQuad(Value row, Value at);
  /// Position j's codes of `bytes`: shifted down and masked (0..2), or,
  /// `inPlace`, masked where they lie (the code times 2^shift).
  Value codes(Value bytes, int64_t j, bool inPlace);
  /// Whether one-row tiles mask in place: each lane's sums of codes times
  /// 2^6 must stay in i32 over K / 16 chunks.
  bool inPlaceFits() const;
  /// Prefetches the weight byte `tb.prefetch` ahead of `byte` in the group
  /// at `base` or, past its end, in the group nGroups on (the tile's
  /// stream after this one), at most the last chunk.
  void prefetch(Value base, Value byte, int64_t nGroups);
  /// How a tile's loop runs: codes masked in place (one row), chunks per
  /// iteration, and accumulator chains per position taking alternate
  /// chunks (one row: each multiply-add then waits on the one two chunks
  /// back, not one).
  struct Plan {
    bool inPlace = false;
    int64_t unroll = 1, chains = 1;
    /// Accumulators per (row, vector of columns).
    int64_t perVector() const { return inPlace ? kPositions * chains : 1; }
  };
  Plan planFor(size_t rows) const;
  /// The accumulators of rows x groups g0 .. g0 + nGroups - 1 after the
  /// loop over the chunks: per (row, vector), or per (vector, position,
  /// chain) for one row masked in place, where a group's vectors are its
  /// chunks' `halves`.
  SmallVector<Value> accumulate(ArrayRef<Value> rows, Value g0,
                                int64_t nGroups, const Plan &plan);
  /// out[rows, 16 g .. 16 g + 15] for those groups.
  void emitTile(ArrayRef<Value> rows, Value g0, int64_t nGroups);

  func::FuncOp fn;
  KernelChoice choice;
  int64_t vecBytes;
  AccumulateFn accumulateFn;
  MultiplyAdd sums; ///< the activation row sums (offsetCodesMultiplyAdd)
  TileBuilder tb;
  VectorType bytesType, accType;
  Value wFlat, out;
  int64_t groupBytes = 0, groups = 0;
  /// Vectors per chunk: 1 (512-bit vectors) or 2 (256-bit).
  int64_t halves = 1;
  SmallVector<Value> rowSums; ///< of the current row tile
};

LaneSkeleton::LaneSkeleton(func::FuncOp fn, const KernelChoice &choice,
                           int64_t vecBytes, AccumulateFn accumulate)
    : BodyBuilder(fn), fn(fn), choice(choice),
      vecBytes(vecBytes), accumulateFn(accumulate),
      sums(offsetCodesMultiplyAdd(vecBytes, accumulate)),
      tb{b,
         loc,
         Value(),
         Value(),
         0,
         0,
         choice.layout,
         choice.prefetch,
         choice.locality,
         /*heldRow=*/Value(),
         /*heldActs=*/llvm::DenseMap<int64_t, Value>()} {
  bytesType = VectorType::get({vecBytes}, b.getI8Type());
  accType = VectorType::get({vecBytes / 4}, b.getI32Type());
  halves = kChunkBytes / vecBytes;
}

Value LaneSkeleton::broadcastQuad(Value row, Value at) {
  auto quad = VectorType::get({4}, b.getI8Type());
  auto one = VectorType::get({1}, b.getI32Type());
  Value q = vector::LoadOp::create(b, loc, quad, tb.a, ValueRange{row, at});
  Value word = vector::ExtractOp::create(
      b, loc, vector::BitCastOp::create(b, loc, one, q), ArrayRef<int64_t>{0});
  return vector::BitCastOp::create(
      b, loc, bytesType, vector::BroadcastOp::create(b, loc, accType, word));
}

Value LaneSkeleton::codes(Value bytes, int64_t j, bool inPlace) {
  const int64_t shift = choice.layout.packing->fieldShift(j);
  if (inPlace)
    return arith::AndIOp::create(
        b, loc, bytes, splat(bytesType, static_cast<int8_t>(3 << shift)));
  Value down = shift ? Value(arith::ShRUIOp::create(b, loc, bytes,
                                                    splat(bytesType, shift)))
                     : bytes;
  // The top position needs no mask: its byte shifted down is the code.
  return shift == 6 ? down
                    : Value(arith::AndIOp::create(b, loc, down,
                                                  splat(bytesType, 3)));
}

bool LaneSkeleton::inPlaceFits() const {
  // One step per chunk of 16 weights of a lane's row.
  return maskedFieldSumsFit(tb.k / 16 + 1);
}

void LaneSkeleton::prefetch(Value base, Value byte, int64_t nGroups) {
  Value ahead = add(byte, idx(tb.prefetch));
  Value past = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, ahead,
                                     idx(groupBytes));
  Value at = add(add(base, ahead),
                 arith::SelectOp::create(b, loc, past,
                                         idx((nGroups - 1) * groupBytes),
                                         idx(0)));
  at = arith::MinUIOp::create(b, loc, at,
                              idx(groups * groupBytes - kChunkBytes));
  memref::PrefetchOp::create(b, loc, wFlat, ValueRange{at}, /*isWrite=*/false,
                             tb.locality, /*isDataCache=*/true);
}

LaneSkeleton::Plan LaneSkeleton::planFor(size_t rows) const {
  Plan p;
  if (rows != 1)
    return p;
  p.inPlace = inPlaceFits();
  // A one-row tile: up to 4 chunks per iteration, fewer loop steps beside
  // its few multiply-adds.
  for (int64_t u : {4, 2})
    if ((tb.k / 16) % u == 0) {
      p.unroll = u;
      break;
    }
  // Two chains per position where a chunk is one vector (8 accumulators a
  // group); 256-bit vectors already keep 8 (two halves x 4 positions),
  // within the 16 registers of CPUs without AVX-512.
  p.chains = p.inPlace && p.unroll % 2 == 0 && halves == 1 ? 2 : 1;
  return p;
}

SmallVector<Value> LaneSkeleton::accumulate(ArrayRef<Value> rows, Value g0,
                                            int64_t nGroups, const Plan &plan) {
  const bool inPlace = plan.inPlace;
  const int64_t perVector = plan.perVector(), unroll = plan.unroll;
  const int64_t nVectors = nGroups * halves;
  // acc[(i * nVectors + v) * perVector + j + kPositions * chain], vector
  // v = g * halves + h.
  SmallVector<Value> acc(rows.size() * nVectors * perVector,
                         splat(accType, 0));
  SmallVector<Value> base;
  for (int64_t g = 0; g < nGroups; ++g)
    base.push_back(mul(g ? add(g0, idx(g)) : g0, idx(groupBytes)));
  const int64_t chunks = tb.k / 16;
  auto loop = scf::ForOp::create(b, loc, idx(0), idx(chunks), idx(unroll),
                                 acc);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  SmallVector<Value> carried(loop.getRegionIterArgs());
  for (int64_t u = 0; u < unroll; ++u) {
    Value chunk = u ? add(loop.getInductionVar(), idx(u))
                    : loop.getInductionVar();
    Value byte = mul(chunk, idx(kChunkBytes));
    Value first = mul(chunk, idx(16));
    SmallVector<Value> bytes;
    for (int64_t g = 0; g < nGroups; ++g) {
      for (int64_t h = 0; h < halves; ++h)
        bytes.push_back(vector::LoadOp::create(
            b, loc, bytesType, wFlat,
            ValueRange{add(base[g], h ? add(byte, idx(h * vecBytes)) : byte)}));
      // One prefetch per chunk: a cache line.
      if (tb.prefetch > 0)
        prefetch(base[g], byte, nGroups);
    }
    for (int64_t j = 0; j < kPositions; ++j) {
      SmallVector<Value> c;
      for (Value v : bytes)
        c.push_back(codes(v, j, inPlace));
      Value at = add(first, idx(4 * j));
      for (size_t i = 0; i < rows.size(); ++i) {
        Value x = broadcastQuad(rows[i], at);
        for (int64_t v = 0; v < nVectors; ++v) {
          Value &a = carried[(i * nVectors + v) * perVector +
                             (inPlace ? j + kPositions * (u % plan.chains)
                                      : 0)];
          a = accumulateFn(tb, a, {{c[v], x}});
        }
      }
    }
  }
  scf::YieldOp::create(b, loc, carried);
  return SmallVector<Value>(loop.getResults());
}

void LaneSkeleton::emitTile(ArrayRef<Value> rows, Value g0, int64_t nGroups) {
  const Plan plan = planFor(rows.size());
  SmallVector<Value> acc = accumulate(rows, g0, nGroups, plan);
  const int64_t perVector = plan.perVector();
  const int64_t nVectors = nGroups * halves;
  for (size_t i = 0; i < rows.size(); ++i)
    for (int64_t v = 0; v < nVectors; ++v) {
      // Each position's chains added, then shifted back once.
      Value sum;
      for (int64_t j = 0; j < std::min(perVector, kPositions); ++j) {
        Value a = acc[(i * nVectors + v) * perVector + j];
        for (int64_t c = 1; c < plan.chains; ++c)
          a = add(a, acc[(i * nVectors + v) * perVector + j + kPositions * c]);
        const int64_t shift =
            plan.inPlace ? choice.layout.packing->fieldShift(j) : 0;
        if (shift)
          a = arith::ShRSIOp::create(b, loc, a, splat(accType, shift));
        sum = sum ? Value(add(sum, a)) : a;
      }
      sum = arith::SubIOp::create(
          b, loc, sum, vector::BroadcastOp::create(b, loc, accType, rowSums[i]));
      const int64_t g = v / halves, h = v % halves;
      Value col = mul(g ? add(g0, idx(g)) : g0, idx(kGroupRows));
      if (h)
        col = add(col, idx(h * (vecBytes / 4)));
      vector::StoreOp::create(b, loc, sum, out, ValueRange{rows[i], col});
    }
}

void LaneSkeleton::define() {
  auto aType = cast<MemRefType>(fn.getArgumentTypes()[0]);
  auto wType = cast<MemRefType>(fn.getArgumentTypes()[1]);
  fn.setPrivate();
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  tb.a = entry->getArgument(0);
  tb.w = entry->getArgument(1);
  tb.m = aType.getDimSize(0);
  tb.k = aType.getDimSize(1);
  out = entry->getArgument(2);
  groupBytes = kGroupRows * wType.getDimSize(1);
  groups = wType.getDimSize(0) / kGroupRows;
  // The groups lie one after another: one flat byte stream.
  wFlat = memref::CollapseShapeOp::create(
      b, loc, tb.w, SmallVector<ReassociationIndices>{{0, 1}});
  emitTileLoops(
      b, loc, tb.m, choice.tile, entry->getArgument(3), entry->getArgument(4),
      [&](ArrayRef<Value> rows) {
        rowSums.clear();
        for (Value row : rows)
          rowSums.push_back(sums.rowSum(tb, row));
      },
      [&](ArrayRef<Value> rows, Value g0, int64_t count) {
        emitTile(rows, g0, count);
      });
  func::ReturnOp::create(b, loc);
}

} // namespace

void mlir::tern::kernels::setLaneLayout(KernelFamily &f) {
  f.reads = [](const Layout &l, int64_t k) {
    return l.packing == &i2x16Packing() && l.check(k).empty() &&
           k % 64 == 0;
  };
  f.preferredBlock = [](int64_t k) { return k; };
  f.preferredPacking = &i2x16Packing();
  f.prefetches = true;
  f.prefetchesPrefill = true;
}

void mlir::tern::kernels::defineLaneKernel(func::FuncOp fn,
                                           const KernelChoice &choice,
                                           int64_t vecBytes,
                                           AccumulateFn accumulate) {
  LaneSkeleton(fn, choice, vecBytes, std::move(accumulate)).define();
}
