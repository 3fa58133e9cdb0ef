//===- KernelJit.h - One generated matmul kernel, JIT-compiled --*- C++ -*-===//
//
// Builds the kernel `tern compile` would generate for one matmul shape and
// KernelChoice (tern-generate-kernels through the lowering pipeline), JIT-
// compiles it for the host CPU with LLVM's O2 pipeline, and calls it on
// caller-provided buffers. The tuner times candidates with it; tests check
// every family and packing of the registry the host runs, at several
// layouts and tiles, bit for bit against the reference matmul.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_TUNING_KERNELJIT_H
#define TERN_COMPILER_TUNING_KERNELJIT_H

#include "compiler/Kernels/KernelFamily.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlir::tern {

class KernelJit {
public:
  ~KernelJit();
  /// Fails with a message naming the choice and shape (e.g. a family the
  /// host cannot run, a block the family does not read).
  static llvm::Expected<std::unique_ptr<KernelJit>>
  create(const KernelChoice &choice, int64_t m, int64_t n, int64_t k);

  /// out[r, c] = sum_j a[r, j] * t[c, j] for rows [0, m) and the columns
  /// of units [begin, end) (see units()): `a` is [m, k] int8, `w` the [n, k]
  /// ternary weights packed in the choice's layout (Layout::pack), `out` is
  /// [m, n] int32 (other columns untouched).
  void run(const int8_t *a, const uint8_t *w, int32_t *out, int64_t begin,
           int64_t end) const;

  int64_t m() const { return m_; }
  int64_t n() const { return n_; }
  /// The kernel's range: n columns, or n / 32 groups of 32 for lut2i.
  int64_t units() const { return units_; }
  int64_t k() const { return k_; }

private:
  KernelJit() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t m_ = 0, n_ = 0, k_ = 0, rowBytes_ = 0, units_ = 0;
};

/// The families this machine runs, in registry order (those that need a
/// process state, AMX tiles, only where this process was granted it).
std::vector<const KernelFamily *> hostFamilies();

} // namespace mlir::tern

#endif // TERN_COMPILER_TUNING_KERNELJIT_H
