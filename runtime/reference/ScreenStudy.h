//===- ScreenStudy.h - How many rows a head screen would recompute -------===//
//
// `tern screen-study` measures, for a model and a set of screen codes
// (runtime/model/ScreenCode.h), what an exact screened head would read per
// decoded token: every vocabulary row in the code, plus the rows whose
// bound reaches the best native logit, which it recomputes natively
// (screenHeadLogits, the rule the shipped `--head screened` runs with its
// int8 copy, b8row), or first reads those rows again in a finer code and
// recomputes only the rows still within reach (a two-stage screen). The
// token rows are the reference forward pass's
// normalized hidden states over a prompt and the greedy tokens after it,
// and each row's native logits are the reference's. From the rows
// recomputed it states the bytes per token against the native head's: the
// speed-up a screen with that code can give at most where decode reads at
// a fixed bandwidth.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_REFERENCE_SCREENSTUDY_H
#define TERN_RUNTIME_REFERENCE_SCREENSTUDY_H

#include "runtime/model/Model.h"
#include "runtime/model/OrError.h"
#include "runtime/model/ScreenCode.h"
#include "runtime/support/ThreadPool.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tern {

/// Token rows to screen: `count` normalized hidden states [count, hidden]
/// and their native logits [count, vocab].
struct ScreenStudyRows {
  int64_t count = 0;
  std::vector<float> hidden;
  std::vector<float> logits;
};

/// The reference forward pass's token rows for `prompt` (every position)
/// and `generate` greedy tokens after it, with `threads` threads.
OrError<ScreenStudyRows>
screenStudyRows(std::shared_ptr<const ModelDescription> model,
                const std::vector<TokenId> &prompt, int64_t generate,
                int threads);

/// A screen: every row in `first`; with `refine`, the rows whose bound in
/// `first` reaches the threshold are read again in `refine` (a finer code
/// of the same rows) and only those whose bound there still reaches it are
/// recomputed natively. Written "b5g32" or "b5g32+b8g32".
struct ScreenPlan {
  ScreenCode first;
  std::optional<ScreenCode> refine = std::nullopt;
};

std::string screenPlanName(const ScreenPlan &plan);

/// Parses screenPlanName's form (each code as parseScreenCode reads it);
/// the refining code must have more bits than the first.
OrError<ScreenPlan> parseScreenPlan(const std::string &name);

/// An empty string, or why a code of `plan` cannot quantize rows of `cols`
/// weights (checkScreenCode).
std::string checkScreenPlan(const ScreenPlan &plan, int64_t cols);

struct ScreenStudyResult {
  ScreenPlan plan;
  /// Bytes per weight of the first code and of the refining one (0: none).
  double bytesPerWeight = 0, refineBytesPerWeight = 0;
  /// Rows read in the refining code for each token row (empty: none).
  std::vector<int64_t> refined;
  /// Rows recomputed natively for each token row.
  std::vector<int64_t> recomputed;
};

/// Screens every token row of `rows` with each plan: the threshold is the
/// native logit of the row with the best lower bound in the first code
/// (screenHeadLogits' rule), and a row is recomputed natively where its
/// upper bound reaches it in every code it is read in. An error if a code
/// cannot quantize the head, or if a screen's largest logit were not the
/// native head's (the rule forbids it: that would be a bug).
OrError<std::vector<ScreenStudyResult>>
studyScreens(const ModelDescription &model, const ScreenStudyRows &rows,
             const std::vector<ScreenPlan> &plans, ThreadPool &pool);

/// Bytes per decoded token outside the head: the ternary weights at 2 bits
/// each (the i2 packing) and the norms' f32 weights.
uint64_t screenStudyBodyBytes(const ModelDescription &model);

/// Bytes of one native head row (2 for f16 and bf16, 4 for f32 weights).
int64_t screenStudyNativeBytesPerWeight(const ModelDescription &model);

} // namespace tern

#endif // TERN_RUNTIME_REFERENCE_SCREENSTUDY_H
