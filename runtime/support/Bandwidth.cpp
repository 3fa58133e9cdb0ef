//===- Bandwidth.cpp - Measured memory read bandwidth ---------------------===//

#include "runtime/support/Bandwidth.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <sys/mman.h>

namespace tern {

namespace {

/// How far ahead of its loads a pass prefetches, in 8-byte words, by pass
/// number: none (the hardware prefetchers alone), then 5120 and 10240
/// bytes. Which reads fastest depends on the machine and on where its
/// threads sit: where decode's kernels, which prefetch, read faster than
/// a plain sum, the plain sum alone overstated decode's fraction of the
/// bandwidth (docs/performance.md, "The bandwidth probe"). The probe
/// takes the best.
constexpr int64_t kPrefetchWords[] = {0, 640, 1280};

/// One thread's sum over [b, e) with prefetches `ahead` words ahead (0:
/// none).
uint64_t sumWords(const uint64_t *buf, int64_t b, int64_t e, int64_t ahead) {
  // Four independent sums so that the loop is bound by loads.
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = b;
  for (; i + 8 <= e; i += 8) {
    if (ahead && i + ahead < e)
      __builtin_prefetch(buf + i + ahead, 0, 3);
    s0 += buf[i] + buf[i + 4];
    s1 += buf[i + 1] + buf[i + 5];
    s2 += buf[i + 2] + buf[i + 6];
    s3 += buf[i + 3] + buf[i + 7];
  }
  for (; i < e; ++i)
    s0 += buf[i];
  return s0 + s1 + s2 + s3;
}

/// Best of `passes` parallel sums over `words` (at least one of each way
/// of reading, kPrefetchWords), in bytes per second.
double streamWords(ThreadPool &pool, const uint64_t *buf, size_t words,
                   int passes) {
  constexpr int kWays = sizeof(kPrefetchWords) / sizeof(kPrefetchWords[0]);
  passes = std::max(passes, kWays);
  std::atomic<uint64_t> sink{0};
  double best = 0;
  for (int p = 0; p < passes; ++p) {
    const int64_t ahead = kPrefetchWords[p % kWays];
    const auto t0 = std::chrono::steady_clock::now();
    pool.parallelFor(static_cast<int64_t>(words), [&](int64_t b, int64_t e) {
      sink.fetch_add(sumWords(buf, b, e, ahead), std::memory_order_relaxed);
    });
    const double s = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - t0)
                         .count();
    best = std::max(best, static_cast<double>(words * sizeof(uint64_t)) / s);
  }
  return sink.load() == 1 ? best + 0.0 : best; // keep the sums alive
}

} // namespace

double measureReadBandwidth(ThreadPool &pool, size_t bytes, int passes) {
  const size_t words = bytes / sizeof(uint64_t);
  void *p = ::mmap(nullptr, words * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return 0;
  (void)::madvise(p, words * sizeof(uint64_t), MADV_HUGEPAGE);
  uint64_t *buf = static_cast<uint64_t *>(p);
  // Touch every page (and give the sums something to add) first.
  pool.parallelFor(static_cast<int64_t>(words), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      buf[i] = static_cast<uint64_t>(i);
  });
  const double best = streamWords(pool, buf, words, passes);
  ::munmap(p, words * sizeof(uint64_t));
  return best;
}

double measureReadBandwidth(ThreadPool &pool, const uint8_t *data,
                            size_t bytes, int passes) {
  // Whole aligned words: the generated code's weight blob is aligned.
  const uintptr_t a = (reinterpret_cast<uintptr_t>(data) + 7) & ~uintptr_t(7);
  const size_t skip = a - reinterpret_cast<uintptr_t>(data);
  if (bytes <= skip)
    return 0;
  return streamWords(pool, reinterpret_cast<const uint64_t *>(a),
                     (bytes - skip) / sizeof(uint64_t), passes);
}

} // namespace tern
