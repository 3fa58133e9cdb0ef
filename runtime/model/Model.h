//===- Model.h - In-memory description of a BitNet b1.58 model ------------===//
//
// ModelDescription is the one in-memory form every model file format loads
// into (GGUF files, and Hugging Face checkpoints: config.json plus
// safetensors weights, packed or full precision): the configuration, the
// tokenizer vocabulary, and per-layer views of the weights. Nothing
// downstream of the loader looks at the source format.
//
// Weights are views: ternary matrices stay in their stored encoding
// (TernaryTensor, see TernaryCodec.h) and the embedding stays in its stored
// float type, pointing into the memory-mapped file; only tensors that need
// conversion are copied into owned storage: F16/BF16 norm vectors (to f32)
// and, for full-precision Hugging Face checkpoints, the linear layers'
// master weights (absmean-quantized at load time to int8 ternary values).
// A ModelDescription keeps everything it points into alive (`storage`), so
// copies and moves of it stay valid.
//
// Shapes are taken from the file and checked against the configuration; a
// mismatch is an error naming the tensor, the expected and the actual shape.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_MODEL_MODEL_H
#define TERN_RUNTIME_MODEL_MODEL_H

#include "runtime/model/Gguf.h"
#include "runtime/model/GgufWriter.h"
#include "runtime/model/OrError.h"
#include "runtime/model/TernaryCodec.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tern {

/// Hyper-parameters of a BitNet b1.58 decoder.
struct ModelConfig {
  /// Source architecture name ("bitnet-b1.58", "bitnet", "bitnet-25").
  std::string architecture;
  int64_t hiddenSize = 0;       ///< d_model (embedding_length).
  int64_t intermediateSize = 0; ///< MLP width (feed_forward_length).
  int64_t numLayers = 0;        ///< block_count.
  int64_t numHeads = 0;         ///< Query heads.
  int64_t numKvHeads = 0;       ///< Key/value heads (grouped-query).
  int64_t headDim = 0;          ///< Per-head width.
  int64_t vocabSize = 0;
  int64_t maxPositions = 0; ///< Context length.
  float ropeTheta = 10000.0f;
  float rmsNormEps = 1e-5f;
  int32_t bosId = -1; ///< -1 when unknown.
  int32_t eosId = -1;
  int32_t eotId = -1; ///< End of a chat turn (<|eot_id|>).
  /// The LM head is the token embedding (no separate output matrix).
  bool tiedEmbeddings = true;
};

/// A float vector (norm weights): always F32, aligned, possibly owned by
/// the ModelDescription after conversion from F16/BF16.
struct FloatTensor {
  std::string name;
  const float *data = nullptr;
  int64_t size = 0;
};

/// Element type of a dense (non-ternary) matrix.
enum class DenseType : uint32_t { F32, F16, BF16 };
/// "F32", "F16", "BF16".
const char *denseTypeName(DenseType type);

/// A dense row-major matrix [rows, cols] kept in its stored type (the
/// embedding: 0.66 GB in F16 for 2B4T, so it is not converted). `data` is
/// aligned for the element type.
struct DenseTensor {
  std::string name;
  DenseType type = DenseType::F32;
  int64_t rows = 0;
  int64_t cols = 0;
  const void *data = nullptr;
};

/// Converts row `row` of `t` to float into `out` (t.cols values); false when
/// the row is out of range or there is no data.
bool denseRowToFloat(const DenseTensor &t, int64_t row, float *out);

/// The weights of one decoder layer.
struct LayerWeights {
  // BitLinear weights, [out features, in features].
  TernaryTensor attnQ;      ///< [heads * headDim, hidden]
  TernaryTensor attnK;      ///< [kvHeads * headDim, hidden]
  TernaryTensor attnV;      ///< [kvHeads * headDim, hidden]
  TernaryTensor attnOutput; ///< [hidden, heads * headDim]
  TernaryTensor ffnGate;    ///< [intermediate, hidden]
  TernaryTensor ffnUp;      ///< [intermediate, hidden]
  TernaryTensor ffnDown;    ///< [hidden, intermediate]
  // RMSNorm weights.
  FloatTensor attnNorm;    ///< [hidden], before attention.
  FloatTensor attnSubNorm; ///< [heads * headDim], before the output proj.
  FloatTensor ffnNorm;     ///< [hidden], before the MLP.
  FloatTensor ffnSubNorm;  ///< [intermediate], before ffn_down.
};

/// A layer's seven BitLinear weights (q, k, v, output, gate, up, down).
inline std::array<const TernaryTensor *, 7>
bitLinearWeights(const LayerWeights &l) {
  return {&l.attnQ,   &l.attnK, &l.attnV,  &l.attnOutput,
          &l.ffnGate, &l.ffnUp, &l.ffnDown};
}

/// The tokenizer vocabulary as the model file stores it.
struct TokenizerVocab {
  /// Token strings in GPT-2 bytes-to-unicode form (special tokens as plain
  /// text), indexed by id; empty when the file has no vocabulary.
  std::vector<std::string> tokens;
  /// Control / user-defined tokens (GGUF token types 3 and 4).
  std::vector<bool> isSpecial;
  /// Tokenizer model name ("gpt2" for byte-level BPE), "" if unknown.
  std::string model;
  /// The model's chat template (Jinja source: GGUF
  /// tokenizer.chat_template, tokenizer_config.json's chat_template), ""
  /// when it has none (runtime/generate/ChatTemplate.h reads it).
  std::string chatTemplate;
};

/// A loaded model; see the file comment.
struct ModelDescription {
  ModelConfig config;
  TokenizerVocab vocab;
  /// token_embd: [vocab, hidden].
  DenseTensor tokenEmbedding;
  /// The LM head [vocab, hidden] when not tied to the embedding.
  std::optional<DenseTensor> output;
  /// Final RMSNorm [hidden].
  FloatTensor outputNorm;
  std::vector<LayerWeights> layers;

  /// Where the model came from ("model.gguf") and its format ("gguf").
  std::string sourcePath;
  std::string sourceFormat;

  /// Keeps the mapped files and owned buffers the views point into.
  std::vector<std::shared_ptr<const void>> storage;

  /// Moves `values` into storage; returns a pointer that stays valid for the
  /// lifetime of this description (and its copies).
  const float *adoptFloats(std::vector<float> values);
  /// Same for raw bytes (aligned like a float array).
  const uint8_t *adoptBytes(const uint8_t *bytes, uint64_t size);
};

using ModelOrError = OrError<ModelDescription>;

/// Loads a model from `path`:
///  * a directory, a `.json` file or a safetensors file (by extension, or by
///    its header: 8-byte length, then '{') -> loadHfModel;
///  * a file starting with the GGUF magic -> loadGgufModel;
///  * anything else is an error naming the path and the supported formats.
ModelOrError loadModel(const std::string &path);

/// Loads a Hugging Face BitNet b1.58 checkpoint. `path` is the checkpoint
/// directory, its config.json, its model.safetensors.index.json, or a
/// safetensors file in it (a shard listed by the directory's index loads
/// the whole sharded checkpoint).
///
/// The directory holds config.json, the weights (model.safetensors, or
/// model.safetensors.index.json whose "weight_map" sends each tensor name to
/// a shard file in the directory; each shard is mapped once), and
/// optionally tokenizer.json (read with readTokenizerJsonVocab into
/// `vocab`; without it the vocabulary is empty).
///
/// config.json (each failure is an error naming the file and the key):
///  * model_type "bitnet"; hidden_act "relu2" (the default when absent);
///  * hidden_size, intermediate_size, num_hidden_layers,
///    num_attention_heads, vocab_size, max_position_embeddings: positive
///    integers; num_key_value_heads (default: heads) and head_dim (default:
///    hidden / heads) optional; rope_theta (default 10000) and rms_norm_eps
///    (default 1e-5) positive; rope_scaling absent or null;
///  * bos_token_id / eos_token_id: an id, a list of ids (the first is the
///    id; an entry whose token is "<|eot_id|>" also sets eotId) or null;
///    eotId otherwise comes from the vocabulary's "<|eot_id|>";
///  * tie_word_embeddings (default: true unless lm_head.weight exists);
///  * quantization_config: absent, null or quantization_mode "online" (or
///    offline_quantization false) means full-precision master weights
///    (BF16/F16/F32 [out, in]), absmean-quantized at load time
///    (absmeanQuantize from runtime/ternary) into TernaryEncoding::Int8
///    with scale beta; sourceFormat "hf-bf16". quant_method "bitnet" with
///    quantization_mode "offline" (linear_class "autobitlinear" or absent)
///    or the older offline_quantization true means packed weights:
///    `<module>.weight` U8 [out / 4, in] (TernaryEncoding::HfPacked, every
///    2-bit code checked) and `<module>.weight_scale` (shape [1] or [],
///    BF16/F16/F32) that multiplies: scale = weight_scale; sourceFormat
///    "hf-packed". linear_class "bitlinear" (transformers' BitLinear, which
///    divides by weight_scale) and use_rms_norm true are rejected.
///
/// Tensors (Hugging Face names, shapes [rows, cols] checked against the
/// configuration; a mismatch names the file, the tensor and both shapes):
/// model.embed_tokens.weight [vocab, hidden] (F32/F16/BF16, a view when
/// aligned), model.norm.weight, lm_head.weight when untied, and per layer N
/// model.layers.N.{input_layernorm, post_attention_layernorm,
/// self_attn.{q,k,v,o}_proj, self_attn.attn_sub_norm,
/// mlp.{gate,up,down}_proj, mlp.ffn_sub_norm}.weight. Norms are converted
/// to owned f32.
ModelOrError loadHfModel(const std::string &path);

/// The limits every configuration is checked against (readGgufConfig,
/// readHfConfig): far above any published model, low enough that every
/// product of them the loaders and the KV cache form fits in 64 bits.
struct ModelShapeLimits {
  static constexpr int64_t kMaxWidth = 1 << 20;      ///< hidden, FFN, head dim
  static constexpr int64_t kMaxLayers = 1 << 12;
  static constexpr int64_t kMaxHeads = 1 << 14;
  static constexpr int64_t kMaxVocab = 1 << 24;
  static constexpr int64_t kMaxPositions = 1 << 24; ///< context length
  /// heads x head dim (the q projection's rows).
  static constexpr int64_t kMaxProjection = 1 << 22;
};

/// "" when every dimension of `c` is positive and within ModelShapeLimits
/// (heads x head dim included); otherwise "<where>: <what> is N, ..." .
std::string checkModelShape(const ModelConfig &c, const std::string &where);

/// Reads and checks a Hugging Face `config.json` on its own (the same rules
/// as loadHfModel; no weights needed): `tern synth` takes its model
/// configurations in this form. Errors name the file and the key.
OrError<ModelConfig> readHfConfigFile(const std::string &path);

/// Builds the description of a parsed GGUF file. Requirements (each failure
/// is an error naming the file and the key or tensor):
///  * `general.architecture` is "bitnet-b1.58", "bitnet" or "bitnet-25";
///  * `<arch>.embedding_length`, `.feed_forward_length`, `.block_count`,
///    `.attention.head_count`, `.context_length` are present and positive;
///    `.attention.head_count_kv` (default: head_count),
///    `.attention.key_length` (default: hidden / heads), `.rope.freq_base`
///    (default 10000), `.attention.layer_norm_rms_epsilon` (default 1e-5),
///    `.vocab_size` (default: the token list, else the embedding) are
///    optional;
///  * every layer has its 7 ternary weights in I2_S, TQ1_0 or TQ2_0 and its
///    4 norms in F32/F16/BF16; token_embd and output_norm exist; an
///    optional output.weight unties the LM head; an optional
///    `<weight>.scale` tensor (F32, one element, as llama.cpp's BitNet
///    loader allows) multiplies the weight's scale;
///  * all shapes match the configuration.
ModelOrError loadGgufModel(const GgufFile &file);

/// Reads just the configuration (and checks it) from GGUF metadata.
OrError<ModelConfig> readGgufConfig(const GgufFile &file);
/// The same with the file's vocabulary already read (readGgufVocab).
OrError<ModelConfig> readGgufConfig(const GgufFile &file,
                                    const TokenizerVocab &vocab);

/// Writes `config` as bitnet.cpp's GGUF metadata (general.architecture
/// "bitnet-b1.58" and the bitnet-b1.58.* hyper-parameters) so that
/// readGgufConfig reads it back.
void addGgufConfig(GgufWriter &writer, const ModelConfig &config);

/// Writes a vocabulary (GPT-2 form, specials as control tokens) and the
/// bos/eos/eot ids of `config` (those >= 0) as tokenizer.ggml.* metadata,
/// with what llama.cpp and bitnet.cpp need to load it: the pre-tokenizer
/// name (llama-bpe), the merge list (`withMerges`; Tern's own payloads
/// leave it out, their tokenizer needs none) and, when the vocabulary has
/// an end-of-turn token, the 2B4T chat format as tokenizer.chat_template.
void addGgufVocab(GgufWriter &writer, const TokenizerVocab &vocab,
                  const ModelConfig &config, bool withMerges = true);

/// The 2B4T chat format (Tokenizer::chatPrompt) as a Jinja chat template,
/// as Hugging Face and llama.cpp apply it.
extern const char *const kChatTemplate;

/// Whether Tern knows what a GGUF metadata key means (it reads or writes
/// it, or it is a general.* or tokenizer.* key llama.cpp defines);
/// `tern inspect` names the others.
bool isKnownGgufKey(const std::string &key);

/// The tokenizer.ggml.* vocabulary of a GGUF file (empty when it has none);
/// errors name the file and the key.
OrError<TokenizerVocab> readGgufVocab(const GgufFile &file);

/// A tokenizer from a vocabulary (GPT-2 form) with the bos/eos/eot ids of
/// `config` where they are known; errors start with `origin`.
TokenizerOrError buildTokenizer(const TokenizerVocab &vocab,
                                const ModelConfig &config,
                                const std::string &origin);

/// Builds the model's tokenizer from its vocabulary (GPT-2 form) and sets
/// its bos/eos/eot ids from the configuration where they are known.
TokenizerOrError buildTokenizer(const ModelDescription &model);

} // namespace tern

#endif // TERN_RUNTIME_MODEL_MODEL_H
