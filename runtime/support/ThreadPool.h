//===- ThreadPool.h - A small persistent thread pool ----------------------===//
//
// The runtime's one source of parallelism: a fixed set of worker threads,
// created once, that split index ranges statically. `parallelFor(n, fn)`
// cuts [0, n) into size() contiguous chunks of nearly equal length (the
// first n % size() chunks one longer), runs chunk 0 on the calling thread
// and the others on the workers, and returns when all are done.
//
// The split depends only on n and size(), never on timing, so code that
// computes each index independently gives bit-identical results for any
// thread count. No thread is created or destroyed per call.
//
// `parallelForBalanced(n, blocks, fn, maxBlock)` starts from the same
// chunks but hands them out in blocks of about 1/blocks of a chunk, and of
// at most maxBlock items where maxBlock > 0: each thread takes blocks from
// the front of its own chunk, and a thread whose chunk is done takes
// blocks from the back of another's; the last two blocks' worth of a chunk
// go in smaller pieces (claimItems), so that the threads finish closer
// together (`bench` prints the time they wait out: "threads idle inside
// them"). A thread that started late (a worker woken from sleep) or ran
// slow (a vCPU shared with another guest) no longer holds up the others
// at the end of the call. Which thread runs an index then depends on
// timing, so fn must compute every index independently of the blocks it
// is given (generated code does: each output column or row is summed on
// its own).
//
// Hand-offs spin before they sleep: a worker that finished a task polls
// for the next one for a short while (kSpin) before waiting on a condition
// variable, and so does the caller waiting for the workers. A decoded
// token makes about 150 short parallel calls separated by short serial
// steps; waking sleeping threads for each (a futex round trip) cost a few
// per cent of decode time, and the thread that finished its static part
// first waited for the other (docs/performance.md, "Balanced parallel
// regions").
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SUPPORT_THREADPOOL_H
#define TERN_RUNTIME_SUPPORT_THREADPOOL_H

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tern {

class ThreadPool {
public:
  /// A pool of `threads` threads in all, the caller included (so
  /// threads - 1 workers); values below 1 mean 1.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  /// Number of threads (caller included).
  int size() const { return static_cast<int>(workers_.size()) + 1; }

  /// Calls fn(begin, end) on the chunks of [0, n); see the file comment.
  /// Empty chunks are skipped. Not reentrant: fn must not call parallelFor
  /// on the same pool.
  void parallelFor(int64_t n, const std::function<void(int64_t, int64_t)> &fn);

  /// As parallelFor, with each chunk cut into `blocks` blocks (and blocks
  /// of at most `maxBlock` items where maxBlock > 0) handed out to the
  /// threads that are free; see the file comment. fn(begin, end) may be
  /// called several times per thread, on blocks of one chunk or another.
  /// blocks <= 1 is parallelFor.
  void parallelForBalanced(int64_t n, int64_t blocks,
                           const std::function<void(int64_t, int64_t)> &fn,
                           int64_t maxBlock = 0);

  /// Items a thread claims from a part with `left` items not yet taken, in
  /// a balanced call of `grain` items per block: a block while two or more
  /// are left, then half of what is left, but at least a quarter block (or
  /// all of it). The pieces at the end of a part shrink, so that a thread
  /// that ran out of work waits for at most about a quarter block of
  /// another's rather than a whole one.
  static int64_t claimItems(int64_t left, int64_t grain);

  /// Chunk `index` of [0, n) split into `chunks` parts: [begin, end).
  static void chunk(int64_t n, int chunks, int index, int64_t &begin,
                    int64_t &end);

  /// Number of hardware threads (at least 1).
  static int hardwareThreads();

  /// Thread time, in nanoseconds over all calls so far, that threads spent
  /// inside a call after their work ran out: from the moment a thread found
  /// no block left to the moment the call's last thread finished (a
  /// thread's own wake-up is not counted). One clock read per thread per
  /// call. For `bench`'s "threads idle inside them".
  uint64_t idleNanos() const {
    return idleNanos_.load(std::memory_order_relaxed);
  }

private:
  /// Runs task_ on thread `index`'s share: its chunk, or its chunk's blocks
  /// and then others' when the call is balanced.
  void runShare(int index);
  void runBalancedShare(int index);
  void start(int64_t n, const std::function<void(int64_t, int64_t)> &fn,
             bool balanced);
  void workerLoop(int index);

  /// A chunk's blocks not yet taken, [front, back), packed as front | back
  /// << 32 so that the owner (taking from the front) and other threads
  /// (from the back) claim blocks with one compare-and-swap.
  struct alignas(64) Share {
    std::atomic<uint64_t> range{0};
    /// When the thread ran out of work in the current call (steady clock,
    /// nanoseconds); written before the thread signals that it is done.
    std::atomic<int64_t> finished{0};
  };
  /// Marks thread `index` out of work now.
  void markFinished(int index);
  /// Adds the idle time of the call just done to idleNanos_.
  void addIdleTime();
  std::atomic<uint64_t> idleNanos_{0};
  std::vector<Share> shares_;
  int64_t grain_ = 1;
  bool balanced_ = false;

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  /// How long a thread polls before it sleeps.
  static constexpr std::chrono::microseconds kSpin{200};

  // task_ and taskSize_ are published by the release increment of
  // generation_ (made under mutex_ so that sleepers cannot miss it).
  const std::function<void(int64_t, int64_t)> *task_ = nullptr;
  int64_t taskSize_ = 0;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
};

} // namespace tern

#endif // TERN_RUNTIME_SUPPORT_THREADPOOL_H
