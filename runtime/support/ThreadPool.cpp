//===- ThreadPool.cpp - A small persistent thread pool --------------------===//

#include "runtime/support/ThreadPool.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tern {

namespace {
void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// Polls `ready` for up to `budget`; returns whether it became true.
template <typename Ready>
bool spinUntil(const Ready &ready, std::chrono::microseconds budget) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  for (unsigned i = 1;; ++i) {
    if (ready())
      return true;
    cpuRelax();
    if (i % 64 == 0 && std::chrono::steady_clock::now() > deadline)
      return ready();
  }
}
} // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads < 1)
    threads = 1;
  shares_ = std::vector<Share>(static_cast<size_t>(threads));
  workers_.reserve(static_cast<size_t>(threads - 1));
  for (int i = 1; i < threads; ++i)
    workers_.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true, std::memory_order_release);
  }
  wake_.notify_all();
  for (std::thread &t : workers_)
    t.join();
}

void ThreadPool::chunk(int64_t n, int chunks, int index, int64_t &begin,
                       int64_t &end) {
  const int64_t base = n / chunks, extra = n % chunks;
  begin = index * base + (index < extra ? index : extra);
  end = begin + base + (index < extra ? 1 : 0);
}

int ThreadPool::hardwareThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void ThreadPool::parallelFor(int64_t n,
                             const std::function<void(int64_t, int64_t)> &fn) {
  parallelForBalanced(n, /*blocks=*/1, fn);
}

void ThreadPool::parallelForBalanced(
    int64_t n, int64_t blocks, const std::function<void(int64_t, int64_t)> &fn,
    int64_t maxBlock) {
  if (n <= 0)
    return;
  if (workers_.empty() || n == 1) {
    fn(0, n);
    return;
  }
  // Ranges are packed in 32 bits each; larger ones (none in generated
  // code) keep the static split.
  const bool balanced = blocks > 1 && n < (int64_t(1) << 31);
  if (balanced) {
    grain_ = std::max<int64_t>(1, n / (int64_t(size()) * blocks));
    if (maxBlock > 0)
      grain_ = std::min(grain_, maxBlock);
  }
  start(n, fn, balanced);
}

namespace {
uint64_t pack(int64_t front, int64_t back) {
  return static_cast<uint64_t>(front) | static_cast<uint64_t>(back) << 32;
}
int64_t frontOf(uint64_t r) { return static_cast<int64_t>(r & 0xffffffffu); }
int64_t backOf(uint64_t r) { return static_cast<int64_t>(r >> 32); }
} // namespace

void ThreadPool::start(int64_t n,
                       const std::function<void(int64_t, int64_t)> &fn,
                       bool balanced) {
  task_ = &fn;
  taskSize_ = n;
  balanced_ = balanced;
  if (balanced) {
    const int threads = size();
    for (int i = 0; i < threads; ++i) {
      int64_t begin, end;
      chunk(n, threads, i, begin, end);
      shares_[i].range.store(pack(begin, end), std::memory_order_relaxed);
    }
  }
  pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  runShare(0);
  markFinished(0);
  auto allDone = [this] {
    return pending_.load(std::memory_order_acquire) == 0;
  };
  if (!spinUntil(allDone, kSpin)) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, allDone);
  }
  addIdleTime();
}

void ThreadPool::markFinished(int index) {
  shares_[index].finished.store(
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::steady_clock::now().time_since_epoch())
          .count(),
      std::memory_order_relaxed);
}

void ThreadPool::addIdleTime() {
  // The workers' stores happen before their release decrement of pending_,
  // which the caller has acquired.
  int64_t last = 0;
  for (const Share &s : shares_)
    last = std::max(last, s.finished.load(std::memory_order_relaxed));
  uint64_t idle = 0;
  for (const Share &s : shares_)
    idle += static_cast<uint64_t>(last -
                                  s.finished.load(std::memory_order_relaxed));
  idleNanos_.fetch_add(idle, std::memory_order_relaxed);
}

void ThreadPool::runShare(int index) {
  if (balanced_) {
    runBalancedShare(index);
    return;
  }
  int64_t begin, end;
  chunk(taskSize_, size(), index, begin, end);
  if (begin < end)
    (*task_)(begin, end);
}

int64_t ThreadPool::claimItems(int64_t left, int64_t grain) {
  if (left >= 2 * grain)
    return grain;
  // The last two blocks' worth in halves, down to a quarter block.
  return std::min(left, std::max((left + 1) / 2, (grain + 3) / 4));
}

namespace {
/// Takes blocks of `grain` items from `share`, from its front (its own
/// thread) or its back (another thread), and runs them until none is left.
void drain(std::atomic<uint64_t> &share, int64_t grain, bool fromFront,
           const std::function<void(int64_t, int64_t)> &fn) {
  for (uint64_t r = share.load(std::memory_order_relaxed);;) {
    const int64_t front = frontOf(r), back = backOf(r);
    if (front >= back)
      return;
    const int64_t take = ThreadPool::claimItems(back - front, grain);
    const int64_t begin = fromFront ? front : back - take;
    const int64_t end = fromFront ? front + take : back;
    const uint64_t rest = fromFront ? pack(end, back) : pack(front, begin);
    if (!share.compare_exchange_weak(r, rest, std::memory_order_relaxed))
      continue; // r now holds what another thread left
    fn(begin, end);
    r = share.load(std::memory_order_relaxed);
  }
}
} // namespace

void ThreadPool::runBalancedShare(int index) {
  // The own part first, then the others' parts, nearest thread first.
  const int threads = size();
  for (int k = 0; k < threads; ++k)
    drain(shares_[(index + k) % threads].range, grain_, /*fromFront=*/k == 0,
          *task_);
}

void ThreadPool::workerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    auto ready = [&] {
      return stop_.load(std::memory_order_acquire) ||
             generation_.load(std::memory_order_acquire) != seen;
    };
    if (!spinUntil(ready, kSpin)) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, ready);
    }
    if (stop_.load(std::memory_order_acquire))
      return;
    seen = generation_.load(std::memory_order_acquire);
    runShare(index);
    markFinished(index);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // Under the mutex, so that a caller between its check and its wait
      // cannot miss the notification.
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_one();
    }
  }
}

} // namespace tern
