//===- LutSkeleton.cpp - The lookup-table skeleton of ternary matmul kernels ===//
//
// The lut families (T-MAC / bitnet.cpp TL1 style) read the lut2i layout:
// each pair of weights is a 4-bit index (3(w0+1) + (w1+1)), interleaved so
// that 16 consecutive bytes hold one pair of 32 output rows (low nibbles:
// rows 0..15, high nibbles: rows 16..31).
//
// Per activation row the kernel first builds a table: for every pair p of
// activations (a0, a1) = (a[2p], a[2p+1]) the 9 partial sums
// (i/3 - 1) a0 + (i%3 - 1) a1, i = 0..8, as 16-bit values split into a
// 16-byte table of low bytes and one of high bytes. A byte shuffle
// (vpshufb, NEON tbl) then looks up the partial sums of 16 rows at once;
// interleaving the low and high bytes gives 16-bit values, summed in 16-bit
// accumulators for at most 32 pairs per lane (32 x 254 < 2^15) and then
// widened to 32 bits. Exact; no multiplies in the inner loop.
//
// A vector of V bytes covers V/16 consecutive pairs (one per 16-byte lane,
// as vpshufb works within lanes), so the tables are stored per step of V/16
// pairs: their V low-byte bytes, then their V high-byte bytes.
//
// Tiles: tile_m activation rows share each weight load (one table each),
// tile_n groups of 32 rows share each table load.
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

/// The largest divisor of `steps` that is at most `limit`.
int64_t chunkFor(int64_t steps, int64_t limit) {
  for (int64_t c = std::min(steps, limit); c > 1; --c)
    if (steps % c == 0)
      return c;
  return 1;
}

/// Builds one lookup-table kernel body, stage by stage: the tables of a
/// row tile (buildTable), one tile of rows x groups (emitTile: the
/// accumulation loop, then the stores), and the tile loops around them.
class LutSkeleton : BodyBuilder {
public:
  LutSkeleton(func::FuncOp fn, const KernelChoice &choice, int64_t vecBytes,
              StringRef shuffle);
  void define();

private:
  Value constVector(VectorType t, ArrayRef<int64_t> values);
  Value lookup(Value table, Value indices) {
    return callIntrinsic(b, loc, table.getType(), shuffle, {table, indices});
  }

  /// The table of activation row `row` into tables[slot].
  void buildTable(Value row, int64_t slot);
  /// The accumulators of rows x groups g0 .. g0 + nGroups - 1 (the rows'
  /// tables in slots 0 .. rows.size() - 1): 4 per (row, group), each 8
  /// rows of the group.
  scf::ForOp accumulate(int64_t nRows, Value g0, int64_t nGroups);
  /// out[rows, 32 g .. 32 g + 31] for those groups.
  void emitTile(ArrayRef<Value> rows, Value g0, int64_t nGroups);

  func::FuncOp fn;
  KernelChoice choice;
  int64_t vecBytes;
  StringRef shuffle;
  Value a, w, out, begin, end, wFlat, tables;
  int64_t m = 0, k = 0, lanes = 0, steps = 0, chunk = 0, groupBytes = 0,
          tileM = 0;
  VectorType bytesType, acc16Type, acc32Type, v16i16, v16i8;
  SmallVector<int64_t> maskLo, maskHi;
};

LutSkeleton::LutSkeleton(func::FuncOp fn, const KernelChoice &choice,
                         int64_t vecBytes, StringRef shuffle)
    : BodyBuilder(fn), fn(fn), choice(choice), vecBytes(vecBytes),
      shuffle(shuffle) {}

Value LutSkeleton::constVector(VectorType t, ArrayRef<int64_t> values) {
  SmallVector<Attribute> attrs;
  for (int64_t v : values)
    attrs.push_back(b.getIntegerAttr(t.getElementType(), v));
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(t, attrs));
}

void LutSkeleton::buildTable(Value row, int64_t slot) {
  // Index weights of the table entries: entry i = c0[i] a0 + c1[i] a1.
  SmallVector<int64_t> c0(16, 0), c1(16, 0);
  for (int64_t i = 0; i < 9; ++i)
    c0[i] = i / 3 - 1, c1[i] = i % 3 - 1;
  Value cw0 = constVector(v16i16, c0), cw1 = constVector(v16i16, c1);
  Type i16 = b.getI16Type();
  auto loop = scf::ForOp::create(b, loc, idx(0), idx(steps), idx(1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value s = loop.getInductionVar();
  Value slotIdx = idx(slot);
  for (int64_t l = 0; l < lanes; ++l) {
    Value p = add(mul(s, idx(lanes)), idx(l));
    Value col = mul(p, idx(2));
    auto act = [&](Value c) -> Value {
      Value x = memref::LoadOp::create(b, loc, a, ValueRange{row, c});
      Value x16 = arith::ExtSIOp::create(b, loc, i16, x);
      return vector::BroadcastOp::create(b, loc, v16i16, x16);
    };
    Value t = add(mul(act(col), cw0), mul(act(add(col, idx(1))), cw1));
    Value lo = arith::TruncIOp::create(b, loc, v16i8, t);
    Value hi = arith::TruncIOp::create(
        b, loc, v16i8, arith::ShRSIOp::create(b, loc, t, splat(v16i16, 8)));
    Value at = add(mul(s, idx(2 * vecBytes)), idx(16 * l));
    vector::StoreOp::create(b, loc, lo, tables, ValueRange{slotIdx, at});
    vector::StoreOp::create(b, loc, hi, tables,
                            ValueRange{slotIdx, add(at, idx(vecBytes))});
  }
}

scf::ForOp LutSkeleton::accumulate(int64_t nRows, Value g0, int64_t nGroups) {
  SmallVector<Value> bases;
  for (int64_t gi = 0; gi < nGroups; ++gi)
    bases.push_back(mul(add(g0, idx(gi)), idx(groupBytes)));
  auto at = [&](int64_t i, int64_t gi, int64_t q) {
    return (i * nGroups + gi) * 4 + q;
  };
  const int64_t nAcc = nRows * nGroups * 4;
  SmallVector<Value> init(nAcc, splat(acc32Type, 0));
  auto loop =
      scf::ForOp::create(b, loc, idx(0), idx(steps / chunk), idx(1), init);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value firstStep = mul(loop.getInductionVar(), idx(chunk));
  SmallVector<Value> acc16(nAcc, splat(acc16Type, 0));
  for (int64_t u = 0; u < chunk; ++u) {
    Value s = add(firstStep, idx(u));
    SmallVector<std::pair<Value, Value>> indices; // per group: low, high
    for (int64_t gi = 0; gi < nGroups; ++gi) {
      Value bytes = vector::LoadOp::create(
          b, loc, bytesType, wFlat,
          ValueRange{add(bases[gi], mul(s, idx(vecBytes)))});
      indices.push_back(
          {arith::AndIOp::create(b, loc, bytes, splat(bytesType, 15)),
           arith::ShRUIOp::create(b, loc, bytes, splat(bytesType, 4))});
    }
    Value tableAt = mul(s, idx(2 * vecBytes));
    for (int64_t i = 0; i < nRows; ++i) {
      Value slot = idx(i);
      Value tLo = vector::LoadOp::create(b, loc, bytesType, tables,
                                         ValueRange{slot, tableAt});
      Value tHi = vector::LoadOp::create(
          b, loc, bytesType, tables,
          ValueRange{slot, add(tableAt, idx(vecBytes))});
      for (int64_t gi = 0; gi < nGroups; ++gi)
        for (int half = 0; half < 2; ++half) {
          Value ix = half ? indices[gi].second : indices[gi].first;
          Value lo = lookup(tLo, ix), hi = lookup(tHi, ix);
          for (int part = 0; part < 2; ++part) {
            Value v = vector::ShuffleOp::create(b, loc, lo, hi,
                                                part ? maskHi : maskLo);
            v = vector::BitCastOp::create(b, loc, acc16Type, v);
            Value &acc = acc16[at(i, gi, 2 * half + part)];
            acc = add(acc, v);
          }
        }
    }
  }
  SmallVector<Value> next;
  for (int64_t j = 0; j < nAcc; ++j)
    next.push_back(add(loop.getRegionIterArgs()[j],
                       arith::ExtSIOp::create(b, loc, acc32Type, acc16[j])));
  scf::YieldOp::create(b, loc, next);
  return loop;
}

void LutSkeleton::emitTile(ArrayRef<Value> rows, Value g0, int64_t nGroups) {
  const int64_t nRows = rows.size();
  scf::ForOp loop = accumulate(nRows, g0, nGroups);
  // Lane l of a quarter's accumulator holds its 8 rows for pairs
  // l (mod lanes): sum the lanes, store 8 outputs.
  for (int64_t i = 0; i < nRows; ++i)
    for (int64_t gi = 0; gi < nGroups; ++gi)
      for (int64_t q = 0; q < 4; ++q) {
        Value acc = loop.getResult((i * nGroups + gi) * 4 + q);
        Value sum;
        for (int64_t ln = 0; ln < lanes; ++ln) {
          SmallVector<int64_t> lane;
          for (int64_t j = 0; j < 8; ++j)
            lane.push_back(ln * 8 + j);
          Value part = vector::ShuffleOp::create(b, loc, acc, acc, lane);
          sum = sum ? add(sum, part) : part;
        }
        Value col = add(mul(add(g0, idx(gi)), idx(32)), idx(8 * q));
        vector::StoreOp::create(b, loc, sum, out, ValueRange{rows[i], col});
      }
}

void LutSkeleton::define() {
  auto aType = cast<MemRefType>(fn.getArgumentTypes()[0]);
  fn.setPrivate();
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Type i8 = b.getI8Type(), i16 = b.getI16Type(), i32 = b.getI32Type();
  a = entry->getArgument(0), w = entry->getArgument(1);
  out = entry->getArgument(2), begin = entry->getArgument(3);
  end = entry->getArgument(4);
  m = aType.getDimSize(0), k = aType.getDimSize(1);
  lanes = vecBytes / 16;           // pairs per step
  steps = k / (2 * lanes);         // steps per row
  chunk = chunkFor(steps, 32);     // steps per 16-bit accumulation
  groupBytes = 8 * k;              // 32 rows x k/4 bytes
  const int64_t tableBytes = 16 * k; // k/2 pairs x 32 bytes
  tileM = std::min(choice.tile.m, m);
  bytesType = VectorType::get({vecBytes}, i8);
  acc16Type = VectorType::get({vecBytes / 2}, i16);
  acc32Type = VectorType::get({vecBytes / 2}, i32);
  v16i16 = VectorType::get({16}, i16);
  v16i8 = VectorType::get({16}, i8);
  // Interleaving the low and high bytes of each 16-byte lane's first
  // (second) 8 entries gives the 16-bit values of rows 0..7 (8..15) of
  // that lane.
  for (int64_t ln = 0; ln < lanes; ++ln)
    for (int64_t j = 0; j < 8; ++j) {
      maskLo.append({ln * 16 + j, vecBytes + ln * 16 + j});
      maskHi.append({ln * 16 + 8 + j, vecBytes + ln * 16 + 8 + j});
    }

  // The weights as one run of bytes (groups span 32 rows of the view).
  auto wType = cast<MemRefType>(w.getType());
  const int64_t wBytes = wType.getDimSize(0) * wType.getDimSize(1);
  wFlat = memref::ReinterpretCastOp::create(
      b, loc, MemRefType::get({wBytes}, i8), w, /*offset=*/0,
      ArrayRef<int64_t>{wBytes}, ArrayRef<int64_t>{1});
  tables = memref::AllocOp::create(
      b, loc, MemRefType::get({tileM, tableBytes}, i8), ValueRange{},
      b.getI64IntegerAttr(64));
  emitTileLoops(
      b, loc, m, choice.tile, begin, end,
      [&](ArrayRef<Value> rows) {
        for (size_t i = 0; i < rows.size(); ++i)
          buildTable(rows[i], static_cast<int64_t>(i));
      },
      [&](ArrayRef<Value> rows, Value g0, int64_t count) {
        emitTile(rows, g0, count);
      });
  memref::DeallocOp::create(b, loc, tables);
  func::ReturnOp::create(b, loc);
}

} // namespace

void mlir::tern::kernels::defineLutKernel(func::FuncOp fn,
                                          const KernelChoice &choice,
                                          int64_t vecBytes,
                                          StringRef shuffle) {
  LutSkeleton(fn, choice, vecBytes, shuffle).define();
}
