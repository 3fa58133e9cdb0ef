//===- Tuner.h - tern tune: search kernel choices on this CPU ---*- C++ -*-===//
//
// For each matmul shape, generates and times real candidates (every kernel
// family the host runs x the layouts it reads x tiles) with KernelJit on
// the executable's threads (columns split as tern_parallel_for splits
// them, weights streamed from 256 MiB of copies), then times the default
// and the three fastest in turn five times (fresh weight copies each time) and records the median winner
// (the default unless another is 3 % faster) with the default's time
// beside it in a TuningDb. Prefill shapes are tuned on the layout their
// decode entry chose. Resumable: shapes already in the database for this
// CPU are kept unless `retune`; the file is rewritten after every shape.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_TUNING_TUNER_H
#define TERN_COMPILER_TUNING_TUNER_H

#include "compiler/Tuning/TuningDb.h"

#include "llvm/Support/raw_ostream.h"

#include <array>
#include <vector>

namespace mlir::tern {

struct TuneOptions {
  std::vector<std::array<int64_t, 3>> shapes; ///< M x N x K
  std::string output;                         ///< tuning.json (read if present)
  /// Seconds to spend (0: no limit), shared evenly among the shapes; every
  /// shape still gets at least its default timed and recorded.
  double budgetSeconds = 0;
  bool retune = false;
  /// Progress lines (a bar per shape), or null.
  llvm::raw_ostream *progress = nullptr;
  /// Also one line per candidate timed.
  bool verbose = false;
  /// Threads the kernels are timed on (their columns split as the
  /// executable splits them); 0: all hardware threads, the executables'
  /// default.
  int threads = 0;
};

/// The candidates tried for one shape on the host, the default first
/// (prefill: tiles of at least min(M, 4) rows; decode on avx2 and vnni512:
/// one column per tile).
std::vector<KernelChoice> tuningCandidates(int64_t m, int64_t n, int64_t k);

/// Seconds per call of a kernel on [m, n] columns split over `threads`
/// (best of several timed batches after a warm-up).
llvm::Expected<double> timeKernel(const KernelChoice &c, int64_t m, int64_t n,
                                  int64_t k, int threads = 1);

llvm::Error tune(const TuneOptions &options);

} // namespace mlir::tern

#endif // TERN_COMPILER_TUNING_TUNER_H
