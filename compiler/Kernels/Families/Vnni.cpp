//===- Vnni.cpp - The vnni kernel family (256-bit vpdpbusd) ---------------===//
//
// Per 32-byte step, vpdpbusd accumulates the codes t + 1 (unsigned) times
// the activations straight into 8 i32 lanes; the total minus the
// activation row sum. Runs with AVX-VNNI, or AVX512-VNNI with VL.
//
//===----------------------------------------------------------------------===//

#include "compiler/Kernels/Skeleton.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

namespace {
void define(func::FuncOp fn, const KernelChoice &choice) {
  // Prefill tiles loop over the reduction (FixedWidthOptions::rollTiles).
  FixedWidthOptions options;
  options.rollTiles = true;
  defineTiledKernel(
      fn, choice,
      offsetCodesMultiplyAdd(
          32, intrinsicAccumulate("llvm.x86.avx512.vpdpbusd.256"), options));
}
} // namespace

const KernelFamily &mlir::tern::vnniFamily() {
  static const KernelFamily f = [] {
    KernelFamily f;
    f.name = "vnni";
    f.summary = "vpdpbusd on 256-bit vectors (AVX-VNNI or AVX512-VNNI+VL), "
                "32-byte steps";
    f.arch = llvm::Triple::x86_64;
    f.features = {{"avxvnni"}, {"avx512vnni", "avx512vl"}};
    f.decodeRank = 2;
    f.prefillRank = 1;
    f.reads = [](const Layout &l, int64_t k) {
      return readsVectorOrder(l, k, 32);
    };
    f.preferredBlock = [](int64_t) -> int64_t { return 128; };
    f.defaultTile = [](int64_t m, int64_t k, int64_t) {
      return m == 1 ? Tile{1, 4} : Tile{prefillTileRows(m, k), 1};
    };
    // Each column's weights are read in order: decode kernels prefetch
    // the column the target's distance ahead (#tern.kernel's prefetch).
    f.prefetches = true;
    f.define = define;
    f.quadBytes = 32;
    f.quadDot = [](OpBuilder &b, Location loc, Value acc, Value u, Value s) {
      return callIntrinsic(b, loc, acc.getType(),
                           "llvm.x86.avx512.vpdpbusd.256", {acc, u, s});
    };
    f.quadDotFullBytes = true;
    return f;
  }();
  return f;
}
