//===- Q4ScreenTest.cpp - The screened-q4 head's bounds and screen --------===//

#include "runtime/model/HeadFormat.h"
#include "runtime/model/TestRows.h"
#include "runtime/ternary/Ternary.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

using namespace tern;
using tern::testrows::randomRow;
using tern::testrows::tokenRow;
using tern::testrows::worstTokenRow;

namespace {

/// The q4 screen's logit a of one row: the q4 head's, for x quantized as
/// every BitLinear input.
float q4Scan(const std::vector<float> &x, const uint8_t *codes,
             const float *scales) {
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<int8_t> xq(static_cast<size_t>(n));
  const float xs = quantizeActivationRow(x.data(), n, xq.data());
  return q4HeadLogit(xq.data(), xs, codes, scales, n);
}

// The q4 screen's premise: |native logit - q4 logit| <= B for every row and
// every token row of norm at least screenMinNorm, with the logits as the
// heads compute them (dotHead, q4HeadLogit).
TEST(Q4Screen, BoundHoldsForEveryRow) {
  // The largest share of B that the token rows' rounding takes.
  float worstRounding = 0;
  for (int64_t n : {64, 2560, 4096}) {
    const float minNorm = screenMinNorm(HeadFormat::ScreenedQ4, n);
    for (unsigned seed = 0; seed < 24; ++seed) {
      std::vector<float> w = randomRow(n, seed);
      if (seed % 4 == 1)
        for (float &v : w)
          v *= 1e-3f; // tiny rows
      if (seed % 4 == 2)
        w[static_cast<size_t>(seed % n)] = 3.0f; // one outlier weight
      if (seed % 4 == 3) { // on the q4 grid: almost no q4 error
        const float s0 = 0.01f;
        for (int64_t i = 0; i < n; ++i)
          w[i] = std::min(std::max(std::nearbyint(w[i] / s0), -7.0f), 7.0f) *
                 s0;
        for (int64_t g = 0; g < n; g += kHeadQ4Group)
          w[g] = 7 * s0;
      }
      std::vector<uint8_t> codes(static_cast<size_t>(n / 2));
      std::vector<float> scales(static_cast<size_t>(n / kHeadQ4Group));
      quantizeHeadRow(HeadFormat::Q4, w.data(), n, codes.data(),
                      scales.data());
      const ScreenBound c =
          q4ScreenBound(w.data(), codes.data(), scales.data(), n);
      EXPECT_EQ(c, screenRowBound(HeadFormat::ScreenedQ4, w.data(),
                                  codes.data(), scales.data(), n));
      std::vector<float> q(static_cast<size_t>(n));
      headRowFactors(HeadFormat::Q4, codes.data(), scales.data(), n, q.data());
      for (unsigned t = 0; t < 15; ++t) {
        // The worst token rows (worstTokenRow), for the 8-bit token row.
        std::vector<float> x =
            t % 5 < 2 ? worstTokenRow(w, q, t % 5 == 0, 3.0f, 127.0f,
                                      seed % n)
                      : tokenRow(n, 500 + seed * 31 + t);
        const ScreenRowStats stats = screenRowStats(x.data(), n);
        if (!screenApplies(stats.norm, minNorm))
          continue;
        const float native = dotHead(x.data(), w.data(), n);
        const float a = q4Scan(x, codes.data(), scales.data());
        const float gap = std::fabs(native - a),
                    margin = screenMargin(a, c, stats);
        EXPECT_LE(gap, margin)
            << "n " << n << " seed " << seed << " token " << t;
        if (t % 5 == 1 && seed % 4 == 3)
          worstRounding = std::max(worstRounding, gap / margin);
      }
    }
  }
  // On the grid, the 8-bit token row's rounding is most of B: a bound with
  // the 15-bit row's term (K = 127 * 128) would not hold for those rows.
  EXPECT_GT(worstRounding, 0.5f);
}

// quantizeActivationRow divides by max(max|x|, kQuantEpsilon): the bound
// holds where max|x| >= kQuantEpsilon, which a norm of at least
// screenMinNorm guarantees (a row of equal values has the smallest max|x|
// for its norm); below it, every row gets its native logit.
TEST(Q4Screen, MinNormKeepsTheEpsilonOut) {
  EXPECT_EQ(screenMinNorm(HeadFormat::Screened, 2560), kScreenTinyNorm);
  for (int64_t n : {64, 2560, 4096}) {
    const float minNorm = screenMinNorm(HeadFormat::ScreenedQ4, n);
    EXPECT_GE(minNorm, kQuantEpsilon * std::sqrt(static_cast<float>(n)));
    EXPECT_LE(minNorm,
              kQuantEpsilon * std::sqrt(static_cast<float>(n)) * 1.01f);
    for (float f : {0.999f, 1.0f}) {
      std::vector<float> x(static_cast<size_t>(n), kQuantEpsilon * f);
      const float norm = std::sqrt(dotHead(x.data(), x.data(), n));
      EXPECT_FALSE(screenApplies(norm, minNorm)) << n << " " << f;
    }
    std::vector<float> x(static_cast<size_t>(n), kQuantEpsilon * 1.01f);
    EXPECT_TRUE(screenApplies(
        std::sqrt(dotHead(x.data(), x.data(), n)), minNorm));
  }
  // screenHeadLogits recomputes every row below it.
  const int64_t n = 64, vocab = 40;
  std::vector<float> x(n, kQuantEpsilon * 0.5f), logits(vocab, 0.0f);
  std::vector<ScreenBound> bounds(vocab);
  auto native = [](int64_t v) { return static_cast<float>(v) - 3.0f; };
  EXPECT_EQ(screenHeadLogits(x.data(), n, bounds.data(), vocab, logits.data(),
                             native, screenMinNorm(HeadFormat::ScreenedQ4, n)),
            vocab);
  for (int64_t v = 0; v < vocab; ++v)
    EXPECT_EQ(logits[v], native(v));
}

// The q4 screen keeps the native head's largest logit and its row, and
// rules out most rows where one row stands out.
TEST(Q4Screen, KeepsTheNativeArgmax) {
  const int64_t n = 256, vocab = 2000;
  std::vector<std::vector<float>> rows;
  std::vector<uint8_t> codes(static_cast<size_t>(vocab * n / 2));
  std::vector<float> scales(static_cast<size_t>(vocab * n / kHeadQ4Group));
  std::vector<ScreenBound> bounds(static_cast<size_t>(vocab));
  const int64_t cb = n / 2, sc = n / kHeadQ4Group;
  auto quantize = [&](int64_t v) {
    quantizeHeadRow(HeadFormat::Q4, rows[v].data(), n, &codes[v * cb],
                    &scales[v * sc]);
    bounds[v] = screenRowBound(HeadFormat::ScreenedQ4, rows[v].data(),
                               &codes[v * cb], &scales[v * sc], n);
  };
  for (int64_t v = 0; v < vocab; ++v) {
    rows.push_back(randomRow(n, static_cast<unsigned>(v)));
    quantize(v);
  }
  // A near-tie: row 7 is row 3 with one weight nudged.
  rows[7] = rows[3];
  rows[7][5] += 1e-4f;
  quantize(7);
  const float minNorm = screenMinNorm(HeadFormat::ScreenedQ4, n);
  for (unsigned t = 0; t < 20; ++t) {
    std::vector<float> x = tokenRow(n, 177 + t);
    const bool peaked = t % 2 == 1;
    if (peaked)
      for (int64_t i = 0; i < n; ++i)
        x[static_cast<size_t>(i)] = rows[3][static_cast<size_t>(i)] * 50.0f;
    std::vector<float> native(static_cast<size_t>(vocab)),
        logits(static_cast<size_t>(vocab));
    for (int64_t v = 0; v < vocab; ++v) {
      native[v] = dotHead(x.data(), rows[v].data(), n);
      logits[v] = q4Scan(x, &codes[v * cb], &scales[v * sc]);
    }
    const int64_t recomputed = screenHeadLogits(
        x.data(), n, bounds.data(), vocab, logits.data(),
        [&](int64_t v) { return native[static_cast<size_t>(v)]; }, minNorm);
    const auto best = std::max_element(native.begin(), native.end());
    const auto got = std::max_element(logits.begin(), logits.end());
    EXPECT_EQ(got - logits.begin(), best - native.begin()) << "token " << t;
    EXPECT_EQ(*got, *best);
    EXPECT_GE(recomputed, 1);
    if (peaked) {
      // Rows 3 and 7 stand out: both recomputed, few others.
      EXPECT_GE(recomputed, 2) << "token " << t;
      EXPECT_LT(recomputed, vocab / 20) << "token " << t;
      EXPECT_EQ(logits[3], native[3]);
      EXPECT_EQ(logits[7], native[7]);
    }
  }
}

} // namespace
