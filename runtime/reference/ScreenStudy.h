//===- ScreenStudy.h - How many rows a head screen would recompute -------===//
//
// `tern screen-study` measures, for a model and a set of screen codes
// (runtime/model/ScreenCode.h), what an exact screened head would read per
// decoded token: every vocabulary row in the code, plus the rows whose
// bound reaches the best native logit, which it recomputes natively
// (screenHeadLogits, the rule the shipped `--head screened` runs with its
// int8 copy, b8row). The token rows are the reference forward pass's
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

struct ScreenStudyResult {
  ScreenCode code;
  double bytesPerWeight = 0;
  /// Rows recomputed natively for each token row.
  std::vector<int64_t> recomputed;
};

/// Screens every token row of `rows` with each code; an error if a code
/// cannot quantize the head, or if a screen's largest logit were not the
/// native head's (the rule forbids it: that would be a bug).
OrError<std::vector<ScreenStudyResult>>
studyScreens(const ModelDescription &model, const ScreenStudyRows &rows,
             const std::vector<ScreenCode> &codes, ThreadPool &pool);

/// Bytes per decoded token outside the head: the ternary weights at 2 bits
/// each (the i2 packing) and the norms' f32 weights.
uint64_t screenStudyBodyBytes(const ModelDescription &model);

/// Bytes of one native head row (2 for f16 and bf16, 4 for f32 weights).
int64_t screenStudyNativeBytesPerWeight(const ModelDescription &model);

} // namespace tern

#endif // TERN_RUNTIME_REFERENCE_SCREENSTUDY_H
