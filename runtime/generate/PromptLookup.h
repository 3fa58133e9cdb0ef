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

} // namespace tern

#endif // TERN_RUNTIME_GENERATE_PROMPTLOOKUP_H
