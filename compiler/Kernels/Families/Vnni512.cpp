//===- Vnni512.cpp - The vnni512 kernel family (512-bit vpdpbusd) ---------===//
//
// As vnni on 512-bit vectors: 64-byte steps, 16 i32 lanes, for CPUs with
// AVX512-VNNI and a full-width datapath (Zen 5, Sapphire Rapids).
//
//===----------------------------------------------------------------------===//

#include "compiler/Kernels/Skeleton.h"

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

namespace {
void define(func::FuncOp fn, const KernelChoice &choice) {
  FixedWidthOptions options;
  // A decode column (1x1 tile) in 8 accumulators, two per position of a
  // byte taking alternate steps: 40 dependent vpdpbusd per 2560 weights
  // became 4 chains of 10 (decode +3 % on the 2B4T shape with prefetching;
  // Xeon, AMX), then 8 chains of 5 (decode 1.042x, 1.033-1.062, over 4
  // chains in 8 alternating rounds; Zen 5, docs/performance.md): the
  // shorter chains leave the column's arithmetic less in the way of the
  // weight stream.
  options.chains = 8;
  // The first 16 activation vectors (1 KiB of the row) stay in registers
  // across the columns: 16 of the 32 zmm registers, beside the 8 chains,
  // the 4 field masks and the column's bytes (no spills); decode 1.014x
  // (0.985-1.054, faster in 9 of 10 alternating rounds; Zen 5,
  // docs/performance-log.md 2026-12-05 entry 6).
  options.heldVectors = 16;
  // vpdpbusd multiplies unsigned bytes exactly, so i2's codes are masked in
  // place (4 instructions per 64 bytes instead of 7).
  options.fieldCodes = true;
  // Prefill tiles loop over the reduction.
  options.rollTiles = true;
  defineTiledKernel(
      fn, choice,
      offsetCodesMultiplyAdd(
          64, intrinsicAccumulate("llvm.x86.avx512.vpdpbusd.512"), options));
}
} // namespace

const KernelFamily &mlir::tern::vnni512Family() {
  static const KernelFamily f = [] {
    KernelFamily f;
    f.name = "vnni512";
    f.summary = "vpdpbusd on 512-bit vectors (AVX512-VNNI), 64-byte steps";
    f.arch = llvm::Triple::x86_64;
    f.features = {{"avx512vnni"}};
    // The fastest family where it runs, decode and prefill (tern tune on a
    // Zen 5: 20-30 % over avx2 in decode; docs/performance.md).
    f.decodeRank = 0;
    f.prefillRank = 0;
    f.reads = [](const Layout &l, int64_t k) {
      return readsVectorOrder(l, k, 64);
    };
    f.preferredBlock = [](int64_t) -> int64_t { return 256; };
    // Prefill: two columns per tile (each activation load feeds two
    // vpdpbusd; 8x2 prefilled the 2B4T model 1-15 % faster than 8x1 in
    // alternating runs); three where K leaves the tile 4 rows (down,
    // K = 6912: 4x3 1.10-1.12x over 4x2 per 64-row kernel on a Zen 5;
    // 12 accumulators). Decode: one column (wider tiles decoded slower in
    // the executable, so tern tune keeps one).
    f.defaultTile = [](int64_t m, int64_t k, int64_t) {
      if (m == 1)
        return Tile{1, 1};
      const int64_t rows = prefillTileRows(m, k);
      return Tile{rows, rows < std::min<int64_t>(m, 8) ? 3 : 2};
    };
    f.decodeMaxTileN = 1;
    // Each column's weights are read in order: decode kernels prefetch
    // the column the target's distance ahead (#tern.kernel's prefetch).
    f.prefetches = true;
    // Its 64-row prefill kernels too (their 8-row tiles read each column
    // once per row tile, faster than the hardware prefetchers fetch it).
    f.prefetchesPrefill = true;
    f.define = define;
    f.quadBytes = 64;
    f.quadDot = [](OpBuilder &b, Location loc, Value acc, Value u, Value s) {
      return callIntrinsic(b, loc, acc.getType(),
                           "llvm.x86.avx512.vpdpbusd.512", {acc, u, s});
    };
    f.quadDotFullBytes = true;
    return f;
  }();
  return f;
}
