//===- SamplerTest.cpp ----------------------------------------------------===//

#include "runtime/generate/Sampler.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace tern;

namespace {
SamplerOptions opts(float temp, int topK = 0, float topP = 1, float minP = 0) {
  SamplerOptions o;
  o.temperature = temp;
  o.topK = topK;
  o.topP = topP;
  o.minP = minP;
  return o;
}
} // namespace

TEST(Sampler, GreedyTakesTheFirstMaximum) {
  Sampler s(opts(0));
  const float l[5] = {1, 3, -2, 3, 0};
  EXPECT_EQ(s.sample(l, 5, {}), 1);
  const float nan[3] = {NAN, -1, 2};
  EXPECT_EQ(s.sample(nan, 3, {}), 2);
}

TEST(Sampler, RepetitionPenaltyDividesPositiveAndMultipliesNegative) {
  SamplerOptions o = opts(0);
  o.repeatPenalty = 2.0f;
  o.repeatLastN = 2;
  Sampler s(o);
  // Token 0 (4.0 -> 2.0) loses to token 1 (3.0) once it was seen.
  const float l[3] = {4, 3, -1};
  EXPECT_EQ(s.sample(l, 3, {0}), 1);
  // Only the last 2 tokens count: 0 is outside the window here.
  EXPECT_EQ(s.sample(l, 3, {0, 2, 2}), 0);
  // Negative logits get more negative.
  const float neg[2] = {-1.5f, -2.0f};
  EXPECT_EQ(s.sample(neg, 2, {0}), 1); // -3.0 < -2.0
}

TEST(Sampler, SameSeedSameTokens) {
  std::vector<float> l(50);
  for (int i = 0; i < 50; ++i)
    l[i] = std::sin(i * 1.7f);
  SamplerOptions o = opts(1.0f);
  o.seed = 42;
  Sampler a(o), b(o);
  std::vector<TokenId> ta, tb;
  for (int i = 0; i < 100; ++i) {
    ta.push_back(a.sample(l.data(), 50, {}));
    tb.push_back(b.sample(l.data(), 50, {}));
  }
  EXPECT_EQ(ta, tb);
  o.seed = 43;
  Sampler c(o);
  std::vector<TokenId> tc;
  for (int i = 0; i < 100; ++i)
    tc.push_back(c.sample(l.data(), 50, {}));
  EXPECT_NE(ta, tc);
}

TEST(Sampler, FrequenciesFollowTheSoftmax) {
  // p = softmax(0, log 3) = (1/4, 3/4).
  const float l[2] = {0.0f, std::log(3.0f)};
  SamplerOptions o = opts(1.0f);
  o.seed = 7;
  Sampler s(o);
  int ones = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i)
    ones += s.sample(l, 2, {}) == 1;
  EXPECT_NEAR(ones / double(n), 0.75, 0.015);
  // Temperature 0.5 squares the odds: 9:1.
  SamplerOptions cold = opts(0.5f);
  Sampler c(cold);
  ones = 0;
  for (int i = 0; i < n; ++i)
    ones += c.sample(l, 2, {}) == 1;
  EXPECT_NEAR(ones / double(n), 0.9, 0.015);
}

TEST(Sampler, TruncationsKeepOnlyTheirSets) {
  const float l[4] = {2.0f, 1.0f, 0.0f, -8.0f};
  auto seen = [&](const SamplerOptions &o) {
    Sampler s(o);
    std::vector<int> hit(4);
    for (int i = 0; i < 3000; ++i)
      hit[s.sample(l, 4, {})]++;
    return hit;
  };
  // top-k 2: only ids 0 and 1.
  auto k2 = seen(opts(1.0f, 2));
  EXPECT_GT(k2[0], 0);
  EXPECT_GT(k2[1], 0);
  EXPECT_EQ(k2[2] + k2[3], 0);
  // top-k 1 is greedy.
  auto k1 = seen(opts(5.0f, 1));
  EXPECT_EQ(k1[0], 3000);
  // top-p 0.7: p = (.665, .245, .090, ~0): {0, 1} reach 0.7.
  auto p7 = seen(opts(1.0f, 0, 0.7f));
  EXPECT_GT(p7[1], 0);
  EXPECT_EQ(p7[2] + p7[3], 0);
  // min-p 0.3: id 1 has 0.37 of the top probability, id 2 0.135.
  auto mp = seen(opts(1.0f, 0, 1.0f, 0.3f));
  EXPECT_GT(mp[1], 0);
  EXPECT_EQ(mp[2] + mp[3], 0);
}

TEST(Sampler, OptionChecksNameTheFlag) {
  SamplerOptions o;
  o.topP = 1.5f;
  EXPECT_NE(checkSamplerOptions(o).find("--top-p 1.5"), std::string::npos);
  o = {};
  o.minP = -0.1f;
  EXPECT_NE(checkSamplerOptions(o).find("--min-p"), std::string::npos);
  o = {};
  o.repeatPenalty = 0;
  EXPECT_NE(checkSamplerOptions(o).find("--repeat-penalty"),
            std::string::npos);
  o = {};
  o.temperature = INFINITY;
  EXPECT_NE(checkSamplerOptions(o).find("--temp"), std::string::npos);
  EXPECT_EQ(checkSamplerOptions(SamplerOptions{}), "");
}
