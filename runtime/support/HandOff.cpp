//===- HandOff.cpp - Measured cost of handing work between threads --------===//

#include "runtime/support/HandOff.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <vector>

namespace tern {

namespace {

using Clock = std::chrono::steady_clock;

/// The median over batches of `perBatch` repetitions of `once`, per
/// repetition, in nanoseconds: at most `batches` batches, and no more
/// once `budget` has passed (a vCPU shared with another busy process can
/// stretch each repetition to a scheduler time slice).
template <typename Fn>
double medianNanos(int batches, int perBatch, const Fn &once,
                   std::chrono::milliseconds budget) {
  std::vector<double> per;
  const auto end = Clock::now() + budget;
  while (static_cast<int>(per.size()) < batches &&
         (per.empty() || Clock::now() < end)) {
    const auto t0 = Clock::now();
    for (int i = 0; i < perBatch; ++i)
      once();
    per.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0)
                      .count() /
                  perBatch);
  }
  std::nth_element(per.begin(), per.begin() + per.size() / 2, per.end());
  return per[per.size() / 2];
}

constexpr int kBatch = 50;
constexpr std::chrono::milliseconds kBudget{20};

/// The round trip, timed on the caller while worker 1 answers each write
/// of the shared line (odd values the caller's, each answered with the
/// next even one) until the caller writes kStop; the other workers return
/// at once.
double roundTrip(ThreadPool &pool, int rounds) {
  constexpr long kStop = -1;
  alignas(64) std::atomic<long> line{0};
  double ns = 0;
  pool.parallelFor(pool.size(), [&](int64_t begin, int64_t) {
    if (begin == 1) {
      for (long next = 1;; next += 2) {
        long x;
        while ((x = line.load(std::memory_order_acquire)) != next &&
               x != kStop) {
        }
        if (x == kStop)
          return;
        line.store(next + 1, std::memory_order_release);
      }
    }
    if (begin != 0)
      return;
    long v = 1;
    auto once = [&] {
      line.store(v, std::memory_order_release);
      while (line.load(std::memory_order_acquire) != v + 1) {
      }
      v += 2;
    };
    once(); // the worker may first have had to wake
    ns = medianNanos(std::max(1, rounds / kBatch), kBatch, once, kBudget);
    line.store(kStop, std::memory_order_release);
  });
  return ns;
}

} // namespace

HandOffCost measureHandOffs(ThreadPool &pool, int rounds) {
  HandOffCost c;
  if (pool.size() < 2)
    return c;
  c.roundTripNs = roundTrip(pool, rounds);
  const int64_t items = pool.size();
  auto empty = [&] {
    pool.parallelForBalanced(
        items, 8, [](void *, int64_t, int64_t) {}, nullptr);
  };
  empty(); // workers that slept are awake, and poll, from here
  c.emptyRegionNs =
      medianNanos(std::max(1, rounds / kBatch), kBatch, empty, kBudget);
  return c;
}

} // namespace tern
