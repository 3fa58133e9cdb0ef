//===- ModelWriter.h - Writes a BitNet b1.58 model in any file format -----===//
//
// One writer for every format Tern loads (GGUF I2_S / TQ2_0 / TQ1_0,
// Hugging Face packed / bf16), fed by a TensorValues: `tern synth` feeds it
// generated values (Synth.h), `tern convert` the tensors of a loaded model
// (Convert.h). Tensors are produced one at a time while the file is written
// (a thread pool fills rows), so large models take little memory.
//
// GGUF files get bitnet.cpp's names and metadata (architecture
// "bitnet-b1.58", the vocabulary with its merge list); Hugging Face outputs
// are a directory with config.json, model.safetensors and, with a
// vocabulary, tokenizer.json.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SYNTH_MODELWRITER_H
#define TERN_RUNTIME_SYNTH_MODELWRITER_H

#include "runtime/model/Model.h"

#include <cstdint>
#include <optional>
#include <string>

namespace tern {

enum class ModelFormat { GgufI2S, GgufTQ2, GgufTQ1, HfPacked, HfBf16 };

/// "gguf-i2s", "gguf-tq2", "gguf-tq1", "hf-packed", "hf-bf16".
const char *modelFormatName(ModelFormat format);
std::optional<ModelFormat> parseModelFormat(const std::string &name);
/// "gguf-i2s, gguf-tq2, ..." for messages.
std::string modelFormatList();
bool isGgufFormat(ModelFormat format);
/// The ternary encoding a format stores (none for hf-bf16: master weights).
std::optional<TernaryEncoding> ternaryEncodingOf(ModelFormat format);

/// Tensor ids: 0 token embedding, 1 output norm, kOutputId the untied LM
/// head, then 2 + 11 * layer + j with j over LayerTensor.
namespace tensor_id {
enum LayerTensor {
  AttnNorm,
  AttnQ,
  AttnK,
  AttnV,
  AttnSubNorm,
  AttnOutput,
  FfnNorm,
  FfnGate,
  FfnUp,
  FfnSubNorm,
  FfnDown,
  NumLayerTensors
};
inline uint64_t of(int64_t layer, LayerTensor t) {
  return 2 + static_cast<uint64_t>(layer) * NumLayerTensors + t;
}
constexpr uint64_t kEmbedding = 0, kOutputNorm = 1;
constexpr uint64_t kOutput = ~uint64_t(0);
} // namespace tensor_id

/// The values a writer stores. Calls come from several threads at once.
class TensorValues {
public:
  virtual ~TensorValues();
  /// Ternary row `row` (cols values in {-1, 0, 1}) of tensor `id`.
  virtual void ternaryRow(uint64_t id, int64_t row, int64_t cols,
                          int8_t *out) const = 0;
  /// The tensor's scale beta (y = (q @ W^T) * beta / s).
  virtual float ternaryScale(uint64_t id) const = 0;
  /// Row `row` of a float tensor (a norm: row 0; the embedding and the
  /// untied head: one row per token).
  virtual void floatRow(uint64_t id, int64_t row, int64_t cols,
                        float *out) const = 0;
};

struct WriteOptions {
  ModelConfig config; ///< Shapes; bos/eos/eot ids for the metadata.
  ModelFormat format = ModelFormat::GgufI2S;
  /// Written into the model (GGUF tokenizer.ggml.*, tokenizer.json) when
  /// set; GPT-2 form, at most vocab_size tokens (padded with placeholders).
  std::optional<TokenizerVocab> vocab;
  /// How the embedding (and an untied head) is stored.
  DenseType embeddingType = DenseType::F16;
  /// How Hugging Face outputs store norms and weight_scale (GGUF norms and
  /// I2_S scales are always f32).
  DenseType smallFloatType = DenseType::BF16;
  int threads = 0; ///< 0: hardware threads.
  std::string name = "tern";
};

/// Empty when `config` can be written in `format`, else why not (each
/// ternary encoding has its shape rules, e.g. I2_S needs K % 128 == 0;
/// absurd sizes are refused before anything is allocated).
std::string checkWritableConfig(const ModelConfig &config, ModelFormat format);

/// Writes the model to `path` (a file for GGUF, a directory for Hugging
/// Face formats, created if needed). Returns "" or an error naming the path.
std::string writeModel(const WriteOptions &options, const TensorValues &values,
                       const std::string &path);

/// A tokenizer's vocabulary in GPT-2 form (what model files store).
TokenizerVocab vocabOf(const Tokenizer &tokenizer);

/// Writes `tokenizer` into the model: its vocabulary and its bos, eos and
/// eot ids.
void setTokenizer(WriteOptions &options, const Tokenizer &tokenizer);

} // namespace tern

#endif // TERN_RUNTIME_SYNTH_MODELWRITER_H
