//===- TestModels.h - Tiny synthetic BitNet GGUF files for tests ----------===//
//
// Test-only helpers: a deterministic 2-layer BitNet model (hidden 256,
// intermediate 512, 4 heads, 2 KV heads, vocab 300) whose metadata and
// tensor list tests can edit before serializing it, to produce valid files
// in each ternary encoding and malformed variants; and the same model as a
// Hugging Face checkpoint directory (config.json, safetensors, tokenizer.json).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_MODEL_TESTMODELS_H
#define TERN_RUNTIME_MODEL_TESTMODELS_H

#include "runtime/model/GgufWriter.h"
#include "runtime/model/Safetensors.h"
#include "runtime/model/TernaryCodec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace tern {
namespace testmodels {

/// One tensor as it will be written.
struct TensorSpec {
  std::string name;
  std::vector<int64_t> dims; // ggml order
  uint32_t type;
  std::vector<uint8_t> bytes;
};

/// A synthetic model: the source values and what will be written.
struct TinyModel {
  int64_t hidden = 256, intermediate = 512, layers = 2, heads = 4, kvHeads = 2,
          vocab = 300, context = 128;
  std::string architecture = "bitnet-b1.58";
  TernaryEncoding encoding = TernaryEncoding::I2_S;

  /// Ternary values [N * K] and scales, by tensor name.
  std::map<std::string, std::vector<int8_t>> ternary;
  std::map<std::string, float> scales;
  /// Norm values by tensor name, and the embedding [vocab * hidden].
  std::map<std::string, std::vector<float>> norms;
  std::vector<float> embedding;

  /// Tokenizer vocabulary (GPT-2 form) and token types.
  std::vector<std::string> tokens;
  std::vector<int32_t> tokenTypes;

  /// Written tensors (editable) and metadata keys to leave out.
  std::vector<TensorSpec> tensors;
  std::set<std::string> omitKeys;
};

/// Builds the model with ternary weights in `encoding` (I2_S, TQ1_0 or
/// TQ2_0); norms are stored as F32 (attn_norm, ffn_sub_norm, output_norm),
/// F16 (attn_sub_norm) and BF16 (ffn_norm); the embedding as F16. All
/// values are exactly representable in their stored types.
TinyModel makeTinyModel(TernaryEncoding encoding, uint32_t seed = 1);

/// Metadata + tensors of `m` in a writer (more can be added before
/// serializing).
GgufWriter writerFor(const TinyModel &m);

/// The tensor called `name` (nullptr if absent).
TensorSpec *findSpec(TinyModel &m, const std::string &name);

/// A unique temporary directory for this test process (created once,
/// removed with its contents at exit).
std::string tempDir();

/// Success when `text` contains every one of `words`.
::testing::AssertionResult hasWords(const std::string &text,
                                    std::initializer_list<const char *> words);
::testing::AssertionResult hasWords(const std::string &text,
                                    std::initializer_list<std::string> words);

/// Patches a little-endian value into `bytes` at `offset`.
template <typename T>
void poke(std::vector<uint8_t> &bytes, size_t offset, T value) {
  ASSERT_LE(offset + sizeof value, bytes.size());
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

/// Offset of the first occurrence of `needle` in `bytes` (npos if none).
size_t findBytes(const std::vector<uint8_t> &bytes, const std::string &needle);

//===----------------------------------------------------------------------===//
// Hugging Face checkpoints
//===----------------------------------------------------------------------===//

/// One safetensors tensor as it will be written.
struct HfTensorSpec {
  std::string name;
  SafetensorsDType dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

/// How hfCheckpointFor stores the linear layers.
enum class HfWeightFormat {
  /// U8 [N/4, K] + BF16 weight_scale [1]; quantization_config
  /// {"quant_method": "bitnet", "linear_class": "autobitlinear",
  ///  "quantization_mode": "offline"}.
  Packed,
  /// The same tensors; the older {"quant_method": "bitnet",
  /// "offline_quantization": true}.
  PackedLegacyConfig,
  /// BF16 master weights [N, K] = t * scale, no quantization_config.
  /// Absmean-quantizing them gives back t (about 2/3 of t is non-zero, so
  /// |w| / beta is about 1.5) with beta = scale * nnz / (N * K).
  Bf16Master,
};

/// A Hugging Face checkpoint, editable before it is written.
struct HfCheckpoint {
  /// config.json: key -> JSON text of the value (so tests can write any
  /// value, valid or not).
  std::map<std::string, std::string> config;
  std::vector<HfTensorSpec> tensors;
  /// tokenizer.json text; empty: no tokenizer.json.
  std::string tokenizerJson;
};

/// `m` (its source values, not m.tensors) as a Hugging Face checkpoint:
/// Hugging Face tensor names, norms and the embedding in BF16 (m's values
/// are exact there), tensors in m's order, bos 297 and eos [298, 299]
/// (<|end_of_text|>, <|eot_id|>), tied embeddings, and a tokenizer.json of
/// m's vocabulary (the last three tokens as special added_tokens).
HfCheckpoint hfCheckpointFor(const TinyModel &m, HfWeightFormat format);

/// The Hugging Face name of one of m's GGUF tensor names
/// ("blk.0.attn_q.weight" -> "model.layers.0.self_attn.q_proj.weight").
std::string hfTensorName(const std::string &ggufName);

/// The tensor called `name` (nullptr if absent).
HfTensorSpec *findHfSpec(HfCheckpoint &c, const std::string &name);

/// Writes `c` into `dir` (created if needed): config.json, tokenizer.json
/// (when non-empty) and the tensors, in model.safetensors or, with
/// `shards` > 1, in that many model-0000i-of-0000n.safetensors files
/// (tensors split in order) plus model.safetensors.index.json. Returns ""
/// or an error.
std::string writeHfCheckpoint(const HfCheckpoint &c, const std::string &dir,
                              int shards = 1);

/// BF16 bytes of `values` (round to nearest even).
std::vector<uint8_t> bf16Bytes(const std::vector<float> &values);

} // namespace testmodels
} // namespace tern

#endif // TERN_RUNTIME_MODEL_TESTMODELS_H
