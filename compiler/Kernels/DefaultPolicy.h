//===- DefaultPolicy.h - Kernel choices without a tuning database -*- C++ -*-===//
//
// What `tern compile` generates for a target when no tuning database says
// otherwise, from the registry rows of the families the target runs:
//   - a weight's layout: the layout preferred by the best prefill family
//     that fits it (one packed copy serves decode and prefill);
//   - a matmul's kernel: the best-ranked family for its M (decode: M = 1,
//     prefill: M > 1) that reads the weight's layout, with the family's
//     default tile; else any family that reads it; else none (the
//     reference lowering).
// The ranks and tiles in the rows come from whole-model measurements
// (docs/performance.md).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_KERNELS_DEFAULTPOLICY_H
#define TERN_COMPILER_KERNELS_DEFAULTPOLICY_H

#include "compiler/Kernels/KernelFamily.h"

namespace mlir::tern {

/// `f`'s preferred layout for an [n, k] weight (its preferredBlock in its
/// preferredPacking), or an empty one where that does not fit.
Layout preferredLayout(const KernelFamily &f, int64_t n, int64_t k);

/// The default layout of an [n, k] weight on a target running `families`:
/// the first prefill-ranked family's preferred layout that fits; else i2 in one block per row where a ranked family reads
/// that; else i2 in one block per row for the reference lowering; an empty
/// layout (unpacked) where i2 cannot pack k.
Layout defaultLayout(llvm::ArrayRef<const KernelFamily *> families, int64_t n,
                     int64_t k);

/// The default kernel for M rows of an [n, k] weight stored in `layout`,
/// prefetching `prefetch` bytes ahead with `locality` where the family
/// does for M rows (withPrefetch; the target's Target::streamPrefetch(M)
/// or --prefetch), its tile chosen for that; empty where no family reads
/// it.
KernelChoice defaultKernel(llvm::ArrayRef<const KernelFamily *> families,
                           int64_t m, int64_t n, int64_t k,
                           const Layout &layout, int64_t prefetch,
                           int64_t locality = kDefaultPrefetchLocality);

/// `families` sorted by their default rank for M rows (decode: M = 1),
/// those never chosen by default, or not for M rows (minRows), left out.
std::vector<const KernelFamily *>
rankedFamilies(llvm::ArrayRef<const KernelFamily *> families, int64_t m);

} // namespace mlir::tern

#endif // TERN_COMPILER_KERNELS_DEFAULTPOLICY_H
