//===- LogitStats.cpp - How far two sets of logits are apart --------------===//

#include "runtime/support/LogitStats.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace tern {

double logSumExp(const float *x, int64_t n) {
  double m = -INFINITY;
  for (int64_t i = 0; i < n; ++i)
    m = std::max(m, static_cast<double>(x[i]));
  double s = 0;
  for (int64_t i = 0; i < n; ++i)
    s += std::exp(static_cast<double>(x[i]) - m);
  return m + std::log(s);
}

int64_t argmax(const float *x, int64_t n) {
  return std::max_element(x, x + n) - x;
}

LogitStats compareLogits(const float *a, const float *b, int64_t rows,
                         int64_t vocab) {
  LogitStats s;
  s.rows = rows;
  double sqDiff = 0, sqA = 0, klSum = 0;
  std::vector<int64_t> equal(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const float *ar = a + r * vocab, *br = b + r * vocab;
    for (int64_t i = 0; i < vocab; ++i) {
      equal[r] += std::memcmp(&ar[i], &br[i], sizeof(float)) == 0;
      const double d = static_cast<double>(br[i]) - ar[i];
      s.maxAbsDiff = std::max(s.maxAbsDiff, std::fabs(d));
      sqDiff += d * d;
      sqA += static_cast<double>(ar[i]) * ar[i];
    }
    if (argmax(ar, vocab) == argmax(br, vocab))
      ++s.top1Agree;
    // KL(P || Q) = sum p * (log p - log q).
    const double la = logSumExp(ar, vocab), lb = logSumExp(br, vocab);
    double kl = 0;
    for (int64_t i = 0; i < vocab; ++i) {
      const double lp = ar[i] - la, lq = br[i] - lb;
      kl += std::exp(lp) * (lp - lq);
    }
    kl = std::max(kl, 0.0); // rounding can make an exact match -1e-17
    klSum += kl;
    s.maxKl = std::max(s.maxKl, kl);
  }
  if (rows) {
    std::sort(equal.begin(), equal.end());
    s.equalMin = equal.front();
    s.equalMedian = equal[static_cast<size_t>((rows - 1) / 2)];
    s.equalMax = equal.back();
  }
  s.relRmsDiff = sqA > 0 ? std::sqrt(sqDiff / sqA) : std::sqrt(sqDiff);
  s.meanKl = rows ? klSum / static_cast<double>(rows) : 0;
  return s;
}

} // namespace tern
