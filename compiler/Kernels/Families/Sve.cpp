//===- Sve.cpp - The sve kernel family (vector-length agnostic) -----------===//
//
// The scalable skeleton (ScalableSkeleton.cpp: weights in one block per
// row, masked steps of vscale x 16 bytes, one SVE register) accumulating
// with `llvm.aarch64.sve.sdot` on the signed ternary values: the code runs
// unchanged on 128- to 2048-bit SVE.
//
//===----------------------------------------------------------------------===//

#include "compiler/Kernels/Skeleton.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

namespace {
/// acc += sdot(t, x): four i8 products per i32 lane.
Value sdot(TileBuilder &tb, Value acc, Value t, Value x) {
  return tb.intrinsic(acc.getType(), "llvm.aarch64.sve.sdot.nxv4i32",
                      {acc, t, x});
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
    f.defaultTile = [](int64_t m, int64_t k, int64_t) {
      return m == 1 ? Tile{1, 4} : Tile{prefillTileRows(m, k), 1};
    };
    f.define = [](func::FuncOp fn, const KernelChoice &choice) {
      ScalableStep step;
      step.lanes = 16; // vscale x 16 bytes: one SVE register
      step.accLanes = 4;
      step.accumulate = sdot;
      defineTiledKernel(fn, choice, scalableMultiplyAdd(step));
    };
    return f;
  }();
  return f;
}
