//===- TestModels.cpp - Tiny synthetic BitNet GGUF files for tests --------===//

#include "runtime/model/TestModels.h"

#include "runtime/model/Half.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <unistd.h>

namespace tern {
namespace testmodels {
namespace {

/// Small deterministic generator (xorshift32).
struct Rng {
  uint32_t s;
  uint32_t next() {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
  }
};

std::vector<uint8_t> f32Bytes(const std::vector<float> &v) {
  std::vector<uint8_t> out(v.size() * 4);
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

std::vector<uint8_t> halfBytes(const std::vector<float> &v, bool bf16) {
  std::vector<uint8_t> out(v.size() * 2);
  for (size_t i = 0; i < v.size(); ++i) {
    const uint16_t h = bf16 ? floatToBf16(v[i]) : floatToFp16(v[i]);
    std::memcpy(out.data() + 2 * i, &h, 2);
  }
  return out;
}

} // namespace

TinyModel makeTinyModel(TernaryEncoding encoding, uint32_t seed) {
  TinyModel m;
  m.encoding = encoding;
  Rng rng{seed * 2654435761u + 12345u};
  const int64_t headDim = m.hidden / m.heads;
  const int64_t kvDim = m.kvHeads * headDim;

  // Vocabulary: 256 byte tokens, some two-letter tokens, 3 specials.
  for (int b = 0; b < 256; ++b)
    m.tokens.push_back(bytesToGpt2Unicode(std::string(1, char(b))));
  const std::string letters = "abcdefghijklmnopqrstuvwxyz";
  for (int i = 0; static_cast<int64_t>(m.tokens.size()) < m.vocab - 3; ++i)
    m.tokens.push_back(std::string(1, letters[i / 26 % 26]) + letters[i % 26]);
  m.tokens.push_back("<|begin_of_text|>");
  m.tokens.push_back("<|end_of_text|>");
  m.tokens.push_back("<|eot_id|>");
  m.tokenTypes.assign(m.tokens.size(), 1);
  for (size_t i = m.tokens.size() - 3; i < m.tokens.size(); ++i)
    m.tokenTypes[i] = 3;

  // Embedding [vocab, hidden] in F16: multiples of 1/64 in [-1, 1).
  m.embedding.resize(static_cast<size_t>(m.vocab * m.hidden));
  for (float &x : m.embedding)
    x = float(int(rng.next() % 128) - 64) / 64.0f;
  m.tensors.push_back({"token_embd.weight",
                       {m.hidden, m.vocab},
                       static_cast<uint32_t>(GgmlType::F16),
                       halfBytes(m.embedding, false)});

  auto addNorm = [&](const std::string &name, int64_t size, GgmlType type) {
    std::vector<float> v(static_cast<size_t>(size));
    for (float &x : v)
      x = 0.5f + float(rng.next() % 64) / 32.0f; // Exact in F16 and BF16.
    m.norms[name] = v;
    std::vector<uint8_t> bytes = type == GgmlType::F32
                                     ? f32Bytes(v)
                                     : halfBytes(v, type == GgmlType::BF16);
    m.tensors.push_back(
        {name, {size}, static_cast<uint32_t>(type), std::move(bytes)});
  };

  int scaleIndex = 0;
  auto addTernary = [&](const std::string &name, int64_t rows, int64_t cols) {
    std::vector<int8_t> t(static_cast<size_t>(rows * cols));
    for (int8_t &x : t)
      x = static_cast<int8_t>(int(rng.next() % 3) - 1);
    // Multiples of 1/64 up to ~2: exact in fp16, so all encodings agree.
    const float scale = float(8 + scaleIndex++) / 64.0f;
    m.ternary[name] = t;
    m.scales[name] = scale;
    std::vector<uint8_t> bytes(
        static_cast<size_t>(ternaryEncodedBytes(encoding, rows, cols)));
    uint32_t type = 0;
    switch (encoding) {
    case TernaryEncoding::I2_S:
      packI2S(t.data(), rows, cols, scale, bytes.data());
      type = static_cast<uint32_t>(GgmlType::I2_S);
      break;
    case TernaryEncoding::TQ2_0:
      packTQ2_0(t.data(), rows, cols, scale, bytes.data());
      type = static_cast<uint32_t>(GgmlType::TQ2_0);
      break;
    case TernaryEncoding::TQ1_0:
      packTQ1_0(t.data(), rows, cols, scale, bytes.data());
      type = static_cast<uint32_t>(GgmlType::TQ1_0);
      break;
    default:
      break; // Not a GGUF encoding.
    }
    m.tensors.push_back({name, {cols, rows}, type, std::move(bytes)});
  };

  for (int64_t l = 0; l < m.layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    addNorm(b + "attn_norm.weight", m.hidden, GgmlType::F32);
    addTernary(b + "attn_q.weight", m.hidden, m.hidden);
    addTernary(b + "attn_k.weight", kvDim, m.hidden);
    addTernary(b + "attn_v.weight", kvDim, m.hidden);
    addNorm(b + "attn_sub_norm.weight", m.hidden, GgmlType::F16);
    addTernary(b + "attn_output.weight", m.hidden, m.hidden);
    addNorm(b + "ffn_norm.weight", m.hidden, GgmlType::BF16);
    addTernary(b + "ffn_gate.weight", m.intermediate, m.hidden);
    addTernary(b + "ffn_up.weight", m.intermediate, m.hidden);
    addNorm(b + "ffn_sub_norm.weight", m.intermediate, GgmlType::F32);
    addTernary(b + "ffn_down.weight", m.hidden, m.intermediate);
  }
  addNorm("output_norm.weight", m.hidden, GgmlType::F32);
  return m;
}

GgufWriter writerFor(const TinyModel &m) {
  GgufWriter w;
  const std::string a = m.architecture + ".";
  auto keep = [&](const std::string &key) { return !m.omitKeys.count(key); };
  auto u32 = [&](const std::string &key, int64_t v) {
    if (keep(key))
      w.addUint32(key, static_cast<uint32_t>(v));
  };
  if (keep("general.architecture"))
    w.addString("general.architecture", m.architecture);
  if (keep("general.name"))
    w.addString("general.name", "tiny-bitnet");
  u32("general.file_type", 40);
  u32(a + "embedding_length", m.hidden);
  u32(a + "feed_forward_length", m.intermediate);
  u32(a + "block_count", m.layers);
  u32(a + "attention.head_count", m.heads);
  u32(a + "attention.head_count_kv", m.kvHeads);
  u32(a + "context_length", m.context);
  if (keep(a + "rope.freq_base"))
    w.addFloat32(a + "rope.freq_base", 500000.0f);
  if (keep(a + "attention.layer_norm_rms_epsilon"))
    w.addFloat32(a + "attention.layer_norm_rms_epsilon", 1e-5f);
  if (keep("tokenizer.ggml.model"))
    w.addString("tokenizer.ggml.model", "gpt2");
  if (keep("tokenizer.ggml.tokens"))
    w.addStringArray("tokenizer.ggml.tokens", m.tokens);
  if (keep("tokenizer.ggml.token_type"))
    w.addInt32Array("tokenizer.ggml.token_type", m.tokenTypes);
  u32("tokenizer.ggml.bos_token_id", m.vocab - 3);
  u32("tokenizer.ggml.eos_token_id", m.vocab - 2);
  for (const TensorSpec &t : m.tensors)
    w.addTensor(t.name, t.dims, t.type, t.bytes);
  return w;
}

TensorSpec *findSpec(TinyModel &m, const std::string &name) {
  for (TensorSpec &t : m.tensors)
    if (t.name == name)
      return &t;
  return nullptr;
}

std::string tempDir() {
  struct Remover {
    std::string dir;
    ~Remover() {
      std::error_code ec;
      if (!dir.empty())
        std::filesystem::remove_all(dir, ec);
    }
  };
  static Remover remover;
  static const std::string dir = [] {
    const char *base = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(base && *base ? base : "/tmp") + "/tern-model-test-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    const char *made = ::mkdtemp(buf.data());
    remover.dir = made ? made : "";
    return made ? std::string(made) : std::string("/tmp");
  }();
  return dir;
}

::testing::AssertionResult hasWords(const std::string &text,
                                    std::initializer_list<const char *> words) {
  for (const char *w : words)
    if (text.find(w) == std::string::npos)
      return ::testing::AssertionFailure()
             << "message \"" << text << "\" lacks \"" << w << "\"";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult hasWords(const std::string &text,
                                    std::initializer_list<std::string> words) {
  for (const std::string &w : words)
    if (text.find(w) == std::string::npos)
      return ::testing::AssertionFailure()
             << "message \"" << text << "\" lacks \"" << w << "\"";
  return ::testing::AssertionSuccess();
}

size_t findBytes(const std::vector<uint8_t> &bytes, const std::string &needle) {
  const std::string_view hay(reinterpret_cast<const char *>(bytes.data()),
                             bytes.size());
  return hay.find(needle);
}

//===----------------------------------------------------------------------===//
// Hugging Face checkpoints
//===----------------------------------------------------------------------===//

std::vector<uint8_t> bf16Bytes(const std::vector<float> &values) {
  return halfBytes(values, /*bf16=*/true);
}

std::string hfTensorName(const std::string &ggufName) {
  if (ggufName == "token_embd.weight")
    return "model.embed_tokens.weight";
  if (ggufName == "output_norm.weight")
    return "model.norm.weight";
  if (ggufName == "output.weight")
    return "lm_head.weight";
  static const std::pair<const char *, const char *> kLayer[] = {
      {"attn_norm", "input_layernorm"},
      {"attn_q", "self_attn.q_proj"},
      {"attn_k", "self_attn.k_proj"},
      {"attn_v", "self_attn.v_proj"},
      {"attn_output", "self_attn.o_proj"},
      {"attn_sub_norm", "self_attn.attn_sub_norm"},
      {"ffn_norm", "post_attention_layernorm"},
      {"ffn_gate", "mlp.gate_proj"},
      {"ffn_up", "mlp.up_proj"},
      {"ffn_down", "mlp.down_proj"},
      {"ffn_sub_norm", "mlp.ffn_sub_norm"}};
  // "blk.<n>.<what>.weight"
  const size_t dot1 = ggufName.find('.');
  const size_t dot2 = ggufName.find('.', dot1 + 1);
  const size_t dot3 = ggufName.rfind('.');
  if (ggufName.compare(0, 4, "blk.") != 0 || dot2 == std::string::npos)
    return ggufName;
  const std::string layer = ggufName.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string what = ggufName.substr(dot2 + 1, dot3 - dot2 - 1);
  for (auto [gguf, hf] : kLayer)
    if (what == gguf)
      return "model.layers." + layer + "." + hf + ".weight";
  return ggufName;
}

HfCheckpoint hfCheckpointFor(const TinyModel &m, HfWeightFormat format) {
  HfCheckpoint c;
  const auto num = [](int64_t v) { return std::to_string(v); };
  c.config["architectures"] = "[\"BitNetForCausalLM\"]";
  c.config["model_type"] = "\"bitnet\"";
  c.config["hidden_act"] = "\"relu2\"";
  c.config["hidden_size"] = num(m.hidden);
  c.config["intermediate_size"] = num(m.intermediate);
  c.config["num_hidden_layers"] = num(m.layers);
  c.config["num_attention_heads"] = num(m.heads);
  c.config["num_key_value_heads"] = num(m.kvHeads);
  c.config["vocab_size"] = num(m.vocab);
  c.config["max_position_embeddings"] = num(m.context);
  c.config["rope_theta"] = "500000.0";
  c.config["rms_norm_eps"] = "1e-05";
  c.config["bos_token_id"] = num(m.vocab - 3);
  c.config["eos_token_id"] =
      "[" + num(m.vocab - 2) + ", " + num(m.vocab - 1) + "]";
  c.config["tie_word_embeddings"] = "true";
  c.config["torch_dtype"] = "\"bfloat16\"";
  c.config["use_cache"] = "true";
  if (format == HfWeightFormat::Packed)
    c.config["quantization_config"] =
        "{\"quant_method\": \"bitnet\", \"linear_class\": \"autobitlinear\", "
        "\"quantization_mode\": \"offline\"}";
  else if (format == HfWeightFormat::PackedLegacyConfig)
    c.config["quantization_config"] =
        "{\"quant_method\": \"bitnet\", \"offline_quantization\": true}";

  for (const TensorSpec &t : m.tensors) {
    const std::string name = hfTensorName(t.name);
    if (t.name == "token_embd.weight") {
      c.tensors.push_back({name,
                           SafetensorsDType::BF16,
                           {m.vocab, m.hidden},
                           bf16Bytes(m.embedding)});
      continue;
    }
    if (auto norm = m.norms.find(t.name); norm != m.norms.end()) {
      c.tensors.push_back({name,
                           SafetensorsDType::BF16,
                           {static_cast<int64_t>(norm->second.size())},
                           bf16Bytes(norm->second)});
      continue;
    }
    auto tern = m.ternary.find(t.name);
    if (tern == m.ternary.end())
      continue; // Not one of the model's own tensors.
    const int64_t rows = t.dims[1], cols = t.dims[0];
    const float scale = m.scales.at(t.name);
    if (format == HfWeightFormat::Bf16Master) {
      std::vector<float> w(tern->second.size());
      for (size_t i = 0; i < w.size(); ++i)
        w[i] = float(tern->second[i]) * scale;
      c.tensors.push_back(
          {name, SafetensorsDType::BF16, {rows, cols}, bf16Bytes(w)});
      continue;
    }
    std::vector<uint8_t> packed(static_cast<size_t>(rows * cols / 4));
    packHfTernary(tern->second.data(), rows, cols, packed.data());
    c.tensors.push_back(
        {name, SafetensorsDType::U8, {rows / 4, cols}, std::move(packed)});
    const std::string module = name.substr(0, name.size() - 7); // ".weight"
    c.tensors.push_back({module + ".weight_scale",
                         SafetensorsDType::BF16,
                         {1},
                         bf16Bytes({scale})});
  }

  TokenizerJsonVocab vocab;
  vocab.tokens = m.tokens;
  for (int32_t type : m.tokenTypes)
    vocab.isSpecial.push_back(type == 3);
  c.tokenizerJson = tokenizerJsonText(vocab);
  return c;
}

HfTensorSpec *findHfSpec(HfCheckpoint &c, const std::string &name) {
  for (HfTensorSpec &t : c.tensors)
    if (t.name == name)
      return &t;
  return nullptr;
}

namespace {

std::string writeText(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return out ? "" : path + ": cannot write";
}

std::string shardName(int i, int n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "model-%05d-of-%05d.safetensors", i, n);
  return buf;
}

} // namespace

std::string writeHfCheckpoint(const HfCheckpoint &c, const std::string &dir,
                              int shards) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return dir + ": " + ec.message();
  std::string config = "{";
  for (const auto &[key, value] : c.config)
    config += std::string(config.size() > 1 ? "," : "") + "\n  \"" + key +
              "\": " + value;
  config += "\n}\n";
  std::string error = writeText(dir + "/config.json", config);
  if (!error.empty())
    return error;
  if (!c.tokenizerJson.empty()) {
    error = writeText(dir + "/tokenizer.json", c.tokenizerJson);
    if (!error.empty())
      return error;
  }
  if (shards <= 1) {
    SafetensorsWriter w;
    w.addMetadata("format", "pt");
    for (const HfTensorSpec &t : c.tensors)
      w.addTensor(t.name, t.dtype, t.shape, t.bytes);
    return w.writeFile(dir + "/model.safetensors");
  }
  nlohmann::json index;
  uint64_t total = 0;
  const size_t perShard = (c.tensors.size() + shards - 1) / shards;
  for (int s = 0; s < shards; ++s) {
    SafetensorsWriter w;
    w.addMetadata("format", "pt");
    const std::string file = shardName(s + 1, shards);
    for (size_t i = s * perShard;
         i < std::min(c.tensors.size(), (s + 1) * perShard); ++i) {
      const HfTensorSpec &t = c.tensors[i];
      w.addTensor(t.name, t.dtype, t.shape, t.bytes);
      index["weight_map"][t.name] = file;
      total += t.bytes.size();
    }
    error = w.writeFile(dir + "/" + file);
    if (!error.empty())
      return error;
  }
  index["metadata"]["total_size"] = total;
  return writeText(dir + "/model.safetensors.index.json", index.dump(2));
}

} // namespace testmodels
} // namespace tern
