//===- HeadFormat.cpp - How the output head's weights are stored ----------===//

#include "runtime/model/HeadFormat.h"

#include "runtime/model/Half.h"
#include "runtime/ternary/Ternary.h"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace tern {

const char *headFormatName(HeadFormat format) {
  switch (format) {
  case HeadFormat::Native:
    return "native";
  case HeadFormat::Int8:
    return "int8";
  case HeadFormat::Q4:
    return "q4";
  case HeadFormat::Screened:
    return "screened";
  case HeadFormat::ScreenedQ4:
    return "screened-q4";
  }
  return "?";
}

const char *headFormatSummary(HeadFormat format) {
  switch (format) {
  case HeadFormat::Native:
    return "as stored, lossless";
  case HeadFormat::Int8:
    return "per-row scales, 1 byte a weight";
  case HeadFormat::Q4:
    return "4-bit, an f16 scale per group of 32 (Q4_0's bytes), 0.5625 "
           "bytes a weight";
  case HeadFormat::Screened:
    return "decode scores every row with an int8 copy and recomputes "
           "natively the rows that can be the largest: greedy tokens are "
           "the native head's";
  case HeadFormat::ScreenedQ4:
    return "screened with the q4 copy as its screen, 0.5625 bytes a weight: "
           "greedy tokens are the native head's";
  }
  return "?";
}

std::string headFormatHelp() {
  std::string help;
  for (HeadFormat f : kHeadFormats)
    help += std::string(help.empty() ? "" : ", ") + headFormatName(f) + " (" +
            headFormatSummary(f) + ")";
  return help;
}

std::optional<HeadFormat> parseHeadFormat(const std::string &name) {
  for (HeadFormat f : kHeadFormats)
    if (name == headFormatName(f))
      return f;
  return std::nullopt;
}

HeadFormat headCodesFormat(HeadFormat format) {
  return format == HeadFormat::Screened     ? HeadFormat::Int8
         : format == HeadFormat::ScreenedQ4 ? HeadFormat::Q4
                                            : format;
}

std::string headFormatNames() {
  const size_t count = std::size(kHeadFormats);
  std::string names;
  for (size_t i = 0; i < count; ++i)
    names += std::string(i == 0 ? "" : i + 1 == count ? " or " : ", ") +
             headFormatName(kHeadFormats[i]);
  return names;
}

int64_t headCodeBytesPerRow(HeadFormat format, int64_t cols) {
  format = headCodesFormat(format);
  return format == HeadFormat::Int8 ? cols
         : format == HeadFormat::Q4 ? cols / 2
                                    : 0;
}

int64_t headScalesPerRow(HeadFormat format, int64_t cols) {
  format = headCodesFormat(format);
  return format == HeadFormat::Int8 ? 1
         : format == HeadFormat::Q4 ? cols / kHeadQ4Group
                                    : 0;
}

int64_t headScaleBytes(HeadFormat format) {
  format = headCodesFormat(format);
  return format == HeadFormat::Int8 ? 4 : format == HeadFormat::Q4 ? 2 : 0;
}

std::string checkHeadFormat(HeadFormat format, int64_t cols) {
  if (cols <= 0)
    return "the head has " + std::to_string(cols) + " columns";
  if (headCodesFormat(format) == HeadFormat::Int8 && cols > kHeadInt8MaxCols)
    return std::string("an ") +
           (format == HeadFormat::Screened ? "int8 screen" : "int8 head") +
           "'s integer dot products hold rows of at most " +
           std::to_string(kHeadInt8MaxCols) + " columns (got " +
           std::to_string(cols) + ")";
  if (headCodesFormat(format) == HeadFormat::Q4 && cols % kHeadQ4Group != 0)
    return std::string("a ") +
           (format == HeadFormat::ScreenedQ4 ? "q4 screen" : "q4 head") +
           " needs a hidden size divisible by " +
           std::to_string(kHeadQ4Group) + " (got " + std::to_string(cols) +
           ")";
  return "";
}

namespace {

/// round_half_even(v / s) clamped to [-limit, limit]; 0 when s == 0.
int quantizeValue(float v, float s, int limit) {
  if (s == 0.0f)
    return 0;
  const float q = std::nearbyint(v / s);
  return static_cast<int>(std::min(std::max(q, float(-limit)), float(limit)));
}

float absMax(const float *w, int64_t n) {
  float m = 0.0f;
  for (int64_t i = 0; i < n; ++i)
    m = std::max(m, std::fabs(w[i]));
  return m;
}

} // namespace

float halfScale(float absmax, int limit) {
  const uint16_t largest = 0x7bff;
  const float l = static_cast<float>(limit);
  if (!(absmax / l < fp16ToFloat(largest)))
    return fp16ToFloat(largest);
  uint16_t bits = floatToFp16(absmax / l);
  if (fp16ToFloat(bits) * (l + 0.5f) < absmax && bits < largest)
    ++bits;
  return fp16ToFloat(bits);
}

void quantizeHeadRow(HeadFormat format, const float *w, int64_t cols,
                     uint8_t *codes, float *scales) {
  format = headCodesFormat(format);
  if (format == HeadFormat::Int8) {
    const float s = absMax(w, cols) / 127.0f;
    scales[0] = s;
    for (int64_t i = 0; i < cols; ++i)
      codes[i] = static_cast<uint8_t>(static_cast<int8_t>(
          quantizeValue(w[i], s, 127)));
    return;
  }
  if (format == HeadFormat::Q4) {
    const int64_t half = kHeadQ4Group / 2;
    for (int64_t g = 0; g < cols / kHeadQ4Group; ++g) {
      const float *wg = w + g * kHeadQ4Group;
      const float s = halfScale(absMax(wg, kHeadQ4Group), 7);
      scales[g] = s;
      for (int64_t j = 0; j < half; ++j) {
        const int lo = quantizeValue(wg[j], s, 7) + 8;
        const int hi = quantizeValue(wg[j + half], s, 7) + 8;
        codes[g * half + j] = static_cast<uint8_t>(lo | (hi << 4));
      }
    }
  }
}

void headRowFactors(HeadFormat format, const uint8_t *codes,
                    const float *scales, int64_t cols, float *out) {
  format = headCodesFormat(format);
  if (format == HeadFormat::Int8) {
    for (int64_t i = 0; i < cols; ++i)
      out[i] = static_cast<float>(static_cast<int8_t>(codes[i]));
    return;
  }
  if (format == HeadFormat::Q4) {
    const int64_t half = kHeadQ4Group / 2;
    for (int64_t g = 0; g < cols / kHeadQ4Group; ++g) {
      const float s = scales[g];
      for (int64_t j = 0; j < half; ++j) {
        const uint8_t b = codes[g * half + j];
        out[g * kHeadQ4Group + j] = static_cast<float>((b & 15) - 8) * s;
        out[g * kHeadQ4Group + j + half] =
            static_cast<float>((b >> 4) - 8) * s;
      }
    }
  }
}

float dotHead(const float *x, const float *w, int64_t n) {
  float p[32] = {};
  if (n % 32 != 0) {
    // dotF32's order (8 lanes, the tail continuing lane by lane).
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
      for (int l = 0; l < 8; ++l)
        p[l] += x[i + l] * w[i + l];
    for (int l = 0; i < n; ++i, ++l)
      p[l] += x[i] * w[i];
  } else {
    for (int64_t i = 0; i < n; i += 32)
      for (int l = 0; l < 32; ++l)
        p[l] += x[i + l] * w[i + l];
    for (int l = 0; l < 8; ++l)
      p[l] = (p[l] + p[l + 16]) + (p[l + 8] + p[l + 24]);
  }
  return ((p[0] + p[4]) + (p[2] + p[6])) + ((p[1] + p[5]) + (p[3] + p[7]));
}

float fold16(const float *p) {
  float q[8];
  for (int l = 0; l < 8; ++l)
    q[l] = p[l] + p[l + 8];
  return ((q[0] + q[4]) + (q[2] + q[6])) + ((q[1] + q[5]) + (q[3] + q[7]));
}

float q4HeadLogit(const int8_t *xq, float xs, const uint8_t *codes,
                  const float *scales, int64_t cols) {
  const int64_t half = kHeadQ4Group / 2;
  float p[16] = {};
  for (int64_t g = 0; g < cols / kHeadQ4Group; ++g) {
    const int8_t *x = xq + g * kHeadQ4Group;
    int32_t sum = 0;
    for (int64_t j = 0; j < half; ++j) {
      const uint8_t b = codes[g * half + j];
      sum += ((b & 15) - 8) * x[j] + ((b >> 4) - 8) * x[j + half];
    }
    p[g % 16] += static_cast<float>(sum) * scales[g];
  }
  return fold16(p) * (1.0f / xs);
}

float int8HeadLogit(const int8_t *xq, float xs, const uint8_t *codes,
                    float scale, int64_t cols) {
  int32_t sum = 0;
  for (int64_t j = 0; j < cols; ++j)
    sum += static_cast<int8_t>(codes[j]) * std::max<int32_t>(xq[j], -127);
  return static_cast<float>(sum) * scale * (1.0f / xs);
}

float quantizeScreenRow(const float *x, int64_t cols, int16_t *u) {
  const float m = absMax(x, cols);
  const float k = static_cast<float>(kScreenRowMax);
  const float xs = m > 0.0f ? k / m : 1.0f;
  for (int64_t i = 0; i < cols; ++i) {
    // fmax turns a NaN product into 0, as the compiled maxnum does.
    const float t =
        std::min(std::fmax(std::nearbyint(std::fabs(x[i]) * xs), 0.0f), k);
    const int16_t mag = static_cast<int16_t>(t);
    u[i] = x[i] < 0.0f ? static_cast<int16_t>(-mag) : mag;
  }
  return xs;
}

float screenScanLogit(const int16_t *u, float xs, const uint8_t *codes,
                      float scale, int64_t cols) {
  int64_t sum = 0;
  for (int64_t j = 0; j < cols; ++j)
    sum += static_cast<int64_t>(static_cast<int8_t>(codes[j])) * u[j];
  return static_cast<float>(sum) * scale * (1.0f / xs);
}

ScreenBound headScreenBound(const float *w, const uint8_t *codes, float scale,
                            int64_t cols) {
  // In double: |w - s q|^2, |w|^2 and s sum|q|.
  double err = 0, norm = 0, l1 = 0;
  for (int64_t i = 0; i < cols; ++i) {
    const double q = static_cast<double>(static_cast<int8_t>(codes[i])) * scale;
    err += (w[i] - q) * (w[i] - q);
    norm += double(w[i]) * w[i];
    l1 += std::fabs(q);
  }
  return screenBoundFromSums(err, norm, l1, cols);
}

ScreenBound q4ScreenBound(const float *w, const uint8_t *codes,
                          const float *scales, int64_t cols) {
  // In double (s q exact there): |w - s q|^2, |w|^2 and s sum|q|.
  const int64_t half = kHeadQ4Group / 2;
  double err = 0, norm = 0, l1 = 0;
  for (int64_t i = 0; i < cols; ++i) {
    const int64_t g = i / kHeadQ4Group, j = i % kHeadQ4Group;
    const uint8_t byte = codes[g * half + j % half];
    const int code = (j < half ? byte & 15 : byte >> 4) - 8;
    const double d = static_cast<double>(code) * scales[g];
    err += (w[i] - d) * (w[i] - d);
    norm += double(w[i]) * w[i];
    l1 += std::fabs(d);
  }
  // dotQ4's float sum: each product f32(i[g]) * s[g] rounds once, each of
  // the 16 lanes adds at most ceil(G / 16) terms, and the fold adds 4
  // levels: every term passes at most k = ceil(G / 16) + 5 roundings, so
  // the sum lies within gamma_k sum |i[g] s[g]| of the exact one, and
  // sum |i[g] s[g]| / xs <= 127 s sum|q| / xs <= l1 max|x| (1 + 2u) (max|x|
  // >= kQuantEpsilon: screenMinNorm).
  const int64_t groups = cols / kHeadQ4Group;
  const double u = 0x1p-24, k = double((groups + 15) / 16 + 5);
  const double gamma = k * u / (1 - k * u) * (1 + 2 * u);
  return screenBoundFromSums(err, norm, l1, cols, 127, gamma);
}

ScreenBound screenRowBound(HeadFormat format, const float *w,
                           const uint8_t *codes, const float *scales,
                           int64_t cols) {
  return format == HeadFormat::ScreenedQ4
             ? q4ScreenBound(w, codes, scales, cols)
             : headScreenBound(w, codes, scales[0], cols);
}

float screenMinNorm(HeadFormat format, int64_t cols) {
  if (format != HeadFormat::ScreenedQ4)
    return kScreenTinyNorm;
  // |x| >= this (as computed, within (H / 2 + 2) u of the real norm) makes
  // max|x| >= |x| / sqrt(H) at least kQuantEpsilon, so that
  // quantizeActivationRow's 1 / xs is max|x| / 127 (within 2u) and
  // max|x| <= |x|.
  const double h = static_cast<double>(cols);
  const double m =
      kQuantEpsilon * std::sqrt(h) * (1 + 0x1p-10 + h * 0x1p-24);
  float f = static_cast<float>(m);
  if (static_cast<double>(f) < m)
    f = std::nextafter(f, HUGE_VALF);
  return std::max(f, kScreenTinyNorm);
}

namespace {

/// `bound` rounded up to f32.
float roundUp(double bound) {
  float c = static_cast<float>(bound);
  if (static_cast<double>(c) < bound)
    c = std::nextafter(c, HUGE_VALF);
  return c;
}

} // namespace

ScreenBound screenBoundFromSums(double err2, double norm2, double l1,
                                int64_t cols, int32_t rowMax,
                                double scanRounding) {
  // The token row's rounding, per unit of max|x|: |x[j]| xs rounds once in
  // f32 and then to an integer (clamped to K, which |x[j]| xs exceeds by at
  // most its rounding), so |u[j] - x[j] xs| <= 1/2 + 2 K u; 1 / xs <=
  // max|x| (1 + 2u) / K: s sum|q| (1/2 + 2 K u)(1 + 2u) / K max|x|, within
  // the 0.501 / K taken here. The scan's float rounding adds scanRounding
  // l1 max|x|.
  const double u = 0x1p-24, n = static_cast<double>(cols) + 2;
  const double rows = l1 * (0.501 / rowMax + scanRounding);
  // The native f32 dot product of n terms lies within gamma = (n + 2) u /
  // (1 - (n + 2) u) times |x| |w| of its real value; |x| as computed is
  // within (n / 2 + 2) u of the real norm, and B's own sums round once
  // more: a factor of 1 + 2^-10 covers those for any n below 2^13, and 4 n
  // u for longer rows.
  const double gamma = n * u / (1 - n * u);
  const double room = 1 + 0x1p-10 + 4 * n * u;
  return {roundUp((std::sqrt(err2) + gamma * std::sqrt(norm2)) * room),
          roundUp(rows * room)};
}

} // namespace tern
