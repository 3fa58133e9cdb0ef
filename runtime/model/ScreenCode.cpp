//===- ScreenCode.cpp - Uniform codes a head screen could read -----------===//

#include "runtime/model/ScreenCode.h"

#include "runtime/model/HeadFormat.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace tern {

std::string screenCodeName(const ScreenCode &code) {
  return "b" + std::to_string(code.bits) +
         (code.group == 0 ? std::string("row")
                          : "g" + std::to_string(code.group)) +
         (code.halfScales ? "h" : "");
}

namespace {

/// The decimal number at the start of `s` (at most 9 digits), or -1.
int64_t leadingNumber(const std::string &s, size_t &pos) {
  size_t end = pos;
  while (end < s.size() && end - pos < 10 && s[end] >= '0' && s[end] <= '9')
    ++end;
  if (end == pos || end - pos > 9)
    return -1;
  const int64_t v = std::strtoll(s.substr(pos, end - pos).c_str(), nullptr, 10);
  pos = end;
  return v;
}

} // namespace

OrError<ScreenCode> parseScreenCode(const std::string &name) {
  using R = OrError<ScreenCode>;
  if (name == headFormatName(HeadFormat::Int8))
    return R(ScreenCode{8, 0});
  if (name == headFormatName(HeadFormat::Q4))
    return R(ScreenCode{4, kHeadQ4Group, true});
  const std::string form =
      "'" + name + "' is not a screen code (b<bits>row or b<bits>g<group>, "
      "h after it for f16 scales, e.g. b8row, b6g64, b4g32h; or int8, q4)";
  size_t pos = 1;
  if (name.empty() || name[0] != 'b')
    return R::failure(form);
  const int64_t bits = leadingNumber(name, pos);
  if (bits < 0)
    return R::failure(form);
  if (bits < kScreenCodeMinBits || bits > kScreenCodeMaxBits)
    return R::failure("screen code '" + name + "': " + std::to_string(bits) +
                      " bits (a code has " +
                      std::to_string(kScreenCodeMinBits) + " to " +
                      std::to_string(kScreenCodeMaxBits) + ")");
  ScreenCode code{static_cast<int>(bits), 0};
  // The suffix "h": f16 scales.
  size_t end = name.size();
  if (end > pos && name[end - 1] == 'h') {
    code.halfScales = true;
    --end;
  }
  if (end - pos == 3 && name.compare(pos, 3, "row") == 0)
    return R(code);
  if (pos >= end || name[pos] != 'g')
    return R::failure(form);
  ++pos;
  const int64_t group = leadingNumber(name, pos);
  if (group < 0 || pos != end)
    return R::failure(form);
  if (group == 0)
    return R::failure("screen code '" + name +
                      "': a group holds at least one weight");
  code.group = group;
  return R(code);
}

std::string checkScreenCode(const ScreenCode &code, int64_t cols) {
  if (code.bits < kScreenCodeMinBits || code.bits > kScreenCodeMaxBits)
    return screenCodeName(code) + ": " + std::to_string(code.bits) +
           " bits (a code has " + std::to_string(kScreenCodeMinBits) +
           " to " + std::to_string(kScreenCodeMaxBits) + ")";
  if (cols <= 0)
    return "the head has " + std::to_string(cols) + " columns";
  if (code.group < 0 || (code.group > 0 && cols % code.group != 0))
    return screenCodeName(code) + ": groups of " +
           std::to_string(code.group) + " do not divide a row of " +
           std::to_string(cols);
  if (cols > kHeadInt8MaxCols)
    return screenCodeName(code) + ": rows of at most " +
           std::to_string(kHeadInt8MaxCols) + " columns (got " +
           std::to_string(cols) + ")";
  return "";
}

int64_t screenCodeScalesPerRow(const ScreenCode &code, int64_t cols) {
  return code.group == 0 ? 1 : cols / code.group;
}

double screenCodeBytesPerWeight(const ScreenCode &code, int64_t cols) {
  return code.bits / 8.0 +
         (code.halfScales ? 2.0 : 4.0) *
             static_cast<double>(screenCodeScalesPerRow(code, cols)) /
             static_cast<double>(cols);
}

namespace {

int64_t groupSize(const ScreenCode &code, int64_t cols) {
  return code.group == 0 ? cols : code.group;
}

} // namespace

void quantizeScreenCodeRow(const ScreenCode &code, const float *w,
                           int64_t cols, int8_t *q, float *scales) {
  const int limit = (1 << (code.bits - 1)) - 1;
  const int64_t g = groupSize(code, cols);
  for (int64_t begin = 0, k = 0; begin < cols; begin += g, ++k) {
    float m = 0.0f;
    for (int64_t i = begin; i < begin + g; ++i)
      m = std::max(m, std::fabs(w[i]));
    // The int8 and q4 formats' scales, so that b8row is int8's scale and
    // b4g32h q4's.
    const float s = code.halfScales ? halfScale(m, limit)
                                    : m / static_cast<float>(limit);
    scales[k] = s;
    for (int64_t i = begin; i < begin + g; ++i) {
      const float v =
          s == 0.0f ? 0.0f
                    : std::min(std::max(std::nearbyint(w[i] / s),
                                        static_cast<float>(-limit)),
                               static_cast<float>(limit));
      q[i] = static_cast<int8_t>(v);
    }
  }
}

float screenCodeLogit(const ScreenCode &code, const int16_t *u, float xs,
                      const int8_t *q, const float *scales, int64_t cols) {
  if (code.group == 0)
    return screenScanLogit(u, xs, reinterpret_cast<const uint8_t *>(q),
                           scales[0], cols);
  double sum = 0;
  for (int64_t begin = 0, k = 0; begin < cols; begin += code.group, ++k) {
    int64_t i = 0;
    for (int64_t j = begin; j < begin + code.group; ++j)
      i += static_cast<int64_t>(q[j]) * u[j];
    sum += static_cast<double>(scales[k]) * static_cast<double>(i);
  }
  return static_cast<float>(sum * (1.0 / static_cast<double>(xs)));
}

ScreenBound screenCodeBound(const ScreenCode &code, const float *w,
                            const int8_t *q, const float *scales,
                            int64_t cols) {
  const int64_t g = groupSize(code, cols);
  // As headScreenBound sums them, term by term.
  double err = 0, norm = 0, l1 = 0;
  for (int64_t i = 0; i < cols; ++i) {
    const double d = static_cast<double>(q[i]) * scales[i / g];
    err += (w[i] - d) * (w[i] - d);
    norm += double(w[i]) * w[i];
    l1 += std::fabs(d);
  }
  return screenBoundFromSums(err, norm, l1, cols);
}

} // namespace tern
