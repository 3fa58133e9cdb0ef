//===- KernelJitTest.cpp - Every kernel family, layout and tile, exactly --===//
//
// Each generated kernel the host can run, JIT-compiled as tern compile
// generates it, against runtime/ternary's plain ternaryMatmul: the int32
// results must be identical, for whole and partial column ranges (the
// tile remainders), at the extremes of the int8 range.
//
//===----------------------------------------------------------------------===//

#include "compiler/Tuning/KernelJit.h"

#include "runtime/ternary/Packing.h"
#include "runtime/ternary/Ternary.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using namespace mlir::tern;

namespace {

struct Case {
  int64_t m, n, k, block, tileM, tileN;
  PackingKind packing = PackingKind::i2;
};

std::string name(const std::string &family, const Case &c) {
  return family + " " + std::to_string(c.m) + "x" + std::to_string(c.n) +
         "x" + std::to_string(c.k) + " " +
         stringifyPackingKind(c.packing).str() + " block " +
         std::to_string(c.block) +
         " tile " + std::to_string(c.tileM) + "x" + std::to_string(c.tileN);
}

void check(const std::string &family, const Case &c) {
  SCOPED_TRACE(name(family, c));
  KernelChoice choice;
  choice.kernel = {family, c.tileM, c.tileN};
  choice.block = c.block;
  choice.packing = c.packing;
  auto jit = KernelJit::create(choice, c.m, c.n, c.k);
  ASSERT_TRUE(static_cast<bool>(jit)) << llvm::toString(jit.takeError());

  std::mt19937 rng(static_cast<unsigned>(c.m * 131 + c.n * 7 + c.k + c.block +
                                         c.tileM * 17 + c.tileN));
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
  const ::tern::PackedLayout layout = choice.packedLayout();
  std::vector<uint8_t> w(c.n * ::tern::packedRowBytes(layout, c.k));
  ASSERT_TRUE(::tern::packTernary(layout, t.data(), c.n, c.k, w.data()));
  std::vector<int32_t> want(c.m * c.n);
  ::tern::ternaryMatmul(a.data(), t.data(), c.m, c.n, c.k, want.data());

  // All columns, then a range that starts and ends off the tile grid: the
  // columns outside it keep their sentinel. Ranges are in the kernel's
  // units: columns, or groups of 32 columns (lut2i).
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

class KernelFamily : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    if (!llvm::is_contained(hostKernelFamilies(), GetParam()))
      GTEST_SKIP() << "this CPU (" << hostCpu() << ") cannot run the "
                   << GetParam() << " kernels";
  }
};

/// The smallest block the family reads for K = 512.
int64_t smallestBlock(const std::string &family) {
  for (int64_t block : {64, 128, 256, 512})
    if (mlir::tern::kernels::supportsLayout(family, block, 512))
      return block;
  return 512;
}

TEST_P(KernelFamily, DecodeTilesMatchReferenceExactly) {
  for (int64_t tn : {1, 3, 4, 8})
    check(GetParam(), {1, 37, 512, smallestBlock(GetParam()), 1, tn});
}

TEST_P(KernelFamily, PrefillTilesMatchReferenceExactly) {
  for (auto [tm, tn] : {std::pair<int64_t, int64_t>{1, 1}, {2, 2}, {3, 2},
                        {4, 4}, {8, 1}})
    check(GetParam(), {5, 29, 512, smallestBlock(GetParam()), tm, tn});
}

TEST_P(KernelFamily, EveryBlockItReadsMatchesReferenceExactly) {
  int tested = 0;
  for (int64_t block : {128, 256, 512})
    if (mlir::tern::kernels::supportsLayout(GetParam(), block, 512)) {
      check(GetParam(), {3, 19, 512, block, 2, 3});
      ++tested;
    }
  EXPECT_GE(tested, 2);
}

/// base3v (5 weights per byte): decode and prefill tiles, the smallest
/// block the family reads and whole rows, on K = 640 (2 x 320).
TEST_P(KernelFamily, Base3vMatchesReferenceExactly) {
  const int64_t k = 640;
  int64_t smallest = 0;
  for (int64_t block : {80, 160, 320, 640})
    if (mlir::tern::kernels::supportsLayout(GetParam(), PackingKind::base3v,
                                            block, k)) {
      smallest = block;
      break;
    }
  ASSERT_NE(smallest, 0) << "no base3v block for " << GetParam();
  for (int64_t tn : {1, 3, 4})
    check(GetParam(), {1, 37, k, smallest, 1, tn, PackingKind::base3v});
  for (auto [tm, tn] : {std::pair<int64_t, int64_t>{2, 2}, {8, 1}})
    check(GetParam(), {5, 29, k, k, tm, tn, PackingKind::base3v});
}

/// The lookup-table families (lut2i weights, rows in groups of 32): decode
/// and prefill tiles (tile_n = groups per tile) with remainders, a K whose
/// steps are not a multiple of the 16-bit accumulation chunk, and 2B4T's
/// longest K (many chunks widened to 32 bits).
class LutFamily : public KernelFamily {};

TEST_P(LutFamily, DecodeTilesMatchReferenceExactly) {
  for (int64_t tn : {1, 2, 3})
    check(GetParam(), {1, 160, 640, 640, 1, tn, PackingKind::lut2i});
}

TEST_P(LutFamily, PrefillTilesMatchReferenceExactly) {
  for (auto [tm, tn] : {std::pair<int64_t, int64_t>{2, 2}, {3, 1}, {8, 1}})
    check(GetParam(), {5, 96, 640, 320, tm, tn, PackingKind::lut2i});
}

TEST_P(LutFamily, OddAndLongReductionsMatchReferenceExactly) {
  check(GetParam(), {2, 64, 104, 104, 1, 1, PackingKind::lut2i});
  check(GetParam(), {1, 64, 6912, 6912, 1, 2, PackingKind::lut2i});
}

TEST_P(LutFamily, ReadsOnlyLut2i) {
  EXPECT_FALSE(mlir::tern::kernels::supportsLayout(GetParam(), PackingKind::i2,
                                                   128, 512));
  EXPECT_FALSE(mlir::tern::kernels::supportsLayout("vnni512",
                                                   PackingKind::lut2i, 512,
                                                   512));
  KernelChoice c;
  c.kernel = {GetParam(), 1, 1};
  c.packing = PackingKind::lut2i;
  c.block = 512;
  auto bad = KernelJit::create(c, 1, 48, 512); // 48 rows: not whole groups
  ASSERT_FALSE(static_cast<bool>(bad));
  const std::string msg = llvm::toString(bad.takeError());
  EXPECT_NE(msg.find("groups of 32, got 48 rows"), std::string::npos) << msg;
}

INSTANTIATE_TEST_SUITE_P(X86, LutFamily, ::testing::Values("lut", "lut512"),
                         [](const auto &info) { return info.param; });

INSTANTIATE_TEST_SUITE_P(X86, KernelFamily,
                         ::testing::Values("avx2", "vnni", "vnni512"),
                         [](const auto &info) { return info.param; });

TEST(KernelJit, RefusesWhatItCannotBuild) {
  KernelChoice c;
  c.kernel = {"avx2", 1, 1};
  c.block = 64; // avx2 reads multiples of 128
  auto bad = KernelJit::create(c, 1, 8, 256);
  ASSERT_FALSE(static_cast<bool>(bad));
  const std::string msg = llvm::toString(bad.takeError());
  EXPECT_NE(msg.find("i2 b64"), std::string::npos) << msg;
  EXPECT_NE(msg.find("does not read this layout"), std::string::npos) << msg;
  c.kernel = {"sve", 1, 1};
  c.block = 256;
  auto sve = KernelJit::create(c, 1, 8, 256);
  ASSERT_FALSE(static_cast<bool>(sve));
  EXPECT_NE(llvm::toString(sve.takeError()).find("cannot run the sve kernels"),
            std::string::npos);
}

} // namespace
