//===- ExecutableCheck.h - tern tune checked in the executable -*- C++ -*-===//
//
// The tuner (Tuner.h) picks kernels in a model step: every matmul of every
// layer, but not the head, attention or the layer code between matmuls.
// Choices that won there have decoded slower in the executable
// (docs/performance.md), so the last decision is made on what users run:
// the model compiled twice (without the tuning database and with it, the
// same flags otherwise) and each executable's `bench` run in alternating
// rounds (ABBA order), a pp test of two prefill chunks and a tg test of 32
// tokens per round.
//
// Decode choices (M = 1) are judged by tg, prefill choices by pp. A trial
// is kept when every phase whose kernels changed is faster in at least 4
// of 5 rounds (80 %) and by at least 1 % in the median ratio, and no phase
// is more than 1 % slower in the median. Otherwise the phases that gained
// (and did not slow the other) are tried alone in a second trial; what is
// not kept goes back to the default in the database (the model step's
// choice recorded as "rejected"), so the tuned executable is the default
// one wherever the check did not find it faster. Every trial's figures are
// written to the database's "checks".
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_TUNING_EXECUTABLECHECK_H
#define TERN_COMPILER_TUNING_EXECUTABLECHECK_H

#include "compiler/Target/Target.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace mlir::tern {

/// One phase (pp or tg) of a trial: tokens/s of the tuned executable over
/// the default's, per round.
struct PhaseJudgement {
  std::vector<double> ratios;
  double median = 1, min = 1, max = 1;
  int faster = 0; ///< rounds in which the tuned executable was faster

  /// Faster in >= 80 % of the rounds, by >= 1 % in the median.
  bool gains() const;
  /// No more than 1 % slower in the median (or not measured).
  bool holds() const;
};

/// From tokens/s per round (equal lengths; empty: not measured).
PhaseJudgement judgePhase(const std::vector<double> &defaultRates,
                          const std::vector<double> &tunedRates);

/// What a trial keeps: the decode choices when `decodeChanged`, the
/// prefill choices when `prefillChanged`.
struct TrialVerdict {
  bool kept = false; ///< the whole trial stays
  /// When not kept: which of the changed phases to try alone next (both
  /// false: none; revert everything).
  bool retryDecode = false, retryPrefill = false;
};
TrialVerdict judgeTrial(const PhaseJudgement &pp, const PhaseJudgement &tg,
                        bool decodeChanged, bool prefillChanged);

struct CheckOptions {
  std::string model;  ///< the model tern tune tuned
  std::string dbPath; ///< the database to check (rewritten)
  /// The target as tern compile --target names it, and resolved.
  std::string targetName = "native";
  Target target;
  int64_t prefillRows = 64; ///< as tern compile --prefill
  int threads = 0;          ///< bench -t (0: the executables' default)
  int rounds = 5;
  int64_t gen = 32; ///< tokens of the tg test
  /// tern compile's --runtime-dir (empty: the driver's default).
  std::string runtimeLibDir;
  llvm::raw_ostream *progress = nullptr;
};

/// Compiles, runs and judges as above; rewrites the database.
llvm::Error checkExecutables(const CheckOptions &options);

} // namespace mlir::tern

#endif // TERN_COMPILER_TUNING_EXECUTABLECHECK_H
