//===- HfModel.cpp - Loads Hugging Face BitNet checkpoints ----------------===//
//
// loadHfModel (see Model.h): config.json + model.safetensors (or a sharded
// index) + optional tokenizer.json -> ModelDescription. JSON is parsed with
// nlohmann::json without exceptions and every value is type-checked before
// it is read, so malformed input is an error message, never a throw.
//
//===----------------------------------------------------------------------===//

#include "runtime/model/Model.h"

#include "runtime/model/Half.h"
#include "runtime/model/Safetensors.h"
#include "runtime/ternary/Ternary.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <sys/stat.h>
#include <unordered_map>

namespace tern {
namespace {

using json = nlohmann::json;

constexpr const char *kConfigName = "config.json";
constexpr const char *kWeightsName = "model.safetensors";
constexpr const char *kIndexName = "model.safetensors.index.json";
constexpr const char *kTokenizerName = "tokenizer.json";

//===----------------------------------------------------------------------===//
// Paths
//===----------------------------------------------------------------------===//

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string joinPath(const std::string &dir, const std::string &name) {
  if (dir.empty())
    return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

/// The directory part of `path` ("." when there is none).
std::string parentDir(const std::string &path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

std::string baseName(const std::string &path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// Reads `path` as a JSON object.
OrError<json> readJsonObject(const std::string &path) {
  using R = OrError<json>;
  MappedFileOrError file = MappedFile::open(path);
  if (!file)
    return R::failure(file.error);
  const std::string_view text(reinterpret_cast<const char *>((*file)->data()),
                              static_cast<size_t>((*file)->size()));
  json j;
  std::string error = parseJsonNoThrow(text, j);
  if (!error.empty())
    return R::failure(path + ": not valid JSON: " + error);
  if (!j.is_object())
    return R::failure(path + ": not a JSON object (it is " +
                      std::string(j.type_name()) + ")");
  return R(std::move(j));
}

std::string formatShape(const std::vector<int64_t> &shape) {
  return formatDims(shape);
}

//===----------------------------------------------------------------------===//
// Weights: one file or a sharded index
//===----------------------------------------------------------------------===//

/// Where each tensor of the checkpoint lives.
class HfWeights {
public:
  /// One safetensors file holds everything.
  std::string openSingle(const std::string &path) {
    SafetensorsFileOrError f = SafetensorsFile::open(path);
    if (!f)
      return f.error;
    files_.push_back(std::move(*f));
    return "";
  }

  /// `index` is model.safetensors.index.json (already parsed); shards are
  /// opened once each, in the order the weight map first names them.
  std::string openIndex(const std::string &indexPath, const json &index,
                        const std::string &dir) {
    indexPath_ = indexPath;
    auto mapIt = index.find("weight_map");
    if (mapIt == index.end())
      return indexPath + ": key 'weight_map' is missing";
    if (!mapIt->is_object())
      return indexPath + ": 'weight_map' is not an object (it is " +
             std::string(mapIt->type_name()) + ")";
    std::unordered_map<std::string, size_t> shardIndex;
    for (auto it = mapIt->begin(); it != mapIt->end(); ++it) {
      const auto *shard = it.value().get_ptr<const std::string *>();
      if (!shard)
        return indexPath + ": weight_map entry '" + it.key() +
               "' is not a file name: " + quoteJson(it.value());
      if (shard->empty() || *shard == "." || *shard == ".." ||
          shard->find('/') != std::string::npos)
        return indexPath + ": weight_map sends '" + it.key() + "' to '" +
               *shard +
               "', which is not a plain file name in the checkpoint "
               "directory";
      auto [pos, inserted] = shardIndex.emplace(*shard, files_.size());
      if (inserted) {
        SafetensorsFileOrError f = SafetensorsFile::open(joinPath(dir, *shard));
        if (!f)
          return indexPath + ": weight_map sends '" + it.key() + "' to '" +
                 *shard + "': " + f.error;
        files_.push_back(std::move(*f));
      }
      shardOf_[it.key()] = pos->second;
    }
    if (files_.empty())
      return indexPath + ": 'weight_map' is empty";
    return "";
  }

  /// The tensor called `name`: sets `file` and returns it, or returns null
  /// and sets `error` (naming the file that should hold it).
  const SafetensorsTensorInfo *find(const std::string &name,
                                    const SafetensorsFile *&file,
                                    std::string &error) const {
    if (indexPath_.empty()) {
      file = &files_.front();
      const SafetensorsTensorInfo *t = file->findTensor(name);
      if (!t)
        error = file->path() + ": missing tensor '" + name + "'";
      return t;
    }
    auto it = shardOf_.find(name);
    if (it == shardOf_.end()) {
      error = indexPath_ + ": missing tensor '" + name +
              "' (the weight_map does not list it)";
      return nullptr;
    }
    file = &files_[it->second];
    const SafetensorsTensorInfo *t = file->findTensor(name);
    if (!t)
      error = file->path() + ": missing tensor '" + name + "' (" +
              baseName(indexPath_) + " says this file holds it)";
    return t;
  }

  bool has(const std::string &name) const {
    const SafetensorsFile *file;
    std::string ignored;
    return find(name, file, ignored) != nullptr;
  }

  const std::vector<SafetensorsFile> &files() const { return files_; }

private:
  std::string indexPath_; // Empty for a single file.
  std::vector<SafetensorsFile> files_;
  std::unordered_map<std::string, size_t> shardOf_;
};

//===----------------------------------------------------------------------===//
// config.json
//===----------------------------------------------------------------------===//

/// What config.json says beyond ModelConfig.
struct HfSettings {
  bool packed = false;
  bool tieKnown = false; ///< tie_word_embeddings was given.
};

class ConfigReader {
public:
  ConfigReader(const json &j, const std::string &path) : j_(j), path_(path) {}

  std::string error;

  /// A required (fallback < 0) or optional positive integer below 2^31.
  int64_t positive(const char *key, int64_t fallback) {
    if (!error.empty())
      return 0;
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) {
      if (fallback >= 0)
        return fallback;
      error = path_ + ": key '" + key + "' is missing";
      return 0;
    }
    std::optional<int64_t> v = jsonInt64(*it);
    if (!v || *v <= 0 || *v > std::numeric_limits<int32_t>::max()) {
      error = path_ + ": key '" + key + "' is " + quoteJson(*it) +
              ", expected a positive integer";
      return 0;
    }
    return *v;
  }

  /// An optional positive finite number.
  float positiveFloat(const char *key, float fallback) {
    if (!error.empty())
      return fallback;
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null())
      return fallback;
    if (it->is_number()) {
      const double v = it->get<double>();
      const auto f = static_cast<float>(v);
      if (std::isfinite(f) && f > 0)
        return f;
    }
    error = path_ + ": key '" + key + "' is " + quoteJson(*it) +
            ", expected a positive finite number";
    return fallback;
  }

  /// An optional string; `*found` tells whether it was there.
  std::string string(const json &object, const std::string &where,
                     const char *key, bool *found = nullptr) {
    if (found)
      *found = false;
    if (!error.empty())
      return "";
    auto it = object.find(key);
    if (it == object.end() || it->is_null())
      return "";
    const auto *s = it->get_ptr<const std::string *>();
    if (!s) {
      error = path_ + ": key '" + where + key + "' is " + quoteJson(*it) +
              ", expected a string";
      return "";
    }
    if (found)
      *found = true;
    return *s;
  }

  /// An optional boolean.
  std::optional<bool> boolean(const json &object, const std::string &where,
                              const char *key) {
    if (!error.empty())
      return std::nullopt;
    auto it = object.find(key);
    if (it == object.end() || it->is_null())
      return std::nullopt;
    if (!it->is_boolean()) {
      error = path_ + ": key '" + where + key + "' is " + quoteJson(*it) +
              ", expected true or false";
      return std::nullopt;
    }
    return it->get<bool>();
  }

  /// bos_token_id / eos_token_id: an id, a list of ids, or null. Appends
  /// the ids to `out`.
  void tokenIds(const char *key, int64_t vocabSize, std::vector<int32_t> &out) {
    if (!error.empty())
      return;
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null())
      return;
    std::vector<const json *> items;
    if (it->is_array())
      for (const json &e : *it)
        items.push_back(&e);
    else
      items.push_back(&*it);
    for (const json *e : items) {
      std::optional<int64_t> v = jsonInt64(*e);
      if (!v) {
        error = path_ + ": key '" + key + "' is " + quoteJson(*it) +
                ", expected a token id or a list of token ids";
        return;
      }
      if (*v < 0 || *v >= vocabSize) {
        error = path_ + ": key '" + key + "' holds " + std::to_string(*v) +
                ", outside the vocabulary (vocab_size " +
                std::to_string(vocabSize) + ")";
        return;
      }
      out.push_back(static_cast<int32_t>(*v));
    }
  }

  const json &root() const { return j_; }

private:
  const json &j_;
  const std::string &path_;
};

/// Reads the configuration. `vocab` (possibly empty) supplies the
/// <|eot_id|> id.
OrError<ModelConfig> readHfConfig(const json &j, const std::string &path,
                                  const TokenizerVocab &vocab,
                                  HfSettings &settings) {
  using R = OrError<ModelConfig>;
  ConfigReader r(j, path);
  ModelConfig c;

  bool found = false;
  const std::string modelType = r.string(j, "", "model_type", &found);
  if (!r.error.empty())
    return R::failure(r.error);
  if (!found)
    return R::failure(path + ": key 'model_type' is missing (expected "
                             "'bitnet')");
  if (modelType != "bitnet")
    return R::failure(path + ": model_type is '" + modelType +
                      "', not a BitNet b1.58 model (expected 'bitnet')");
  c.architecture = modelType;
  const std::string act = r.string(j, "", "hidden_act", &found);
  if (!r.error.empty())
    return R::failure(r.error);
  if (found && act != "relu2")
    return R::failure(path + ": hidden_act is '" + act +
                      "'; BitNet b1.58 uses 'relu2' (squared ReLU), the only "
                      "activation Tern implements");

  c.hiddenSize = r.positive("hidden_size", -1);
  c.intermediateSize = r.positive("intermediate_size", -1);
  c.numLayers = r.positive("num_hidden_layers", -1);
  c.numHeads = r.positive("num_attention_heads", -1);
  c.numKvHeads = r.positive("num_key_value_heads", c.numHeads);
  c.vocabSize = r.positive("vocab_size", -1);
  c.maxPositions = r.positive("max_position_embeddings", -1);
  c.ropeTheta = r.positiveFloat("rope_theta", 10000.0f);
  c.rmsNormEps = r.positiveFloat("rms_norm_eps", 1e-5f);
  if (!r.error.empty())
    return R::failure(r.error);

  auto headIt = j.find("head_dim");
  if (headIt != j.end() && !headIt->is_null()) {
    c.headDim = r.positive("head_dim", -1);
    if (!r.error.empty())
      return R::failure(r.error);
  } else {
    if (c.hiddenSize % c.numHeads != 0)
      return R::failure(path + ": hidden_size " + std::to_string(c.hiddenSize) +
                        " is not divisible by num_attention_heads " +
                        std::to_string(c.numHeads) +
                        " (and there is no "
                        "head_dim)");
    c.headDim = c.hiddenSize / c.numHeads;
  }
  if (c.numHeads % c.numKvHeads != 0)
    return R::failure(path + ": num_attention_heads " +
                      std::to_string(c.numHeads) + " is not a multiple of " +
                      "num_key_value_heads " + std::to_string(c.numKvHeads));
  if (c.headDim % 2 != 0)
    return R::failure(path + ": head dimension " + std::to_string(c.headDim) +
                      " is odd (rotary embeddings need an even one)");
  auto scalingIt = j.find("rope_scaling");
  if (scalingIt != j.end() && !scalingIt->is_null())
    return R::failure(path + ": rope_scaling is " + quoteJson(*scalingIt) +
                      "; Tern implements plain RoPE only (rope_scaling must "
                      "be absent or null)");

  if (static_cast<int64_t>(vocab.tokens.size()) > c.vocabSize)
    return R::failure(path + ": vocab_size " + std::to_string(c.vocabSize) +
                      " is smaller than the " +
                      std::to_string(vocab.tokens.size()) +
                      " tokens of tokenizer.json");

  std::vector<int32_t> bos, eos;
  r.tokenIds("bos_token_id", c.vocabSize, bos);
  r.tokenIds("eos_token_id", c.vocabSize, eos);
  if (!r.error.empty())
    return R::failure(r.error);
  if (!bos.empty())
    c.bosId = bos.front();
  if (!eos.empty())
    c.eosId = eos.front();
  auto isEot = [&](int32_t id) {
    return static_cast<size_t>(id) < vocab.tokens.size() &&
           vocab.tokens[static_cast<size_t>(id)] == "<|eot_id|>";
  };
  for (int32_t id : eos)
    if (isEot(id)) {
      c.eotId = id;
      break;
    }
  if (c.eotId < 0)
    for (size_t i = 0; i < vocab.tokens.size(); ++i)
      if (vocab.isSpecial[i] && vocab.tokens[i] == "<|eot_id|>") {
        c.eotId = static_cast<int32_t>(i);
        break;
      }

  std::optional<bool> tie = r.boolean(j, "", "tie_word_embeddings");
  if (!r.error.empty())
    return R::failure(r.error);
  settings.tieKnown = tie.has_value();
  c.tiedEmbeddings = tie.value_or(true);

  // Quantization.
  settings.packed = false;
  auto qIt = j.find("quantization_config");
  if (qIt != j.end() && !qIt->is_null()) {
    const json &q = *qIt;
    const std::string where = "quantization_config.";
    if (!q.is_object())
      return R::failure(path + ": quantization_config is " + quoteJson(q) +
                        ", expected an object");
    const std::string method = r.string(q, where, "quant_method", &found);
    if (r.error.empty() && method != "bitnet")
      return R::failure(path + ": quantization_config.quant_method is " +
                        (found ? "'" + method + "'" : std::string("missing")) +
                        "; Tern reads BitNet checkpoints (quant_method "
                        "'bitnet')");
    const std::string linearClass = r.string(q, where, "linear_class", &found);
    if (r.error.empty() && found && linearClass != "autobitlinear") {
      if (linearClass == "bitlinear")
        return R::failure(
            path + ": quantization_config.linear_class is 'bitlinear' "
                   "(transformers' BitLinear, which divides by "
                   "weight_scale); Tern reads 'autobitlinear' checkpoints, "
                   "whose weight_scale multiplies");
      return R::failure(path + ": quantization_config.linear_class is '" +
                        linearClass + "', expected 'autobitlinear'");
    }
    bool modeFound = false;
    const std::string mode =
        r.string(q, where, "quantization_mode", &modeFound);
    if (r.error.empty() && modeFound && mode != "offline" && mode != "online")
      return R::failure(path + ": quantization_config.quantization_mode is '" +
                        mode + "', expected 'offline' or 'online'");
    std::optional<bool> offline = r.boolean(q, where, "offline_quantization");
    std::optional<bool> rmsNorm = r.boolean(q, where, "use_rms_norm");
    if (!r.error.empty())
      return R::failure(r.error);
    if (rmsNorm.value_or(false))
      return R::failure(path + ": quantization_config.use_rms_norm is true "
                               "(an extra RMSNorm inside every linear "
                               "layer); Tern does not support it");
    if (modeFound && offline && (mode == "offline") != *offline)
      return R::failure(path +
                        ": quantization_config says quantization_mode "
                        "'" +
                        mode + "' but offline_quantization " +
                        (*offline ? "true" : "false"));
    // transformers defaults to offline (packed) when neither is given.
    settings.packed = modeFound ? mode == "offline" : offline.value_or(true);
  }
  if (std::string bad = checkModelShape(c, path); !bad.empty())
    return R::failure(bad);
  return R(std::move(c));
}

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

bool isFloatType(SafetensorsDType t) {
  return t == SafetensorsDType::F32 || t == SafetensorsDType::F16 ||
         t == SafetensorsDType::BF16;
}

/// Converts `count` F32/F16/BF16 values starting at `data` to float.
void toFloats(SafetensorsDType type, const uint8_t *data, int64_t count,
              float *out) {
  switch (type) {
  case SafetensorsDType::F32:
    std::memcpy(out, data, static_cast<size_t>(count) * 4);
    return;
  case SafetensorsDType::F16:
  case SafetensorsDType::BF16: {
    const bool bf16 = type == SafetensorsDType::BF16;
    for (int64_t i = 0; i < count; ++i) {
      uint16_t h;
      std::memcpy(&h, data + 2 * i, 2);
      out[i] = bf16 ? bf16ToFloat(h) : fp16ToFloat(h);
    }
    return;
  }
  default:
    return;
  }
}

/// Loads the tensors of a checkpoint into a ModelDescription.
class HfModelLoader {
public:
  HfModelLoader(const HfWeights &w, ModelDescription &m, bool packed)
      : w_(w), m_(m), packed_(packed) {}

  std::string error;

  bool loadTensors() {
    const ModelConfig &c = m_.config;
    const int64_t qDim = c.numHeads * c.headDim;
    const int64_t kvDim = c.numKvHeads * c.headDim;
    if (!loadDense("model.embed_tokens.weight", c.vocabSize, c.hiddenSize,
                   m_.tokenEmbedding) ||
        !loadNorm("model.norm.weight", c.hiddenSize, m_.outputNorm))
      return false;
    if (!c.tiedEmbeddings) {
      m_.output.emplace();
      if (!loadDense("lm_head.weight", c.vocabSize, c.hiddenSize, *m_.output))
        return false;
    }
    m_.layers.clear();
    for (int64_t i = 0; i < c.numLayers; ++i) {
      const std::string b = "model.layers." + std::to_string(i) + ".";
      const std::string a = b + "self_attn.", f = b + "mlp.";
      LayerWeights l;
      if (!loadNorm(b + "input_layernorm.weight", c.hiddenSize, l.attnNorm) ||
          !loadTernary(a + "q_proj", qDim, c.hiddenSize, l.attnQ) ||
          !loadTernary(a + "k_proj", kvDim, c.hiddenSize, l.attnK) ||
          !loadTernary(a + "v_proj", kvDim, c.hiddenSize, l.attnV) ||
          !loadNorm(a + "attn_sub_norm.weight", qDim, l.attnSubNorm) ||
          !loadTernary(a + "o_proj", c.hiddenSize, qDim, l.attnOutput) ||
          !loadNorm(b + "post_attention_layernorm.weight", c.hiddenSize,
                    l.ffnNorm) ||
          !loadTernary(f + "gate_proj", c.intermediateSize, c.hiddenSize,
                       l.ffnGate) ||
          !loadTernary(f + "up_proj", c.intermediateSize, c.hiddenSize,
                       l.ffnUp) ||
          !loadNorm(f + "ffn_sub_norm.weight", c.intermediateSize,
                    l.ffnSubNorm) ||
          !loadTernary(f + "down_proj", c.hiddenSize, c.intermediateSize,
                       l.ffnDown))
        return false;
      m_.layers.push_back(std::move(l));
    }
    return true;
  }

private:
  bool fail(const SafetensorsFile &file, const std::string &message) {
    error = file.path() + ": " + message;
    return false;
  }

  const SafetensorsTensorInfo *require(const std::string &name,
                                       const SafetensorsFile *&file) {
    return w_.find(name, file, error);
  }

  bool checkShape(const SafetensorsFile &file, const SafetensorsTensorInfo &t,
                  const std::vector<int64_t> &expected, const char *meaning) {
    if (t.shape == expected)
      return true;
    return fail(file, "tensor '" + t.name + "' has shape " +
                          formatShape(t.shape) + ", expected " +
                          formatShape(expected) + " (" + meaning +
                          ", from config.json)");
  }

  bool requireFloat(const SafetensorsFile &file,
                    const SafetensorsTensorInfo &t) {
    if (isFloatType(t.dtype))
      return true;
    return fail(file, "tensor '" + t.name + "' has dtype " + t.dtypeName() +
                          ", expected F32, F16 or BF16");
  }

  bool loadTernary(const std::string &module, int64_t rows, int64_t cols,
                   TernaryTensor &out) {
    const std::string name = module + ".weight";
    const SafetensorsFile *file = nullptr;
    const SafetensorsTensorInfo *t = require(name, file);
    if (!t)
      return false;
    out.name = name;
    out.rows = rows;
    out.cols = cols;
    if (packed_) {
      if (t->dtype != SafetensorsDType::U8)
        return fail(*file, "tensor '" + name + "' has dtype " + t->dtypeName() +
                               ", expected U8 (config.json's "
                               "quantization_config says the weights are "
                               "packed ternary)");
      const std::string shape =
          checkTernaryShape(TernaryEncoding::HfPacked, rows, cols);
      if (!shape.empty())
        return fail(*file, "tensor '" + name + "': " + shape);
      if (!checkShape(*file, *t, {rows / 4, cols},
                      "packed [out_features / 4, in_features]"))
        return false;
      out.encoding = TernaryEncoding::HfPacked;
      out.data = t->data;
      out.byteSize = t->byteSize;
      const std::string codes = checkTernaryCodes(out);
      if (!codes.empty())
        return fail(*file, codes);
      return loadScale(module + ".weight_scale", out);
    }

    // Full-precision master weights: absmean-quantize now.
    if (t->dtype == SafetensorsDType::U8)
      return fail(*file, "tensor '" + name +
                             "' has dtype U8 (packed ternary weights?), but "
                             "config.json has no offline "
                             "quantization_config; expected F32, F16 or "
                             "BF16 master weights");
    if (!requireFloat(*file, *t) ||
        !checkShape(*file, *t, {rows, cols}, "[out_features, in_features]"))
      return false;
    const int64_t n = rows * cols;
    std::vector<float> master(static_cast<size_t>(n));
    toFloats(t->dtype, t->data, n, master.data());
    auto ternary =
        std::make_shared<std::vector<int8_t>>(static_cast<size_t>(n));
    const float beta = absmeanQuantize(master.data(), n, ternary->data());
    if (!std::isfinite(beta))
      return fail(*file, "tensor '" + name +
                             "' has non-finite values (its absmean scale is "
                             "not finite)");
    out.encoding = TernaryEncoding::Int8;
    out.data = reinterpret_cast<const uint8_t *>(ternary->data());
    out.byteSize = static_cast<uint64_t>(n);
    out.scale = beta;
    m_.storage.push_back(std::move(ternary));
    return true;
  }

  /// weight_scale: one F32/F16/BF16 value, shape [1] or []; it multiplies.
  bool loadScale(const std::string &name, TernaryTensor &out) {
    const SafetensorsFile *file = nullptr;
    const SafetensorsTensorInfo *s = require(name, file);
    if (!s)
      return false;
    if (!requireFloat(*file, *s))
      return false;
    if (!(s->shape.empty() || s->shape == std::vector<int64_t>{1}))
      return fail(*file, "tensor '" + name + "' has shape " +
                             formatShape(s->shape) +
                             ", expected [1] or [] (one scale per tensor)");
    float v = 0;
    toFloats(s->dtype, s->data, 1, &v);
    if (!std::isfinite(v))
      return fail(*file, "tensor '" + name + "' is not finite");
    out.scale = v;
    return true;
  }

  bool loadNorm(const std::string &name, int64_t size, FloatTensor &out) {
    const SafetensorsFile *file = nullptr;
    const SafetensorsTensorInfo *t = require(name, file);
    if (!t || !requireFloat(*file, *t) ||
        !checkShape(*file, *t, {size}, "[size]"))
      return false;
    std::vector<float> values(static_cast<size_t>(size));
    toFloats(t->dtype, t->data, size, values.data());
    out.name = name;
    out.size = size;
    out.data = m_.adoptFloats(std::move(values));
    return true;
  }

  bool loadDense(const std::string &name, int64_t rows, int64_t cols,
                 DenseTensor &out) {
    const SafetensorsFile *file = nullptr;
    const SafetensorsTensorInfo *t = require(name, file);
    if (!t || !requireFloat(*file, *t) ||
        !checkShape(*file, *t, {rows, cols}, "[vocab_size, hidden_size]"))
      return false;
    size_t align = 2;
    switch (t->dtype) {
    case SafetensorsDType::F32:
      out.type = DenseType::F32, align = 4;
      break;
    case SafetensorsDType::F16:
      out.type = DenseType::F16;
      break;
    default:
      out.type = DenseType::BF16;
      break;
    }
    out.name = name;
    out.rows = rows;
    out.cols = cols;
    // Tensors are packed back to back, so a 2-byte type can sit at an odd
    // address after an odd-sized tensor: copy rather than hand out a
    // misaligned pointer.
    out.data = reinterpret_cast<uintptr_t>(t->data) % align == 0
                   ? static_cast<const void *>(t->data)
                   : m_.adoptBytes(t->data, t->byteSize);
    return true;
  }

  const HfWeights &w_;
  ModelDescription &m_;
  bool packed_;
};

} // namespace

OrError<ModelConfig> readHfConfigFile(const std::string &path) {
  OrError<json> j = readJsonObject(path);
  if (!j)
    return OrError<ModelConfig>::failure(j.error);
  HfSettings settings;
  return readHfConfig(*j, path, TokenizerVocab{}, settings);
}

ModelOrError loadHfModel(const std::string &path) {
  using R = ModelOrError;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return R::failure(path + ": file not found");

  // Where config.json and the weights are.
  std::string dir, configPath, weightsPath, indexPath;
  if (S_ISDIR(st.st_mode)) {
    dir = path;
    configPath = joinPath(dir, kConfigName);
    if (!exists(configPath))
      return R::failure(path + ": not a Hugging Face checkpoint directory (" +
                        kConfigName + " not found)");
  } else {
    dir = parentDir(path);
    if (endsWith(path, ".index.json")) {
      indexPath = path;
      configPath = joinPath(dir, kConfigName);
    } else if (endsWith(path, ".json")) {
      configPath = path;
    } else {
      weightsPath = path;
      configPath = joinPath(dir, kConfigName);
    }
    if (!exists(configPath))
      return R::failure(path + ": " + configPath +
                        " not found (a Hugging Face checkpoint needs "
                        "config.json beside its weights)");
  }

  OrError<json> config = readJsonObject(configPath);
  if (!config)
    return R::failure(config.error);

  ModelDescription m;
  m.sourcePath = path;

  // Vocabulary (optional).
  const std::string tokenizerPath = joinPath(dir, kTokenizerName);
  if (exists(tokenizerPath)) {
    TokenizerJsonVocab vocab;
    std::string error = readTokenizerJsonVocab(tokenizerPath, vocab);
    if (!error.empty())
      return R::failure(error);
    m.vocab.tokens = std::move(vocab.tokens);
    m.vocab.isSpecial = std::move(vocab.isSpecial);
    m.vocab.model = "gpt2";
  }
  // The chat template (optional): tokenizer_config.json's chat_template.
  const std::string tokenizerConfig = joinPath(dir, "tokenizer_config.json");
  if (exists(tokenizerConfig)) {
    OrError<json> tc = readJsonObject(tokenizerConfig);
    if (!tc)
      return R::failure(tc.error);
    auto t = tc->find("chat_template");
    if (t != tc->end() && t->is_string())
      m.vocab.chatTemplate = t->get<std::string>();
  }

  HfSettings settings;
  OrError<ModelConfig> c = readHfConfig(*config, configPath, m.vocab, settings);
  if (!c)
    return R::failure(c.error);
  m.config = std::move(*c);
  m.sourceFormat = settings.packed ? "hf-packed" : "hf-bf16";

  // The weights: the file given, else model.safetensors, else the index. A
  // shard given directly loads through the directory's index.
  const std::string defaultIndex = joinPath(dir, kIndexName);
  std::optional<json> index;
  if (indexPath.empty() && weightsPath.empty()) {
    const std::string single = joinPath(dir, kWeightsName);
    if (exists(single))
      weightsPath = single;
    else if (exists(defaultIndex))
      indexPath = defaultIndex;
    else
      return R::failure(dir + ": no " + kWeightsName + " or " + kIndexName +
                        " (a Hugging Face checkpoint directory holds one of "
                        "them)");
  } else if (!weightsPath.empty() && baseName(weightsPath) != kWeightsName &&
             exists(defaultIndex)) {
    OrError<json> j = readJsonObject(defaultIndex);
    if (!j)
      return R::failure(j.error);
    auto map = j->find("weight_map");
    if (map != j->end() && map->is_object())
      for (const auto &entry : map->items())
        if (entry.value().is_string() &&
            *entry.value().get_ptr<const std::string *>() ==
                baseName(weightsPath)) {
          indexPath = defaultIndex;
          weightsPath.clear();
          index = std::move(*j);
          break;
        }
  }

  HfWeights weights;
  std::string error;
  if (!indexPath.empty()) {
    if (!index) {
      OrError<json> j = readJsonObject(indexPath);
      if (!j)
        return R::failure(j.error);
      index = std::move(*j);
    }
    error = weights.openIndex(indexPath, *index, dir);
  } else {
    error = weights.openSingle(weightsPath);
  }
  if (!error.empty())
    return R::failure(error);
  for (const SafetensorsFile &f : weights.files())
    m.storage.push_back(f.mapping());

  if (!settings.tieKnown)
    m.config.tiedEmbeddings = !weights.has("lm_head.weight");

  HfModelLoader loader(weights, m, settings.packed);
  if (!loader.loadTensors())
    return R::failure(loader.error);
  return R(std::move(m));
}

} // namespace tern
