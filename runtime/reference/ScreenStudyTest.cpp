//===- ScreenStudyTest.cpp - How many rows a head screen would recompute -===//

#include "runtime/reference/ScreenStudy.h"

#include "runtime/model/HeadFormat.h"
#include "runtime/model/TestModels.h"
#include "runtime/reference/ReferenceModel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

using namespace tern;
using namespace tern::testmodels;

namespace {

std::shared_ptr<const ModelDescription> tinyModel(uint32_t seed) {
  const std::string path =
      tempDir() + "/screen-study-" + std::to_string(seed) + ".gguf";
  EXPECT_EQ(writerFor(makeTinyModel(TernaryEncoding::I2_S, seed))
                .writeFile(path),
            "");
  ModelOrError r = loadModel(path);
  EXPECT_TRUE(r.ok()) << r.error;
  if (!r)
    return nullptr;
  return std::make_shared<const ModelDescription>(std::move(*r));
}

const std::vector<TokenId> kPrompt = {297, 5, 77, 42, 299, 3, 150, 250};

/// The tiny model of `seed`, its token rows for kPrompt and `generate`
/// greedy tokens, and the study of `plans` over them on 2 threads.
struct Study {
  std::shared_ptr<const ModelDescription> model;
  ScreenStudyRows rows;
  std::vector<ScreenStudyResult> results;
};

std::optional<Study> study(uint32_t seed, int64_t generate,
                           const std::vector<ScreenPlan> &plans) {
  Study s;
  s.model = tinyModel(seed);
  if (!s.model)
    return std::nullopt;
  OrError<ScreenStudyRows> rows = screenStudyRows(s.model, kPrompt, generate, 2);
  EXPECT_TRUE(rows.ok()) << rows.error;
  if (!rows)
    return std::nullopt;
  s.rows = std::move(*rows);
  ThreadPool pool(2);
  auto results = studyScreens(*s.model, s.rows, plans, pool);
  EXPECT_TRUE(results.ok()) << results.error;
  if (!results)
    return std::nullopt;
  s.results = std::move(*results);
  return s;
}

// The rows are the reference's: the prompt's positions at once, then one
// greedy token at a time, each with its normalized hidden state.
TEST(ScreenStudy, RowsAreTheReferencesGreedyRun) {
  auto model = tinyModel(5);
  ASSERT_TRUE(model);
  OrError<ScreenStudyRows> rows = screenStudyRows(model, kPrompt, 6, 2);
  ASSERT_TRUE(rows.ok()) << rows.error;
  const int64_t vocab = model->config.vocabSize,
                hidden = model->config.hiddenSize;
  ASSERT_EQ(rows->count, 14);

  ReferenceOptions o;
  o.contextSize = 14;
  auto ref = ReferenceModel::create(model, o);
  ASSERT_TRUE(ref.ok()) << ref.error;
  std::vector<float> logits(kPrompt.size() * vocab);
  ASSERT_EQ((*ref)->forward(kPrompt.data(), kPrompt.size(), logits.data(),
                            true),
            "");
  EXPECT_TRUE(std::equal(logits.begin(), logits.end(), rows->logits.begin()));
  EXPECT_TRUE(std::equal((*ref)->lastHidden().begin(),
                         (*ref)->lastHidden().end(), rows->hidden.begin()));
  std::vector<float> last(logits.end() - vocab, logits.end());
  for (int64_t t = 8; t < 14; ++t) {
    const TokenId next = static_cast<TokenId>(
        std::max_element(last.begin(), last.end()) - last.begin());
    ASSERT_EQ((*ref)->forward(&next, 1, last.data(), false), "");
    EXPECT_TRUE(std::equal(last.begin(), last.end(),
                           rows->logits.begin() + t * vocab))
        << "row " << t;
    EXPECT_TRUE(std::equal((*ref)->lastHidden().begin(),
                           (*ref)->lastHidden().end(),
                           rows->hidden.begin() + t * hidden))
        << "row " << t;
  }
}

// b8row recomputes exactly the rows the screened head's int8 copy does,
// computed here from HeadFormat's own functions.
TEST(ScreenStudy, EightBitRowsRecomputeWhatTheScreenedHeadDoes) {
  auto st = study(7, 12, {ScreenPlan{{8, 0}}});
  ASSERT_TRUE(st);
  const auto &model = st->model;
  const ScreenStudyRows &rows = st->rows;
  ASSERT_EQ(st->results.size(), 1u);
  const ScreenStudyResult &r = st->results[0];
  EXPECT_EQ(r.bytesPerWeight, 1.0 + 4.0 / model->config.hiddenSize);

  const DenseTensor &head = model->tokenEmbedding;
  const int64_t vocab = head.rows, n = head.cols;
  std::vector<uint8_t> codes(static_cast<size_t>(vocab * n));
  std::vector<float> scales(static_cast<size_t>(vocab)),
      w(static_cast<size_t>(n));
  std::vector<ScreenBound> bounds(static_cast<size_t>(vocab));
  for (int64_t v = 0; v < vocab; ++v) {
    ASSERT_TRUE(denseRowToFloat(head, v, w.data()));
    quantizeHeadRow(HeadFormat::Int8, w.data(), n, &codes[v * n], &scales[v]);
    bounds[v] = headScreenBound(w.data(), &codes[v * n], scales[v], n);
  }
  ASSERT_EQ(r.recomputed.size(), static_cast<size_t>(rows.count));
  std::vector<int16_t> u(static_cast<size_t>(n));
  int64_t some = 0;
  for (int64_t t = 0; t < rows.count; ++t) {
    const float *x = &rows.hidden[t * n];
    const float *native = &rows.logits[t * vocab];
    const float xs = quantizeScreenRow(x, n, u.data());
    std::vector<float> a(static_cast<size_t>(vocab));
    for (int64_t v = 0; v < vocab; ++v)
      a[v] = screenScanLogit(u.data(), xs, &codes[v * n], scales[v], n);
    const int64_t want = screenHeadLogits(
        x, n, bounds.data(), vocab, a.data(),
        [&](int64_t v) { return native[v]; });
    EXPECT_EQ(r.recomputed[t], want) << "token row " << t;
    some += want > 1;
  }
  // Rows beyond the first one: the count is not trivially 1.
  EXPECT_GT(some, 0);
}

// Fewer bits, more rows within reach of the best native logit; every code
// keeps the native head's largest logit (studyScreens checks it).
TEST(ScreenStudy, CoarserCodesRecomputeMoreRows) {
  const std::vector<ScreenPlan> codes = {
      {{8, 0}}, {{6, 32}}, {{4, 32}}, {{2, 0}}};
  auto st = study(9, 16, codes);
  ASSERT_TRUE(st);
  const auto &model = st->model;
  const ScreenStudyRows &rows = st->rows;
  const std::vector<ScreenStudyResult> &results = st->results;
  ASSERT_EQ(results.size(), codes.size());
  std::vector<int64_t> totals;
  for (const ScreenStudyResult &r : results)
    totals.push_back(
        std::accumulate(r.recomputed.begin(), r.recomputed.end(), int64_t{0}));
  EXPECT_LT(totals[0], totals[2]);
  EXPECT_LT(totals[1], totals[3]);
  EXPECT_LE(totals[3], rows.count * model->config.vocabSize);
}

// A two-stage screen reads again exactly the rows the first code alone
// would recompute (but the threshold's row), and recomputes natively only
// those still within reach in the finer code: fewer, and its largest logit
// is still the native head's (studyScreens checks it).
TEST(ScreenStudy, TwoStagesRefineTheFirstCodesCandidates) {
  const ScreenPlan one{{4, 32}}, two{{4, 32}, ScreenCode{8, 32}};
  auto st = study(9, 16, {one, two});
  ASSERT_TRUE(st);
  const ScreenStudyRows &rows = st->rows;
  const ScreenStudyResult &r1 = st->results[0], &r2 = st->results[1];
  EXPECT_TRUE(r1.refined.empty());
  EXPECT_EQ(r1.refineBytesPerWeight, 0.0);
  EXPECT_EQ(r2.refineBytesPerWeight, 1.0 + 4.0 / 32);
  ASSERT_EQ(r2.refined.size(), static_cast<size_t>(rows.count));
  int64_t fewer = 0;
  for (int64_t t = 0; t < rows.count; ++t) {
    EXPECT_EQ(r2.refined[t], r1.recomputed[t] - 1) << "token row " << t;
    EXPECT_LE(r2.recomputed[t], r1.recomputed[t]) << "token row " << t;
    EXPECT_GE(r2.recomputed[t], 1);
    fewer += r2.recomputed[t] < r1.recomputed[t];
  }
  EXPECT_GT(fewer, rows.count / 2);
}

TEST(ScreenStudy, PlanNames) {
  for (const char *name : {"b8row", "b5g32+b8g32", "b4g16+b6row"}) {
    OrError<ScreenPlan> plan = parseScreenPlan(name);
    ASSERT_TRUE(plan.ok()) << name << ": " << plan.error;
    EXPECT_EQ(screenPlanName(*plan), name);
  }
  EXPECT_EQ(screenPlanName(*parseScreenPlan("q4+int8")), "b4g32h+b8row");
  EXPECT_EQ(parseScreenPlan("b6g32+b6g64").error,
            "screen plan 'b6g32+b6g64': the refining code b6g64 has no more "
            "bits than b6g32");
  EXPECT_NE(parseScreenPlan("b6g32+").error.find("'' is not a screen code"),
            std::string::npos);
  EXPECT_NE(parseScreenPlan("b6g32+b8g32+b8row")
                .error.find("'b8g32+b8row' is not a screen code"),
            std::string::npos);
}

TEST(ScreenStudy, BadRequestsAreNamedErrors) {
  auto model = tinyModel(5);
  ASSERT_TRUE(model);
  EXPECT_NE(screenStudyRows(model, {}, 4, 1).error.find("no tokens"),
            std::string::npos);
  EXPECT_NE(screenStudyRows(model, kPrompt, -1, 1).error.find("-1 tokens"),
            std::string::npos);
  EXPECT_NE(screenStudyRows(model, kPrompt, 1000, 1)
                .error.find("exceed the model's context of 128"),
            std::string::npos);
  OrError<ScreenStudyRows> rows = screenStudyRows(model, kPrompt, 0, 1);
  ASSERT_TRUE(rows.ok()) << rows.error;
  ThreadPool pool(1);
  EXPECT_EQ(studyScreens(*model, *rows, {ScreenPlan{{4, 48}}}, pool).error,
            "screen study: b4g48: groups of 48 do not divide a row of 256");
  EXPECT_EQ(
      studyScreens(*model, *rows, {ScreenPlan{{4, 32}, ScreenCode{8, 24}}},
                   pool)
          .error,
      "screen study: b8g24: groups of 24 do not divide a row of 256");
}

// The weights outside the head: 2 bits per ternary weight, 4 bytes per
// norm weight.
TEST(ScreenStudy, BodyBytes) {
  auto model = tinyModel(5);
  ASSERT_TRUE(model);
  const TinyModel m = makeTinyModel(TernaryEncoding::I2_S, 5);
  const int64_t hd = m.hidden / m.heads, kv = m.kvHeads * hd;
  const int64_t ternary =
      m.hidden * m.hidden * 2 + kv * m.hidden * 2 + m.intermediate * m.hidden * 3;
  const int64_t norms = m.hidden * 3 + m.intermediate;
  EXPECT_EQ(screenStudyBodyBytes(*model),
            static_cast<uint64_t>(m.layers * (ternary / 4 + norms * 4) +
                                  m.hidden * 4));
  EXPECT_EQ(screenStudyNativeBytesPerWeight(*model), 2); // an f16 embedding
}

} // namespace
