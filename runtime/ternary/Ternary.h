//===- Ternary.h - Reference semantics of the ternary arithmetic --------===//
//
// The single, plain C++ statement of what every tern op computes. The
// compiler's constant folders call these functions, the runtime's reference
// forward pass calls them, and the tests compare every generated kernel
// against them. Nothing here depends on MLIR or LLVM.
//
// Conventions (BitNet b1.58):
//  * Activations are quantized per row (token): s = 127 / max(absmax(x), 1e-5),
//    q = clamp(roundHalfEven(x * s), -128, 127).
//  * Weights are ternary {-1, 0, +1} with one fp32 scale per tensor (absmean):
//    beta = max(mean|W|, 1e-5), t = clamp(roundHalfEven(W * (1 / beta)), -1, 1).
//    mean|W| is accumulated in double, row-major, then rounded to float.
//  * A BitLinear output is y[m][n] = float(acc[m][n]) * (beta / s[m]) where
//    acc = q x t^T is computed exactly in int32.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_TERNARY_TERNARY_H
#define TERN_RUNTIME_TERNARY_TERNARY_H

#include <cstdint>

namespace tern {

/// Smallest absmax/absmean used as a divisor (guards all-zero rows/tensors).
constexpr float kQuantEpsilon = 1e-5f;

/// Round to nearest integer, ties to even (independent of the FP rounding mode).
float roundHalfEven(float x);

/// Quantizes one row of `k` activations; returns the scale s (q = x * s).
float quantizeActivationRow(const float *x, int64_t k, int8_t *q);

/// Quantizes an [m, k] row-major matrix; writes q [m, k] and s [m].
void quantizeActivations(const float *x, int64_t m, int64_t k, int8_t *q,
                         float *s);

/// mean(|w|) over `count` values, accumulated in double, rounded to float and
/// clamped below by kQuantEpsilon. `w` may be float; see the overloads below
/// for other storage types via a converter.
float absmeanScale(const float *w, int64_t count);

/// Absmean-quantizes `count` weights into ternary values; returns beta.
float absmeanQuantize(const float *w, int64_t count, int8_t *t);

/// Quantizes one weight given the tensor's beta.
int8_t ternarize(float w, float beta);

/// acc[m][n] = sum_k a[m][k] * w[n][k], exact in int32. `w` holds {-1,0,1}.
void ternaryMatmul(const int8_t *a, const int8_t *w, int64_t m, int64_t n,
                   int64_t k, int32_t *acc);

/// y[m][n] = float(acc[m][n]) * (beta / s[m]).
void rescale(const int32_t *acc, const float *s, float beta, int64_t m,
             int64_t n, float *y);

/// The fused BitLinear: quantize x [m, k], multiply by t [n, k], rescale.
void bitlinear(const float *x, const int8_t *t, float beta, int64_t m,
               int64_t n, int64_t k, float *y);

} // namespace tern

#endif // TERN_RUNTIME_TERNARY_TERNARY_H
