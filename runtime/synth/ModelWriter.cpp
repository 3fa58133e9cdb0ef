//===- ModelWriter.cpp - Writes a BitNet b1.58 model in any file format ---===//

#include "runtime/synth/ModelWriter.h"

#include "runtime/model/GgufWriter.h"
#include "runtime/model/Half.h"
#include "runtime/model/Safetensors.h"
#include "runtime/model/TernaryCodec.h"
#include "runtime/support/ThreadPool.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sys/stat.h>

namespace tern {

TensorValues::~TensorValues() = default;

const char *modelFormatName(ModelFormat format) {
  switch (format) {
  case ModelFormat::GgufI2S:
    return "gguf-i2s";
  case ModelFormat::GgufTQ2:
    return "gguf-tq2";
  case ModelFormat::GgufTQ1:
    return "gguf-tq1";
  case ModelFormat::HfPacked:
    return "hf-packed";
  case ModelFormat::HfBf16:
    return "hf-bf16";
  }
  return "unknown";
}

std::optional<ModelFormat> parseModelFormat(const std::string &name) {
  for (ModelFormat f : {ModelFormat::GgufI2S, ModelFormat::GgufTQ2,
                        ModelFormat::GgufTQ1, ModelFormat::HfPacked,
                        ModelFormat::HfBf16})
    if (name == modelFormatName(f))
      return f;
  return std::nullopt;
}

std::string modelFormatList() {
  return "gguf-i2s, gguf-tq2, gguf-tq1, hf-packed, hf-bf16";
}

void setTokenizer(WriteOptions &o, const Tokenizer &tok) {
  o.vocab = vocabOf(tok);
  o.config.bosId = tok.bosId();
  o.config.eosId = tok.eosId();
  o.config.eotId = tok.eotId();
}

TokenizerVocab vocabOf(const Tokenizer &tok) {
  TokenizerVocab v;
  v.model = "gpt2";
  for (TokenId id = 0; id < tok.vocabSize(); ++id) {
    const std::string bytes(tok.tokenBytes(id));
    v.isSpecial.push_back(tok.isSpecial(id));
    v.tokens.push_back(tok.isSpecial(id) ? bytes : bytesToGpt2Unicode(bytes));
  }
  return v;
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

namespace {

struct TernarySpec {
  tensor_id::LayerTensor which;
  const char *gguf; // blk.N.<gguf>.weight
  const char *hf;   // model.layers.N.<hf>.weight
  int64_t rows, cols;
};
struct NormSpec {
  tensor_id::LayerTensor which;
  const char *gguf, *hf;
  int64_t size;
};

std::vector<TernarySpec> ternarySpecs(const ModelConfig &c) {
  const int64_t q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim;
  const int64_t h = c.hiddenSize, i = c.intermediateSize;
  return {{tensor_id::AttnQ, "attn_q", "self_attn.q_proj", q, h},
          {tensor_id::AttnK, "attn_k", "self_attn.k_proj", kv, h},
          {tensor_id::AttnV, "attn_v", "self_attn.v_proj", kv, h},
          {tensor_id::AttnOutput, "attn_output", "self_attn.o_proj", h, q},
          {tensor_id::FfnGate, "ffn_gate", "mlp.gate_proj", i, h},
          {tensor_id::FfnUp, "ffn_up", "mlp.up_proj", i, h},
          {tensor_id::FfnDown, "ffn_down", "mlp.down_proj", h, i}};
}

std::vector<NormSpec> normSpecs(const ModelConfig &c) {
  const int64_t q = c.numHeads * c.headDim;
  return {{tensor_id::AttnNorm, "attn_norm", "input_layernorm", c.hiddenSize},
          {tensor_id::AttnSubNorm, "attn_sub_norm", "self_attn.attn_sub_norm", q},
          {tensor_id::FfnNorm, "ffn_norm", "post_attention_layernorm",
           c.hiddenSize},
          {tensor_id::FfnSubNorm, "ffn_sub_norm", "mlp.ffn_sub_norm",
           c.intermediateSize}};
}

} // namespace

std::optional<TernaryEncoding> ternaryEncodingOf(ModelFormat f) {
  switch (f) {
  case ModelFormat::GgufI2S:
    return TernaryEncoding::I2_S;
  case ModelFormat::GgufTQ2:
    return TernaryEncoding::TQ2_0;
  case ModelFormat::GgufTQ1:
    return TernaryEncoding::TQ1_0;
  case ModelFormat::HfPacked:
    return TernaryEncoding::HfPacked;
  case ModelFormat::HfBf16:
    return std::nullopt;
  }
  return std::nullopt;
}

bool isGgufFormat(ModelFormat f) {
  return f == ModelFormat::GgufI2S || f == ModelFormat::GgufTQ2 ||
         f == ModelFormat::GgufTQ1;
}

std::string checkWritableConfig(const ModelConfig &c, ModelFormat format) {
  auto positive = [](int64_t v) { return v > 0; };
  if (!positive(c.hiddenSize) || !positive(c.intermediateSize) ||
      !positive(c.numLayers) || !positive(c.numHeads) ||
      !positive(c.numKvHeads) || !positive(c.headDim) ||
      !positive(c.vocabSize) || !positive(c.maxPositions))
    return "every size in the configuration must be positive";
  if (c.numHeads % c.numKvHeads != 0)
    return "num_attention_heads " + std::to_string(c.numHeads) +
           " is not a multiple of num_key_value_heads " +
           std::to_string(c.numKvHeads);
  if (c.headDim % 2 != 0)
    return "head_dim " + std::to_string(c.headDim) + " is odd";
  // Absurd sizes are refused before anything is allocated or written.
  const int64_t kLimit = int64_t(1) << 40;
  if (c.hiddenSize > (1 << 20) || c.intermediateSize > (1 << 20) ||
      c.vocabSize > (1 << 24) || c.numLayers > 4096 ||
      c.numHeads * c.headDim > (1 << 20) ||
      c.numKvHeads * c.headDim > (1 << 20) ||
      c.vocabSize * c.hiddenSize > kLimit)
    return "the configuration's sizes are absurd (hidden " +
           std::to_string(c.hiddenSize) + ", intermediate " +
           std::to_string(c.intermediateSize) + ", vocab " +
           std::to_string(c.vocabSize) + ", layers " +
           std::to_string(c.numLayers) + ")";
  for (const TernarySpec &s : ternarySpecs(c)) {
    if (s.cols % 4 != 0)
      return std::string(s.gguf) + ": input size " + std::to_string(s.cols) +
             " is not a multiple of 4";
    if (auto enc = ternaryEncodingOf(format)) {
      std::string why = checkTernaryShape(*enc, s.rows, s.cols);
      if (!why.empty())
        return std::string(modelFormatName(format)) + " cannot hold " +
               s.gguf + " [" + std::to_string(s.rows) + ", " +
               std::to_string(s.cols) + "]: " + why;
    }
  }
  return "";
}

//===----------------------------------------------------------------------===//
// Writers
//===----------------------------------------------------------------------===//

namespace {

/// The vocabulary padded to the configuration's size with special
/// placeholders.
OrError<TokenizerVocab> paddedVocab(const TokenizerVocab &in,
                                    int64_t vocabSize) {
  if (static_cast<int64_t>(in.tokens.size()) > vocabSize)
    return OrError<TokenizerVocab>::failure(
        "the tokenizer has " + std::to_string(in.tokens.size()) +
        " tokens, more than the configuration's vocab_size " +
        std::to_string(vocabSize));
  TokenizerVocab v = in;
  v.isSpecial.resize(v.tokens.size(), false);
  for (int64_t id = static_cast<int64_t>(v.tokens.size()); id < vocabSize;
       ++id) {
    v.tokens.push_back("<|tern_pad_" + std::to_string(id) + "|>");
    v.isSpecial.push_back(true);
  }
  if (v.model.empty())
    v.model = "gpt2";
  return OrError<TokenizerVocab>(std::move(v));
}

SafetensorsDType safetensorsType(DenseType t) {
  return t == DenseType::F32   ? SafetensorsDType::F32
         : t == DenseType::F16 ? SafetensorsDType::F16
                               : SafetensorsDType::BF16;
}
GgmlType ggmlType(DenseType t) {
  return t == DenseType::F32   ? GgmlType::F32
         : t == DenseType::F16 ? GgmlType::F16
                               : GgmlType::BF16;
}
uint64_t bytesOf(DenseType t) { return t == DenseType::F32 ? 4 : 2; }

void storeFloat(float v, DenseType t, uint8_t *dst) {
  if (t == DenseType::F32) {
    std::memcpy(dst, &v, 4);
    return;
  }
  const uint16_t h = t == DenseType::F16 ? floatToFp16(v) : floatToBf16(v);
  std::memcpy(dst, &h, 2);
}

class Writer {
public:
  Writer(const WriteOptions &o, const TensorValues &v)
      : o_(o), c_(o.config), v_(v),
        pool_(o.threads > 0 ? o.threads : ThreadPool::hardwareThreads()) {}

  /// Ternary tensor `id` [rows, cols] in `enc`, into `dst`.
  void fillTernary(uint64_t id, int64_t rows, int64_t cols,
                   TernaryEncoding enc, uint8_t *dst) {
    const float scale = v_.ternaryScale(id);
    if (enc == TernaryEncoding::HfPacked) {
      const int64_t quarter = rows / 4;
      pool_.parallelFor(quarter, [&](int64_t b, int64_t e) {
        std::vector<int8_t> four(static_cast<size_t>(4 * cols));
        for (int64_t r = b; r < e; ++r) {
          for (int i = 0; i < 4; ++i)
            v_.ternaryRow(id, i * quarter + r, cols, &four[i * cols]);
          packHfTernary(four.data(), 4, cols, dst + r * cols);
        }
      });
      return;
    }
    const int64_t rowBytes = cols / 4; // I2_S; TQ rows are whole blocks
    const int64_t tqRow = ternaryEncodedBytes(enc, 1, cols);
    pool_.parallelFor(rows, [&](int64_t b, int64_t e) {
      std::vector<int8_t> t(static_cast<size_t>(cols));
      std::vector<uint8_t> tmp(static_cast<size_t>(rowBytes + 32));
      for (int64_t r = b; r < e; ++r) {
        v_.ternaryRow(id, r, cols, t.data());
        switch (enc) {
        case TernaryEncoding::I2_S:
          // Rows are whole 128-element blocks; the last row's call also
          // writes the tensor's scale trailer.
          if (r == rows - 1) {
            packI2S(t.data(), 1, cols, scale, dst + r * rowBytes);
          } else {
            packI2S(t.data(), 1, cols, scale, tmp.data());
            std::memcpy(dst + r * rowBytes, tmp.data(), rowBytes);
          }
          break;
        case TernaryEncoding::TQ2_0:
          packTQ2_0(t.data(), 1, cols, scale, dst + r * tqRow);
          break;
        case TernaryEncoding::TQ1_0:
          packTQ1_0(t.data(), 1, cols, scale, dst + r * tqRow);
          break;
        default:
          break;
        }
      }
    });
  }

  /// Master weights t * 2 * beta in bf16: their absmean is beta because
  /// synthetic models are exactly half non-zero (convert refuses hf-bf16:
  /// for other models the absmean, hence the scale, would differ).
  void fillMaster(uint64_t id, int64_t rows, int64_t cols, uint8_t *dst) {
    const float w = 2.0f * v_.ternaryScale(id);
    const uint16_t plus = floatToBf16(w), minus = floatToBf16(-w), zero = 0;
    pool_.parallelFor(rows, [&](int64_t b, int64_t e) {
      std::vector<int8_t> t(static_cast<size_t>(cols));
      for (int64_t r = b; r < e; ++r) {
        v_.ternaryRow(id, r, cols, t.data());
        for (int64_t c = 0; c < cols; ++c) {
          const uint16_t v = t[c] > 0 ? plus : t[c] < 0 ? minus : zero;
          std::memcpy(dst + 2 * (r * cols + c), &v, 2);
        }
      }
    });
  }

  void fillFloat(uint64_t id, int64_t rows, int64_t cols, DenseType store,
                 uint8_t *dst) {
    const uint64_t size = bytesOf(store);
    pool_.parallelFor(rows, [&](int64_t b, int64_t e) {
      std::vector<float> v(static_cast<size_t>(cols));
      for (int64_t r = b; r < e; ++r) {
        v_.floatRow(id, r, cols, v.data());
        for (int64_t c = 0; c < cols; ++c)
          storeFloat(v[c], store, dst + size * (r * cols + c));
      }
    });
  }

  std::string writeGguf(const std::string &path) {
    const TernaryEncoding enc = *ternaryEncodingOf(o_.format);
    GgufWriter w;
    addGgufConfig(w, c_);
    w.addString("general.name", o_.name);
    // llama.cpp's file types: MOSTLY_TQ1_0 = 36, MOSTLY_TQ2_0 = 37;
    // bitnet.cpp's I2_S files say 40.
    w.addUint32("general.file_type", enc == TernaryEncoding::I2_S   ? 40
                                     : enc == TernaryEncoding::TQ1_0 ? 36
                                                                     : 37);
    if (o_.vocab) {
      OrError<TokenizerVocab> v = paddedVocab(*o_.vocab, c_.vocabSize);
      if (!v)
        return path + ": " + v.error;
      addGgufVocab(w, *v, c_);
    }

    const int64_t h = c_.hiddenSize;
    const DenseType embd = o_.embeddingType;
    const uint64_t embdBytes = static_cast<uint64_t>(c_.vocabSize * h) * bytesOf(embd);
    w.addTensorDeferred("token_embd.weight", {h, c_.vocabSize}, ggmlType(embd),
                        embdBytes, [this, h, embd](uint8_t *d) {
                          fillFloat(tensor_id::kEmbedding, c_.vocabSize, h,
                                    embd, d);
                        });
    w.addTensorDeferred("output_norm.weight", {h}, GgmlType::F32,
                        static_cast<uint64_t>(h * 4), [this, h](uint8_t *d) {
                          fillFloat(tensor_id::kOutputNorm, 1, h,
                                    DenseType::F32, d);
                        });
    if (!c_.tiedEmbeddings)
      w.addTensorDeferred("output.weight", {h, c_.vocabSize}, ggmlType(embd),
                          embdBytes, [this, h, embd](uint8_t *d) {
                            fillFloat(tensor_id::kOutput, c_.vocabSize, h,
                                      embd, d);
                          });
    const GgmlType type = enc == TernaryEncoding::I2_S    ? GgmlType::I2_S
                          : enc == TernaryEncoding::TQ1_0 ? GgmlType::TQ1_0
                                                          : GgmlType::TQ2_0;
    for (int64_t l = 0; l < c_.numLayers; ++l) {
      const std::string b = "blk." + std::to_string(l) + ".";
      for (const NormSpec &n : normSpecs(c_)) {
        const uint64_t id = tensor_id::of(l, n.which);
        const int64_t size = n.size;
        w.addTensorDeferred(b + n.gguf + ".weight", {size}, GgmlType::F32,
                            static_cast<uint64_t>(size * 4),
                            [this, id, size](uint8_t *d) {
                              fillFloat(id, 1, size, DenseType::F32, d);
                            });
      }
      for (const TernarySpec &t : ternarySpecs(c_)) {
        const uint64_t id = tensor_id::of(l, t.which);
        const int64_t rows = t.rows, cols = t.cols;
        w.addTensorDeferred(
            b + t.gguf + ".weight", {cols, rows}, type,
            static_cast<uint64_t>(ternaryEncodedBytes(enc, rows, cols)),
            [this, id, rows, cols, enc](uint8_t *d) {
              fillTernary(id, rows, cols, enc, d);
            });
      }
    }
    return w.writeFile(path);
  }

  std::string writeHfConfig(const std::string &dir) {
    const bool packed = o_.format == ModelFormat::HfPacked;
    nlohmann::json cfg = {
        {"architectures", {"BitNetForCausalLM"}},
        {"model_type", "bitnet"},
        {"hidden_size", c_.hiddenSize},
        {"intermediate_size", c_.intermediateSize},
        {"num_hidden_layers", c_.numLayers},
        {"num_attention_heads", c_.numHeads},
        {"num_key_value_heads", c_.numKvHeads},
        {"head_dim", c_.headDim},
        {"vocab_size", c_.vocabSize},
        {"max_position_embeddings", c_.maxPositions},
        {"rope_theta", c_.ropeTheta},
        {"rms_norm_eps", c_.rmsNormEps},
        {"hidden_act", "relu2"},
        {"tie_word_embeddings", c_.tiedEmbeddings},
        {"torch_dtype", o_.embeddingType == DenseType::F32   ? "float32"
                        : o_.embeddingType == DenseType::F16 ? "float16"
                                                             : "bfloat16"},
    };
    if (c_.bosId >= 0)
      cfg["bos_token_id"] = c_.bosId;
    if (c_.eosId >= 0)
      cfg["eos_token_id"] = c_.eosId;
    if (packed)
      cfg["quantization_config"] = {{"quant_method", "bitnet"},
                                    {"linear_class", "autobitlinear"},
                                    {"quantization_mode", "offline"}};
    return writeText(dir + "/config.json", cfg.dump(2) + "\n");
  }

  std::string writeHf(const std::string &dir) {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
      return dir + ": cannot create the directory: " + std::strerror(errno);
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return dir + ": exists and is not a directory (Hugging Face formats "
                   "are written as a directory)";
    std::string err = writeHfConfig(dir);
    if (!err.empty())
      return err;
    if (o_.vocab) {
      err = writeTokenizerJson(dir + "/tokenizer.json");
      if (!err.empty())
        return err;
    }

    const bool packed = o_.format == ModelFormat::HfPacked;
    const DenseType small = o_.smallFloatType, embd = o_.embeddingType;
    SafetensorsWriter w;
    w.addMetadata("format", "pt");
    const int64_t h = c_.hiddenSize;
    const uint64_t embdBytes = static_cast<uint64_t>(c_.vocabSize * h) * bytesOf(embd);
    w.addTensor("model.embed_tokens.weight", safetensorsType(embd),
                {c_.vocabSize, h}, embdBytes, [this, h, embd](uint8_t *d) {
                  fillFloat(tensor_id::kEmbedding, c_.vocabSize, h, embd, d);
                });
    for (int64_t l = 0; l < c_.numLayers; ++l) {
      const std::string b = "model.layers." + std::to_string(l) + ".";
      for (const NormSpec &n : normSpecs(c_)) {
        const uint64_t id = tensor_id::of(l, n.which);
        const int64_t size = n.size;
        w.addTensor(b + n.hf + ".weight", safetensorsType(small), {size},
                    static_cast<uint64_t>(size) * bytesOf(small),
                    [this, id, size, small](uint8_t *d) {
                      fillFloat(id, 1, size, small, d);
                    });
      }
      for (const TernarySpec &t : ternarySpecs(c_)) {
        const uint64_t id = tensor_id::of(l, t.which);
        const int64_t rows = t.rows, cols = t.cols;
        if (!packed) {
          w.addTensor(b + t.hf + ".weight", SafetensorsDType::BF16,
                      {rows, cols}, static_cast<uint64_t>(rows * cols * 2),
                      [this, id, rows, cols](uint8_t *d) {
                        fillMaster(id, rows, cols, d);
                      });
          continue;
        }
        w.addTensor(b + t.hf + ".weight", SafetensorsDType::U8,
                    {rows / 4, cols}, static_cast<uint64_t>(rows / 4 * cols),
                    [this, id, rows, cols](uint8_t *d) {
                      fillTernary(id, rows, cols, TernaryEncoding::HfPacked, d);
                    });
        std::vector<uint8_t> bytes(bytesOf(small));
        storeFloat(v_.ternaryScale(id), small, bytes.data());
        w.addTensor(b + t.hf + ".weight_scale", safetensorsType(small), {1},
                    std::move(bytes));
      }
    }
    w.addTensor("model.norm.weight", safetensorsType(small), {h},
                static_cast<uint64_t>(h) * bytesOf(small),
                [this, h, small](uint8_t *d) {
                  fillFloat(tensor_id::kOutputNorm, 1, h, small, d);
                });
    if (!c_.tiedEmbeddings)
      w.addTensor("lm_head.weight", safetensorsType(embd), {c_.vocabSize, h},
                  embdBytes, [this, h, embd](uint8_t *d) {
                    fillFloat(tensor_id::kOutput, c_.vocabSize, h, embd, d);
                  });
    return w.writeFile(dir + "/model.safetensors");
  }

  /// The vocabulary as a Hugging Face tokenizer.json (padded like the GGUF
  /// vocabulary).
  std::string writeTokenizerJson(const std::string &path) {
    OrError<TokenizerVocab> v = paddedVocab(*o_.vocab, c_.vocabSize);
    if (!v)
      return path + ": " + v.error;
    TokenizerJsonVocab vocab;
    vocab.tokens = std::move(v->tokens);
    vocab.isSpecial = std::move(v->isSpecial);
    return writeText(path, tokenizerJsonText(vocab));
  }

  static std::string writeText(const std::string &path,
                               const std::string &text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out)
      return path + ": cannot create: " + std::strerror(errno);
    out << text;
    out.close();
    if (!out)
      return path + ": write failed";
    return "";
  }

private:
  const WriteOptions &o_;
  const ModelConfig &c_;
  const TensorValues &v_;
  ThreadPool pool_;
};

} // namespace

std::string writeModel(const WriteOptions &options, const TensorValues &values,
                       const std::string &path) {
  std::string why = checkWritableConfig(options.config, options.format);
  if (!why.empty())
    return path + ": " + why;
  Writer w(options, values);
  return isGgufFormat(options.format) ? w.writeGguf(path) : w.writeHf(path);
}

} // namespace tern
