//===- Tuner.cpp - tern tune: search kernel choices on this CPU -----------===//

#include "compiler/Tuning/Tuner.h"

#include "compiler/Tuning/KernelJit.h"
#include "runtime/support/ThreadPool.h"
#include "runtime/ternary/Packing.h"

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
/// (2 MiB mappings, `FilePmdMapped`, docs/performance.md session 6); a
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

/// `count` random int8 activations in [-127, 127].
std::vector<int8_t> randomActivations(size_t count) {
  std::mt19937 rng(1);
  std::vector<int8_t> a(count);
  for (auto &v : a)
    v = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
  return a;
}

/// `copies` copies of one random [n, k] ternary weight packed in `layout`,
/// one after another (`layoutBytes` each); the kernels' speed does not
/// depend on the values.
llvm::Expected<WeightBuffer> packedCopies(::tern::PackedLayout layout,
                                          int64_t n, int64_t k,
                                          size_t copies, size_t &layoutBytes) {
  layoutBytes = n * ::tern::packedRowBytes(layout, k);
  std::mt19937 rng(2);
  std::vector<int8_t> w(n * k);
  for (auto &v : w)
    v = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
  llvm::Expected<WeightBuffer> buf =
      WeightBuffer::allocate(layoutBytes * copies);
  if (!buf)
    return buf.takeError();
  ::tern::packTernary(layout, w.data(), n, k, buf->data());
  for (size_t i = 1; i < copies; ++i)
    std::memcpy(buf->data() + i * layoutBytes, buf->data(), layoutBytes);
  return buf;
}
} // namespace

std::vector<KernelChoice>
mlir::tern::tuningCandidates(const std::vector<std::string> &families,
                             int64_t m, int64_t n, int64_t k,
                             int64_t prefillRows) {
  std::vector<KernelChoice> out;
  if (families.empty())
    return out;
  // One packed copy of a weight serves decode and prefill, and its layout
  // is the decode entry's: decode tries only layouts that the prefill
  // default reads (i2 b128 for AVX2 decode timed 6 % faster in the model
  // step, but would have moved prefill off the 512-bit VNNI kernels, 4 %
  // slower there).
  const std::string prefillFamily =
      m == 1 && prefillRows > 1
          ? defaultChoice(families, prefillRows, n, k).kernel.family
          : std::string();
  auto add = [&](const KernelChoice &c) {
    if (kernels::supportsLayout(c.kernel.family, c.packing, c.block, k) &&
        (prefillFamily.empty() ||
         kernels::supportsLayout(prefillFamily, c.packing, c.block, k)) &&
        !llvm::is_contained(out, c))
      out.push_back(c);
  };
  add(defaultChoice(families, m, n, k));
  // Prefill tiles of at least 4 rows (or all M): smaller ones re-read a
  // thread's weights M / tile_m times per call. Timed alone they looked
  // 1.2-1.4x faster than 8-row tiles, but in the model they prefilled
  // 20 % slower while 8x2 tiles gained (docs/performance.md, session 5).
  const int64_t minTileM = std::min<int64_t>(m, 4);
  const int64_t tilesM[] = {1, 2, 4, 8};
  const int64_t tilesN[] = {1, 2, 4, 8};
  // i2 in I2_S's 128, 256 and whole rows; base3v (1.6 bits) in blocks
  // of 320 and whole rows where K allows.
  const std::pair<PackingKind, int64_t> layouts[] = {
      {PackingKind::i2, 128},     {PackingKind::i2, 256},
      {PackingKind::i2, k},       {PackingKind::base3v, 320},
      {PackingKind::base3v, k}};
  for (const std::string &f : families) {
    if (kernels::isLutFamily(f)) {
      // Lookup tables on lut2i (whole groups of 32 rows): tile_n groups
      // share each table load; tile_m tables share each weight load.
      if (n % 32)
        continue;
      for (int64_t tm : tilesM)
        for (int64_t tn : {1, 2, 4}) {
          if (tm > m || tm < minTileM || tm * tn > 4)
            continue;
          KernelChoice c;
          c.kernel = {f, tm, tn};
          c.packing = PackingKind::lut2i;
          c.block = k;
          add(c);
        }
      continue;
    }
    // Decode on avx2 / vnni512: one column per tile. Wider tiles timed
    // 1.3-1.7x faster alone, and twice (session 4, session 5) the tuned
    // executable then decoded 10-20 % slower than the 1x1 default.
    const bool oneColumn = m == 1 && (f == "avx2" || f == "vnni512");
    for (auto [packing, block] : layouts)
      for (int64_t tm : tilesM)
        for (int64_t tn : tilesN) {
          if (tm > m || tm < minTileM || tm * tn > 16 ||
              (oneColumn && tn > 1))
            continue;
          KernelChoice c;
          c.kernel = {f, tm, tn};
          c.packing = packing;
          c.block = block;
          add(c);
        }
  }
  return out;
}

namespace {
/// One candidate ready to be timed again and again: its JIT-compiled
/// kernel, activations, and weights in copies that together exceed the
/// caches (256 MiB) (decode streams every weight from memory once per token; the
/// calls rotate over the copies so that a kernel is timed as the model runs
/// it). Calls split the columns over `pool` as tern_parallel_for does.
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
    t->a_ = randomActivations(m * k);
    const ::tern::PackedLayout layout = c.packedLayout();
    // 256 MiB: several times a CCD's L3 even when two threads on two CCDs
    // each stream their own half of the columns (64 MiB let 2-thread decode
    // kernels run from L3 here and misjudged them).
    t->copies_ = std::clamp<size_t>(
        (256u << 20) / (n * ::tern::packedRowBytes(layout, k)) + 1, 1, 256);
    llvm::Expected<WeightBuffer> buf =
        packedCopies(layout, n, k, t->copies_, t->bytes_);
    if (!buf)
      return buf.takeError();
    t->w_ = std::move(*buf);
    t->out_.resize(m * n);
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
    pool_.parallelFor(jit_->units(), [&](int64_t begin, int64_t end) {
      jit_->run(a_.data(), w, out_.data(), begin, end);
    });
    next_ = (next_ + 1) % copies_;
  }

  ::tern::ThreadPool &pool_;
  std::unique_ptr<KernelJit> jit_;
  std::vector<int8_t> a_;
  WeightBuffer w_;
  std::vector<int32_t> out_;
  size_t bytes_ = 0, copies_ = 1, next_ = 0;
};

/// The matmuls of one forward step at M rows (every layer's, in order),
/// timed together on the executable's threads, each shape on the kernel
/// tern compile would generate for it (`use` swaps one shape's kernel and
/// layout). A kernel is judged where it runs: after the other matmuls of
/// its layer, with their weights streamed through the caches and the
/// pool's hand-offs between calls, on weights as large as the model's.
/// Timed alone, candidates were ranked 1.2-1.9x apart that ran the same
/// in the model, or slower (docs/performance.md, session 5).
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
    const ::tern::PackedLayout layout = c.packedLayout();
    size_t blob = 0;
    while (blob < s.blobs.size() &&
           !(s.blobs[blob].layout.kind == layout.kind &&
             s.blobs[blob].layout.block == layout.block))
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
    ::tern::PackedLayout layout;
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
    std::vector<int8_t> a;
    std::vector<int32_t> out;
  };

  Slot &slot(int64_t n, int64_t k) {
    for (Slot &s : slots_)
      if (s.shape == Shape{n, k})
        return s;
    Slot s;
    s.shape = {n, k};
    s.a = randomActivations(m_ * k);
    s.out.resize(m_ * n);
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
        pool_.parallelFor(jit.units(), [&](int64_t begin, int64_t end) {
          jit.run(s.a.data(), w, s.out.data(), begin, end);
        });
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
modelStep(const TuneOptions &o, const TuningDb &db, const std::string &cpu,
          const std::vector<std::string> &families, int64_t m, int64_t n,
          int64_t k, ::tern::ThreadPool &pool) {
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
    std::optional<KernelChoice> c =
        compiledChoice(&db, cpu, families, m, other[0], other[1]);
    if (!c) {
      step->skip(other[0], other[1]); // the generic lowering: not timed
      continue;
    }
    if (llvm::Error e = step->use(other[0], other[1], *c))
      return std::move(e);
  }
  return step;
}

constexpr int kFinalRounds = 5;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
} // namespace

llvm::Error mlir::tern::tune(const TuneOptions &o) {
  TuningDb db;
  if (llvm::sys::fs::exists(o.output)) {
    llvm::Expected<TuningDb> loaded = TuningDb::load(o.output);
    if (!loaded)
      return loaded.takeError();
    db = std::move(*loaded);
  }
  const std::vector<std::string> families =
      o.families.empty() ? hostKernelFamilies() : o.families;
  const std::string cpu = o.cpu.empty() ? hostCpu() : o.cpu;
  const std::vector<std::string> features =
      o.cpu.empty() ? hostKernelFeatures() : o.features;
  if (families.empty())
    return llvm::createStringError(
        "this CPU (" + hostCpu() +
        ") runs none of the generated kernel families (avx2, vnni, "
        "neon-dotprod, sve): nothing to tune");
  for (const std::string &f : families)
    if (!llvm::is_contained(hostKernelFamilies(), f))
      return llvm::createStringError(
          "the target's " + f + " kernels do not run on this CPU (" +
          hostCpu() + "): tune on a machine that runs them");
  // Kernels are timed on the threads the executable will use.
  ::tern::ThreadPool pool(o.threads > 0 ? o.threads
                                        : ::tern::ThreadPool::hardwareThreads());
  const auto start = Clock::now();
  for (size_t s = 0; s < o.shapes.size(); ++s) {
    const auto [m, n, k] = o.shapes[s];
    const std::string shape = std::to_string(m) + "x" + std::to_string(n) +
                              "x" + std::to_string(k);
    if (!o.retune && db.find(cpu, m, n, k)) {
      if (o.progress)
        *o.progress << "[" << s + 1 << "/" << o.shapes.size() << "] " << shape
                    << ": already tuned for " << cpu << " (--retune redoes it)\n";
      continue;
    }
    if (n * k > (int64_t(1) << 32) || m * k > (int64_t(1) << 32))
      return llvm::createStringError(
          "shape " + shape + ": too large to tune (more than 4 Gi weights "
          "or activations)");
    // Prefill rows of this weight that are tuned too (decode keeps to
    // layouts their default reads).
    int64_t prefillRows = 0;
    for (const auto &[m2, n2, k2] : o.shapes)
      if (m2 > 1 && n2 == n && k2 == k)
        prefillRows = std::max(prefillRows, m2);
    std::vector<KernelChoice> candidates =
        tuningCandidates(families, m, n, k, prefillRows);
    // Decode keeps the default unless asked: every decode choice that
    // differed from it (wider tiles, AVX2 on a 512-bit VNNI CPU, 1.6-bit
    // base3v) won alone and in the model step and lost in whole-model
    // runs, five tunes out of five (docs/performance.md, sessions 4-6).
    const bool searched = m > 1 || o.searchDecode;
    if (!searched)
      candidates.resize(std::min<size_t>(candidates.size(), 1));
    // A weight has one layout, and tern compile takes it from the decode
    // (M = 1) entry: once that is tuned, other M are tuned on it, and the
    // baseline is what tern compile generates on it without an entry for
    // this M.
    if (m > 1)
      if (const TuningEntry *d = db.find(cpu, 1, n, k)) {
        const ::tern::PackedLayout layout = d->choice.packedLayout();
        std::optional<kernels::KernelConfig> base =
            compiledKernel(nullptr, cpu, families, m, n, k, layout);
        std::vector<KernelChoice> kept;
        if (base) {
          KernelChoice c = d->choice;
          c.kernel = *base;
          kept.push_back(c);
        }
        for (const KernelChoice &c : candidates)
          if (c.packing == d->choice.packing && c.block == d->choice.block &&
              !llvm::is_contained(kept, c))
            kept.push_back(c);
        if (!kept.empty())
          candidates = std::move(kept);
      }
    if (candidates.empty()) {
      // No family reads this K: tern compile uses the generic lowering.
      if (o.progress)
        *o.progress << "[" << s + 1 << "/" << o.shapes.size() << "] " << shape
                    << ": no generated kernel reads K = " << k
                    << " (the generic lowering serves it): not tuned\n";
      continue;
    }
    TuningEntry best;
    best.cpu = cpu;
    best.features = features;
    best.threads = pool.size();
    best.m = m, best.n = n, best.k = k;
    // First pass: every candidate the budget allows, once.
    std::vector<std::pair<double, size_t>> timed;
    size_t fastest = 0; // in timed
    for (size_t i = 0; i < candidates.size(); ++i) {
      // The budget is shared out evenly: shape s may run until its share
      // (and whatever earlier shapes left unused) is spent.
      if (i > 0 && o.budgetSeconds > 0 &&
          since(start) > o.budgetSeconds * double(s + 1) / o.shapes.size())
        break;
      const KernelChoice &c = candidates[i];
      llvm::Expected<double> sec = [&]() -> llvm::Expected<double> {
        auto t = KernelTimer::create(c, m, n, k, pool);
        if (!t)
          return t.takeError();
        return (*t)->time();
      }();
      if (!sec)
        return sec.takeError();
      timed.push_back({*sec, i});
      if (o.progress && o.verbose)
        *o.progress << llvm::format("\r%-12s %-13s %-13s tile %lldx%lld"
                                    " %10.1f us%s\n",
                                    shape.c_str(), c.kernel.family.c_str(),
                                    c.layoutName().c_str(),
                                    (long long)c.kernel.tileM,
                                    (long long)c.kernel.tileN, *sec * 1e6,
                                    i == 0 ? " (default)" : "");
      if (*sec < timed[fastest].first)
        fastest = timed.size() - 1;
      if (o.progress) {
        const int width = 30;
        const int done = static_cast<int>(width * (i + 1) / candidates.size());
        *o.progress << "\r[" << s + 1 << "/" << o.shapes.size() << "] "
                    << shape << " ["
                    << std::string(done, '#') << std::string(width - done, '.')
                    << "] " << i + 1 << "/" << candidates.size() << " best "
                    << candidates[timed[fastest].second].kernel.family << " "
                    << candidates[timed[fastest].second].layoutName() << " t"
                    << candidates[timed[fastest].second].kernel.tileM << "x"
                    << candidates[timed[fastest].second].kernel.tileN
                    << llvm::format(" %.1f us (default %.1f us)   ",
                                    timed[fastest].first * 1e6,
                                    timed[0].first * 1e6);
        o.progress->flush();
      }
    }
    // Final round: the default and the three fastest in a model step
    // (StepTimer: every matmul of every layer at this M, the other shapes
    // on what tern compile would generate for them now), in turn five
    // times. A finalist replaces the default only if its step is faster in
    // at least four of the five rounds and by at least 1 % in the median
    // (a shape is a quarter of the step or less, so this is a larger share
    // of its own time); the fastest such finalist is chosen. Both step
    // times are recorded beside the times alone.
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
    int wins = 0;
    double bestRatio = 1;
    if (finalists.size() > 1) {
      llvm::Expected<std::unique_ptr<StepTimer>> made =
          modelStep(o, db, cpu, families, m, n, k, pool);
      if (!made)
        return made.takeError();
      StepTimer &step = **made;
      std::vector<std::vector<double>> rounds(finalists.size());
      for (int round = 0; round < kFinalRounds; ++round) {
        // Each round in another order (rotated, every other one reversed):
        // the load of a shared machine drifts within a round, and a fixed
        // order would hand the same finalist the same side of the drift
        // every time.
        for (size_t i = 0; i < finalists.size(); ++i) {
          size_t f = (i + round) % finalists.size();
          if (round % 2)
            f = finalists.size() - 1 - f;
          if (llvm::Error e = step.use(n, k, candidates[finalists[f]]))
            return e;
          rounds[f].push_back(step.time());
        }
        if (o.progress) {
          *o.progress << "\r[" << s + 1 << "/" << o.shapes.size() << "] "
                      << shape << ": in a model step, round " << round + 1
                      << "/" << kFinalRounds << std::string(40, ' ');
          o.progress->flush();
        }
      }
      best.defaultStepSeconds = best.stepSeconds = median(rounds[0]);
      double threshold = 0.99;
      for (size_t f = 0; f < finalists.size(); ++f) {
        std::vector<double> ratio;
        for (int r = 0; r < kFinalRounds; ++r)
          ratio.push_back(rounds[f][r] / rounds[0][r]);
        const int faster = static_cast<int>(
            std::count_if(ratio.begin(), ratio.end(),
                          [](double x) { return x < 1; }));
        const double med = median(ratio);
        const KernelChoice &c = candidates[finalists[f]];
        if (o.progress && o.verbose)
          *o.progress << llvm::format(
              "\r%-12s %-13s %-13s tile %lldx%lld step %8.2f ms (%.3f of "
              "the default's, faster %d/%d)\n",
              shape.c_str(), c.kernel.family.c_str(), c.layoutName().c_str(),
              (long long)c.kernel.tileM, (long long)c.kernel.tileN,
              median(rounds[f]) * 1e3, med, faster, kFinalRounds);
        if (f > 0 && faster >= kFinalRounds - 1 && med < threshold) {
          threshold = bestRatio = med;
          wins = faster;
          best.choice = c;
          best.seconds = alone(finalists[f]);
          best.stepSeconds = median(rounds[f]);
        }
      }
    }
    if (o.progress) {
      *o.progress << llvm::format("\r[%zu/%zu] %s: %s %s t%lldx%lld", s + 1,
                                  o.shapes.size(), shape.c_str(),
                                  best.choice.kernel.family.c_str(),
                                  best.choice.layoutName().c_str(),
                                  (long long)best.choice.kernel.tileM,
                                  (long long)best.choice.kernel.tileN);
      if (!searched)
        *o.progress << llvm::format(
            ", the default (%.1f us alone; --search-decode searches decode)",
            best.defaultSeconds * 1e6);
      else if (finalists.size() < 2)
        *o.progress << llvm::format(
            ", the default (the budget timed it only: %.1f us alone)",
            best.defaultSeconds * 1e6);
      else if (!(best.choice == candidates[0]))
        *o.progress << llvm::format(
            ": model step %.2f ms, %.3f of the default's (faster %d/%d); "
            "alone %.1f us, default %.1f us",
            best.stepSeconds * 1e3, bestRatio, wins, kFinalRounds,
            best.seconds * 1e6, best.defaultSeconds * 1e6);
      else
        *o.progress << llvm::format(
            ", the default: no finalist ran the model step faster (%.2f ms; "
            "alone %.1f us)",
            best.defaultStepSeconds * 1e3, best.defaultSeconds * 1e6);
      *o.progress << std::string(20, ' ') << "\n";
    }
    db.put(best);
    if (llvm::Error e = db.save(o.output))
      return e;
  }
  return llvm::Error::success();
}
