//===- TestRows.h - Random rows for the head format tests -----------------===//
//
// Test-only: rows of Gaussian values from a fixed seed, as head weights
// (sigma 0.05, the scale of a trained embedding's entries) or token rows.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_MODEL_TESTROWS_H
#define TERN_RUNTIME_MODEL_TESTROWS_H

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace tern::testrows {

inline std::vector<float> randomRow(int64_t n, unsigned seed,
                                    float sigma = 0.05f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, sigma);
  std::vector<float> w(static_cast<size_t>(n));
  for (float &v : w)
    v = d(rng);
  return w;
}

/// A token row: mostly values near 1, every 97th 40 times larger (as
/// RMSNorm's output with outlier channels).
inline std::vector<float> tokenRow(int64_t n, unsigned seed) {
  std::vector<float> x = randomRow(n, seed, 1.0f);
  for (int64_t i = 0; i < n; i += 97)
    x[static_cast<size_t>(i)] *= 40.0f;
  return x;
}

/// The token rows where a screen's bound is tightest for the row `w` and
/// its quantized values `dq` (codes times scales): along the quantization
/// error itself (`alongError`), where |w.x - dq.x| = |w - dq| |x|
/// (Cauchy-Schwarz is tight); else one outlier `big` at `at` (max|x| about
/// |x|) and every other element just below half of the token row's step
/// big / rowMax, its sign dq's: each rounds down by almost 1/2 in the same
/// direction of the sum (the token row's rounding term is tight).
inline std::vector<float> worstTokenRow(const std::vector<float> &w,
                                        const std::vector<float> &dq,
                                        bool alongError, float big,
                                        float rowMax, size_t at) {
  std::vector<float> x(w.size());
  for (size_t i = 0; i < w.size(); ++i)
    x[i] = alongError ? (w[i] - dq[i]) * 1e3f
                      : std::copysign(0.4995f * (big / rowMax), dq[i]);
  if (!alongError)
    x[at] = big;
  return x;
}

} // namespace tern::testrows

#endif // TERN_RUNTIME_MODEL_TESTROWS_H
