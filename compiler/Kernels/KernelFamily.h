//===- KernelFamily.h - The registry of generated kernel families -*- C++ -*-===//
//
// A kernel family is one way of computing a ternary matmul
// acc[M, N] = a[M, K] x W[N, K]^T (int8 activations, packed ternary
// weights, exact int32 results) on some CPUs: its name, the ISA features
// it needs, the layouts it reads, its default tile and how `tern tune`
// searches its tiles, and the generator of its kernel bodies. Each family
// is one `KernelFamily` row defined in its own file (Families/Avx2.cpp,
// ...) and listed once in Families.def; every list of families (help
// texts, tuner candidates, target defaults, the `#tern.kernel` verifier,
// docs) is derived from the registry. docs/adding-a-lowering.md walks
// through adding one.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_KERNELS_KERNELFAMILY_H
#define TERN_COMPILER_KERNELS_KERNELFAMILY_H

#include "compiler/Packings/Packing.h"
#include "compiler/Target/Target.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
class OpBuilder;
namespace func {
class FuncOp;
}
namespace tern {

class KernelAttr;
struct KernelFamily;

/// Activation rows x output columns (lookup-table families: groups of 32
/// columns) computed together.
struct Tile {
  int64_t m = 1, n = 1;
  bool operator==(const Tile &o) const { return m == o.m && n == o.n; }
};

/// LLVM's prefetch locality hint when none is chosen (#tern.kernel's
/// `locality` default, KernelAttr::kDefaultLocality): 1, `prefetcht2`.
constexpr int64_t kDefaultPrefetchLocality = 1;

/// How messages name a prefetch locality after the distance: " into L1"
/// (3), "" (the default), else " (locality L)".
std::string prefetchLocalityText(int64_t locality);

/// How one matmul is computed: the C++ form of `#tern.kernel`.
struct KernelChoice {
  const KernelFamily *family = nullptr;
  Layout layout;
  Tile tile;
  /// Bytes ahead in the weight stream that the kernel prefetches (0: none;
  /// only families with `prefetches`).
  int64_t prefetch = 0;
  /// LLVM's prefetch locality hint for those prefetches (#tern.kernel's
  /// `locality`; Target::streamPrefetchLocality).
  int64_t locality = kDefaultPrefetchLocality;

  explicit operator bool() const { return family != nullptr; }
  bool operator==(const KernelChoice &o) const {
    return family == o.family && layout == o.layout && tile == o.tile &&
           prefetch == o.prefetch && locality == o.locality;
  }
  /// "vnni512 i2 b256 tile 8x2" (", prefetch 5120" when it prefetches,
  /// " into L1" with locality 3)
  std::string str() const;
  KernelAttr attr(MLIRContext *ctx) const;
  /// The choice an attribute names; fails (empty) for a family the
  /// registry does not have.
  static KernelChoice fromAttr(KernelAttr attr);
};

/// Blocks per thread's part of the parallel calls whose work per call is
/// only their range (matmuls of most families, attention, the head): on
/// the 2B4T shape, prefill 1.10-1.14x and decode 1.02-1.05x the static
/// split in the median (2 vCPUs of a Zen 5, `tools/bench.py
/// models/bench/2b4t-split.json`; docs/performance.md, "Balanced parallel
/// regions").
constexpr int64_t kParallelBlocks = 8;

/// The largest block, in weight bytes, of a parallel call that streams its
/// weights for one row of activations (decode's matmuls and head): the
/// thread that runs out of blocks first then waits for at most one such
/// block of the other's. kParallelBlocks alone cut the 2B4T shape's head
/// into blocks of 41 MB and gate/up into 553 KB; bounded to 128 KiB,
/// decode ran faster (docs/performance.md, "Balanced parallel regions").
/// Prefill keeps kParallelBlocks: its calls are long and compute-bound.
constexpr int64_t kStreamBlockBytes = 128 * 1024;

/// `tern.block` for a call that streams `bytesPerItem` weight bytes per
/// item of its range.
inline int64_t streamBlockItems(int64_t bytesPerItem) {
  return bytesPerItem >= kStreamBlockBytes
             ? 1
             : kStreamBlockBytes / std::max<int64_t>(1, bytesPerItem);
}

/// The most items of a block of a matmul call of `rows` activation rows
/// over `units` range items and `bytes` of weights, with `blocks` blocks
/// per thread: streamBlockItems for one row, 0 (no bound) otherwise and on
/// the static split.
inline int64_t matmulBlockItems(int64_t rows, int64_t blocks, int64_t bytes,
                                int64_t units) {
  return rows == 1 && blocks > 1 && units > 0
             ? streamBlockItems(bytes / units)
             : 0;
}

struct KernelFamily {
  /// The name in `#tern.kernel`, tuning files and help texts.
  llvm::StringRef name;
  /// One line for help texts and docs.
  llvm::StringRef summary;
  /// The architecture whose targets can run it.
  llvm::Triple::ArchType arch = llvm::Triple::UnknownArch;
  /// LLVM features: the family runs where all of one of these sets are
  /// present (e.g. {{"avxvnni"}, {"avx512vnni", "avx512vl"}}).
  llvm::SmallVector<llvm::SmallVector<llvm::StringRef, 2>, 2> features;
  /// Rank among the target's families without a tuning database, for
  /// decode (M = 1) and prefill (M > 1): lower first; kNever: chosen only
  /// by a tuning database or `--packing` (or where nothing else reads the
  /// layout).
  int decodeRank = kNever, prefillRank = kNever;
  static constexpr int kNever = 1000;
  /// Whether the family reads weights in `layout` (which already fits
  /// rows of k) for rows of k weights.
  bool (*reads)(const Layout &layout, int64_t k) = nullptr;
  /// The block of the layout this family reads best for rows of k (0:
  /// none), in `preferredPacking` (null: i2); the default layout of a
  /// weight is the first prefill family's preferred layout that fits it.
  int64_t (*preferredBlock)(int64_t k) = nullptr;
  const Packing *preferredPacking = nullptr;
  /// The default tile for M rows of K, where the kernel prefetches
  /// `prefetch` bytes ahead in its weight stream (0: the hardware
  /// prefetchers alone; withPrefetch's distance for the family and M).
  Tile (*defaultTile)(int64_t m, int64_t k, int64_t prefetch) = nullptr;
  /// The tiles `tern tune` tries: sides up to maxTile, at most
  /// maxAccumulators = m x n, and for decode (M = 1) at most
  /// decodeMaxTileN columns.
  Tile maxTile{8, 8};
  int64_t maxAccumulators = 16;
  int64_t decodeMaxTileN = 8;
  /// Whether its kernels take a prefetch distance (#tern.kernel's
  /// `prefetch`): families that stream each column's weights in order.
  bool prefetches = false;
  /// Whether its prefill kernels (more than kPrefetchRows rows) prefetch
  /// too: where prefill reads the weights faster than the hardware
  /// prefetchers keep up (vnni512 on a Zen 5: 1.04-1.14x per 64-row
  /// kernel; avx2 0.82-1.02x, vnni 0.97-1.01x, so those do not;
  /// docs/performance.md, "Prefetching the weight stream").
  bool prefetchesPrefill = false;
  /// Rows and columns per step of its tiles: #tern.kernel's tile [TM, TN]
  /// is TM x tileUnit.m activation rows and TN x tileUnit.n columns (amx:
  /// tiles of 16 x 16).
  Tile tileUnit{1, 1};
  /// The fewest activation rows it computes by default and `tern tune`
  /// tries it for (amx: 16, one full tile).
  int64_t minRows = 1;
  /// Blocks each thread's part of a parallel matmul call is cut into, for
  /// the runtime to hand to threads that are free (`tern.parallel = N` on
  /// the call; tern_abi.h's tern_parallel_for): kParallelBlocks, or 1 (the
  /// static split) where a call does work of its own that more calls would
  /// repeat (amx: the activations' transposition).
  int64_t parallelBlocks = kParallelBlocks;
  /// Process state the kernels need from the operating system before they
  /// run ("amx-tiles": Linux's permission for the AMX tile data; empty:
  /// none). Executables that use the family record it in their payload
  /// (tern.cpu_state) and ask for it at start-up (runtime/support/CpuState.h).
  llvm::StringRef osState;
  /// Generates the body of an external kernel declaration
  /// `(memref<MxKxi8> a, memref<N x rowBytes x i8> w, memref<MxNxi32> out,
  /// index begin, index end)` computing the output units [begin, end)
  /// (columns, or groups of layout.rowGroup() columns) with `choice`.
  void (*define)(func::FuncOp fn, const KernelChoice &choice) = nullptr;
  /// The family's multiply-add of unsigned by signed bytes in groups of 4
  /// (0: none): `quadDot(b, loc, acc, u, s)` with u and s
  /// vector<quadBytes x i8> and acc vector<quadBytes/4 x i32> returns acc
  /// plus, in lane l, the sum over j < 4 of u[4l + j] * s[4l + j], exact
  /// while every u is at most 127 (i16 pair sums stay in range; a signed
  /// multiply reads u as it is). The integer heads (`tern.lm_head ... {dot
  /// = "family"}`: q4's nibbles, int8's |token row|) use the first such
  /// family a target runs (decode rank order).
  int64_t quadBytes = 0;
  Value (*quadDot)(OpBuilder &b, Location loc, Value acc, Value u,
                   Value s) = nullptr;
  /// Whether quadDot stays exact for every u up to 255 (a whole unsigned
  /// byte times a signed one, as vpdpbusd multiplies): the screened head's
  /// scan then multiplies the codes offset by 128 against signed digits of
  /// the token row, as the int8 head's loads do (ScreenScanLowering.cpp).
  bool quadDotFullBytes = false;

  /// Whether a target can run it.
  bool runsOn(const Target &target) const;
};

/// Every registered family, in Families.def's order.
llvm::ArrayRef<const KernelFamily *> kernelFamilies();
/// The family of that name, or null.
const KernelFamily *findKernelFamily(llvm::StringRef name);
/// "avx2, vnni, ..." for messages and help texts.
std::string kernelFamilyNames();
/// Marks the declaration of a family's multiply-add of byte quads
/// `(vector<Q/4 x i32>, vector<Q x i8>, vector<Q x i8>) -> vector<Q/4 x
/// i32>` (Q = quadBytes) that the integer heads call; generate-tern-kernels
/// gives it its body (an LLVM intrinsic, which buffer deallocation cannot
/// see through) and has LLVM inline it.
constexpr const char *kQuadDotDeclAttr = "tern.quad_dot";

/// The family whose quadDot the integer heads use on `target` (the
/// first by decode rank that has one), or null (plain vector arithmetic).
const KernelFamily *quadDotFamilyFor(const Target &target);
/// Why `family` cannot be a head's `dot` ("" when it can).
std::string checkQuadDot(llvm::StringRef family);

/// The families `target` runs, in registry order.
std::vector<const KernelFamily *> familiesFor(const Target &target);
/// The LLVM features that decide which families `target` runs, those it
/// has (recorded in tuning files).
std::vector<std::string> kernelFeatures(const Target &target);

/// Why `family` cannot compute matmuls on rows of k weights in `layout`
/// with a prefetch distance of `prefetch` bytes ("" when it can; k = 0: any
/// k the layout fits).
std::string checkKernel(llvm::StringRef family, const Layout &layout,
                        int64_t k = 0, int64_t prefetch = 0);

/// The most activation rows whose kernels prefetch, for families without
/// `prefetchesPrefill`: decode and batched decode of up to 4 streams.
/// Batched decode on the 2B4T shape (Xeon, AVX-512 VNNI): 2 streams 1.15x,
/// 4 streams 1.11x with prefetching; within the noise at 8 and 16.
constexpr int64_t kPrefetchRows = 4;

/// `c` with the prefetch distance a matmul of M rows gets: `bytes` (the
/// target's, Target::streamPrefetch, or --prefetch) where the family
/// prefetches and M <= kPrefetchRows or the family prefetches in prefill
/// too, else 0, with `locality` where it prefetches
/// (Target::streamPrefetchLocality).
KernelChoice withPrefetch(KernelChoice c, int64_t m, int64_t bytes,
                          int64_t locality = kDefaultPrefetchLocality);

/// Installs the registry's check of `#tern.kernel` family names in the
/// tern dialect of every context created with `registry`.
void registerKernelRegistry(DialectRegistry &registry);

/// The registry's rows (one per line of Families.def).
#define TERN_KERNEL_FAMILY(ID) const KernelFamily &ID##Family();
#include "compiler/Kernels/Families.def"

} // namespace tern
} // namespace mlir

#endif // TERN_COMPILER_KERNELS_KERNELFAMILY_H
