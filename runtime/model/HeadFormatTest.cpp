//===- HeadFormatTest.cpp - Head storage formats --------------------------===//

#include "runtime/model/HeadFormat.h"
#include "runtime/model/Half.h"
#include "runtime/model/TestRows.h"
#include "runtime/ternary/Ternary.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

using namespace tern;
using tern::testrows::randomRow;
using tern::testrows::tokenRow;
using tern::testrows::worstTokenRow;

namespace {

TEST(HeadFormat, NamesRoundTrip) {
  for (HeadFormat f : kHeadFormats)
    EXPECT_EQ(parseHeadFormat(headFormatName(f)), f);
  EXPECT_EQ(headFormatNames(), "native, int8, q4, screened or screened-q4");
  // The help text lists every format with its summary.
  const std::string help = headFormatHelp();
  for (HeadFormat f : kHeadFormats)
    EXPECT_NE(help.find(std::string(headFormatName(f)) + " (" +
                        headFormatSummary(f) + ")"),
              std::string::npos)
        << headFormatName(f);
  EXPECT_FALSE(parseHeadFormat("int4").has_value());
  EXPECT_FALSE(parseHeadFormat("").has_value());
}

TEST(HeadFormat, Sizes) {
  EXPECT_EQ(headCodeBytesPerRow(HeadFormat::Int8, 2560), 2560);
  EXPECT_EQ(headScalesPerRow(HeadFormat::Int8, 2560), 1);
  EXPECT_EQ(headCodeBytesPerRow(HeadFormat::Q4, 2560), 1280);
  EXPECT_EQ(headScalesPerRow(HeadFormat::Q4, 2560), 80);
  // Q4_0's bytes: f16 scales, 4.5 bits a weight.
  EXPECT_EQ(headScaleBytes(HeadFormat::Q4), 2);
  EXPECT_EQ(headScaleBytes(HeadFormat::ScreenedQ4), 2);
  EXPECT_EQ(headScaleBytes(HeadFormat::Int8), 4);
  EXPECT_EQ(headScaleBytes(HeadFormat::Screened), 4);
  EXPECT_EQ(headScaleBytes(HeadFormat::Native), 0);
  EXPECT_EQ(checkHeadFormat(HeadFormat::Q4, 2560), "");
  EXPECT_NE(checkHeadFormat(HeadFormat::Q4, 2552).find("divisible by 32"),
            std::string::npos);
  EXPECT_EQ(checkHeadFormat(HeadFormat::Int8, 2552), "");
  // A screened head stores its int8 copy.
  EXPECT_EQ(headCodeBytesPerRow(HeadFormat::Screened, 2560), 2560);
  EXPECT_EQ(headScalesPerRow(HeadFormat::Screened, 2560), 1);
  // A screened-q4 head stores its q4 copy.
  EXPECT_EQ(headCodeBytesPerRow(HeadFormat::ScreenedQ4, 2560), 1280);
  EXPECT_EQ(headScalesPerRow(HeadFormat::ScreenedQ4, 2560), 80);
  EXPECT_EQ(headCodesFormat(HeadFormat::ScreenedQ4), HeadFormat::Q4);
  EXPECT_NE(checkHeadFormat(HeadFormat::ScreenedQ4, 2552)
                .find("a q4 screen needs a hidden size divisible by 32"),
            std::string::npos);
  EXPECT_TRUE(isScreenedHead(HeadFormat::Screened));
  EXPECT_TRUE(isScreenedHead(HeadFormat::ScreenedQ4));
  EXPECT_FALSE(isScreenedHead(HeadFormat::Q4));
}

// The screen's premise: |native logit - int8 logit| <= B for every row
// and token row, with the logits as the head computes them (dotHead).
TEST(HeadFormat, ScreenBoundHoldsForEveryRow) {
  // The largest share of B that the rows rounded against q take.
  float worstRounding = 0;
  for (int64_t n : {64, 2560, 2600}) {
    for (unsigned seed = 0; seed < 40; ++seed) {
      std::vector<float> w = randomRow(n, seed);
      if (seed % 4 == 1)
        for (float &v : w)
          v *= 1e-3f; // tiny rows
      if (seed % 4 == 2)
        w[static_cast<size_t>(seed % n)] = 3.0f; // one outlier weight
      if (seed % 4 == 3) { // on the int8 grid: no int8 error
        const float s0 = 0.001f;
        for (float &v : w)
          v = std::min(std::max(std::nearbyint(v / s0), -127.0f), 127.0f) * s0;
        w[0] = 127 * s0;
      }
      std::vector<uint8_t> codes(static_cast<size_t>(n));
      float scale = 0;
      quantizeHeadRow(HeadFormat::Int8, w.data(), n, codes.data(), &scale);
      const ScreenBound c = headScreenBound(w.data(), codes.data(), scale, n);
      // The row's quantized values, s q.
      std::vector<float> dq(static_cast<size_t>(n));
      headRowFactors(HeadFormat::Int8, codes.data(), &scale, n, dq.data());
      for (float &v : dq)
        v *= scale;
      std::vector<int16_t> u(static_cast<size_t>(n));
      for (unsigned t = 0; t < 20; ++t) {
        // The worst token rows (worstTokenRow), for the 15-bit token row.
        std::vector<float> x =
            t % 5 < 2 ? worstTokenRow(w, dq, t % 5 == 0, 3.0f,
                                      static_cast<float>(kScreenRowMax),
                                      seed % n)
                      : tokenRow(n, 1000 + seed * 31 + t);
        const float native = dotHead(x.data(), w.data(), n);
        const float xs = quantizeScreenRow(x.data(), n, u.data());
        const float a = screenScanLogit(u.data(), xs, codes.data(), scale, n);
        const float gap = std::fabs(native - a),
                    margin = screenMargin(a, c, screenRowStats(x.data(), n));
        EXPECT_LE(gap, margin)
            << "n " << n << " seed " << seed << " token " << t;
        if (t % 5 == 1 && seed % 4 == 3)
          worstRounding = std::max(worstRounding, gap / margin);
      }
    }
  }
  // On the grid, the token row's rounding is most of B: without its term
  // those rows would pass it.
  EXPECT_GT(worstRounding, 0.5f);
}

// The row with the largest native logit always survives the screen and
// gets its native logit; rows that do not survive keep the int8 logit.
// The survivors are the row p with the best lower bound and every row
// whose upper bound reaches p's native logit: fewer than reach the lower
// bound itself.
TEST(HeadFormat, ScreenKeepsTheNativeArgmax) {
  const int64_t n = 256, vocab = 3000;
  std::vector<std::vector<float>> rows;
  std::vector<uint8_t> codes(static_cast<size_t>(vocab * n));
  std::vector<float> scales(static_cast<size_t>(vocab));
  std::vector<ScreenBound> bounds(static_cast<size_t>(vocab));
  for (int64_t v = 0; v < vocab; ++v) {
    rows.push_back(randomRow(n, static_cast<unsigned>(v)));
    quantizeHeadRow(HeadFormat::Int8, rows.back().data(), n,
                    &codes[static_cast<size_t>(v * n)], &scales[v]);
    bounds[v] = headScreenBound(rows.back().data(),
                                &codes[static_cast<size_t>(v * n)],
                                scales[v], n);
  }
  // Near-ties: row 7 is row 3 with one weight nudged.
  rows[7] = rows[3];
  rows[7][5] += 1e-4f;
  quantizeHeadRow(HeadFormat::Int8, rows[7].data(), n, &codes[7 * n],
                  &scales[7]);
  bounds[7] = headScreenBound(rows[7].data(), &codes[7 * n], scales[7], n);
  int64_t recomputedTotal = 0, reachLowerBound = 0;
  for (unsigned t = 0; t < 30; ++t) {
    std::vector<float> x = tokenRow(n, 77 + t);
    if (t % 2)
      for (int64_t i = 0; i < n; ++i)
        x[static_cast<size_t>(i)] = rows[3][static_cast<size_t>(i)] * 50.0f;
    std::vector<float> native(static_cast<size_t>(vocab)),
        logits(static_cast<size_t>(vocab));
    std::vector<int16_t> u(static_cast<size_t>(n));
    const float xs = quantizeScreenRow(x.data(), n, u.data());
    for (int64_t v = 0; v < vocab; ++v) {
      native[v] = dotHead(x.data(), rows[v].data(), n);
      logits[v] = screenScanLogit(u.data(), xs,
                                  &codes[static_cast<size_t>(v * n)],
                                  scales[v], n);
    }
    const std::vector<float> screen = logits;
    // Every third token row with bounds 6 times as wide (still bounds):
    // more rows lie within them.
    std::vector<ScreenBound> wide = bounds;
    if (t % 3 == 2)
      for (ScreenBound &c : wide) {
        c.perNorm *= 6.0f;
        c.perMax *= 6.0f;
      }
    // The survivors by the rule, from the int8 logits.
    const ScreenRowStats stats = screenRowStats(x.data(), n);
    auto margin = [&](int64_t v) {
      return screenMargin(screen[v], wide[v], stats);
    };
    int64_t p = 0;
    for (int64_t v = 1; v < vocab; ++v)
      if (screen[v] - margin(v) > screen[p] - margin(p))
        p = v;
    std::vector<bool> survives(static_cast<size_t>(vocab));
    int64_t survivors = 0;
    for (int64_t v = 0; v < vocab; ++v) {
      survives[v] = v == p || screen[v] + margin(v) >= native[p];
      survivors += survives[v];
      reachLowerBound += screen[v] + margin(v) >= screen[p] - margin(p);
    }
    const int64_t recomputed = screenHeadLogits(
        x.data(), n, wide.data(), vocab, logits.data(),
        [&](int64_t v) { return native[static_cast<size_t>(v)]; });
    recomputedTotal += recomputed;
    const auto best = std::max_element(native.begin(), native.end());
    const auto got = std::max_element(logits.begin(), logits.end());
    EXPECT_EQ(got - logits.begin(), best - native.begin()) << "token " << t;
    EXPECT_EQ(*got, *best);
    EXPECT_EQ(recomputed, survivors) << "token " << t;
    for (int64_t v = 0; v < vocab; ++v)
      EXPECT_EQ(logits[v], survives[v] ? native[v] : screen[v])
          << "token " << t << " row " << v;
    EXPECT_GE(recomputed, 1);
    EXPECT_LT(recomputed, vocab / 10) << "the screen rules out few rows";
  }
  EXPECT_GT(recomputedTotal, 0);
  EXPECT_LT(recomputedTotal, reachLowerBound);
}

// A token row too small (or not finite) for the bounds' relative roundings
// gets every row's native logit.
TEST(HeadFormat, ScreenRecomputesTinyRows) {
  const int64_t n = 64, vocab = 50;
  std::vector<float> x = tokenRow(n, 9), logits(static_cast<size_t>(vocab), 0.0f);
  std::vector<ScreenBound> bounds(static_cast<size_t>(vocab));
  for (float &e : x)
    e *= 0x1p-70f;
  auto native = [](int64_t v) { return static_cast<float>(v) - 7.0f; };
  EXPECT_EQ(screenHeadLogits(x.data(), n, bounds.data(), vocab, logits.data(),
                             native),
            vocab);
  for (int64_t v = 0; v < vocab; ++v)
    EXPECT_EQ(logits[v], native(v));
  x[0] = std::numeric_limits<float>::infinity();
  std::fill(logits.begin(), logits.end(), 0.0f);
  EXPECT_EQ(screenHeadLogits(x.data(), n, bounds.data(), vocab, logits.data(),
                             native),
            vocab);
}

// The screen's token row: 15 bits, the largest |x| at K, halves to even,
// the sign kept, NaN elements 0, a zero row at scale 1.
TEST(HeadFormat, ScreenRowQuantization) {
  // max|x| = K / 4: xs = 4, every product exact.
  const float k = kScreenRowMax;
  const float x[7] = {-k / 4, k / 8, 0.625f, 0.875f,
                      std::numeric_limits<float>::quiet_NaN(), -0.0f, -0.375f};
  int16_t u[7];
  const float xs = quantizeScreenRow(x, 7, u);
  EXPECT_EQ(xs, 4.0f);
  const int16_t want[7] = {-16256, 8128, 2, 4, 0, 0, -2};
  for (int i = 0; i < 7; ++i)
    EXPECT_EQ(u[i], want[i]) << i;
  const float zero[3] = {0.0f, -0.0f, 0.0f};
  EXPECT_EQ(quantizeScreenRow(zero, 3, u), 1.0f);
  EXPECT_EQ(u[0] | u[1] | u[2], 0);
}

// a[v] is the exact integer sum, past i32, converted once, times the scale
// and then 1 / xs.
TEST(HeadFormat, ScreenScanLogitIsTheExactSum) {
  const int64_t n = 4096;
  std::vector<uint8_t> codes(static_cast<size_t>(n), 127);
  std::vector<int16_t> u(static_cast<size_t>(n), kScreenRowMax);
  codes[3] = static_cast<uint8_t>(-127);
  u[9] = -5;
  const int64_t sum = (n - 2) * 127 * int64_t{kScreenRowMax} -
                      127 * int64_t{kScreenRowMax} - 5 * 127;
  EXPECT_GT(sum, int64_t{INT32_MAX});
  const float s = 0.013f, xs = 611.5f;
  EXPECT_EQ(screenScanLogit(u.data(), xs, codes.data(), s, n),
            static_cast<float>(sum) * s * (1.0f / xs));
}

TEST(HeadFormat, Int8CodesAndError) {
  const int64_t n = 256;
  std::vector<float> w = randomRow(n, 1);
  w[17] = -0.5f; // the absmax maps to -127
  std::vector<uint8_t> codes(n);
  float s = 0;
  quantizeHeadRow(HeadFormat::Int8, w.data(), n, codes.data(), &s);
  EXPECT_EQ(s, 0.5f / 127.0f);
  EXPECT_EQ(static_cast<int8_t>(codes[17]), -127);
  std::vector<float> f(n);
  headRowFactors(HeadFormat::Int8, codes.data(), &s, n, f.data());
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_EQ(f[i], static_cast<float>(static_cast<int8_t>(codes[i])));
    EXPECT_LE(std::fabs(f[i] * s - w[i]), s * 0.5f + 1e-7f) << i;
  }
}

TEST(HeadFormat, Q4LayoutAndError) {
  const int64_t n = 64;
  std::vector<float> w(n, 0.0f);
  // Group 0: absmax 0.7 -> scale 0.1; w[0] = 0.3 -> 3, w[16] = -0.7 -> -7.
  w[0] = 0.3f, w[16] = -0.7f;
  // Group 1 all zero: scale 0, codes 8 (zero).
  std::vector<uint8_t> codes(n / 2);
  std::vector<float> s(2);
  quantizeHeadRow(HeadFormat::Q4, w.data(), n, codes.data(), s.data());
  // 0.1 as the nearest f16.
  EXPECT_EQ(s[0], fp16ToFloat(floatToFp16(0.1f)));
  EXPECT_NE(s[0], 0.1f);
  EXPECT_EQ(s[1], 0.0f);
  EXPECT_EQ(codes[0], (3 + 8) | ((-7 + 8) << 4));
  EXPECT_EQ(codes[1], 8 | (8 << 4));
  EXPECT_EQ(codes[16], 8 | (8 << 4));
  std::vector<float> f(n);
  headRowFactors(HeadFormat::Q4, codes.data(), s.data(), n, f.data());
  EXPECT_EQ(f[0], 3.0f * s[0]);
  EXPECT_EQ(f[16], -7.0f * s[0]);
  EXPECT_EQ(f[40], 0.0f);

  std::vector<float> r = randomRow(2560, 2);
  std::vector<uint8_t> rc(1280);
  std::vector<float> rs(80), rf(2560);
  quantizeHeadRow(HeadFormat::Q4, r.data(), 2560, rc.data(), rs.data());
  headRowFactors(HeadFormat::Q4, rc.data(), rs.data(), 2560, rf.data());
  for (int64_t i = 0; i < 2560; ++i)
    EXPECT_LE(std::fabs(rf[i] - r[i]), rs[i / 32] * 0.5f + 1e-6f) << i;
}

TEST(HeadFormat, Q4ScalesAreHalfValuesWithinHalfAStep) {
  // Groups from f16's subnormals to past its largest value: every scale is
  // an f16 value; below the largest, every code lies within half a step
  // of its weight (the subnormal scales rounded up where the nearest one
  // would clip the group's largest weight).
  for (float magnitude : {1e-9f, 3e-8f, 1e-7f, 7e-7f, 1e-5f, 0.02f, 1.0f,
                          300.0f, 4.5e5f, 1e6f, 1e30f}) {
    SCOPED_TRACE(magnitude);
    std::vector<float> w = randomRow(64, 11);
    float m = 0;
    for (float &v : w)
      m = std::max(m, std::fabs(v *= magnitude));
    std::vector<uint8_t> codes(32);
    std::vector<float> s(2), f(64);
    quantizeHeadRow(HeadFormat::Q4, w.data(), 64, codes.data(), s.data());
    headRowFactors(HeadFormat::Q4, codes.data(), s.data(), 64, f.data());
    for (int g = 0; g < 2; ++g) {
      EXPECT_EQ(s[g], fp16ToFloat(floatToFp16(s[g]))) << g;
      EXPECT_GT(s[g], 0.0f) << g;
      EXPECT_LE(s[g], 65504.0f) << g;
    }
    if (m / 7 > 65504.0f) {
      EXPECT_EQ(s[0], 65504.0f); // the largest f16; codes clip at 7
      continue;
    }
    for (int64_t i = 0; i < 64; ++i)
      EXPECT_LE(std::fabs(f[i] - w[i]), s[i / 32] * 0.5f * (1 + 0x1p-20f))
          << i;
  }
}

TEST(HeadFormat, Q4LogitIsTheIntegerDotProductOfTheQuantizedRows) {
  for (int64_t n : {64, 672, 2560}) {
    std::vector<float> w = randomRow(n, 3), x = randomRow(n, 4, 1.0f);
    x[n / 3] = 9.0f; // an outlier sets the token row's scale
    std::vector<uint8_t> codes(static_cast<size_t>(n / 2));
    std::vector<float> s(static_cast<size_t>(n / 32)), f(n);
    quantizeHeadRow(HeadFormat::Q4, w.data(), n, codes.data(), s.data());
    headRowFactors(HeadFormat::Q4, codes.data(), s.data(), n, f.data());
    std::vector<int8_t> xq(n);
    const float xs = quantizeActivationRow(x.data(), n, xq.data());
    const float got = q4HeadLogit(xq.data(), xs, codes.data(), s.data(), n);
    // In reals: sum over groups of s[g] * (sum of q * xq) / xs; the f32
    // arithmetic (n / 32 products and sums, one scaling) stays within
    // n / 32 + 2 roundings of the sum of magnitudes.
    double exact = 0, magnitude = 0;
    for (int64_t g = 0; g < n / 32; ++g) {
      int64_t sum = 0;
      for (int64_t j = 0; j < 32; ++j)
        sum += static_cast<int64_t>(std::lround(f[g * 32 + j] / s[g])) *
               xq[g * 32 + j];
      exact += double(s[g]) * double(sum) / xs;
      magnitude += std::fabs(double(s[g]) * double(sum) / xs);
    }
    EXPECT_LE(std::fabs(got - exact),
              magnitude * (double(n / 32) + 2) * 0x1p-24 + 1e-30)
        << n;
    // And within the quantization errors of both operands of the native
    // logit (Cauchy-Schwarz): |x - xq / xs| |wq| + |x| |w - wq|.
    double native = 0, ex = 0, wq = 0, xn = 0, ew = 0;
    for (int64_t i = 0; i < n; ++i) {
      native += double(x[i]) * w[i];
      ex += std::pow(x[i] - xq[i] / double(xs), 2);
      wq += double(f[i]) * f[i];
      xn += double(x[i]) * x[i];
      ew += std::pow(double(w[i]) - f[i], 2);
    }
    const double bound = std::sqrt(ex * wq) + std::sqrt(xn * ew);
    EXPECT_LE(std::fabs(exact - native), bound) << n;
    EXPECT_GT(bound, 0.0);
  }
}

TEST(HeadFormat, Int8LogitIsTheIntegerDotProductOfTheQuantizedRows) {
  for (int64_t n : {8, 672, 2560}) {
    std::vector<float> w = randomRow(n, 5), x = tokenRow(n, 6);
    std::vector<uint8_t> codes(static_cast<size_t>(n));
    float s = 0;
    quantizeHeadRow(HeadFormat::Int8, w.data(), n, codes.data(), &s);
    std::vector<int8_t> xq(n);
    const float xs = quantizeActivationRow(x.data(), n, xq.data());
    int64_t sum = 0;
    for (int64_t i = 0; i < n; ++i)
      sum += int64_t{static_cast<int8_t>(codes[i])} * xq[i];
    // One conversion (|sum| may pass 2^24) and two products, each rounded
    // once, in that order.
    const float want = static_cast<float>(sum) * s * (1.0f / xs);
    EXPECT_EQ(int8HeadLogit(xq.data(), xs, codes.data(), s, n), want) << n;
    // Within the quantization errors of both operands of the native logit.
    double native = 0, ex = 0, wq = 0, xn = 0, ew = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double q = static_cast<int8_t>(codes[i]) * double(s);
      native += double(x[i]) * w[i];
      ex += std::pow(x[i] - xq[i] / double(xs), 2);
      wq += q * q;
      xn += double(x[i]) * x[i];
      ew += std::pow(double(w[i]) - q, 2);
    }
    EXPECT_LE(std::fabs(double(want) - native),
              std::sqrt(ex * wq) + std::sqrt(xn * ew) +
                  std::fabs(native) * 0x1p-21)
        << n;
  }
  // A code row of 127 against -128 (clamped to -127) and 127.
  std::vector<uint8_t> ones(4, 127);
  const int8_t xq[4] = {-128, 127, -127, 0};
  EXPECT_EQ(int8HeadLogit(xq, 1.0f, ones.data(), 1.0f, 4), -127.0f * 127.0f);
}

TEST(HeadFormat, Int8RowsFitTheI32Sum) {
  EXPECT_EQ(checkHeadFormat(HeadFormat::Int8, kHeadInt8MaxCols), "");
  EXPECT_NE(checkHeadFormat(HeadFormat::Int8, kHeadInt8MaxCols + 8)
                .find("at most 132104 columns"),
            std::string::npos);
  // The worst row sum fits i32; one column more could not.
  EXPECT_LE(kHeadInt8MaxCols * 127 * 128, int64_t{INT32_MAX});
  EXPECT_GT((kHeadInt8MaxCols + 1) * 127 * 128, int64_t{INT32_MAX});
  // The screened head's scan sums each digit of its token rows in i32 too.
  EXPECT_EQ(checkHeadFormat(HeadFormat::Screened, kHeadInt8MaxCols), "");
  EXPECT_NE(checkHeadFormat(HeadFormat::Screened, kHeadInt8MaxCols + 8)
                .find("int8 screen's integer dot products"),
            std::string::npos);
  EXPECT_LT(kHeadInt8MaxCols * 127 * 127, int64_t{INT32_MAX});
}

// The integer heads read |xq| as an unsigned byte of at most 127: a finite
// row never quantizes to -128 (|x| s rounds to at most 127).
TEST(HeadFormat, FiniteTokenRowsQuantizeWithin127) {
  for (unsigned seed = 0; seed < 200; ++seed) {
    std::vector<float> x = tokenRow(300, seed);
    x[seed % 300] = -std::fabs(x[seed % 300]) * 1000.0f; // a negative absmax
    std::vector<int8_t> q(300);
    quantizeActivationRow(x.data(), 300, q.data());
    for (int8_t v : q)
      ASSERT_GE(v, -127) << seed;
  }
}

TEST(HeadFormat, DotOrder) {
  // Small integers: every order is exact, so the value is the plain sum.
  for (int64_t n : {8, 24, 32, 96, 2560}) {
    std::vector<float> x(n), w(n);
    double want = 0;
    for (int64_t i = 0; i < n; ++i) {
      x[i] = float(i % 7) - 3, w[i] = float(i % 5) - 2;
      want += double(x[i]) * w[i];
    }
    EXPECT_EQ(dotHead(x.data(), w.data(), n), float(want)) << n;
  }
  // The 32-lane fold, checked on values where order matters: lane l holds
  // 2^(l) * 1e-8-ish magnitudes so that a different fold rounds otherwise.
  std::vector<float> x(32), w(32, 1.0f);
  for (int l = 0; l < 32; ++l)
    x[l] = (l % 2 ? 1e8f : 1.0f) * float(l + 1);
  float p[8];
  for (int l = 0; l < 8; ++l)
    p[l] = (x[l] + x[l + 16]) + (x[l + 8] + x[l + 24]);
  const float want =
      ((p[0] + p[4]) + (p[2] + p[6])) + ((p[1] + p[5]) + (p[3] + p[7]));
  EXPECT_EQ(dotHead(x.data(), w.data(), 32), want);
}

} // namespace
