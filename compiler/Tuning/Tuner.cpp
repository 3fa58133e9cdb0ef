//===- Tuner.cpp - tern tune: search kernel choices on this CPU -----------===//

#include "compiler/Tuning/Tuner.h"

#include "compiler/Kernels/DefaultPolicy.h"
#include "compiler/Transforms/KernelSelection.h"
#include "compiler/Tuning/KernelJit.h"
#include "runtime/support/ThreadPool.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <random>

using namespace mlir;
using namespace mlir::tern;

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

/// Weights in memory mapped as the executable's are: the executable maps
/// its weights from the page cache, which holds them in large folios
/// (2 MiB mappings, `FilePmdMapped`, docs/performance.md); a
/// malloc'd buffer would be 4 KiB pages (transparent huge pages are often
/// `madvise` only), which changes how kernels stream. Asks for huge pages
/// where the kernel offers them; otherwise plain pages.
class WeightBuffer {
public:
  WeightBuffer() = default;
  /// `bytes` of zeroed memory; fails with a message when the system has
  /// none to give.
  static llvm::Expected<WeightBuffer> allocate(size_t bytes) {
    constexpr size_t kHuge = 2u << 20;
    WeightBuffer b;
    b.size_ = (std::max<size_t>(bytes, 1) + kHuge - 1) / kHuge * kHuge;
    void *p = ::mmap(nullptr, b.size_, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      return llvm::createStringError(
          "cannot allocate " + std::to_string(bytes >> 20) +
          " MiB for the weights being timed");
#ifdef MADV_HUGEPAGE
    ::madvise(p, b.size_, MADV_HUGEPAGE);
#endif
    b.data_ = static_cast<uint8_t *>(p);
    return b;
  }
  WeightBuffer(WeightBuffer &&o) noexcept { swap(o); }
  WeightBuffer &operator=(WeightBuffer &&o) noexcept {
    swap(o);
    return *this;
  }
  ~WeightBuffer() {
    if (data_)
      ::munmap(data_, size_);
  }
  uint8_t *data() const { return data_; }

private:
  void swap(WeightBuffer &o) {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
  }
  uint8_t *data_ = nullptr;
  size_t size_ = 0;
};

/// `count` random int8 activations in [-127, 127], 64-byte aligned.
AlignedArray<int8_t> randomActivations(size_t count) {
  std::mt19937 rng(1);
  AlignedArray<int8_t> a(count);
  for (auto &v : a)
    v = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
  return a;
}

/// `copies` copies of one random [n, k] ternary weight packed in `layout`,
/// one after another (`layoutBytes` each); the kernels' speed does not
/// depend on the values.
llvm::Expected<WeightBuffer> packedCopies(const Layout &layout, int64_t n,
                                          int64_t k, size_t copies,
                                          size_t &layoutBytes) {
  layoutBytes = n * layout.rowBytes(k);
  std::mt19937 rng(2);
  std::vector<int8_t> w(n * k);
  for (auto &v : w)
    v = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
  llvm::Expected<WeightBuffer> buf =
      WeightBuffer::allocate(layoutBytes * copies);
  if (!buf)
    return buf.takeError();
  layout.pack(w.data(), n, k, buf->data());
  for (size_t i = 1; i < copies; ++i)
    std::memcpy(buf->data() + i * layoutBytes, buf->data(), layoutBytes);
  return buf;
}
} // namespace

std::vector<KernelChoice>
mlir::tern::tuningCandidates(ArrayRef<const KernelFamily *> families,
                             int64_t m, int64_t n, int64_t k,
                             int64_t prefillRows, int64_t prefetch,
                             int64_t locality) {
  std::vector<KernelChoice> out;
  if (families.empty())
    return out;
  // One packed copy of a weight serves decode and prefill, and its layout
  // is the decode entry's: decode tries only layouts that the prefill
  // default reads (i2 b128 for AVX2 decode timed 6 % faster in the model
  // step, but would have moved prefill off the 512-bit VNNI kernels, 4 %
  // slower there).
  const Layout defaultLayout_ = defaultLayout(families, n, k);
  const KernelFamily *prefillFamily =
      m == 1 && prefillRows > 1
          ? defaultKernel(families, prefillRows, n, k, defaultLayout_,
                          prefetch, locality)
                .family
          : nullptr;
  auto add = [&](KernelChoice c) {
    c = withPrefetch(c, m, prefetch, locality);
    if (c && c.layout.check(n, k).empty() && c.family->reads(c.layout, k) &&
        (!prefillFamily || prefillFamily->reads(c.layout, k)) &&
        !llvm::is_contained(out, c))
      out.push_back(c);
  };
  add(defaultKernel(families, m, n, k, defaultLayout_, prefetch, locality));
  // Prefill tiles of at least 4 rows (or all M): smaller ones re-read a
  // thread's weights M / tile_m times per call. Timed alone they looked
  // 1.2-1.4x faster than 8-row tiles, but in the model they prefilled
  // 20 % slower while 8x2 tiles gained (docs/performance.md).
  const int64_t minTileM = std::min<int64_t>(m, 4);
  for (const KernelFamily *f : families)
    for (const Packing *p : packings()) {
      if (!p->tuneBlocks || m < f->minRows)
        continue;
      for (int64_t block : p->tuneBlocks(k))
        for (int64_t tm : {1, 2, 4, 8})
          for (int64_t tn : {1, 2, 4, 8}) {
            // Tiles count f->tileUnit rows (amx: 16); the last row tile
            // holds at least one row.
            const int64_t rows = tm * f->tileUnit.m;
            if (rows - f->tileUnit.m >= m || rows < minTileM ||
                tm > f->maxTile.m ||
                tn > f->maxTile.n || tm * tn > f->maxAccumulators ||
                (m == 1 && tn > f->decodeMaxTileN))
              continue;
            add({f, Layout{p, block}, Tile{tm, tn}});
          }
    }
  return out;
}

namespace {
/// One candidate ready to be timed again and again: its JIT-compiled
/// kernel, activations, and weights in copies that together exceed the
/// caches (256 MiB) (decode streams every weight from memory once per token; the
/// calls rotate over the copies so that a kernel is timed as the model runs
/// it). Calls run the columns on `pool` as tern_parallel_for does (the
/// family's blocks per thread, and for one row the bound on a block's
/// bytes that convert-tern-to-kernels sets).
class KernelTimer {
public:
  static llvm::Expected<std::unique_ptr<KernelTimer>>
  create(const KernelChoice &c, int64_t m, int64_t n, int64_t k,
         ::tern::ThreadPool &pool) {
    auto jit = KernelJit::create(c, m, n, k);
    if (!jit)
      return jit.takeError();
    std::unique_ptr<KernelTimer> t(new KernelTimer(pool));
    t->jit_ = std::move(*jit);
    t->blocks_ = c.family->parallelBlocks;
    t->maxBlock_ = matmulBlockItems(m, t->blocks_, n * c.layout.rowBytes(k),
                                    t->jit_->units());
    t->a_ = randomActivations(m * k);
    // 256 MiB: several times a CCD's L3 even when two threads on two CCDs
    // each stream their own half of the columns (64 MiB let 2-thread decode
    // kernels run from L3 and misjudged them).
    t->copies_ = std::clamp<size_t>(
        (256u << 20) / (n * c.layout.rowBytes(k)) + 1, 1, 256);
    llvm::Expected<WeightBuffer> buf =
        packedCopies(c.layout, n, k, t->copies_, t->bytes_);
    if (!buf)
      return buf.takeError();
    t->w_ = std::move(*buf);
    t->out_ = AlignedArray<int32_t>(m * n);
    for (size_t i = 0; i < t->copies_; ++i) // warm-up: page in every copy
      t->call();
    return t;
  }

  /// Seconds per call: the best of 5 batches of about 20 ms.
  double time() {
    auto t0 = Clock::now();
    call();
    const double one = std::max(since(t0), 1e-7);
    const int calls = static_cast<int>(std::clamp(0.02 / one, 1.0, 100000.0));
    double best = 1e30;
    for (int batch = 0; batch < 5; ++batch) {
      t0 = Clock::now();
      for (int i = 0; i < calls; ++i)
        call();
      best = std::min(best, since(t0) / calls);
    }
    return best;
  }

private:
  explicit KernelTimer(::tern::ThreadPool &pool) : pool_(pool) {}
  void call() {
    const uint8_t *w = w_.data() + bytes_ * next_;
    pool_.parallelForBalanced(
        jit_->units(), blocks_,
        [&](int64_t begin, int64_t end) {
          jit_->run(a_.data(), w, out_.data(), begin, end);
        },
        maxBlock_);
    next_ = (next_ + 1) % copies_;
  }

  ::tern::ThreadPool &pool_;
  std::unique_ptr<KernelJit> jit_;
  AlignedArray<int8_t> a_;
  WeightBuffer w_;
  AlignedArray<int32_t> out_;
  size_t bytes_ = 0, copies_ = 1, next_ = 0;
  int64_t blocks_ = 1, maxBlock_ = 0;
};

/// The matmuls of one forward step at M rows (every layer's, in order),
/// timed together on the executable's threads, each shape on the kernel
/// tern compile would generate for it (`use` swaps one shape's kernel and
/// layout). A kernel is judged where it runs: after the other matmuls of
/// its layer, with their weights streamed through the caches and the
/// pool's hand-offs between calls, on weights as large as the model's.
/// Timed alone, candidates were ranked 1.2-1.9x apart that ran the same
/// in the model, or slower (docs/performance.md).
class StepTimer {
public:
  using Shape = std::array<int64_t, 2>; // [n, k]
  StepTimer(int64_t m, std::vector<Shape> layer, int64_t layers,
            ::tern::ThreadPool &pool)
      : m_(m), layer_(std::move(layer)), layers_(layers), pool_(pool) {}

  /// Makes shape [n, k] (which must be in the layer) run `c`: JIT-compiles
  /// it and packs its weights once per choice and layout.
  llvm::Error use(int64_t n, int64_t k, const KernelChoice &c) {
    Slot &s = slot(n, k);
    s.skipped = false;
    for (size_t i = 0; i < s.kernels.size(); ++i)
      if (s.kernels[i].choice == c) {
        s.current = i;
        return llvm::Error::success();
      }
    auto jit = KernelJit::create(c, m_, n, k);
    if (!jit)
      return jit.takeError();
    const Layout layout = c.layout;
    size_t blob = 0;
    while (blob < s.blobs.size() && s.blobs[blob].layout != layout)
      ++blob;
    if (blob == s.blobs.size()) { // one copy per layer
      Blob b;
      b.layout = layout;
      llvm::Expected<WeightBuffer> buf =
          packedCopies(layout, n, k, layers_, b.bytes);
      if (!buf)
        return buf.takeError();
      b.data = std::move(*buf);
      s.blobs.push_back(std::move(b));
    }
    s.kernels.push_back({c, std::move(*jit), blob});
    s.current = s.kernels.size() - 1;
    return llvm::Error::success();
  }

  /// Leaves shape [n, k] out of the step (a shape no family reads, which
  /// the generic lowering computes: not timed).
  void skip(int64_t n, int64_t k) { slot(n, k).skipped = true; }

  /// Seconds per step: the median of 3 batches of at least 100 ms each,
  /// after one untimed step.
  double time() {
    step();
    auto t0 = Clock::now();
    step();
    const double one = std::max(since(t0), 1e-7);
    const int steps = static_cast<int>(std::clamp(0.1 / one, 1.0, 1000.0));
    std::vector<double> batches;
    for (int b = 0; b < 3; ++b) {
      t0 = Clock::now();
      for (int i = 0; i < steps; ++i)
        step();
      batches.push_back(since(t0) / steps);
    }
    std::sort(batches.begin(), batches.end());
    return batches[1];
  }

private:
  struct Blob {
    Layout layout;
    size_t bytes = 0;
    WeightBuffer data;
  };
  struct Kernel {
    KernelChoice choice;
    std::unique_ptr<KernelJit> jit;
    size_t blob; ///< its weights: blobs[blob]
  };
  struct Slot {
    Shape shape;
    std::vector<Kernel> kernels;
    std::vector<Blob> blobs;
    size_t current = 0;
    bool skipped = false;
    AlignedArray<int8_t> a;
    AlignedArray<int32_t> out;
  };

  Slot &slot(int64_t n, int64_t k) {
    for (Slot &s : slots_)
      if (s.shape == Shape{n, k})
        return s;
    Slot s;
    s.shape = {n, k};
    s.a = randomActivations(m_ * k);
    s.out = AlignedArray<int32_t>(m_ * n);
    slots_.push_back(std::move(s));
    return slots_.back();
  }

  void step() {
    for (int64_t l = 0; l < layers_; ++l)
      for (const Shape &sh : layer_) {
        Slot &s = slot(sh[0], sh[1]);
        if (s.skipped || s.kernels.empty())
          continue;
        const Kernel &kernel = s.kernels[s.current];
        const KernelJit &jit = *kernel.jit;
        const Blob &blob = s.blobs[kernel.blob];
        const uint8_t *w = blob.data.data() + l * blob.bytes;
        const int64_t blocks = kernel.choice.family->parallelBlocks;
        pool_.parallelForBalanced(
            jit.units(), blocks,
            [&](int64_t begin, int64_t end) {
              jit.run(s.a.data(), w, s.out.data(), begin, end);
            },
            matmulBlockItems(m_, blocks, static_cast<int64_t>(blob.bytes),
                             jit.units()));
      }
  }

  int64_t m_;
  std::vector<Shape> layer_;
  int64_t layers_;
  ::tern::ThreadPool &pool_;
  std::deque<Slot> slots_;
};

/// The model step in which shape [m, n, k]'s finalists are timed: the
/// model's layer (or, without one, the tuned shapes of this M repeated to
/// 256 MiB), the other shapes on what tern compile generates for them
/// from `db`.
llvm::Expected<std::unique_ptr<StepTimer>>
modelStep(const TuneOptions &o, const KernelSelector &compiled, int64_t m,
          int64_t n, int64_t k, ::tern::ThreadPool &pool) {
  std::vector<StepTimer::Shape> layer = o.layer;
  int64_t layers = o.layers;
  if (layer.empty()) {
    int64_t bytes = 0;
    for (const auto &[m2, n2, k2] : o.shapes)
      if (m2 == m && !llvm::is_contained(layer, StepTimer::Shape{n2, k2}))
        layer.push_back({n2, k2}), bytes += n2 * k2 / 4;
    layers = std::clamp<int64_t>(
        (256 << 20) / std::max<int64_t>(bytes, 1) + 1, 1, 64);
  }
  if (!llvm::is_contained(layer, StepTimer::Shape{n, k}))
    layer.push_back({n, k});
  auto step = std::make_unique<StepTimer>(m, layer,
                                          std::max<int64_t>(layers, 1), pool);
  for (const StepTimer::Shape &other : layer) {
    if (other == StepTimer::Shape{n, k})
      continue;
    KernelChoice c = compiled.choice(m, other[0], other[1]);
    if (!c) {
      step->skip(other[0], other[1]); // the generic lowering: not timed
      continue;
    }
    if (llvm::Error e = step->use(other[0], other[1], c))
      return e;
  }
  return step;
}

constexpr int kFinalRounds = 5;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// The screening's result: (seconds alone, candidate index) for every
/// candidate timed, in candidate order; the default is index 0.
using Timings = std::vector<std::pair<double, size_t>>;

/// How the model step decided: the winner's median step ratio to the
/// default's and in how many rounds it was faster.
struct Decision {
  double ratio = 1;
  int wins = 0;
  bool stepped = false; ///< finalists were timed in the model step
};

/// `tern tune`, one shape at a time: candidates, the screening (each
/// alone), the decision (finalists in the model step), the entry.
class Tuner {
public:
  explicit Tuner(const TuneOptions &o)
      : o_(o), target_(o.target.name.empty() ? hostTarget() : o.target),
        families_(familiesFor(target_)), features_(kernelFeatures(target_)),
        pool_(o.threads > 0 ? o.threads
                            : ::tern::ThreadPool::hardwareThreads()) {}
  llvm::Error run();

private:
  llvm::Error checkTarget() const;
  std::vector<KernelChoice> candidates(int64_t m, int64_t n, int64_t k,
                                       bool searched) const;
  llvm::Expected<Timings> screen(const std::string &shape,
                                 ArrayRef<KernelChoice> candidates, int64_t m,
                                 int64_t n, int64_t k);
  llvm::Error decide(const std::string &shape,
                     ArrayRef<KernelChoice> candidates, const Timings &timed,
                     int64_t m, int64_t n, int64_t k, TuningEntry &best,
                     Decision &decision);
  void report(const std::string &shape, const TuningEntry &best,
              const KernelChoice &defaultChoice, const Decision &d,
              bool searched) const;
  /// "[3/16] " for the shape being tuned.
  std::string counter() const {
    return "[" + std::to_string(index_ + 1) + "/" +
           std::to_string(o_.shapes.size()) + "] ";
  }

  const TuneOptions &o_;
  TuningDb db_;
  Target target_;
  std::vector<const KernelFamily *> families_;
  std::vector<std::string> features_;
  ::tern::ThreadPool pool_;
  Clock::time_point start_ = Clock::now();
  size_t index_ = 0; ///< of the shape being tuned
};

llvm::Error Tuner::checkTarget() const {
  if (families_.empty())
    return llvm::createStringError(
        "target " + target_.name + " (" + target_.cpu +
        ") runs none of the generated kernel families (" +
        kernelFamilyNames() + "): nothing to tune");
  for (const KernelFamily *f : families_)
    if (!llvm::is_contained(hostFamilies(), f))
      return llvm::createStringError(
          "the target's " + f->name.str() + " kernels do not run on this "
          "CPU (" + hostTarget().cpu + "): tune on a machine that runs them");
  return llvm::Error::success();
}

std::vector<KernelChoice> Tuner::candidates(int64_t m, int64_t n, int64_t k,
                                            bool searched) const {
  // Prefill rows of this weight that are tuned too (decode keeps to
  // layouts their default reads).
  int64_t prefillRows = 0;
  for (const auto &[m2, n2, k2] : o_.shapes)
    if (m2 > 1 && n2 == n && k2 == k)
      prefillRows = std::max(prefillRows, m2);
  std::vector<KernelChoice> out =
      tuningCandidates(families_, m, n, k, prefillRows,
                       target_.streamPrefetch(m),
                       target_.streamPrefetchLocality());
  // Decode keeps the default unless asked: every decode choice that
  // differed from it (wider tiles, AVX2 on a 512-bit VNNI CPU, 1.6-bit
  // base3v) won alone and in the model step and lost in whole-model runs
  // (docs/performance.md).
  if (!searched)
    out.resize(std::min<size_t>(out.size(), 1));
  // A weight has one layout, and tern compile takes it from the decode
  // (M = 1) entry: once that is tuned, other M are tuned on it, and the
  // baseline is what tern compile generates on it without an entry for
  // this M.
  if (m > 1)
    if (const TuningEntry *d = db_.find(target_.cpu, 1, n, k)) {
      std::vector<KernelChoice> kept;
      if (KernelChoice base =
              KernelSelector(target_).kernel(m, n, k, d->choice.layout))
        kept.push_back(base);
      for (const KernelChoice &c : out)
        if (c.layout == d->choice.layout && !llvm::is_contained(kept, c))
          kept.push_back(c);
      if (!kept.empty())
        out = std::move(kept);
    }
  return out;
}

llvm::Expected<Timings> Tuner::screen(const std::string &shape,
                                      ArrayRef<KernelChoice> candidates,
                                      int64_t m, int64_t n, int64_t k) {
  Timings timed;
  size_t fastest = 0; // in timed
  for (size_t i = 0; i < candidates.size(); ++i) {
    // The budget is shared out evenly: shape s may run until its share
    // (and whatever earlier shapes left unused) is spent.
    if (i > 0 && o_.budgetSeconds > 0 &&
        since(start_) >
            o_.budgetSeconds * double(index_ + 1) / o_.shapes.size())
      break;
    const KernelChoice &c = candidates[i];
    auto t = KernelTimer::create(c, m, n, k, pool_);
    if (!t)
      return t.takeError();
    const double sec = (*t)->time();
    timed.push_back({sec, i});
    if (sec < timed[fastest].first)
      fastest = timed.size() - 1;
    if (!o_.progress)
      continue;
    if (o_.verbose)
      *o_.progress << llvm::format("\r%-12s %-36s %10.1f us%s\n",
                                   shape.c_str(), c.str().c_str(), sec * 1e6,
                                   i == 0 ? " (default)" : "");
    const int width = 30;
    const int done = static_cast<int>(width * (i + 1) / candidates.size());
    *o_.progress << "\r" << counter() << shape << " ["
                 << std::string(done, '#') << std::string(width - done, '.')
                 << "] " << i + 1 << "/" << candidates.size() << " best "
                 << candidates[timed[fastest].second].str()
                 << llvm::format(" %.1f us (default %.1f us)   ",
                                 timed[fastest].first * 1e6,
                                 timed[0].first * 1e6);
    o_.progress->flush();
  }
  return timed;
}

llvm::Error Tuner::decide(const std::string &shape,
                          ArrayRef<KernelChoice> candidates,
                          const Timings &screened, int64_t m, int64_t n,
                          int64_t k, TuningEntry &best, Decision &decision) {
  // The default and the three fastest in a model step (StepTimer: every
  // matmul of every layer at this M, the other shapes on what tern compile
  // would generate for them now), in turn five times. A finalist replaces
  // the default only if its step is faster in at least four of the five
  // rounds and by at least 1 % in the median (a shape is a quarter of the
  // step or less, so this is a larger share of its own time); the fastest
  // such finalist is chosen. Both step times are recorded beside the times
  // alone.
  Timings timed = screened;
  std::sort(timed.begin() + 1, timed.end());
  std::vector<size_t> finalists = {0};
  for (size_t i = 1; i < timed.size() && finalists.size() < 4; ++i)
    finalists.push_back(timed[i].second);
  auto alone = [&](size_t candidate) {
    for (const auto &[sec, i] : timed)
      if (i == candidate)
        return sec;
    return 0.0;
  };
  best.choice = candidates[0];
  best.seconds = best.defaultSeconds = alone(0);
  if (finalists.size() < 2)
    return llvm::Error::success();
  decision.stepped = true;
  llvm::Expected<std::unique_ptr<StepTimer>> made =
      modelStep(o_, KernelSelector(target_, &db_), m, n, k, pool_);
  if (!made)
    return made.takeError();
  StepTimer &step = **made;
  std::vector<std::vector<double>> rounds(finalists.size());
  for (int round = 0; round < kFinalRounds; ++round) {
    // Each round in another order (rotated, every other one reversed): the
    // load of a shared machine drifts within a round, and a fixed order
    // would hand the same finalist the same side of the drift every time.
    for (size_t i = 0; i < finalists.size(); ++i) {
      size_t f = (i + round) % finalists.size();
      if (round % 2)
        f = finalists.size() - 1 - f;
      if (llvm::Error e = step.use(n, k, candidates[finalists[f]]))
        return e;
      rounds[f].push_back(step.time());
    }
    if (o_.progress) {
      *o_.progress << "\r" << counter() << shape << ": in a model step, round "
                   << round + 1 << "/" << kFinalRounds << std::string(40, ' ');
      o_.progress->flush();
    }
  }
  best.defaultStepSeconds = best.stepSeconds = median(rounds[0]);
  double threshold = 0.99;
  for (size_t f = 1; f < finalists.size(); ++f) {
    std::vector<double> ratio;
    for (int r = 0; r < kFinalRounds; ++r)
      ratio.push_back(rounds[f][r] / rounds[0][r]);
    const int faster = static_cast<int>(std::count_if(
        ratio.begin(), ratio.end(), [](double x) { return x < 1; }));
    const double med = median(ratio);
    const KernelChoice &c = candidates[finalists[f]];
    if (o_.progress && o_.verbose)
      *o_.progress << llvm::format(
          "\r%-12s %-36s step %8.2f ms (%.3f of the default's, faster "
          "%d/%d)\n",
          shape.c_str(), c.str().c_str(), median(rounds[f]) * 1e3, med,
          faster, kFinalRounds);
    if (faster >= kFinalRounds - 1 && med < threshold) {
      threshold = decision.ratio = med;
      decision.wins = faster;
      best.choice = c;
      best.seconds = alone(finalists[f]);
      best.stepSeconds = median(rounds[f]);
    }
  }
  return llvm::Error::success();
}

void Tuner::report(const std::string &shape, const TuningEntry &best,
                   const KernelChoice &defaultChoice, const Decision &d,
                   bool searched) const {
  if (!o_.progress)
    return;
  llvm::raw_ostream &os = *o_.progress;
  os << "\r" << counter() << shape << ": " << best.choice.str();
  if (!searched)
    os << llvm::format(
        ", the default (%.1f us alone; decode is searched with a MODEL to "
        "check in, or --search-decode)",
        best.defaultSeconds * 1e6);
  else if (!d.stepped)
    os << llvm::format(
        ", the default (the budget timed it only: %.1f us alone)",
        best.defaultSeconds * 1e6);
  else if (!(best.choice == defaultChoice))
    os << llvm::format(
        ": model step %.2f ms, %.3f of the default's (faster %d/%d); alone "
        "%.1f us, default %.1f us",
        best.stepSeconds * 1e3, d.ratio, d.wins, kFinalRounds,
        best.seconds * 1e6, best.defaultSeconds * 1e6);
  else
    os << llvm::format(", the default: no finalist ran the model step faster "
                       "(%.2f ms; alone %.1f us)",
                       best.defaultStepSeconds * 1e3,
                       best.defaultSeconds * 1e6);
  os << std::string(20, ' ') << "\n";
}

llvm::Error Tuner::run() {
  if (llvm::sys::fs::exists(o_.output)) {
    llvm::Expected<TuningDb> loaded = TuningDb::load(o_.output);
    if (!loaded)
      return loaded.takeError();
    db_ = std::move(*loaded);
  }
  if (llvm::Error e = checkTarget())
    return e;
  for (index_ = 0; index_ < o_.shapes.size(); ++index_) {
    const auto [m, n, k] = o_.shapes[index_];
    const std::string shape = std::to_string(m) + "x" + std::to_string(n) +
                              "x" + std::to_string(k);
    if (!o_.retune && db_.find(target_.cpu, m, n, k)) {
      if (o_.progress)
        *o_.progress << counter() << shape << ": already tuned for "
                     << target_.cpu << " (--retune redoes it)\n";
      continue;
    }
    if (n * k > (int64_t(1) << 32) || m * k > (int64_t(1) << 32))
      return llvm::createStringError(
          "shape " + shape + ": too large to tune (more than 4 Gi weights "
          "or activations)");
    const bool searched = m > 1 || o_.searchDecode;
    const std::vector<KernelChoice> cs = candidates(m, n, k, searched);
    if (cs.empty()) {
      // No family reads this K: tern compile uses the reference lowering.
      if (o_.progress)
        *o_.progress << counter() << shape << ": no generated kernel reads K = "
                     << k << " (the reference lowering serves it): not tuned\n";
      continue;
    }
    llvm::Expected<Timings> timed = screen(shape, cs, m, n, k);
    if (!timed)
      return timed.takeError();
    TuningEntry best;
    best.cpu = target_.cpu;
    best.features = features_;
    best.threads = pool_.size();
    best.m = m, best.n = n, best.k = k;
    Decision decision;
    if (llvm::Error e = decide(shape, cs, *timed, m, n, k, best, decision))
      return e;
    report(shape, best, cs[0], decision, searched);
    db_.put(best);
    if (llvm::Error e = db_.save(o_.output))
      return e;
  }
  return llvm::Error::success();
}
} // namespace

llvm::Error mlir::tern::tune(const TuneOptions &o) { return Tuner(o).run(); }
