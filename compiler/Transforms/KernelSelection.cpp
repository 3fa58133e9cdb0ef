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
      prefetch_(prefetch < 0 ? target_.streamPrefetch() : prefetch),
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
                            prefetch_, locality_);
  return withPrefetch(defaultKernel(families_, m, n, k, layout), m,
                      prefetch_, locality_);
}
