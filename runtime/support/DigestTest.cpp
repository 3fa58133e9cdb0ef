//===- DigestTest.cpp - XXH64 and the sampled digest ----------------------===//

#include "runtime/support/Digest.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tern {
namespace {

uint64_t hashOf(const std::string &s, uint64_t seed = 0) {
  return xxh64(reinterpret_cast<const uint8_t *>(s.data()), s.size(), seed);
}

TEST(Digest, Xxh64KnownValues) {
  // The reference implementation's values (xxhsum -H1, and its tests).
  EXPECT_EQ(hashOf(""), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(hashOf("a"), 0xD24EC4F1A98C6E5BULL);
  EXPECT_EQ(hashOf("abc"), 0x44BC2CF5AD770999ULL);
}

TEST(Digest, SampledDigestHashesSmallBlobsWhole) {
  std::vector<uint8_t> b(1000);
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = static_cast<uint8_t>(i * 7);
  EXPECT_EQ(sampledDigest(b.data(), b.size()), xxh64(b.data(), b.size()));
}

TEST(Digest, SampledDigestSeesItsWindowsOnly) {
  const size_t size = 10 << 20;
  std::vector<uint8_t> b(size);
  for (size_t i = 0; i < size; ++i)
    b[i] = static_cast<uint8_t>(i * 2654435761u >> 13);
  const uint64_t d = sampledDigest(b.data(), size);
  // The first and last bytes are in windows 0 and 63.
  for (size_t at : {size_t(0), size - 1, 5 * (size - kSampleWindowBytes) / 63}) {
    b[at] ^= 1;
    EXPECT_NE(sampledDigest(b.data(), size), d) << at;
    b[at] ^= 1;
  }
  // A byte between two windows is not read.
  b[kSampleWindowBytes + 10] ^= 1;
  EXPECT_EQ(sampledDigest(b.data(), size), d);
}

} // namespace
} // namespace tern
