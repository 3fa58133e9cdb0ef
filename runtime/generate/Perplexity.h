//===- Perplexity.h - How well a model predicts a text --------------------===//
//
// `tern perplexity MODEL -f FILE` (reference forward pass) and
// `./OUT perplexity -f FILE` (a compiled executable) score a text with the
// method of llama.cpp's llama-perplexity, so that figures compare:
//
//   - the whole text is tokenized once (no special-token parsing);
//   - it is cut into non-overlapping chunks of -c tokens (the remainder is
//     dropped); the first token of each chunk is replaced by
//     <|begin_of_text|> and the chunk is evaluated as one prefill;
//   - only the second half of each chunk is scored: the logits at position
//     j (j from c/2 to c-2) predict the token at j+1, so every scored token
//     has at least c/2 tokens of context.
//
// Printed on stdout: the running estimate after each chunk
// ("[1]12.3456,[2]11.9876,..."), then
//   Final estimate: PPL = 12.3456 +/- 0.12345
// where the uncertainty is PPL times the standard error of the mean
// negative log-likelihood.
//
// KL divergence against another model or lowering: `--save-base FILE`
// writes the log-probabilities of every scored position (float32 .npy of
// [positions, vocab]); `--kl-divergence --base FILE` scores against them:
// mean KL(base || this) with its standard error, and how often both rank
// the same token first.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_GENERATE_PERPLEXITY_H
#define TERN_RUNTIME_GENERATE_PERPLEXITY_H

#include "runtime/generate/RunCli.h"
#include "runtime/support/LogitStats.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tern {

struct PerplexityOptions {
  std::string model; ///< tern perplexity's MODEL argument.
  std::string file;  ///< -f: the text.
  int64_t contextSize = 512; ///< -c: tokens per chunk.
  int64_t chunks = -1;       ///< --chunks: at most this many (-1: all).
  int threads = 0;
  HeadFormat head = HeadFormat::Native; ///< --head (model files only).
  std::string saveBase;                 ///< --save-base FILE
  bool klDivergence = false;            ///< --kl-divergence
  std::string base;                     ///< --base FILE
  bool help = false;
};

/// Parses the flags (`args` without the program and subcommand). With
/// `modelArg`, MODEL is the one positional argument.
OrError<PerplexityOptions>
parsePerplexityOptions(const std::vector<std::string> &args, bool modelArg);

/// The mean of the scored tokens' negative log-likelihoods, or of the
/// positions' KL divergences, and its standard error (Welford's update:
/// equal values give an error of exactly 0).
class MeanEstimate {
public:
  void add(double v) {
    ++count_;
    const double delta = v - mean_;
    mean_ += delta / static_cast<double>(count_);
    m2_ += delta * (v - mean_);
  }
  int64_t count() const { return count_; }
  double mean() const { return mean_; }
  /// Standard error of the mean (0 with fewer than two values).
  double standardError() const;

private:
  int64_t count_ = 0;
  double mean_ = 0, m2_ = 0;
};

/// log softmax of `logits[0..vocab)` into `out`, in double precision.
void logSoftmax(const float *logits, int64_t vocab, std::vector<double> &out);

/// KL(base || model) of two log-probability rows: sum of
/// exp(base) * (base - model), the base (stored as float) renormalized
/// first; rounding below 0 reads as 0.
double klDivergence(const float *baseLogProbs, const std::vector<double> &model);

/// Index of the largest value (the first of equals; LogitStats.h has the
/// float form).
int64_t argmax(const std::vector<double> &v);

/// Parses `args`, loads the backend, scores the text. Returns the exit code;
/// errors go to stderr as "<program>: error: ...".
int perplexityMain(const std::string &program,
                   const std::vector<std::string> &args, bool modelArg,
                   const RunBackendLoader &load);

} // namespace tern

#endif // TERN_RUNTIME_GENERATE_PERPLEXITY_H
