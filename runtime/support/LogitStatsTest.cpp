//===- LogitStatsTest.cpp - Logit comparisons and the .npy reader ---------===//

#include "runtime/support/LogitStats.h"
#include "runtime/support/Npy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>

using namespace tern;

namespace {

TEST(LogitStats, IdenticalLogits) {
  const float a[6] = {1, 2, 3, 0, -1, 5};
  LogitStats s = compareLogits(a, a, 2, 3);
  EXPECT_EQ(s.rows, 2);
  EXPECT_EQ(s.maxAbsDiff, 0.0);
  EXPECT_EQ(s.relRmsDiff, 0.0);
  EXPECT_EQ(s.top1Agree, 2);
  EXPECT_EQ(s.meanKl, 0.0);
  EXPECT_EQ(s.equalMin, 3);
  EXPECT_EQ(s.equalMax, 3);
}

// Bit-for-bit equal logits per row: 0.0 and -0.0 differ, NaNs of the same
// bits are equal; the median of an even count is the lower middle one.
TEST(LogitStats, EqualLogitsPerRow) {
  const float nan = std::nanf("");
  const float a[12] = {1, 2, 3, 0.0f, 1, 2, 5, 6, 7, nan, 1, 1};
  const float b[12] = {1, 2, 3, -0.0f, 1, 9, 5, 0, 0, nan, 0, 0};
  LogitStats s = compareLogits(a, b, 4, 3);
  EXPECT_EQ(s.equalMin, 1);
  EXPECT_EQ(s.equalMedian, 1);
  EXPECT_EQ(s.equalMax, 3);
}

TEST(LogitStats, KnownDifferences) {
  // Row 0: B swaps the two largest (argmax differs); row 1: a shift by a
  // constant (same softmax, KL 0, argmax kept).
  const float a[4] = {0.0f, std::log(3.0f), 7.0f, 8.0f};
  const float b[4] = {std::log(3.0f), 0.0f, 9.0f, 10.0f};
  LogitStats s = compareLogits(a, b, 2, 2);
  EXPECT_EQ(s.top1Agree, 1);
  EXPECT_DOUBLE_EQ(s.maxAbsDiff, 2.0);
  // Row 0: P = (1/4, 3/4), Q = (3/4, 1/4): KL = 1/4 ln(1/3) + 3/4 ln 3.
  const double kl0 = 0.25 * std::log(1.0 / 3) + 0.75 * std::log(3.0);
  EXPECT_NEAR(s.maxKl, kl0, 1e-6);
  EXPECT_NEAR(s.meanKl, kl0 / 2, 1e-6);
  const double sqA = std::log(3.0) * std::log(3.0) + 49 + 64;
  const double sqD = 2 * std::log(3.0) * std::log(3.0) + 4 + 4;
  EXPECT_NEAR(s.relRmsDiff, std::sqrt(sqD / sqA), 1e-6);
}

std::string tempPath(const char *name) {
  return ::testing::TempDir() + name;
}

TEST(Npy, ReadsWhatItWrites) {
  const std::string p = tempPath("roundtrip.npy");
  const float data[6] = {1.5f, -2, 3, 4, 5, 6.25f};
  ASSERT_EQ(writeNpyFloat32(p, {2, 3}, data), "");
  std::vector<int64_t> shape;
  std::vector<float> got;
  ASSERT_EQ(readNpyFloat32(p, shape, got), "");
  EXPECT_EQ(shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(got, std::vector<float>(data, data + 6));
  ASSERT_EQ(writeNpyFloat32(p, {4}, data), "");
  ASSERT_EQ(readNpyFloat32(p, shape, got), "");
  EXPECT_EQ(shape, (std::vector<int64_t>{4}));
}

TEST(Npy, ReaderErrorsNameTheFile) {
  std::vector<int64_t> shape;
  std::vector<float> got;
  const std::string missing = tempPath("missing.npy");
  std::remove(missing.c_str());
  EXPECT_NE(readNpyFloat32(missing, shape, got).find(missing),
            std::string::npos);

  const std::string p = tempPath("bad.npy");
  auto writeRaw = [&](const std::string &bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
  };
  writeRaw("hello");
  EXPECT_NE(readNpyFloat32(p, shape, got).find("not a .npy file"),
            std::string::npos);
  // Truncated data: the header says 2x3, 4 floats follow.
  const float data[6] = {};
  std::string ok = npyFloat32Header({2, 3});
  writeRaw(ok + std::string(reinterpret_cast<const char *>(data), 16));
  EXPECT_NE(readNpyFloat32(p, shape, got).find("data bytes"),
            std::string::npos);
  // Another dtype.
  std::string f8 = ok;
  f8.replace(f8.find("<f4"), 3, "<f8");
  writeRaw(f8 + std::string(reinterpret_cast<const char *>(data), 24));
  EXPECT_NE(readNpyFloat32(p, shape, got).find("float32"),
            std::string::npos);
  // An absurd shape.
  std::string big = ok;
  big.replace(big.find("(2, 3)"), 6, "(99999999999999)");
  writeRaw(big);
  EXPECT_NE(readNpyFloat32(p, shape, got).find("absurd"), std::string::npos);
}

} // namespace
