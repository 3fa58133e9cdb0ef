//===- TernaryCodecTest.cpp - Ternary encodings and 16-bit float tests ----===//

#include "runtime/model/TernaryCodec.h"
#include "runtime/model/Half.h"
#include "runtime/model/TestModels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

using namespace tern;
using namespace tern::testmodels;

namespace {

std::vector<int8_t> randomTernary(int64_t n, uint32_t seed) {
  std::vector<int8_t> t(static_cast<size_t>(n));
  uint32_t s = seed * 747796405u + 1;
  for (int8_t &x : t) {
    s ^= s << 13, s ^= s >> 17, s ^= s << 5;
    x = static_cast<int8_t>(int(s % 3) - 1);
  }
  return t;
}

struct Encoded {
  TernaryTensor tensor;
  std::vector<uint8_t> bytes;
};

Encoded encode(TernaryEncoding enc, const std::vector<int8_t> &t, int64_t rows,
               int64_t cols, float scale) {
  Encoded e;
  const int64_t size = ternaryEncodedBytes(enc, rows, cols);
  EXPECT_GT(size, 0);
  e.bytes.assign(static_cast<size_t>(size), 0xEE);
  bool ok = false;
  switch (enc) {
  case TernaryEncoding::I2_S:
    ok = packI2S(t.data(), rows, cols, scale, e.bytes.data());
    break;
  case TernaryEncoding::TQ2_0:
    ok = packTQ2_0(t.data(), rows, cols, scale, e.bytes.data());
    break;
  case TernaryEncoding::TQ1_0:
    ok = packTQ1_0(t.data(), rows, cols, scale, e.bytes.data());
    break;
  case TernaryEncoding::HfPacked:
    ok = packHfTernary(t.data(), rows, cols, e.bytes.data());
    break;
  case TernaryEncoding::Int8:
    std::memcpy(e.bytes.data(), t.data(), t.size());
    ok = true;
    break;
  }
  EXPECT_TRUE(ok);
  e.tensor.name = "w";
  e.tensor.rows = rows;
  e.tensor.cols = cols;
  e.tensor.encoding = enc;
  e.tensor.data = e.bytes.data();
  e.tensor.byteSize = e.bytes.size();
  e.tensor.scale = scale;
  return e;
}

const TernaryEncoding kAll[] = {
    TernaryEncoding::I2_S, TernaryEncoding::TQ1_0, TernaryEncoding::TQ2_0,
    TernaryEncoding::HfPacked, TernaryEncoding::Int8};

} // namespace

TEST(HalfTest, Fp16KnownValues) {
  EXPECT_EQ(floatToFp16(0.0f), 0x0000);
  EXPECT_EQ(floatToFp16(-0.0f), 0x8000);
  EXPECT_EQ(floatToFp16(1.0f), 0x3C00);
  EXPECT_EQ(floatToFp16(0.5f), 0x3800);
  EXPECT_EQ(floatToFp16(-2.0f), 0xC000);
  EXPECT_EQ(floatToFp16(65504.0f), 0x7BFF);
  EXPECT_EQ(floatToFp16(65520.0f), 0x7C00); // Rounds up to infinity.
  EXPECT_EQ(floatToFp16(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(floatToFp16(std::ldexp(1.0f, -25)), 0x0000); // Tie to even.
  EXPECT_EQ(floatToFp16(std::ldexp(3.0f, -26)), 0x0001);
  EXPECT_EQ(floatToFp16(1.0f + std::ldexp(1.0f, -11)), 0x3C00); // Tie, even.
  EXPECT_EQ(floatToFp16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  EXPECT_EQ(fp16ToFloat(0x3C00), 1.0f);
  EXPECT_EQ(fp16ToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(fp16ToFloat(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_TRUE(std::isinf(fp16ToFloat(0xFC00)));
  EXPECT_TRUE(std::isnan(fp16ToFloat(0x7E00)));
  EXPECT_TRUE(std::isnan(fp16ToFloat(floatToFp16(std::nanf("")))));
}

TEST(HalfTest, Fp16RoundTripsEveryValue) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = fp16ToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f))
      continue;
    EXPECT_EQ(floatToFp16(f), h) << h;
  }
}

TEST(HalfTest, Bf16) {
  EXPECT_EQ(floatToBf16(1.0f), 0x3F80);
  EXPECT_EQ(bf16ToFloat(0x3F80), 1.0f);
  EXPECT_EQ(floatToBf16(1.0f + std::ldexp(1.0f, -8)), 0x3F80); // Tie, even.
  EXPECT_EQ(floatToBf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3F82);
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(std::nanf("")))));
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = bf16ToFloat(static_cast<uint16_t>(h));
    if (!std::isnan(f)) {
      EXPECT_EQ(floatToBf16(f), h);
    }
  }
}

TEST(TernaryCodecTest, SizesAndShapes) {
  EXPECT_EQ(ternaryEncodedBytes(TernaryEncoding::I2_S, 4, 256), 256 + 32);
  EXPECT_EQ(ternaryEncodedBytes(TernaryEncoding::TQ2_0, 3, 512), 6 * 66);
  EXPECT_EQ(ternaryEncodedBytes(TernaryEncoding::TQ1_0, 3, 512), 6 * 54);
  EXPECT_EQ(ternaryEncodedBytes(TernaryEncoding::HfPacked, 8, 5), 10);
  EXPECT_EQ(ternaryEncodedBytes(TernaryEncoding::Int8, 3, 5), 15);
  EXPECT_EQ(ternaryEncodedBytes(TernaryEncoding::I2_S, 4, 100), -1);
  EXPECT_EQ(ternaryEncodedBytes(TernaryEncoding::TQ1_0, 4, 128), -1);
  EXPECT_EQ(ternaryEncodedBytes(TernaryEncoding::HfPacked, 6, 8), -1);
  EXPECT_EQ(ternaryEncodedBytes(TernaryEncoding::Int8, 0, 8), -1);
  EXPECT_EQ(ternaryEncodedBytes(TernaryEncoding::Int8,
                                std::numeric_limits<int64_t>::max(), 2),
            -1);
  EXPECT_TRUE(hasWords(checkTernaryShape(TernaryEncoding::TQ2_0, 2, 100),
                       {"cols 100", "TQ2_0", "256"}));
}

TEST(TernaryCodecTest, RoundTripAllEncodings) {
  for (TernaryEncoding enc : kAll) {
    const int64_t rows = 8, cols = 512;
    const std::vector<int8_t> t = randomTernary(rows * cols, 7);
    Encoded e = encode(enc, t, rows, cols, 0.375f);
    std::vector<int8_t> back(t.size(), 9);
    ASSERT_TRUE(unpackTernary(e.tensor, back.data()))
        << ternaryEncodingName(enc);
    EXPECT_EQ(back, t) << ternaryEncodingName(enc);
    std::vector<int8_t> row(static_cast<size_t>(cols));
    ASSERT_TRUE(unpackTernaryRow(e.tensor, 5, row.data()));
    EXPECT_TRUE(std::equal(row.begin(), row.end(), t.begin() + 5 * cols));
    EXPECT_FALSE(unpackTernaryRow(e.tensor, rows, row.data()));
    EXPECT_FALSE(unpackTernaryRow(e.tensor, -1, row.data()));
    EXPECT_EQ(checkTernaryCodes(e.tensor), "");
    if (enc != TernaryEncoding::HfPacked && enc != TernaryEncoding::Int8) {
      OrError<float> s = readStoredTernaryScale(enc, "w", e.bytes.data(),
                                                e.bytes.size(), rows, cols);
      ASSERT_TRUE(s.ok()) << s.error;
      EXPECT_EQ(*s, 0.375f);
    }
  }
}

TEST(TernaryCodecTest, RejectsNonTernaryValues) {
  std::vector<int8_t> t = randomTernary(256, 1);
  t[17] = 2;
  std::vector<uint8_t> out(1024);
  EXPECT_FALSE(packI2S(t.data(), 1, 256, 1.0f, out.data()));
  EXPECT_FALSE(packTQ2_0(t.data(), 1, 256, 1.0f, out.data()));
  EXPECT_FALSE(packTQ1_0(t.data(), 1, 256, 1.0f, out.data()));
  EXPECT_FALSE(packHfTernary(t.data(), 4, 64, out.data()));
  EXPECT_FALSE(packI2S(t.data(), 1, 100, 1.0f, out.data())); // Bad shape.
}

TEST(TernaryCodecTest, I2SKnownBytes) {
  // Block 0: byte p holds elements p, p+32, p+64, p+96 at shifts 6, 4, 2, 0.
  std::vector<int8_t> t(128, 0);
  t[0] = 1, t[32] = -1, t[64] = 0, t[96] = 1;
  t[31 + 96] = -1;
  Encoded e = encode(TernaryEncoding::I2_S, t, 1, 128, 0.5f);
  ASSERT_EQ(e.bytes.size(), 32u + 32u);
  EXPECT_EQ(e.bytes[0], 0x86);                       // 10 00 01 10
  EXPECT_EQ(e.bytes[1], 0x55);                       // All zeros: 01 01 01 01.
  EXPECT_EQ(e.bytes[31], 0x54);                      // 01 01 01 00
  const uint8_t scale[4] = {0x00, 0x00, 0x00, 0x3F}; // 0.5f
  EXPECT_EQ(std::memcmp(e.bytes.data() + 32, scale, 4), 0);
  for (size_t i = 36; i < 64; ++i)
    EXPECT_EQ(e.bytes[i], 0) << i;
}

TEST(TernaryCodecTest, TQ2KnownBytes) {
  // Byte j + m holds elements 4j + m + 32n at bits 2n (ggml
  // quantize_row_tq2_0).
  std::vector<int8_t> t(256, 0);
  t[0] = 1, t[32] = -1, t[64] = 0, t[96] = 1; // Byte 0.
  t[128] = -1;                                // Byte 32, bits 0-1.
  t[128 + 31 + 96] = 1;                       // Byte 63, bits 6-7.
  Encoded e = encode(TernaryEncoding::TQ2_0, t, 1, 256, 0.5f);
  ASSERT_EQ(e.bytes.size(), 66u);
  EXPECT_EQ(e.bytes[0], 0x92); // 10 01 00 10
  EXPECT_EQ(e.bytes[1], 0x55);
  EXPECT_EQ(e.bytes[32], 0x54); // 01 01 01 00
  EXPECT_EQ(e.bytes[63], 0x95); // 10 01 01 01
  EXPECT_EQ(e.bytes[64], 0x00); // fp16 0.5 = 0x3800, little-endian.
  EXPECT_EQ(e.bytes[65], 0x38);
}

TEST(TernaryCodecTest, TQ1KnownBytes) {
  // qs[m] = ceil((sum_n code(m + 32n) * 3^(4-n)) * 256 / 243).
  std::vector<int8_t> t(256, 0);
  t[0] = 1;    // qs[0]: codes 2,1,1,1,1 -> 202 -> 213.
  t[240] = -1; // qh[0]: codes 0,1,1,1 (+ pad 0) -> 39 -> 42.
  Encoded e = encode(TernaryEncoding::TQ1_0, t, 1, 256, 0.5f);
  ASSERT_EQ(e.bytes.size(), 54u);
  EXPECT_EQ(e.bytes[0], 213);
  EXPECT_EQ(e.bytes[1], 128); // All zeros: 121 -> 128.
  EXPECT_EQ(e.bytes[47], 128);
  EXPECT_EQ(e.bytes[48], 42);
  EXPECT_EQ(e.bytes[49], 127); // All zeros in qh: 120 -> 127.
  EXPECT_EQ(e.bytes[52], 0x00);
  EXPECT_EQ(e.bytes[53], 0x38);
}

TEST(TernaryCodecTest, TQ1EveryTritPattern) {
  // Every 5-trit pattern in qs[0] (elements 0, 32, 64, 96, 128) and every
  // 4-trit pattern in qh[0] (elements 240, 244, 248, 252) decode exactly.
  for (int code = 0; code < 243; ++code) {
    std::vector<int8_t> t = randomTernary(256, static_cast<uint32_t>(code));
    int c = code;
    for (int n = 0; n < 5; ++n, c /= 3)
      t[32 * n] = static_cast<int8_t>(c % 3 - 1);
    c = code % 81;
    for (int n = 0; n < 4; ++n, c /= 3)
      t[240 + 4 * n] = static_cast<int8_t>(c % 3 - 1);
    Encoded e = encode(TernaryEncoding::TQ1_0, t, 1, 256, 1.0f);
    std::vector<int8_t> back(256);
    ASSERT_TRUE(unpackTernary(e.tensor, back.data()));
    ASSERT_EQ(back, t) << code;
  }
}

TEST(TernaryCodecTest, HfPackedKnownBytes) {
  // Bits 2i of packed row r hold row i * rows/4 + r.
  const std::vector<int8_t> t = {1, 0, -1, 1}; // rows 4, cols 1.
  Encoded e = encode(TernaryEncoding::HfPacked, t, 4, 1, 1.0f);
  ASSERT_EQ(e.bytes.size(), 1u);
  EXPECT_EQ(e.bytes[0], 2 | 1 << 2 | 0 << 4 | 2 << 6);
}

TEST(TernaryCodecTest, InvalidCodes) {
  const std::vector<int8_t> t = randomTernary(4 * 256, 3);
  Encoded i2 = encode(TernaryEncoding::I2_S, t, 4, 256, 1.0f);
  i2.bytes[64 + 3] = 0xFF; // Row 1 (64 bytes per row), code 3.
  EXPECT_TRUE(hasWords(checkTernaryCodes(i2.tensor),
                       {"'w'", "I2_S", "row 1", "invalid"}));
  Encoded tq2 = encode(TernaryEncoding::TQ2_0, t, 4, 256, 1.0f);
  tq2.bytes[66 * 2] = 0x03; // Row 2.
  EXPECT_TRUE(hasWords(checkTernaryCodes(tq2.tensor), {"row 2"}));
  std::vector<int8_t> row(256);
  EXPECT_FALSE(unpackTernaryRow(tq2.tensor, 2, row.data()));
  EXPECT_TRUE(unpackTernaryRow(tq2.tensor, 1, row.data()));
  Encoded raw = encode(TernaryEncoding::Int8, t, 4, 256, 1.0f);
  raw.bytes[300] = 5;
  EXPECT_TRUE(hasWords(checkTernaryCodes(raw.tensor), {"row 1"}));
  // Too little data.
  Encoded shortData = encode(TernaryEncoding::TQ1_0, t, 4, 256, 1.0f);
  shortData.tensor.byteSize -= 1;
  EXPECT_FALSE(unpackTernaryRow(shortData.tensor, 0, row.data()));
  EXPECT_TRUE(hasWords(checkTernaryCodes(shortData.tensor), {"bytes"}));
}

TEST(TernaryCodecTest, TQScalesMustAgree) {
  const std::vector<int8_t> t = randomTernary(2 * 512, 5);
  for (TernaryEncoding enc : {TernaryEncoding::TQ1_0, TernaryEncoding::TQ2_0}) {
    Encoded e = encode(enc, t, 2, 512, 0.25f);
    const size_t blockBytes = enc == TernaryEncoding::TQ1_0 ? 54 : 66;
    // Block 3's scale differs.
    const uint16_t other = floatToFp16(0.5f);
    std::memcpy(e.bytes.data() + 3 * blockBytes + blockBytes - 2, &other, 2);
    OrError<float> s = readStoredTernaryScale(
        enc, "blk.0.attn_q.weight", e.bytes.data(), e.bytes.size(), 2, 512);
    EXPECT_TRUE(hasWords(s.error, {"'blk.0.attn_q.weight'", "block 3", "row 1",
                                   "0.5", "0.25", "one scale per tensor"}));
  }
}

TEST(TernaryCodecTest, TQAllZeroBlocksMayHaveAnyScale) {
  // ggml writes d = 0 for blocks whose weights are all zero.
  std::vector<int8_t> t = randomTernary(3 * 256, 9);
  std::fill(t.begin(), t.begin() + 256, int8_t(0)); // Block 0.
  std::fill(t.begin() + 512, t.end(), int8_t(0));   // Block 2.
  for (TernaryEncoding enc : {TernaryEncoding::TQ1_0, TernaryEncoding::TQ2_0}) {
    Encoded e = encode(enc, t, 3, 256, 0.75f);
    const size_t blockBytes = enc == TernaryEncoding::TQ1_0 ? 54 : 66;
    const uint16_t zero = 0;
    std::memcpy(e.bytes.data() + blockBytes - 2, &zero, 2);
    std::memcpy(e.bytes.data() + 3 * blockBytes - 2, &zero, 2);
    OrError<float> s = readStoredTernaryScale(enc, "w", e.bytes.data(),
                                              e.bytes.size(), 3, 256);
    ASSERT_TRUE(s.ok()) << s.error;
    EXPECT_EQ(*s, 0.75f);
  }
}

TEST(TernaryCodecTest, NonFiniteScale) {
  const std::vector<int8_t> t = randomTernary(256, 2);
  Encoded e = encode(TernaryEncoding::I2_S, t, 1, 256,
                     std::numeric_limits<float>::infinity());
  EXPECT_TRUE(
      hasWords(readStoredTernaryScale(TernaryEncoding::I2_S, "w",
                                      e.bytes.data(), e.bytes.size(), 1, 256)
                   .error,
               {"'w'", "not finite"}));
  EXPECT_TRUE(
      hasWords(readStoredTernaryScale(TernaryEncoding::Int8, "w",
                                      e.bytes.data(), e.bytes.size(), 1, 256)
                   .error,
               {"stores no scale"}));
}

TEST(TernaryCodecTest, ScalesArePositiveUnlessEveryWeightIsZero) {
  // One rule for every encoding: a negative scale, or 0 over non-zero
  // weights, is refused; 0 over an all-zero tensor multiplies nothing.
  const std::vector<int8_t> t = randomTernary(2 * 256, 3);
  const std::vector<int8_t> zeros(2 * 256, 0);
  for (TernaryEncoding enc : {TernaryEncoding::I2_S, TernaryEncoding::TQ1_0,
                              TernaryEncoding::TQ2_0}) {
    SCOPED_TRACE(ternaryEncodingName(enc));
    auto scale = [&](const std::vector<int8_t> &w, float s) {
      Encoded e = encode(enc, w, 2, 256, s);
      return readStoredTernaryScale(enc, "w", e.bytes.data(), e.bytes.size(),
                                    2, 256);
    };
    EXPECT_TRUE(hasWords(scale(t, 0.0f).error,
                         {"'w'", "scale is 0", "non-zero weights"}));
    EXPECT_TRUE(hasWords(scale(t, -0.5f).error,
                         {"'w'", "-0.5", "negative"}));
    OrError<float> ok = scale(zeros, 0.0f);
    ASSERT_TRUE(ok.ok()) << ok.error;
    EXPECT_EQ(*ok, 0.0f);
  }
}
