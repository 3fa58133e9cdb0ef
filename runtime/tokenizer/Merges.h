//===- Merges.h - BPE merge lists for files other tools read ------------===//
//
// Tern's BPE ranks a merge by the id of the token it makes (tiktoken's
// rule), so it needs no merge list. Hugging Face tokenizer.json and GGUF
// (llama.cpp, bitnet.cpp) readers do: Tern writes one derived from the
// vocabulary and checks one it reads against the same rule.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_TOKENIZER_MERGES_H
#define TERN_RUNTIME_TOKENIZER_MERGES_H

#include <string>
#include <utility>
#include <vector>

namespace tern {

/// Every split of each non-special token (GPT-2 form) into two tokens of
/// lower id, as "left right", ordered by the id of the token they make and
/// then by the pair's ids: merging lowest-first over this list picks the
/// same pair as merging by lowest token id.
std::vector<std::string> gpt2Merges(const std::vector<std::string> &tokens,
                                    const std::vector<bool> &isSpecial);

/// "" when `merges` (pairs of GPT-2-form tokens) agrees with `tokens`: both
/// halves and their concatenation are tokens, and the ids of the merged
/// tokens never decrease along the list. Otherwise a message starting
/// with `what[i]` (the first bad entry).
std::string checkMerges(
    const std::vector<std::pair<std::string, std::string>> &merges,
    const std::vector<std::string> &tokens, const std::string &what);

/// Splits "left right" at its one space; false when it has not exactly one
/// space between two non-empty tokens.
bool splitMerge(const std::string &merge,
                std::pair<std::string, std::string> &out);

} // namespace tern

#endif // TERN_RUNTIME_TOKENIZER_MERGES_H
