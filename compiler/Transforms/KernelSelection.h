//===- KernelSelection.h - What tern compile chooses per weight -*- C++ -*-===//
//
// The decisions tern-select-kernels makes, as plain functions so that
// `tern tune` times exactly what `tern compile` would generate:
//   - a weight's layout: the layout of the decode (M = 1) entry of the
//     tuning database nearest its shape (a weight has one packed copy for
//     decode and prefill), where it fits; else a requested packing
//     (`--packing`) in one block per row where a family of the target reads
//     it; else the default (compiler/Kernels/DefaultPolicy.h);
//   - a matmul's kernel: the nearest database entry's family and tile for
//     its M where that family reads the weight's layout; else the default
//     for that layout; decode kernels (up to kPrefetchRows rows; prefill
//     too where the family says so) of families that prefetch get the
//     prefetch distance (the target's unless given).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_TRANSFORMS_KERNELSELECTION_H
#define TERN_COMPILER_TRANSFORMS_KERNELSELECTION_H

#include "compiler/Kernels/KernelFamily.h"
#include "compiler/Target/Target.h"
#include "compiler/Tuning/TuningDb.h"

#include <array>

namespace mlir::tern {

class KernelSelector {
public:
  /// `db` (may be null) must outlive the selector; `preferred`: a packing
  /// to store weights in where the target reads it (null: the defaults);
  /// `prefetch`: bytes ahead that decode kernels and the head prefetch
  /// (negative: the target's Target::streamPrefetch); `locality`: LLVM's
  /// locality hint for them (negative: Target::streamPrefetchLocality).
  KernelSelector(Target target, const TuningDb *db = nullptr,
                 const Packing *preferred = nullptr, int64_t prefetch = -1,
                 int64_t locality = -1);

  /// The prefetch distance in bytes (0: none) of kernels and heads over
  /// `rows` token rows.
  int64_t prefetch(int64_t rows) const {
    return prefetch_ < 0 ? target_.streamPrefetch(rows) : prefetch_;
  }
  /// The locality hint of those prefetches.
  int64_t locality() const { return locality_; }

  const Target &target() const { return target_; }
  llvm::ArrayRef<const KernelFamily *> families() const { return families_; }

  /// Why the database cannot be used with this target ("" when it can):
  /// an entry for its CPU names a family it cannot run.
  std::string checkDatabase(const std::string &path) const;

  /// The layout of an [n, k] weight (empty: unpacked, for the reference
  /// lowering).
  Layout layout(int64_t n, int64_t k) const;
  /// Why the requested packing is not used for an [n, k] weight ("" when
  /// it is, or none was requested).
  std::string whyNotPreferred(int64_t n, int64_t k) const;
  /// The kernel for M rows of an [n, k] weight stored in `layout` (empty:
  /// the reference lowering).
  KernelChoice kernel(int64_t m, int64_t n, int64_t k,
                      const Layout &layout) const;
  /// Both: what a matmul of M rows on a fresh [n, k] weight gets.
  KernelChoice choice(int64_t m, int64_t n, int64_t k) const {
    return kernel(m, n, k, layout(n, k));
  }

  /// tern.lm_head's tile for `rows` token rows, all wanted, of a float
  /// head: {vocabulary rows, token rows} per pass over the columns.
  static std::array<int64_t, 2> headTile(Target::VectorRegisters registers,
                                         int64_t rows);

private:
  Layout preferredLayout(int64_t n, int64_t k) const;

  Target target_;
  std::vector<const KernelFamily *> families_;
  const TuningDb *db_;
  const Packing *preferred_;
  int64_t prefetch_; ///< as given (negative: the target's)
  int64_t locality_;
};

} // namespace mlir::tern

#endif // TERN_COMPILER_TRANSFORMS_KERNELSELECTION_H
