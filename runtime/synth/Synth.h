//===- Synth.h - Random BitNet b1.58 models in every file format ----------===//
//
// `tern synth` writes a random model of any BitNet b1.58 configuration in
// any of the formats Tern loads, such that every format describes the same
// model: the same ternary weights, the same per-tensor scales, the same
// norm and embedding values. Tests load each format and expect identical
// weights and identical logits.
//
// What makes "the same" exact across formats:
//  * Ternary rows: each row of each tensor comes from its own generator
//    seeded by (seed, tensor, row), so values never depend on the format or
//    the thread count. Rows are built from groups of 4 weights with exactly
//    2 non-zero ones, so every tensor is exactly half non-zero.
//  * Scales beta = k / 1024, k in [16, 64): exact in f32, f16 (TQ1_0/TQ2_0
//    block scales) and bf16 (HF weight_scale).
//  * hf-bf16 stores master weights W = t * 2 * beta (exact in bf16). Their
//    absmean is exactly beta (half the entries have |W| = 2 beta) and
//    round(W / beta) clamps back to t, so quantizing at load time gives the
//    same ternary weights and scale as the packed formats.
//  * Norm weights 0.5 + j / 128 and embedding values j / 2048 (|j| < 128):
//    exact in f16, bf16 and f32.
//
// The files are written by ModelWriter.h (the same writer `tern convert`
// uses).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SYNTH_SYNTH_H
#define TERN_RUNTIME_SYNTH_SYNTH_H

#include "runtime/model/Model.h"
#include "runtime/synth/ModelWriter.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <cstdint>
#include <optional>
#include <string>

namespace tern {

struct SynthOptions {
  ModelConfig config;
  ModelFormat format = ModelFormat::GgufI2S;
  uint64_t seed = 1;
  /// Written into the model (GGUF metadata / tokenizer.json) when set.
  std::optional<Tokenizer> tokenizer;
  int threads = 0; ///< 0: hardware threads.
  std::string name = "tern-synthetic";
  /// Multiplies every BitLinear weight scale: a power of two in
  /// [kMinLayerScale, 1], so that every format stores the scales exactly.
  /// Small values leave each token's embedding in charge of its residual
  /// stream, so that the logits peak at the input token, as a trained
  /// model's peak at its prediction (a random model's are flat): a
  /// stand-in for a trained model when measuring the screened heads' speed.
  float layerScale = 1.0f;
};

constexpr float kMinLayerScale = 1.0f / 256;

/// "" or why `scale` is not a valid SynthOptions::layerScale.
std::string checkLayerScale(float scale);

/// Writes the model to `path` (a file for GGUF, a directory for HF formats,
/// created if needed). Returns "" or an error naming the path.
std::string writeSyntheticModel(const SynthOptions &options,
                                const std::string &path);

/// The generated values (tensor ids: tensor_id in ModelWriter.h), for
/// tests that compute with them independently.
namespace synth {
/// Ternary row `row` (cols values) of tensor `id`.
void ternaryRow(uint64_t seed, uint64_t id, int64_t row, int64_t cols,
                int8_t *out);
/// The tensor's scale beta.
float ternaryScale(uint64_t seed, uint64_t id);
/// Row `row` of a float tensor (a norm: row 0; the embedding: one row per
/// token).
void floatRow(uint64_t seed, uint64_t id, int64_t row, int64_t cols,
              float *out);
} // namespace synth

} // namespace tern

#endif // TERN_RUNTIME_SYNTH_SYNTH_H
