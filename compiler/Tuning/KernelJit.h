//===- KernelJit.h - One generated matmul kernel, JIT-compiled --*- C++ -*-===//
//
// Builds the kernel `tern compile` would generate for one matmul shape and
// KernelChoice (tern-generate-kernels through the lowering pipeline), JIT-
// compiles it for the host CPU as tern compile optimizes the executable
// (compiler/Target/TargetMachine.h), and calls it on caller-provided
// buffers (to be timed as the executable runs it: 64-byte aligned, see
// AlignedArray). The tuner times candidates with it; tests check
// every family and packing of the registry the host runs, at several
// layouts and tiles, bit for bit against the reference matmul.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_TUNING_KERNELJIT_H
#define TERN_COMPILER_TUNING_KERNELJIT_H

#include "compiler/Kernels/KernelFamily.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/ErrorHandling.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
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

/// `count` zeroed values of T at a 64-byte boundary, as the executable's
/// activation and weight buffers are. Kernels timed on std::vector buffers
/// (16-byte aligned), whose 512-bit loads each straddle two cache lines,
/// ran up to 1.65x slower than in the executable and were misjudged
/// against 256-bit ones (docs/performance-log.md, 2026-12-04 entry 6).
template <typename T> class AlignedArray {
public:
  AlignedArray() = default;
  explicit AlignedArray(size_t count)
      : data_(static_cast<T *>(std::aligned_alloc(
            64, std::max<size_t>((count * sizeof(T) + 63) / 64 * 64, 64)))),
        size_(count) {
    if (!data_)
      llvm::report_bad_alloc_error("AlignedArray: out of memory");
    std::memset(static_cast<void *>(data_.get()), 0, count * sizeof(T));
  }
  T *data() const { return data_.get(); }
  size_t size() const { return size_; }
  T *begin() const { return data_.get(); }
  T *end() const { return data_.get() + size_; }
  T &operator[](size_t i) const { return data_.get()[i]; }

private:
  struct Free {
    void operator()(T *p) const { std::free(p); }
  };
  std::unique_ptr<T, Free> data_;
  size_t size_ = 0;
};

/// The families this machine runs, in registry order (those that need a
/// process state, AMX tiles, only where this process was granted it).
std::vector<const KernelFamily *> hostFamilies();

} // namespace mlir::tern

#endif // TERN_COMPILER_TUNING_KERNELJIT_H
