//===- Sve.cpp - The sve kernel family (vector-length agnostic) -----------===//
//
// The weights in one block per row (`#tern.layout<P, block = K>` for a
// vector-order packing P): byte q of a row holds elements q + j K/P for
// positions j, so for any vector length the activations of each position
// are one contiguous run. The loop steps by the vector length
// (vscale x 16 bytes), with a predicate (vector.create_mask + masked loads)
// for the last step, and accumulates with `llvm.aarch64.sve.sdot` on the
// signed ternary values: the code runs unchanged on 128- to 2048-bit SVE.
// Lanes past the end load byte 0 against activations 0, adding nothing.
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
SmallVector<SmallVector<Value>> dots(TileBuilder &tb, ArrayRef<Value> rows,
                                     ArrayRef<Value> cols) {
  OpBuilder &b = tb.b;
  Location loc = tb.loc;
  auto bytesType = VectorType::get({16}, b.getI8Type(), {true});
  auto maskType = VectorType::get({16}, b.getI1Type(), {true});
  auto accType = VectorType::get({4}, b.getI32Type(), {true});
  const int64_t per = tb.perByte(), part = tb.k / per; // bytes per row
  Value vl = arith::MulIOp::create(
      b, loc, vector::VectorScaleOp::create(b, loc), tb.idx(16));
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
        SmallVector<SmallVector<Value>> t;
        for (Value col : cols)
          t.push_back(tb.allCodes(
              vector::MaskedLoadOp::create(b, l, bytesType, tb.w,
                                           ValueRange{col, q}, mask, zero),
              /*offset=*/1));
        SmallVector<Value> next(accs.begin(), accs.end());
        for (size_t i = 0; i < rows.size(); ++i)
          for (int64_t j = 0; j < per; ++j) {
            Value at = arith::AddIOp::create(b, l, q, tb.idx(j * part));
            Value x = vector::MaskedLoadOp::create(
                b, l, bytesType, tb.a, ValueRange{rows[i], at}, mask, zero);
            for (size_t n = 0; n < cols.size(); ++n) {
              Value &acc = next[i * cols.size() + n];
              acc = tb.intrinsic(accType, "llvm.aarch64.sve.sdot.nxv4i32",
                                 {acc, t[n][j], x});
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

const KernelFamily &mlir::tern::sveFamily() {
  static const KernelFamily f = [] {
    KernelFamily f;
    f.name = "sve";
    f.summary = "SVE sdot on scalable vectors, predicated, any vector length "
                "(weights in one block per row)";
    f.arch = llvm::Triple::aarch64;
    f.features = {{"sve"}};
    f.decodeRank = 3;
    f.prefillRank = 3;
    f.reads = readsWholeRows;
    f.preferredBlock = [](int64_t k) { return k; };
    f.defaultTile = [](int64_t m, int64_t k) {
      return m == 1 ? Tile{1, 4} : Tile{prefillTileRows(m, k), 1};
    };
    f.define = [](func::FuncOp fn, const KernelChoice &choice) {
      MultiplyAdd family;
      family.dots = dots;
      defineTiledKernel(fn, choice, family);
    };
    return f;
  }();
  return f;
}
