//===- ThreadPool.cpp - A small persistent thread pool --------------------===//

#include "runtime/support/ThreadPool.h"

#include "runtime/support/RegionScratch.h"

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

/// Polls `ready` for up to `budget`; returns whether it became true. The
/// clock is first read after 64 polls, so a short wait reads it never.
template <typename Ready>
bool spinUntil(const Ready &ready, std::chrono::microseconds budget) {
  std::chrono::steady_clock::time_point deadline;
  for (unsigned i = 1;; ++i) {
    if (ready())
      return true;
    cpuRelax();
    if (i % 64 == 0) {
      const auto now = std::chrono::steady_clock::now();
      if (i == 64)
        deadline = now + budget;
      else if (now > deadline)
        return ready();
    }
  }
}

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

uint64_t pack(int64_t front, int64_t back) {
  return static_cast<uint64_t>(front) | static_cast<uint64_t>(back) << 32;
}
int64_t frontOf(uint64_t r) { return static_cast<int64_t>(r & 0xffffffffu); }
int64_t backOf(uint64_t r) { return static_cast<int64_t>(r >> 32); }

/// Runs a std::function task (parallelFor's and parallelForBalanced's
/// callers) through the pool's Task.
void runFunction(void *context, int64_t begin, int64_t end) {
  (*static_cast<const std::function<void(int64_t, int64_t)> *>(context))(
      begin, end);
}
} // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads < 1)
    threads = 1;
  shares_ = std::vector<Share>(static_cast<size_t>(threads));
  done_ = std::vector<DoneLine>(static_cast<size_t>(threads - 1) / 8 + 1);
  workers_.reserve(static_cast<size_t>(threads - 1));
  for (int i = 1; i < threads; ++i)
    workers_.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
  if (!workers_.empty()) {
    call_.stop = true;
    publish();
    // publish() notifies only the sleepers it counted; wake every one.
    { std::lock_guard<std::mutex> lock(mutex_); }
    wake_.notify_all();
  }
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
  parallelForBalanced(n, blocks, runFunction,
                      const_cast<std::function<void(int64_t, int64_t)> *>(&fn),
                      maxBlock);
}

void ThreadPool::parallelForBalanced(int64_t n, int64_t blocks, Task task,
                                     void *context, int64_t maxBlock) {
  if (n <= 0)
    return;
  if (workers_.empty() || n == 1) {
    enterRegion();
    task(context, 0, n);
    return;
  }
  // Ranges are packed in 32 bits each; larger ones (none in generated
  // code) keep the static split.
  int64_t grain = 0;
  if (blocks > 1 && n < (int64_t(1) << 31)) {
    grain = std::max<int64_t>(1, n / (int64_t(size()) * blocks));
    if (maxBlock > 0)
      grain = std::min(grain, maxBlock);
  }
  start(n, grain, task, context);
}

void ThreadPool::publish() {
  // seq_cst against workerLoop's increment of sleepers_ then load of the
  // generation: either this load sees the sleeper, or the sleeper sees the
  // new generation before it waits.
  call_.generation.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    // A sleeper between its check and its wait holds the mutex.
    { std::lock_guard<std::mutex> lock(mutex_); }
    wake_.notify_all();
  }
}

void ThreadPool::start(int64_t n, int64_t grain, Task task, void *context) {
  call_.task = task;
  call_.context = context;
  call_.n = n;
  call_.grain = grain;
  if (grain > 0) {
    const int threads = size();
    for (int i = 0; i < threads; ++i) {
      int64_t begin, end;
      chunk(n, threads, i, begin, end);
      shares_[i].range.store(pack(begin, end), std::memory_order_relaxed);
    }
  }
  pending().store(static_cast<int64_t>(workers_.size()),
                  std::memory_order_relaxed);
  publish();
  runShare(0);
  markFinished(0);
  auto allDone = [this] {
    return pending().load(std::memory_order_acquire) == 0;
  };
  if (!spinUntil(allDone, kSpin)) {
    // seq_cst against the last worker's decrement then load of
    // callerSleeps_ (workerLoop).
    callerSleeps_.store(true, std::memory_order_seq_cst);
    {
      std::unique_lock<std::mutex> lock(mutex_);
      finishedCv_.wait(lock, [this] {
        return pending().load(std::memory_order_seq_cst) == 0;
      });
    }
    callerSleeps_.store(false, std::memory_order_relaxed);
  }
  addIdleTime();
}

void ThreadPool::markFinished(int index) {
  if (index == 0)
    callerFinished_ = nowNanos();
  else
    finished(index).store(nowNanos(), std::memory_order_relaxed);
}

void ThreadPool::addIdleTime() {
  // The workers' stores happen before their release decrement of the
  // pending count, which the caller has acquired.
  const int threads = size();
  auto at = [&](int i) {
    return i == 0 ? callerFinished_
                  : finished(i).load(std::memory_order_relaxed);
  };
  int64_t last = 0;
  for (int i = 0; i < threads; ++i)
    last = std::max(last, at(i));
  uint64_t idle = 0;
  for (int i = 0; i < threads; ++i)
    idle += static_cast<uint64_t>(last - at(i));
  idleNanos_.fetch_add(idle, std::memory_order_relaxed);
}

void ThreadPool::runShare(int index) {
  enterRegion();
  if (call_.grain > 0) {
    runBalancedShare(index);
    return;
  }
  int64_t begin, end;
  chunk(call_.n, size(), index, begin, end);
  if (begin < end)
    call_.task(call_.context, begin, end);
}

int64_t ThreadPool::claimItems(int64_t left, int64_t grain) {
  if (left >= 2 * grain)
    return grain;
  // The last two blocks' worth in halves, down to a quarter block.
  return std::min(left, std::max((left + 1) / 2, (grain + 3) / 4));
}

namespace {
/// Takes blocks of `grain` items from `share`, from its front (its own
/// thread) or its back (another thread), and runs them until none is
/// left. `r` is the value the share is expected to hold (the own thread
/// knows it from the call, so its first claim reads the line only once).
void drain(std::atomic<uint64_t> &share, uint64_t r, int64_t grain,
           bool fromFront, ThreadPool::Task task, void *context) {
  for (;;) {
    const int64_t front = frontOf(r), back = backOf(r);
    if (front >= back)
      return;
    const int64_t take = ThreadPool::claimItems(back - front, grain);
    const int64_t begin = fromFront ? front : back - take;
    const int64_t end = fromFront ? front + take : back;
    const uint64_t rest = fromFront ? pack(end, back) : pack(front, begin);
    if (!share.compare_exchange_weak(r, rest, std::memory_order_relaxed))
      continue; // r now holds what another thread left
    task(context, begin, end);
    r = share.load(std::memory_order_relaxed);
  }
}
} // namespace

void ThreadPool::runBalancedShare(int index) {
  // The own part first, then the others' parts, nearest thread first.
  const int threads = size();
  int64_t begin, end;
  chunk(call_.n, threads, index, begin, end);
  for (int k = 0; k < threads; ++k) {
    std::atomic<uint64_t> &share = shares_[(index + k) % threads].range;
    drain(share,
          k == 0 ? pack(begin, end) : share.load(std::memory_order_relaxed),
          call_.grain, /*fromFront=*/k == 0, call_.task, call_.context);
  }
}

void ThreadPool::workerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    auto ready = [&] {
      return call_.generation.load(std::memory_order_acquire) != seen;
    };
    if (!spinUntil(ready, kSpin)) {
      // seq_cst against publish(): see there.
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] {
          return call_.generation.load(std::memory_order_seq_cst) != seen;
        });
      }
      sleepers_.fetch_sub(1, std::memory_order_relaxed);
    }
    seen = call_.generation.load(std::memory_order_acquire);
    if (call_.stop)
      return;
    runShare(index);
    markFinished(index);
    // seq_cst against start()'s store of callerSleeps_ then load of the
    // pending count: either the caller sees the count at 0, or this load
    // sees that it sleeps.
    if (pending().fetch_sub(1, std::memory_order_seq_cst) == 1 &&
        callerSleeps_.load(std::memory_order_seq_cst)) {
      { std::lock_guard<std::mutex> lock(mutex_); }
      finishedCv_.notify_one();
    }
  }
}

} // namespace tern
