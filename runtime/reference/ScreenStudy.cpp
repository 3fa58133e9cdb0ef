//===- ScreenStudy.cpp - How many rows a head screen would recompute -----===//

#include "runtime/reference/ScreenStudy.h"

#include "runtime/model/HeadFormat.h"
#include "runtime/reference/ReferenceModel.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace tern {

OrError<ScreenStudyRows>
screenStudyRows(std::shared_ptr<const ModelDescription> model,
                const std::vector<TokenId> &prompt, int64_t generate,
                int threads) {
  using R = OrError<ScreenStudyRows>;
  if (prompt.empty())
    return R::failure("screen study: the prompt has no tokens");
  if (generate < 0)
    return R::failure("screen study: " + std::to_string(generate) +
                      " tokens to generate");
  const ModelConfig &c = model->config;
  const int64_t count = static_cast<int64_t>(prompt.size()) + generate;
  if (count > c.maxPositions)
    return R::failure("screen study: " + std::to_string(prompt.size()) +
                      " prompt tokens and " + std::to_string(generate) +
                      " generated exceed the model's context of " +
                      std::to_string(c.maxPositions));
  ReferenceOptions options;
  options.threads = threads;
  options.contextSize = count;
  auto ref = ReferenceModel::create(model, options);
  if (!ref)
    return R::failure(ref.error);
  ReferenceModel &m = **ref;
  const int64_t hidden = c.hiddenSize, vocab = c.vocabSize;
  ScreenStudyRows rows;
  rows.count = count;
  rows.hidden.resize(static_cast<size_t>(count * hidden));
  rows.logits.resize(static_cast<size_t>(count * vocab));
  const int64_t n = static_cast<int64_t>(prompt.size());
  std::string bad = m.forward(prompt.data(), n, rows.logits.data(), true);
  if (!bad.empty())
    return R::failure(bad);
  std::copy(m.lastHidden().begin(), m.lastHidden().end(), rows.hidden.begin());
  for (int64_t t = n; t < count; ++t) {
    const float *last = &rows.logits[(t - 1) * vocab];
    const TokenId next = static_cast<TokenId>(
        std::max_element(last, last + vocab) - last);
    bad = m.forward(&next, 1, &rows.logits[t * vocab], false);
    if (!bad.empty())
      return R::failure(bad);
    std::copy(m.lastHidden().begin(), m.lastHidden().end(),
              rows.hidden.begin() + t * hidden);
  }
  return R(std::move(rows));
}

namespace {

struct TokenRow {
  std::vector<int16_t> u;
  float xs = 1.0f;
};

/// Each code's logits a [count, vocab] and bounds [vocab] over the head.
void scanHead(const ModelDescription &model, const ScreenCode &code,
              const std::vector<TokenRow> &tokens, ThreadPool &pool,
              std::vector<float> &a, std::vector<ScreenBound> &bounds) {
  const DenseTensor &head = model.output ? *model.output : model.tokenEmbedding;
  const int64_t cols = head.cols, vocab = head.rows;
  const int64_t count = static_cast<int64_t>(tokens.size());
  pool.parallelFor(vocab, [&](int64_t begin, int64_t end) {
    std::vector<float> w(static_cast<size_t>(cols));
    std::vector<int8_t> q(static_cast<size_t>(cols));
    std::vector<float> scales(
        static_cast<size_t>(screenCodeScalesPerRow(code, cols)));
    for (int64_t v = begin; v < end; ++v) {
      denseRowToFloat(head, v, w.data());
      quantizeScreenCodeRow(code, w.data(), cols, q.data(), scales.data());
      bounds[v] = screenCodeBound(code, w.data(), q.data(), scales.data(), cols);
      for (int64_t t = 0; t < count; ++t)
        a[t * vocab + v] = screenCodeLogit(code, tokens[t].u.data(),
                                           tokens[t].xs, q.data(),
                                           scales.data(), cols);
    }
  });
}

} // namespace

std::string screenPlanName(const ScreenPlan &plan) {
  return screenCodeName(plan.first) +
         (plan.refine ? "+" + screenCodeName(*plan.refine) : std::string());
}

OrError<ScreenPlan> parseScreenPlan(const std::string &name) {
  using R = OrError<ScreenPlan>;
  const size_t plus = name.find('+');
  OrError<ScreenCode> first = parseScreenCode(name.substr(0, plus));
  if (!first)
    return R::failure(first.error);
  ScreenPlan plan{*first, std::nullopt};
  if (plus == std::string::npos)
    return R(plan);
  OrError<ScreenCode> refine = parseScreenCode(name.substr(plus + 1));
  if (!refine)
    return R::failure(refine.error);
  if (refine->bits <= first->bits)
    return R::failure("screen plan '" + name + "': the refining code " +
                      screenCodeName(*refine) + " has no more bits than " +
                      screenCodeName(*first));
  plan.refine = *refine;
  return R(plan);
}

std::string checkScreenPlan(const ScreenPlan &plan, int64_t cols) {
  std::string bad = checkScreenCode(plan.first, cols);
  if (bad.empty() && plan.refine)
    bad = checkScreenCode(*plan.refine, cols);
  return bad;
}

namespace {

/// The two-stage rule over one token row `x` [hidden]: `a1` [vocab] (the
/// first code's logits, refined in place into the screen's logits) with
/// `b1`, the refining code's logits `a2` with `b2`. Returns the rows read
/// in the refining code and the rows recomputed.
std::pair<int64_t, int64_t>
twoStageLogits(const float *x, int64_t hidden, const ScreenBound *b1,
               const float *a2, const ScreenBound *b2, int64_t vocab,
               float *a1, const float *native) {
  const ScreenRowStats n = screenRowStats(x, hidden);
  if (!screenApplies(n.norm)) {
    std::copy(native, native + vocab, a1);
    return {0, vocab};
  }
  const int64_t p = screenBestLowerBound(a1, b1, vocab, n);
  const float threshold = native[p];
  a1[p] = threshold;
  int64_t refined = 0, recomputed = 1;
  for (int64_t v = 0; v < vocab; ++v) {
    if (v == p || a1[v] + screenMargin(a1[v], b1[v], n) < threshold)
      continue;
    ++refined;
    if (a2[v] + screenMargin(a2[v], b2[v], n) >= threshold) {
      a1[v] = native[v];
      ++recomputed;
    } else {
      a1[v] = a2[v];
    }
  }
  return {refined, recomputed};
}

} // namespace

OrError<std::vector<ScreenStudyResult>>
studyScreens(const ModelDescription &model, const ScreenStudyRows &rows,
             const std::vector<ScreenPlan> &plans, ThreadPool &pool) {
  using R = OrError<std::vector<ScreenStudyResult>>;
  const DenseTensor &head = model.output ? *model.output : model.tokenEmbedding;
  const int64_t cols = head.cols, vocab = head.rows;
  for (const ScreenPlan &plan : plans) {
    std::string bad = checkScreenPlan(plan, cols);
    if (!bad.empty())
      return R::failure("screen study: " + bad);
  }
  std::vector<TokenRow> tokens(static_cast<size_t>(rows.count));
  for (int64_t t = 0; t < rows.count; ++t) {
    tokens[t].u.resize(static_cast<size_t>(cols));
    tokens[t].xs =
        quantizeScreenRow(&rows.hidden[t * cols], cols, tokens[t].u.data());
  }
  std::vector<ScreenStudyResult> results;
  const size_t all = static_cast<size_t>(rows.count * vocab);
  std::vector<float> a(all), a2;
  std::vector<ScreenBound> bounds(static_cast<size_t>(vocab)), bounds2;
  for (const ScreenPlan &plan : plans) {
    scanHead(model, plan.first, tokens, pool, a, bounds);
    ScreenStudyResult r;
    r.plan = plan;
    r.bytesPerWeight = screenCodeBytesPerWeight(plan.first, cols);
    if (plan.refine) {
      // Every row in the refining code too: the study counts the rows a
      // screen would read in it (twoStageLogits), it does not time them.
      a2.resize(all);
      bounds2.resize(static_cast<size_t>(vocab));
      scanHead(model, *plan.refine, tokens, pool, a2, bounds2);
      r.refineBytesPerWeight = screenCodeBytesPerWeight(*plan.refine, cols);
    }
    for (int64_t t = 0; t < rows.count; ++t) {
      const float *x = &rows.hidden[t * cols];
      const float *native = &rows.logits[t * vocab];
      float *logits = &a[t * vocab];
      if (plan.refine) {
        auto [refined, recomputed] =
            twoStageLogits(x, cols, bounds.data(), &a2[t * vocab],
                           bounds2.data(), vocab, logits, native);
        r.refined.push_back(refined);
        r.recomputed.push_back(recomputed);
      } else {
        r.recomputed.push_back(
            screenHeadLogits(x, cols, bounds.data(), vocab, logits,
                             [&](int64_t v) { return native[v]; }));
      }
      const int64_t got = std::max_element(logits, logits + vocab) - logits;
      const int64_t want = std::max_element(native, native + vocab) - native;
      if (got != want || logits[got] != native[want])
        return R::failure(
            "screen study: for token row " + std::to_string(t) + ", " +
            screenPlanName(plan) + "'s largest logit is row " +
            std::to_string(got) + "'s " + std::to_string(logits[got]) +
            ", the native head's row " + std::to_string(want) + "'s " +
            std::to_string(native[want]) + " (a bound that does not hold)");
    }
    results.push_back(std::move(r));
  }
  return R(std::move(results));
}

uint64_t screenStudyBodyBytes(const ModelDescription &model) {
  uint64_t bytes = model.outputNorm.size * sizeof(float);
  for (const LayerWeights &l : model.layers) {
    for (const TernaryTensor *t : bitLinearWeights(l))
      bytes += static_cast<uint64_t>(t->rows * t->cols / 4);
    for (const FloatTensor *f :
         {&l.attnNorm, &l.attnSubNorm, &l.ffnNorm, &l.ffnSubNorm})
      bytes += static_cast<uint64_t>(f->size) * sizeof(float);
  }
  return bytes;
}

int64_t screenStudyNativeBytesPerWeight(const ModelDescription &model) {
  const DenseTensor &head = model.output ? *model.output : model.tokenEmbedding;
  return head.type == DenseType::F32 ? 4 : 2;
}

} // namespace tern
