//===- Tuner.h - tern tune: search kernel choices on this CPU ---*- C++ -*-===//
//
// For each matmul shape, generates and times real candidates (every kernel
// family the host runs x the layouts it reads x tiles) with KernelJit on
// the executable's threads (columns split as tern_parallel_for splits
// them, weights streamed from 256 MiB of copies) to pick three finalists.
// The default and the finalists are then timed in turn five times inside
// a model step (every matmul of every layer at that M, the other shapes on
// their current choices), and a finalist replaces the default only where
// the whole step runs faster (4 of 5 rounds, 1 % in the median). The
// choice, both times alone and both step times go into a TuningDb.
// Decode (M = 1) keeps the default unless `searchDecode` (searched
// choices that won in the model step have lost in whole-model runs: tern
// tune searches decode when it checks the result in the executable,
// ExecutableCheck.h). Prefill shapes are tuned on the layout their decode
// entry chose.
// Resumable: shapes already in the database for this CPU are kept unless
// `retune`; the file is rewritten after every shape.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_TUNING_TUNER_H
#define TERN_COMPILER_TUNING_TUNER_H

#include "compiler/Target/Target.h"
#include "compiler/Tuning/TuningDb.h"

#include "llvm/Support/raw_ostream.h"

#include <array>
#include <vector>

namespace mlir::tern {

struct TuneOptions {
  std::vector<std::array<int64_t, 3>> shapes; ///< M x N x K
  std::string output;                         ///< tuning.json (read if present)
  /// Seconds of screening (0: no limit), shared evenly among the shapes;
  /// every shape still gets at least its default timed and recorded. The
  /// finalists' model-step rounds come on top (a few seconds per decode
  /// shape of 2B4T, 10-30 per prefill shape).
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
  /// One layer's matmuls in order ([n, k], as tern compile generates them)
  /// and the number of layers: the model step in which finalists are
  /// timed. Empty: the tuned shapes of the same M, once each, repeated
  /// until their weights exceed 256 MiB.
  std::vector<std::array<int64_t, 2>> layer;
  int64_t layers = 0;
  /// The target tuned for (tern tune --target): its CPU name keys the
  /// database, its families are searched; the host must run them.
  /// Empty name: this machine.
  Target target;
  /// Search decode (M = 1) shapes too. Off: decode keeps the default
  /// (recorded with its time alone). Choices that won in the model step
  /// have decoded slower in the executable (docs/performance.md): search
  /// decode where checkExecutables judges the result.
  bool searchDecode = false;
};

/// The candidates tried for one shape on a target running `families`, the
/// default first: every family x every layout it reads among the
/// packings' tune blocks x tiles of 1-8 rows and columns within the
/// family's limits (decode: at most decodeMaxTileN columns). Prefill
/// tiles have at least min(M, 4) rows; decode where `prefillRows` > 1 are
/// tuned too keeps to layouts the prefill default family reads. Candidates
/// of families that prefetch carry `prefetch` (bytes) with `locality` where
/// KernelSelector gives them one (withPrefetch).
std::vector<KernelChoice>
tuningCandidates(llvm::ArrayRef<const KernelFamily *> families, int64_t m,
                 int64_t n, int64_t k, int64_t prefillRows = 0,
                 int64_t prefetch = 0,
                 int64_t locality = kDefaultPrefetchLocality);

llvm::Error tune(const TuneOptions &options);

} // namespace mlir::tern

#endif // TERN_COMPILER_TUNING_TUNER_H
