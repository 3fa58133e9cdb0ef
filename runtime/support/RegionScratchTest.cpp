//===- RegionScratchTest.cpp ----------------------------------------------===//

#include "runtime/support/RegionScratch.h"
#include "runtime/support/ThreadPool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <mutex>
#include <set>
#include <thread>

using namespace tern;

TEST(RegionScratch, FirstOncePerRegionAndAligned) {
  bool first = false;
  enterRegion();
  void *a = regionScratch(100, first);
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(first);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u);
  void *b = regionScratch(100, first);
  EXPECT_FALSE(first);
  EXPECT_EQ(a, b);
  enterRegion();
  regionScratch(100, first);
  EXPECT_TRUE(first);
  // A larger request than the buffer holds is a new buffer, to compute.
  regionScratch(1 << 20, first);
  EXPECT_TRUE(first);
  regionScratch(64, first);
  EXPECT_FALSE(first);
}

TEST(RegionScratch, EachThreadHasItsOwn) {
  bool first = false;
  enterRegion();
  void *mine = regionScratch(256, first);
  void *other = nullptr;
  bool otherFirst = false;
  std::thread([&] { other = regionScratch(256, otherFirst); }).join();
  EXPECT_NE(mine, other);
  EXPECT_TRUE(otherFirst);
  // The other thread's request did not make this one's contents fresh.
  regionScratch(256, first);
  EXPECT_FALSE(first);
}

// In every call of a pool, each thread that runs blocks is told to compute
// its buffer at its first block and only then, whether its blocks come
// from its own part or another's, and a call on the caller alone (one
// item) too.
TEST(RegionScratch, ThePoolStartsARegionForEveryThreadInEveryCall) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int call = 0; call < 50; ++call)
      for (int64_t n : {int64_t(1), int64_t(7), int64_t(64)}) {
        std::mutex m;
        int firsts = 0;
        std::set<std::thread::id> ran;
        pool.parallelForBalanced(n, 8, [&](int64_t, int64_t) {
          bool first = false;
          int *p = static_cast<int *>(regionScratch(64, first));
          ASSERT_NE(p, nullptr);
          if (first)
            *p = call;
          EXPECT_EQ(*p, call) << "a buffer left from an earlier call";
          std::lock_guard<std::mutex> lock(m);
          firsts += first;
          ran.insert(std::this_thread::get_id());
        });
        EXPECT_EQ(firsts, static_cast<int>(ran.size()))
            << threads << " threads, n = " << n;
      }
  }
}
