//===- TuningDb.cpp - Kernel choices per CPU and matmul shape -------------===//

#include "compiler/Tuning/TuningDb.h"

#include "runtime/support/Json.h"

#include "dialects/Tern/IR/TernDialect.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
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

/// A kernel choice for an [n, k] weight from `e`'s "family", "packing"
/// (absent: i2), "block", "tile_m" and "tile_n"; "" or why not.
std::string parseChoice(const llvm::json::Object &e, int64_t n, int64_t k,
                        KernelChoice &out) {
  std::optional<llvm::StringRef> family = e.getString("family");
  if (!family || !(out.family = findKernelFamily(*family)))
    return "\"family\" must be one of " + kernelFamilyNames();
  llvm::StringRef packing = i2Packing().name;
  if (e.get("packing"))
    packing = e.getString("packing").value_or("?");
  out.layout.packing = findPacking(packing);
  if (!out.layout.packing)
    return "\"packing\" must be one of " + packingNames();
  auto num = [&](llvm::StringRef key, int64_t &v, int64_t lo, int64_t hi) {
    std::optional<int64_t> x = e.getInteger(key);
    if (!x || *x < lo || *x > hi)
      return false;
    v = *x;
    return true;
  };
  if (!num("block", out.layout.block, 1, k))
    return "\"block\" must be in [1, K]";
  if (std::string why = out.layout.check(n, k); !why.empty())
    return why;
  if (!out.family->reads(out.layout, k))
    return "\"block\" is not a block the " + family->str() +
           " kernels read in the " + packing.str() + " packing for K = " +
           std::to_string(k);
  if (!num("tile_m", out.tile.m, 1, KernelAttr::kMaxTile) ||
      !num("tile_n", out.tile.n, 1, KernelAttr::kMaxTile))
    return "\"tile_m\" and \"tile_n\" must be in [1, " +
           std::to_string(KernelAttr::kMaxTile) + "]";
  return "";
}

llvm::json::Object choiceJson(const KernelChoice &c) {
  return llvm::json::Object{{"family", c.family->name},
                            {"packing", c.layout.packing->name},
                            {"block", c.layout.block},
                            {"tile_m", c.tile.m},
                            {"tile_n", c.tile.n}};
}

/// A list of positive numbers (tokens/s), or why not.
std::string parseRates(const llvm::json::Object &c, llvm::StringRef key,
                       std::vector<double> &out) {
  const llvm::json::Array *a = c.getArray(key);
  if (!a || a->size() > 1000)
    return "\"" + key.str() + "\" must be a list of at most 1000 rates";
  for (const llvm::json::Value &v : *a) {
    std::optional<double> x = v.getAsNumber();
    if (!x || !(*x >= 0) || !std::isfinite(*x))
      return "\"" + key.str() + "\" holds a value that is not a rate";
    out.push_back(*x);
  }
  return "";
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
    if (std::string why = parseChoice(*e, t.n, t.k, t.choice);
        !why.empty())
      return bad(why);
    if (const llvm::json::Object *r = e->getObject("rejected")) {
      if (std::string why = parseChoice(*r, t.n, t.k, t.rejected);
          !why.empty())
        return bad("\"rejected\": " + why);
      t.rejectedSeconds = r->getNumber("seconds").value_or(0);
      t.rejectedStepSeconds = r->getNumber("step_seconds").value_or(0);
    }
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
  if (const llvm::json::Value *checks = root->get("checks")) {
    const llvm::json::Array *a = checks->getAsArray();
    if (!a)
      return fail(path, "\"checks\" is not an array");
    for (size_t i = 0; i < a->size(); ++i) {
      const std::string where = "check " + std::to_string(i);
      const llvm::json::Object *c = (*a)[i].getAsObject();
      if (!c)
        return fail(path, where + " is not an object");
      TuningCheck t;
      t.cpu = c->getString("cpu").value_or("").str();
      if (t.cpu.empty())
        return fail(path, where + ": \"cpu\" must be a CPU name");
      t.threads = static_cast<int>(
          std::clamp<int64_t>(c->getInteger("threads").value_or(0), 0, 1024));
      t.model = c->getString("model").value_or("").str();
      t.trial = c->getString("trial").value_or("").str();
      t.prompt = std::max<int64_t>(c->getInteger("prompt").value_or(0), 0);
      t.gen = std::max<int64_t>(c->getInteger("gen").value_or(0), 0);
      t.kept = c->getBoolean("kept").value_or(false);
      for (auto [key, out] :
           {std::pair{"default_pp", &t.defaultPp}, {"tuned_pp", &t.tunedPp},
            {"default_tg", &t.defaultTg}, {"tuned_tg", &t.tunedTg}})
        if (std::string why = parseRates(*c, key, *out); !why.empty())
          return fail(path, where + " (" + t.cpu + "): " + why);
      db.addCheck(t);
    }
  }
  return db;
}

llvm::Error TuningDb::save(const std::string &path) const {
  llvm::json::Array entries;
  for (const TuningEntry &t : entries_) {
    llvm::json::Array features;
    for (const std::string &f : t.features)
      features.push_back(f);
    llvm::json::Object entry{
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
        {"default_step_seconds", t.defaultStepSeconds}};
    if (t.rejected) {
      llvm::json::Object r = choiceJson(t.rejected);
      r["seconds"] = t.rejectedSeconds;
      r["step_seconds"] = t.rejectedStepSeconds;
      entry["rejected"] = std::move(r);
    }
    entries.push_back(std::move(entry));
  }
  llvm::json::Array checks;
  for (const TuningCheck &c : checks_)
    checks.push_back(llvm::json::Object{
        {"cpu", c.cpu},
        {"threads", c.threads},
        {"model", c.model},
        {"trial", c.trial},
        {"prompt", c.prompt},
        {"gen", c.gen},
        {"default_pp", llvm::json::Array(c.defaultPp)},
        {"tuned_pp", llvm::json::Array(c.tunedPp)},
        {"default_tg", llvm::json::Array(c.defaultTg)},
        {"tuned_tg", llvm::json::Array(c.tunedTg)},
        {"kept", c.kept}});
  llvm::json::Object root{{"format", kFormat},
                          {"version", kVersion},
                          {"entries", std::move(entries)}};
  if (!checks.empty())
    root["checks"] = std::move(checks);
  const std::string tmp = path + ".tmp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return fail(tmp, ec.message());
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
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

void TuningDb::clearChecks(llvm::StringRef cpu) {
  llvm::erase_if(checks_, [&](const TuningCheck &c) { return c.cpu == cpu; });
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

