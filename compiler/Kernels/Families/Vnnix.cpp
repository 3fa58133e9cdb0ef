//===- Vnnix.cpp - The vnnix kernel family (columns in 256-bit i32 lanes) -===//
//
// vpdpbusd on 256-bit vectors over i2x16 weights (the lane skeleton,
// compiler/Kernels/LaneSkeleton.cpp): each 64-byte chunk of a 16-row group
// is two vectors of 8 output columns, both multiplied by the same 4
// activations broadcast to every lane; a tile's results are whole vectors
// with no lane sums. For CPUs with AVX-VNNI and no AVX-512 (Intel Alder
// Lake and later client cores); where AVX512-VNNI is there, vnni512x
// comes first (same ranks, earlier in Families.def).
//
//===----------------------------------------------------------------------===//

#include "compiler/Kernels/Skeleton.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::tern;
using namespace mlir::tern::kernels;

const KernelFamily &mlir::tern::vnnixFamily() {
  static const KernelFamily f = [] {
    KernelFamily f;
    f.name = "vnnix";
    f.summary = "vpdpbusd on 256-bit vectors (AVX-VNNI or AVX512-VNNI+VL), "
                "one output column per i32 lane (i2x16 weights, broadcast "
                "activations)";
    f.arch = llvm::Triple::x86_64;
    f.features = {{"avxvnni"}, {"avx512vnni", "avx512vl"}};
    // Ahead of vnni and avx2: its 64-row prefill kernels reach 0.90-1.00
    // of the 256-bit vpdpbusd peak against vnni's 0.53-0.83, and code for
    // `--target alderlake` prefilled 1.31x and decoded 1.05x the vnni /
    // avx2 executable (Zen 5; docs/performance.md, "Output columns in
    // lanes").
    f.decodeRank = 0;
    f.prefillRank = 0;
    setLaneLayout(f);
    // A group is two accumulators per row (its chunks' halves): prefill
    // tiles of 6 rows x 1 group keep 12 accumulators, the 4 weight vectors
    // and a broadcast within the 16 vector registers of CPUs without
    // AVX-512. Decode: one group, 8 accumulators (4 positions x 2 halves).
    f.defaultTile = [](int64_t m, int64_t, int64_t) {
      return m == 1 ? Tile{1, 1} : Tile{std::min<int64_t>(m, 6), 1};
    };
    f.maxTile = {8, 2};
    f.maxAccumulators = 6;
    f.decodeMaxTileN = 1;
    f.define = [](func::FuncOp fn, const KernelChoice &choice) {
      defineLaneKernel(fn, choice, 32,
                       intrinsicAccumulate("llvm.x86.avx512.vpdpbusd.256"));
    };
    return f;
  }();
  return f;
}
