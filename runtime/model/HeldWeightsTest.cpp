//===- HeldWeightsTest.cpp - Weights read into memory or mapped -----------===//

#include "runtime/model/HeldWeights.h"
#include "runtime/model/TestModels.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace tern {
namespace {

/// A temporary file of `bytes` bytes of a position-dependent pattern.
struct PatternFile {
  std::string path;
  std::vector<uint8_t> bytes;
  explicit PatternFile(size_t n) {
    std::string tmpl = testmodels::tempDir() + "/held-XXXXXX";
    const int fd = ::mkstemp(tmpl.data());
    path = tmpl;
    bytes.resize(n);
    for (size_t i = 0; i < n; ++i)
      bytes[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
    EXPECT_EQ(::write(fd, bytes.data(), n), static_cast<ssize_t>(n));
    ::close(fd);
  }
  ~PatternFile() { std::remove(path.c_str()); }
};

TEST(HeldWeightsTest, AnonymousHoldsTheFileBytesReadByEveryReader) {
  // 40 MiB and an odd offset: several readers, shares that end mid-file.
  PatternFile f(size_t(40) << 20);
  MappedFileOrError m = MappedFile::open(f.path);
  ASSERT_TRUE(m) << m.error;
  const uint64_t offset = 4097, size = (*m)->size() - offset - 13;
  for (int threads : {1, 3, 8}) {
    auto held = HeldWeights::hold(*m, (*m)->data() + offset, size,
                                  WeightHolding::Anonymous, threads);
    ASSERT_TRUE(held) << held.error;
    const HeldWeights &h = **held;
    EXPECT_EQ(h.how(), WeightHolding::Anonymous);
    EXPECT_EQ(h.size(), size);
    EXPECT_NE(h.data(), (*m)->data() + offset); // a copy, not the mapping
    EXPECT_EQ(reinterpret_cast<uintptr_t>(h.data()) % (2u << 20), 0u);
    EXPECT_EQ(std::memcmp(h.data(), f.bytes.data() + offset, size), 0)
        << threads << " readers";
    EXPECT_NE(h.describe().find("anonymous memory"), std::string::npos);
  }
}

TEST(HeldWeightsTest, MappedIsTheMappingItself) {
  PatternFile f(size_t(1) << 20);
  MappedFileOrError m = MappedFile::open(f.path);
  ASSERT_TRUE(m) << m.error;
  auto held = HeldWeights::hold(*m, (*m)->data() + 64, 1000,
                                WeightHolding::Mapped);
  ASSERT_TRUE(held) << held.error;
  EXPECT_EQ((*held)->data(), (*m)->data() + 64);
  EXPECT_NE((*held)->describe().find("mapping"), std::string::npos);
}

TEST(HeldWeightsTest, SliceOfAFileReadsFromTheRightOffset) {
  PatternFile f(size_t(3) << 20);
  MappedFileOrError m = MappedFile::open(f.path);
  ASSERT_TRUE(m) << m.error;
  auto slice = MappedFile::slice(*m, 1000, 2000000, "part");
  std::string path;
  uint64_t offset = 0;
  ASSERT_TRUE(slice->backingFile(slice->data() + 5, path, offset));
  EXPECT_EQ(path, f.path);
  EXPECT_EQ(offset, 1005u);
  auto held = HeldWeights::hold(slice, slice->data() + 5, 100000,
                                WeightHolding::Anonymous, 2);
  ASSERT_TRUE(held) << held.error;
  EXPECT_EQ(std::memcmp((*held)->data(), f.bytes.data() + 1005, 100000), 0);
}

TEST(HeldWeightsTest, BufferIsCopied) {
  std::vector<uint8_t> bytes(5000);
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<uint8_t>(i);
  auto buf = MappedFile::fromBuffer(bytes, "buffer");
  std::string path;
  uint64_t offset;
  EXPECT_FALSE(buf->backingFile(buf->data(), path, offset));
  auto held = HeldWeights::hold(buf, buf->data() + 10, 4000,
                                WeightHolding::Anonymous);
  ASSERT_TRUE(held) << held.error;
  EXPECT_EQ(std::memcmp((*held)->data(), bytes.data() + 10, 4000), 0);
}

TEST(HeldWeightsTest, AFileTruncatedAfterOpeningIsAnErrorNamingIt) {
  PatternFile f(size_t(4) << 20);
  MappedFileOrError m = MappedFile::open(f.path);
  ASSERT_TRUE(m) << m.error;
  ASSERT_EQ(::truncate(f.path.c_str(), 1 << 20), 0);
  auto held = HeldWeights::hold(*m, (*m)->data(), (*m)->size(),
                                WeightHolding::Anonymous, 2);
  ASSERT_FALSE(held);
  EXPECT_NE(held.error.find(f.path), std::string::npos) << held.error;
  EXPECT_NE(held.error.find("ends at byte"), std::string::npos) << held.error;
}

TEST(HeldWeightsTest, FlagsChooseTheHolding) {
  EXPECT_EQ(weightHoldingFor(std::nullopt), kDefaultWeightHolding);
  EXPECT_EQ(weightHoldingFor(true), WeightHolding::Mapped);
  EXPECT_EQ(weightHoldingFor(false), WeightHolding::Anonymous);
}

} // namespace
} // namespace tern
