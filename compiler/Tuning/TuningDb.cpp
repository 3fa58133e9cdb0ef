//===- TuningDb.cpp - Kernel choices per CPU and matmul shape -------------===//

#include "compiler/Tuning/TuningDb.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tern;

namespace {
constexpr const char *kFormat = "tern-tuning";
constexpr int64_t kVersion = 1;

llvm::Error fail(const std::string &path, const llvm::Twine &why) {
  return llvm::createStringError(path + ": " + why.str());
}
} // namespace

llvm::Expected<TuningDb> TuningDb::load(const std::string &path) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buf)
    return fail(path, "cannot read the tuning database: " +
                          buf.getError().message());
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buf)->getBuffer());
  if (!json)
    return fail(path, "not JSON: " + llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root || root->getString("format") != kFormat)
    return fail(path, "not a Tern tuning database (\"format\" must be \"" +
                          llvm::Twine(kFormat) + "\")");
  if (root->getInteger("version") != kVersion)
    return fail(path, "unsupported version (this Tern reads version " +
                          llvm::Twine(kVersion) + ")");
  const llvm::json::Array *entries = root->getArray("entries");
  if (!entries)
    return fail(path, "no \"entries\" array");
  TuningDb db;
  for (size_t i = 0; i < entries->size(); ++i) {
    const std::string where = "entry " + std::to_string(i);
    const llvm::json::Object *e = (*entries)[i].getAsObject();
    if (!e)
      return fail(path, where + " is not an object");
    TuningEntry t;
    auto str = [&](llvm::StringRef key, std::string &out) {
      std::optional<llvm::StringRef> v = e->getString(key);
      if (v)
        out = v->str();
      return v.has_value();
    };
    auto num = [&](llvm::StringRef key, int64_t &out, int64_t lo,
                   int64_t hi) {
      std::optional<int64_t> v = e->getInteger(key);
      if (!v || *v < lo || *v > hi)
        return false;
      out = *v;
      return true;
    };
    if (!str("cpu", t.cpu) || t.cpu.empty())
      return fail(path, where + ": \"cpu\" must be a CPU name");
    if (!num("m", t.m, 1, 1 << 20) || !num("n", t.n, 1, 1 << 24) ||
        !num("k", t.k, 4, 1 << 24))
      return fail(path, where + " (" + t.cpu +
                            "): \"m\", \"n\", \"k\" must be positive sizes");
    const std::string shape = std::to_string(t.m) + "x" + std::to_string(t.n) +
                              "x" + std::to_string(t.k);
    if (!str("family", t.choice.kernel.family) ||
        !kernels::isKernelFamily(t.choice.kernel.family))
      return fail(path, where + " (" + t.cpu + ", " + shape +
                            "): \"family\" must be one of " +
                            kernels::kernelFamilies());
    std::string packing = "i2";
    if (e->get("packing") && !str("packing", packing))
      packing = "?";
    std::optional<PackingKind> kind = symbolizePackingKind(packing);
    if (!kind || (*kind != PackingKind::i2 && *kind != PackingKind::base3v &&
                  *kind != PackingKind::lut2i))
      return fail(path, where + " (" + t.cpu + ", " + shape +
                            "): \"packing\" must be \"i2\", \"base3v\" or "
                            "\"lut2i\"");
    if (*kind == PackingKind::lut2i && t.n % 32)
      return fail(path, where + " (" + t.cpu + ", " + shape +
                            "): \"lut2i\" packs rows in groups of 32, and N = " +
                            std::to_string(t.n) + " is not a multiple of 32");
    t.choice.packing = *kind;
    if (!num("block", t.choice.block, 4, t.k) ||
        !kernels::supportsLayout(t.choice.kernel.family, t.choice.packing,
                                 t.choice.block, t.k))
      return fail(path, where + " (" + t.cpu + ", " + shape +
                            "): \"block\" is not a block the " +
                            t.choice.kernel.family + " kernels read in the " +
                            packing + " packing for K = " +
                            std::to_string(t.k));
    if (!num("tile_m", t.choice.kernel.tileM, 1, kernels::kMaxTile) ||
        !num("tile_n", t.choice.kernel.tileN, 1, kernels::kMaxTile))
      return fail(path, where + " (" + t.cpu + ", " + shape +
                            "): \"tile_m\" and \"tile_n\" must be in [1, " +
                            std::to_string(kernels::kMaxTile) + "]");
    if (const llvm::json::Array *f = e->getArray("features"))
      for (const llvm::json::Value &v : *f)
        if (std::optional<llvm::StringRef> s = v.getAsString())
          t.features.push_back(s->str());
    t.threads = static_cast<int>(e->getInteger("threads").value_or(1));
    t.seconds = e->getNumber("seconds").value_or(0);
    t.defaultSeconds = e->getNumber("default_seconds").value_or(0);
    t.stepSeconds = e->getNumber("step_seconds").value_or(0);
    t.defaultStepSeconds = e->getNumber("default_step_seconds").value_or(0);
    db.put(t);
  }
  return db;
}

std::string KernelChoice::layoutName() const {
  return stringifyPackingKind(packing).str() + " b" + std::to_string(block);
}

llvm::Error TuningDb::save(const std::string &path) const {
  llvm::json::Array entries;
  for (const TuningEntry &t : entries_) {
    llvm::json::Array features;
    for (const std::string &f : t.features)
      features.push_back(f);
    entries.push_back(llvm::json::Object{
        {"cpu", t.cpu},
        {"features", std::move(features)},
        {"m", t.m},
        {"n", t.n},
        {"k", t.k},
        {"family", t.choice.kernel.family},
        {"packing", stringifyPackingKind(t.choice.packing).str()},
        {"block", t.choice.block},
        {"tile_m", t.choice.kernel.tileM},
        {"tile_n", t.choice.kernel.tileN},
        {"threads", t.threads},
        {"seconds", t.seconds},
        {"default_seconds", t.defaultSeconds},
        {"step_seconds", t.stepSeconds},
        {"default_step_seconds", t.defaultStepSeconds}});
  }
  llvm::json::Value root = llvm::json::Object{
      {"format", kFormat}, {"version", kVersion}, {"entries", std::move(entries)}};
  const std::string tmp = path + ".tmp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return fail(tmp, ec.message());
    os << llvm::formatv("{0:2}", root) << "\n";
    if (os.has_error())
      return fail(tmp, "write failed");
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path))
    return fail(path, ec.message());
  return llvm::Error::success();
}

const TuningEntry *TuningDb::find(llvm::StringRef cpu, int64_t m, int64_t n,
                                  int64_t k) const {
  for (const TuningEntry &t : entries_)
    if (t.cpu == cpu && t.m == m && t.n == n && t.k == k)
      return &t;
  return nullptr;
}

const TuningEntry *TuningDb::nearest(llvm::StringRef cpu, int64_t m,
                                     int64_t n, int64_t k) const {
  const TuningEntry *best = nullptr;
  double bestDist = 0;
  for (const TuningEntry &t : entries_) {
    // Decode and prefill entries do not stand in for each other (a 1x1
    // decode tile would prefill a row at a time).
    if (t.cpu != cpu || t.n != n || t.k != k || (t.m == 1) != (m == 1))
      continue;
    const double d = std::fabs(std::log2(double(t.m)) - std::log2(double(m)));
    if (!best || d < bestDist)
      best = &t, bestDist = d;
  }
  return best;
}

void TuningDb::put(const TuningEntry &entry) {
  for (TuningEntry &t : entries_)
    if (t.cpu == entry.cpu && t.m == entry.m && t.n == entry.n &&
        t.k == entry.k) {
      t = entry;
      return;
    }
  entries_.push_back(entry);
}

std::vector<std::string> mlir::tern::kernelFeatures(
    const std::function<bool(llvm::StringRef)> &hasFeature, bool x86) {
  std::vector<std::string> out;
  const char *x86Features[] = {"avx2", "avxvnni", "avx512vnni", "avx512vl",
                               "avx512bw"};
  const char *armFeatures[] = {"neon", "dotprod", "sve"};
  if (x86) {
    for (const char *f : x86Features)
      if (hasFeature(f))
        out.push_back(f);
  } else {
    for (const char *f : armFeatures)
      if (hasFeature(f))
        out.push_back(f);
  }
  return out;
}

std::vector<std::string>
mlir::tern::familiesFor(const std::vector<std::string> &features) {
  auto has = [&](llvm::StringRef f) {
    return llvm::is_contained(features, f.str());
  };
  std::vector<std::string> out;
  if (has("avx512vnni"))
    out.push_back("vnni512");
  if (has("avxvnni") || (has("avx512vnni") && has("avx512vl")))
    out.push_back("vnni");
  if (has("avx2"))
    out.push_back("avx2");
  if (has("sve"))
    out.push_back("sve");
  if (has("dotprod"))
    out.push_back("neon-dotprod");
  // Lookup-table kernels: never a default, timed by the tuner.
  if (has("avx512bw"))
    out.push_back("lut512");
  if (has("avx2"))
    out.push_back("lut");
  if (has("neon"))
    out.push_back("neon-lut");
  return out;
}

KernelChoice mlir::tern::defaultChoice(const std::vector<std::string> &families,
                                       int64_t m, int64_t n, int64_t k) {
  (void)n;
  KernelChoice c;
  if (families.empty())
    return c;
  // The block serves decode and prefill alike (one packed copy of the
  // weights): one block per row for SVE, 256 where the 512-bit VNNI kernels
  // run (the others read it too), else I2_S's 128.
  if (families.front() == "sve")
    c.block = k;
  else if (llvm::is_contained(families, "vnni512") && k % 256 == 0)
    c.block = 256;
  else
    c.block = 128;
  if (k % c.block != 0)
    c.block = k; // one block per row: the only block some shapes allow
  // Measured with tern tune on a Zen 5 (2026-11, docs/performance.md):
  // decode (M = 1) streams the weights, one column per tile is best, and
  // the 512-bit VNNI kernel beat AVX2 by 20-30 % on most shapes, while
  // 256-bit VNNI lost to AVX2 by 1.2-2.5x (AVX2's i16 partial sums give
  // more independent work per byte); prefill is compute-bound and tiles of
  // 8 rows (each weight byte decoded once for 8 rows) on the widest
  // multiply-add were fastest, with 2 columns for the 512-bit VNNI kernel
  // (each activation load feeds two vpdpbusd; 8x2 against 8x1 prefilled
  // the 2B4T model 1-15 % faster in alternating runs, session 5).
  std::vector<std::string> order = families;
  if (m == 1 && !llvm::is_contained(families, "vnni512") &&
      llvm::is_contained(families, "avx2"))
    order.insert(order.begin(), "avx2");
  for (const std::string &f : order)
    if (kernels::supportsLayout(f, c.block, k)) {
      c.kernel.family = f;
      break;
    }
  if (c.kernel.family.empty())
    return KernelChoice{};
  if (m == 1)
    c.kernel.tileN =
        c.kernel.family == "avx2" || c.kernel.family == "vnni512" ? 1 : 4;
  else {
    // The tile's activation rows stay in L1 while its columns stream past:
    // at most 32 KiB of them (8 rows of K = 2560; 4 of K = 6912, where
    // tern tune's model step chose 4-row tiles on 512-bit VNNI and AVX2
    // alike, and the AVX2 executable prefilled 1.17x faster, session 6).
    c.kernel.tileM = std::min<int64_t>(m, 8);
    while (c.kernel.tileM > 1 && c.kernel.tileM * k > (32 << 10))
      c.kernel.tileM /= 2;
    c.kernel.tileN = c.kernel.family == "vnni512" ? 2 : 1;
  }
  return c;
}

::tern::PackedLayout
mlir::tern::compiledLayout(const TuningDb *db, llvm::StringRef cpu,
                           const std::vector<std::string> &families,
                           int64_t n, int64_t k,
                           ::tern::PackingKind preferred) {
  // The layout serves every M: the decode (M = 1) choice decides. A
  // database entry of a nearby shape may not fit this one (lut2i needs
  // whole groups of 32 rows): then the rules below.
  if (db) {
    const TuningEntry *e = db->nearest(cpu, 1, n, k);
    if (!e) // only prefill was tuned: its layout
      e = db->nearest(cpu, 2, n, k);
    if (e && ::tern::checkPackedShape(e->choice.packedLayout(), n, k).empty())
      return e->choice.packedLayout();
  }
  if (preferred != ::tern::PackingKind::I2) {
    const ::tern::PackedLayout wanted{preferred, k};
    if (::tern::checkPackedShape(wanted, n, k).empty())
      for (const std::string &f : families)
        if (kernels::supportsLayout(f, fromRuntimeKind(preferred), k, k))
          return wanted;
  }
  // No family reads this K: the importer's i2 rule (generic kernels).
  KernelChoice c = defaultChoice(families, 1, n, k);
  if (c.kernel.family.empty())
    return {::tern::PackingKind::I2, 0};
  return c.packedLayout();
}

std::optional<kernels::KernelConfig>
mlir::tern::compiledKernel(const TuningDb *db, llvm::StringRef cpu,
                           const std::vector<std::string> &families,
                           int64_t m, int64_t n, int64_t k,
                           ::tern::PackedLayout layout) {
  const PackingKind packing = fromRuntimeKind(layout.kind);
  const int64_t block = layout.block;
  if (db)
    if (const TuningEntry *e = db->nearest(cpu, m, n, k))
      if (kernels::supportsLayout(e->choice.kernel.family, packing, block, k))
        return e->choice.kernel;
  KernelChoice c = defaultChoice(families, m, n, k);
  if (!c.kernel.family.empty() &&
      kernels::supportsLayout(c.kernel.family, packing, block, k))
    return c.kernel;
  // The database's layout for this weight is one the default family does
  // not read: the first family that reads it, with the default's tile.
  // Lookup-table kernels: two groups of 32 rows per tile (the faster
  // decode tile in tern-kernel-bench), two activation rows' tables per
  // weight load in prefill.
  for (const std::string &f : families)
    if (kernels::supportsLayout(f, packing, block, k))
      return kernels::isLutFamily(f)
                 ? kernels::KernelConfig{f, m > 1 ? 2 : 1, 2}
                 : kernels::KernelConfig{f, c.kernel.tileM, c.kernel.tileN};
  return std::nullopt;
}

std::optional<KernelChoice>
mlir::tern::compiledChoice(const TuningDb *db, llvm::StringRef cpu,
                           const std::vector<std::string> &families,
                           int64_t m, int64_t n, int64_t k) {
  const ::tern::PackedLayout layout = compiledLayout(db, cpu, families, n, k);
  std::optional<kernels::KernelConfig> kernel =
      compiledKernel(db, cpu, families, m, n, k, layout);
  if (!kernel)
    return std::nullopt;
  KernelChoice c;
  c.kernel = *kernel;
  c.packing = fromRuntimeKind(layout.kind);
  c.block = layout.block;
  return c;
}
