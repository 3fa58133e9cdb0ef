//===- KernelSelection.cpp - What tern compile chooses per weight ---------===//

#include "compiler/Transforms/KernelSelection.h"

#include "compiler/Kernels/DefaultPolicy.h"

using namespace mlir;
using namespace mlir::tern;

KernelSelector::KernelSelector(Target target, const TuningDb *db,
                               const Packing *preferred, int64_t prefetch,
                               int64_t locality)
    : target_(std::move(target)), families_(familiesFor(target_)), db_(db),
      preferred_(preferred),
      prefetch_(prefetch),
      locality_(locality < 0 ? target_.streamPrefetchLocality() : locality) {}

std::string KernelSelector::checkDatabase(const std::string &path) const {
  if (!db_)
    return {};
  for (const TuningEntry &e : db_->entries())
    if (e.cpu == target_.cpu && !llvm::is_contained(families_, e.choice.family))
      return path + ": the entry for " + e.cpu + " " + std::to_string(e.m) +
             "x" + std::to_string(e.n) + "x" + std::to_string(e.k) +
             " uses the " + e.choice.family->name.str() +
             " kernels, which target '" + target_.name + "' cannot run";
  return {};
}

Layout KernelSelector::preferredLayout(int64_t n, int64_t k) const {
  if (!preferred_)
    return {};
  const Layout wanted{preferred_, k};
  if (!wanted.check(n, k).empty())
    return {};
  for (const KernelFamily *f : families_)
    if (f->reads(wanted, k))
      return wanted;
  return {};
}

std::string KernelSelector::whyNotPreferred(int64_t n, int64_t k) const {
  if (!preferred_ || preferredLayout(n, k) || layout(n, k).packing == preferred_)
    return {};
  const Layout wanted{preferred_, k};
  if (!wanted.check(k).empty())
    return "rows of " + std::to_string(k) + " weights are not whole " +
           preferred_->name.str() + " blocks (multiples of " +
           std::to_string(preferred_->blockMultiple) + ")";
  if (std::string why = wanted.check(n, k); !why.empty())
    return why;
  return "no kernel family of target '" + target_.name + "' reads " +
         preferred_->name.str() + " rows of " + std::to_string(k) + " weights";
}

Layout KernelSelector::layout(int64_t n, int64_t k) const {
  // The layout serves every M: the decode (M = 1) choice decides. A
  // database entry of a nearby shape may not fit this one (lut2i needs
  // whole groups of 32 rows): then the rules below.
  if (db_) {
    const TuningEntry *e = db_->nearest(target_.cpu, 1, n, k);
    if (!e) // only prefill was tuned: its layout
      e = db_->nearest(target_.cpu, 2, n, k);
    if (e && e->choice.layout.check(n, k).empty())
      return e->choice.layout;
  }
  if (Layout l = preferredLayout(n, k))
    return l;
  return defaultLayout(families_, n, k);
}

KernelChoice KernelSelector::kernel(int64_t m, int64_t n, int64_t k,
                                    const Layout &layout) const {
  if (db_)
    if (const TuningEntry *e = db_->nearest(target_.cpu, m, n, k))
      if (e->choice.family->reads(layout, k))
        return withPrefetch({e->choice.family, layout, e->choice.tile}, m,
                            prefetch(m), locality_);
  return defaultKernel(families_, m, n, k, layout, prefetch(m), locality_);
}

std::array<int64_t, 2>
KernelSelector::headTile(Target::VectorRegisters registers, int64_t rows) {
  // A sum of 32 f32 lanes takes `per` registers. The v x t sums take at
  // most half the register file, and with them v weight vectors and one
  // token vector must fit. Several vocabulary rows per pass only where
  // each weight vector meets at least 4 token rows: with fewer, the loop
  // streams weights rather than computing, and more weight streams ran
  // slower. Of the tiles left, the most sums per pass, then the fewest
  // loads per pass (v + t), then more token rows (fewer f16 widenings).
  // Measured on 2 vCPUs of a Zen 5 (docs/performance.md, "Batched rows of
  // the head").
  const int64_t per = std::max<int64_t>(1, 128 / registers.bytes);
  std::array<int64_t, 2> best = {1, 1};
  auto key = [](int64_t v, int64_t t) {
    return std::make_tuple(v * t, -(v + t), t);
  };
  for (int64_t v = 1; v <= 16; ++v)
    for (int64_t t = 1; t <= std::min<int64_t>(rows, 16); ++t) {
      const int64_t sums = v * t * per;
      if ((v > 1 && t < 4) || sums > registers.count / 2 ||
          sums + (v + 1) * per > registers.count)
        continue;
      if (key(v, t) > key(best[0], best[1]))
        best = {v, t};
    }
  return best;
}
