//===- TestRows.h - Random rows for the head format tests -----------------===//
//
// Test-only: rows of Gaussian values from a fixed seed, as head weights
// (sigma 0.05, the scale of a trained embedding's entries) or token rows.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_MODEL_TESTROWS_H
#define TERN_RUNTIME_MODEL_TESTROWS_H

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

} // namespace tern::testrows

#endif // TERN_RUNTIME_MODEL_TESTROWS_H
