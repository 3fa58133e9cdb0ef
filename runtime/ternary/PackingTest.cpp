//===- PackingTest.cpp - Packed ternary layouts: known bytes, round trips ===//

#include "runtime/ternary/Packing.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using namespace tern;

namespace {

std::vector<int8_t> randomTernary(int64_t count, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(-1, 1);
  std::vector<int8_t> t(count);
  for (auto &v : t)
    v = static_cast<int8_t>(d(rng));
  return t;
}

} // namespace

TEST(Packing, I2MatchesI2SByteOrder) {
  // bitnet.cpp I2_S: byte p of a 128-block holds p, p+32, p+64, p+96 at
  // shifts 6, 4, 2, 0, code = w + 1.
  std::vector<int8_t> t(128, 0);
  t[0] = -1;  // byte 0, shift 6, code 0
  t[32] = 1;  // byte 0, shift 4, code 2
  t[64] = 1;  // byte 0, shift 2, code 2
  t[96] = -1; // byte 0, shift 0, code 0
  t[5] = 1;   // byte 5, shift 6
  PackedLayout l{PackingKind::I2, 128};
  ASSERT_EQ(packedRowBytes(l, 128), 32);
  std::vector<uint8_t> out(32);
  ASSERT_TRUE(packTernary(l, t.data(), 1, 128, out.data()));
  EXPECT_EQ(out[0], (0u << 6) | (2u << 4) | (2u << 2) | 0u);
  EXPECT_EQ(out[5], (2u << 6) | (1u << 4) | (1u << 2) | 1u);
  EXPECT_EQ(out[1], 0x55); // all zeros: code 1 everywhere
}

TEST(Packing, Lut2KnownBytes) {
  // Block 8: byte p low nibble = group p (elements 2p, 2p+1), high nibble =
  // group p + 2 (elements 2p + 4, 2p + 5).
  std::vector<int8_t> t = {1, -1, 0, 0, -1, 1, 1, 1};
  PackedLayout l{PackingKind::Lut2, 8};
  std::vector<uint8_t> out(2);
  ASSERT_TRUE(packTernary(l, t.data(), 1, 8, out.data()));
  // group0 = 3*2+0 = 6, group2 = 3*0+2 = 2 -> 0x26
  // group1 = 3*1+1 = 4, group3 = 3*2+2 = 8 -> 0x84
  EXPECT_EQ(out[0], 0x26);
  EXPECT_EQ(out[1], 0x84);
}

TEST(Packing, Base3KnownBytesAndPadding) {
  // Block 7: bytes {5 trits}, {2 trits + 3 padding zeros (code 1)}.
  std::vector<int8_t> t = {1, 1, 1, 1, 1, -1, 0};
  PackedLayout l{PackingKind::Base3, 7};
  ASSERT_EQ(packedRowBytes(l, 7), 2);
  std::vector<uint8_t> out(2);
  ASSERT_TRUE(packTernary(l, t.data(), 1, 7, out.data()));
  EXPECT_EQ(out[0], 242); // 2 * (1 + 3 + 9 + 27 + 81)
  EXPECT_EQ(out[1], 0 + 1 * 3 + 1 * 9 + 1 * 27 + 1 * 81);
}

TEST(Packing, Base3VDigitsExhaustive) {
  // Every digit string decodes back by the multiply-by-3 trick, and the
  // comparisons SIMD kernels use (x >= 86, x >= 171) give the same digit.
  std::vector<bool> used(256);
  for (unsigned d = 0; d < 243; ++d) {
    const uint8_t q = base3vEncode(d);
    ASSERT_FALSE(used[q]) << d;
    used[q] = true;
    unsigned x = q, rest = d;
    for (int j = 0; j < 5; ++j) {
      const unsigned want = rest / 81;
      rest = rest % 81 * 3;
      EXPECT_EQ(base3vDigit(q, j), want) << "d " << d << " digit " << j;
      EXPECT_EQ(unsigned(x >= 86) + unsigned(x >= 171), want);
      x = (x + x + x) & 255;
    }
  }
}

TEST(Packing, Base3VKnownBytes) {
  // Block 10: byte p holds elements p, p+2, p+4, p+6, p+8.
  std::vector<int8_t> t = {1, -1, 1, -1, 1, -1, 1, -1, 1, 0};
  PackedLayout l{PackingKind::Base3V, 10};
  ASSERT_EQ(packedRowBytes(l, 10), 2);
  std::vector<uint8_t> out(2);
  ASSERT_TRUE(packTernary(l, t.data(), 1, 10, out.data()));
  EXPECT_EQ(out[0], 255);            // d = 242: ceil(242 * 256 / 243)
  EXPECT_EQ(out[1], base3vEncode(1)); // digits 0 0 0 0 1
  EXPECT_EQ(out[1], 2);
}

class PackingRoundTrip
    : public ::testing::TestWithParam<std::tuple<PackingKind, int64_t>> {};

TEST_P(PackingRoundTrip, UnpackInvertsPack) {
  auto [kind, block] = GetParam();
  PackedLayout l{kind, block};
  const int64_t n = kind == PackingKind::Lut2I ? 64 : 5, k = block * 3;
  ASSERT_EQ(checkPackedShape(l, n, k), "");
  auto t = randomTernary(n * k, unsigned(block) * 7 + unsigned(kind));
  std::vector<uint8_t> packed(n * packedRowBytes(l, k));
  ASSERT_TRUE(packTernary(l, t.data(), n, k, packed.data()));
  std::vector<int8_t> back(n * k, 42);
  ASSERT_TRUE(unpackTernary(l, packed.data(), n, k, back.data()));
  EXPECT_EQ(back, t);
  // Packing is deterministic and canonical: repacking gives the same bytes.
  std::vector<uint8_t> again(packed.size());
  ASSERT_TRUE(packTernary(l, back.data(), n, k, again.data()));
  EXPECT_EQ(again, packed);
}

INSTANTIATE_TEST_SUITE_P(
    AllLayouts, PackingRoundTrip,
    ::testing::Values(std::make_tuple(PackingKind::I2, 4),
                      std::make_tuple(PackingKind::I2, 128),
                      std::make_tuple(PackingKind::Lut2, 4),
                      std::make_tuple(PackingKind::Lut2, 64),
                      std::make_tuple(PackingKind::Base3, 5),
                      std::make_tuple(PackingKind::Base3, 7),
                      std::make_tuple(PackingKind::Base3, 128),
                      std::make_tuple(PackingKind::Base3V, 5),
                      std::make_tuple(PackingKind::Base3V, 160),
                      std::make_tuple(PackingKind::Base3V, 320),
                      std::make_tuple(PackingKind::Lut2I, 4),
                      std::make_tuple(PackingKind::Lut2I, 128)),
    [](const auto &info) {
      return std::string(packingKindName(std::get<0>(info.param))) + "_b" +
             std::to_string(std::get<1>(info.param));
    });

TEST(Packing, Lut2IInterleavesRowsInGroupsOf32) {
  // 64 rows of 4 weights: row r has pair 0 = (r % 3 - 1, (r / 3) % 3 - 1)
  // and pair 1 = (1, -1) for even rows, (0, 0) for odd ones.
  const int64_t n = 64, k = 4;
  std::vector<int8_t> t(n * k);
  for (int64_t r = 0; r < n; ++r) {
    t[r * k + 0] = int8_t(r % 3 - 1);
    t[r * k + 1] = int8_t((r / 3) % 3 - 1);
    t[r * k + 2] = r % 2 ? 0 : 1;
    t[r * k + 3] = r % 2 ? 0 : -1;
  }
  PackedLayout l{PackingKind::Lut2I, 4};
  std::vector<uint8_t> out(n * packedRowBytes(l, k));
  ASSERT_EQ(out.size(), 64u);
  ASSERT_TRUE(packTernary(l, t.data(), n, k, out.data()));
  auto index = [&](int64_t r, int64_t p) {
    return 3 * (t[r * k + 2 * p] + 1) + (t[r * k + 2 * p + 1] + 1);
  };
  for (int64_t g = 0; g < 2; ++g)
    for (int64_t p = 0; p < 2; ++p)
      for (int64_t i = 0; i < 16; ++i) {
        const int64_t r = 32 * g + i;
        EXPECT_EQ(out[g * 32 + p * 16 + i],
                  index(r, p) | (index(r + 16, p) << 4))
            << "group " << g << " pair " << p << " byte " << i;
      }
  // Row 2, pair 1 = (1, -1): index 6 in byte 16 + 2's low nibble.
  EXPECT_EQ(out[16 + 2] & 15, 6);
  EXPECT_EQ(packedRowGroup(PackingKind::Lut2I), 32);
  EXPECT_EQ(packedRowGroup(PackingKind::I2), 1);
}

TEST(Packing, Lut2INeedsWholeRowGroups) {
  std::vector<int8_t> t(16 * 4);
  std::vector<uint8_t> out(16);
  PackedLayout l{PackingKind::Lut2I, 4};
  EXPECT_FALSE(packTernary(l, t.data(), 16, 4, out.data()));
  EXPECT_FALSE(unpackTernary(l, out.data(), 16, 4, t.data()));
  EXPECT_EQ(checkPackedShape(l, 48, 4),
            "lut2i layout packs rows in groups of 32, got 48 rows");
  EXPECT_EQ(checkPackedShape(l, 64, 4), "");
  EXPECT_EQ(checkPackedShape({PackingKind::I2, 4}, 3, 4), "");
  EXPECT_EQ(checkPackedShape(l, 64, 6),
            "row length 6 is not a positive multiple of the lut2i block size 4");
}

TEST(Packing, BytesPerWeight) {
  EXPECT_EQ(packedRowBytes({PackingKind::I2, 128}, 2560), 640);
  EXPECT_EQ(packedRowBytes({PackingKind::Lut2, 128}, 2560), 640);
  EXPECT_EQ(packedRowBytes({PackingKind::Base3, 128}, 6912), 54 * 26);
  EXPECT_EQ(packedRowBytes({PackingKind::Base3, 160}, 2560), 16 * 32);
  EXPECT_EQ(packedRowBytes({PackingKind::Base3V, 320}, 2560), 512);
}

TEST(Packing, RejectsNonTernaryValues) {
  std::vector<int8_t> t = {0, 2, 0, 0};
  std::vector<uint8_t> out(1);
  EXPECT_FALSE(packTernary({PackingKind::I2, 4}, t.data(), 1, 4, out.data()));
}

TEST(Packing, RejectsInvalidCodes) {
  std::vector<int8_t> t(4);
  uint8_t i2Bad = 0xC0; // code 3 in the top two bits
  EXPECT_FALSE(unpackTernary({PackingKind::I2, 4}, &i2Bad, 1, 4, t.data()));
  uint8_t lutBad = 0x09; // nibble 9
  EXPECT_FALSE(unpackTernary({PackingKind::Lut2, 4}, &lutBad, 1, 4, t.data()));
  uint8_t b3Bad = 243;
  EXPECT_FALSE(unpackTernary({PackingKind::Base3, 4}, &b3Bad, 1, 4, t.data()));
  std::vector<int8_t> t5(5);
  uint8_t b3vBad = 1; // between the encodings of 0 (0) and 1 (2)
  EXPECT_FALSE(
      unpackTernary({PackingKind::Base3V, 5}, &b3vBad, 1, 5, t5.data()));
}

TEST(Packing, LayoutChecksExplainThemselves) {
  EXPECT_EQ(checkPackedLayout({PackingKind::I2, 6}, 12),
            "i2 layout needs a block size divisible by 4, got 6");
  EXPECT_EQ(checkPackedLayout({PackingKind::Lut2, 0}, 12),
            "lut2 layout needs a positive block size, got 0");
  EXPECT_EQ(checkPackedLayout({PackingKind::Base3, 128}, 100),
            "row length 100 is not a positive multiple of the base3 block size 128");
  EXPECT_EQ(checkPackedLayout({PackingKind::Base3V, 128}, 256),
            "base3v layout needs a block size divisible by 5, got 128");
  EXPECT_EQ(checkPackedLayout({PackingKind::I2, 128}, 256), "");
}
