//===- Synth.cpp - Random BitNet b1.58 models in every file format --------===//

#include "runtime/synth/Synth.h"

#include "runtime/model/GgufWriter.h"
#include "runtime/model/Half.h"
#include "runtime/model/Safetensors.h"
#include "runtime/model/TernaryCodec.h"
#include "runtime/support/ThreadPool.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <sys/stat.h>

namespace tern {

const char *synthFormatName(SynthFormat format) {
  switch (format) {
  case SynthFormat::GgufI2S:
    return "gguf-i2s";
  case SynthFormat::GgufTQ2:
    return "gguf-tq2";
  case SynthFormat::GgufTQ1:
    return "gguf-tq1";
  case SynthFormat::HfPacked:
    return "hf-packed";
  case SynthFormat::HfBf16:
    return "hf-bf16";
  }
  return "unknown";
}

std::optional<SynthFormat> parseSynthFormat(const std::string &name) {
  for (SynthFormat f : {SynthFormat::GgufI2S, SynthFormat::GgufTQ2,
                        SynthFormat::GgufTQ1, SynthFormat::HfPacked,
                        SynthFormat::HfBf16})
    if (name == synthFormatName(f))
      return f;
  return std::nullopt;
}

std::string synthFormatList() {
  return "gguf-i2s, gguf-tq2, gguf-tq1, hf-packed, hf-bf16";
}

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
  if (id == kEmbeddingId) {
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

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

namespace {

struct TernarySpec {
  synth::LayerTensor which;
  const char *gguf; // blk.N.<gguf>.weight
  const char *hf;   // model.layers.N.<hf>.weight
  int64_t rows, cols;
};
struct NormSpec {
  synth::LayerTensor which;
  const char *gguf, *hf;
  int64_t size;
};

std::vector<TernarySpec> ternarySpecs(const ModelConfig &c) {
  const int64_t q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim;
  const int64_t h = c.hiddenSize, i = c.intermediateSize;
  return {{synth::AttnQ, "attn_q", "self_attn.q_proj", q, h},
          {synth::AttnK, "attn_k", "self_attn.k_proj", kv, h},
          {synth::AttnV, "attn_v", "self_attn.v_proj", kv, h},
          {synth::AttnOutput, "attn_output", "self_attn.o_proj", h, q},
          {synth::FfnGate, "ffn_gate", "mlp.gate_proj", i, h},
          {synth::FfnUp, "ffn_up", "mlp.up_proj", i, h},
          {synth::FfnDown, "ffn_down", "mlp.down_proj", h, i}};
}

std::vector<NormSpec> normSpecs(const ModelConfig &c) {
  const int64_t q = c.numHeads * c.headDim;
  return {{synth::AttnNorm, "attn_norm", "input_layernorm", c.hiddenSize},
          {synth::AttnSubNorm, "attn_sub_norm", "self_attn.attn_sub_norm", q},
          {synth::FfnNorm, "ffn_norm", "post_attention_layernorm",
           c.hiddenSize},
          {synth::FfnSubNorm, "ffn_sub_norm", "mlp.ffn_sub_norm",
           c.intermediateSize}};
}

std::optional<TernaryEncoding> encodingOf(SynthFormat f) {
  switch (f) {
  case SynthFormat::GgufI2S:
    return TernaryEncoding::I2_S;
  case SynthFormat::GgufTQ2:
    return TernaryEncoding::TQ2_0;
  case SynthFormat::GgufTQ1:
    return TernaryEncoding::TQ1_0;
  case SynthFormat::HfPacked:
    return TernaryEncoding::HfPacked;
  case SynthFormat::HfBf16:
    return std::nullopt;
  }
  return std::nullopt;
}

bool isGguf(SynthFormat f) {
  return f == SynthFormat::GgufI2S || f == SynthFormat::GgufTQ2 ||
         f == SynthFormat::GgufTQ1;
}

} // namespace

std::string checkSynthConfig(const ModelConfig &c, SynthFormat format) {
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
    if (auto enc = encodingOf(format)) {
      std::string why = checkTernaryShape(*enc, s.rows, s.cols);
      if (!why.empty())
        return std::string(synthFormatName(format)) + " cannot hold " +
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

/// Tokens in GPT-2 form (specials verbatim), padded to the vocabulary size
/// with special placeholders.
struct VocabOut {
  std::vector<std::string> tokens;
  std::vector<bool> special;
};

OrError<VocabOut> vocabFor(const Tokenizer &tok, int64_t vocabSize) {
  if (tok.vocabSize() > vocabSize)
    return OrError<VocabOut>::failure(
        "the tokenizer has " + std::to_string(tok.vocabSize()) +
        " tokens, more than the configuration's vocab_size " +
        std::to_string(vocabSize));
  VocabOut v;
  for (TokenId id = 0; id < tok.vocabSize(); ++id) {
    const std::string bytes(tok.tokenBytes(id));
    v.special.push_back(tok.isSpecial(id));
    v.tokens.push_back(tok.isSpecial(id) ? bytes : bytesToGpt2Unicode(bytes));
  }
  for (int64_t id = tok.vocabSize(); id < vocabSize; ++id) {
    v.tokens.push_back("<|tern_pad_" + std::to_string(id) + "|>");
    v.special.push_back(true);
  }
  return OrError<VocabOut>(std::move(v));
}

class Writer {
public:
  Writer(const SynthOptions &o)
      : o_(o), c_(o.config),
        pool_(o.threads > 0 ? o.threads : ThreadPool::hardwareThreads()) {}

  /// Ternary tensor `id` [rows, cols] in `enc`, into `dst`.
  void fillTernary(uint64_t id, int64_t rows, int64_t cols,
                   TernaryEncoding enc, uint8_t *dst) {
    const float scale = synth::ternaryScale(o_.seed, id);
    if (enc == TernaryEncoding::HfPacked) {
      const int64_t quarter = rows / 4;
      pool_.parallelFor(quarter, [&](int64_t b, int64_t e) {
        std::vector<int8_t> four(static_cast<size_t>(4 * cols));
        for (int64_t r = b; r < e; ++r) {
          for (int i = 0; i < 4; ++i)
            synth::ternaryRow(o_.seed, id, i * quarter + r, cols,
                              &four[i * cols]);
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
        synth::ternaryRow(o_.seed, id, r, cols, t.data());
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

  /// Master weights t * 2 * beta in bf16.
  void fillMaster(uint64_t id, int64_t rows, int64_t cols, uint8_t *dst) {
    const float w = 2.0f * synth::ternaryScale(o_.seed, id);
    const uint16_t plus = floatToBf16(w), minus = floatToBf16(-w), zero = 0;
    pool_.parallelFor(rows, [&](int64_t b, int64_t e) {
      std::vector<int8_t> t(static_cast<size_t>(cols));
      for (int64_t r = b; r < e; ++r) {
        synth::ternaryRow(o_.seed, id, r, cols, t.data());
        for (int64_t c = 0; c < cols; ++c) {
          const uint16_t v = t[c] > 0 ? plus : t[c] < 0 ? minus : zero;
          std::memcpy(dst + 2 * (r * cols + c), &v, 2);
        }
      }
    });
  }

  enum class Store { F32, F16, BF16 };
  void fillFloat(uint64_t id, int64_t rows, int64_t cols, Store store,
                 uint8_t *dst) {
    pool_.parallelFor(rows, [&](int64_t b, int64_t e) {
      std::vector<float> v(static_cast<size_t>(cols));
      for (int64_t r = b; r < e; ++r) {
        synth::floatRow(o_.seed, id, r, cols, v.data());
        for (int64_t c = 0; c < cols; ++c) {
          if (store == Store::F32) {
            std::memcpy(dst + 4 * (r * cols + c), &v[c], 4);
          } else {
            const uint16_t h =
                store == Store::F16 ? floatToFp16(v[c]) : floatToBf16(v[c]);
            std::memcpy(dst + 2 * (r * cols + c), &h, 2);
          }
        }
      }
    });
  }

  std::string writeGguf(const std::string &path) {
    const TernaryEncoding enc = *encodingOf(o_.format);
    GgufWriter w;
    addGgufConfig(w, c_);
    w.addString("general.name", o_.name);
    // llama.cpp's file types: MOSTLY_TQ1_0 = 36, MOSTLY_TQ2_0 = 37;
    // bitnet.cpp's I2_S files say 40.
    w.addUint32("general.file_type", enc == TernaryEncoding::I2_S   ? 40
                                     : enc == TernaryEncoding::TQ1_0 ? 36
                                                                     : 37);
    if (o_.tokenizer) {
      OrError<VocabOut> v = vocabFor(*o_.tokenizer, c_.vocabSize);
      if (!v)
        return path + ": " + v.error;
      TokenizerVocab vocab;
      vocab.tokens = std::move(v->tokens);
      vocab.isSpecial = std::move(v->special);
      vocab.model = "gpt2";
      ModelConfig ids = c_;
      ids.bosId = o_.tokenizer->bosId();
      ids.eosId = o_.tokenizer->eosId();
      ids.eotId = o_.tokenizer->eotId();
      addGgufVocab(w, vocab, ids);
    }

    const int64_t h = c_.hiddenSize;
    w.addTensorDeferred("token_embd.weight", {h, c_.vocabSize}, GgmlType::F16,
                        static_cast<uint64_t>(c_.vocabSize * h * 2),
                        [this, h](uint8_t *d) {
                          fillFloat(synth::kEmbeddingId, c_.vocabSize, h,
                                    Store::F16, d);
                        });
    w.addTensorDeferred("output_norm.weight", {h}, GgmlType::F32,
                        static_cast<uint64_t>(h * 4), [this, h](uint8_t *d) {
                          fillFloat(synth::kOutputNormId, 1, h, Store::F32, d);
                        });
    const GgmlType type = enc == TernaryEncoding::I2_S    ? GgmlType::I2_S
                          : enc == TernaryEncoding::TQ1_0 ? GgmlType::TQ1_0
                                                          : GgmlType::TQ2_0;
    for (int64_t l = 0; l < c_.numLayers; ++l) {
      const std::string b = "blk." + std::to_string(l) + ".";
      for (const NormSpec &n : normSpecs(c_)) {
        const uint64_t id = synth::tensorId(l, n.which);
        const int64_t size = n.size;
        w.addTensorDeferred(b + n.gguf + ".weight", {size}, GgmlType::F32,
                            static_cast<uint64_t>(size * 4),
                            [this, id, size](uint8_t *d) {
                              fillFloat(id, 1, size, Store::F32, d);
                            });
      }
      for (const TernarySpec &t : ternarySpecs(c_)) {
        const uint64_t id = synth::tensorId(l, t.which);
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

  std::string writeHf(const std::string &dir) {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
      return dir + ": cannot create the directory: " + std::strerror(errno);
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return dir + ": exists and is not a directory (Hugging Face formats "
                   "are written as a directory)";
    const bool packed = o_.format == SynthFormat::HfPacked;

    // config.json
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
        {"tie_word_embeddings", true},
        {"torch_dtype", "bfloat16"},
    };
    const Tokenizer *tok = o_.tokenizer ? &*o_.tokenizer : nullptr;
    const int32_t bos = tok ? tok->bosId() : c_.bosId;
    const int32_t eos = tok ? tok->eosId() : c_.eosId;
    if (bos >= 0)
      cfg["bos_token_id"] = bos;
    if (eos >= 0)
      cfg["eos_token_id"] = eos;
    if (packed)
      cfg["quantization_config"] = {{"quant_method", "bitnet"},
                                    {"linear_class", "autobitlinear"},
                                    {"quantization_mode", "offline"}};
    std::string err = writeText(dir + "/config.json", cfg.dump(2) + "\n");
    if (!err.empty())
      return err;

    if (tok) {
      err = writeTokenizerJson(dir + "/tokenizer.json");
      if (!err.empty())
        return err;
    }

    SafetensorsWriter w;
    w.addMetadata("format", "pt");
    const int64_t h = c_.hiddenSize;
    w.addTensor("model.embed_tokens.weight", SafetensorsDType::BF16,
                {c_.vocabSize, h}, static_cast<uint64_t>(c_.vocabSize * h * 2),
                [this, h](uint8_t *d) {
                  fillFloat(synth::kEmbeddingId, c_.vocabSize, h, Store::BF16,
                            d);
                });
    for (int64_t l = 0; l < c_.numLayers; ++l) {
      const std::string b = "model.layers." + std::to_string(l) + ".";
      for (const NormSpec &n : normSpecs(c_)) {
        const uint64_t id = synth::tensorId(l, n.which);
        const int64_t size = n.size;
        w.addTensor(b + n.hf + ".weight", SafetensorsDType::BF16, {size},
                    static_cast<uint64_t>(size * 2),
                    [this, id, size](uint8_t *d) {
                      fillFloat(id, 1, size, Store::BF16, d);
                    });
      }
      for (const TernarySpec &t : ternarySpecs(c_)) {
        const uint64_t id = synth::tensorId(l, t.which);
        const int64_t rows = t.rows, cols = t.cols;
        if (packed) {
          w.addTensor(b + t.hf + ".weight", SafetensorsDType::U8,
                      {rows / 4, cols}, static_cast<uint64_t>(rows / 4 * cols),
                      [this, id, rows, cols](uint8_t *d) {
                        fillTernary(id, rows, cols, TernaryEncoding::HfPacked,
                                    d);
                      });
          const uint16_t s = floatToBf16(synth::ternaryScale(o_.seed, id));
          std::vector<uint8_t> bytes(2);
          std::memcpy(bytes.data(), &s, 2);
          w.addTensor(b + t.hf + ".weight_scale", SafetensorsDType::BF16, {1},
                      std::move(bytes));
        } else {
          w.addTensor(b + t.hf + ".weight", SafetensorsDType::BF16,
                      {rows, cols}, static_cast<uint64_t>(rows * cols * 2),
                      [this, id, rows, cols](uint8_t *d) {
                        fillMaster(id, rows, cols, d);
                      });
        }
      }
    }
    w.addTensor("model.norm.weight", SafetensorsDType::BF16, {h},
                static_cast<uint64_t>(h * 2), [this, h](uint8_t *d) {
                  fillFloat(synth::kOutputNormId, 1, h, Store::BF16, d);
                });
    return w.writeFile(dir + "/model.safetensors");
  }

  /// The tokenizer as a Hugging Face tokenizer.json (padded like the GGUF
  /// vocabulary).
  std::string writeTokenizerJson(const std::string &path) {
    OrError<VocabOut> v = vocabFor(*o_.tokenizer, c_.vocabSize);
    if (!v)
      return path + ": " + v.error;
    TokenizerJsonVocab vocab;
    vocab.tokens = std::move(v->tokens);
    vocab.isSpecial = std::move(v->special);
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
  const SynthOptions &o_;
  const ModelConfig &c_;
  ThreadPool pool_;
};

} // namespace

std::string writeSyntheticModel(const SynthOptions &options,
                                const std::string &path) {
  std::string why = checkSynthConfig(options.config, options.format);
  if (!why.empty())
    return path + ": " + why;
  Writer w(options);
  return isGguf(options.format) ? w.writeGguf(path) : w.writeHf(path);
}

} // namespace tern
