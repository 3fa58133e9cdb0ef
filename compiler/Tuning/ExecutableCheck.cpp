//===- ExecutableCheck.cpp - tern tune checked in the executable ----------===//

#include "compiler/Tuning/ExecutableCheck.h"

#include "compiler/Driver/CompileModel.h"
#include "compiler/Transforms/KernelSelection.h"
#include "compiler/Tuning/TuningDb.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <algorithm>
#include <array>

using namespace mlir;
using namespace mlir::tern;

bool PhaseJudgement::gains() const {
  const int rounds = static_cast<int>(ratios.size());
  return rounds > 0 && faster * 5 >= rounds * 4 && median >= 1.01;
}

bool PhaseJudgement::holds() const { return ratios.empty() || median >= 0.99; }

PhaseJudgement mlir::tern::judgePhase(const std::vector<double> &defaultRates,
                                      const std::vector<double> &tunedRates) {
  PhaseJudgement j;
  const size_t n = std::min(defaultRates.size(), tunedRates.size());
  for (size_t i = 0; i < n; ++i) {
    const double r = defaultRates[i] > 0 ? tunedRates[i] / defaultRates[i] : 1;
    j.ratios.push_back(r);
    j.faster += r > 1;
  }
  if (n == 0)
    return j;
  std::vector<double> sorted = j.ratios;
  std::sort(sorted.begin(), sorted.end());
  j.min = sorted.front();
  j.max = sorted.back();
  j.median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return j;
}

TrialVerdict mlir::tern::judgeTrial(const PhaseJudgement &pp,
                                    const PhaseJudgement &tg,
                                    bool decodeChanged, bool prefillChanged) {
  TrialVerdict v;
  const bool decodeOk = !decodeChanged || tg.gains();
  const bool prefillOk = !prefillChanged || pp.gains();
  v.kept = decodeOk && prefillOk && pp.holds() && tg.holds();
  if (v.kept)
    return v;
  // A phase that gained is tried alone where the other phase did not slow
  // down, or where the other phase's own choices may be what slowed it.
  // (Both cannot gain here: that trial is kept.)
  v.retryDecode = decodeChanged && tg.gains() && (pp.holds() || prefillChanged);
  v.retryPrefill =
      prefillChanged && pp.gains() && (tg.holds() || decodeChanged);
  return v;
}

namespace {
using Shape = std::array<int64_t, 2>; // [n, k]

/// The default choice for an entry of `db`: decode's from the registry;
/// prefill's on the layout its decode entry gives the weight.
KernelChoice defaultFor(const Target &target, const TuningDb &db,
                        const TuningEntry &e) {
  const KernelSelector none(target);
  if (e.m == 1)
    return none.choice(1, e.n, e.k);
  return none.kernel(e.m, e.n, e.k,
                     KernelSelector(target, &db).layout(e.n, e.k));
}

/// Puts `e` back to its default, recording what it held as rejected.
void revert(const Target &target, TuningDb &db, TuningEntry e) {
  KernelChoice d = defaultFor(target, db, e);
  d.prefetch = 0; // the selector adds it; entries do not hold it
  e.choice.prefetch = 0;
  if (!d || d == e.choice)
    return;
  e.rejected = e.choice;
  e.rejectedSeconds = e.seconds;
  e.rejectedStepSeconds = e.stepSeconds;
  e.choice = d;
  e.seconds = e.defaultSeconds;
  e.stepSeconds = e.defaultStepSeconds;
  db.put(e);
}

/// The trial: which of the database's choices differ from the defaults.
struct Changes {
  bool decode = false, prefill = false;
};

class Checker {
public:
  explicit Checker(const CheckOptions &o) : o_(o) {}
  llvm::Error run();

private:
  llvm::Error loadModelShapes();
  Changes changes(const TuningDb &db) const;
  llvm::Error compile(const std::string &out, const std::string &db);
  /// Runs `exe bench` once; tokens/s of its pp and tg tests.
  llvm::Error bench(const std::string &exe, double &pp, double &tg);
  llvm::Error trial(const std::string &name, const TuningDb &db,
                    TuningCheck &check);
  /// Puts this model's decode and/or prefill entries back to the defaults
  /// (prefill entries on a layout the decode entry no longer gives too).
  void revertPhases(TuningDb &db, bool decode, bool prefill) const;
  void say(const llvm::Twine &line) const {
    if (o_.progress) {
      *o_.progress << "tern tune: " << line << "\n";
      o_.progress->flush();
    }
  }
  int64_t prompt() const { return 2 * o_.prefillRows; }

  const CheckOptions &o_;
  std::vector<Shape> shapes_;
  std::string dir_, defaultExe_;
};

llvm::Error Checker::loadModelShapes() {
  ::tern::ModelOrError m = ::tern::loadModel(o_.model);
  if (!m)
    return llvm::createStringError(m.error);
  llvm::Expected<ModelMatmuls> mm = modelMatmuls(*m, /*fuseProjections=*/true);
  if (!mm)
    return mm.takeError();
  for (const Shape &s : mm->layer)
    if (!llvm::is_contained(shapes_, s))
      shapes_.push_back(s);
  return llvm::Error::success();
}

Changes Checker::changes(const TuningDb &db) const {
  Changes c;
  const KernelSelector none(o_.target), tuned(o_.target, &db);
  for (const auto &[n, k] : shapes_) {
    c.decode |= !(tuned.choice(1, n, k) == none.choice(1, n, k));
    if (o_.prefillRows > 1)
      c.prefill |= !(tuned.choice(o_.prefillRows, n, k) ==
                     none.choice(o_.prefillRows, n, k));
  }
  return c;
}

llvm::Error Checker::compile(const std::string &out, const std::string &db) {
  CompileOptions c;
  c.model = o_.model;
  c.output = out;
  c.target = o_.targetName;
  c.prefillRows = o_.prefillRows;
  c.batchRows = 0; // bench runs one stream
  c.tuningDb = db;
  c.runtimeLibDir = o_.runtimeLibDir;
  if (llvm::Error e = compileModel(c))
    return llvm::createStringError(
        "compiling the " + llvm::sys::path::filename(out).str() +
        " executable for the check: " + llvm::toString(std::move(e)));
  return llvm::Error::success();
}

llvm::Error Checker::bench(const std::string &exe, double &pp, double &tg) {
  const std::string out = dir_ + "/bench.json", err = dir_ + "/bench.err";
  std::vector<std::string> args = {exe,  "bench",
                                   "-p", std::to_string(prompt()),
                                   "-n", std::to_string(o_.gen),
                                   "-r", "1",
                                   "-o", "json"};
  if (o_.threads > 0)
    args.insert(args.end(), {"-t", std::to_string(o_.threads)});
  std::vector<llvm::StringRef> refs(args.begin(), args.end());
  // Redirected files are opened without truncation: start from none.
  llvm::sys::fs::remove(out);
  llvm::sys::fs::remove(err);
  std::string why;
  const std::optional<llvm::StringRef> redirects[] = {
      std::nullopt, llvm::StringRef(out), llvm::StringRef(err)};
  const int rc = llvm::sys::ExecuteAndWait(exe, refs, std::nullopt, redirects,
                                           /*SecondsToWait=*/900, 0, &why);
  auto failed = [&](const llvm::Twine &what) {
    std::string tail;
    if (auto b = llvm::MemoryBuffer::getFile(err))
      tail = (*b)->getBuffer().take_back(400).trim().str();
    return llvm::createStringError(llvm::sys::path::filename(exe) + " bench " +
                                   what + (tail.empty() ? "" : ": " + tail));
  };
  if (rc != 0)
    return failed("failed (exit " + llvm::Twine(rc) +
                  (why.empty() ? "" : ", " + why) + ")");
  auto text = llvm::MemoryBuffer::getFile(out);
  if (!text)
    return failed("wrote no output");
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*text)->getBuffer());
  if (!json)
    return failed("wrote no JSON: " + llvm::toString(json.takeError()));
  pp = tg = 0;
  if (const llvm::json::Array *a = json->getAsArray())
    for (const llvm::json::Value &v : *a)
      if (const llvm::json::Object *r = v.getAsObject()) {
        const llvm::StringRef test = r->getString("test").value_or("");
        const double ts = r->getNumber("avg_ts").value_or(0);
        if (test == "pp" + std::to_string(prompt()))
          pp = ts;
        else if (test == "tg" + std::to_string(o_.gen))
          tg = ts;
      }
  if (tg <= 0 || (prompt() > 0 && pp <= 0))
    return failed("reported no pp/tg figures");
  return llvm::Error::success();
}

llvm::Error Checker::trial(const std::string &name, const TuningDb &db,
                           TuningCheck &check) {
  const std::string dbPath = dir_ + "/" + name + ".json";
  if (llvm::Error e = db.save(dbPath))
    return e;
  say("checking " + name + " choices in the executable: compiling it");
  const std::string exe = dir_ + "/tuned-" + name;
  if (llvm::Error e = compile(exe, dbPath))
    return e;
  check.trial = name;
  check.prompt = prompt();
  check.gen = o_.gen;
  for (int round = 0; round < o_.rounds; ++round) {
    double pp[2], tg[2];
    // ABBA: the default first in even rounds, second in odd ones.
    for (int i = 0; i < 2; ++i) {
      const bool tunedRun = (i == 1) != (round % 2 == 1);
      if (llvm::Error e =
              bench(tunedRun ? exe : defaultExe_, pp[tunedRun], tg[tunedRun]))
        return e;
    }
    check.defaultPp.push_back(pp[0]), check.tunedPp.push_back(pp[1]);
    check.defaultTg.push_back(tg[0]), check.tunedTg.push_back(tg[1]);
    say(llvm::formatv("round {0}/{1}: pp{2} {3:F1} default / {4:F1} tuned, "
                      "tg{5} {6:F2} / {7:F2} tokens/s",
                      round + 1, o_.rounds, prompt(), pp[0], pp[1], o_.gen,
                      tg[0], tg[1]));
  }
  llvm::sys::fs::remove(exe);
  return llvm::Error::success();
}

std::string describe(const char *test, const PhaseJudgement &j) {
  if (j.ratios.empty())
    return std::string(test) + " not measured";
  return llvm::formatv("{0} {1:F3}x ({2:F3}-{3:F3}, faster {4}/{5})", test,
                       j.median, j.min, j.max, j.faster, j.ratios.size());
}

llvm::Error Checker::run() {
  llvm::Expected<TuningDb> loaded = TuningDb::load(o_.dbPath);
  if (!loaded)
    return loaded.takeError();
  TuningDb db = std::move(*loaded);
  if (llvm::Error e = loadModelShapes())
    return e;
  db.clearChecks(o_.target.cpu);
  Changes c = changes(db);
  if (!c.decode && !c.prefill) {
    say("every choice for this model is the default: nothing to check in "
        "the executable");
    return db.save(o_.dbPath);
  }
  llvm::SmallString<128> dir;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("tern-tune", dir))
    return llvm::createStringError("cannot make a directory for the check: " +
                                   ec.message());
  dir_ = dir.str().str();
  llvm::scope_exit cleanup([&] { llvm::sys::fs::remove_directories(dir_); });
  defaultExe_ = dir_ + "/default";
  say("compiling the default executable to check the tuned one against");
  if (llvm::Error e = compile(defaultExe_, ""))
    return e;
  for (int attempt = 0; attempt < 2 && (c.decode || c.prefill); ++attempt) {
    const std::string name = c.decode && c.prefill ? "decode+prefill"
                             : c.decode            ? "decode"
                                                   : "prefill";
    TuningCheck check;
    check.cpu = o_.target.cpu;
    check.threads = o_.threads;
    check.model = llvm::sys::path::filename(o_.model).str();
    if (llvm::Error e = trial(name, db, check))
      return e;
    const PhaseJudgement pp = judgePhase(check.defaultPp, check.tunedPp);
    const PhaseJudgement tg = judgePhase(check.defaultTg, check.tunedTg);
    const TrialVerdict v = judgeTrial(pp, tg, c.decode, c.prefill);
    check.kept = v.kept;
    db.addCheck(check);
    const std::string figures =
        describe(("pp" + std::to_string(prompt())).c_str(), pp) + ", " +
        describe(("tg" + std::to_string(o_.gen)).c_str(), tg);
    if (v.kept) {
      say("kept the " + name + " choices: tuned/default " + figures);
      return db.save(o_.dbPath);
    }
    say("the " + name + " choices did not run the executable faster (" +
        figures + ")");
    revertPhases(db, !v.retryDecode, !v.retryPrefill);
    c = changes(db);
    if (llvm::Error e = db.save(o_.dbPath))
      return e;
  }
  revertPhases(db, true, true); // the retry did not win either
  say("this model gets the default kernels: the executable did not run "
      "faster with the tuned ones");
  return db.save(o_.dbPath);
}

void Checker::revertPhases(TuningDb &db, bool decode, bool prefill) const {
  auto ours = [&](const TuningEntry &e) {
    return e.cpu == o_.target.cpu &&
           llvm::is_contained(shapes_, Shape{e.n, e.k}) &&
           (e.m == 1 || e.m == o_.prefillRows);
  };
  // Decode first: it gives the weights their layout, on which prefill's
  // default depends.
  const std::vector<TuningEntry> before = db.entries();
  if (decode)
    for (const TuningEntry &e : before)
      if (ours(e) && e.m == 1)
        revert(o_.target, db, e);
  const std::vector<TuningEntry> mid = db.entries();
  for (const TuningEntry &e : mid)
    if (ours(e) && e.m > 1 &&
        (prefill ||
         !(e.choice.layout == KernelSelector(o_.target, &db).layout(e.n, e.k))))
      revert(o_.target, db, e);
}
} // namespace

llvm::Error mlir::tern::checkExecutables(const CheckOptions &o) {
  return Checker(o).run();
}
