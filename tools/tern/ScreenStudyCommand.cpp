//===- ScreenStudyCommand.cpp - tern screen-study ------------------------===//
//
//   tern screen-study MODEL [-p TEXT] [-n N] [--codes LIST] [-t N]
//
// For each screen (a code, runtime/model/ScreenCode.h, or a coarse code
// then a finer one), how many vocabulary rows an exact screened head would
// read again and recompute natively per token on this model, and what
// that leaves of the head's bytes per decoded token
// (runtime/reference/ScreenStudy.h). Runs on the reference forward pass.
//
//===----------------------------------------------------------------------===//

#include "tools/tern/Driver.h"

#include "runtime/model/Model.h"
#include "runtime/reference/ScreenStudy.h"
#include "runtime/support/ThreadPool.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace cl = llvm::cl;
using tern::cli::fail;

static cl::SubCommand studyCmd(
    "screen-study",
    "How many head rows an exact screen in each code would recompute per "
    "token on a model, and the bytes per decoded token that leaves");
static cl::opt<std::string> studyModel(cl::Positional, cl::Required,
                                       cl::desc("MODEL"), cl::sub(studyCmd));
static cl::opt<std::string> studyPrompt(
    "p",
    cl::desc("Prompt text (every position's token row is screened, then "
             "those of the greedy tokens after it)"),
    cl::value_desc("TEXT"),
    cl::init("The history of the city begins in the early medieval period, "
             "when a small market grew around the river crossing and the "
             "church that stood above it."),
    cl::sub(studyCmd), cl::cat(tern::cli::category()));
static cl::opt<int64_t> studyGenerate("n",
                                      cl::desc("Greedy tokens after the "
                                               "prompt (default 32)"),
                                      cl::value_desc("N"), cl::init(32),
                                      cl::sub(studyCmd),
                                      cl::cat(tern::cli::category()));
static const std::string studyDefaultCodes =
    "b8row,b8g32,b7g32,b6g32,b6g64,b5g16,b5g32,b4g16,b4g32h";
static const std::string studyCodesDesc =
    "Screens, comma-separated: a code, b<bits>row or b<bits>g<group> (bits "
    "2-8, one f32 scale per group; h after it: f16 scales), int8 (b8row, "
    "the screened head's copy) or q4 (b4g32h, the q4 head's copy); or two, "
    "A+B: the rows within reach in A read again in "
    "the finer B; default " +
    studyDefaultCodes;
static cl::opt<std::string> studyCodes(
    "codes", cl::desc(studyCodesDesc),
    cl::value_desc("LIST"), cl::init(studyDefaultCodes),
    cl::sub(studyCmd), cl::cat(tern::cli::category()));
static cl::opt<int> studyThreads("t", cl::desc("Threads (default: all)"),
                                 cl::value_desc("N"), cl::init(0),
                                 cl::sub(studyCmd),
                                 cl::cat(tern::cli::category()));

namespace {

llvm::Expected<std::vector<tern::ScreenPlan>> parsePlans() {
  llvm::SmallVector<llvm::StringRef> names;
  llvm::StringRef(studyCodes).split(names, ',', -1, /*KeepEmpty=*/false);
  if (names.empty())
    return llvm::createStringError("--codes: no screen code given");
  std::vector<tern::ScreenPlan> plans;
  for (llvm::StringRef name : names) {
    tern::OrError<tern::ScreenPlan> plan =
        tern::parseScreenPlan(name.trim().str());
    if (!plan)
      return llvm::createStringError("--codes: " + plan.error);
    plans.push_back(*plan);
  }
  return plans;
}

double mb(double bytes) { return bytes / 1e6; }

/// "median (min-max), mean" of `counts`, and the mean.
std::pair<std::string, double> summary(std::vector<int64_t> counts) {
  std::sort(counts.begin(), counts.end());
  double mean = 0;
  for (int64_t n : counts)
    mean += static_cast<double>(n);
  mean /= static_cast<double>(counts.size());
  return {llvm::formatv("{0} ({1}-{2}), {3:f1}", counts[counts.size() / 2],
                        counts.front(), counts.back(), mean)
              .str(),
          mean};
}

void printResults(const tern::ModelDescription &m, int64_t promptTokens,
                  int64_t generated,
                  const std::vector<tern::ScreenStudyResult> &results) {
  const tern::DenseTensor &head = m.output ? *m.output : m.tokenEmbedding;
  const double weights = static_cast<double>(head.rows) * head.cols;
  const double nativeRow =
      static_cast<double>(tern::screenStudyNativeBytesPerWeight(m)) *
      head.cols;
  const double nativeHead = nativeRow * head.rows;
  const double body = static_cast<double>(tern::screenStudyBodyBytes(m));
  llvm::outs() << llvm::formatv(
      "model {0}: head {1} x {2} in {3} ({4:f1} MB), the other weights "
      "{5:f1} MB per token (ternary at 2 bits, norms in f32)\n"
      "token rows: {6} of the prompt, {7} generated (greedy); native "
      "decode {8:f1} MB per token\n\n",
      m.sourcePath, head.rows, head.cols, tern::denseTypeName(head.type),
      mb(nativeHead), mb(body), promptTokens, generated,
      mb(body + nativeHead));
  llvm::outs() << "rows per token: median (min-max), mean\n\n"
                  "| code | bytes/weight | rows refined | rows recomputed | "
                  "head MB/token | decode MB/token | native / screened "
                  "bytes |\n|---|---|---|---|---|---|---|\n";
  for (const tern::ScreenStudyResult &r : results) {
    auto [recomputed, meanRecomputed] = summary(r.recomputed);
    std::string refined = "-";
    double headBytes = weights * r.bytesPerWeight + meanRecomputed * nativeRow;
    if (r.plan.refine) {
      auto [text, mean] = summary(r.refined);
      refined = text;
      headBytes += mean * head.cols * r.refineBytesPerWeight;
    }
    llvm::outs() << llvm::formatv(
        "| {0} | {1:f4}{2} | {3} | {4} | {5:f1} | {6:f1} | {7:f3}x |\n",
        tern::screenPlanName(r.plan), r.bytesPerWeight,
        r.plan.refine
            ? llvm::formatv(" + {0:f4}", r.refineBytesPerWeight).str()
            : std::string(),
        refined, recomputed, mb(headBytes), mb(body + headBytes),
        (body + nativeHead) / (body + headBytes));
  }
}

int runScreenStudy() {
  auto plans = parsePlans();
  if (!plans)
    return fail(llvm::toString(plans.takeError()));
  if (studyGenerate < 0)
    return fail(llvm::formatv("-n {0}: a count of tokens is at least 0",
                              studyGenerate.getValue())
                    .str());
  if (studyThreads < 0 || studyThreads > 1024)
    return fail(llvm::formatv("-t {0}: threads are 1 to 1024 (0: all)",
                              studyThreads.getValue())
                    .str());
  tern::ModelOrError loaded = tern::loadModel(studyModel);
  if (!loaded)
    return fail(loaded.error);
  auto model =
      std::make_shared<const tern::ModelDescription>(std::move(*loaded));
  const tern::DenseTensor &head =
      model->output ? *model->output : model->tokenEmbedding;
  for (const tern::ScreenPlan &plan : *plans) {
    std::string bad = tern::checkScreenPlan(plan, head.cols);
    if (!bad.empty())
      return fail("--codes: " + bad);
  }
  auto tokenizer = tern::buildTokenizer(*model);
  if (!tokenizer)
    return fail(tokenizer.error);
  const std::vector<tern::TokenId> prompt =
      tokenizer.tokenizer->encode(studyPrompt, /*addBos=*/true);
  const int threads =
      studyThreads > 0
          ? studyThreads.getValue()
          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  tern::OrError<tern::ScreenStudyRows> rows =
      tern::screenStudyRows(model, prompt, studyGenerate, threads);
  if (!rows)
    return fail(rows.error);
  tern::ThreadPool pool(threads);
  auto results = tern::studyScreens(*model, *rows, *plans, pool);
  if (!results)
    return fail(results.error);
  printResults(*model, static_cast<int64_t>(prompt.size()), studyGenerate,
               *results);
  return 0;
}

} // namespace

static tern::cli::Registration studyEntry(studyCmd, runScreenStudy);
