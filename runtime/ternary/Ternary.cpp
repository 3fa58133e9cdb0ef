//===- Ternary.cpp - Reference semantics of the ternary arithmetic ------===//

#include "runtime/ternary/Ternary.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace tern {

float roundHalfEven(float x) {
  float r = std::round(x); // ties away from zero
  if (std::fabs(x - std::trunc(x)) == 0.5f) {
    // A tie: std::round went away from zero; step back if that is odd.
    if (std::fmod(r, 2.0f) != 0.0f)
      r -= std::copysign(1.0f, x);
  }
  return r;
}

float quantizeActivationRow(const float *x, int64_t k, int8_t *q) {
  float absmax = kQuantEpsilon;
  for (int64_t i = 0; i < k; ++i)
    absmax = std::max(absmax, std::fabs(x[i]));
  const float s = 127.0f / absmax;
  for (int64_t i = 0; i < k; ++i) {
    float v = roundHalfEven(x[i] * s);
    v = std::min(127.0f, std::max(-128.0f, v));
    q[i] = static_cast<int8_t>(v);
  }
  return s;
}

void quantizeActivations(const float *x, int64_t m, int64_t k, int8_t *q,
                         float *s) {
  for (int64_t r = 0; r < m; ++r)
    s[r] = quantizeActivationRow(x + r * k, k, q + r * k);
}

float absmeanScale(const float *w, int64_t count) {
  double sum = 0.0;
  for (int64_t i = 0; i < count; ++i)
    sum += static_cast<double>(std::fabs(w[i]));
  float mean = count > 0 ? static_cast<float>(sum / static_cast<double>(count))
                         : 0.0f;
  return std::max(mean, kQuantEpsilon);
}

int8_t ternarize(float w, float beta) {
  float v = roundHalfEven(w * (1.0f / beta));
  return static_cast<int8_t>(std::min(1.0f, std::max(-1.0f, v)));
}

float absmeanQuantize(const float *w, int64_t count, int8_t *t) {
  const float beta = absmeanScale(w, count);
  for (int64_t i = 0; i < count; ++i)
    t[i] = ternarize(w[i], beta);
  return beta;
}

void ternaryMatmul(const int8_t *a, const int8_t *w, int64_t m, int64_t n,
                   int64_t k, int32_t *acc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int32_t sum = 0;
      for (int64_t p = 0; p < k; ++p)
        sum += int32_t(a[i * k + p]) * int32_t(w[j * k + p]);
      acc[i * n + j] = sum;
    }
}

void rescale(const int32_t *acc, const float *s, float beta, int64_t m,
             int64_t n, float *y) {
  for (int64_t i = 0; i < m; ++i) {
    const float f = beta / s[i];
    for (int64_t j = 0; j < n; ++j)
      y[i * n + j] = static_cast<float>(acc[i * n + j]) * f;
  }
}

void bitlinear(const float *x, const int8_t *t, float beta, int64_t m,
               int64_t n, int64_t k, float *y) {
  std::vector<int8_t> q(static_cast<size_t>(m * k));
  std::vector<float> s(static_cast<size_t>(m));
  std::vector<int32_t> acc(static_cast<size_t>(m * n));
  quantizeActivations(x, m, k, q.data(), s.data());
  ternaryMatmul(q.data(), t, m, n, k, acc.data());
  rescale(acc.data(), s.data(), beta, m, n, y);
}

} // namespace tern
