//===- NeonLut.cpp - The neon-lut kernel family --------------------------===//
//
// NEON tbl lookup tables, 16-byte steps (compiler/Kernels/LutSkeleton.cpp) on
// lut2i weights: per activation row a table of the 9 partial sums of each pair
// of activations, looked up 16 rows at a time by the byte shuffle
// `llvm.aarch64.neon.tbl1.v16i8`. Never a default: on CPUs with vpdpbusd or
// sdot the multiply-add families are faster (docs/performance.md); chosen by
// `--packing lut2i` or a tuning database.
//
//===----------------------------------------------------------------------===//

#include "compiler/Kernels/Skeleton.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

const KernelFamily &mlir::tern::neonLutFamily() {
  static const KernelFamily f = [] {
    KernelFamily f;
    f.name = "neon-lut";
    f.summary = "NEON tbl lookup tables, 16-byte steps";
    f.arch = llvm::Triple::aarch64;
    f.features = {{"neon"}};
    // Whole vectors of pairs: 1 pairs per step.
    f.reads = [](const Layout &l, int64_t k) {
      return l.packing == &lut2iPacking() && l.check(k).empty() &&
             true;
    };
    // Two groups of 32 columns per tile in decode (the faster decode tile
    // in tern-kernel-bench), two activation rows' tables per weight load
    // in prefill.
    f.defaultTile = [](int64_t m, int64_t, int64_t) {
      return m == 1 ? Tile{1, 2} : Tile{2, 2};
    };
    f.maxTile = {8, 4};
    f.maxAccumulators = 4;
    f.define = [](func::FuncOp fn, const KernelChoice &choice) {
      defineLutKernel(fn, choice, 16, "llvm.aarch64.neon.tbl1.v16i8");
    };
    return f;
  }();
  return f;
}
