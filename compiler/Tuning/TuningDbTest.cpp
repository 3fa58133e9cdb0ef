//===- TuningDbTest.cpp - Kernel choices: defaults, database, candidates --===//
//
// What tern compile generates for a shape with and without a tuning
// database (KernelSelector, shared with the tuner's model step), the
// default policy, which candidates the tuner tries, and the database's
// checks. Pure functions of the registries and named targets: no JIT,
// runs on any host.
//
//===----------------------------------------------------------------------===//

#include "compiler/Kernels/DefaultPolicy.h"
#include "compiler/Transforms/KernelSelection.h"
#include "compiler/Tuning/Tuner.h"
#include "compiler/Tuning/TuningDb.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <set>

using namespace mlir::tern;

namespace {
Target target(const char *name) {
  llvm::Expected<Target> t = resolveTarget(name);
  EXPECT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
  return *t;
}

const KernelFamily *family(const char *name) {
  const KernelFamily *f = findKernelFamily(name);
  EXPECT_NE(f, nullptr) << name;
  return f;
}

TuningEntry entry(const Target &t, int64_t m, int64_t n, int64_t k,
                  KernelChoice c) {
  TuningEntry e;
  e.cpu = t.cpu;
  e.m = m, e.n = n, e.k = k;
  e.choice = c;
  return e;
}

KernelChoice choice(const char *f, int64_t tm, int64_t tn, const Packing &p,
                    int64_t block, int64_t prefetch = 0,
                    int64_t locality = kDefaultPrefetchLocality) {
  return {family(f), {&p, block}, {tm, tn}, prefetch, locality};
}
} // namespace

TEST(Targets, FamiliesComeFromTheRegistry) {
  auto names = [](const Target &t) {
    std::vector<std::string> out;
    for (const KernelFamily *f : familiesFor(t))
      out.push_back(f->name.str());
    return out;
  };
  EXPECT_EQ(names(target("znver5")),
            (std::vector<std::string>{"vnni512x", "vnni512", "vnnix", "vnni",
                                      "avx2", "lut512", "lut"}));
  EXPECT_EQ(names(target("alderlake")),
            (std::vector<std::string>{"vnnix", "vnni", "avx2", "lut"}));
  EXPECT_EQ(names(target("x86-64-v3")),
            (std::vector<std::string>{"avx2", "lut"}));
  EXPECT_TRUE(names(target("x86-64")).empty());
  EXPECT_EQ(names(target("aarch64+sve")),
            (std::vector<std::string>{"sve", "neon-dotprod", "neon-lut"}));
  EXPECT_EQ(names(target("riscv64+v")), (std::vector<std::string>{"rvv"}));
  EXPECT_FALSE(static_cast<bool>(resolveTarget("pdp11")));
}

TEST(DefaultPolicy, LayoutsAndKernelsPerTarget) {
  const Target zen5 = target("znver5"), v3 = target("x86-64-v3"),
               sve = target("aarch64+sve");
  // 512-bit VNNI: columns in lanes (i2x16, one block per row), decode one
  // group of 16 columns per tile (two for rows of more than 4096
  // weights, below), prefill 8x2, both prefetching (into L1 on Zen).
  EXPECT_EQ(KernelSelector(zen5).choice(1, 2560, 2560),
            choice("vnni512x", 1, 1, i2x16Packing(), 2560, kX86StreamPrefetch,
                   3));
  EXPECT_EQ(KernelSelector(zen5).choice(32, 3840, 6912),
            choice("vnni512x", 8, 2, i2x16Packing(), 6912, kX86StreamPrefetch,
                   3));
  // N not a multiple of 16: vnni512 on i2 in blocks of 256.
  EXPECT_EQ(KernelSelector(zen5).choice(1, 40, 2560),
            choice("vnni512", 1, 1, i2Packing(), 256, kX86StreamPrefetch, 3));
  EXPECT_EQ(KernelSelector(zen5).choice(32, 40, 2560),
            choice("vnni512", 8, 2, i2Packing(), 256, kX86StreamPrefetch, 3));
  // With AMX, the amx family's layout (i2 b256) for every M: amx prefills
  // chunks of 16 rows or more, vnni512 decodes.
  const Target spr = target("sapphirerapids");
  EXPECT_EQ(KernelSelector(spr).layout(2560, 2560),
            (Layout{&i2Packing(), 256}));
  EXPECT_EQ(KernelSelector(spr).choice(64, 2560, 2560).family, family("amx"));
  EXPECT_EQ(KernelSelector(spr).choice(1, 2560, 2560).family,
            family("vnni512"));
  EXPECT_EQ(KernelSelector(spr).choice(8, 2560, 2560).family,
            family("vnni512"));
  // AVX2: I2_S's 128; SVE: one block per row.
  EXPECT_EQ(KernelSelector(v3).choice(1, 2560, 2560),
            choice("avx2", 1, 1, i2Packing(), 128, kX86StreamPrefetch));
  EXPECT_EQ(KernelSelector(sve).choice(1, 2560, 2560),
            choice("sve", 1, 4, i2Packing(), 2560));
  EXPECT_EQ(KernelSelector(target("riscv64+v")).choice(32, 2560, 6912),
            choice("rvv", 4, 1, i2Packing(), 6912));
  // No family reads K = 100: i2 in one block per row, reference lowering.
  EXPECT_FALSE(KernelSelector(zen5).choice(1, 64, 100));
  EXPECT_EQ(KernelSelector(zen5).layout(64, 100), (Layout{&i2Packing(), 100}));
}

TEST(DefaultPolicy, DecodeKernelsThatStreamPrefetch) {
  const Target zen5 = target("znver5");
  // The selector's distance (the target's unless given) goes to decode
  // kernels only, and only to families that prefetch.
  EXPECT_EQ(KernelSelector(zen5, nullptr, nullptr, 8192)
                .choice(1, 2560, 6912)
                .prefetch,
            8192);
  // vnni512x decodes rows of more than 4096 weights two groups at a time
  // where it prefetches them, one group on the hardware prefetchers alone
  // (no distance given, or Zen 4's one-row decode).
  EXPECT_EQ(KernelSelector(zen5).choice(1, 2560, 6912).tile, (Tile{1, 2}));
  EXPECT_EQ(KernelSelector(zen5).choice(1, 2560, 2560).tile, (Tile{1, 1}));
  EXPECT_EQ(KernelSelector(zen5, nullptr, nullptr, 0).choice(1, 2560, 6912),
            choice("vnni512x", 1, 1, i2x16Packing(), 6912));
  EXPECT_EQ(KernelSelector(target("znver4")).choice(1, 2560, 6912),
            choice("vnni512x", 1, 1, i2x16Packing(), 6912));
  EXPECT_EQ(KernelSelector(target("znver4")).choice(4, 2560, 6912).prefetch,
            kX86StreamPrefetch);
  // Batched decode and vnni512's prefill tiles prefetch too, at the same
  // distance; avx2's prefill tiles do not (up to kPrefetchRows rows only).
  for (int64_t m : {2, 4, 8, 32, 64})
    EXPECT_EQ(KernelSelector(zen5).choice(m, 2560, 6912).prefetch,
              kX86StreamPrefetch)
        << m << " rows";
  EXPECT_EQ(KernelSelector(target("x86-64-v3")).choice(kPrefetchRows, 2560, 6912).prefetch,
            kX86StreamPrefetch);
  EXPECT_EQ(KernelSelector(target("x86-64-v3")).choice(kPrefetchRows + 1, 2560, 6912).prefetch,
            0);
  EXPECT_EQ(KernelSelector(zen5, nullptr, nullptr, 4096)
                .kernel(1, 64, 256, {&lut2iPacking(), 256})
                .prefetch,
            0);
  EXPECT_EQ(target("aarch64+sve").streamPrefetch(1), 0);
  EXPECT_EQ(target("aarch64+sve").streamPrefetch(4), 0);
  EXPECT_EQ(zen5.streamPrefetch(1), kX86StreamPrefetch);
  // Zen 4 streams one token row faster on its hardware prefetchers alone,
  // several rows with prefetches into L1; --prefetch sets every row count.
  // The Zen CPUs not measured prefetch as Zen 5 does.
  const Target zen4 = target("znver4");
  EXPECT_EQ(zen4.streamPrefetch(1), 0);
  EXPECT_EQ(zen4.streamPrefetch(2), kX86StreamPrefetch);
  EXPECT_EQ(KernelSelector(zen4).choice(1, 2560, 6912).prefetch, 0);
  EXPECT_EQ(KernelSelector(zen4).choice(1, 2560, 6912).locality,
            kDefaultPrefetchLocality);
  EXPECT_EQ(KernelSelector(zen4).choice(4, 2560, 6912),
            KernelSelector(zen5).choice(4, 2560, 6912));
  EXPECT_EQ(KernelSelector(zen4).choice(32, 2560, 6912),
            KernelSelector(zen5).choice(32, 2560, 6912));
  EXPECT_EQ(KernelSelector(zen4, nullptr, nullptr, 2048)
                .choice(1, 2560, 6912)
                .prefetch,
            2048);
  EXPECT_EQ(target("znver3").streamPrefetch(1), kX86StreamPrefetch);
  EXPECT_EQ(target("znver3").streamPrefetchLocality(), 3);
  // Into L1 on AMD Zen, towards the outer caches elsewhere; only where a
  // kernel prefetches, and the selector's argument overrides the target.
  EXPECT_EQ(zen5.streamPrefetchLocality(), 3);
  EXPECT_EQ(target("sapphirerapids").streamPrefetchLocality(), 1);
  EXPECT_EQ(target("x86-64-v3").streamPrefetchLocality(), 1);
  EXPECT_EQ(target("aarch64").streamPrefetchLocality(), 1);
  EXPECT_EQ(KernelSelector(zen5).choice(1, 2560, 6912).locality, 3);
  EXPECT_EQ(KernelSelector(zen5).choice(32, 2560, 6912).locality, 3);
  EXPECT_EQ(KernelSelector(zen5, nullptr, nullptr, 0)
                .choice(32, 2560, 6912)
                .locality,
            kDefaultPrefetchLocality);
  EXPECT_EQ(KernelSelector(zen5, nullptr, nullptr, -1, 1)
                .choice(1, 2560, 6912)
                .locality,
            1);
  EXPECT_EQ(KernelSelector(target("sapphirerapids"))
                .choice(1, 2560, 6912)
                .locality,
            1);
  EXPECT_EQ(KernelSelector(zen5, nullptr, nullptr, 0)
                .choice(1, 2560, 6912)
                .locality,
            kDefaultPrefetchLocality); // no distance, no hint
  // The registry refuses a distance where a family's kernels take none.
  EXPECT_EQ(checkKernel("vnni512", {&i2Packing(), 256}, 2560, 4096), "");
  EXPECT_EQ(checkKernel("lut", {&lut2iPacking(), 256}, 256, 4096),
            "the lut kernels do not prefetch (prefetch = 4096)");
}

TEST(DefaultPolicy, PrefillTileKeepsItsActivationRowsInL1) {
  // The multiply-add skeleton's families (vnni512 on i2, avx2): 8 rows of
  // K = 2560 (20 KiB); 4 of K = 6912 (27 KiB, 8 would be 54).
  const Layout i2{&i2Packing(), 256};
  for (const char *t : {"znver5", "x86-64-v3"}) {
    KernelSelector s(target(t));
    EXPECT_EQ(s.kernel(32, 3840, 2560, i2).tile.m, 8);
    EXPECT_EQ(s.kernel(32, 2560, 6912, i2).tile.m, 4);
    EXPECT_EQ(s.kernel(3, 2560, 2560, i2).tile.m, 3);
    EXPECT_EQ(s.kernel(1, 2560, 6912, i2).tile.m, 1);
  }
  // vnni512 widens a tile that K leaves at 4 rows to 3 columns (12
  // accumulators); at 8 rows, and at 4 rows of M = 4, it keeps 2.
  KernelSelector zen5(target("znver5"));
  EXPECT_EQ(zen5.kernel(32, 2560, 6912, i2).tile.n, 3);
  EXPECT_EQ(zen5.kernel(32, 3840, 2560, i2).tile.n, 2);
  EXPECT_EQ(zen5.kernel(4, 2560, 6912, i2).tile.n, 2);
  // vnni512x reads 4 activation bytes of a row at a time: 8 rows of any K.
  EXPECT_EQ(zen5.choice(32, 2560, 6912).tile, (Tile{8, 2}));
  EXPECT_EQ(zen5.choice(3, 2560, 6912).tile, (Tile{3, 2}));
  EXPECT_EQ(KernelSelector(target("x86-64-v3")).choice(32, 2560, 6912).tile.n,
            1);
  // Very long rows still get one row per tile.
  EXPECT_EQ(KernelSelector(target("x86-64-v3")).choice(32, 256, 65536).tile.m,
            1);
}

TEST(KernelSelection, DecodeEntryDecidesTheLayoutOfEveryM) {
  const Target zen5 = target("znver5");
  TuningDb db;
  db.put(entry(zen5, 1, 2560, 2560,
               choice("vnni512", 1, 1, base3vPacking(), 320)));
  KernelSelector s(zen5, &db);
  // Prefill has no entry: the default family, on the decode entry's layout.
  EXPECT_EQ(s.choice(32, 2560, 2560),
            choice("vnni512", 8, 2, base3vPacking(), 320, kX86StreamPrefetch, 3));
  // An i2 b128 layout, which vnni512 does not read: the best-ranked family
  // that does, with its own tile.
  db.put(entry(zen5, 1, 2560, 2560, choice("avx2", 1, 1, i2Packing(), 128)));
  EXPECT_EQ(s.choice(32, 2560, 2560), choice("vnni", 8, 1, i2Packing(), 128));
  // Another CPU's entries are not used.
  EXPECT_EQ(KernelSelector(target("znver4"), &db).choice(1, 2560, 2560),
            KernelSelector(target("znver4")).choice(1, 2560, 2560));
  // A prefill entry on that layout is taken as it is.
  db.put(entry(zen5, 32, 2560, 2560, choice("avx2", 4, 1, i2Packing(), 128)));
  EXPECT_EQ(s.choice(32, 2560, 2560), choice("avx2", 4, 1, i2Packing(), 128));
}

TEST(KernelSelection, LayoutThatDoesNotFitTheShapeFallsBack) {
  const Target v3 = target("x86-64-v3");
  TuningDb db;
  // lut2i needs whole groups of 32 rows: not for N = 40.
  db.put(entry(v3, 1, 64, 256, choice("lut", 1, 2, lut2iPacking(), 256)));
  KernelSelector s(v3, &db);
  EXPECT_EQ(s.layout(64, 256).packing, &lut2iPacking());
  EXPECT_EQ(s.layout(40, 256).packing, &i2Packing());
  // A requested packing where a family reads whole rows of it, and a word
  // where none does.
  KernelSelector base3v(v3, nullptr, &base3vPacking());
  EXPECT_EQ(base3v.layout(64, 320), (Layout{&base3vPacking(), 320}));
  EXPECT_EQ(base3v.whyNotPreferred(64, 320), "");
  EXPECT_EQ(base3v.layout(64, 256).packing, &i2Packing());
  EXPECT_NE(base3v.whyNotPreferred(64, 256).find("base3v"), std::string::npos);
  // Lookup-table kernels on lut2i without an entry: 1x2 decode, 2x2
  // prefill.
  const Layout lut{&lut2iPacking(), 256};
  EXPECT_EQ(KernelSelector(v3).kernel(1, 64, 256, lut),
            choice("lut", 1, 2, lut2iPacking(), 256));
  EXPECT_EQ(KernelSelector(v3).kernel(32, 64, 256, lut).tile, (Tile{2, 2}));
}

TEST(TuningCandidates, DefaultFirstAndEveryCandidateReadable) {
  const std::vector<const KernelFamily *> zen5 = familiesFor(target("znver5"));
  for (int64_t m : {1, 32}) {
    const std::vector<KernelChoice> c = tuningCandidates(
        zen5, m, 2560, 6912, 0, target("znver5").streamPrefetch(m),
        target("znver5").streamPrefetchLocality());
    ASSERT_FALSE(c.empty());
    EXPECT_EQ(c.front(), KernelSelector(target("znver5")).choice(m, 2560, 6912));
    // Candidates prefetch as the compiled kernels do.
    EXPECT_EQ(c.front().prefetch, kX86StreamPrefetch);
    for (const KernelChoice &x : c) {
      EXPECT_TRUE(x.family->reads(x.layout, 6912)) << x.str();
      EXPECT_LE(x.tile.m * x.tile.n, x.family->maxAccumulators) << x.str();
      if (m > 1)
        EXPECT_GE(x.tile.m, 4) << "prefill tiles of at least 4 rows";
      else
        EXPECT_LE(x.tile.n, x.family->decodeMaxTileN) << x.str();
    }
  }
}

TEST(TuningCandidates, DecodeKeepsToLayoutsThePrefillDefaultReads) {
  auto hasPacking = [](const std::vector<KernelChoice> &cs, const Packing &p) {
    return llvm::any_of(cs, [&](const KernelChoice &c) {
      return c.layout.packing == &p;
    });
  };
  const std::vector<const KernelFamily *> v3 = familiesFor(target("x86-64-v3"));
  // Decode alone on AVX2: the lookup-table kernels on lut2i are candidates.
  EXPECT_TRUE(hasPacking(tuningCandidates(v3, 1, 3840, 2560, 0),
                         lut2iPacking()));
  // With prefill tuned too, the prefill default (avx2) must read the
  // layout: no lut2i.
  const std::vector<KernelChoice> both =
      tuningCandidates(v3, 1, 3840, 2560, /*prefillRows=*/32);
  EXPECT_FALSE(hasPacking(both, lut2iPacking()));
  for (const KernelChoice &c : both)
    EXPECT_TRUE(family("avx2")->reads(c.layout, 2560));
  // On a 512-bit VNNI CPU decode keeps to i2x16, which the prefill default
  // (vnni512x) reads, in tiles of 1 and 2 groups (vnni512x's
  // decodeMaxTileN; vnnix takes one); prefill itself may try vnni512 on
  // i2 (its choice then decides the layout).
  const std::vector<const KernelFamily *> zen5 = familiesFor(target("znver5"));
  std::set<int64_t> decodeTiles;
  for (const KernelChoice &c : tuningCandidates(zen5, 1, 3840, 2560, 32)) {
    EXPECT_TRUE(family("vnni512x")->reads(c.layout, 2560)) << c.str();
    decodeTiles.insert(c.tile.n);
  }
  EXPECT_EQ(decodeTiles, (std::set<int64_t>{1, 2}));
  EXPECT_TRUE(hasPacking(tuningCandidates(zen5, 32, 3840, 2560, 0),
                         i2Packing()));
  EXPECT_TRUE(hasPacking(tuningCandidates(zen5, 32, 3840, 2560, 0),
                         i2x16Packing()));
}

TEST(TuningDb, RoundTripsAndChecksEntries) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("tuning", "json", path));
  TuningDb db;
  TuningEntry e = entry(target("znver5"), 1, 2560, 2560,
                        choice("vnni512", 1, 1, base3vPacking(), 320));
  e.seconds = 1.5e-5;
  db.put(e);
  ASSERT_FALSE(static_cast<bool>(db.save(path.str().str())));
  llvm::Expected<TuningDb> back = TuningDb::load(path.str().str());
  ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
  ASSERT_EQ(back->entries().size(), 1u);
  EXPECT_EQ(back->entries()[0].choice, e.choice);
  EXPECT_EQ(back->entries()[0].seconds, 1.5e-5);
  // A family or packing the registries do not have.
  for (const char *bad : {R"("family": "vnni9000", "packing": "i2")",
                          R"("family": "avx2", "packing": "i3")"}) {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    os << R"({"format": "tern-tuning", "version": 1, "entries": [{"cpu": "x",
              "m": 1, "n": 64, "k": 256, "block": 128, "tile_m": 1,
              "tile_n": 1, )"
       << bad << "}]}";
    os.close();
    llvm::Expected<TuningDb> refused = TuningDb::load(path.str().str());
    ASSERT_FALSE(static_cast<bool>(refused)) << bad;
    const std::string msg = llvm::toString(refused.takeError());
    EXPECT_NE(msg.find(llvm::StringRef(bad).contains("family\": \"vnni9000")
                           ? kernelFamilyNames()
                           : packingNames()),
              std::string::npos)
        << msg;
  }
  llvm::sys::fs::remove(path);
}

TEST(TuningDb, DeepOrHugeFilesAreRefusedBeforeParsing) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("tuning", "json", path));
  auto refusal = [&](const std::string &text) {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    os << text;
    os.close();
    llvm::Expected<TuningDb> db = TuningDb::load(path.str().str());
    return db ? std::string() : llvm::toString(db.takeError());
  };
  // 40,000 levels overflowed the stack inside LLVM's JSON parser.
  const std::string deep = R"({"format": "tern-tuning", "entries": )" +
                           std::string(40000, '[') + std::string(40000, ']') +
                           "}";
  std::string msg = refusal(deep);
  EXPECT_NE(msg.find("not a tuning database: arrays and objects nest deeper "
                     "than 128 levels"),
            std::string::npos)
      << msg;
  msg = refusal(std::string(65 << 20, ' '));
  EXPECT_NE(msg.find("65 MiB, over the 64 MiB limit"), std::string::npos)
      << msg;
  llvm::sys::fs::remove(path);
}

TEST(TuningDb, RejectedChoicesAndExecutableChecksRoundTrip) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("tuning", "json", path));
  const Target t = target("znver5");
  TuningDb db;
  TuningEntry e = entry(t, 1, 2560, 2560,
                        choice("vnni512", 1, 1, i2Packing(), 256));
  e.rejected = choice("vnni512", 1, 2, i2Packing(), 2560);
  e.rejectedStepSeconds = 0.015;
  db.put(e);
  db.put(entry(t, 64, 2560, 2560, choice("vnni512", 4, 2, i2Packing(), 256)));
  TuningCheck c;
  c.cpu = t.cpu;
  c.model = "m.gguf";
  c.trial = "decode";
  c.prompt = 128, c.gen = 32;
  c.defaultPp = {180, 181}, c.tunedPp = {179, 183};
  c.defaultTg = {20, 21}, c.tunedTg = {19.5, 20.5};
  db.addCheck(c);
  TuningCheck other = c;
  other.cpu = "x86-64-v3";
  db.addCheck(other);
  ASSERT_FALSE(static_cast<bool>(db.save(path.str().str())));
  llvm::Expected<TuningDb> back = TuningDb::load(path.str().str());
  ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
  ASSERT_EQ(back->entries().size(), 2u);
  EXPECT_EQ(back->entries()[0].rejected, e.rejected);
  EXPECT_EQ(back->entries()[0].rejectedStepSeconds, 0.015);
  EXPECT_FALSE(back->entries()[1].rejected);
  ASSERT_EQ(back->checks().size(), 2u);
  EXPECT_EQ(back->checks()[0].trial, "decode");
  EXPECT_EQ(back->checks()[0].tunedTg, c.tunedTg);
  EXPECT_EQ(back->checks()[0].prompt, 128);
  EXPECT_FALSE(back->checks()[0].kept);
  // A new check of one CPU replaces that CPU's only.
  back->clearChecks(t.cpu);
  ASSERT_EQ(back->checks().size(), 1u);
  EXPECT_EQ(back->checks()[0].cpu, "x86-64-v3");
  // Broken records are named.
  for (auto [text, want] :
       {std::pair<const char *, const char *>{
            R"("rejected": {"family": "vnni512", "block": 7, "tile_m": 1, "tile_n": 1})",
            "\"rejected\": i2 layout needs a block size divisible by 4"},
        {R"("x": 0}], "checks": [{"cpu": "z", "default_pp": "fast"}], "y": [{"z": 0)",
         "check 0 (z): \"default_pp\" must be a list"}}) {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    os << R"({"format": "tern-tuning", "version": 1, "entries": [{"cpu": "x",
              "m": 1, "n": 64, "k": 256, "family": "avx2", "block": 128,
              "tile_m": 1, "tile_n": 1, )"
       << text << "}]}";
    os.close();
    llvm::Expected<TuningDb> refused = TuningDb::load(path.str().str());
    ASSERT_FALSE(static_cast<bool>(refused)) << text;
    const std::string msg = llvm::toString(refused.takeError());
    EXPECT_NE(msg.find(want), std::string::npos) << msg;
  }
  llvm::sys::fs::remove(path);
}
