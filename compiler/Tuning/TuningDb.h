//===- TuningDb.h - Kernel choices per CPU and matmul shape -----*- C++ -*-===//
//
// A tuning database (tuning.json, written by `tern tune`, read by
// `tern compile --tuning-db`) records, per CPU and matmul shape
// (M token rows x N outputs x K inputs), the kernel that ran fastest: its
// family, the packing and block the weights are stored in, and its tile.
// The file:
//
//   {"format": "tern-tuning", "version": 1,
//    "entries": [{"cpu": "znver3", "features": ["avx2"],
//                 "m": 1, "n": 2560, "k": 2560,
//                 "family": "avx2", "packing": "i2", "block": 128,
//                 "tile_m": 1, "tile_n": 4,
//                 "threads": 2, "seconds": 2.1e-5,
//                 "default_seconds": 3.5e-5, "step_seconds": 0.0143,
//                 "default_step_seconds": 0.0153}]}
//
// ("packing" is "i2", "base3v" or "lut2i"; absent: i2. `seconds`: per
// call of the kernel timed alone, for the choice and for the default
// choice the compiler makes without a database; `step_seconds`: a model
// step (all layers' matmuls at this M) with each, which decided; absent
// or 0 where only the default was timed.)
//
// Without a database, defaultChoice() is what the compiler uses.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_TUNING_TUNINGDB_H
#define TERN_COMPILER_TUNING_TUNINGDB_H

#include "compiler/Conversion/TernToKernels/TernToKernels.h"
#include "runtime/ternary/Packing.h"

#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::tern {

/// How one matmul is compiled.
struct KernelChoice {
  kernels::KernelConfig kernel;
  PackingKind packing = PackingKind::i2; ///< how the weights are stored
  int64_t block = 128;                   ///< their block
  bool operator==(const KernelChoice &o) const {
    return kernel.family == o.kernel.family &&
           kernel.tileM == o.kernel.tileM && kernel.tileN == o.kernel.tileN &&
           packing == o.packing && block == o.block;
  }
  /// "i2 b128", "base3v b320".
  std::string layoutName() const;
  /// The runtime's description of the layout (for packTernary).
  ::tern::PackedLayout packedLayout() const {
    return {toRuntimeKind(packing), block};
  }
};

struct TuningEntry {
  std::string cpu;                   ///< LLVM's CPU name (znver3, ...)
  std::vector<std::string> features; ///< kernel-relevant ISA features
  int threads = 1;                   ///< threads the kernels were timed on
  int64_t m = 0, n = 0, k = 0;
  KernelChoice choice;
  double seconds = 0, defaultSeconds = 0;         ///< per call, alone
  double stepSeconds = 0, defaultStepSeconds = 0; ///< a model step
};

class TuningDb {
public:
  /// Reads `path`; errors name the file and the entry.
  static llvm::Expected<TuningDb> load(const std::string &path);
  /// Writes atomically (a temporary file renamed over `path`).
  llvm::Error save(const std::string &path) const;

  /// The entry for exactly this CPU and shape, or null.
  const TuningEntry *find(llvm::StringRef cpu, int64_t m, int64_t n,
                          int64_t k) const;
  /// The entry for this CPU and weight shape whose M is closest to `m`
  /// (log scale) on the same side (decode: M = 1; prefill: M > 1), or
  /// null.
  const TuningEntry *nearest(llvm::StringRef cpu, int64_t m, int64_t n,
                             int64_t k) const;
  /// Adds or replaces the entry of the same CPU and shape.
  void put(const TuningEntry &entry);

  const std::vector<TuningEntry> &entries() const { return entries_; }

private:
  std::vector<TuningEntry> entries_;
};

/// The kernel-relevant ISA features of a target, in a fixed order
/// (avx2, avxvnni, avx512vnni, avx512vl; neon, dotprod, sve).
std::vector<std::string> kernelFeatures(
    const std::function<bool(llvm::StringRef)> &hasFeature, bool x86);

/// The families a target with these features can run, fastest first
/// (e.g. {"vnni", "avx2"}).
std::vector<std::string> familiesFor(const std::vector<std::string> &features);

/// The choice without a database on a target that runs `families`
/// (familiesFor's order) for M rows; see TuningDb.cpp for the measurements
/// behind it.
KernelChoice defaultChoice(const std::vector<std::string> &families,
                           int64_t m, int64_t n, int64_t k);

/// The layout tern compile stores an [n, k] weight in on `cpu`: the choice
/// of the decode (M = 1) entry of `db` nearest this shape when it fits the
/// shape, else `preferred` in whole rows where a family reads it, else the
/// default's ({i2, 0} where no family reads K: the generic kernels).
::tern::PackedLayout compiledLayout(const TuningDb *db, llvm::StringRef cpu,
                                    const std::vector<std::string> &families,
                                    int64_t n, int64_t k,
                                    ::tern::PackingKind preferred =
                                        ::tern::PackingKind::I2);

/// The kernel tern compile generates for M rows of an [n, k] weight stored
/// in `layout`: the nearest entry's of `db` when its family reads the
/// layout, else the default's, else the first family that reads it (with
/// the default's tile; lookup tables: 1x2 decode, 2x2 prefill). None where
/// no family reads it (the generic lowering).
std::optional<kernels::KernelConfig>
compiledKernel(const TuningDb *db, llvm::StringRef cpu,
               const std::vector<std::string> &families, int64_t m, int64_t n,
               int64_t k, ::tern::PackedLayout layout);

/// compiledLayout and compiledKernel together, for the tuner's model step.
std::optional<KernelChoice>
compiledChoice(const TuningDb *db, llvm::StringRef cpu,
               const std::vector<std::string> &families, int64_t m, int64_t n,
               int64_t k);

} // namespace mlir::tern

#endif // TERN_COMPILER_TUNING_TUNINGDB_H
