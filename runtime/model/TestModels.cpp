//===- TestModels.cpp - Tiny synthetic BitNet GGUF files for tests --------===//

#include "runtime/model/TestModels.h"

#include "runtime/model/Half.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
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

size_t findBytes(const std::vector<uint8_t> &bytes, const std::string &needle) {
  const std::string_view hay(reinterpret_cast<const char *>(bytes.data()),
                             bytes.size());
  return hay.find(needle);
}

} // namespace testmodels
} // namespace tern
