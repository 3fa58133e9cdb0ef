//===- PromptLookup.h - Drafting tokens from the context ------------------===//
//
// Prompt-lookup decoding drafts the next tokens from the text so far: find
// the most recent earlier occurrence of the last n tokens (n from
// kLookupNgramMax down to kLookupNgramMin) and propose the tokens that
// followed it. generate() evaluates the last token and the draft in one
// multi-token forward() and keeps the longest prefix of the draft that
// greedy decoding agrees with, so the output is the same token for token;
// a good draft (text that repeats or edits its prompt) gives several
// tokens per pass over the weights.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_GENERATE_PROMPTLOOKUP_H
#define TERN_RUNTIME_GENERATE_PROMPTLOOKUP_H

#include "runtime/tokenizer/Tokenizer.h"

#include <cstdint>
#include <vector>

namespace tern {

constexpr int kLookupNgramMax = 3;
constexpr int kLookupNgramMin = 2;

/// `maxDraft` tokens copied from after the latest earlier occurrence of
/// the longest suffix of `history` (kLookupNgramMin..kLookupNgramMax
/// tokens), the copy going on through the draft itself when it reaches
/// the end (a period of p tokens repeats); empty when no such suffix
/// occurred before.
std::vector<TokenId> lookupDraft(const std::vector<TokenId> &history,
                                 int64_t maxDraft);

/// Whether drafting pays on this model and machine: the tokens per second
/// of plain steps against those of draft passes (the tokens they gave over
/// their time), both measured as decoding goes. A pass that loses skips
/// the next chances to draft, twice as many each time it loses again (at
/// most 256); one that wins drafts at every chance. Only speed depends on
/// it: the tokens are greedy decoding's either way.
class DraftPolicy {
public:
  /// Whether to draft at this chance.
  bool shouldDraft();
  /// A plain single-token step took `seconds`.
  void plainStep(double seconds);
  /// A draft pass gave `tokens` tokens in `seconds`.
  void pass(int64_t tokens, double seconds);

private:
  double plain_ = 0, passes_ = 0; ///< tokens/s, running averages
  int64_t skip_ = 0, backoff_ = 1;
};

} // namespace tern

#endif // TERN_RUNTIME_GENERATE_PROMPTLOOKUP_H
