//===- Sampler.h - Picks the next token from logits -----------------------===//
//
// The order of operations (llama.cpp's usual chain):
//  1. repetition penalty over the last `repeatLastN` tokens of the history:
//     a positive logit is divided by `repeatPenalty`, a negative one
//     multiplied (each distinct token once);
//  2. temperature <= 0: greedy, the highest logit (ties: the lowest id);
//  3. otherwise top-k (k > 0), softmax of logit / temperature, top-p (the
//     smallest set of most likely tokens whose probability reaches p),
//     min-p (drop tokens below min_p times the top probability), and a draw
//     from what is left with a seeded 64-bit Mersenne twister.
// The same seed, logits and history give the same token on every platform
// (the uniform draw is built from the generator's bits, not from
// std::uniform_real_distribution).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_GENERATE_SAMPLER_H
#define TERN_RUNTIME_GENERATE_SAMPLER_H

#include "runtime/tokenizer/Tokenizer.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace tern {

struct SamplerOptions {
  float temperature = 0.0f; ///< <= 0: greedy.
  int32_t topK = 40;        ///< <= 0: off.
  float topP = 0.95f;       ///< >= 1: off.
  float minP = 0.05f;       ///< <= 0: off.
  float repeatPenalty = 1.0f; ///< 1: off.
  int32_t repeatLastN = 64;
  uint64_t seed = 0;
};

/// "" when the options are usable, else what is wrong ("--top-p 1.5 is
/// outside [0, 1]").
std::string checkSamplerOptions(const SamplerOptions &options);

class Sampler {
public:
  explicit Sampler(const SamplerOptions &options);

  /// The next token given `logits` [vocab] and the tokens so far.
  TokenId sample(const float *logits, int64_t vocab,
                 const std::vector<TokenId> &history);

  /// A uniform double in [0, 1) from the generator (53 random bits).
  double uniform();

  const SamplerOptions &options() const { return options_; }

private:
  SamplerOptions options_;
  std::mt19937_64 rng_;
  std::vector<float> work_;
  std::vector<TokenId> ids_;
};

} // namespace tern

#endif // TERN_RUNTIME_GENERATE_SAMPLER_H
