//===- ThreadPoolTest.cpp -------------------------------------------------===//

#include "runtime/support/ThreadPool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <thread>

using namespace tern;

namespace {
/// Runs `body` on its own thread and fails the test where it has not
/// returned within 30 s (a hand-off that lost a wake-up hangs); the thread
/// is then left behind, blocked.
void withinTimeLimit(std::function<void()> body) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> f = done->get_future();
  std::thread([body = std::move(body), done] {
    body();
    done->set_value();
  }).detach();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready)
      << "a parallel call did not return within 30 s";
}
} // namespace

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

TEST(ThreadPool, BalancedRunsEveryIndexExactlyOnce) {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    for (int64_t blocks : {1, 2, 8, 1000})
      for (int64_t n : {1, 2, 7, 20, 64, 1001, 128256}) {
        std::vector<std::atomic<int>> hits(n);
        std::atomic<int> calls{0};
        pool.parallelForBalanced(n, blocks, [&](int64_t b, int64_t e) {
          ASSERT_LT(b, e);
          calls++;
          for (int64_t i = b; i < e; ++i)
            hits[i]++;
        });
        for (int64_t i = 0; i < n; ++i)
          ASSERT_EQ(hits[i].load(), 1)
              << threads << " threads, " << blocks << " blocks, n " << n
              << ", index " << i;
        // Blocks of at least n / (threads x blocks) items (rounded down):
        // at most about twice as many calls as blocks asked for, plus the
        // smaller pieces that end each part (claimItems: at most 4 more),
        // and one call per thread's part on the static split.
        const int64_t most =
            blocks <= 1 || threads == 1
                ? std::min<int64_t>(n, threads)
                : std::min<int64_t>(n, 2 * threads * blocks + 5 * threads);
        ASSERT_LE(calls.load(), most)
            << threads << " threads, " << blocks << " blocks, n " << n;
      }
  }
}

TEST(ThreadPool, ClaimsEndEachPartInSmallerPieces) {
  for (int64_t grain : {1, 2, 3, 4, 7, 12, 25, 1000})
    for (int64_t part : {1, 2, 3, 5, 8, 13, 24, 25, 26, 49, 50, 51, 1001}) {
      // One thread taking the whole part: every piece at most a block, all
      // of it taken, whole blocks until fewer than two are left, and then
      // at most 4 more pieces than whole blocks would need, the last of
      // them at most a quarter block (rounded up) where the part holds more
      // than one block.
      std::vector<int64_t> pieces;
      for (int64_t left = part; left > 0;) {
        const int64_t take = ThreadPool::claimItems(left, grain);
        ASSERT_GE(take, 1) << grain << " " << part << " " << left;
        ASSERT_LE(take, std::min(left, grain))
            << grain << " " << part << " " << left;
        if (left >= 2 * grain) {
          EXPECT_EQ(take, grain) << grain << " " << part << " " << left;
        }
        pieces.push_back(take);
        left -= take;
      }
      const auto blocks =
          static_cast<size_t>((part + grain - 1) / grain);
      EXPECT_LE(pieces.size(), blocks + 4) << grain << " " << part;
      if (part > grain) {
        EXPECT_LE(pieces.back(), (grain + 3) / 4) << grain << " " << part;
      }
    }
}

TEST(ThreadPool, BalancedBlocksHoldAtMostMaxBlockItems) {
  // A bound on a block's items (tern_parallel_for's max_block) cuts the
  // parts finer than their blocks per thread would, and still runs every
  // index once; 0 is no bound.
  for (int threads : {2, 3}) {
    ThreadPool pool(threads);
    for (int64_t maxBlock : {1, 5, 64, 0})
      for (int64_t n : {7, 1001, 128256}) {
        std::vector<std::atomic<int>> hits(n);
        std::atomic<int64_t> calls{0}, largest{0};
        pool.parallelForBalanced(
            n, 8,
            [&](int64_t b, int64_t e) {
              calls++;
              int64_t seen = largest.load();
              while (e - b > seen &&
                     !largest.compare_exchange_weak(seen, e - b))
                ;
              for (int64_t i = b; i < e; ++i)
                hits[i]++;
            },
            maxBlock);
        for (int64_t i = 0; i < n; ++i)
          ASSERT_EQ(hits[i].load(), 1) << threads << " threads, max "
                                       << maxBlock << ", n " << n;
        // Items per block from the blocks per thread, then the bound.
        const int64_t items = std::max<int64_t>(1, n / (threads * 8));
        const int64_t grain = maxBlock > 0 ? std::min(items, maxBlock) : items;
        EXPECT_LE(largest.load(), grain)
            << threads << " threads, max " << maxBlock << ", n " << n;
        EXPECT_GE(calls.load(), (n + grain - 1) / grain)
            << threads << " threads, max " << maxBlock << ", n " << n;
      }
  }
}

TEST(ThreadPool, BalancedBlocksOfOnePartGoToAFreeThread) {
  // Thread 1's first block does not return until every other index is
  // done: only if the other thread takes the rest of thread 1's part from
  // its back does the call finish. On the static split it could not.
  ThreadPool pool(2);
  const int64_t n = 64, blocks = 8;
  int64_t begin1, end1;
  ThreadPool::chunk(n, 2, 1, begin1, end1);
  std::vector<std::atomic<int>> hits(n);
  std::atomic<int64_t> done{0};
  std::set<std::thread::id> ranPart1;
  std::mutex mu;
  bool timedOut = false;
  pool.parallelForBalanced(n, blocks, [&](int64_t b, int64_t e) {
    if (b >= begin1) {
      std::lock_guard<std::mutex> lock(mu);
      ranPart1.insert(std::this_thread::get_id());
    }
    if (b == begin1) {
      // A generous bound that only a missing hand-out reaches.
      const auto deadline =
          std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (done.load() != n - (e - b)) {
        if (std::chrono::steady_clock::now() > deadline) {
          timedOut = true;
          break;
        }
        std::this_thread::yield();
      }
    }
    for (int64_t i = b; i < e; ++i)
      hits[i]++;
    done += e - b;
  });
  EXPECT_FALSE(timedOut);
  for (int64_t i = 0; i < n; ++i)
    EXPECT_EQ(hits[i].load(), 1) << "index " << i;
  // The worker took the first block of its part (blocks are taken from the
  // front by the part's thread) unless the caller had taken them all; in
  // either case the caller ran blocks of part 1.
  EXPECT_TRUE(ranPart1.count(std::this_thread::get_id()));
}

TEST(ThreadPool, IdleTimeCountsAThreadWaitingForTheLast) {
  // Each thread gets one index of its own part: the caller's blocks until
  // the worker's has run and then sleeps 20 ms, so the worker, out of work
  // (it cannot take the caller's index, which is already running), waits
  // at least that long for the call's end; the caller is never idle.
  ThreadPool pool(2);
  EXPECT_EQ(pool.idleNanos(), 0u);
  std::atomic<bool> workerRan{false};
  const auto t0 = std::chrono::steady_clock::now();
  pool.parallelForBalanced(2, 2, [&](int64_t b, int64_t) {
    if (b == 1) {
      workerRan = true;
      return;
    }
    while (!workerRan.load())
      std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  });
  const auto wall = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now() - t0)
                        .count();
  EXPECT_GE(pool.idleNanos(), 20'000'000u);
  // One thread idle at most for the call's whole time.
  EXPECT_LE(pool.idleNanos(), static_cast<uint64_t>(wall));
  // A one-thread pool never waits.
  ThreadPool one(1);
  one.parallelForBalanced(64, 8, [](int64_t, int64_t) {});
  EXPECT_EQ(one.idleNanos(), 0u);
}

TEST(ThreadPool, TaskRunsEveryIndexOnceWithItsContext) {
  struct Context {
    std::vector<std::atomic<int>> hits;
    std::atomic<int> calls{0};
  };
  for (int threads : {1, 2, 3})
    for (int64_t blocks : {1, 8})
      for (int64_t n : {1, 2, 5, 64, 1001}) {
        ThreadPool pool(threads);
        Context c;
        c.hits = std::vector<std::atomic<int>>(n);
        pool.parallelForBalanced(
            n, blocks,
            [](void *context, int64_t b, int64_t e) {
              auto *c = static_cast<Context *>(context);
              c->calls++;
              for (int64_t i = b; i < e; ++i)
                c->hits[i]++;
            },
            &c, /*maxBlock=*/3);
        for (int64_t i = 0; i < n; ++i)
          ASSERT_EQ(c.hits[i].load(), 1)
              << threads << " threads, " << blocks << " blocks, n " << n
              << ", index " << i;
        // Blocks of at most 3 items where the call is balanced.
        if (blocks > 1 && threads > 1) {
          EXPECT_GE(c.calls.load(), (n + 2) / 3) << n;
        }
      }
}

TEST(ThreadPool, HandOffsWakeSleepingThreads) {
  // Pauses longer than the pools' polling (200 us) put the waiting threads
  // to sleep: the workers between calls, the caller during a long part of
  // a worker's. Each call must still return with every index run once.
  withinTimeLimit([] {
    ThreadPool pool(3);
    for (int round = 0; round < 6; ++round) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      std::vector<std::atomic<int>> hits(3);
      std::mutex mu;
      std::set<std::thread::id> ran;
      pool.parallelForBalanced(3, round % 2 ? 8 : 1, [&](int64_t b,
                                                          int64_t e) {
        {
          std::lock_guard<std::mutex> lock(mu);
          ran.insert(std::this_thread::get_id());
        }
        for (int64_t i = b; i < e; ++i) {
          // The last part sleeps: the caller, done with its own, waits.
          if (i == 2)
            std::this_thread::sleep_for(std::chrono::milliseconds(3));
          hits[i]++;
        }
      });
      for (int i = 0; i < 3; ++i)
        ASSERT_EQ(hits[i].load(), 1) << "round " << round << " index " << i;
      // The static split runs each chunk on its thread, woken or not; a
      // balanced call may leave a late worker's part to the caller.
      if (round % 2 == 0) {
        EXPECT_EQ(ran.size(), 3u) << "round " << round;
      }
    }
  });
  // A pool whose workers sleep is destroyed without waiting for a call.
  withinTimeLimit([] {
    ThreadPool pool(4);
    pool.parallelFor(4, [](int64_t, int64_t) {});
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  });
}
