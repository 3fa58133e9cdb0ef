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
// A hand-off moves as few cache lines between the threads as it can: where
// two vCPUs sit on different core complexes, each line one thread wrote
// and the other reads next costs about 150 ns (docs/performance.md, "Hand-
// offs between core complexes"). A call is published in one line (the
// task, its context, the split and the generation the workers poll), a
// worker claims its first block with one compare-and-swap whose expected
// value it computes, and it reports its end in one line (the count of
// workers still running and their finishing times). The mutex and the
// condition variables are touched only when a thread sleeps.
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

  /// A task as generated code passes it (tern_abi.h's tern_task_fn):
  /// task(context, begin, end).
  using Task = void (*)(void *context, int64_t begin, int64_t end);

  /// parallelForBalanced for a task and its context: the workers read
  /// both from the line that publishes the call, with no std::function
  /// between (tern_parallel_for's path).
  void parallelForBalanced(int64_t n, int64_t blocks, Task task,
                           void *context, int64_t maxBlock = 0);

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
  /// One call as the caller publishes it: written before the release
  /// increment of `generation`, which the workers poll, and not written
  /// again before every worker has reported the call done.
  struct alignas(64) Call {
    std::atomic<uint64_t> generation{0};
    Task task = nullptr;
    void *context = nullptr;
    int64_t n = 0;
    /// Items per block of a balanced call (0: the static split).
    int64_t grain = 0;
    /// Set with the last generation: the workers return.
    bool stop = false;
  };
  /// A chunk's blocks not yet taken, [front, back), packed as front | back
  /// << 32 so that the owner (taking from the front) and other threads
  /// (from the back) claim blocks with one compare-and-swap.
  struct alignas(64) Share {
    std::atomic<uint64_t> range{0};
  };
  /// Eight words of one line: word 0 of the first holds the workers still
  /// running the call, word i when worker thread i ran out of work (steady
  /// clock, nanoseconds), written before its decrement of word 0.
  struct alignas(64) DoneLine {
    std::atomic<int64_t> word[8]{};
  };

  std::atomic<int64_t> &pending() { return done_[0].word[0]; }
  /// When thread `index` (> 0) ran out of work in the current call.
  std::atomic<int64_t> &finished(int index) {
    return done_[index / 8].word[index % 8];
  }
  /// Runs the published call on thread `index`'s share: its chunk, or its
  /// chunk's blocks and then others' when the call is balanced.
  void runShare(int index);
  void runBalancedShare(int index);
  void start(int64_t n, int64_t grain, Task task, void *context);
  void workerLoop(int index);
  /// Marks thread `index` out of work now.
  void markFinished(int index);
  /// Adds the idle time of the call just done to idleNanos_.
  void addIdleTime();
  /// Increments the generation (seq_cst, against the workers' count of
  /// sleepers) and wakes the workers that sleep.
  void publish();

  Call call_;
  /// When the caller ran out of work in the current call.
  int64_t callerFinished_ = 0;
  std::vector<Share> shares_;
  std::vector<DoneLine> done_;
  std::atomic<uint64_t> idleNanos_{0};

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable finishedCv_;
  /// Workers waiting on wake_, and whether the caller waits on finishedCv_:
  /// each side notifies only where the other may sleep.
  std::atomic<int> sleepers_{0};
  std::atomic<bool> callerSleeps_{false};
  /// How long a thread polls before it sleeps.
  static constexpr std::chrono::microseconds kSpin{200};
};

} // namespace tern

#endif // TERN_RUNTIME_SUPPORT_THREADPOOL_H
