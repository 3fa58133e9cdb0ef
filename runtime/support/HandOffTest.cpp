//===- HandOffTest.cpp ----------------------------------------------------===//

#include "runtime/support/HandOff.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <vector>

using namespace tern;

TEST(HandOff, MeasuresBothCostsAndLeavesThePoolUsable) {
  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    const HandOffCost c = measureHandOffs(pool, 200);
    // Each is a positive time well under the second (a line's round trip
    // takes tens to hundreds of nanoseconds, an empty call about a
    // microsecond).
    EXPECT_GT(c.roundTripNs, 0) << threads;
    EXPECT_LT(c.roundTripNs, 1e9) << threads;
    EXPECT_GT(c.emptyRegionNs, 0) << threads;
    EXPECT_LT(c.emptyRegionNs, 1e9) << threads;
    std::vector<std::atomic<int>> hits(100);
    pool.parallelForBalanced(100, 8, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        hits[i]++;
    });
    for (int i = 0; i < 100; ++i)
      ASSERT_EQ(hits[i].load(), 1) << threads << " threads, index " << i;
  }
}

TEST(HandOff, OneThreadHasNoHandOffs) {
  ThreadPool pool(1);
  const HandOffCost c = measureHandOffs(pool);
  EXPECT_EQ(c.roundTripNs, 0);
  EXPECT_EQ(c.emptyRegionNs, 0);
}
