//===- Skeleton.cpp - The tile loops and the multiply-add skeleton --------===//

#include "compiler/Kernels/Skeleton.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <algorithm>
#include <limits>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

Value mlir::tern::kernels::splatConstant(OpBuilder &b, Location loc,
                                         VectorType t, int64_t v) {
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(t, b.getIntegerAttr(t.getElementType(), v)));
}

Value mlir::tern::kernels::callIntrinsic(OpBuilder &b, Location loc,
                                         Type result, StringRef name,
                                         ValueRange args) {
  return LLVM::CallIntrinsicOp::create(b, loc, result, b.getStringAttr(name),
                                       args)
      .getResult(0);
}

bool mlir::tern::kernels::readsVectorOrder(const Layout &l, int64_t k,
                                           int64_t stepBytes) {
  const int64_t positions = l.packing ? l.packing->vectorPositions : 0;
  return positions > 0 && l.check(k).empty() &&
         l.block % (positions * stepBytes) == 0;
}

bool mlir::tern::kernels::readsWholeRows(const Layout &l, int64_t k) {
  return l.packing && l.packing->vectorPositions > 0 && l.block == k &&
         l.check(k).empty();
}

int64_t mlir::tern::kernels::prefillTileRows(int64_t m, int64_t k) {
  int64_t rows = std::min<int64_t>(m, 8);
  while (rows > 1 && rows * k > (32 << 10))
    rows /= 2;
  return rows;
}

Value BodyBuilder::idx(int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}
Value BodyBuilder::add(Value x, Value y) {
  return arith::AddIOp::create(b, loc, x, y);
}
Value BodyBuilder::mul(Value x, Value y) {
  return arith::MulIOp::create(b, loc, x, y);
}

Value TileBuilder::idx(int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

SmallVector<Value> TileBuilder::prefetchColumns(ArrayRef<Value> cols) {
  SmallVector<Value> out;
  if (prefetch <= 0)
    return out;
  auto wType = cast<MemRefType>(w.getType());
  const int64_t rowBytes = wType.getDimSize(1);
  const int64_t ahead = (prefetch + rowBytes - 1) / rowBytes;
  Value last = idx(wType.getDimSize(0) - 1);
  for (Value col : cols)
    out.push_back(arith::MinUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, col, idx(ahead)), last));
  return out;
}

void TileBuilder::prefetchWeights(Value col, Value byte) {
  // The target's locality (Target::streamPrefetchLocality); non-temporal
  // (0) was far slower than both others for the head on a Xeon.
  memref::PrefetchOp::create(b, loc, w, ValueRange{col, byte},
                             /*isWrite=*/false, /*localityHint=*/locality,
                             /*isDataCache=*/true);
}

void mlir::tern::kernels::emitTileLoops(
    OpBuilder &b, Location loc, int64_t m, Tile tile, Value begin, Value end,
    function_ref<void(ArrayRef<Value>)> prologue,
    function_ref<void(ArrayRef<Value>, Value, int64_t)> emitTile) {
  auto idx = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  const int64_t tileM = std::min(tile.m, m);
  // The units [begin, end) for the rows starting at `row0`.
  auto emitRows = [&](Value row0, int64_t nRows) {
    SmallVector<Value> rows;
    for (int64_t i = 0; i < nRows; ++i)
      rows.push_back(i ? Value(arith::AddIOp::create(b, loc, row0, idx(i)))
                       : row0);
    prologue(rows);
    auto unitLoop = [&](Value lo, Value hi, int64_t step) {
      auto loop = scf::ForOp::create(b, loc, lo, hi, idx(step));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      emitTile(rows, loop.getInductionVar(), step);
    };
    if (tile.n == 1) {
      unitLoop(begin, end, 1);
      return;
    }
    // Whole tiles of tile.n units, then the rest one by one (the range is
    // the caller's share, known only at run time).
    Value span = arith::SubIOp::create(b, loc, end, begin);
    Value whole = arith::MulIOp::create(
        b, loc, arith::DivUIOp::create(b, loc, span, idx(tile.n)), idx(tile.n));
    Value mid = arith::AddIOp::create(b, loc, begin, whole);
    unitLoop(begin, mid, tile.n);
    unitLoop(mid, end, 1);
  };
  const int64_t mainRows = m / tileM * tileM;
  if (mainRows == tileM) {
    emitRows(idx(0), tileM);
  } else {
    auto rowLoop =
        scf::ForOp::create(b, loc, idx(0), idx(mainRows), idx(tileM));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(rowLoop.getBody());
    emitRows(rowLoop.getInductionVar(), tileM);
  }
  if (m > mainRows)
    emitRows(idx(mainRows), m - mainRows);
}

bool mlir::tern::kernels::maskedFieldSumsFit(int64_t steps) {
  return steps * 4 * 255 * 128 <= std::numeric_limits<int32_t>::max();
}

namespace {
/// Packing::fieldShift of each position when a column's sums of masked
/// fields fit in i32 lanes (maskedFieldSumsFit), else none.
SmallVector<int64_t> fieldShifts(const TileBuilder &tb, int64_t vecBytes) {
  const Packing &p = *tb.layout.packing;
  if (!p.fieldShift)
    return {};
  const int64_t steps = tb.k / (p.vectorPositions * vecBytes) + 1;
  if (!maskedFieldSumsFit(steps))
    return {};
  SmallVector<int64_t> shifts;
  for (int64_t j = 0; j < p.vectorPositions; ++j)
    shifts.push_back(p.fieldShift(j));
  return shifts;
}

/// Each position's bit field of `bytes` in place (code << shift).
SmallVector<Value> maskedFields(TileBuilder &tb, Value bytes,
                                ArrayRef<int64_t> shifts) {
  const int64_t bits = 8 / tb.perByte();
  auto type = cast<VectorType>(bytes.getType());
  SmallVector<Value> out;
  for (int64_t shift : shifts) {
    const auto mask = static_cast<int8_t>(((1 << bits) - 1) << shift);
    out.push_back(
        arith::AndIOp::create(tb.b, tb.loc, bytes, tb.splat(type, mask)));
  }
  return out;
}

/// Where one step of a fixed-width kernel reads: the step's first weight
/// byte in each column's row, and each position's first activation.
struct StepAt {
  Value wByte;
  SmallVector<Value> aByte;
};

/// Calls `step` for every step of `vecBytes` weight bytes of a row, in
/// order: fully unrolled (constant offsets), or, with `rolled`, as loops
/// over the blocks and the steps of a block whose body is one step, the
/// accumulators `acc` carried through them.
void forEachStep(
    TileBuilder &tb, int64_t vecBytes, bool rolled, SmallVector<Value> &acc,
    llvm::function_ref<void(const StepAt &, SmallVector<Value> &)> step) {
  const int64_t per = tb.perByte();
  const int64_t block = tb.layout.block;
  const int64_t part = block / per; // bytes per block and row
  // Byte blk * part + c of a row holds elements blk * block + j * part + c
  // at position j.
  auto at = [&](Value blk, Value c) {
    OpBuilder &b = tb.b;
    Location loc = tb.loc;
    StepAt s;
    s.wByte = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, blk, tb.idx(part)), c);
    Value base = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, blk, tb.idx(block)), c);
    for (int64_t j = 0; j < per; ++j)
      s.aByte.push_back(
          j ? Value(arith::AddIOp::create(b, loc, base, tb.idx(j * part)))
            : base);
    return s;
  };
  if (!rolled) {
    for (int64_t blk = 0; blk < tb.k / block; ++blk)
      for (int64_t c = 0; c < part; c += vecBytes) {
        StepAt s{tb.idx(blk * part + c), {}};
        for (int64_t j = 0; j < per; ++j)
          s.aByte.push_back(tb.idx(blk * block + j * part + c));
        step(s, acc);
      }
    return;
  }
  // A loop from 0 to `hi` by `by` (none when it runs once) whose body gets
  // its induction variable (the constant 0 when there is no loop).
  auto loop = [&](int64_t hi, int64_t by,
                  llvm::function_ref<void(Value)> body) {
    if (hi == by) {
      body(tb.idx(0));
      return;
    }
    auto forOp = scf::ForOp::create(tb.b, tb.loc, tb.idx(0), tb.idx(hi),
                                    tb.idx(by), acc);
    OpBuilder::InsertionGuard guard(tb.b);
    tb.b.setInsertionPointToStart(forOp.getBody());
    SmallVector<Value> carried(forOp.getRegionIterArgs());
    std::swap(acc, carried);
    body(forOp.getInductionVar());
    scf::YieldOp::create(tb.b, tb.loc, acc);
    acc.assign(forOp.getResults().begin(), forOp.getResults().end());
  };
  loop(tb.k / block, 1, [&](Value blk) {
    loop(part, vecBytes, [&](Value c) { step(at(blk, c), acc); });
  });
}
} // namespace

SmallVector<SmallVector<Value>> mlir::tern::kernels::fixedWidthDots(
    TileBuilder &tb, ArrayRef<Value> rows, ArrayRef<Value> cols,
    int64_t vecBytes, VectorType accType, int64_t codeOffset,
    const AccumulateFn &accumulate, FixedWidthOptions options) {
  auto bytesType = VectorType::get({vecBytes}, tb.b.getI8Type());
  const int64_t per = tb.perByte();
  const bool oneColumn = rows.size() * cols.size() == 1;
  // No more chains than a column has multiply-adds (per a step).
  const int64_t chains =
      oneColumn ? std::min(options.chains, tb.k / vecBytes) : 1;
  const SmallVector<int64_t> shifts =
      oneColumn && options.fieldCodes && chains % per == 0 && codeOffset == 0
          ? fieldShifts(tb, vecBytes)
          : SmallVector<int64_t>{};
  // acc[(i * cols + n) * chains + c]: chain c of row i and column n.
  auto slot = [&](size_t i, size_t n, int64_t c) {
    return (i * cols.size() + n) * chains + c;
  };
  SmallVector<Value> acc(rows.size() * cols.size() * chains,
                         tb.splat(accType, 0));
  const SmallVector<Value> ahead = tb.prefetchColumns(cols);
  const bool rolled = rows.size() > 1 && options.rollTiles;
  // Steps so far: chain (j + per * round) % chains takes position j of
  // step `round` (a 1x1 tile is unrolled, so each call is one step).
  int64_t round = 0;
  forEachStep(
      tb, vecBytes, rolled, acc,
      [&](const StepAt &at, SmallVector<Value> &acc) {
        SmallVector<SmallVector<Value>> codes;
        for (auto [n, col] : llvm::enumerate(cols)) {
          Value bytes = vector::LoadOp::create(tb.b, tb.loc, bytesType, tb.w,
                                               ValueRange{col, at.wByte});
          if (!ahead.empty())
            tb.prefetchWeights(ahead[n], at.wByte);
          codes.push_back(shifts.empty() ? tb.allCodes(bytes, codeOffset)
                                         : maskedFields(tb, bytes, shifts));
        }
        for (size_t i = 0; i < rows.size(); ++i) {
          SmallVector<Value> x;
          for (int64_t j = 0; j < per; ++j) {
            const std::optional<int64_t> byte =
                getConstantIntValue(at.aByte[j]);
            auto held = oneColumn && byte && rows[i] == tb.heldRow
                            ? tb.heldActs.find(*byte)
                            : tb.heldActs.end();
            x.push_back(held != tb.heldActs.end()
                            ? held->second
                            : Value(vector::LoadOp::create(
                                  tb.b, tb.loc, bytesType, tb.a,
                                  ValueRange{rows[i], at.aByte[j]})));
          }
          for (size_t n = 0; n < cols.size(); ++n) {
            SmallVector<std::pair<Value, Value>> pairs;
            for (int64_t j = 0; j < per; ++j)
              pairs.push_back({codes[n][j], x[j]});
            if (chains == 1) {
              Value &a = acc[slot(i, n, 0)];
              a = accumulate(tb, a, pairs);
              continue;
            }
            for (int64_t j = 0; j < per; ++j) {
              Value &a = acc[slot(i, n, (j + per * round) % chains)];
              a = accumulate(tb, a, ArrayRef(pairs).slice(j, 1));
            }
          }
        }
        ++round;
      });
  SmallVector<SmallVector<Value>> dots(rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t n = 0; n < cols.size(); ++n) {
      // Chains of one position (c and c + per, ...) share its shift:
      // added first, shifted once.
      const int64_t kinds = shifts.empty() ? chains : per;
      SmallVector<Value> parts;
      for (int64_t c = 0; c < chains; ++c) {
        Value a = acc[slot(i, n, c)];
        if (c < kinds)
          parts.push_back(a);
        else
          parts[c % kinds] =
              arith::AddIOp::create(tb.b, tb.loc, parts[c % kinds], a);
      }
      for (auto [c, shift] : llvm::enumerate(shifts))
        if (shift)
          parts[c] = arith::ShRSIOp::create(tb.b, tb.loc, parts[c],
                                            tb.splat(accType, shift));
      Value sum = parts[0];
      for (int64_t c = 1; c < kinds; ++c)
        sum = arith::AddIOp::create(tb.b, tb.loc, sum, parts[c]);
      dots[i].push_back(vector::ReductionOp::create(
          tb.b, tb.loc, vector::CombiningKind::ADD, sum));
    }
  return dots;
}

void mlir::tern::kernels::defineTiledKernel(func::FuncOp fn,
                                            const KernelChoice &choice,
                                            const MultiplyAdd &family) {
  OpBuilder b(fn.getContext());
  auto aType = cast<MemRefType>(fn.getArgumentTypes()[0]);
  fn.setPrivate();
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  TileBuilder tb{b,
                 fn.getLoc(),
                 entry->getArgument(0),
                 entry->getArgument(1),
                 aType.getDimSize(0),
                 aType.getDimSize(1),
                 choice.layout,
                 choice.prefetch,
                 choice.locality,
                 /*heldRow=*/Value(),
                 /*heldActs=*/llvm::DenseMap<int64_t, Value>()};
  Value out = entry->getArgument(2);
  SmallVector<Value> sums; // of the current row tile
  emitTileLoops(
      b, tb.loc, tb.m, choice.tile, entry->getArgument(3),
      entry->getArgument(4),
      [&](ArrayRef<Value> rows) {
        sums.clear();
        tb.heldRow = {};
        tb.heldActs.clear();
        if (family.hold && rows.size() == 1 && choice.tile.n == 1)
          family.hold(tb, rows[0]);
        if (family.rowSum)
          for (Value row : rows)
            sums.push_back(family.rowSum(tb, row));
      },
      [&](ArrayRef<Value> rows, Value col0, int64_t count) {
        SmallVector<Value> cols = {col0};
        for (int64_t j = 1; j < count; ++j)
          cols.push_back(arith::AddIOp::create(b, tb.loc, col0, tb.idx(j)));
        SmallVector<SmallVector<Value>> dots = family.dots(tb, rows, cols);
        for (size_t i = 0; i < rows.size(); ++i)
          for (size_t j = 0; j < cols.size(); ++j) {
            Value v = dots[i][j];
            if (!sums.empty())
              v = arith::SubIOp::create(b, tb.loc, v, sums[i]);
            memref::StoreOp::create(b, tb.loc, v, out,
                                    ValueRange{rows[i], cols[j]});
          }
      });
  func::ReturnOp::create(b, tb.loc);
}

AccumulateFn mlir::tern::kernels::intrinsicAccumulate(StringRef name) {
  return [intrinsic = name.str()](TileBuilder &tb, Value acc,
                                  ArrayRef<std::pair<Value, Value>> pairs) {
    for (auto [codes, x] : pairs)
      acc = tb.intrinsic(acc.getType(), intrinsic, {acc, codes, x});
    return acc;
  };
}

MultiplyAdd mlir::tern::kernels::offsetCodesMultiplyAdd(
    int64_t vecBytes, AccumulateFn accumulate, FixedWidthOptions options) {
  MultiplyAdd f;
  f.dots = [=](TileBuilder &tb, ArrayRef<Value> rows, ArrayRef<Value> cols) {
    auto acc = VectorType::get({vecBytes / 4}, tb.b.getI32Type());
    return fixedWidthDots(tb, rows, cols, vecBytes, acc, /*codeOffset=*/0,
                          accumulate, options);
  };
  if (options.heldVectors > 0)
    f.hold = [=](TileBuilder &tb, Value row) {
      auto bytes = VectorType::get({vecBytes}, tb.b.getI8Type());
      tb.heldRow = row;
      for (int64_t c = 0;
           c < std::min(tb.k, options.heldVectors * vecBytes); c += vecBytes)
        tb.heldActs[c] = vector::LoadOp::create(tb.b, tb.loc, bytes, tb.a,
                                                ValueRange{row, tb.idx(c)});
    };
  // sum_k a[row, k]: the overcount of multiplying by codes t + 1.
  f.rowSum = [=](TileBuilder &tb, Value row) -> Value {
    auto bytes = VectorType::get({vecBytes}, tb.b.getI8Type());
    auto acc = VectorType::get({vecBytes / 4}, tb.b.getI32Type());
    Value ones = tb.splat(bytes, 1);
    Value sum = tb.splat(acc, 0);
    for (int64_t kk = 0; kk < tb.k; kk += 4 * vecBytes) {
      SmallVector<std::pair<Value, Value>> pairs;
      for (int64_t c = kk; c < std::min(tb.k, kk + 4 * vecBytes); c += vecBytes)
        pairs.push_back(
            {ones, vector::LoadOp::create(tb.b, tb.loc, bytes, tb.a,
                                          ValueRange{row, tb.idx(c)})});
      sum = accumulate(tb, sum, pairs);
    }
    return vector::ReductionOp::create(tb.b, tb.loc, vector::CombiningKind::ADD,
                                       sum);
  };
  return f;
}

MultiplyAdd mlir::tern::kernels::signedCodesMultiplyAdd(
    int64_t vecBytes, VectorType accType, AccumulateFn accumulate) {
  MultiplyAdd f;
  f.dots = [=](TileBuilder &tb, ArrayRef<Value> rows, ArrayRef<Value> cols) {
    return fixedWidthDots(tb, rows, cols, vecBytes, accType,
                          /*codeOffset=*/1, accumulate);
  };
  return f;
}
