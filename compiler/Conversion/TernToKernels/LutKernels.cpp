//===- LutKernels.cpp - Lookup-table bodies of ternary matmul kernels -----===//
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

#include "compiler/Conversion/TernToKernels/TernToKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

namespace {

struct LutBuilder {
  OpBuilder &b;
  Location loc;
  int64_t vecBytes;
  llvm::StringRef shuffle; // LLVM intrinsic: (table, indices) -> bytes

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value splat(VectorType t, int64_t v) { return splatConstant(b, loc, t, v); }
  Value constVector(VectorType t, ArrayRef<int64_t> values) {
    SmallVector<Attribute> attrs;
    for (int64_t v : values)
      attrs.push_back(b.getIntegerAttr(t.getElementType(), v));
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(t, attrs));
  }
  Value lookup(Value table, Value indices) {
    return callIntrinsic(b, loc, table.getType(), shuffle, {table, indices});
  }
};

/// The largest divisor of `steps` that is at most `limit`.
int64_t chunkFor(int64_t steps, int64_t limit) {
  for (int64_t c = std::min(steps, limit); c > 1; --c)
    if (steps % c == 0)
      return c;
  return 1;
}

} // namespace

void mlir::tern::kernels::defineLutKernel(func::FuncOp fn, int64_t vecBytes,
                                          llvm::StringRef shuffle) {
  OpBuilder b(fn.getContext());
  Location loc = fn.getLoc();
  auto aType = cast<MemRefType>(fn.getArgumentTypes()[0]);
  auto tile = fn->getAttrOfType<DenseI64ArrayAttr>(kTileAttr);
  fn.setPrivate();
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  LutBuilder lb{b, loc, vecBytes, shuffle};
  Type i8 = b.getI8Type(), i16 = b.getI16Type(), i32 = b.getI32Type();
  Value a = entry->getArgument(0), w = entry->getArgument(1),
        out = entry->getArgument(2), begin = entry->getArgument(3),
        end = entry->getArgument(4);
  const int64_t m = aType.getDimSize(0), k = aType.getDimSize(1);
  const int64_t lanes = vecBytes / 16;      // pairs per step
  const int64_t steps = k / (2 * lanes);    // steps per row
  const int64_t chunk = chunkFor(steps, 32); // steps per 16-bit accumulation
  const int64_t groupBytes = 8 * k;          // 32 rows x k/4 bytes
  const int64_t tableBytes = 16 * k;         // k/2 pairs x 32 bytes
  const int64_t tileM = std::min(tile[0], m), tileN = tile[1];

  auto bytesType = VectorType::get({vecBytes}, i8);
  auto acc16Type = VectorType::get({vecBytes / 2}, i16);
  auto acc32Type = VectorType::get({vecBytes / 2}, i32);
  auto v16i16 = VectorType::get({16}, i16);
  auto v16i8 = VectorType::get({16}, i8);

  // The weights as one run of bytes (groups span 32 rows of the view).
  auto wType = cast<MemRefType>(w.getType());
  const int64_t wBytes = wType.getDimSize(0) * wType.getDimSize(1);
  Value wFlat = memref::ReinterpretCastOp::create(
      b, loc, MemRefType::get({wBytes}, i8), w, /*offset=*/0,
      ArrayRef<int64_t>{wBytes}, ArrayRef<int64_t>{1});
  Value tables = memref::AllocOp::create(
      b, loc, MemRefType::get({tileM, tableBytes}, i8), ValueRange{},
      b.getI64IntegerAttr(64));

  // Index weights of the table entries: entry i = c0[i] a0 + c1[i] a1.
  SmallVector<int64_t> c0(16, 0), c1(16, 0);
  for (int64_t i = 0; i < 9; ++i)
    c0[i] = i / 3 - 1, c1[i] = i % 3 - 1;
  // Interleaving the low and high bytes of each 16-byte lane's first (second)
  // 8 entries gives the 16-bit values of rows 0..7 (8..15) of that lane.
  SmallVector<int64_t> maskLo, maskHi;
  for (int64_t ln = 0; ln < lanes; ++ln)
    for (int64_t j = 0; j < 8; ++j) {
      maskLo.append({ln * 16 + j, vecBytes + ln * 16 + j});
      maskHi.append({ln * 16 + 8 + j, vecBytes + ln * 16 + 8 + j});
    }

  // The table of activation row `row` into tables[slot].
  auto buildTable = [&](Value row, int64_t slot) {
    Value cw0 = lb.constVector(v16i16, c0), cw1 = lb.constVector(v16i16, c1);
    auto loop = scf::ForOp::create(b, loc, lb.idx(0), lb.idx(steps), lb.idx(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value s = loop.getInductionVar();
    Value slotIdx = lb.idx(slot);
    for (int64_t l = 0; l < lanes; ++l) {
      Value p = lb.add(lb.mul(s, lb.idx(lanes)), lb.idx(l));
      Value col = lb.mul(p, lb.idx(2));
      auto act = [&](Value c) -> Value {
        Value x = memref::LoadOp::create(b, loc, a, ValueRange{row, c});
        Value x16 = arith::ExtSIOp::create(b, loc, i16, x);
        return vector::BroadcastOp::create(b, loc, v16i16, x16);
      };
      Value t = lb.add(lb.mul(act(col), cw0),
                       lb.mul(act(lb.add(col, lb.idx(1))), cw1));
      Value lo = arith::TruncIOp::create(b, loc, v16i8, t);
      Value hi = arith::TruncIOp::create(
          b, loc, v16i8,
          arith::ShRSIOp::create(b, loc, t, lb.splat(v16i16, 8)));
      Value at = lb.add(lb.mul(s, lb.idx(2 * vecBytes)), lb.idx(16 * l));
      vector::StoreOp::create(b, loc, lo, tables, ValueRange{slotIdx, at});
      vector::StoreOp::create(b, loc, hi, tables,
                              ValueRange{slotIdx, lb.add(at, lb.idx(vecBytes))});
    }
  };

  // out[rows, 32 g .. 32 g + 31] for the groups g0 .. g0 + nGroups - 1,
  // the rows' tables in slots 0 .. rows.size() - 1.
  auto emitTile = [&](ArrayRef<Value> rows, Value g0, int64_t nGroups) {
    const int64_t nRows = rows.size();
    SmallVector<Value> bases;
    for (int64_t gi = 0; gi < nGroups; ++gi)
      bases.push_back(lb.mul(lb.add(g0, lb.idx(gi)), lb.idx(groupBytes)));
    // Accumulators [row][group][quarter of 8 rows], flattened.
    auto at = [&](int64_t i, int64_t gi, int64_t q) {
      return (i * nGroups + gi) * 4 + q;
    };
    const int64_t nAcc = nRows * nGroups * 4;
    SmallVector<Value> init(nAcc, lb.splat(acc32Type, 0));
    auto loop = scf::ForOp::create(b, loc, lb.idx(0), lb.idx(steps / chunk),
                                   lb.idx(1), init);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value firstStep = lb.mul(loop.getInductionVar(), lb.idx(chunk));
      SmallVector<Value> acc16(nAcc, lb.splat(acc16Type, 0));
      for (int64_t u = 0; u < chunk; ++u) {
        Value s = lb.add(firstStep, lb.idx(u));
        SmallVector<std::pair<Value, Value>> indices; // per group: low, high
        for (int64_t gi = 0; gi < nGroups; ++gi) {
          Value bytes = vector::LoadOp::create(
              b, loc, bytesType, wFlat,
              ValueRange{lb.add(bases[gi], lb.mul(s, lb.idx(vecBytes)))});
          Value low = arith::AndIOp::create(b, loc, bytes,
                                            lb.splat(bytesType, 15));
          Value high = arith::ShRUIOp::create(b, loc, bytes,
                                              lb.splat(bytesType, 4));
          indices.push_back({low, high});
        }
        Value tableAt = lb.mul(s, lb.idx(2 * vecBytes));
        for (int64_t i = 0; i < nRows; ++i) {
          Value slot = lb.idx(i);
          Value tLo = vector::LoadOp::create(b, loc, bytesType, tables,
                                             ValueRange{slot, tableAt});
          Value tHi = vector::LoadOp::create(
              b, loc, bytesType, tables,
              ValueRange{slot, lb.add(tableAt, lb.idx(vecBytes))});
          for (int64_t gi = 0; gi < nGroups; ++gi)
            for (int half = 0; half < 2; ++half) {
              Value ix = half ? indices[gi].second : indices[gi].first;
              Value lo = lb.lookup(tLo, ix), hi = lb.lookup(tHi, ix);
              for (int part = 0; part < 2; ++part) {
                Value v = vector::ShuffleOp::create(b, loc, lo, hi,
                                                    part ? maskHi : maskLo);
                v = vector::BitCastOp::create(b, loc, acc16Type, v);
                Value &acc = acc16[at(i, gi, 2 * half + part)];
                acc = lb.add(acc, v);
              }
            }
        }
      }
      SmallVector<Value> next;
      for (int64_t j = 0; j < nAcc; ++j)
        next.push_back(lb.add(
            loop.getRegionIterArgs()[j],
            arith::ExtSIOp::create(b, loc, acc32Type, acc16[j])));
      scf::YieldOp::create(b, loc, next);
    }
    // Lane l of a quarter's accumulator holds its 8 rows for pairs
    // l (mod lanes): sum the lanes, store 8 outputs.
    for (int64_t i = 0; i < nRows; ++i)
      for (int64_t gi = 0; gi < nGroups; ++gi)
        for (int64_t q = 0; q < 4; ++q) {
          Value acc = loop.getResult(at(i, gi, q));
          Value sum;
          for (int64_t ln = 0; ln < lanes; ++ln) {
            SmallVector<int64_t> lane;
            for (int64_t j = 0; j < 8; ++j)
              lane.push_back(ln * 8 + j);
            Value part = vector::ShuffleOp::create(b, loc, acc, acc, lane);
            sum = sum ? lb.add(sum, part) : part;
          }
          Value col = lb.add(lb.mul(lb.add(g0, lb.idx(gi)), lb.idx(32)),
                             lb.idx(8 * q));
          vector::StoreOp::create(b, loc, sum, out, ValueRange{rows[i], col});
        }
  };

  // Groups [begin, end) for `nRows` rows from row0.
  auto emitRows = [&](Value row0, int64_t nRows) {
    SmallVector<Value> rows;
    for (int64_t i = 0; i < nRows; ++i) {
      rows.push_back(i ? lb.add(row0, lb.idx(i)) : row0);
      buildTable(rows.back(), i);
    }
    auto groupLoop = [&](Value lo, Value hi, int64_t step) {
      auto loop = scf::ForOp::create(b, loc, lo, hi, lb.idx(step));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      emitTile(rows, loop.getInductionVar(), step);
    };
    if (tileN == 1) {
      groupLoop(begin, end, 1);
      return;
    }
    Value span = arith::SubIOp::create(b, loc, end, begin);
    Value whole = lb.mul(arith::DivUIOp::create(b, loc, span, lb.idx(tileN)),
                         lb.idx(tileN));
    Value mid = lb.add(begin, whole);
    groupLoop(begin, mid, tileN);
    groupLoop(mid, end, 1);
  };

  const int64_t mainRows = m / tileM * tileM;
  if (mainRows == tileM) {
    emitRows(lb.idx(0), tileM);
  } else {
    auto rowLoop = scf::ForOp::create(b, loc, lb.idx(0), lb.idx(mainRows),
                                      lb.idx(tileM));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(rowLoop.getBody());
    emitRows(rowLoop.getInductionVar(), tileM);
  }
  if (m > mainRows)
    emitRows(lb.idx(mainRows), m - mainRows);
  memref::DeallocOp::create(b, loc, tables);
  func::ReturnOp::create(b, loc);
}
