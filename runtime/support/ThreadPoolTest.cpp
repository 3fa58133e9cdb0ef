//===- ThreadPoolTest.cpp -------------------------------------------------===//

#include "runtime/support/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

using namespace tern;

TEST(ThreadPool, ChunksCoverTheRangeOnceInOrder) {
  for (int64_t n : {0, 1, 5, 7, 64, 1001})
    for (int chunks : {1, 2, 3, 8}) {
      int64_t expectBegin = 0;
      for (int i = 0; i < chunks; ++i) {
        int64_t b, e;
        ThreadPool::chunk(n, chunks, i, b, e);
        EXPECT_EQ(b, expectBegin);
        EXPECT_GE(e, b);
        EXPECT_LE(e - b, n / chunks + 1);
        expectBegin = e;
      }
      EXPECT_EQ(expectBegin, n) << n << " in " << chunks;
    }
}

TEST(ThreadPool, EveryIndexRunsExactlyOnceAcrossManyCalls) {
  ThreadPool pool(3);
  EXPECT_EQ(pool.size(), 3);
  for (int round = 0; round < 200; ++round) {
    const int64_t n = 1 + round % 37;
    std::vector<std::atomic<int>> hits(n);
    pool.parallelFor(n, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        hits[i]++;
    });
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(hits[i].load(), 1) << "round " << round << " index " << i;
  }
}

TEST(ThreadPool, UsesItsWorkersAndNoNewThreads) {
  ThreadPool pool(2);
  std::set<std::thread::id> first, later;
  std::mutex mu;
  auto record = [&](std::set<std::thread::id> &ids) {
    return [&](int64_t, int64_t) {
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(std::this_thread::get_id());
    };
  };
  pool.parallelFor(2, record(first));
  for (int i = 0; i < 20; ++i)
    pool.parallelFor(2, record(later));
  EXPECT_EQ(first.size(), 2u);
  EXPECT_EQ(later, first); // the same two threads every time
  EXPECT_TRUE(first.count(std::this_thread::get_id()));
}

TEST(ThreadPool, OneThreadRunsInline) {
  ThreadPool pool(0); // clamped to 1
  EXPECT_EQ(pool.size(), 1);
  int64_t seenBegin = -1, seenEnd = -1;
  const std::thread::id caller = std::this_thread::get_id();
  std::thread::id ranOn;
  pool.parallelFor(10, [&](int64_t b, int64_t e) {
    ranOn = std::this_thread::get_id();
    seenBegin = b, seenEnd = e;
  });
  EXPECT_EQ(ranOn, caller);
  EXPECT_EQ(seenBegin, 0);
  EXPECT_EQ(seenEnd, 10);
  EXPECT_GE(ThreadPool::hardwareThreads(), 1);
}
