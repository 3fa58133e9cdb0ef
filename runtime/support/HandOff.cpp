//===- HandOff.cpp - Measured cost of handing work between threads --------===//

#include "runtime/support/HandOff.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <vector>

namespace tern {

namespace {

using Clock = std::chrono::steady_clock;

/// The median of `batches` timings of `perBatch` repetitions of `once`,
/// per repetition, in nanoseconds.
template <typename Fn>
double medianNanos(int batches, int perBatch, const Fn &once) {
  std::vector<double> per;
  for (int b = 0; b < batches; ++b) {
    const auto t0 = Clock::now();
    for (int i = 0; i < perBatch; ++i)
      once();
    per.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0)
                      .count() /
                  perBatch);
  }
  std::nth_element(per.begin(), per.begin() + batches / 2, per.end());
  return per[batches / 2];
}

/// The round trip, timed on the caller while worker 1 answers each write
/// of the shared line; the other workers return at once.
double roundTrip(ThreadPool &pool, int rounds) {
  constexpr int kBatch = 50;
  const int batches = std::max(1, rounds / kBatch);
  const long total = static_cast<long>(batches) * kBatch + 1;
  alignas(64) std::atomic<long> line{0};
  double ns = 0;
  pool.parallelFor(pool.size(), [&](int64_t begin, int64_t) {
    if (begin == 1) {
      // Odd values are the caller's; answer each with the next even one.
      for (long v = 1; v < 2 * total; v += 2) {
        while (line.load(std::memory_order_acquire) != v) {
        }
        line.store(v + 1, std::memory_order_release);
      }
      return;
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
    ns = medianNanos(batches, kBatch, once);
  });
  return ns;
}

} // namespace

HandOffCost measureHandOffs(ThreadPool &pool, int rounds) {
  HandOffCost c;
  if (pool.size() < 2)
    return c;
  c.roundTripNs = roundTrip(pool, rounds);
  constexpr int kBatch = 50;
  const int64_t items = pool.size();
  auto empty = [&] {
    pool.parallelForBalanced(
        items, 8, [](void *, int64_t, int64_t) {}, nullptr);
  };
  empty(); // workers that slept are awake, and poll, from here
  c.emptyRegionNs = medianNanos(std::max(1, rounds / kBatch), kBatch, empty);
  return c;
}

} // namespace tern
