//===- ScalableSkeleton.cpp - Dots over scalable vectors ------------------===//
//
// The weights in one block per row (`#tern.layout<P, block = K>` for a
// vector-order packing P): byte q of a row holds elements q + j K/P for
// positions j, so for any vector length the activations of each position
// are one contiguous run. The loop steps by vscale x lanes bytes; the last
// step is masked, its lanes past the end loading byte 0 against
// activations 0 and adding nothing. The same code runs at every vector
// length the target allows (SVE 128-2048 bits, RISC-V VLEN 128-1024 in the
// tests).
//
//===----------------------------------------------------------------------===//

#include "compiler/Kernels/Skeleton.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

namespace {
/// One step at byte q of every row: the (row, column) accumulators `accs`
/// plus the products of this step's bytes.
SmallVector<Value> scalableStep(TileBuilder &tb, const ScalableStep &step,
                                ArrayRef<Value> rows, ArrayRef<Value> cols,
                                Value q, ValueRange accs) {
  OpBuilder &b = tb.b;
  Location l = tb.loc;
  auto bytesType = VectorType::get({step.lanes}, b.getI8Type(), {true});
  auto maskType = VectorType::get({step.lanes}, b.getI1Type(), {true});
  const int64_t part = tb.k / tb.perByte();
  Value left = arith::SubIOp::create(b, l, tb.idx(part), q);
  Value mask = vector::CreateMaskOp::create(b, l, maskType, ValueRange{left});
  Value zero = tb.splat(bytesType, 0);
  auto load = [&](Value mem, Value row, Value at) {
    Value v = vector::MaskedLoadOp::create(b, l, bytesType, mem,
                                           ValueRange{row, at}, mask, zero);
    return step.widen ? step.widen(tb, v) : v;
  };
  // Each column's signed ternary values per position, decoded once.
  SmallVector<SmallVector<Value>> t;
  for (Value col : cols) {
    Value bytes = vector::MaskedLoadOp::create(b, l, bytesType, tb.w,
                                               ValueRange{col, q}, mask, zero);
    SmallVector<Value> codes;
    for (Value c : tb.allCodes(bytes, /*offset=*/1))
      codes.push_back(step.widen ? step.widen(tb, c) : c);
    t.push_back(codes);
  }
  SmallVector<Value> next(accs.begin(), accs.end());
  for (size_t i = 0; i < rows.size(); ++i)
    for (int64_t j = 0; j < tb.perByte(); ++j) {
      Value at = arith::AddIOp::create(b, l, q, tb.idx(j * part));
      Value x = load(tb.a, rows[i], at);
      for (size_t n = 0; n < cols.size(); ++n) {
        Value &acc = next[i * cols.size() + n];
        acc = step.accumulate(tb, acc, t[n][j], x);
      }
    }
  return next;
}

SmallVector<SmallVector<Value>> scalableDots(TileBuilder &tb,
                                             const ScalableStep &step,
                                             ArrayRef<Value> rows,
                                             ArrayRef<Value> cols) {
  OpBuilder &b = tb.b;
  Location loc = tb.loc;
  const int64_t part = tb.k / tb.perByte(); // bytes per row
  Value vl = arith::MulIOp::create(
      b, loc, vector::VectorScaleOp::create(b, loc), tb.idx(step.lanes));
  auto accType = VectorType::get({step.accLanes}, b.getI32Type(), {true});
  SmallVector<Value> init(rows.size() * cols.size(), tb.splat(accType, 0));
  auto loop = scf::ForOp::create(
      b, loc, tb.idx(0), tb.idx(part), vl, init,
      [&](OpBuilder &nb, Location, Value q, ValueRange accs) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        scf::YieldOp::create(b, loc,
                             scalableStep(tb, step, rows, cols, q, accs));
      });
  SmallVector<SmallVector<Value>> out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t n = 0; n < cols.size(); ++n)
      out[i].push_back(vector::ReductionOp::create(
          b, loc, vector::CombiningKind::ADD,
          loop.getResult(i * cols.size() + n)));
  return out;
}
} // namespace

MultiplyAdd mlir::tern::kernels::scalableMultiplyAdd(ScalableStep step) {
  MultiplyAdd family;
  family.dots = [step](TileBuilder &tb, ArrayRef<Value> rows,
                       ArrayRef<Value> cols) {
    return scalableDots(tb, step, rows, cols);
  };
  return family;
}
