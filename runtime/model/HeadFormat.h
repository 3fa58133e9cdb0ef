//===- HeadFormat.h - How the output head's weights are stored ------------===//
//
// The output head (the tied embedding for BitNet b1.58 2B4T: 128256 x 2560
// in f16, 0.66 GB) is read in full for every generated token, so its
// storage decides much of decode speed. Four formats:
//
//  * native: the model's own dense type (f16, bf16 or f32), lossless.
//      logit = dotHead(x, float(w))
//  * int8:   one f32 scale per vocabulary row, s = absmax(row) / 127,
//            q = clamp(round_half_even(w / s), -127, 127) (s = 0: q = 0).
//            Integer dot products: the token row is quantized as every
//            BitLinear input (quantizeActivationRow: xq, xs), clamped to
//            [-127, 127] (a finite row never holds -128), the row's sum
//            i = sum_j q[j] * xq[j] is exact in i32 (at most
//            kHeadInt8MaxCols columns), and
//      logit = (float(i) * s) * (1 / xs)                   (1 byte/weight)
//            (int8HeadLogit). It carries int8 activation rounding.
//  * q4:     groups of 32 along the row, one f16 scale each (the bytes of
//            GGUF's Q4_0: 4.5 bits a weight), s = absmax(group) / 7 rounded
//            to the nearest f16 (to the next one up where the nearest would
//            put absmax(group) / s above 7.5, and at most the largest
//            finite f16), q in [-7, 7] the same way; the 32 codes of a group
//            are 16 bytes, byte j = (q[j] + 8) | (q[j+16] + 8) << 4.
//            Integer dot products: the token row is quantized as every
//            BitLinear input (quantizeActivationRow: xq, xs), each group's
//            sum i[g] = sum_j q[j] * xq[32g + j] is exact in i32, and
//      logit = dotQ4(i, s) * (1 / xs)             (0.5625 bytes/weight)
//            dotQ4: 16 partial sums p[l] = sum over g = l mod 16, in
//            increasing g, of float(i[g]) * s[g] (product, then sum),
//            folded as p[l] + p[l+8] and the lane tree below (fold16).
//            It reads half the int8 head's bytes and multiplies in bytes
//            (vpdpbusd, sdot): the fastest format where measured; it also
//            carries int8 activation rounding (no lossless claim).
//  * screened: the int8 copy screens every row, the native rows decide. For
//      one token row (decode): the token row is quantized to 15 bits,
//      quantizeScreenRow: xs = K / max|x| (K = kScreenRowMax = 127 * 128; 1
//      for a zero row), u[j] = sign(x[j]) * min(round_half_even(|x[j]| *
//      xs), K) (NaN elements give 0); each row's sum i = sum_j q[j] * u[j]
//      is exact in i64 (at most kHeadInt8MaxCols columns), and
//      a[v] = (float(i) * s) * (1 / xs)               (screenScanLogit),
//      n = sqrt(dotHead(x, x)), m = max|x|, B[v] = (c[v] * n + r[v] * m)
//      + |a[v]| * 2^-20 (screenMargin; c[v], r[v] the row's bound,
//      ScreenBound). The row p with the best lower bound a[p] - B[p]
//      (the first of equals) gets its native logit T = dotHead(x,
//      float(w[p])), computed exactly as the native head does; every other
//      row with a[v] + B[v] >= T gets its native logit too, the others keep
//      a[v] (screenHeadLogits). The bound (headScreenBound) makes |native -
//      a| <= B: c[v] for the int8 code's error |w - s q| |x| and the native
//      dot product's rounding, r[v] for the token row's rounding (s sum|q|
//      max|x| / 2K), so every row whose native logit reaches T (the largest
//      does: T is a native logit) is recomputed, and a row that is not
//      keeps a[v] < T: the largest logit, and its row, are the native
//      head's, and greedy decoding picks the native head's token. Every
//      other logit is the native one within B[v] (exact where recomputed).
//      T is at least the best lower bound max(a - B) and about B[p] above
//      it: a median of 51 rows per token recomputed on the 2B4T-shaped
//      model (docs/performance.md, "Screened head"; 1006 with that bound
//      as the threshold, measured with the float scan). The scan
//      multiplies bytes by bytes as the int8 head does (u as two byte
//      digits, 128 d1 + d0) and reads 1 byte/weight: a core's float
//      throughput bounded its float form (the codes widened to f32 against
//      x itself; docs/performance.md, "The screen's scan in integers"). A
//      token row whose n is below kScreenTinyNorm (where the bound's
//      roundings are no longer relative ones) or not finite gets every
//      row's native logit.
//      Several token rows (prefill, batched decode): native logits.
//      Reads 1 byte/weight, 8 bytes of bound per row and the few
//      recomputed native rows.
//  * screened-q4: the q4 copy screens every row, the native rows decide,
//      as screened does with these differences. The scan is the q4 head:
//      the token row quantized as every BitLinear input
//      (quantizeActivationRow, K = 127), a[v] = q4HeadLogit; bound[v]
//      (q4ScreenBound) has c[v] for the q4 code's error and r[v] for the
//      8-bit token row's rounding (s sum|q| max|x| / (2 * 127)) and the
//      float sum over the groups (within (G/16 + 5) 2^-24 of sum |i[g]
//      s[g]| / xs, G groups, at most 127 s sum|q| / xs <= s sum|q| max|x|
//      (1 + 2^-23)). quantizeActivationRow divides by max(max|x|,
//      kQuantEpsilon), so a token row whose n is below screenMinNorm =
//      kQuantEpsilon sqrt(H) (1 + 2^-10 + H 2^-24), where max|x| could be
//      below kQuantEpsilon, gets every row's native logit. Reads 0.5625
//      bytes/weight plus 8 bytes of bound per row. Its r[v] is 128 times
//      the int8 screen's: the token row's rounding is taken against max|x|
//      rather than |x| (for a row of 2560 values without outliers, max|x|
//      is about |x| / 14) so that it stays below the q4 code's own error.
//      Where the logits are flat (random weights) nearly every row reaches
//      T and is recomputed, one at a time on the calling thread.
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

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace tern {

enum class HeadFormat { Native, Int8, Q4, Screened, ScreenedQ4 };

/// Every format, in the order help texts list them.
constexpr HeadFormat kHeadFormats[] = {HeadFormat::Native, HeadFormat::Int8,
                                       HeadFormat::Q4, HeadFormat::Screened,
                                       HeadFormat::ScreenedQ4};

/// Whether `format` screens decode's token row with a quantized copy
/// (screened, screened-q4).
inline bool isScreenedHead(HeadFormat format) {
  return format == HeadFormat::Screened || format == HeadFormat::ScreenedQ4;
}

/// Codes per q4 group (and per f16 scale).
constexpr int64_t kHeadQ4Group = 32;

/// The longest int8 row whose integer dot product stays within i32:
/// cols * 127 * 128 <= 2^31 - 1.
constexpr int64_t kHeadInt8MaxCols = 132104;

/// "native", "int8", "q4", "screened", "screened-q4".
const char *headFormatName(HeadFormat format);
std::optional<HeadFormat> parseHeadFormat(const std::string &name);
/// What `format` stores and reads, in a few words for help texts.
const char *headFormatSummary(HeadFormat format);
/// Every format with its summary: "native (...), int8 (...), ...".
std::string headFormatHelp();
/// Every format's name, "native, int8, q4, screened or screened-q4", for
/// messages and help texts.
std::string headFormatNames();

/// Bytes of codes per row and scales per row of a quantized head with
/// `cols` columns (q4 needs cols % kHeadQ4Group == 0; native: 0 and 0;
/// screened, screened-q4: their int8 and q4 copies').
int64_t headCodeBytesPerRow(HeadFormat format, int64_t cols);
int64_t headScalesPerRow(HeadFormat format, int64_t cols);
/// Bytes of one stored scale: 4 (f32) for int8, 2 (f16) for q4, 0 for
/// native. quantizeHeadRow hands every scale over as a float; a q4
/// scale's float is an f16 value exactly (floatToFp16 keeps it).
int64_t headScaleBytes(HeadFormat format);

/// An empty string, or why `format` cannot store a head of `cols` columns.
std::string checkHeadFormat(HeadFormat format, int64_t cols);

/// absmax / limit as an f16 scale stores it: the nearest f16, the next one
/// up where the nearest would leave absmax / s above limit + 1/2 (in the
/// subnormals), at most the largest finite f16 (q4's scales, limit 7).
float halfScale(float absmax, int limit);

/// Quantizes one row `w` [cols] of floats into `codes`
/// [headCodeBytesPerRow] and `scales` [headScalesPerRow] (int8 or q4).
void quantizeHeadRow(HeadFormat format, const float *w, int64_t cols,
                     uint8_t *codes, float *scales);

/// What the codes of one row stand for, as floats: float(q) for int8 (before
/// the row's scale), float(q) * s for q4 (the formats' logits are integer
/// dot products: int8HeadLogit, q4HeadLogit, screenScanLogit).
void headRowFactors(HeadFormat format, const uint8_t *codes,
                    const float *scales, int64_t cols, float *out);

/// The head's dot product in the fixed order described above.
float dotHead(const float *x, const float *w, int64_t n);

/// The q4 logit of one vocabulary row (`codes`, `scales` as quantizeHeadRow
/// writes them) for a token row quantized by quantizeActivationRow (`xq`,
/// its scale `xs`), as described above.
float q4HeadLogit(const int8_t *xq, float xs, const uint8_t *codes,
                  const float *scales, int64_t cols);

/// The int8 logit of one vocabulary row (`codes`, `scale` as
/// quantizeHeadRow writes them) for a token row quantized by
/// quantizeActivationRow (`xq`, its scale `xs`), as described above.
float int8HeadLogit(const int8_t *xq, float xs, const uint8_t *codes,
                    float scale, int64_t cols);

/// 16 partial sums folded as q4HeadLogit folds them.
float fold16(const float *p);

/// A screened token row of a smaller norm gets every row's native logit.
constexpr float kScreenTinyNorm = 0x1p-60f;

/// The largest |u| of a screened token row: two 7-bit digits.
constexpr int32_t kScreenRowMax = 127 * 128;

/// Quantizes the token row `x` [cols] for the screen's scan into `u` [cols]
/// as the screened format describes; returns its scale xs.
float quantizeScreenRow(const float *x, int64_t cols, int16_t *u);

/// The screen's logit a[v] of one int8 row (`codes`, `scale` as
/// quantizeHeadRow writes them) for a token row quantized by
/// quantizeScreenRow (`u`, its scale `xs`).
float screenScanLogit(const int16_t *u, float xs, const uint8_t *codes,
                      float scale, int64_t cols);

/// The format whose codes and scales the head stores: int8 for screened,
/// q4 for screened-q4.
HeadFormat headCodesFormat(HeadFormat format);

/// A row's screen bound: with n = |x| and m = max|x| of the token row x,
/// |dotHead(x, w) - a| <= perNorm * n + perMax * m + |a| * 2^-20
/// (screenMargin) for its screen's logit a.
struct ScreenBound {
  float perNorm = 0;
  float perMax = 0;
};

inline bool operator==(const ScreenBound &a, const ScreenBound &b) {
  return a.perNorm == b.perNorm && a.perMax == b.perMax;
}

/// f32 values a screened head stores per row: perNorm, perMax.
constexpr int64_t kScreenBoundValues = 2;

/// The bound of a screened head for the native row `w` [cols] and its int8
/// codes and scale (quantizeHeadRow), for every finite x of norm at least
/// kScreenTinyNorm (a = screenScanLogit of x): perNorm covers the int8
/// error |w - s q| |x| and the native dot product's rounding (within n
/// 2^-24 |x| |w|), perMax the token row's rounding (each |u[j] / xs -
/// x[j]| at most about max|x| / 2K, so s sum|q| max|x| / 2K); both carry
/// room for the rounding of |x| and of B's own arithmetic; a's four
/// roundings after the exact sum lie within |a| 2^-20.
ScreenBound headScreenBound(const float *w, const uint8_t *codes, float scale,
                            int64_t cols);

/// The bound of a screened-q4 head for the native row `w` [cols] and its
/// q4 codes and scales (quantizeHeadRow), for every finite x of norm at
/// least screenMinNorm(ScreenedQ4, cols) (a = q4HeadLogit of x quantized
/// by quantizeActivationRow), as the screened-q4 format describes.
ScreenBound q4ScreenBound(const float *w, const uint8_t *codes,
                          const float *scales, int64_t cols);

/// headScreenBound or q4ScreenBound, by the screened `format`.
ScreenBound screenRowBound(HeadFormat format, const float *w,
                           const uint8_t *codes, const float *scales,
                           int64_t cols);

/// headScreenBound from a row's sums in double: `err2` = |w - s q|^2,
/// `norm2` = |w|^2 and `l1` = sum_j |s q[j]| over its `cols` weights (any
/// code whose scan sums exactly against the token row of quantizeScreenRow:
/// ScreenCode.h). `rowMax` is the token row's K (quantizeScreenRow's
/// kScreenRowMax; 127 for quantizeActivationRow's), `scanRounding` the
/// scan's own float rounding after its exact integer sums, relative to
/// l1 * max|x| (0 where it lies within |a| 2^-20).
ScreenBound screenBoundFromSums(double err2, double norm2, double l1,
                                int64_t cols, int32_t rowMax = kScreenRowMax,
                                double scanRounding = 0);

/// The smallest token-row norm the bounds of the screened `format` hold
/// for on rows of `cols` values: kScreenTinyNorm for screened, as the
/// screened-q4 format describes for screened-q4.
float screenMinNorm(HeadFormat format, int64_t cols);

/// What a screen's margins take from a token row x: n = sqrt(dotHead(x,
/// x)) and m = max|x|.
struct ScreenRowStats {
  float norm = 0;
  float max = 0;
};

inline ScreenRowStats screenRowStats(const float *x, int64_t hidden) {
  float m = 0;
  for (int64_t i = 0; i < hidden; ++i)
    m = std::fmax(m, std::fabs(x[i]));
  return {std::sqrt(dotHead(x, x, hidden)), m};
}

/// B[v] for the logit a and the row's bound b, as the screened formats
/// compute it: (b.perNorm * n + b.perMax * m) + |a| * 2^-20.
inline float screenMargin(float a, const ScreenBound &b,
                          const ScreenRowStats &x) {
  return (b.perNorm * x.norm + b.perMax * x.max) +
         (a < 0 ? -a : a) * 0x1p-20f;
}

/// Whether a token row of norm `n` is screened (else every row gets its
/// native logit), for bounds that hold from `minNorm` up.
inline bool screenApplies(float n, float minNorm = kScreenTinyNorm) {
  return n >= minNorm && n < std::numeric_limits<float>::infinity();
}

/// The row p with the best lower bound a[v] - B[v] of `logits` a [vocab]
/// and `bounds` for the token row `x` (the first of equals; 0 for an empty
/// vocabulary).
inline int64_t screenBestLowerBound(const float *logits,
                                    const ScreenBound *bounds, int64_t vocab,
                                    const ScreenRowStats &x) {
  float best = -std::numeric_limits<float>::infinity();
  int64_t p = 0;
  for (int64_t v = 0; v < vocab; ++v) {
    const float low = logits[v] - screenMargin(logits[v], bounds[v], x);
    if (low > best) {
      best = low;
      p = v;
    }
  }
  return p;
}

/// Refines `logits` [vocab] (the screen's logits a[v] of the token row x
/// [hidden]) in place as the screened formats describe; `nativeRow(v)`
/// gives dotHead(x, float(w[v])); a row of norm below `minNorm`
/// (screenMinNorm) gets every native logit. Returns how many rows it
/// recomputed.
template <typename NativeRow>
int64_t screenHeadLogits(const float *x, int64_t hidden,
                         const ScreenBound *bounds, int64_t vocab,
                         float *logits, NativeRow nativeRow,
                         float minNorm = kScreenTinyNorm) {
  const ScreenRowStats row = screenRowStats(x, hidden);
  if (!screenApplies(row.norm, minNorm)) {
    for (int64_t v = 0; v < vocab; ++v)
      logits[v] = nativeRow(v);
    return vocab;
  }
  if (vocab == 0)
    return 0;
  const int64_t p = screenBestLowerBound(logits, bounds, vocab, row);
  const float threshold = nativeRow(p);
  logits[p] = threshold;
  int64_t recomputed = 1;
  for (int64_t v = 0; v < vocab; ++v)
    if (v != p &&
        logits[v] + screenMargin(logits[v], bounds[v], row) >= threshold) {
      logits[v] = nativeRow(v);
      ++recomputed;
    }
  return recomputed;
}

} // namespace tern

#endif // TERN_RUNTIME_MODEL_HEADFORMAT_H
