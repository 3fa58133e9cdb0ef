//===- Bandwidth.cpp - Measured memory read bandwidth ---------------------===//

#include "runtime/support/Bandwidth.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace tern {

double measureReadBandwidth(ThreadPool &pool, size_t bytes, int passes) {
  const size_t words = bytes / sizeof(uint64_t);
  std::unique_ptr<uint64_t[]> buf(new uint64_t[words]);
  // Touch every page (and give the sums something to add) first.
  pool.parallelFor(static_cast<int64_t>(words), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      buf[i] = static_cast<uint64_t>(i);
  });
  std::atomic<uint64_t> sink{0};
  double best = 0;
  for (int p = 0; p < passes; ++p) {
    const auto t0 = std::chrono::steady_clock::now();
    pool.parallelFor(static_cast<int64_t>(words), [&](int64_t b, int64_t e) {
      // Four independent sums so that the loop is bound by loads.
      uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      int64_t i = b;
      for (; i + 4 <= e; i += 4) {
        s0 += buf[i];
        s1 += buf[i + 1];
        s2 += buf[i + 2];
        s3 += buf[i + 3];
      }
      for (; i < e; ++i)
        s0 += buf[i];
      sink.fetch_add(s0 + s1 + s2 + s3, std::memory_order_relaxed);
    });
    const double s = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - t0)
                         .count();
    best = std::max(best, static_cast<double>(words * sizeof(uint64_t)) / s);
  }
  return sink.load() == 1 ? best + 0.0 : best; // keep the sums alive
}

} // namespace tern
