//===- DefaultPolicy.cpp - Kernel choices without a tuning database -------===//

#include "compiler/Kernels/DefaultPolicy.h"

#include <algorithm>
#include <limits>

using namespace mlir;
using namespace mlir::tern;

std::vector<const KernelFamily *>
mlir::tern::rankedFamilies(ArrayRef<const KernelFamily *> families,
                           int64_t m) {
  auto rank = [&](const KernelFamily *f) {
    return m == 1 ? f->decodeRank : f->prefillRank;
  };
  std::vector<const KernelFamily *> out;
  for (const KernelFamily *f : families)
    if (rank(f) != KernelFamily::kNever && m >= f->minRows)
      out.push_back(f);
  std::stable_sort(out.begin(), out.end(),
                   [&](const KernelFamily *a, const KernelFamily *b) {
                     return rank(a) < rank(b);
                   });
  return out;
}

Layout mlir::tern::preferredLayout(const KernelFamily &f, int64_t n,
                                   int64_t k) {
  const int64_t block = f.preferredBlock ? f.preferredBlock(k) : 0;
  const Layout l{f.preferredPacking ? f.preferredPacking : &i2Packing(),
                 block};
  if (!block || !l.check(n, k).empty() || !f.reads(l, k))
    return {};
  return l;
}

Layout mlir::tern::defaultLayout(ArrayRef<const KernelFamily *> families,
                                 int64_t n, int64_t k) {
  // Ranked for prefill chunks of any length, so that families that need
  // many rows (amx) keep their layout.
  const std::vector<const KernelFamily *> ranked =
      rankedFamilies(families, /*m=*/std::numeric_limits<int64_t>::max());
  for (const KernelFamily *f : ranked)
    if (const Layout l = preferredLayout(*f, n, k))
      return l;
  const Layout wholeRows{&i2Packing(), k};
  if (!wholeRows.check(n, k).empty())
    return {};
  return wholeRows; // read by a ranked family, or by the reference lowering
}

KernelChoice mlir::tern::defaultKernel(ArrayRef<const KernelFamily *> families,
                                       int64_t m, int64_t n, int64_t k,
                                       const Layout &layout, int64_t prefetch,
                                       int64_t locality) {
  if (!layout || !layout.check(n, k).empty())
    return {};
  auto choose = [&](const KernelFamily *f) {
    KernelChoice c = withPrefetch({f, layout, {}}, m, prefetch, locality);
    c.tile = f->defaultTile(m, k, c.prefetch);
    return c;
  };
  for (const KernelFamily *f : rankedFamilies(families, m))
    if (f->reads(layout, k))
      return choose(f);
  // A layout no ranked family reads (lut2i from --packing or a tuning
  // database): the first family that reads it.
  for (const KernelFamily *f : families)
    if (f->reads(layout, k))
      return choose(f);
  return {};
}
