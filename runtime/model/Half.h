//===- Half.h - IEEE binary16 and bfloat16 conversions --------------------===//
//
// Bit-exact conversions between float and the two 16-bit float formats that
// model files store: IEEE 754 binary16 ("F16", ggml_fp16_t) and bfloat16
// ("BF16", the upper half of a float). Narrowing rounds to nearest, ties to
// even; NaN stays NaN, overflow becomes infinity. No hardware support needed.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_MODEL_HALF_H
#define TERN_RUNTIME_MODEL_HALF_H

#include <cstdint>

namespace tern {

/// binary16 bits -> float (exact, including subnormals, infinities, NaN).
float fp16ToFloat(uint16_t bits);

/// float -> binary16 bits, round to nearest even.
uint16_t floatToFp16(float value);

/// bfloat16 bits -> float (exact).
float bf16ToFloat(uint16_t bits);

/// float -> bfloat16 bits, round to nearest even (NaN stays a quiet NaN).
uint16_t floatToBf16(float value);

} // namespace tern

#endif // TERN_RUNTIME_MODEL_HALF_H
