//===- Tuner.cpp - tern tune: search kernel choices on this CPU -----------===//

#include "compiler/Tuning/Tuner.h"

#include "compiler/Tuning/KernelJit.h"
#include "runtime/ternary/Packing.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"

#include <algorithm>
#include <chrono>
#include <random>

using namespace mlir;
using namespace mlir::tern;

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}
} // namespace

std::vector<KernelChoice> mlir::tern::tuningCandidates(int64_t m, int64_t n,
                                                       int64_t k) {
  std::vector<KernelChoice> out;
  const std::vector<std::string> families = hostKernelFamilies();
  if (families.empty())
    return out;
  auto add = [&](const KernelChoice &c) {
    if (kernels::supportsLayout(c.kernel.family, c.packing, c.block, k) &&
        !llvm::is_contained(out, c))
      out.push_back(c);
  };
  add(defaultChoice(families, m, n, k));
  const int64_t tilesM[] = {1, 2, 4, 8};
  const int64_t tilesN[] = {1, 2, 4, 8};
  // i2 in I2_S's 128, 256 and whole rows; base3v (1.6 bits) in blocks
  // of 320 and whole rows where K allows.
  const std::pair<PackingKind, int64_t> layouts[] = {
      {PackingKind::i2, 128},     {PackingKind::i2, 256},
      {PackingKind::i2, k},       {PackingKind::base3v, 320},
      {PackingKind::base3v, k}};
  for (const std::string &f : families)
    for (auto [packing, block] : layouts)
      for (int64_t tm : tilesM)
        for (int64_t tn : tilesN) {
          if (tm > m || tm * tn > 16)
            continue;
          KernelChoice c;
          c.kernel = {f, tm, tn};
          c.packing = packing;
          c.block = block;
          add(c);
        }
  return out;
}

llvm::Expected<double> mlir::tern::timeKernel(const KernelChoice &c,
                                              int64_t m, int64_t n,
                                              int64_t k) {
  auto jit = KernelJit::create(c, m, n, k);
  if (!jit)
    return jit.takeError();
  std::mt19937 rng(1);
  std::vector<int8_t> a(m * k), t(n * k);
  for (auto &v : a)
    v = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
  for (auto &v : t)
    v = static_cast<int8_t>(static_cast<int>(rng() % 3) - 1);
  const ::tern::PackedLayout layout = c.packedLayout();
  const size_t bytes = n * ::tern::packedRowBytes(layout, k);
  // Decode streams every weight from memory once per token: the calls
  // rotate over copies of the weights that together exceed the caches
  // (64 MiB), so that a kernel is timed as the model runs it.
  const size_t copies = std::clamp<size_t>((64u << 20) / bytes + 1, 1, 64);
  std::vector<uint8_t> w(bytes * copies);
  ::tern::packTernary(layout, t.data(), n, k, w.data());
  for (size_t i = 1; i < copies; ++i)
    std::copy(w.begin(), w.begin() + bytes, w.begin() + i * bytes);
  std::vector<int32_t> out(m * n);
  size_t next = 0;
  auto call = [&] {
    (*jit)->run(a.data(), w.data() + bytes * next, out.data(), 0, n);
    next = (next + 1) % copies;
  };
  for (size_t i = 0; i < copies; ++i) // warm-up: page in every copy
    call();
  // Calls per batch: about 20 ms of work.
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

llvm::Error mlir::tern::tune(const TuneOptions &o) {
  TuningDb db;
  if (llvm::sys::fs::exists(o.output)) {
    llvm::Expected<TuningDb> loaded = TuningDb::load(o.output);
    if (!loaded)
      return loaded.takeError();
    db = std::move(*loaded);
  }
  const std::vector<std::string> families = hostKernelFamilies();
  if (families.empty())
    return llvm::createStringError(
        "this CPU (" + hostCpu() +
        ") runs none of the generated kernel families (avx2, vnni, "
        "neon-dotprod, sve): nothing to tune");
  const std::string cpu = hostCpu();
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
    std::vector<KernelChoice> candidates = tuningCandidates(m, n, k);
    TuningEntry best;
    best.cpu = cpu;
    best.features = hostKernelFeatures();
    best.m = m, best.n = n, best.k = k;
    for (size_t i = 0; i < candidates.size(); ++i) {
      // The budget is shared out evenly: shape s may run until its share
      // (and whatever earlier shapes left unused) is spent.
      if (i > 0 && o.budgetSeconds > 0 &&
          since(start) > o.budgetSeconds * double(s + 1) / o.shapes.size())
        break;
      const KernelChoice &c = candidates[i];
      llvm::Expected<double> sec = timeKernel(c, m, n, k);
      if (!sec)
        return sec.takeError();
      if (o.progress && o.verbose)
        *o.progress << llvm::format("\r%-12s %-13s %-13s tile %lldx%lld"
                                    " %10.1f us%s\n",
                                    shape.c_str(), c.kernel.family.c_str(),
                                    c.layoutName().c_str(),
                                    (long long)c.kernel.tileM,
                                    (long long)c.kernel.tileN, *sec * 1e6,
                                    i == 0 ? " (default)" : "");
      if (i == 0)
        best.defaultSeconds = *sec;
      if (i == 0 || *sec < best.seconds)
        best.choice = c, best.seconds = *sec;
      if (o.progress) {
        const int width = 30;
        const int done = static_cast<int>(width * (i + 1) / candidates.size());
        *o.progress << "\r[" << s + 1 << "/" << o.shapes.size() << "] "
                    << shape << " ["
                    << std::string(done, '#') << std::string(width - done, '.')
                    << "] " << i + 1 << "/" << candidates.size() << " best "
                    << best.choice.kernel.family << " "
                    << best.choice.layoutName() << " t" << best.choice.kernel.tileM << "x"
                    << best.choice.kernel.tileN
                    << llvm::format(" %.1f us (default %.1f us)   ",
                                    best.seconds * 1e6,
                                    best.defaultSeconds * 1e6);
        o.progress->flush();
      }
    }
    // The default ran first, before the CPU and caches were warm: time it
    // again (and the winner, as a pair) so that the ratio compares like
    // with like.
    if (!candidates.empty() && !(best.choice == candidates[0])) {
      llvm::Expected<double> again = timeKernel(candidates[0], m, n, k);
      if (!again)
        return again.takeError();
      llvm::Expected<double> bestAgain = timeKernel(best.choice, m, n, k);
      if (!bestAgain)
        return bestAgain.takeError();
      best.defaultSeconds = std::min(best.defaultSeconds, *again);
      best.seconds = std::min(best.seconds, *bestAgain);
      if (best.defaultSeconds <= best.seconds)
        best.choice = candidates[0], best.seconds = best.defaultSeconds;
    } else {
      best.seconds = best.defaultSeconds;
    }
    if (o.progress)
      *o.progress << "\n";
    db.put(best);
    if (llvm::Error e = db.save(o.output))
      return e;
  }
  return llvm::Error::success();
}
