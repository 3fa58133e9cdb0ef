//===- HeadFormat.h - How the output head's weights are stored ------------===//
//
// The output head (the tied embedding for BitNet b1.58 2B4T: 128256 x 2560
// in f16, 0.66 GB) is read in full for every generated token, so its
// storage decides much of decode speed. Three formats:
//
//  * native: the model's own dense type (f16, bf16 or f32), lossless.
//      logit = dotHead(x, float(w))
//  * int8:   one f32 scale per vocabulary row, s = absmax(row) / 127,
//            q = clamp(round_half_even(w / s), -127, 127) (s = 0: q = 0).
//      logit = dotHead(x, float(q)) * s                     (1 byte/weight)
//  * q4:     groups of 32 along the row, one f32 scale each,
//            s = absmax(group) / 7, q in [-7, 7] the same way; the 32 codes
//            of a group are 16 bytes, byte j = (q[j] + 8) | (q[j+16] + 8) << 4.
//      logit = dotHead(x, float(q) * s)            (0.625 bytes/weight)
//
// dotHead sums in float in a fixed order the compiler reproduces in vector
// lanes: 32 interleaved partial sums p[l] (element i goes to l = i % 32),
// folded to 8 as p[l] = (p[l] + p[l+16]) + (p[l+8] + p[l+24]), then
// ((p0+p4)+(p2+p6))+((p1+p5)+(p3+p7)). Rows whose length is not a
// multiple of 32 use dotF32's 8 lanes. Compiled heads and the reference
// therefore give bit-identical logits for each format.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_MODEL_HEADFORMAT_H
#define TERN_RUNTIME_MODEL_HEADFORMAT_H

#include <cstdint>
#include <optional>
#include <string>

namespace tern {

enum class HeadFormat { Native, Int8, Q4 };

/// Codes per q4 group (and per f32 scale).
constexpr int64_t kHeadQ4Group = 32;

/// "native", "int8", "q4".
const char *headFormatName(HeadFormat format);
std::optional<HeadFormat> parseHeadFormat(const std::string &name);

/// Bytes of codes per row and f32 scales per row of a quantized head with
/// `cols` columns (q4 needs cols % kHeadQ4Group == 0; native: 0 and 0).
int64_t headCodeBytesPerRow(HeadFormat format, int64_t cols);
int64_t headScalesPerRow(HeadFormat format, int64_t cols);

/// An empty string, or why `format` cannot store a head of `cols` columns.
std::string checkHeadFormat(HeadFormat format, int64_t cols);

/// Quantizes one row `w` [cols] of floats into `codes`
/// [headCodeBytesPerRow] and `scales` [headScalesPerRow] (int8 or q4).
void quantizeHeadRow(HeadFormat format, const float *w, int64_t cols,
                     uint8_t *codes, float *scales);

/// The floats dotHead multiplies x by for one quantized row: float(q) for
/// int8 (the row scale is applied to the sum), float(q) * s for q4.
void headRowFactors(HeadFormat format, const uint8_t *codes,
                    const float *scales, int64_t cols, float *out);

/// The head's dot product in the fixed order described above.
float dotHead(const float *x, const float *w, int64_t n);

} // namespace tern

#endif // TERN_RUNTIME_MODEL_HEADFORMAT_H
