//===- LogitStats.h - How far two sets of logits are apart ----------------===//
//
// `tern compare-logits A.npy B.npy`: the effect of a lossy choice (a
// quantized head, a new kernel with another rounding) on the logits of the
// same positions, in the measures llama.cpp's perplexity/KL tools report:
// the largest absolute difference, the RMS difference relative to A's RMS,
// how often the most likely token agrees, and the KL divergence of B's
// softmax from A's (nats, in double); and how many logits of each row are
// equal bit for bit (a screened head's recomputed rows are the native
// head's exactly, the others not).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SUPPORT_LOGITSTATS_H
#define TERN_RUNTIME_SUPPORT_LOGITSTATS_H

#include <cstdint>

namespace tern {

struct LogitStats {
  int64_t rows = 0;
  double maxAbsDiff = 0;
  double relRmsDiff = 0; ///< rms(B - A) / rms(A)
  int64_t top1Agree = 0; ///< rows whose argmax is the same
  double meanKl = 0;     ///< mean over rows of KL(softmax A || softmax B)
  double maxKl = 0;
  /// Logits per row equal bit for bit: the smallest, median (the lower of
  /// the middle two) and largest count over the rows.
  int64_t equalMin = 0, equalMedian = 0, equalMax = 0;
};

/// log(sum(exp(x))) over `n` values, in double (the softmax's
/// normalizer; `x - logSumExp(x)` are log-probabilities).
double logSumExp(const float *x, int64_t n);

/// Index of the largest of `n` values (the first of equals).
int64_t argmax(const float *x, int64_t n);

/// Compares `rows` rows of `vocab` logits.
LogitStats compareLogits(const float *a, const float *b, int64_t rows,
                         int64_t vocab);

} // namespace tern

#endif // TERN_RUNTIME_SUPPORT_LOGITSTATS_H
