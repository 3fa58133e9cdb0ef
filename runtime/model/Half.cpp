//===- Half.cpp - IEEE binary16 and bfloat16 conversions ------------------===//

#include "runtime/model/Half.h"

#include <cstring>

namespace tern {
namespace {

uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

} // namespace

float fp16ToFloat(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  if (exp == 0x1F) // Inf / NaN: keep the payload.
    return bitsFloat(sign | 0x7F800000u | (mant << 13));
  if (exp != 0) // Normal.
    return bitsFloat(sign | ((exp + 112) << 23) | (mant << 13));
  if (mant == 0) // +-0.
    return bitsFloat(sign);
  // Subnormal: normalize. value = mant * 2^-24.
  int e = -1;
  do {
    mant <<= 1;
    ++e;
  } while ((mant & 0x400u) == 0);
  mant &= 0x3FFu;
  return bitsFloat(sign | (uint32_t(112 - e) << 23) | (mant << 13));
}

uint16_t floatToFp16(float value) {
  const uint32_t f = floatBits(value);
  const uint16_t sign = static_cast<uint16_t>((f >> 16) & 0x8000u);
  const uint32_t exp = (f >> 23) & 0xFFu;
  const uint32_t mant = f & 0x7FFFFFu;
  if (exp == 0xFF) // Inf or NaN (keep NaN quiet and non-zero).
    return static_cast<uint16_t>(sign | 0x7C00u |
                                 (mant ? (0x200u | (mant >> 13)) : 0u));
  const int e = int(exp) - 127 + 15; // Biased binary16 exponent.
  if (e >= 31)
    return static_cast<uint16_t>(sign | 0x7C00u); // Overflow -> inf.
  if (e <= 0) {
    // Subnormal or zero in binary16: shift the full significand.
    if (e < -10)
      return sign; // Rounds to zero (below half the smallest subnormal).
    const uint32_t m = mant | 0x800000u;
    const int shift = 14 - e; // 14..24
    uint32_t half = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (half & 1u)))
      ++half; // May carry into the smallest normal: still correct bits.
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t h = (uint32_t(e) << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u)))
    ++h; // May carry into the exponent, up to infinity: correct.
  return static_cast<uint16_t>(sign | h);
}

float bf16ToFloat(uint16_t bits) { return bitsFloat(uint32_t(bits) << 16); }

uint16_t floatToBf16(float value) {
  const uint32_t f = floatBits(value);
  if ((f & 0x7FFFFFFFu) > 0x7F800000u) // NaN: keep sign, force quiet.
    return static_cast<uint16_t>((f >> 16) | 0x40u);
  const uint32_t rounded = f + 0x7FFFu + ((f >> 16) & 1u);
  return static_cast<uint16_t>(rounded >> 16);
}

} // namespace tern
