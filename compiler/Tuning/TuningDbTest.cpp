//===- TuningDbTest.cpp - Kernel choices: defaults, database, candidates --===//
//
// What tern compile generates for a shape with and without a tuning
// database (compiledLayout / compiledKernel, shared with the tuner's model
// step), and which candidates the tuner tries. Pure functions of the
// families given: no JIT, runs on any host.
//
//===----------------------------------------------------------------------===//

#include "compiler/Tuning/Tuner.h"
#include "compiler/Tuning/TuningDb.h"

#include <gtest/gtest.h>

using namespace mlir::tern;
namespace rt = ::tern;

namespace {
const std::vector<std::string> kZen5 = {"vnni512", "vnni", "avx2", "lut512",
                                        "lut"};
const std::vector<std::string> kAvx2 = {"avx2", "lut"};

TuningEntry entry(int64_t m, int64_t n, int64_t k, KernelChoice c) {
  TuningEntry e;
  e.cpu = "testcpu";
  e.m = m, e.n = n, e.k = k;
  e.choice = std::move(c);
  return e;
}

KernelChoice choice(std::string family, int64_t tm, int64_t tn,
                    PackingKind packing, int64_t block) {
  KernelChoice c;
  c.kernel = {std::move(family), tm, tn};
  c.packing = packing;
  c.block = block;
  return c;
}
} // namespace

TEST(CompiledChoice, WithoutDatabaseIsTheDefault) {
  for (int64_t m : {1, 32}) {
    std::optional<KernelChoice> c =
        compiledChoice(nullptr, "testcpu", kZen5, m, 2560, 6912);
    ASSERT_TRUE(c);
    EXPECT_EQ(*c, defaultChoice(kZen5, m, 2560, 6912));
  }
  EXPECT_EQ(compiledChoice(nullptr, "x", kZen5, 32, 3840, 2560)->kernel.tileM,
            8);
  // No family reads K = 100: the generic lowering.
  EXPECT_FALSE(compiledChoice(nullptr, "x", kZen5, 1, 64, 100));
  EXPECT_EQ(compiledLayout(nullptr, "x", kZen5, 64, 100).block, 0);
}

TEST(DefaultChoice, PrefillTileKeepsItsActivationRowsInL1) {
  // 8 rows of K = 2560 (20 KiB); 4 of K = 6912 (27 KiB, 8 would be 54).
  for (const auto &families : {kZen5, kAvx2}) {
    EXPECT_EQ(defaultChoice(families, 32, 3840, 2560).kernel.tileM, 8);
    EXPECT_EQ(defaultChoice(families, 32, 2560, 6912).kernel.tileM, 4);
    EXPECT_EQ(defaultChoice(families, 3, 2560, 2560).kernel.tileM, 3);
    EXPECT_EQ(defaultChoice(families, 1, 2560, 6912).kernel.tileM, 1);
  }
  EXPECT_EQ(defaultChoice(kZen5, 32, 2560, 6912).kernel.tileN, 2);
  EXPECT_EQ(defaultChoice(kAvx2, 32, 2560, 6912).kernel.tileN, 1);
  // Very long rows still get one row per tile.
  EXPECT_EQ(defaultChoice(kAvx2, 32, 256, 65536).kernel.tileM, 1);
}

TEST(CompiledChoice, DecodeEntryDecidesTheLayoutOfEveryM) {
  TuningDb db;
  db.put(entry(1, 2560, 2560,
               choice("vnni512", 1, 1, PackingKind::base3v, 320)));
  // Prefill has no entry: the default family, on the decode entry's layout.
  std::optional<KernelChoice> p =
      compiledChoice(&db, "testcpu", kZen5, 32, 2560, 2560);
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, choice("vnni512", 8, 2, PackingKind::base3v, 320));
  // An i2 b128 layout, which vnni512 does not read: the first family that
  // does, with the default's tile.
  db.put(entry(1, 2560, 2560, choice("avx2", 1, 1, PackingKind::i2, 128)));
  EXPECT_EQ(*compiledChoice(&db, "testcpu", kZen5, 32, 2560, 2560),
            choice("vnni", 8, 2, PackingKind::i2, 128));
  // Another CPU's entries are not used.
  EXPECT_EQ(*compiledChoice(&db, "othercpu", kZen5, 1, 2560, 2560),
            defaultChoice(kZen5, 1, 2560, 2560));
  // A prefill entry on that layout is taken as it is.
  db.put(entry(32, 2560, 2560, choice("avx2", 4, 1, PackingKind::i2, 128)));
  EXPECT_EQ(*compiledChoice(&db, "testcpu", kZen5, 32, 2560, 2560),
            choice("avx2", 4, 1, PackingKind::i2, 128));
}

TEST(CompiledChoice, LayoutThatDoesNotFitTheShapeFallsBack) {
  TuningDb db;
  // lut2i needs whole groups of 32 rows: not for N = 40.
  db.put(entry(1, 64, 256, choice("lut", 1, 2, PackingKind::lut2i, 256)));
  EXPECT_EQ(compiledLayout(&db, "testcpu", kAvx2, 64, 256).kind,
            rt::PackingKind::Lut2I);
  EXPECT_EQ(compiledLayout(&db, "testcpu", kAvx2, 40, 256).kind,
            rt::PackingKind::I2);
  // --packing base3v where a family reads whole rows of it.
  const rt::PackedLayout b =
      compiledLayout(nullptr, "x", kAvx2, 64, 320, rt::PackingKind::Base3V);
  EXPECT_EQ(b.kind, rt::PackingKind::Base3V);
  EXPECT_EQ(b.block, 320);
  // Lookup-table kernels on lut2i without an entry: 1x2 decode, 2x2
  // prefill.
  const rt::PackedLayout lut{rt::PackingKind::Lut2I, 256};
  EXPECT_EQ(compiledKernel(nullptr, "x", kAvx2, 1, 64, 256, lut)->tileN, 2);
  EXPECT_EQ(compiledKernel(nullptr, "x", kAvx2, 32, 64, 256, lut)->tileM, 2);
}

TEST(TuningCandidates, DefaultFirstAndEveryCandidateReadable) {
  for (int64_t m : {1, 32}) {
    const std::vector<KernelChoice> c = tuningCandidates(kZen5, m, 2560, 6912);
    ASSERT_FALSE(c.empty());
    EXPECT_EQ(c.front(), defaultChoice(kZen5, m, 2560, 6912));
    for (const KernelChoice &x : c) {
      EXPECT_TRUE(kernels::supportsLayout(x.kernel.family, x.packing, x.block,
                                          6912));
      if (m > 1)
        EXPECT_GE(x.kernel.tileM, 4) << "prefill tiles of at least 4 rows";
    }
  }
}

TEST(TuningCandidates, DecodeKeepsToLayoutsThePrefillDefaultReads) {
  auto hasPacking = [](const std::vector<KernelChoice> &cs, PackingKind p) {
    for (const KernelChoice &c : cs)
      if (c.packing == p)
        return true;
    return false;
  };
  // Decode alone on AVX2: the lookup-table kernels on lut2i are candidates.
  EXPECT_TRUE(hasPacking(tuningCandidates(kAvx2, 1, 3840, 2560, 0),
                         PackingKind::lut2i));
  // With prefill tuned too, the prefill default (avx2) must read the
  // layout: no lut2i.
  const std::vector<KernelChoice> both =
      tuningCandidates(kAvx2, 1, 3840, 2560, /*prefillRows=*/32);
  EXPECT_FALSE(hasPacking(both, PackingKind::lut2i));
  for (const KernelChoice &c : both)
    EXPECT_TRUE(kernels::supportsLayout("avx2", c.packing, c.block, 2560));
  // On a 512-bit VNNI CPU decode may try other families (when searched),
  // on layouts the 512-bit prefill default reads: no b128.
  bool otherFamily = false;
  for (const KernelChoice &c :
       tuningCandidates(kZen5, 1, 3840, 2560, /*prefillRows=*/32)) {
    otherFamily |= c.kernel.family != "vnni512";
    EXPECT_TRUE(kernels::supportsLayout("vnni512", c.packing, c.block, 2560));
  }
  EXPECT_TRUE(otherFamily);
}
