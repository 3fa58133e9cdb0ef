//===- LimitsTest.cpp - Sizes checked against the machine -----------------===//

#include "runtime/support/Limits.h"

#include <gtest/gtest.h>

#include <climits>

namespace tern {
namespace {

TEST(Limits, CheckedProduct) {
  EXPECT_EQ(checkedProduct({2, 3, 7}), 42);
  EXPECT_EQ(checkedProduct({}), 1);
  EXPECT_EQ(checkedProduct({INT64_MAX, 1}), INT64_MAX);
  EXPECT_FALSE(checkedProduct({INT64_MAX, 2}));
  // -c 2^62 times a KV row: the product that used to wrap.
  EXPECT_FALSE(checkedProduct({2, 30, int64_t(1) << 62, 640, 4}));
  EXPECT_FALSE(checkedProduct({4, -1}));
}

TEST(Limits, SaturatingAdd) {
  EXPECT_EQ(saturatingAdd(3, 4), 7);
  EXPECT_EQ(saturatingAdd(5, INT64_MAX), INT64_MAX);
  EXPECT_EQ(saturatingAdd(INT64_MAX, INT64_MAX), INT64_MAX);
}

TEST(Limits, PhysicalMemoryIsKnownOnLinux) {
  EXPECT_GT(physicalMemoryBytes(), uint64_t(1) << 24);
}

TEST(Limits, FitsInMemory) {
  EXPECT_EQ(checkFitsInMemory("a small buffer", 4096), "");
  const std::string big = checkFitsInMemory("a KV cache", INT64_MAX / 2);
  EXPECT_NE(big.find("a KV cache would need"), std::string::npos) << big;
  EXPECT_NE(big.find("of memory"), std::string::npos) << big;
  EXPECT_NE(checkFitsInMemory("x", std::nullopt).find("2^63"),
            std::string::npos);
}

TEST(Limits, FormatBytes) {
  EXPECT_EQ(formatBytes(512), "512 bytes");
  EXPECT_EQ(formatBytes(3.0 * 1024 * 1024), "3.0 MiB");
  EXPECT_EQ(formatBytes(1.5 * 1024 * 1024 * 1024), "1.50 GiB");
}

} // namespace
} // namespace tern
