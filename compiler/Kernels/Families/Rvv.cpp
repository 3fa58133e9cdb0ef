//===- Rvv.cpp - The rvv kernel family (RISC-V V, any vector length) ------===//
//
// RISC-V vector extension 1.0, vector-length agnostic as the sve family:
// the weights in one block per row of a vector-order packing, so for any
// VLEN the activations of each position are one contiguous run. The loop
// steps by vscale x 8 bytes (one LMUL=1 register of bytes), with a mask
// (vector.create_mask + masked loads; lanes past the end load zeros and
// add nothing) for the last step. Per step and position the signed
// ternary values (code - 1) times the activations are widened twice,
// i8 x i8 -> i16 (vwmul) and added into i32 lanes (vwadd.wv); the lanes
// are summed once at the end (vredsum). Exact: |t a| <= 128 per product.
// The i32 accumulators take LMUL=4 register groups: tiles stay at 4
// accumulators, which the 32 vector registers hold with room for the
// operands.
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
/// Bytes per step: vscale x kLanes (vscale = VLEN / 64 on RISC-V).
constexpr int64_t kLanes = 8;

SmallVector<SmallVector<Value>> dots(TileBuilder &tb, ArrayRef<Value> rows,
                                     ArrayRef<Value> cols) {
  OpBuilder &b = tb.b;
  Location loc = tb.loc;
  auto scalable = [&](Type t) { return VectorType::get({kLanes}, t, {true}); };
  auto bytesType = scalable(b.getI8Type()),
       maskType = scalable(b.getI1Type()),
       wideType = scalable(b.getI16Type()),
       accType = scalable(b.getI32Type());
  const int64_t per = tb.perByte(), part = tb.k / per; // bytes per row
  Value vl = arith::MulIOp::create(
      b, loc, vector::VectorScaleOp::create(b, loc), tb.idx(kLanes));
  SmallVector<Value> init(rows.size() * cols.size(), tb.splat(accType, 0));
  auto loop = scf::ForOp::create(
      b, loc, tb.idx(0), tb.idx(part), vl, init,
      [&](OpBuilder &nb, Location l, Value q, ValueRange accs) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        Value left = arith::SubIOp::create(b, l, tb.idx(part), q);
        Value mask =
            vector::CreateMaskOp::create(b, l, maskType, ValueRange{left});
        Value zero = tb.splat(bytesType, 0);
        // The columns' signed ternary values, widened to i16.
        SmallVector<SmallVector<Value>> t;
        for (Value col : cols) {
          Value bytes = vector::MaskedLoadOp::create(
              b, l, bytesType, tb.w, ValueRange{col, q}, mask, zero);
          SmallVector<Value> wide;
          for (Value c : tb.allCodes(bytes, /*offset=*/1))
            wide.push_back(arith::ExtSIOp::create(b, l, wideType, c));
          t.push_back(wide);
        }
        SmallVector<Value> next(accs.begin(), accs.end());
        for (size_t i = 0; i < rows.size(); ++i)
          for (int64_t j = 0; j < per; ++j) {
            Value at = arith::AddIOp::create(b, l, q, tb.idx(j * part));
            Value x = arith::ExtSIOp::create(
                b, l, wideType,
                vector::MaskedLoadOp::create(b, l, bytesType, tb.a,
                                             ValueRange{rows[i], at}, mask,
                                             zero));
            for (size_t n = 0; n < cols.size(); ++n) {
              Value prod = arith::MulIOp::create(b, l, t[n][j], x);
              Value &acc = next[i * cols.size() + n];
              acc = arith::AddIOp::create(
                  b, l, acc, arith::ExtSIOp::create(b, l, accType, prod));
            }
          }
        scf::YieldOp::create(b, l, next);
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

const KernelFamily &mlir::tern::rvvFamily() {
  static const KernelFamily f = [] {
    KernelFamily f;
    f.name = "rvv";
    f.summary = "RISC-V V 1.0: widening multiply-adds on scalable vectors, "
                "masked, any vector length (weights in one block per row)";
    f.arch = llvm::Triple::riscv64;
    f.features = {{"v"}};
    f.decodeRank = 5;
    f.prefillRank = 5;
    f.reads = readsWholeRows;
    f.preferredBlock = [](int64_t k) { return k; };
    f.defaultTile = [](int64_t m, int64_t k) {
      return m == 1 ? Tile{1, 2}
                    : Tile{std::min<int64_t>(prefillTileRows(m, k), 4), 1};
    };
    f.maxTile = {4, 4};
    f.maxAccumulators = 4;
    f.define = [](func::FuncOp fn, const KernelChoice &choice) {
      MultiplyAdd family;
      family.dots = dots;
      defineTiledKernel(fn, choice, family);
    };
    return f;
  }();
  return f;
}
