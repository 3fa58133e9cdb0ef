//===- ScreenStudyCommand.cpp - tern screen-study ------------------------===//
//
//   tern screen-study MODEL [-p TEXT] [-n N] [--codes LIST] [-t N]
//
// For each screen code (runtime/model/ScreenCode.h), how many vocabulary
// rows an exact screened head would recompute natively per token on this
// model, and what that leaves of the head's bytes per decoded token
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
#define TERN_DEFAULT_SCREEN_CODES                                              \
  "b8row,b8g32,b7g32,b6g32,b6g64,b5g16,b5g32,b4g16,b4g32"
static cl::opt<std::string> studyCodes(
    "codes",
    cl::desc("Screen codes, comma-separated: b<bits>row or b<bits>g<group> "
             "(bits 2-8, one f32 scale per group), int8 (b8row, the "
             "screened head's copy), q4 (b4g32); default "
             TERN_DEFAULT_SCREEN_CODES),
    cl::value_desc("LIST"), cl::init(TERN_DEFAULT_SCREEN_CODES),
    cl::sub(studyCmd), cl::cat(tern::cli::category()));
static cl::opt<int> studyThreads("t", cl::desc("Threads (default: all)"),
                                 cl::value_desc("N"), cl::init(0),
                                 cl::sub(studyCmd),
                                 cl::cat(tern::cli::category()));

namespace {

llvm::Expected<std::vector<tern::ScreenCode>> parseCodes() {
  llvm::SmallVector<llvm::StringRef> names;
  llvm::StringRef(studyCodes).split(names, ',', -1, /*KeepEmpty=*/false);
  if (names.empty())
    return llvm::createStringError("--codes: no screen code given");
  std::vector<tern::ScreenCode> codes;
  for (llvm::StringRef name : names) {
    tern::OrError<tern::ScreenCode> code =
        tern::parseScreenCode(name.trim().str());
    if (!code)
      return llvm::createStringError("--codes: " + code.error);
    codes.push_back(*code);
  }
  return codes;
}

double mb(double bytes) { return bytes / 1e6; }

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
  llvm::outs() << "| code | bytes/weight | rows recomputed per token: median "
                  "(min-max), mean | head MB/token | decode MB/token | "
                  "native / screened bytes |\n|---|---|---|---|---|---|\n";
  for (const tern::ScreenStudyResult &r : results) {
    std::vector<int64_t> sorted = r.recomputed;
    std::sort(sorted.begin(), sorted.end());
    double mean = 0;
    for (int64_t n : sorted)
      mean += static_cast<double>(n);
    mean /= static_cast<double>(std::max<size_t>(sorted.size(), 1));
    const double headBytes = weights * r.bytesPerWeight + mean * nativeRow;
    llvm::outs() << llvm::formatv(
        "| {0} | {1:f4} | {2} ({3}-{4}), {5:f1} | {6:f1} | {7:f1} | "
        "{8:f3}x |\n",
        tern::screenCodeName(r.code), r.bytesPerWeight,
        sorted[sorted.size() / 2], sorted.front(), sorted.back(), mean,
        mb(headBytes), mb(body + headBytes),
        (body + nativeHead) / (body + headBytes));
  }
}

int runScreenStudy() {
  auto codes = parseCodes();
  if (!codes)
    return fail(llvm::toString(codes.takeError()));
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
  for (const tern::ScreenCode &code : *codes) {
    std::string bad = tern::checkScreenCode(code, head.cols);
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
  auto results = tern::studyScreens(*model, *rows, *codes, pool);
  if (!results)
    return fail(results.error);
  printResults(*model, static_cast<int64_t>(prompt.size()), studyGenerate,
               *results);
  return 0;
}

} // namespace

static tern::cli::Registration studyEntry(studyCmd, runScreenStudy);
