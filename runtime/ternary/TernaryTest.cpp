//===- TernaryTest.cpp - Known answers for the ternary reference math ----===//

#include "runtime/ternary/Ternary.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace tern;

TEST(RoundHalfEven, TiesGoToEven) {
  EXPECT_EQ(roundHalfEven(0.5f), 0.0f);
  EXPECT_EQ(roundHalfEven(1.5f), 2.0f);
  EXPECT_EQ(roundHalfEven(2.5f), 2.0f);
  EXPECT_EQ(roundHalfEven(3.5f), 4.0f);
  EXPECT_EQ(roundHalfEven(-0.5f), 0.0f);
  EXPECT_EQ(roundHalfEven(-1.5f), -2.0f);
  EXPECT_EQ(roundHalfEven(-2.5f), -2.0f);
  EXPECT_EQ(roundHalfEven(126.5f), 126.0f);
  EXPECT_EQ(roundHalfEven(-127.5f), -128.0f);
}

TEST(RoundHalfEven, NonTiesRoundToNearest) {
  EXPECT_EQ(roundHalfEven(0.49999997f), 0.0f);
  EXPECT_EQ(roundHalfEven(0.50000006f), 1.0f);
  EXPECT_EQ(roundHalfEven(-2.5000002f), -3.0f);
  EXPECT_EQ(roundHalfEven(7.0f), 7.0f);
  EXPECT_EQ(roundHalfEven(8388609.0f), 8388609.0f); // odd, beyond 2^23
}

TEST(QuantizeActivations, UnitScaleExposesRounding) {
  // absmax 127 makes s exactly 1, so q is the rounded input itself.
  std::vector<float> x = {127.0f, 0.5f, 2.5f, -0.5f, -1.5f, 3.5f, -126.5f, 1.49f};
  std::vector<int8_t> q(x.size());
  float s = quantizeActivationRow(x.data(), x.size(), q.data());
  EXPECT_EQ(s, 1.0f);
  std::vector<int8_t> want = {127, 0, 2, 0, -2, 4, -126, 1};
  EXPECT_EQ(q, want);
}

TEST(QuantizeActivations, PerRowScales) {
  // Row 0: absmax 2 -> s = 63.5; row 1: absmax 0.5 -> s = 254.
  std::vector<float> x = {2.0f, -1.0f, 0.01f, 0.5f, -0.25f, 0.001f};
  std::vector<int8_t> q(6);
  std::vector<float> s(2);
  quantizeActivations(x.data(), 2, 3, q.data(), s.data());
  EXPECT_EQ(s[0], 63.5f);
  EXPECT_EQ(s[1], 254.0f);
  // 2*63.5 = 127; -63.5 -> -64 (tie to even); 0.635 -> 1.
  // 0.5*254 = 127; -63.5 -> -64; 0.254 -> 0.
  std::vector<int8_t> want = {127, -64, 1, 127, -64, 0};
  EXPECT_EQ(q, want);
}

TEST(QuantizeActivations, ZeroRowUsesEpsilon) {
  std::vector<float> x(4, 0.0f);
  std::vector<int8_t> q(4, 5);
  float s = quantizeActivationRow(x.data(), 4, q.data());
  EXPECT_EQ(s, 127.0f / kQuantEpsilon);
  EXPECT_EQ(q, std::vector<int8_t>(4, 0));
}

TEST(Absmean, ScaleAndTies) {
  // mean|W| = (0.5 + 1.5 + 0 + 2 + 1) / 5 = 1.0
  std::vector<float> w = {0.5f, -1.5f, 0.0f, 2.0f, -1.0f};
  std::vector<int8_t> t(w.size());
  float beta = absmeanQuantize(w.data(), w.size(), t.data());
  EXPECT_EQ(beta, 1.0f);
  // 0.5 -> 0 (tie to even), -1.5 -> -2 -> clamp -1, 2 -> clamp 1.
  std::vector<int8_t> want = {0, -1, 0, 1, -1};
  EXPECT_EQ(t, want);
}

TEST(Absmean, ZeroTensorUsesEpsilon) {
  std::vector<float> w(8, 0.0f);
  std::vector<int8_t> t(8, 7);
  EXPECT_EQ(absmeanQuantize(w.data(), 8, t.data()), kQuantEpsilon);
  EXPECT_EQ(t, std::vector<int8_t>(8, 0));
}

TEST(TernaryMatmul, KnownAnswer) {
  // a [2, 3], w [2, 3]: acc[i][j] = sum_k a[i][k] * w[j][k].
  std::vector<int8_t> a = {127, -128, 5, 1, 2, 3};
  std::vector<int8_t> w = {1, 1, -1, 0, -1, 1};
  std::vector<int32_t> acc(4);
  ternaryMatmul(a.data(), w.data(), 2, 2, 3, acc.data());
  std::vector<int32_t> want = {127 - 128 - 5, 128 + 5, 1 + 2 - 3, -2 + 3};
  EXPECT_EQ(acc, want);
}

TEST(TernaryMatmul, ExtremeSumsStayExact) {
  // 4096 * -128 * -1 = 524288: far from int32 overflow, exact.
  const int64_t k = 4096;
  std::vector<int8_t> a(k, -128), w(k, -1);
  int32_t acc = 0;
  ternaryMatmul(a.data(), w.data(), 1, 1, k, &acc);
  EXPECT_EQ(acc, 524288);
}

TEST(Bitlinear, MatchesComposition) {
  std::vector<float> x = {0.3f, -1.2f, 0.7f, 0.05f, 2.0f, -0.4f, 0.0f, 1.0f};
  std::vector<int8_t> t = {1, 0, -1, 1, -1, -1, 0, 1, 0, 1, 1, 0};
  const float beta = 0.75f;
  std::vector<float> y(6);
  bitlinear(x.data(), t.data(), beta, 2, 3, 4, y.data());
  // Independent computation: rows scaled by 127/absmax, rounded half-even.
  for (int r = 0; r < 2; ++r) {
    float absmax = 0;
    for (int c = 0; c < 4; ++c)
      absmax = std::fmax(absmax, std::fabs(x[r * 4 + c]));
    float s = 127.0f / absmax;
    for (int j = 0; j < 3; ++j) {
      int32_t acc = 0;
      for (int c = 0; c < 4; ++c)
        acc += int32_t(std::nearbyint(x[r * 4 + c] * s)) * t[j * 4 + c];
      EXPECT_EQ(y[r * 3 + j], float(acc) * (beta / s)) << r << "," << j;
    }
  }
}
