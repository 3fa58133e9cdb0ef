//===- ScreenCodeTest.cpp - Uniform codes a head screen could read -------===//

#include "runtime/model/ScreenCode.h"

#include "runtime/model/HeadFormat.h"
#include "runtime/model/TestRows.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

using namespace tern;
using tern::testrows::randomRow;

namespace {

TEST(ScreenCode, Names) {
  for (const char *name :
       {"b8row", "b6g64", "b2g1", "b4g32", "b5g2560", "b4g32h", "b8rowh"}) {
    OrError<ScreenCode> code = parseScreenCode(name);
    ASSERT_TRUE(code.ok()) << name << ": " << code.error;
    EXPECT_EQ(screenCodeName(*code), name);
  }
  OrError<ScreenCode> int8 = parseScreenCode("int8");
  ASSERT_TRUE(int8.ok());
  EXPECT_EQ(screenCodeName(*int8), "b8row");
  OrError<ScreenCode> q4 = parseScreenCode("q4");
  ASSERT_TRUE(q4.ok());
  EXPECT_EQ(screenCodeName(*q4), "b4g32h");

  for (const char *bad : {"", "b", "8row", "b8", "b8rows", "b8g", "b8g32x",
                          "bxg32", "native", "b4g99999999999", "b8h",
                          "b4g32hh", "b4gh", "b8hrow"})
    EXPECT_NE(parseScreenCode(bad).error.find("is not a screen code"),
              std::string::npos)
        << bad;
  EXPECT_NE(parseScreenCode("b9row").error.find("9 bits (a code has 2 to 8)"),
            std::string::npos);
  EXPECT_NE(parseScreenCode("b1g32").error.find("1 bits"), std::string::npos);
  EXPECT_NE(parseScreenCode("b4g0").error.find("at least one weight"),
            std::string::npos);
}

TEST(ScreenCode, SizesAndChecks) {
  EXPECT_EQ(screenCodeScalesPerRow({8, 0}, 2560), 1);
  EXPECT_EQ(screenCodeScalesPerRow({4, 32}, 2560), 80);
  // Half a byte per code and an f16 scale per 32: the q4 format's bytes;
  // with f32 scales 0.625.
  EXPECT_DOUBLE_EQ(screenCodeBytesPerWeight({4, 32, true}, 2560),
                   double(headCodeBytesPerRow(HeadFormat::Q4, 2560) +
                          headScaleBytes(HeadFormat::Q4) *
                              headScalesPerRow(HeadFormat::Q4, 2560)) /
                       2560);
  EXPECT_DOUBLE_EQ(screenCodeBytesPerWeight({4, 32, true}, 2560), 0.5625);
  EXPECT_DOUBLE_EQ(screenCodeBytesPerWeight({4, 32}, 2560), 0.625);
  EXPECT_DOUBLE_EQ(screenCodeBytesPerWeight({6, 64}, 2560), 0.75 + 4.0 / 64);
  EXPECT_EQ(checkScreenCode({6, 64}, 2560), "");
  EXPECT_EQ(checkScreenCode({6, 48}, 2560),
            "b6g48: groups of 48 do not divide a row of 2560");
  EXPECT_NE(checkScreenCode({8, 0}, kHeadInt8MaxCols + 1).find("at most"),
            std::string::npos);
  EXPECT_NE(checkScreenCode({8, 0}, 0).find("0 columns"), std::string::npos);
}

// b8row is the screened head's int8 copy: the same codes and scale, the
// same scan logit and the same bound, bit for bit.
TEST(ScreenCode, EightBitRowsAreTheScreenedHeadsInt8Copy) {
  const ScreenCode code{8, 0};
  for (int64_t n : {64, 2560, 2600}) {
    for (unsigned seed = 0; seed < 12; ++seed) {
      std::vector<float> w = randomRow(n, seed, 0.05f);
      if (seed % 3 == 1)
        w[static_cast<size_t>(seed % n)] = 2.0f;
      std::vector<uint8_t> codes(static_cast<size_t>(n));
      float scale = 0;
      quantizeHeadRow(HeadFormat::Int8, w.data(), n, codes.data(), &scale);
      std::vector<int8_t> q(static_cast<size_t>(n));
      float s = 0;
      quantizeScreenCodeRow(code, w.data(), n, q.data(), &s);
      EXPECT_EQ(s, scale);
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(q[i], static_cast<int8_t>(codes[i])) << i;
      EXPECT_EQ(screenCodeBound(code, w.data(), q.data(), &s, n),
                headScreenBound(w.data(), codes.data(), scale, n));
      std::vector<float> x = randomRow(n, 500 + seed, 1.0f);
      std::vector<int16_t> u(static_cast<size_t>(n));
      const float xs = quantizeScreenRow(x.data(), n, u.data());
      EXPECT_EQ(screenCodeLogit(code, u.data(), xs, q.data(), &s, n),
                screenScanLogit(u.data(), xs, codes.data(), scale, n));
    }
  }
}

// b4g32h is the q4 format's copy: the same f16 scales and codes.
TEST(ScreenCode, HalfScaledFourBitGroupsAreTheQ4Copy) {
  const ScreenCode code{4, 32, true};
  for (int64_t n : {64, 2560}) {
    for (unsigned seed = 0; seed < 6; ++seed) {
      std::vector<float> w = randomRow(n, seed, 0.05f);
      if (seed % 3 == 1)
        w[static_cast<size_t>(seed % n)] = 2.0f;
      if (seed % 3 == 2) // a group in f16's subnormals
        for (int64_t i = 0; i < 32; ++i)
          w[static_cast<size_t>(i)] *= 1e-5f;
      std::vector<uint8_t> codes(static_cast<size_t>(n / 2));
      std::vector<float> scales(static_cast<size_t>(n / 32)),
          s(static_cast<size_t>(n / 32));
      quantizeHeadRow(HeadFormat::Q4, w.data(), n, codes.data(),
                      scales.data());
      std::vector<int8_t> q(static_cast<size_t>(n));
      quantizeScreenCodeRow(code, w.data(), n, q.data(), s.data());
      EXPECT_EQ(s, scales);
      for (int64_t i = 0; i < n; ++i) {
        const uint8_t byte = codes[i / 32 * 16 + i % 16];
        const int want = (i % 32 < 16 ? byte & 15 : byte >> 4) - 8;
        ASSERT_EQ(q[i], want) << i;
      }
    }
  }
}

// Every code's scan logit lies within its margin of the native logit, on
// the token rows where the bound is tightest: along the code's own error
// (Cauchy-Schwarz holds with equality) and with every element rounding by
// almost half a step the same way.
TEST(ScreenCode, BoundHoldsForEveryCode) {
  const int64_t n = 2560;
  for (ScreenCode code : {ScreenCode{2, 0}, ScreenCode{3, 16},
                          ScreenCode{4, 32}, ScreenCode{4, 32, true},
                          ScreenCode{5, 16},
                          ScreenCode{6, 64}, ScreenCode{7, 128},
                          ScreenCode{8, 32}}) {
    const int64_t scales = screenCodeScalesPerRow(code, n);
    float widest = 0; // the largest share of the margin a row used
    for (unsigned seed = 0; seed < 8; ++seed) {
      std::vector<float> w = randomRow(n, seed, 0.05f);
      if (seed % 4 == 1)
        for (float &v : w)
          v *= 1e-3f;
      if (seed % 4 == 2)
        w[static_cast<size_t>(seed * 7 % n)] = 3.0f;
      std::vector<int8_t> q(static_cast<size_t>(n));
      std::vector<float> s(static_cast<size_t>(scales));
      quantizeScreenCodeRow(code, w.data(), n, q.data(), s.data());
      const ScreenBound c =
          screenCodeBound(code, w.data(), q.data(), s.data(), n);
      const int64_t g = code.group == 0 ? n : code.group;
      const int limit = (1 << (code.bits - 1)) - 1;
      for (int64_t i = 0; i < n; ++i)
        ASSERT_LE(std::abs(q[i]), limit);
      std::vector<int16_t> u(static_cast<size_t>(n));
      for (unsigned t = 0; t < 6; ++t) {
        std::vector<float> x = randomRow(n, 900 + seed * 13 + t, 1.0f);
        if (t % 3 == 0)
          for (int64_t i = 0; i < n; ++i)
            x[i] = (w[i] - q[i] * s[i / g]) * 1e3f;
        if (t % 3 == 1) {
          const float big = 3.0f, step = big / kScreenRowMax;
          for (int64_t i = 0; i < n; ++i)
            x[i] = std::copysign(0.4995f * step, float(q[i]));
          x[static_cast<size_t>(seed % n)] = big;
        }
        const float native = dotHead(x.data(), w.data(), n);
        const float xs = quantizeScreenRow(x.data(), n, u.data());
        const float a =
            screenCodeLogit(code, u.data(), xs, q.data(), s.data(), n);
        const float margin = screenMargin(a, c, screenRowStats(x.data(), n));
        const float gap = std::fabs(native - a);
        EXPECT_LE(gap, margin) << screenCodeName(code) << " seed " << seed
                               << " token " << t;
        widest = std::max(widest, gap / margin);
      }
    }
    // Along the error the bound is nearly tight: a bound much wider than
    // the code's error would pass this test without being the code's.
    EXPECT_GT(widest, 0.9f) << screenCodeName(code);
  }
}

// Fewer bits, wider bounds: the bound follows the code's own error.
TEST(ScreenCode, BoundsWidenWithFewerBits) {
  const int64_t n = 2560;
  std::vector<float> w = randomRow(n, 3, 0.05f);
  std::vector<int8_t> q(static_cast<size_t>(n));
  std::vector<float> s(static_cast<size_t>(n));
  float last = 0;
  for (int bits = 8; bits >= 2; --bits) {
    const ScreenCode code{bits, 32};
    quantizeScreenCodeRow(code, w.data(), n, q.data(), s.data());
    const float c =
        screenCodeBound(code, w.data(), q.data(), s.data(), n).perNorm;
    EXPECT_GT(c, last * 1.5f) << bits << " bits";
    last = c;
  }
}

} // namespace
