//===- TuningDb.h - Kernel choices per CPU and matmul shape -----*- C++ -*-===//
//
// A tuning database (tuning.json, written by `tern tune`, read by
// `tern compile --tuning-db` through tern-select-kernels) records, per CPU
// and matmul shape (M token rows x N outputs x K inputs), the kernel that
// ran fastest: its family, the packing and block the weights are stored in,
// and its tile. The file:
//
//   {"format": "tern-tuning", "version": 1,
//    "entries": [{"cpu": "znver3", "features": ["avx2"],
//                 "m": 1, "n": 2560, "k": 2560,
//                 "family": "avx2", "packing": "i2", "block": 128,
//                 "tile_m": 1, "tile_n": 4,
//                 "threads": 2, "seconds": 2.1e-5,
//                 "default_seconds": 3.5e-5, "step_seconds": 0.0143,
//                 "default_step_seconds": 0.0153}],
//    "checks": [{"cpu": "znver3", "threads": 2, "model": "2b4t.gguf",
//                "trial": "decode+prefill", "prompt": 128, "gen": 32,
//                "default_pp": [...], "tuned_pp": [...],
//                "default_tg": [...], "tuned_tg": [...],
//                "kept": true}]}
//
// ("family" and "packing" name rows of the kernel and packing registries;
// "packing" absent: i2. `seconds`: per call of the kernel timed alone, for
// the choice and for the default choice the compiler makes without a
// database; `step_seconds`: a model step (all layers' matmuls at this M)
// with each, which decided; absent or 0 where only the default was
// timed. An entry whose model-step choice the whole executable ran
// slower with holds the default and, under "rejected", that choice, in the
// same fields (family, packing, block, tile_m, tile_n, seconds,
// step_seconds).)
// "checks" are the whole-executable trials that decided (tern tune's
// ExecutableCheck.h): tokens/s per alternating round of the executable
// compiled without the database and with it.
//
// This file only loads, checks and saves; what the choices mean for a
// compile is tern-select-kernels' (compiler/Transforms/KernelSelection.h).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_TUNING_TUNINGDB_H
#define TERN_COMPILER_TUNING_TUNINGDB_H

#include "compiler/Kernels/KernelFamily.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir::tern {

struct TuningEntry {
  std::string cpu;                   ///< LLVM's CPU name (znver3, ...)
  std::vector<std::string> features; ///< kernel-relevant ISA features
  int threads = 1;                   ///< threads the kernels were timed on
  int64_t m = 0, n = 0, k = 0;
  KernelChoice choice;
  double seconds = 0, defaultSeconds = 0;         ///< per call, alone
  double stepSeconds = 0, defaultStepSeconds = 0; ///< a model step
  /// The choice the model step picked and the whole executable ran slower
  /// with (empty: none); `choice` and the times above are then the
  /// default's, and these the rejected choice's.
  KernelChoice rejected;
  double rejectedSeconds = 0, rejectedStepSeconds = 0;
};

/// One whole-executable trial of a database's choices for one CPU: the
/// executables compiled without and with them, run in alternating rounds.
struct TuningCheck {
  std::string cpu;
  int threads = 0;   ///< 0: the executables' default (all hardware threads)
  std::string model; ///< file name of the model compiled
  std::string trial; ///< which entries: "decode+prefill", "decode", ...
  int64_t prompt = 0, gen = 0; ///< tokens of the pp and tg tests
  /// Tokens/s per round.
  std::vector<double> defaultPp, tunedPp, defaultTg, tunedTg;
  bool kept = false; ///< the trial's choices stayed in the database
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

  /// Drops the whole-executable trials recorded for `cpu` (a new check
  /// replaces them).
  void clearChecks(llvm::StringRef cpu);
  void addCheck(const TuningCheck &check) { checks_.push_back(check); }
  const std::vector<TuningCheck> &checks() const { return checks_; }

private:
  std::vector<TuningEntry> entries_;
  std::vector<TuningCheck> checks_;
};

} // namespace mlir::tern

#endif // TERN_COMPILER_TUNING_TUNINGDB_H
