//===- HeapTest.cpp - Freed activation buffers stay mapped ----------------===//

#include "runtime/support/Heap.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <sys/resource.h>
#include <vector>

namespace tern {
namespace {

long minorFaults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

/// Page faults of writing `count` newly allocated blocks of `bytes`, after
/// `count` blocks of that size were written and freed (as a prefill call
/// allocates and frees its buffers).
long faultsOfReallocatedBlocks(int count, size_t bytes) {
  auto allocateAndWrite = [&](std::vector<char *> &blocks, int value) {
    for (int i = 0; i < count; ++i) {
      blocks.push_back(static_cast<char *>(std::malloc(bytes)));
      std::memset(blocks.back(), value, bytes);
    }
  };
  std::vector<char *> blocks;
  allocateAndWrite(blocks, 1);
  for (char *b : blocks)
    std::free(b);
  blocks.clear();
  const long before = minorFaults();
  allocateAndWrite(blocks, 2);
  const long faults = minorFaults() - before;
  for (char *b : blocks)
    std::free(b);
  return faults;
}

TEST(Heap, FreedBlocksAreReusedWithoutPageFaults) {
  if (!keepFreedHeapPages())
    GTEST_SKIP() << "malloc's thresholds are glibc's (not a sanitizer's)";
  // 4 blocks of 8 MiB (8192 pages of 4 KiB): glibc by default maps blocks
  // this large, or, once it has raised its threshold, trims their pages
  // off the top of the heap when they are freed together.
  const size_t bytes = size_t(8) << 20;
  faultsOfReallocatedBlocks(4, bytes); // the heap grows to hold them once
  EXPECT_LT(faultsOfReallocatedBlocks(4, bytes), 256);
}

} // namespace
} // namespace tern
