//===- LanguageModel.h - What evaluates tokens ----------------------------===//
//
// The interface between generation (sampling, the `run` command line) and
// whatever computes logits: the reference forward pass
// (runtime/reference) or a compiled model. An implementation keeps a KV
// cache: forward() evaluates tokens at the next positions and appends them.
// A model may hold several independent sequences (the server's slots), each
// with its own KV cache and position: selectSequence() chooses the one
// position(), reset(), truncate() and forward() act on, and decodeBatch()
// advances several at once.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_GENERATE_LANGUAGEMODEL_H
#define TERN_RUNTIME_GENERATE_LANGUAGEMODEL_H

#include "runtime/model/Model.h"

#include <cstdint>
#include <string>
#include <vector>

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

  /// Keeps the first `n` cached tokens (n <= position()): the next
  /// forward() continues at position n. A conversation whose history was
  /// re-rendered re-evaluates only what changed.
  virtual void truncate(int64_t n) = 0;

  /// Sequences held (1 unless instantiated with more).
  virtual int64_t sequences() const { return 1; }
  /// Makes sequence `s` (0 <= s < sequences()) the current one.
  virtual void selectSequence(int64_t s) { (void)s; }

  /// One new token for each of `n` distinct sequences: row i evaluates
  /// tokens[i] at the next position of sequence seqs[i] and writes its
  /// logits to row i of `logits` [n, vocab]. Each row's logits are exactly
  /// what forward() of that token alone gives (a sequence's output does not
  /// depend on the batch). Returns "" or the first row's error, and then
  /// changes no sequence. The default evaluates the rows one by one;
  /// compiled models decode them in one step (the weights read once).
  virtual std::string decodeBatch(const int64_t *seqs, const TokenId *tokens,
                                  int64_t n, float *logits);

protected:
  /// decodeBatch's checks: sequences in range and distinct, each token in
  /// the vocabulary and room in each sequence's context; "" or the first
  /// row's error. Selects each sequence in turn.
  std::string checkDecodeBatch(const int64_t *seqs, const TokenId *tokens,
                               int64_t n);
};

/// A LanguageModel whose sequences are positions in one array (the
/// reference and compiled models): position(), reset(), truncate(),
/// sequences() and selectSequence() over them.
class SequencesModel : public LanguageModel {
public:
  explicit SequencesModel(int64_t sequences)
      : positions_(static_cast<size_t>(sequences), 0) {}
  int64_t position() const override { return positions_[seq_]; }
  void reset() override { positions_[seq_] = 0; }
  void truncate(int64_t n) override {
    positions_[seq_] = n < positions_[seq_] ? n : positions_[seq_];
  }
  int64_t sequences() const override {
    return static_cast<int64_t>(positions_.size());
  }
  void selectSequence(int64_t s) override { seq_ = static_cast<size_t>(s); }

protected:
  std::vector<int64_t> positions_; ///< per sequence
  size_t seq_ = 0;                 ///< the current sequence
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
