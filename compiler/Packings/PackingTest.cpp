//===- PackingTest.cpp - Packed ternary layouts: known bytes, round trips ===//

#include "compiler/Packings/Kinds/Base3V.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using namespace mlir::tern;

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
  Layout l{&i2Packing(), 128};
  ASSERT_EQ(l.rowBytes(128), 32);
  std::vector<uint8_t> out(32);
  ASSERT_TRUE(l.pack(t.data(), 1, 128, out.data()));
  EXPECT_EQ(out[0], (0u << 6) | (2u << 4) | (2u << 2) | 0u);
  EXPECT_EQ(out[5], (2u << 6) | (1u << 4) | (1u << 2) | 1u);
  EXPECT_EQ(out[1], 0x55); // all zeros: code 1 everywhere
}

TEST(Packing, Lut2KnownBytes) {
  // Block 8: byte p low nibble = group p (elements 2p, 2p+1), high nibble =
  // group p + 2 (elements 2p + 4, 2p + 5).
  std::vector<int8_t> t = {1, -1, 0, 0, -1, 1, 1, 1};
  Layout l{&lut2Packing(), 8};
  std::vector<uint8_t> out(2);
  ASSERT_TRUE(l.pack(t.data(), 1, 8, out.data()));
  // group0 = 3*2+0 = 6, group2 = 3*0+2 = 2 -> 0x26
  // group1 = 3*1+1 = 4, group3 = 3*2+2 = 8 -> 0x84
  EXPECT_EQ(out[0], 0x26);
  EXPECT_EQ(out[1], 0x84);
}

TEST(Packing, Base3KnownBytesAndPadding) {
  // Block 7: bytes {5 trits}, {2 trits + 3 padding zeros (code 1)}.
  std::vector<int8_t> t = {1, 1, 1, 1, 1, -1, 0};
  Layout l{&base3Packing(), 7};
  ASSERT_EQ(l.rowBytes(7), 2);
  std::vector<uint8_t> out(2);
  ASSERT_TRUE(l.pack(t.data(), 1, 7, out.data()));
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
  Layout l{&base3vPacking(), 10};
  ASSERT_EQ(l.rowBytes(10), 2);
  std::vector<uint8_t> out(2);
  ASSERT_TRUE(l.pack(t.data(), 1, 10, out.data()));
  EXPECT_EQ(out[0], 255);            // d = 242: ceil(242 * 256 / 243)
  EXPECT_EQ(out[1], base3vEncode(1)); // digits 0 0 0 0 1
  EXPECT_EQ(out[1], 2);
}

// Every registered packing, at several blocks: unpack inverts pack, and
// packing is canonical (repacking the unpacked values gives the same bytes).
TEST(Packing, EveryPackingRoundTrips) {
  for (const Packing *p : packings())
    for (int64_t block : {p->blockMultiple * 4, p->blockMultiple * 32,
                          p->blockMultiple * 7, int64_t(128)}) {
      if (block % p->blockMultiple)
        continue;
      Layout l{p, block};
      const int64_t n = p->rowGroup * 2, k = block * 3;
      ASSERT_EQ(l.check(n, k), "") << l.str();
      auto t = randomTernary(n * k, unsigned(block) * 7 + unsigned(p->name.size()));
      std::vector<uint8_t> packed(n * l.rowBytes(k));
      ASSERT_TRUE(l.pack(t.data(), n, k, packed.data())) << l.str();
      std::vector<int8_t> back(n * k, 42);
      ASSERT_TRUE(l.unpack(packed.data(), n, k, back.data())) << l.str();
      EXPECT_EQ(back, t) << l.str();
      std::vector<uint8_t> again(packed.size());
      ASSERT_TRUE(l.pack(back.data(), n, k, again.data()));
      EXPECT_EQ(again, packed) << l.str();
    }
}

TEST(Packing, RegistryNamesAreUnique) {
  for (const Packing *p : packings()) {
    EXPECT_EQ(findPacking(p->name), p);
    EXPECT_GT(p->blockMultiple, 0) << p->name.str();
    EXPECT_TRUE(p->pack && p->unpack && p->blockBytes && p->buildWeight &&
                p->buildPackedByte)
        << p->name.str();
    EXPECT_EQ(p->vectorPositions > 0, p->vectorCodes != nullptr)
        << p->name.str();
  }
  EXPECT_EQ(findPacking("nope"), nullptr);
}

TEST(Packing, I2X16PutsRowsInLanes) {
  // 32 rows of 32 weights, all 0 (code 1) but for a few: the bytes they
  // land in say where each row's weights go.
  const int64_t n = 32, k = 32;
  std::vector<int8_t> t(n * k, 0);
  t[0 * k + 0] = 1;   // row 0, weight 0: chunk 0, lane 0, byte 0, shift 6
  t[3 * k + 6] = -1;  // row 3, weight 6 = 4*1 + 2: lane 3, byte 2, shift 4
  t[5 * k + 31] = 1;  // row 5, weight 31 = 16 + 4*3 + 3: chunk 1, shift 0
  t[17 * k + 12] = 1; // row 17 = group 1, lane 1; weight 12 = 4*3 + 0
  Layout l{&i2x16Packing(), 32};
  std::vector<uint8_t> out(n * l.rowBytes(k));
  ASSERT_EQ(out.size(), 256u); // 2 groups x 2 chunks x 64 bytes
  ASSERT_TRUE(l.pack(t.data(), n, k, out.data()));
  const uint8_t ones = 0x55; // code 1 at every shift
  auto with = [&](int64_t shift, unsigned code) {
    return static_cast<uint8_t>((ones & ~(3u << shift)) | (code << shift));
  };
  EXPECT_EQ(out[0], with(6, 2));
  EXPECT_EQ(out[4 * 3 + 2], with(4, 0));
  EXPECT_EQ(out[64 + 4 * 5 + 3], with(0, 2));
  EXPECT_EQ(out[128 + 4 * 1 + 0], with(0, 2));
  int64_t other = 0;
  for (size_t i = 0; i < out.size(); ++i)
    other += out[i] != ones;
  EXPECT_EQ(other, 4);
  EXPECT_EQ(i2x16Packing().rowGroup, 16);
  Layout whole{&i2x16Packing(), 16};
  EXPECT_EQ(whole.check(24, 32),
            "i2x16 layout packs rows in groups of 16, got 24 rows");
}

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
  Layout l{&lut2iPacking(), 4};
  std::vector<uint8_t> out(n * l.rowBytes(k));
  ASSERT_EQ(out.size(), 64u);
  ASSERT_TRUE(l.pack(t.data(), n, k, out.data()));
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
  EXPECT_EQ(lut2iPacking().rowGroup, 32);
  EXPECT_EQ(i2Packing().rowGroup, 1);
}

TEST(Packing, Lut2INeedsWholeRowGroups) {
  std::vector<int8_t> t(16 * 4);
  std::vector<uint8_t> out(16);
  Layout l{&lut2iPacking(), 4};
  EXPECT_FALSE(l.pack(t.data(), 16, 4, out.data()));
  EXPECT_FALSE(l.unpack(out.data(), 16, 4, t.data()));
  EXPECT_EQ(l.check(48, 4),
            "lut2i layout packs rows in groups of 32, got 48 rows");
  EXPECT_EQ(l.check(64, 4), "");
  EXPECT_EQ((Layout{&i2Packing(), 4}).check(3, 4), "");
  EXPECT_EQ(l.check(64, 6),
            "row length 6 is not a positive multiple of the lut2i block size 4");
}

TEST(Packing, BytesPerWeight) {
  EXPECT_EQ((Layout{&i2Packing(), 128}).rowBytes(2560), 640);
  EXPECT_EQ((Layout{&lut2Packing(), 128}).rowBytes(2560), 640);
  EXPECT_EQ((Layout{&base3Packing(), 128}).rowBytes(6912), 54 * 26);
  EXPECT_EQ((Layout{&base3Packing(), 160}).rowBytes(2560), 16 * 32);
  EXPECT_EQ((Layout{&base3vPacking(), 320}).rowBytes(2560), 512);
}

TEST(Packing, RejectsNonTernaryValues) {
  std::vector<int8_t> t = {0, 2, 0, 0};
  std::vector<uint8_t> out(1);
  EXPECT_FALSE((Layout{&i2Packing(), 4}).pack(t.data(), 1, 4, out.data()));
}

TEST(Packing, RejectsInvalidCodes) {
  std::vector<int8_t> t(4);
  uint8_t i2Bad = 0xC0; // code 3 in the top two bits
  EXPECT_FALSE((Layout{&i2Packing(), 4}).unpack(&i2Bad, 1, 4, t.data()));
  uint8_t lutBad = 0x09; // nibble 9
  EXPECT_FALSE((Layout{&lut2Packing(), 4}).unpack(&lutBad, 1, 4, t.data()));
  uint8_t b3Bad = 243;
  EXPECT_FALSE((Layout{&base3Packing(), 4}).unpack(&b3Bad, 1, 4, t.data()));
  std::vector<int8_t> t5(5);
  uint8_t b3vBad = 1; // between the encodings of 0 (0) and 1 (2)
  EXPECT_FALSE(
      (Layout{&base3vPacking(), 5}).unpack(&b3vBad, 1, 5, t5.data()));
}

TEST(Packing, LayoutChecksExplainThemselves) {
  EXPECT_EQ((Layout{&i2Packing(), 6}).check(12),
            "i2 layout needs a block size divisible by 4, got 6");
  EXPECT_EQ((Layout{&lut2Packing(), 0}).check(12),
            "lut2 layout needs a positive block size, got 0");
  EXPECT_EQ((Layout{&base3Packing(), 128}).check(100),
            "row length 100 is not a positive multiple of the base3 block size 128");
  EXPECT_EQ((Layout{&base3vPacking(), 128}).check(256),
            "base3v layout needs a block size divisible by 5, got 128");
  EXPECT_EQ((Layout{&i2Packing(), 128}).check(256), "");
}
