//===- Rvv.cpp - The rvv kernel family (RISC-V V, any vector length) ------===//
//
// RISC-V vector extension 1.0 on the scalable skeleton
// (ScalableSkeleton.cpp: weights in one block per row, masked steps of
// vscale x 8 bytes, one LMUL=1 register of bytes, for any VLEN). Per step
// and position the signed ternary values (code - 1) times the activations
// are widened twice, i8 x i8 -> i16 (vwmul) and added into i32 lanes
// (vwadd.wv); the lanes are summed once at the end (vredsum). Exact:
// |t a| <= 128 per product. The i32 accumulators take LMUL=4 register
// groups: tiles stay at 4 accumulators, which the 32 vector registers hold
// with room for the operands.
//
//===----------------------------------------------------------------------===//

#include "compiler/Kernels/Skeleton.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

namespace {
/// Bytes per step: vscale x kLanes (vscale = VLEN / 64 on RISC-V).
constexpr int64_t kLanes = 8;

Value widenToI16(TileBuilder &tb, Value bytes) {
  auto t = VectorType::get({kLanes}, tb.b.getI16Type(), {true});
  return arith::ExtSIOp::create(tb.b, tb.loc, t, bytes);
}

/// acc += sext(t * x): vwmul.vv then vwadd.wv after instruction selection.
Value multiplyAdd(TileBuilder &tb, Value acc, Value t, Value x) {
  Value prod = arith::MulIOp::create(tb.b, tb.loc, t, x);
  return arith::AddIOp::create(
      tb.b, tb.loc, acc,
      arith::ExtSIOp::create(tb.b, tb.loc, acc.getType(), prod));
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
    f.defaultTile = [](int64_t m, int64_t k, int64_t) {
      return m == 1 ? Tile{1, 2}
                    : Tile{std::min<int64_t>(prefillTileRows(m, k), 4), 1};
    };
    f.maxTile = {4, 4};
    f.maxAccumulators = 4;
    f.define = [](func::FuncOp fn, const KernelChoice &choice) {
      ScalableStep step;
      step.lanes = kLanes;
      step.accLanes = kLanes;
      step.widen = widenToI16;
      step.accumulate = multiplyAdd;
      defineTiledKernel(fn, choice, scalableMultiplyAdd(step));
    };
    return f;
  }();
  return f;
}
