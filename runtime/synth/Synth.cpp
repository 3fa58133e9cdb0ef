//===- Synth.cpp - Random BitNet b1.58 models in every file format --------===//

#include "runtime/synth/Synth.h"

#include "runtime/model/Half.h"

#include <cmath>

namespace tern {

//===----------------------------------------------------------------------===//
// The generated values
//===----------------------------------------------------------------------===//

namespace synth {
namespace {

/// SplitMix64: a small, fast generator with good statistics.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

Rng rngFor(uint64_t seed, uint64_t id, int64_t row) {
  Rng r{seed * 0xD1B54A32D192ED03ull + id * 0x8CB92BA72F3D8DD7ull +
        static_cast<uint64_t>(row) * 0xA0761D6478BD642Full};
  r.next();
  return r;
}

/// Masks of 4 bits with exactly two set (6 of them; two repeated to fill 8).
constexpr uint8_t kTwoOfFour[8] = {0x3, 0x5, 0x6, 0x9, 0xA, 0xC, 0x3, 0xC};

} // namespace

void ternaryRow(uint64_t seed, uint64_t id, int64_t row, int64_t cols,
                int8_t *out) {
  Rng rng = rngFor(seed, id, row);
  uint64_t bits = 0;
  int left = 0;
  for (int64_t c = 0; c < cols; c += 4) {
    if (left < 5) {
      bits = rng.next();
      left = 64;
    }
    const uint8_t mask = kTwoOfFour[bits & 7];
    const uint8_t signs = (bits >> 3) & 3;
    bits >>= 5;
    left -= 5;
    int nonzero = 0;
    for (int j = 0; j < 4 && c + j < cols; ++j) {
      if (mask >> j & 1)
        out[c + j] = (signs >> nonzero++ & 1) ? -1 : 1;
      else
        out[c + j] = 0;
    }
  }
}

float ternaryScale(uint64_t seed, uint64_t id) {
  Rng rng = rngFor(seed, id, -1);
  return static_cast<float>(16 + rng.next() % 48) / 1024.0f;
}

void floatRow(uint64_t seed, uint64_t id, int64_t row, int64_t cols,
              float *out) {
  Rng rng = rngFor(seed, id, row);
  if (id == tensor_id::kEmbedding) {
    // Roughly like trained embeddings: bell-shaped (a sum of 4 uniforms,
    // standard deviation about 0.03) with an outlier 4x larger one time in
    // 64, so that a per-row int8 or 4-bit head loses something, as it does
    // on real checkpoints. Rounded to bf16 (and values below f16's normal
    // range to 0) so that every file format stores them exactly.
    for (int64_t c = 0; c < cols; ++c) {
      const uint64_t r = rng.next();
      float u = 0;
      for (int i = 0; i < 4; ++i)
        u += static_cast<float>((r >> (16 * i)) & 0xFFFF) / 65536.0f;
      float v = (u - 2.0f) * 0.052f;
      if ((rng.next() & 63) == 0)
        v *= 4.0f;
      v = bf16ToFloat(floatToBf16(v));
      out[c] = std::fabs(v) < 6.2e-5f ? 0.0f : v;
    }
    return;
  }
  for (int64_t c = 0; c < cols; ++c)
    out[c] = 0.5f + static_cast<float>(rng.next() % 64) / 128.0f;
}

} // namespace synth

namespace {

/// The generator's values, for the writer.
class SeedValues : public TensorValues {
public:
  SeedValues(uint64_t seed, float layerScale)
      : seed_(seed), layerScale_(layerScale) {}
  void ternaryRow(uint64_t id, int64_t row, int64_t cols,
                  int8_t *out) const override {
    synth::ternaryRow(seed_, id, row, cols, out);
  }
  float ternaryScale(uint64_t id) const override {
    return synth::ternaryScale(seed_, id) * layerScale_;
  }
  void floatRow(uint64_t id, int64_t row, int64_t cols,
                float *out) const override {
    synth::floatRow(seed_, id, row, cols, out);
  }

private:
  uint64_t seed_;
  float layerScale_;
};

} // namespace

std::string checkLayerScale(float scale) {
  int exponent = 0;
  // A power of two has the mantissa 0.5 in frexp's form.
  if (std::isfinite(scale) && scale >= kMinLayerScale && scale <= 1.0f &&
      std::frexp(scale, &exponent) == 0.5f)
    return "";
  return "layer scale " + std::to_string(scale) +
         " is not a power of two from 1/256 to 1 (the weight scales must "
         "stay exact in every format)";
}

std::string writeSyntheticModel(const SynthOptions &options,
                                const std::string &path) {
  if (std::string err = checkLayerScale(options.layerScale); !err.empty())
    return path + ": " + err;
  WriteOptions w;
  w.config = options.config;
  w.config.tiedEmbeddings = true;
  w.format = options.format;
  if (options.tokenizer)
    setTokenizer(w, *options.tokenizer);
  // Every generated value is exact in f16 and bf16 (see Synth.h).
  const bool gguf = isGgufFormat(options.format);
  w.embeddingType = gguf ? DenseType::F16 : DenseType::BF16;
  w.smallFloatType = DenseType::BF16;
  w.threads = options.threads;
  w.name = options.name;
  return writeModel(w, SeedValues(options.seed, options.layerScale), path);
}

} // namespace tern
