//===- TuningDb.cpp - Kernel choices per CPU and matmul shape -------------===//

#include "compiler/Tuning/TuningDb.h"

#include "runtime/support/Json.h"

#include "dialects/Tern/IR/TernDialect.h"

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
/// A tuning file holds a few hundred entries (a few hundred KiB); anything
/// far larger is not one.
constexpr uint64_t kMaxFileBytes = 64ull << 20;

llvm::Error fail(const std::string &path, const llvm::Twine &why) {
  return llvm::createStringError(path + ": " + why.str());
}
} // namespace

llvm::Expected<TuningDb> TuningDb::load(const std::string &path) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buf)
    return fail(path, "cannot read the tuning database: " +
                          buf.getError().message());
  const llvm::StringRef text = (*buf)->getBuffer();
  if (text.size() > kMaxFileBytes)
    return fail(path, "the tuning database is " +
                          llvm::Twine(text.size() >> 20) +
                          " MiB, over the 64 MiB limit");
  // LLVM's JSON parser recurses per nesting level: bound it first.
  if (std::string deep = ::tern::checkJsonNesting({text.data(), text.size()});
      !deep.empty())
    return fail(path, "not a tuning database: " + deep);
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
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
    auto bad = [&](const llvm::Twine &why) {
      return fail(path, where + " (" + t.cpu + ", " + shape + "): " + why);
    };
    std::string family;
    if (!str("family", family) || !(t.choice.family = findKernelFamily(family)))
      return bad("\"family\" must be one of " + kernelFamilyNames());
    std::string packing = i2Packing().name.str();
    if (e->get("packing") && !str("packing", packing))
      packing = "?";
    t.choice.layout.packing = findPacking(packing);
    if (!t.choice.layout.packing)
      return bad("\"packing\" must be one of " + packingNames());
    if (!num("block", t.choice.layout.block, 1, t.k))
      return bad("\"block\" must be in [1, K]");
    if (std::string why = t.choice.layout.check(t.n, t.k); !why.empty())
      return bad(why);
    if (!t.choice.family->reads(t.choice.layout, t.k))
      return bad("\"block\" is not a block the " + family +
                 " kernels read in the " + packing +
                 " packing for K = " + std::to_string(t.k));
    if (!num("tile_m", t.choice.tile.m, 1, KernelAttr::kMaxTile) ||
        !num("tile_n", t.choice.tile.n, 1, KernelAttr::kMaxTile))
      return bad("\"tile_m\" and \"tile_n\" must be in [1, " +
                 std::to_string(KernelAttr::kMaxTile) + "]");
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
        {"family", t.choice.family->name},
        {"packing", t.choice.layout.packing->name},
        {"block", t.choice.layout.block},
        {"tile_m", t.choice.tile.m},
        {"tile_n", t.choice.tile.n},
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

