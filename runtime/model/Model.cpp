//===- Model.cpp - In-memory description of a BitNet b1.58 model ----------===//

#include "runtime/model/Model.h"

#include "runtime/model/Half.h"
#include "runtime/tokenizer/Merges.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>

namespace tern {

//===----------------------------------------------------------------------===//
// ModelDescription helpers
//===----------------------------------------------------------------------===//

const char *denseTypeName(DenseType type) {
  switch (type) {
  case DenseType::F32:
    return "F32";
  case DenseType::F16:
    return "F16";
  case DenseType::BF16:
    return "BF16";
  }
  return "unknown";
}

bool denseRowToFloat(const DenseTensor &t, int64_t row, float *out) {
  if (!t.data || row < 0 || row >= t.rows || t.cols <= 0)
    return false;
  const auto *base = static_cast<const uint8_t *>(t.data);
  switch (t.type) {
  case DenseType::F32:
    std::memcpy(out, base + row * t.cols * 4, static_cast<size_t>(t.cols) * 4);
    return true;
  case DenseType::F16:
  case DenseType::BF16: {
    const uint8_t *p = base + row * t.cols * 2;
    for (int64_t c = 0; c < t.cols; ++c) {
      uint16_t h;
      std::memcpy(&h, p + 2 * c, 2);
      out[c] = t.type == DenseType::F16 ? fp16ToFloat(h) : bf16ToFloat(h);
    }
    return true;
  }
  }
  return false;
}

const float *ModelDescription::adoptFloats(std::vector<float> values) {
  auto owned = std::make_shared<const std::vector<float>>(std::move(values));
  const float *p = owned->data();
  storage.push_back(std::move(owned));
  return p;
}

const uint8_t *ModelDescription::adoptBytes(const uint8_t *bytes,
                                            uint64_t size) {
  std::vector<float> buffer(static_cast<size_t>((size + 3) / 4));
  if (size)
    std::memcpy(buffer.data(), bytes, static_cast<size_t>(size));
  return reinterpret_cast<const uint8_t *>(adoptFloats(std::move(buffer)));
}

std::string checkModelShape(const ModelConfig &c, const std::string &where) {
  using L = ModelShapeLimits;
  const struct {
    const char *what;
    int64_t value, max;
  } dims[] = {
      {"the hidden size", c.hiddenSize, L::kMaxWidth},
      {"the feed-forward size", c.intermediateSize, L::kMaxWidth},
      {"the layer count", c.numLayers, L::kMaxLayers},
      {"the attention head count", c.numHeads, L::kMaxHeads},
      {"the key/value head count", c.numKvHeads, L::kMaxHeads},
      {"the head dimension", c.headDim, L::kMaxWidth},
      {"the vocabulary size", c.vocabSize, L::kMaxVocab},
      {"the context length", c.maxPositions, L::kMaxPositions},
  };
  for (const auto &d : dims)
    if (d.value <= 0 || d.value > d.max)
      return where + ": " + d.what + " is " + std::to_string(d.value) +
             ", outside 1.." + std::to_string(d.max);
  // Each factor is at most 2^20 here, so the product is exact.
  const int64_t q = c.numHeads * c.headDim;
  if (q > L::kMaxProjection)
    return where + ": " + std::to_string(c.numHeads) + " heads of " +
           std::to_string(c.headDim) + " make a projection of " +
           std::to_string(q) + " rows, over the limit " +
           std::to_string(L::kMaxProjection);
  return "";
}

//===----------------------------------------------------------------------===//
// GGUF configuration
//===----------------------------------------------------------------------===//

namespace {

bool isBitnetArchitecture(const std::string &arch) {
  return arch == "bitnet-b1.58" || arch == "bitnet" || arch == "bitnet-25";
}

/// Reads the configuration; `tokens` (may be null) is the token list, used
/// for the vocabulary size and the <|eot_id|> fallback.
OrError<ModelConfig> readConfig(const GgufFile &f,
                                const std::vector<std::string> *tokens) {
  using R = OrError<ModelConfig>;
  ModelConfig c;
  OrError<std::string> arch = f.getString("general.architecture");
  if (!arch)
    return R::failure(arch.error);
  if (!isBitnetArchitecture(*arch))
    return R::failure(f.path() + ": general.architecture is '" + *arch +
                      "', not a BitNet b1.58 model (expected 'bitnet-b1.58', "
                      "'bitnet' or 'bitnet-25')");
  c.architecture = *arch;
  const std::string p = *arch + ".";

  std::string error;
  // A positive integer (required, or `fallback` when absent and >= 0).
  auto positive = [&](const std::string &key, int64_t fallback) -> int64_t {
    if (!error.empty())
      return 0;
    if (fallback >= 0 && !f.hasKey(key))
      return fallback;
    OrError<uint32_t> v = f.getU32(key);
    if (!v) {
      error = v.error;
      return 0;
    }
    if (*v == 0) {
      error = f.path() + ": metadata key '" + key + "' is 0";
      return 0;
    }
    return *v;
  };
  auto positiveFloat = [&](const std::string &key, float fallback) -> float {
    if (!error.empty() || !f.hasKey(key))
      return fallback;
    OrError<float> v = f.getF32(key);
    if (!v) {
      error = v.error;
      return fallback;
    }
    if (!(std::isfinite(*v) && *v > 0)) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", double(*v));
      error = f.path() + ": metadata key '" + key + "' is " + buf +
              ", expected a positive finite number";
    }
    return *v;
  };

  c.hiddenSize = positive(p + "embedding_length", -1);
  c.intermediateSize = positive(p + "feed_forward_length", -1);
  c.numLayers = positive(p + "block_count", -1);
  c.numHeads = positive(p + "attention.head_count", -1);
  c.numKvHeads = positive(p + "attention.head_count_kv", c.numHeads);
  c.maxPositions = positive(p + "context_length", -1);
  c.ropeTheta = positiveFloat(p + "rope.freq_base", 10000.0f);
  c.rmsNormEps = positiveFloat(p + "attention.layer_norm_rms_epsilon", 1e-5f);
  if (!error.empty())
    return R::failure(error);

  const std::string headKey = p + "attention.key_length";
  if (f.hasKey(headKey)) {
    c.headDim = positive(headKey, -1);
    if (!error.empty())
      return R::failure(error);
  } else {
    if (c.hiddenSize % c.numHeads != 0)
      return R::failure(f.path() + ": " + p + "embedding_length " +
                        std::to_string(c.hiddenSize) + " is not divisible by " +
                        p + "attention.head_count " +
                        std::to_string(c.numHeads));
    c.headDim = c.hiddenSize / c.numHeads;
  }
  if (c.numHeads % c.numKvHeads != 0)
    return R::failure(f.path() + ": " + p + "attention.head_count " +
                      std::to_string(c.numHeads) + " is not a multiple of " +
                      p + "attention.head_count_kv " +
                      std::to_string(c.numKvHeads));
  if (c.headDim % 2 != 0)
    return R::failure(f.path() + ": head dimension " +
                      std::to_string(c.headDim) +
                      " is odd (rotary embeddings need an even one)");

  // Vocabulary size: explicit key, else the token list, else the embedding.
  const std::string vocabKey = p + "vocab_size";
  const GgufTensorInfo *embd = f.findTensor("token_embd.weight");
  if (f.hasKey(vocabKey)) {
    c.vocabSize = positive(vocabKey, -1);
    if (!error.empty())
      return R::failure(error);
  } else if (tokens && !tokens->empty()) {
    c.vocabSize = static_cast<int64_t>(tokens->size());
  } else if (embd && embd->dims.size() == 2) {
    c.vocabSize = embd->dims[1];
  } else {
    return R::failure(f.path() + ": cannot tell the vocabulary size (no " +
                      vocabKey +
                      ", no tokenizer.ggml.tokens, no 2-D "
                      "token_embd.weight)");
  }
  if (tokens && static_cast<int64_t>(tokens->size()) > c.vocabSize)
    return R::failure(f.path() + ": tokenizer.ggml.tokens has " +
                      std::to_string(tokens->size()) +
                      " tokens, more than the vocabulary size " +
                      std::to_string(c.vocabSize));

  // Special token ids.
  auto tokenId = [&](const std::string &key, int32_t &out) {
    if (!error.empty() || !f.hasKey(key))
      return;
    OrError<uint32_t> v = f.getU32(key);
    if (!v) {
      error = v.error;
      return;
    }
    if (*v >= c.vocabSize) {
      error = f.path() + ": metadata key '" + key +
              "' = " + std::to_string(*v) + " is outside the vocabulary (" +
              std::to_string(c.vocabSize) + " tokens)";
      return;
    }
    out = static_cast<int32_t>(*v);
  };
  tokenId("tokenizer.ggml.bos_token_id", c.bosId);
  tokenId("tokenizer.ggml.eos_token_id", c.eosId);
  tokenId("tokenizer.ggml.eot_token_id", c.eotId);
  if (!error.empty())
    return R::failure(error);
  if (c.eotId < 0 && tokens)
    for (size_t i = 0; i < tokens->size(); ++i)
      if ((*tokens)[i] == "<|eot_id|>") {
        c.eotId = static_cast<int32_t>(i);
        break;
      }

  c.tiedEmbeddings = f.findTensor("output.weight") == nullptr;
  if (std::string bad = checkModelShape(c, f.path()); !bad.empty())
    return R::failure(bad);
  return R(std::move(c));
}

//===----------------------------------------------------------------------===//
// GGUF tensors
//===----------------------------------------------------------------------===//

/// Loads the tensors of one GGUF file into a ModelDescription.
class GgufModelLoader {
public:
  GgufModelLoader(const GgufFile &f, ModelDescription &m) : f_(f), m_(m) {}

  std::string error;

  bool loadTensors() {
    const ModelConfig &c = m_.config;
    const int64_t qDim = c.numHeads * c.headDim;
    const int64_t kvDim = c.numKvHeads * c.headDim;
    if (!loadDense("token_embd.weight", c.vocabSize, c.hiddenSize,
                   m_.tokenEmbedding) ||
        !loadNorm("output_norm.weight", c.hiddenSize, m_.outputNorm))
      return false;
    if (!c.tiedEmbeddings) {
      m_.output.emplace();
      if (!loadDense("output.weight", c.vocabSize, c.hiddenSize, *m_.output))
        return false;
    }
    m_.layers.clear();
    for (int64_t i = 0; i < c.numLayers; ++i) {
      const std::string b = "blk." + std::to_string(i) + ".";
      LayerWeights l;
      if (!loadNorm(b + "attn_norm.weight", c.hiddenSize, l.attnNorm) ||
          !loadTernary(b + "attn_q.weight", qDim, c.hiddenSize, l.attnQ) ||
          !loadTernary(b + "attn_k.weight", kvDim, c.hiddenSize, l.attnK) ||
          !loadTernary(b + "attn_v.weight", kvDim, c.hiddenSize, l.attnV) ||
          !loadNorm(b + "attn_sub_norm.weight", qDim, l.attnSubNorm) ||
          !loadTernary(b + "attn_output.weight", c.hiddenSize, qDim,
                       l.attnOutput) ||
          !loadNorm(b + "ffn_norm.weight", c.hiddenSize, l.ffnNorm) ||
          !loadTernary(b + "ffn_gate.weight", c.intermediateSize, c.hiddenSize,
                       l.ffnGate) ||
          !loadTernary(b + "ffn_up.weight", c.intermediateSize, c.hiddenSize,
                       l.ffnUp) ||
          !loadNorm(b + "ffn_sub_norm.weight", c.intermediateSize,
                    l.ffnSubNorm) ||
          !loadTernary(b + "ffn_down.weight", c.hiddenSize, c.intermediateSize,
                       l.ffnDown))
        return false;
      m_.layers.push_back(std::move(l));
    }
    return true;
  }

private:
  bool fail(const std::string &message) {
    error = f_.path() + ": " + message;
    return false;
  }

  const GgufTensorInfo *require(const std::string &name) {
    const GgufTensorInfo *t = f_.findTensor(name);
    if (!t)
      fail("missing tensor '" + name + "'");
    return t;
  }

  /// Shape check; `expected` in ggml order (fastest first).
  bool checkDims(const GgufTensorInfo &t, const std::vector<int64_t> &expected,
                 const char *meaning) {
    if (t.dims == expected)
      return true;
    return fail("tensor '" + t.name + "' has shape " + formatDims(t.dims) +
                ", expected " + formatDims(expected) +
                " (ggml order: " + meaning + ")");
  }

  std::string fileTypeText() const {
    OrError<uint32_t> ft = f_.getU32("general.file_type");
    return ft ? std::to_string(*ft) : std::string("absent");
  }

  bool unsupportedType(const GgufTensorInfo &t, const std::string &wanted) {
    if (t.type == static_cast<uint32_t>(GgmlType::TL1) ||
        t.type == static_cast<uint32_t>(GgmlType::TL2)) {
      const bool tl2 = t.type == static_cast<uint32_t>(GgmlType::TL2);
      return fail(
          "tensor '" + t.name + "' has ggml type id " + std::to_string(t.type) +
          ", which bitnet.cpp uses for " +
          (tl2 ? "TL2 (its x86 lookup-table layout) and upstream ggml for "
                 "MXFP4"
               : "TL1 (its ARM lookup-table layout)") +
          "; which one a file means depends on general.architecture / "
          "general.file_type (this file: architecture '" +
          m_.config.architecture + "', file_type " + fileTypeText() +
          "). Tern supports neither: convert the model to I2_S, TQ1_0 or "
          "TQ2_0");
    }
    return fail("tensor '" + t.name + "' has unsupported type " +
                ggmlTypeDescription(t.type) + "; Tern supports " + wanted +
                " here");
  }

  bool loadTernary(const std::string &name, int64_t rows, int64_t cols,
                   TernaryTensor &out) {
    const GgufTensorInfo *t = require(name);
    if (!t)
      return false;
    TernaryEncoding enc;
    switch (static_cast<GgmlType>(t->type)) {
    case GgmlType::I2_S:
      enc = TernaryEncoding::I2_S;
      break;
    case GgmlType::TQ1_0:
      enc = TernaryEncoding::TQ1_0;
      break;
    case GgmlType::TQ2_0:
      enc = TernaryEncoding::TQ2_0;
      break;
    default:
      return unsupportedType(*t, "ternary weights in I2_S, TQ1_0 or TQ2_0");
    }
    if (!checkDims(*t, {cols, rows}, "[in features, out features]"))
      return false;
    const std::string shape = checkTernaryShape(enc, rows, cols);
    if (!shape.empty())
      return fail("tensor '" + name + "' (" + ternaryEncodingName(enc) +
                  "): " + shape);
    OrError<float> scale = readStoredTernaryScale(
        enc, name, t->data, t->byteSize.value_or(0), rows, cols);
    if (!scale)
      return fail(scale.error);
    out.name = name;
    out.rows = rows;
    out.cols = cols;
    out.encoding = enc;
    out.data = t->data;
    out.byteSize = static_cast<uint64_t>(ternaryEncodedBytes(enc, rows, cols));
    out.scale = *scale;
    return applyExtraScale(name, out);
  }

  /// llama.cpp's BitNet loader accepts an optional "<base>.scale" tensor
  /// (one F32) that multiplies the weight's output.
  bool applyExtraScale(const std::string &name, TernaryTensor &out) {
    const std::string suffix = ".weight";
    if (name.size() <= suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      return true;
    const std::string scaleName =
        name.substr(0, name.size() - suffix.size()) + ".scale";
    const GgufTensorInfo *s = f_.findTensor(scaleName);
    if (!s)
      return true;
    if (s->type != static_cast<uint32_t>(GgmlType::F32) || s->numElements != 1)
      return fail("tensor '" + scaleName +
                  "' must be a single F32 value, got " +
                  ggmlTypeDescription(s->type) + " " + formatDims(s->dims));
    float v;
    std::memcpy(&v, s->data, sizeof v);
    const float scaled = out.scale * v;
    if (!std::isfinite(scaled))
      return fail("tensor '" + scaleName + "' makes the scale of '" + name +
                  "' non-finite");
    out.scale = scaled;
    return true;
  }

  bool loadNorm(const std::string &name, int64_t size, FloatTensor &out) {
    const GgufTensorInfo *t = require(name);
    if (!t || !checkDims(*t, {size}, "[size]"))
      return false;
    out.name = name;
    out.size = size;
    const auto type = static_cast<GgmlType>(t->type);
    if (type == GgmlType::F32) {
      if (reinterpret_cast<uintptr_t>(t->data) % alignof(float) == 0)
        out.data = reinterpret_cast<const float *>(t->data);
      else
        out.data = reinterpret_cast<const float *>(
            m_.adoptBytes(t->data, *t->byteSize));
      return true;
    }
    if (type != GgmlType::F16 && type != GgmlType::BF16)
      return unsupportedType(*t, "F32, F16 or BF16");
    std::vector<float> values(static_cast<size_t>(size));
    for (int64_t i = 0; i < size; ++i) {
      uint16_t h;
      std::memcpy(&h, t->data + 2 * i, 2);
      values[static_cast<size_t>(i)] =
          type == GgmlType::F16 ? fp16ToFloat(h) : bf16ToFloat(h);
    }
    out.data = m_.adoptFloats(std::move(values));
    return true;
  }

  bool loadDense(const std::string &name, int64_t rows, int64_t cols,
                 DenseTensor &out) {
    const GgufTensorInfo *t = require(name);
    if (!t || !checkDims(*t, {cols, rows}, "[hidden, vocab]"))
      return false;
    size_t align;
    switch (static_cast<GgmlType>(t->type)) {
    case GgmlType::F32:
      out.type = DenseType::F32, align = 4;
      break;
    case GgmlType::F16:
      out.type = DenseType::F16, align = 2;
      break;
    case GgmlType::BF16:
      out.type = DenseType::BF16, align = 2;
      break;
    default:
      return unsupportedType(*t, "F32, F16 or BF16");
    }
    out.name = name;
    out.rows = rows;
    out.cols = cols;
    // Files with an alignment below the element size are legal but rare:
    // copy rather than hand out a misaligned pointer.
    out.data = reinterpret_cast<uintptr_t>(t->data) % align == 0
                   ? static_cast<const void *>(t->data)
                   : m_.adoptBytes(t->data, *t->byteSize);
    return true;
  }

  const GgufFile &f_;
  ModelDescription &m_;
};

std::string hexBytes(const uint8_t *p, uint64_t n) {
  std::string s;
  for (uint64_t i = 0; i < n; ++i) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%s%02X", i ? " " : "", p[i]);
    s += buf;
  }
  return s;
}

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

OrError<ModelConfig> readGgufConfig(const GgufFile &file,
                                    const TokenizerVocab &vocab) {
  return readConfig(file, &vocab.tokens);
}

OrError<ModelConfig> readGgufConfig(const GgufFile &file) {
  std::vector<std::string> tokens;
  if (file.hasKey("tokenizer.ggml.tokens")) {
    auto t = file.getStringArray("tokenizer.ggml.tokens");
    if (!t)
      return OrError<ModelConfig>::failure(t.error);
    tokens = std::move(*t);
  }
  return readConfig(file, &tokens);
}

OrError<TokenizerVocab> readGgufVocab(const GgufFile &file) {
  using R = OrError<TokenizerVocab>;
  TokenizerVocab v;
  if (file.hasKey("tokenizer.ggml.tokens")) {
    auto tokens = file.getStringArray("tokenizer.ggml.tokens");
    if (!tokens)
      return R::failure(tokens.error);
    v.tokens = std::move(*tokens);
    v.isSpecial.assign(v.tokens.size(), false);
    if (file.hasKey("tokenizer.ggml.token_type")) {
      auto types = file.getI32Array("tokenizer.ggml.token_type");
      if (!types)
        return R::failure(types.error);
      if (types->size() != v.tokens.size())
        return R::failure(file.path() + ": tokenizer.ggml.token_type has " +
                          std::to_string(types->size()) +
                          " entries but tokenizer.ggml.tokens has " +
                          std::to_string(v.tokens.size()));
      for (size_t i = 0; i < types->size(); ++i)
        v.isSpecial[i] = (*types)[i] == 3 || (*types)[i] == 4;
    }
  }
  if (file.hasKey("tokenizer.ggml.model")) {
    auto model = file.getString("tokenizer.ggml.model");
    if (!model)
      return R::failure(model.error);
    v.model = std::move(*model);
  }
  if (file.hasKey("tokenizer.chat_template")) {
    auto t = file.getString("tokenizer.chat_template");
    if (!t)
      return R::failure(t.error);
    v.chatTemplate = std::move(*t);
  }
  // Tern ranks merges by token id (Merges.h): a merge list in another
  // order would tokenize differently from llama.cpp.
  if (file.hasKey("tokenizer.ggml.merges")) {
    auto merges = file.getStringArray("tokenizer.ggml.merges");
    if (!merges)
      return R::failure(merges.error);
    std::vector<std::pair<std::string, std::string>> pairs(merges->size());
    for (size_t i = 0; i < merges->size(); ++i)
      if (!splitMerge((*merges)[i], pairs[i]))
        return R::failure(file.path() + ": tokenizer.ggml.merges[" +
                          std::to_string(i) + "] is '" + (*merges)[i] +
                          "', expected two tokens separated by one space");
    if (std::string bad = checkMerges(pairs, v.tokens,
                                      file.path() + ": tokenizer.ggml.merges");
        !bad.empty())
      return R::failure(bad);
  }
  return R(std::move(v));
}

ModelOrError loadGgufModel(const GgufFile &file) {
  ModelDescription m;
  m.sourcePath = file.path();
  m.sourceFormat = "gguf";
  m.storage.push_back(file.mapping());

  OrError<TokenizerVocab> vocab = readGgufVocab(file);
  if (!vocab)
    return ModelOrError::failure(vocab.error);
  m.vocab = std::move(*vocab);

  OrError<ModelConfig> config = readConfig(file, &m.vocab.tokens);
  if (!config)
    return ModelOrError::failure(config.error);
  m.config = std::move(*config);

  GgufModelLoader loader(file, m);
  if (!loader.loadTensors())
    return ModelOrError::failure(loader.error);
  return ModelOrError(std::move(m));
}

ModelOrError loadModel(const std::string &path) {
  static const char *kSupported =
      "unsupported model format (Tern loads GGUF files and Hugging Face "
      "checkpoints: a directory with config.json and model.safetensors)";
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return loadHfModel(path);
  if (endsWith(path, ".safetensors") || endsWith(path, ".json"))
    return loadHfModel(path);
  MappedFileOrError file = MappedFile::open(path);
  if (!file)
    return ModelOrError::failure(file.error);
  const MappedFile &mf = **file;
  if (mf.size() >= 4 && std::memcmp(mf.data(), kGgufMagic, 4) == 0) {
    GgufFileOrError gguf = GgufFile::parse(std::move(*file));
    if (!gguf)
      return ModelOrError::failure(gguf.error);
    return loadGgufModel(*gguf);
  }
  // A safetensors file under another name: an 8-byte header length, then
  // the JSON object.
  if (mf.size() > 8 && mf.data()[8] == '{')
    return loadHfModel(path);
  return ModelOrError::failure(
      path + ": not a GGUF file (first bytes: " +
      (mf.size() ? hexBytes(mf.data(), mf.size() < 4 ? mf.size() : 4)
                 : std::string("none, the file is empty")) +
      "): " + kSupported);
}

void addGgufConfig(GgufWriter &w, const ModelConfig &c) {
  const std::string a = "bitnet-b1.58.";
  auto u32 = [](int64_t v) { return static_cast<uint32_t>(v); };
  w.addString("general.architecture", "bitnet-b1.58");
  w.addUint32(a + "context_length", u32(c.maxPositions));
  w.addUint32(a + "embedding_length", u32(c.hiddenSize));
  w.addUint32(a + "feed_forward_length", u32(c.intermediateSize));
  w.addUint32(a + "block_count", u32(c.numLayers));
  w.addUint32(a + "attention.head_count", u32(c.numHeads));
  w.addUint32(a + "attention.head_count_kv", u32(c.numKvHeads));
  if (c.headDim * c.numHeads != c.hiddenSize)
    w.addUint32(a + "attention.key_length", u32(c.headDim));
  w.addUint32(a + "rope.dimension_count", u32(c.headDim));
  w.addFloat32(a + "rope.freq_base", c.ropeTheta);
  w.addFloat32(a + "attention.layer_norm_rms_epsilon", c.rmsNormEps);
  w.addUint32(a + "vocab_size", u32(c.vocabSize));
}

void addGgufVocab(GgufWriter &w, const TokenizerVocab &vocab,
                  const ModelConfig &c, bool withMerges) {
  std::vector<int32_t> types(vocab.tokens.size());
  for (size_t i = 0; i < types.size(); ++i)
    types[i] = i < vocab.isSpecial.size() && vocab.isSpecial[i] ? 3 : 1;
  w.addString("tokenizer.ggml.model", vocab.model.empty() ? "gpt2" : vocab.model);
  w.addString("tokenizer.ggml.pre", "llama-bpe");
  w.addStringArray("tokenizer.ggml.tokens", vocab.tokens);
  w.addInt32Array("tokenizer.ggml.token_type", types);
  // llama.cpp's byte-level BPE loader requires the merge list.
  if (withMerges)
    w.addStringArray("tokenizer.ggml.merges",
                     gpt2Merges(vocab.tokens, vocab.isSpecial));
  if (c.bosId >= 0)
    w.addUint32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(c.bosId));
  if (c.eosId >= 0)
    w.addUint32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(c.eosId));
  if (c.eotId >= 0) {
    w.addUint32("tokenizer.ggml.eot_token_id", static_cast<uint32_t>(c.eotId));
    w.addString("tokenizer.chat_template", vocab.chatTemplate.empty()
                                               ? kChatTemplate
                                               : vocab.chatTemplate);
  }
  w.addBool("tokenizer.ggml.add_bos_token", c.bosId >= 0);
}

// "<|begin_of_text|>User: {msg}<|eot_id|>Assistant: ", turn after turn
// (docs: the 2B4T model card's chat format).
const char *const kChatTemplate =
    "{% for message in messages %}"
    "{% if loop.first %}{{ bos_token }}{% endif %}"
    "{{ message['role'] | capitalize }}: {{ message['content'] }}<|eot_id|>"
    "{% endfor %}"
    "{% if add_generation_prompt %}Assistant: {% endif %}";

bool isKnownGgufKey(const std::string &key) {
  static const char *const exact[] = {
      "general.architecture", "general.name", "general.file_type",
      "general.alignment", "general.quantization_version",
      "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens",
      "tokenizer.ggml.token_type", "tokenizer.ggml.merges",
      "tokenizer.ggml.scores", "tokenizer.ggml.bos_token_id",
      "tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
      "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id",
      "tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_eos_token",
      "tokenizer.chat_template"};
  for (const char *k : exact)
    if (key == k)
      return true;
  // Descriptive general.* keys (author, license, ...) and Tern's payload
  // keys (runtime/compiled/tern_abi.h).
  for (const char *prefix : {"general.", "tern."})
    if (key.rfind(prefix, 0) == 0)
      return true;
  static const char *const hyper[] = {
      "context_length", "embedding_length", "feed_forward_length",
      "block_count", "attention.head_count", "attention.head_count_kv",
      "attention.key_length", "attention.value_length",
      "rope.dimension_count", "rope.freq_base",
      "attention.layer_norm_rms_epsilon", "vocab_size"};
  for (const char *arch : {"bitnet-b1.58.", "bitnet.", "bitnet-25."})
    if (key.rfind(arch, 0) == 0)
      for (const char *h : hyper)
        if (key.compare(std::strlen(arch), std::string::npos, h) == 0)
          return true;
  return false;
}

TokenizerOrError buildTokenizer(const TokenizerVocab &vocab,
                                const ModelConfig &config,
                                const std::string &origin) {
  if (vocab.tokens.empty()) {
    TokenizerOrError r;
    r.error = origin + ": the model has no tokenizer vocabulary";
    return r;
  }
  TokenizerOrError r =
      Tokenizer::fromGpt2Vocab(vocab.tokens, vocab.isSpecial, origin);
  if (!r)
    return r;
  if (config.bosId >= 0)
    r->setBosId(config.bosId);
  if (config.eosId >= 0)
    r->setEosId(config.eosId);
  if (config.eotId >= 0)
    r->setEotId(config.eotId);
  return r;
}

TokenizerOrError buildTokenizer(const ModelDescription &model) {
  return buildTokenizer(model.vocab, model.config, model.sourcePath);
}

} // namespace tern
