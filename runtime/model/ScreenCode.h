//===- ScreenCode.h - Uniform codes a head screen could read -------------===//
//
// The screened head (HeadFormat.h) scores every vocabulary row with an int8
// copy of the head and recomputes natively the rows whose error bound
// reaches the best native logit. How many rows that is, and so how many
// bytes a screen saves, depends on the code: fewer bits per weight read
// fewer bytes but widen every row's bound. A ScreenCode describes one
// uniform code for studying that trade (`tern screen-study`):
//
//   bits b in [2, 8], L = 2^(b-1) - 1; one f32 scale per `group`
//   consecutive weights of a row (0: one per row), s = absmax(group) / L,
//   or with the suffix "h" one f16 scale, s = halfScale(absmax(group), L)
//   (the nearest f16; HeadFormat.h); q = clamp(round_half_even(w / s),
//   -L, L) (s = 0: q = 0),
//
// as the int8 and q4 head formats quantize: "b8row" is the screened head's
// int8 copy exactly (its codes, scale, scan logit and bound; the test
// checks it bit for bit), "b4g32h" the q4 format's codes and f16 scales
// (0.5625 bytes a weight; "b4g32", with f32 scales, 0.625).
//
// The scan, for a token row quantized as the screen quantizes it
// (quantizeScreenRow: u, xs): each group's sum i[g] = sum_j q[j] u[j] is
// exact (in i64), and a = float(sum_g double(s[g]) * i[g] * (1 / double(xs)))
// with the sum in increasing g; for one group per row it is the int8
// screen's screenScanLogit. The bound (screenCodeBound) is the screened
// head's with the code's own error: |w - s q| |x|, the token row's rounding
// sum_j s |q[j]| max|x| / 2K, the native dot product's rounding and the
// same room for roundings; the double sum's error (about 2^-53 per group
// of sum |s q u| / xs) lies far inside that room, and a's final rounding
// within the |a| 2^-20 that screenMargin adds. So for every code, |native
// logit - a| <= screenMargin(a, bound, x), and screenHeadLogits keeps the
// native head's largest logit and its row.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_MODEL_SCREENCODE_H
#define TERN_RUNTIME_MODEL_SCREENCODE_H

#include "runtime/model/HeadFormat.h"
#include "runtime/model/OrError.h"

#include <cstdint>
#include <string>

namespace tern {

struct ScreenCode {
  int bits = 8;
  /// Weights per scale; 0: one scale per row.
  int64_t group = 0;
  /// f16 scales (the name's suffix "h") instead of f32.
  bool halfScales = false;
};

constexpr int kScreenCodeMinBits = 2;
constexpr int kScreenCodeMaxBits = 8;

/// "b<bits>row" or "b<bits>g<group>", "h" after it for f16 scales.
std::string screenCodeName(const ScreenCode &code);

/// Parses screenCodeName's form, or the head format names "int8" (b8row)
/// and "q4" (b4g32h); the error names `name` and the expected form.
OrError<ScreenCode> parseScreenCode(const std::string &name);

/// An empty string, or why `code` cannot quantize rows of `cols` weights.
std::string checkScreenCode(const ScreenCode &code, int64_t cols);

/// Scales per row of `cols` weights.
int64_t screenCodeScalesPerRow(const ScreenCode &code, int64_t cols);

/// Bytes a scan reads per weight: bits / 8 for the codes and 4 bytes per
/// scale (2 for f16 scales).
double screenCodeBytesPerWeight(const ScreenCode &code, int64_t cols);

/// Quantizes one row `w` [cols] into `q` [cols] and `scales`
/// [screenCodeScalesPerRow].
void quantizeScreenCodeRow(const ScreenCode &code, const float *w,
                           int64_t cols, int8_t *q, float *scales);

/// The scan's logit a of one row (`q`, `scales`) for a token row quantized
/// by quantizeScreenRow (`u`, its scale `xs`).
float screenCodeLogit(const ScreenCode &code, const int16_t *u, float xs,
                      const int8_t *q, const float *scales, int64_t cols);

/// bound[v] for the native row `w` [cols] and its codes: the screened
/// head's headScreenBound with this code's error.
ScreenBound screenCodeBound(const ScreenCode &code, const float *w,
                            const int8_t *q, const float *scales,
                            int64_t cols);

} // namespace tern

#endif // TERN_RUNTIME_MODEL_SCREENCODE_H
