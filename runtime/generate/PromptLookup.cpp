//===- PromptLookup.cpp - Drafting tokens from the context ----------------===//

#include "runtime/generate/PromptLookup.h"

#include <algorithm>

namespace tern {

std::vector<TokenId> lookupDraft(const std::vector<TokenId> &history,
                                 int64_t maxDraft) {
  const int64_t len = static_cast<int64_t>(history.size());
  if (maxDraft <= 0)
    return {};
  for (int n = kLookupNgramMax; n >= kLookupNgramMin; --n) {
    if (len <= n)
      continue;
    const TokenId *suffix = history.data() + len - n;
    // The latest occurrence that ends before the suffix starts to overlap
    // the end: start s with s + n < len, searched from the end.
    for (int64_t s = len - n - 1; s >= 0; --s) {
      if (!std::equal(suffix, suffix + n, history.data() + s))
        continue;
      // Copy forward from there; a copy that reaches the end of the
      // history goes on from its own start (text repeating with a short
      // period drafts whole periods ahead).
      const int64_t from = s + n;
      std::vector<TokenId> draft;
      for (int64_t i = 0; i < maxDraft; ++i) {
        const int64_t at = from + i;
        draft.push_back(at < len ? history[static_cast<size_t>(at)]
                                 : draft[static_cast<size_t>(at - len)]);
      }
      return draft;
    }
  }
  return {};
}

namespace {
double average(double avg, double x) {
  return avg > 0 ? 0.75 * avg + 0.25 * x : x;
}
} // namespace

bool DraftPolicy::shouldDraft() {
  if (skip_ > 0) {
    --skip_;
    return false;
  }
  return true;
}

void DraftPolicy::plainStep(double seconds) {
  if (seconds > 0)
    plain_ = average(plain_, 1.0 / seconds);
}

void DraftPolicy::pass(int64_t tokens, double seconds) {
  if (seconds <= 0)
    return;
  passes_ = average(passes_, static_cast<double>(tokens) / seconds);
  if (plain_ > 0 && passes_ < plain_) {
    skip_ = backoff_;
    backoff_ = std::min<int64_t>(backoff_ * 2, 256);
  } else {
    backoff_ = 1;
  }
}

} // namespace tern
