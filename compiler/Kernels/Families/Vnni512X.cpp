//===- Vnni512X.cpp - The vnni512x kernel family (columns in i32 lanes) ---===//
//
// vpdpbusd on 512-bit vectors over i2x16 weights (the lane skeleton,
// compiler/Kernels/LaneSkeleton.cpp): each i32 lane is an output column,
// the activations are broadcast 4 at a time, so a tile's results are whole
// vectors with no lane sums. For CPUs with AVX512-VNNI and a full-width
// datapath (Zen 5, Sapphire Rapids).
//
//===----------------------------------------------------------------------===//

#include "compiler/Kernels/Skeleton.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

namespace {
/// Decode rows longer than this many weights take tiles of two groups
/// where the kernel prefetches its weight stream.
constexpr int64_t kLongDecodeRow = 4096;
} // namespace

const KernelFamily &mlir::tern::vnni512xFamily() {
  static const KernelFamily f = [] {
    KernelFamily f;
    f.name = "vnni512x";
    f.summary = "vpdpbusd on 512-bit vectors (AVX512-VNNI), one output "
                "column per i32 lane (i2x16 weights, broadcast activations)";
    f.arch = llvm::Triple::x86_64;
    f.features = {{"avx512vnni"}};
    // Ahead of vnni512 (same ranks, earlier in Families.def) where a
    // weight's rows come in groups of 16: its 64-row prefill kernels reach
    // 0.93-0.95 of the vpdpbusd peak against vnni512's 0.82-0.84, pp128
    // 1.109x, decode within the spread (Zen 5; docs/performance.md,
    // "Output columns in lanes").
    f.decodeRank = 0;
    f.prefillRank = 0;
    setLaneLayout(f);
    // Tiles of groups of 16 columns. Prefill: 8 activation rows x 2
    // groups, also for K = 6912 (a tile reads 4 bytes of each row at a
    // time: 8x2 prefilled the 2B4T down shape 1.05-1.10x faster than 4x3,
    // tern-kernel-bench --benchmark_filter=prefill64_vnni512x.*down, 2
    // rounds each; Zen 5). Decode: one group (one weight stream) for rows
    // of up to 4096 weights: one core's K = 2560 decode kernels streamed
    // 22.0-23.9 GB/s, against 15.1-17.9 with 4 groups (4 streams 10 KB
    // apart) and 20.3-23.0 for vnni512 on i2 (`tern-kernel-bench
    // --benchmark_filter='decode_'`, 2-3 repetitions; Zen 5). Longer rows
    // (a group over 16 KiB) decode two groups at a time, each broadcast
    // activation feeding both, where the kernel prefetches its stream: in
    // the 2B4T executable (`perf record -e cpu-clock ./EXE bench -p 0 -n 32
    // -r 10 -t 2`, Zen 5, 5120 bytes prefetched into L1) one group of the
    // down shape (K = 6912) took 1.25-1.26x the head's samples per byte and
    // two groups 0.91-1.01x. On the hardware prefetchers alone (Zen 4's
    // one-row decode, Target::streamPrefetch) two streams 27 KB apart read
    // slower than one and long rows keep one group (docs/performance.md,
    // "Decode tiles of long rows").
    f.defaultTile = [](int64_t m, int64_t k, int64_t prefetch) {
      if (m == 1)
        return Tile{1, k > kLongDecodeRow && prefetch > 0 ? 2 : 1};
      return Tile{std::min<int64_t>(m, 8), 2};
    };
    f.maxTile = {8, 4};
    f.maxAccumulators = 16;
    // A decode group keeps 8 accumulators (4 positions x 2 chains): 2
    // groups leave registers for the weights and activations, 4 would take
    // all 32 (and 4 streams read slower than one, above).
    f.decodeMaxTileN = 2;
    f.define = [](func::FuncOp fn, const KernelChoice &choice) {
      defineLaneKernel(fn, choice, 64,
                       intrinsicAccumulate("llvm.x86.avx512.vpdpbusd.512"));
    };
    return f;
  }();
  return f;
}
