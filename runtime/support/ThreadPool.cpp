//===- ThreadPool.cpp - A small persistent thread pool --------------------===//

#include "runtime/support/ThreadPool.h"

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
  if (n <= 0)
    return;
  if (workers_.empty() || n == 1) {
    fn(0, n);
    return;
  }
  task_ = &fn;
  taskSize_ = n;
  pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  int64_t begin, end;
  chunk(n, size(), 0, begin, end);
  if (begin < end)
    fn(begin, end);
  auto allDone = [this] {
    return pending_.load(std::memory_order_acquire) == 0;
  };
  if (!spinUntil(allDone, kSpin)) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, allDone);
  }
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
    const std::function<void(int64_t, int64_t)> *task = task_;
    const int64_t n = taskSize_;
    int64_t begin, end;
    chunk(n, size(), index, begin, end);
    if (begin < end)
      (*task)(begin, end);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // Under the mutex, so that a caller between its check and its wait
      // cannot miss the notification.
      std::lock_guard<std::mutex> lock(mutex_);
      done_.notify_one();
    }
  }
}

} // namespace tern
