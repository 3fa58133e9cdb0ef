//===- ExecutableCheckTest.cpp - tern tune's whole-executable decision ----===//
//
// The rule that keeps or rejects tuned choices from the executables'
// alternating rounds (ExecutableCheck.h), on given figures. The check
// itself (compile, run, rewrite the database) is exercised by
// lit-tests/tools/tern-tune.test.
//
//===----------------------------------------------------------------------===//

#include "compiler/Tuning/ExecutableCheck.h"

#include <gtest/gtest.h>

using namespace mlir::tern;

namespace {
/// Tokens/s of five rounds: the default at `base`, tuned at base * ratio.
std::pair<std::vector<double>, std::vector<double>>
rounds(double base, std::vector<double> ratios) {
  std::vector<double> d, t;
  for (double r : ratios) {
    d.push_back(base);
    t.push_back(base * r);
  }
  return {d, t};
}

PhaseJudgement judge(std::vector<double> ratios) {
  auto [d, t] = rounds(20, std::move(ratios));
  return judgePhase(d, t);
}
} // namespace

TEST(JudgePhase, MedianSpreadAndRoundsFaster) {
  PhaseJudgement j = judge({1.05, 0.98, 1.02, 1.10, 1.03});
  EXPECT_NEAR(j.median, 1.03, 1e-12);
  EXPECT_NEAR(j.min, 0.98, 1e-12);
  EXPECT_NEAR(j.max, 1.10, 1e-12);
  EXPECT_EQ(j.faster, 4);
  EXPECT_TRUE(j.gains()); // all rounds but one, +3 % in the median
  EXPECT_TRUE(j.holds());
  // Three rounds: all must be faster.
  EXPECT_FALSE(judge({1.05, 0.99, 1.04}).gains());
  EXPECT_TRUE(judge({1.05, 1.01, 1.04}).gains());
  // Even counts take the mean of the middle two.
  EXPECT_NEAR(judge({1.0, 1.02, 1.04, 1.2}).median, 1.03, 1e-12);
}

TEST(JudgePhase, SameSpeedNeitherGainsNorLoses) {
  PhaseJudgement same = judge({1, 1, 1, 1, 1});
  EXPECT_EQ(same.faster, 0);
  EXPECT_FALSE(same.gains());
  EXPECT_TRUE(same.holds());
  // Noise around 1: faster in 3 of 5 is not enough.
  EXPECT_FALSE(judge({1.03, 0.97, 1.02, 0.99, 1.04}).gains());
  // Faster in every round but by less than 1 % in the median.
  EXPECT_FALSE(judge({1.005, 1.004, 1.02, 1.001, 1.003}).gains());
  // 2 % slower in the median does not hold.
  PhaseJudgement slower = judge({0.98, 0.97, 1.01, 0.98, 0.99});
  EXPECT_FALSE(slower.holds());
  EXPECT_FALSE(slower.gains());
  // Not measured (no prefill entry point): holds, gains nothing.
  PhaseJudgement none = judgePhase({}, {});
  EXPECT_TRUE(none.holds());
  EXPECT_FALSE(none.gains());
}

TEST(JudgeTrial, KeepsOnlyWhatRunsTheExecutableFaster) {
  const PhaseJudgement faster = judge({1.04, 1.05, 1.03, 1.06, 1.02});
  const PhaseJudgement same = judge({1.0, 1.0, 1.0, 1.0, 1.0});
  const PhaseJudgement slower = judge({0.95, 0.96, 0.97, 0.95, 0.96});
  // pp, tg, decode changed, prefill changed.
  EXPECT_TRUE(judgeTrial(faster, faster, true, true).kept);
  EXPECT_TRUE(judgeTrial(same, faster, true, false).kept);
  EXPECT_TRUE(judgeTrial(faster, same, false, true).kept);
  // A change that runs at the same speed is not kept (the default is).
  TrialVerdict v = judgeTrial(same, same, true, false);
  EXPECT_FALSE(v.kept);
  EXPECT_FALSE(v.retryDecode || v.retryPrefill);
  // Decode faster but prefill slower with decode choices only: the
  // layout decode chose slowed prefill; nothing to retry.
  v = judgeTrial(slower, faster, true, false);
  EXPECT_FALSE(v.kept);
  EXPECT_FALSE(v.retryDecode || v.retryPrefill);
  // Both changed, decode faster, prefill slower: decode's choices alone.
  v = judgeTrial(slower, faster, true, true);
  EXPECT_FALSE(v.kept);
  EXPECT_TRUE(v.retryDecode);
  EXPECT_FALSE(v.retryPrefill);
  // Both changed, prefill faster, decode the same: prefill's alone.
  v = judgeTrial(faster, same, true, true);
  EXPECT_FALSE(v.kept);
  EXPECT_FALSE(v.retryDecode);
  EXPECT_TRUE(v.retryPrefill);
  // Prefill faster, decode slower: prefill's alone (decode's may be the
  // slow part).
  v = judgeTrial(faster, slower, true, true);
  EXPECT_TRUE(v.retryPrefill);
  // Nothing changed: kept trivially only if nothing got slower.
  EXPECT_TRUE(judgeTrial(same, same, false, false).kept);
  EXPECT_FALSE(judgeTrial(slower, same, false, false).kept);
}
