//===- LanguageModel.h - What evaluates tokens ----------------------------===//
//
// The interface between generation (sampling, the `run` command line) and
// whatever computes logits: the reference forward pass
// (runtime/reference) or a compiled model. An implementation keeps a KV
// cache: forward() evaluates tokens at the next positions and appends them.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_GENERATE_LANGUAGEMODEL_H
#define TERN_RUNTIME_GENERATE_LANGUAGEMODEL_H

#include "runtime/model/Model.h"

#include <cstdint>
#include <string>

namespace tern {

class LanguageModel {
public:
  virtual ~LanguageModel() = default;

  virtual const ModelConfig &config() const = 0;
  /// Number of tokens in the cache (the position of the next token).
  virtual int64_t position() const = 0;
  /// Most tokens the cache holds.
  virtual int64_t contextSize() const = 0;
  /// Empties the cache.
  virtual void reset() = 0;

  /// Evaluates `n` tokens at positions position() .. position() + n - 1 and
  /// appends them to the cache. Writes logits [n, vocab] when `allLogits`,
  /// else only the last token's [vocab]. Returns "" or an error (a token id
  /// outside the vocabulary, the context full) and then changes nothing.
  virtual std::string forward(const TokenId *tokens, int64_t n, float *logits,
                              bool allLogits) = 0;
};

/// The checks every forward() makes before evaluating: "" when `n` tokens
/// (n > 0, ids in the vocabulary) fit after `position` in `contextSize`,
/// else the message forward() returns.
std::string checkForwardRequest(const ModelConfig &config, int64_t position,
                                int64_t contextSize, const TokenId *tokens,
                                int64_t n);

/// "" when a KV cache of `contextSize` tokens for `config` (keys and
/// values, float32, every layer) fits in this machine's memory; else a
/// message naming the context size and the memory it would need.
std::string checkKvCache(const ModelConfig &config, int64_t contextSize);

} // namespace tern

#endif // TERN_RUNTIME_GENERATE_LANGUAGEMODEL_H
