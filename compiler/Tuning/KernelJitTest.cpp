//===- KernelJitTest.cpp - Every kernel family and packing, exactly -------===//
//
// Every family of the kernel registry that the host runs, on every packing
// of the packing registry it reads, JIT-compiled as tern compile generates
// it, against runtime/ternary's plain ternaryMatmul: the int32 results
// must be identical, for whole and partial column ranges (the tile
// remainders), at the extremes of the int8 range. The cases come from the
// registries, so a new family or packing is tested without a new test.
//
//===----------------------------------------------------------------------===//

#include "compiler/Tuning/KernelJit.h"

#include "runtime/support/CpuState.h"
#include "runtime/ternary/Ternary.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using namespace mlir::tern;

namespace {

struct Case {
  int64_t m, n, k;
  Layout layout;
  Tile tile;
  int64_t prefetch = 0; ///< bytes ahead (KernelChoice::prefetch)
};

void check(const KernelFamily *family, const Case &c) {
  KernelChoice choice{family, c.layout, c.tile, c.prefetch};
  SCOPED_TRACE(choice.str() + " on " + std::to_string(c.m) + "x" +
               std::to_string(c.n) + "x" + std::to_string(c.k));
  auto jit = KernelJit::create(choice, c.m, c.n, c.k);
  ASSERT_TRUE(static_cast<bool>(jit)) << llvm::toString(jit.takeError());

  std::mt19937 rng(static_cast<unsigned>(c.m * 131 + c.n * 7 + c.k +
                                         c.layout.block + c.tile.m * 17 +
                                         c.tile.n));
  std::vector<int8_t> a(c.m * c.k), t(c.n * c.k);
  std::uniform_int_distribution<int> act(-127, 127), ter(-1, 1);
  for (auto &v : a)
    v = static_cast<int8_t>(act(rng));
  for (auto &v : t)
    v = static_cast<int8_t>(ter(rng));
  // Extremes: a row of +127 (and one of -127) against rows of all +1 and
  // all -1 weights give the largest sums.
  for (int64_t j = 0; j < c.k; ++j) {
    a[j] = 127;
    if (c.m > 1)
      a[c.k + j] = -127;
    t[j] = 1;
    if (c.n > 1)
      t[c.k + j] = -1;
  }
  std::vector<uint8_t> w(c.n * c.layout.rowBytes(c.k));
  ASSERT_TRUE(c.layout.pack(t.data(), c.n, c.k, w.data()));
  std::vector<int32_t> want(c.m * c.n);
  ::tern::ternaryMatmul(a.data(), t.data(), c.m, c.n, c.k, want.data());

  // All columns, then a range that starts and ends off the tile grid: the
  // columns outside it keep their sentinel. Ranges are in the kernel's
  // units: columns, or groups of the layout's row group.
  const int64_t u = (*jit)->units(), per = c.n / u;
  ASSERT_EQ(u * per, c.n);
  const int64_t ranges[][2] = {
      {0, u}, {std::min<int64_t>(3, u / 2), u - std::min<int64_t>(2, u / 2)},
      {u - 1, u}};
  for (const auto &r : ranges) {
    std::vector<int32_t> got(c.m * c.n, -7777777);
    (*jit)->run(a.data(), w.data(), got.data(), r[0], r[1]);
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j) {
        const int32_t expect = (j >= r[0] * per && j < r[1] * per)
                                   ? want[i * c.n + j]
                                   : -7777777;
        ASSERT_EQ(got[i * c.n + j], expect)
            << "row " << i << " column " << j << " of range [" << r[0]
            << ", " << r[1] << ")";
      }
  }
}

/// The K most tests use: whole blocks for every family and packing
/// (1280 = 5 x 256 = 4 x 320).
constexpr int64_t kK = 1280;

/// Rows for a packing: 37 (remainders for every tile width), or 5 row
/// groups.
int64_t rowsFor(const Packing *p) { return p->rowGroup > 1 ? 5 * p->rowGroup : 37; }

/// The first layout of `p` the family reads for rows of k (none or one).
std::vector<Layout> firstLayoutRead(const KernelFamily *f, const Packing *p,
                                    int64_t k);

/// The layouts of `p` the family reads for rows of k, smallest block first.
std::vector<Layout> layoutsRead(const KernelFamily *f, const Packing *p,
                                int64_t k) {
  std::vector<Layout> out;
  for (int64_t block = p->blockMultiple; block <= k; block += p->blockMultiple)
    if (k % block == 0 && f->reads({p, block}, k))
      out.push_back({p, block});
  return out;
}

std::vector<Layout> firstLayoutRead(const KernelFamily *f, const Packing *p,
                                    int64_t k) {
  std::vector<Layout> all = layoutsRead(f, p, k);
  all.resize(std::min<size_t>(all.size(), 1));
  return all;
}

class EveryFamily : public ::testing::TestWithParam<const KernelFamily *> {
protected:
  void SetUp() override {
    const KernelFamily *f = GetParam();
    if (f->runsOn(hostTarget()) && !llvm::is_contained(hostFamilies(), f))
      GTEST_SKIP() << "this CPU (" << hostTarget().cpu << ") has the "
                   << f->name.str() << " kernels' features, but this process "
                   << "was refused their state: "
                   << ::tern::requestCpuState(f->osState.str());
    if (!llvm::is_contained(hostFamilies(), f))
      GTEST_SKIP() << "this CPU (" << hostTarget().cpu << ") cannot run the "
                   << f->name.str() << " kernels";
  }
  /// The tile, or nothing where it is beyond the family's sides.
  std::optional<Tile> fit(Tile t) const {
    if (t.m > GetParam()->maxTile.m || t.n > GetParam()->maxTile.n)
      return std::nullopt;
    return t;
  }
};

TEST_P(EveryFamily, ReadsSomePacking) {
  int read = 0;
  for (const Packing *p : packings())
    read += !layoutsRead(GetParam(), p, kK).empty();
  EXPECT_GT(read, 0);
}

TEST_P(EveryFamily, DecodeTilesMatchReferenceExactly) {
  for (const Packing *p : packings())
    for (const Layout &l : firstLayoutRead(GetParam(), p, kK))
      for (int64_t tn : {1, 3, 4, 8})
        if (auto t = fit({1, tn}))
          check(GetParam(), {1, rowsFor(p), kK, l, *t});
}

/// Decode kernels that prefetch: a few columns ahead, and further than the
/// last column (clamped to it), give the same sums.
TEST_P(EveryFamily, PrefetchingDecodeTilesMatchReferenceExactly) {
  if (!GetParam()->prefetches)
    GTEST_SKIP() << "the " << GetParam()->name.str()
                 << " kernels do not prefetch";
  for (const Packing *p : packings())
    for (const Layout &l : firstLayoutRead(GetParam(), p, kK))
      for (int64_t tn : {1, 4})
        for (int64_t prefetch : {640, 1 << 20})
          if (auto t = fit({1, tn}))
            check(GetParam(), {1, rowsFor(p), kK, l, *t, prefetch});
}

TEST_P(EveryFamily, PrefillTilesMatchReferenceExactly) {
  for (const Packing *p : packings())
    for (const Layout &l : firstLayoutRead(GetParam(), p, kK))
      for (Tile tile : {Tile{1, 1}, Tile{2, 2}, Tile{3, 2}, Tile{4, 4},
                        Tile{8, 1}})
        if (auto t = fit(tile))
          check(GetParam(), {5, rowsFor(p), kK, l, *t});
}

/// Prefill kernels that prefetch (vnni512's): a few columns ahead, and
/// further than the last column, in the reduction's loop.
TEST_P(EveryFamily, PrefetchingPrefillTilesMatchReferenceExactly) {
  if (!GetParam()->prefetchesPrefill)
    GTEST_SKIP() << "the " << GetParam()->name.str()
                 << " prefill kernels do not prefetch";
  for (const Packing *p : packings())
    for (const Layout &l : firstLayoutRead(GetParam(), p, kK))
      for (Tile tile : {Tile{3, 2}, Tile{8, 2}})
        for (int64_t prefetch : {640, 1 << 20})
          if (auto t = fit(tile))
            check(GetParam(), {9, rowsFor(p), kK, l, *t, prefetch});
}

/// Prefill chunks of many rows: the default tile for 37 and 64 rows (for
/// amx: whole row tiles of 16 and a last one of 5) and the family's widest
/// and tallest tiles.
TEST_P(EveryFamily, ManyRowTilesMatchReferenceExactly) {
  const KernelFamily *f = GetParam();
  Layout l;
  for (const Packing *p : packings())
    for (const Layout &read : firstLayoutRead(f, p, kK))
      if (!l)
        l = read;
  ASSERT_TRUE(static_cast<bool>(l));
  for (int64_t m : {37, 64}) {
    std::vector<Tile> tiles = {f->defaultTile(m, kK, /*prefetch=*/0),
                               Tile{f->maxTile.m, 1},
                               Tile{1, f->maxTile.n}};
    for (Tile t : tiles)
      if (t.m * t.n <= f->maxAccumulators)
        check(f, {m, 64, kK, l, t});
  }
}

/// Up to four blocks of each packing (of at least 64 weights: smaller
/// ones only cost compile time).
TEST_P(EveryFamily, EveryBlockItReadsMatchesReferenceExactly) {
  for (const Packing *p : packings()) {
    int tested = 0;
    for (const Layout &l : layoutsRead(GetParam(), p, kK))
      if (l.block >= 64 && tested++ < 4)
        check(GetParam(), {3, rowsFor(p), kK, l, *fit({2, 1})});
  }
}

/// Reductions of other lengths: short and odd (lookup-table steps not a
/// multiple of the 16-bit accumulation chunk), and 2B4T's longest.
TEST_P(EveryFamily, OtherReductionLengthsMatchReferenceExactly) {
  for (int64_t k : {104, 6912})
    for (const Packing *p : packings())
      for (const Layout &l : firstLayoutRead(GetParam(), p, k)) {
        check(GetParam(), {2, rowsFor(p), k, l, *fit({1, 2})});
        // The default tile of a 64-row chunk (vnni512 at K = 6912: 4x3),
        // on rows and columns that leave remainders, and of decode with
        // and without prefetching (vnni512x at K = 6912: two groups, one).
        if (k == 6912 && GetParam()->minRows <= 9)
          check(GetParam(), {9, rowsFor(p), k, l,
                             GetParam()->defaultTile(64, k, 0)});
        if (k == 6912 && GetParam()->minRows <= 1)
          for (int64_t prefetch : {0, 5120})
            check(GetParam(), {1, rowsFor(p), k, l,
                               GetParam()->defaultTile(1, k, prefetch)});
      }
}

TEST_P(EveryFamily, RefusesLayoutsItDoesNotRead) {
  for (const Packing *p : packings()) {
    if (!layoutsRead(GetParam(), p, kK).empty())
      continue;
    auto bad = KernelJit::create({GetParam(), {p, kK}, {1, 1}}, 1,
                                 rowsFor(p), kK);
    ASSERT_FALSE(static_cast<bool>(bad)) << p->name.str();
    const std::string msg = llvm::toString(bad.takeError());
    EXPECT_NE(msg.find("does not read this layout"), std::string::npos) << msg;
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryFamily,
                         ::testing::ValuesIn(kernelFamilies().begin(),
                                             kernelFamilies().end()),
                         [](const auto &info) {
                           std::string name = info.param->name.str();
                           for (char &ch : name)
                             if (!isalnum(static_cast<unsigned char>(ch)))
                               ch = '_';
                           return name;
                         });

TEST(KernelJit, RefusesWhatItCannotBuild) {
  // A shape the layout does not fit: lut2i packs rows in groups of 32.
  for (const KernelFamily *f : hostFamilies())
    if (f->reads({&lut2iPacking(), 512}, 512)) {
      auto bad = KernelJit::create({f, {&lut2iPacking(), 512}, {1, 1}}, 1, 48,
                                   512);
      ASSERT_FALSE(static_cast<bool>(bad));
      const std::string msg = llvm::toString(bad.takeError());
      EXPECT_NE(msg.find("groups of 32, got 48 rows"), std::string::npos)
          << msg;
    }
  // A family this host does not run.
  for (const KernelFamily *f : kernelFamilies())
    if (!llvm::is_contained(hostFamilies(), f)) {
      auto bad = KernelJit::create({f, {&i2Packing(), 256}, {1, 1}}, 1, 8, 256);
      ASSERT_FALSE(static_cast<bool>(bad));
      EXPECT_NE(llvm::toString(bad.takeError())
                    .find("cannot run the " + f->name.str() + " kernels"),
                std::string::npos);
    }
}

} // namespace
