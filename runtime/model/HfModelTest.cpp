//===- HfModelTest.cpp - Loading Hugging Face BitNet checkpoints ----------===//
//
// The tiny test model (TestModels.h) written as Hugging Face checkpoints
// (packed in both quantization_config spellings, sharded, BF16 master
// weights) must load to exactly what its GGUF copy loads to; malformed
// checkpoints must fail with messages naming the file and the tensor/key.
//
//===----------------------------------------------------------------------===//

#include "runtime/model/Half.h"
#include "runtime/model/Model.h"
#include "runtime/model/TestModels.h"
#include "runtime/ternary/Ternary.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

using namespace tern;
using namespace tern::testmodels;

namespace {

/// A new directory name under the test's temp dir.
std::string freshDir(const std::string &name) {
  static int counter = 0;
  return tempDir() + "/hf-" + name + "-" + std::to_string(counter++);
}

std::string writeCheckpoint(const HfCheckpoint &c, const std::string &name,
                            int shards = 1) {
  const std::string dir = freshDir(name);
  EXPECT_EQ(writeHfCheckpoint(c, dir, shards), "");
  return dir;
}

/// Writes `c` and loads it; expects failure and returns the error.
std::string loadError(const HfCheckpoint &c, const std::string &name,
                      int shards = 1) {
  ModelOrError r = loadHfModel(writeCheckpoint(c, name, shards));
  EXPECT_FALSE(r.ok()) << name;
  return r.error;
}

std::vector<int8_t> unpackAll(const TernaryTensor &t) {
  std::vector<int8_t> out(static_cast<size_t>(t.rows * t.cols));
  EXPECT_TRUE(unpackTernary(t, out.data())) << t.name;
  return out;
}

std::vector<const TernaryTensor *> ternaries(const LayerWeights &l) {
  return {&l.attnQ,   &l.attnK, &l.attnV,  &l.attnOutput,
          &l.ffnGate, &l.ffnUp, &l.ffnDown};
}

std::vector<const FloatTensor *> norms(const LayerWeights &l) {
  return {&l.attnNorm, &l.attnSubNorm, &l.ffnNorm, &l.ffnSubNorm};
}

void expectSameNorm(const FloatTensor &a, const FloatTensor &b) {
  ASSERT_EQ(a.size, b.size) << a.name << " vs " << b.name;
  EXPECT_TRUE(std::equal(a.data, a.data + a.size, b.data))
      << a.name << " vs " << b.name;
}

void expectSameDense(const DenseTensor &a, const DenseTensor &b) {
  ASSERT_EQ(a.rows, b.rows);
  ASSERT_EQ(a.cols, b.cols);
  std::vector<float> ra(static_cast<size_t>(a.cols)),
      rb(static_cast<size_t>(b.cols));
  for (int64_t r = 0; r < a.rows; ++r) {
    ASSERT_TRUE(denseRowToFloat(a, r, ra.data()));
    ASSERT_TRUE(denseRowToFloat(b, r, rb.data()));
    ASSERT_EQ(ra, rb) << a.name << " row " << r;
  }
}

/// `hf` and `gguf` describe the same model (everything but the source).
void expectSameModel(const ModelDescription &hf, const ModelDescription &gguf) {
  const ModelConfig &a = hf.config, &b = gguf.config;
  EXPECT_EQ(a.architecture, "bitnet");
  EXPECT_EQ(a.hiddenSize, b.hiddenSize);
  EXPECT_EQ(a.intermediateSize, b.intermediateSize);
  EXPECT_EQ(a.numLayers, b.numLayers);
  EXPECT_EQ(a.numHeads, b.numHeads);
  EXPECT_EQ(a.numKvHeads, b.numKvHeads);
  EXPECT_EQ(a.headDim, b.headDim);
  EXPECT_EQ(a.vocabSize, b.vocabSize);
  EXPECT_EQ(a.maxPositions, b.maxPositions);
  EXPECT_EQ(a.ropeTheta, b.ropeTheta);
  EXPECT_EQ(a.rmsNormEps, b.rmsNormEps);
  EXPECT_EQ(a.bosId, b.bosId);
  EXPECT_EQ(a.eosId, b.eosId);
  EXPECT_EQ(a.eotId, b.eotId);
  EXPECT_EQ(a.tiedEmbeddings, b.tiedEmbeddings);
  EXPECT_EQ(hf.vocab.tokens, gguf.vocab.tokens);
  EXPECT_EQ(hf.vocab.isSpecial, gguf.vocab.isSpecial);
  EXPECT_EQ(hf.vocab.model, "gpt2");

  ASSERT_EQ(hf.layers.size(), gguf.layers.size());
  for (size_t i = 0; i < hf.layers.size(); ++i) {
    auto ta = ternaries(hf.layers[i]), tb = ternaries(gguf.layers[i]);
    for (size_t k = 0; k < ta.size(); ++k) {
      SCOPED_TRACE(ta[k]->name + " vs " + tb[k]->name);
      EXPECT_EQ(ta[k]->name, hfTensorName(tb[k]->name));
      EXPECT_EQ(ta[k]->rows, tb[k]->rows);
      EXPECT_EQ(ta[k]->cols, tb[k]->cols);
      EXPECT_EQ(unpackAll(*ta[k]), unpackAll(*tb[k]));
      EXPECT_EQ(ta[k]->scale, tb[k]->scale);
    }
    auto na = norms(hf.layers[i]), nb = norms(gguf.layers[i]);
    for (size_t k = 0; k < na.size(); ++k) {
      EXPECT_EQ(na[k]->name, hfTensorName(nb[k]->name));
      expectSameNorm(*na[k], *nb[k]);
    }
  }
  expectSameNorm(hf.outputNorm, gguf.outputNorm);
  expectSameDense(hf.tokenEmbedding, gguf.tokenEmbedding);
  EXPECT_EQ(hf.output.has_value(), gguf.output.has_value());
}

ModelDescription loadGgufCopy(const TinyModel &m) {
  GgufFileOrError g = GgufFile::parse(
      MappedFile::fromBuffer(writerFor(m).serialize(), "tiny.gguf"));
  EXPECT_TRUE(g.ok()) << g.error;
  ModelOrError r = loadGgufModel(*g);
  EXPECT_TRUE(r.ok()) << r.error;
  return std::move(*r.value);
}

const std::string kQ0 = "model.layers.0.self_attn.q_proj";
const std::string kDown1 = "model.layers.1.mlp.down_proj";

/// Decodes BF16 bytes.
std::vector<float> fromBf16(const std::vector<uint8_t> &bytes) {
  std::vector<float> v(bytes.size() / 2);
  for (size_t i = 0; i < v.size(); ++i) {
    uint16_t h;
    std::memcpy(&h, bytes.data() + 2 * i, 2);
    v[i] = bf16ToFloat(h);
  }
  return v;
}

std::vector<uint8_t> f32Bytes(const std::vector<float> &v) {
  std::vector<uint8_t> out(v.size() * 4);
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

} // namespace

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

TEST(HfModelTest, PackedCheckpointLoadsLikeItsGgufCopy) {
  const TinyModel m = makeTinyModel(TernaryEncoding::I2_S, 5);
  const ModelDescription gguf = loadGgufCopy(m);
  for (HfWeightFormat format :
       {HfWeightFormat::Packed, HfWeightFormat::PackedLegacyConfig}) {
    SCOPED_TRACE(format == HfWeightFormat::Packed ? "autobitlinear offline"
                                                  : "offline_quantization");
    const std::string dir =
        writeCheckpoint(hfCheckpointFor(m, format), "packed");
    ModelOrError r = loadHfModel(dir);
    ASSERT_TRUE(r.ok()) << r.error;
    expectSameModel(*r, gguf);
    EXPECT_EQ(r->sourceFormat, "hf-packed");
    EXPECT_EQ(r->sourcePath, dir);
    EXPECT_EQ(r->layers[0].attnQ.encoding, TernaryEncoding::HfPacked);
    EXPECT_EQ(r->layers[1].ffnDown.scale, m.scales.at("blk.1.ffn_down.weight"));
    EXPECT_EQ(r->tokenEmbedding.type, DenseType::BF16);
    EXPECT_EQ(r->tokenEmbedding.name, "model.embed_tokens.weight");

    // Views into the mapping: the packed weights and the embedding.
    auto mapping = std::static_pointer_cast<const MappedFile>(r->storage[0]);
    const uint8_t *lo = mapping->data(), *hi = lo + mapping->size();
    auto inside = [&](const void *p) {
      return static_cast<const uint8_t *>(p) >= lo &&
             static_cast<const uint8_t *>(p) < hi;
    };
    EXPECT_TRUE(inside(r->tokenEmbedding.data));
    EXPECT_TRUE(inside(r->layers[1].ffnUp.data));
    EXPECT_FALSE(inside(r->layers[0].attnNorm.data)); // converted to f32

    // Every accepted path form, and loadModel's dispatch.
    for (const std::string &p :
         {dir + "/", dir + "/config.json", dir + "/model.safetensors"}) {
      ModelOrError again = loadHfModel(p);
      ASSERT_TRUE(again.ok()) << p << ": " << again.error;
      expectSameModel(*again, gguf);
    }
    for (const std::string &p :
         {dir, dir + "/config.json", dir + "/model.safetensors"}) {
      ModelOrError viaLoadModel = loadModel(p);
      ASSERT_TRUE(viaLoadModel.ok()) << p << ": " << viaLoadModel.error;
      EXPECT_EQ(viaLoadModel->sourceFormat, "hf-packed");
    }
  }
}

TEST(HfModelTest, AModelDescriptionOutlivesItsFiles) {
  const TinyModel m = makeTinyModel(TernaryEncoding::I2_S, 6);
  const std::string dir =
      writeCheckpoint(hfCheckpointFor(m, HfWeightFormat::Packed), "outlive");
  ModelOrError r = loadHfModel(dir);
  ASSERT_TRUE(r.ok()) << r.error;
  ModelDescription copy = *r;
  r = ModelOrError::failure("dropped");
  std::filesystem::remove_all(dir);
  expectSameModel(copy, loadGgufCopy(m));
}

TEST(HfModelTest, ShardedCheckpoint) {
  const TinyModel m = makeTinyModel(TernaryEncoding::TQ2_0, 7);
  const ModelDescription gguf = loadGgufCopy(m);
  const std::string dir = writeCheckpoint(
      hfCheckpointFor(m, HfWeightFormat::Packed), "sharded", /*shards=*/3);
  ASSERT_FALSE(std::ifstream(dir + "/model.safetensors").good());
  ModelOrError r = loadHfModel(dir);
  ASSERT_TRUE(r.ok()) << r.error;
  expectSameModel(*r, gguf);
  // Each shard mapped once: the first storage entries are the mappings.
  ASSERT_GE(r->storage.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    auto shard = std::static_pointer_cast<const MappedFile>(r->storage[i]);
    EXPECT_TRUE(hasWords(shard->name(), {("model-0000" + std::to_string(i + 1) +
                                          "-of-00003.safetensors")
                                             .c_str()}));
  }
  // The index, or any shard, names the whole checkpoint.
  for (const std::string &p : {dir + "/model.safetensors.index.json",
                               dir + "/model-00002-of-00003.safetensors"}) {
    ModelOrError again = loadModel(p);
    ASSERT_TRUE(again.ok()) << p << ": " << again.error;
    expectSameModel(*again, gguf);
  }
}

TEST(HfModelTest, Bf16MasterWeightsAreQuantizedAtLoad) {
  const TinyModel m = makeTinyModel(TernaryEncoding::I2_S, 8);
  HfCheckpoint c = hfCheckpointFor(m, HfWeightFormat::Bf16Master);

  // Layer 0 q_proj: exactly half the entries +-2 beta, beta = 5/32, so the
  // absmean is exactly beta and every non-zero entry quantizes to +-1.
  const float beta = 0.15625f;
  std::vector<int8_t> designed(256 * 256);
  std::vector<float> q0(designed.size());
  for (size_t i = 0; i < designed.size(); ++i) {
    designed[i] = static_cast<int8_t>(i % 4 == 0 ? 1 : i % 4 == 1 ? -1 : 0);
    q0[i] = float(designed[i]) * 2 * beta;
  }
  findHfSpec(c, kQ0 + ".weight")->bytes = bf16Bytes(q0);

  // Layer 1 down_proj: arbitrary (non-ternary) values.
  std::vector<float> down(256 * 512);
  uint32_t s = 12345;
  for (float &x : down) {
    s ^= s << 13, s ^= s >> 17, s ^= s << 5;
    x = (float(int(s % 2001)) - 1000.0f) / 20000.0f;
  }
  findHfSpec(c, kDown1 + ".weight")->bytes = bf16Bytes(down);
  const std::vector<float> downStored = fromBf16(bf16Bytes(down));

  // Layer 1 up_proj stored as F32 (the same values).
  HfTensorSpec *up = findHfSpec(c, "model.layers.1.mlp.up_proj.weight");
  up->dtype = SafetensorsDType::F32;
  up->bytes = f32Bytes(fromBf16(up->bytes));

  for (const char *qc :
       {"",
        R"({"quant_method": "bitnet", "linear_class": "autobitlinear",)"
        R"( "quantization_mode": "online"})",
        "null"}) {
    SCOPED_TRACE(qc);
    if (*qc)
      c.config["quantization_config"] = qc;
    ModelOrError r = loadHfModel(writeCheckpoint(c, "bf16"));
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r->sourceFormat, "hf-bf16");

    const TernaryTensor &tq = r->layers[0].attnQ;
    EXPECT_EQ(tq.encoding, TernaryEncoding::Int8);
    EXPECT_EQ(tq.byteSize, 256u * 256);
    EXPECT_EQ(tq.scale, beta);
    EXPECT_EQ(unpackAll(tq), designed);

    const TernaryTensor &td = r->layers[1].ffnDown;
    std::vector<int8_t> want(downStored.size());
    const float wantBeta = absmeanQuantize(
        downStored.data(), int64_t(downStored.size()), want.data());
    EXPECT_EQ(td.scale, wantBeta);
    EXPECT_EQ(unpackAll(td), want);
    EXPECT_GT(std::count(want.begin(), want.end(), 0), 0);

    // The rest: t * scale quantizes back to t, beta = absmean.
    for (size_t l = 0; l < 2; ++l)
      for (const TernaryTensor *t : ternaries(r->layers[l])) {
        if (t->name == kQ0 + ".weight" || t->name == kDown1 + ".weight")
          continue;
        SCOPED_TRACE(t->name);
        std::string gguf;
        for (const auto &[g, v] : m.ternary)
          if (hfTensorName(g) == t->name)
            gguf = g;
        ASSERT_FALSE(gguf.empty());
        EXPECT_EQ(unpackAll(*t), m.ternary.at(gguf));
        std::vector<float> w(m.ternary.at(gguf).size());
        for (size_t i = 0; i < w.size(); ++i)
          w[i] = float(m.ternary.at(gguf)[i]) * m.scales.at(gguf);
        EXPECT_EQ(t->scale, absmeanScale(w.data(), int64_t(w.size())));
      }
    expectSameDense(r->tokenEmbedding, loadGgufCopy(m).tokenEmbedding);
  }
}

TEST(HfModelTest, TokenizerAndSpecialIds) {
  const TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  HfCheckpoint c = hfCheckpointFor(m, HfWeightFormat::Packed);
  ModelOrError r = loadHfModel(writeCheckpoint(c, "tok"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r->config.bosId, 297);
  EXPECT_EQ(r->config.eosId, 298);
  EXPECT_EQ(r->config.eotId, 299);
  TokenizerOrError tok = buildTokenizer(*r);
  ASSERT_TRUE(tok.ok()) << tok.error;
  EXPECT_EQ(tok->vocabSize(), 300);
  EXPECT_EQ(tok->encode("ab"), (std::vector<TokenId>{257}));
  EXPECT_EQ(tok->chatPrompt("hi").front(), 297);

  // eos as a plain id; eot then comes from the vocabulary.
  c.config["eos_token_id"] = "298";
  c.config["bos_token_id"] = "null";
  r = loadHfModel(writeCheckpoint(c, "tok"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r->config.bosId, -1);
  EXPECT_EQ(r->config.eosId, 298);
  EXPECT_EQ(r->config.eotId, 299);

  // No tokenizer.json: an empty vocabulary, which is fine.
  c.tokenizerJson.clear();
  r = loadHfModel(writeCheckpoint(c, "notok"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r->vocab.tokens.empty());
  EXPECT_EQ(r->config.eotId, -1);
  EXPECT_TRUE(hasWords(buildTokenizer(*r).error, {"no tokenizer vocabulary"}));
}

TEST(HfModelTest, ChatTemplateFromTokenizerConfig) {
  const TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  const HfCheckpoint c = hfCheckpointFor(m, HfWeightFormat::Packed);
  const std::string dir = writeCheckpoint(c, "chat");
  ModelOrError none = loadHfModel(dir);
  ASSERT_TRUE(none.ok()) << none.error;
  EXPECT_EQ(none->vocab.chatTemplate, "");
  {
    std::ofstream out(dir + "/tokenizer_config.json");
    out << R"({"chat_template": "{{ '<|start_header_id|>' }}x", "x": 1})";
  }
  ModelOrError r = loadHfModel(dir);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r->vocab.chatTemplate, "{{ '<|start_header_id|>' }}x");
  {
    std::ofstream out(dir + "/tokenizer_config.json");
    out << "{\"chat_template\": ";
  }
  EXPECT_TRUE(hasWords(loadHfModel(dir).error, {"tokenizer_config.json"}));
}

TEST(HfModelTest, OptionalKeysUntiedHeadAndScaleForms) {
  const TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  HfCheckpoint c = hfCheckpointFor(m, HfWeightFormat::Packed);
  for (const char *key : {"num_key_value_heads", "rope_theta", "rms_norm_eps",
                          "hidden_act", "tie_word_embeddings"})
    c.config.erase(key);
  c.config["head_dim"] = "64";
  // Without num_key_value_heads, K and V are full width.
  for (const char *kv : {"k_proj", "v_proj"})
    for (int l = 0; l < 2; ++l) {
      HfTensorSpec *t = findHfSpec(c, "model.layers." + std::to_string(l) +
                                          ".self_attn." + kv + ".weight");
      t->shape = {64, 256};
      t->bytes.assign(64 * 256, 0x55); // all codes 1: zeros
    }
  // An untied head (tie_word_embeddings absent, lm_head present) in F16.
  std::vector<uint8_t> head(300 * 256 * 2);
  for (size_t i = 0; i < head.size(); i += 2) {
    const uint16_t h = floatToFp16(float(i % 7) / 8);
    std::memcpy(head.data() + i, &h, 2);
  }
  c.tensors.push_back(
      {"lm_head.weight", SafetensorsDType::F16, {300, 256}, head});
  // weight_scale as F32 with shape [] and as F16 [1].
  HfTensorSpec *s = findHfSpec(c, kQ0 + ".weight_scale");
  s->dtype = SafetensorsDType::F32;
  s->shape = {};
  s->bytes = f32Bytes({0.75f});
  s = findHfSpec(c, kDown1 + ".weight_scale");
  s->dtype = SafetensorsDType::F16;
  s->bytes.resize(2);
  const uint16_t h = floatToFp16(1.5f);
  std::memcpy(s->bytes.data(), &h, 2);

  ModelOrError r = loadHfModel(writeCheckpoint(c, "optional"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r->config.numKvHeads, 4);
  EXPECT_EQ(r->config.headDim, 64);
  EXPECT_EQ(r->config.ropeTheta, 10000.0f);
  EXPECT_EQ(r->config.rmsNormEps, 1e-5f);
  EXPECT_FALSE(r->config.tiedEmbeddings);
  ASSERT_TRUE(r->output.has_value());
  EXPECT_EQ(r->output->type, DenseType::F16);
  std::vector<float> row(256);
  ASSERT_TRUE(denseRowToFloat(*r->output, 3, row.data()));
  EXPECT_EQ(row[1], float((3 * 256 * 2 + 2) % 7) / 8);
  EXPECT_EQ(r->layers[0].attnQ.scale, 0.75f);
  EXPECT_EQ(r->layers[1].ffnDown.scale, 1.5f);
  EXPECT_EQ(r->layers[0].attnK.rows, 256);

  // tie_word_embeddings true ignores lm_head.weight; false requires it.
  c.config["tie_word_embeddings"] = "true";
  r = loadHfModel(writeCheckpoint(c, "tied"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_FALSE(r->output.has_value());
  c.config["tie_word_embeddings"] = "false";
  c.tensors.pop_back();
  EXPECT_TRUE(
      hasWords(loadError(c, "untied"),
               {"model.safetensors", "missing tensor 'lm_head.weight'"}));
}

TEST(HfModelTest, MisalignedEmbeddingIsCopied) {
  const TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  HfCheckpoint c = hfCheckpointFor(m, HfWeightFormat::Packed);
  // A 3-byte tensor first puts the BF16 embedding at an odd address.
  c.tensors.insert(c.tensors.begin(),
                   {"extra.odd", SafetensorsDType::U8, {3}, {1, 2, 3}});
  ModelOrError r = loadHfModel(writeCheckpoint(c, "misaligned"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(reinterpret_cast<uintptr_t>(r->tokenEmbedding.data) % 2, 0u);
  expectSameModel(*r, loadGgufCopy(m));
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

class HfModelErrorTest : public ::testing::Test {
protected:
  TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  HfCheckpoint c = hfCheckpointFor(m, HfWeightFormat::Packed);
};

TEST_F(HfModelErrorTest, NotACheckpoint) {
  const std::string empty = freshDir("empty");
  std::filesystem::create_directories(empty);
  EXPECT_TRUE(hasWords(loadHfModel(empty).error,
                       {empty.c_str(), "config.json not found"}));
  EXPECT_TRUE(hasWords(loadModel(empty).error,
                       {empty.c_str(), "config.json not found"}));
  EXPECT_TRUE(hasWords(loadHfModel(empty + "/nothing").error,
                       {"nothing", "not found"}));
  const std::string st = empty + "/model.safetensors";
  { std::ofstream(st, std::ios::binary) << "x"; }
  EXPECT_TRUE(
      hasWords(loadModel(st).error, {st.c_str(), "config.json not found"}));

  // config.json but no weights.
  const std::string dir = writeCheckpoint(c, "noweights");
  std::remove((dir + "/model.safetensors").c_str());
  EXPECT_TRUE(
      hasWords(loadHfModel(dir).error, {dir.c_str(), "no model.safetensors",
                                        "model.safetensors.index.json"}));
}

TEST_F(HfModelErrorTest, BadConfigJson) {
  const std::string dir = writeCheckpoint(c, "badjson");
  { std::ofstream(dir + "/config.json") << "{\"hidden_size\": 256,,}"; }
  EXPECT_TRUE(hasWords(loadHfModel(dir).error,
                       {"config.json", "not valid JSON", "line 1"}));
  { std::ofstream(dir + "/config.json") << "[1]"; }
  EXPECT_TRUE(
      hasWords(loadHfModel(dir).error, {"config.json", "not a JSON object"}));
}

TEST_F(HfModelErrorTest, MissingAndBadKeys) {
  for (const char *key :
       {"hidden_size", "intermediate_size", "num_hidden_layers",
        "num_attention_heads", "vocab_size", "max_position_embeddings",
        "model_type"}) {
    HfCheckpoint bad = c;
    bad.config.erase(key);
    EXPECT_TRUE(hasWords(
        loadError(bad, "missingkey"),
        {"config.json", (std::string("'") + key + "'").c_str(), "missing"}));
  }
  struct Case {
    const char *key, *value;
    std::vector<const char *> words;
  };
  // 100,000 levels overflowed the stack when the value was quoted.
  const std::string deep(100000, '[');
  const Case cases[] = {
      {"hidden_size", "\"256\"", {"'hidden_size'", "positive integer"}},
      {"hidden_size", "256.5", {"'hidden_size'", "256.5"}},
      {"num_hidden_layers", "0", {"'num_hidden_layers'", "positive integer"}},
      {"vocab_size", "-300", {"'vocab_size'"}},
      {"num_attention_heads", "3", {"hidden_size 256", "not divisible"}},
      {"num_key_value_heads", "3", {"num_attention_heads 4", "3"}},
      {"head_dim", "63", {"head dimension 63", "odd"}},
      {"rope_theta", "\"big\"", {"'rope_theta'", "positive finite"}},
      {"rms_norm_eps", "0", {"'rms_norm_eps'", "positive finite"}},
      {"rope_scaling",
       "{\"type\": \"linear\", \"factor\": 2.0}",
       {"rope_scaling", "plain RoPE only"}},
      {"num_hidden_layers", "1000000", {"the layer count is 1000000",
                                         "outside 1..4096"}},
      {"max_position_embeddings", "100000000",
       {"the context length is 100000000", "outside 1..16777216"}},
      {"max_position_embeddings", "9223372036854775807",
       {"'max_position_embeddings'", "9223372036854775807"}},
      {"num_key_value_heads", "4294967295", {"num_key_value_heads"}},
      {"rope_scaling", deep.c_str(),
       {"not valid JSON", "deeper than 128 levels"}},
      {"model_type", "\"llama\"", {"model_type", "'llama'", "'bitnet'"}},
      {"model_type", "7", {"'model_type'", "expected a string"}},
      {"hidden_act", "\"silu\"", {"hidden_act", "'silu'", "relu2"}},
      {"bos_token_id", "300", {"'bos_token_id'", "300", "outside"}},
      {"eos_token_id", "[298, \"x\"]", {"'eos_token_id'", "token id"}},
      {"tie_word_embeddings", "\"yes\"", {"'tie_word_embeddings'", "true or"}},
      {"quantization_config", "[]", {"quantization_config", "an object"}},
      {"quantization_config",
       "{\"quant_method\": \"gptq\"}",
       {"quantization_config.quant_method", "'gptq'"}},
      {"quantization_config",
       "{\"offline_quantization\": true}",
       {"quantization_config.quant_method", "missing"}},
      {"quantization_config",
       "{\"quant_method\": \"bitnet\", \"linear_class\": \"bitlinear\"}",
       {"quantization_config.linear_class", "'bitlinear'", "divides"}},
      {"quantization_config",
       "{\"quant_method\": \"bitnet\", \"quantization_mode\": \"lazy\"}",
       {"quantization_config.quantization_mode", "'lazy'"}},
      {"quantization_config",
       "{\"quant_method\": \"bitnet\", \"use_rms_norm\": true}",
       {"quantization_config.use_rms_norm"}},
      {"quantization_config",
       "{\"quant_method\": \"bitnet\", \"offline_quantization\": 1}",
       {"'quantization_config.offline_quantization'", "true or false"}},
      {"quantization_config",
       "{\"quant_method\": \"bitnet\", \"quantization_mode\": \"online\", "
       "\"offline_quantization\": true}",
       {"quantization_mode 'online'", "offline_quantization true"}},
  };
  for (const Case &k : cases) {
    SCOPED_TRACE(std::string(k.key) + " = " + k.value);
    HfCheckpoint bad = c;
    bad.config[k.key] = k.value;
    const std::string e = loadError(bad, "badkey");
    EXPECT_TRUE(hasWords(e, {"config.json"}));
    for (const char *w : k.words)
      EXPECT_TRUE(hasWords(e, {w}));
  }
}

TEST_F(HfModelErrorTest, ShapeMismatches) {
  HfCheckpoint bad = c;
  findHfSpec(bad, kQ0 + ".weight")->shape = {32, 512};
  EXPECT_TRUE(hasWords(loadError(bad, "shape"),
                       {"model.safetensors", "'" + kQ0 + ".weight'",
                        "shape [32, 512]", "expected [64, 256]", "packed"}));

  bad = c;
  findHfSpec(bad, "model.layers.1.mlp.ffn_sub_norm.weight")->shape = {256, 2};
  EXPECT_TRUE(hasWords(loadError(bad, "shape"),
                       {"'model.layers.1.mlp.ffn_sub_norm.weight'",
                        "shape [256, 2]", "expected [512]"}));

  bad = c;
  HfTensorSpec *e = findHfSpec(bad, "model.embed_tokens.weight");
  e->shape = {299, 256};
  e->bytes.resize(299 * 256 * 2);
  EXPECT_TRUE(
      hasWords(loadError(bad, "shape"), {"'model.embed_tokens.weight'",
                                         "[299, 256]", "expected [300, 256]"}));

  // config.json disagreeing with the tensors.
  bad = c;
  bad.config["intermediate_size"] = "1024";
  EXPECT_TRUE(hasWords(
      loadError(bad, "shape"),
      {"'model.layers.0.mlp.gate_proj.weight'", "expected [256, 256]"}));
  bad = c;
  bad.config["vocab_size"] = "400";
  EXPECT_TRUE(hasWords(loadError(bad, "shape"),
                       {"'model.embed_tokens.weight'", "expected [400, 256]"}));
}

TEST_F(HfModelErrorTest, MissingTensors) {
  for (const std::string &name :
       {std::string("model.layers.1.mlp.down_proj.weight"),
        std::string("model.embed_tokens.weight"),
        std::string("model.norm.weight"), kQ0 + ".weight_scale",
        std::string("model.layers.0.self_attn.attn_sub_norm.weight")}) {
    HfCheckpoint bad = c;
    bad.tensors.erase(
        std::find_if(bad.tensors.begin(), bad.tensors.end(),
                     [&](const HfTensorSpec &t) { return t.name == name; }));
    EXPECT_TRUE(hasWords(
        loadError(bad, "missing"),
        {"model.safetensors", ("missing tensor '" + name + "'").c_str()}));
  }
}

TEST_F(HfModelErrorTest, BadWeightScales) {
  HfCheckpoint bad = c;
  HfTensorSpec *s = findHfSpec(bad, kQ0 + ".weight_scale");
  s->shape = {2};
  s->bytes = bf16Bytes({1.0f, 2.0f});
  EXPECT_TRUE(hasWords(loadError(bad, "scale"),
                       {"model.safetensors", "'" + kQ0 + ".weight_scale'",
                        "shape [2]", "expected [1] or []"}));
  s->shape = {1, 1};
  s->bytes = bf16Bytes({1.0f});
  EXPECT_TRUE(hasWords(loadError(bad, "scale"), {"shape [1, 1]"}));
  s->shape = {1};
  s->dtype = SafetensorsDType::I16;
  EXPECT_TRUE(
      hasWords(loadError(bad, "scale"), {"'" + kQ0 + ".weight_scale'",
                                         "dtype I16", "F32, F16 or BF16"}));
  s->dtype = SafetensorsDType::F32;
  s->bytes = f32Bytes({std::nanf("")});
  EXPECT_TRUE(hasWords(loadError(bad, "scale"),
                       {"'" + kQ0 + ".weight_scale'", "not finite"}));
}

TEST_F(HfModelErrorTest, InvalidPackedCodes) {
  HfCheckpoint bad = c;
  // Byte (row 5, col 7) of layer 1's v_proj: code 3 in bits 4..5, i.e.
  // output row 2 * 32 + 5 = 69 (v_proj has 128 rows, 32 packed rows).
  HfTensorSpec *v = findHfSpec(bad, "model.layers.1.self_attn.v_proj.weight");
  ASSERT_EQ(v->shape, (std::vector<int64_t>{32, 256}));
  uint8_t &byte = v->bytes[5 * 256 + 7];
  byte = static_cast<uint8_t>(byte | 0x30);
  EXPECT_TRUE(
      hasWords(loadError(bad, "codes"),
               {"model.safetensors", "'model.layers.1.self_attn.v_proj.weight'",
                "HF packed", "row 69", "invalid ternary code"}));
}

TEST_F(HfModelErrorTest, WeightsOfTheWrongKind) {
  // Packed config, BF16 master weights.
  HfCheckpoint bad = hfCheckpointFor(m, HfWeightFormat::Bf16Master);
  bad.config["quantization_config"] = c.config["quantization_config"];
  EXPECT_TRUE(hasWords(loadError(bad, "kind"),
                       {"model.safetensors",
                        "'model.layers.0.self_attn.q_proj"
                        ".weight'",
                        "dtype BF16", "expected U8", "quantization_config"}));
  // No quantization_config, packed weights.
  bad = c;
  bad.config.erase("quantization_config");
  EXPECT_TRUE(
      hasWords(loadError(bad, "kind"), {"'" + kQ0 + ".weight'", "dtype U8",
                                        "no offline quantization_config"}));
  // Integer norms / embedding.
  bad = c;
  HfTensorSpec *n = findHfSpec(bad, "model.norm.weight");
  n->dtype = SafetensorsDType::I16;
  EXPECT_TRUE(
      hasWords(loadError(bad, "kind"), {"'model.norm.weight'", "dtype I16"}));
  bad = c;
  findHfSpec(bad, "model.embed_tokens.weight")->dtype = SafetensorsDType::U16;
  EXPECT_TRUE(hasWords(loadError(bad, "kind"),
                       {"'model.embed_tokens.weight'", "dtype U16"}));
  // Packed out_features not a multiple of 4: 2 heads of 2 for q_proj (4
  // rows, packed [1, 256]), 1 KV head of 2 for k_proj (2 rows).
  bad = c;
  bad.config["num_attention_heads"] = "2";
  bad.config["num_key_value_heads"] = "1";
  bad.config["head_dim"] = "2";
  HfTensorSpec *q = findHfSpec(bad, kQ0 + ".weight");
  q->shape = {1, 256};
  q->bytes.assign(256, 0x55);
  EXPECT_TRUE(
      hasWords(loadError(bad, "kind"),
               {"model.safetensors", "'model.layers.0.self_attn.k_proj.weight'",
                "rows 2 is not a multiple of 4"}));
}

TEST_F(HfModelErrorTest, ShardedIndexProblems) {
  const std::string dir = writeCheckpoint(c, "shards", 2);
  ASSERT_TRUE(loadHfModel(dir).ok());
  const std::string index = dir + "/model.safetensors.index.json";
  const std::string original = [&] {
    std::ifstream in(index);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  auto rewrite = [&](const std::string &from, const std::string &to) {
    std::string text = original;
    size_t pos = text.find(from);
    ASSERT_NE(pos, std::string::npos) << from;
    text.replace(pos, from.size(), to);
    std::ofstream(index, std::ios::trunc) << text;
  };

  // A shard file that does not exist.
  rewrite("model-00002-of-00002.safetensors",
          "model-00009-of-00009.safetensors");
  std::string e = loadHfModel(dir).error;
  EXPECT_TRUE(hasWords(e, {"model.safetensors.index.json",
                           "model-00009-of-00009.safetensors", "not found"}))
      << e;

  // A tensor the index does not list.
  rewrite("\"model.norm.weight\"", "\"model.norm.weightx\"");
  e = loadHfModel(dir).error;
  EXPECT_TRUE(hasWords(e, {"model.safetensors.index.json",
                           "missing tensor 'model.norm.weight'", "weight_map"}))
      << e;

  // The index sends a tensor to a shard that lacks it.
  nlohmann::json j;
  ASSERT_EQ(parseJsonNoThrow(original, j), "");
  // model.norm.weight is the last tensor, so it is in the second shard.
  ASSERT_EQ(j["weight_map"]["model.norm.weight"],
            "model-00002-of-00002.safetensors");
  j["weight_map"]["model.norm.weight"] = "model-00001-of-00002.safetensors";
  std::ofstream(index, std::ios::trunc) << j.dump();
  e = loadHfModel(dir).error;
  EXPECT_TRUE(hasWords(e, {"-of-00002.safetensors",
                           "missing tensor 'model.norm.weight'",
                           "model.safetensors.index.json says"}))
      << e;

  // Paths outside the directory, bad types, bad JSON.
  rewrite("model-00002-of-00002.safetensors", "../model.safetensors");
  EXPECT_TRUE(
      hasWords(loadHfModel(dir).error, {"index.json", "'../model.safetensors'",
                                        "not a plain file name"}));
  std::ofstream(index, std::ios::trunc) << "{\"weight_map\": 7}";
  EXPECT_TRUE(hasWords(loadHfModel(dir).error,
                       {"index.json", "'weight_map' is not an object"}));
  std::ofstream(index, std::ios::trunc) << "{\"weight_map\": {}}";
  EXPECT_TRUE(hasWords(loadHfModel(dir).error,
                       {"index.json", "'weight_map' is empty"}));
  std::ofstream(index, std::ios::trunc) << "{\"metadata\": {}}";
  EXPECT_TRUE(hasWords(loadHfModel(dir).error,
                       {"index.json", "'weight_map' is missing"}));
  std::ofstream(index, std::ios::trunc) << "{\"weight_map\": {\"a\": 5}}";
  EXPECT_TRUE(hasWords(loadHfModel(dir).error,
                       {"index.json", "'a'", "not a file name"}));
  std::ofstream(index, std::ios::trunc) << "{";
  EXPECT_TRUE(
      hasWords(loadHfModel(dir).error, {"index.json", "not valid JSON"}));
}

TEST_F(HfModelErrorTest, TruncatedWeights) {
  const std::string dir = writeCheckpoint(c, "truncated");
  const std::string path = dir + "/model.safetensors";
  std::vector<uint8_t> full;
  {
    std::ifstream in(path, std::ios::binary);
    full.assign(std::istreambuf_iterator<char>(in), {});
  }
  SafetensorsFileOrError f =
      SafetensorsFile::parse(MappedFile::fromBuffer(full, "x"));
  ASSERT_TRUE(f.ok());
  std::vector<size_t> cuts = {0,
                              4,
                              8,
                              9,
                              100,
                              size_t(f->dataOffset()) - 1,
                              size_t(f->dataOffset()),
                              full.size() / 2,
                              full.size() - 1};
  for (size_t cut : cuts) {
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char *>(full.data()),
                static_cast<std::streamsize>(cut));
    }
    ModelOrError r = loadHfModel(dir);
    ASSERT_FALSE(r.ok()) << cut;
    EXPECT_TRUE(hasWords(r.error, {path.c_str()})) << cut << ": " << r.error;
  }
}

TEST_F(HfModelErrorTest, BadTokenizerJson) {
  HfCheckpoint bad = c;
  // 100,000 levels overflowed the stack when the value was quoted.
  bad.tokenizerJson = "{\"model\": " + std::string(100000, '[') +
                      std::string(100000, ']') + "}";
  EXPECT_TRUE(hasWords(loadError(bad, "tokjson"),
                       {"tokenizer.json", "deeper than 128 levels"}));
  bad = c;
  bad.tokenizerJson = "{\"model\": {\"type\": \"Unigram\"}}";
  EXPECT_TRUE(hasWords(loadError(bad, "tokjson"),
                       {"tokenizer.json", "model.type", "Unigram"}));
  bad = c;
  bad.config["vocab_size"] = "299";
  EXPECT_TRUE(
      hasWords(loadError(bad, "tokjson"), {"config.json", "vocab_size 299",
                                           "300 tokens", "tokenizer.json"}));
}

TEST_F(HfModelErrorTest, LoadModelDispatch) {
  // A safetensors file under another name is recognised by its header.
  const std::string dir = writeCheckpoint(c, "dispatch");
  std::rename((dir + "/model.safetensors").c_str(),
              (dir + "/weights.bin").c_str());
  ModelOrError r = loadModel(dir + "/weights.bin");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r->sourceFormat, "hf-packed");

  const std::string junk = dir + "/junk.bin";
  { std::ofstream(junk, std::ios::binary) << "PK\x03\x04 zip file"; }
  EXPECT_TRUE(hasWords(loadModel(junk).error,
                       {junk.c_str(), "not a GGUF file", "50 4B 03 04",
                        "unsupported model format", "Hugging Face"}));
}

TEST_F(HfModelErrorTest, CorruptConfigValuesNeverCrash) {
  // Every key set to values of every JSON type.
  const char *values[] = {"null",
                          "true",
                          "0",
                          "-1",
                          "1e400",
                          "2.5",
                          "\"x\"",
                          "[]",
                          "[1, 2]",
                          "{}",
                          "18446744073709551616"};
  const std::string dir = writeCheckpoint(c, "fuzz");
  for (const auto &[key, original] : c.config)
    for (const char *v : values) {
      HfCheckpoint bad = c;
      bad.config[key] = v;
      std::string config = "{";
      for (const auto &[k, value] : bad.config)
        config += std::string(config.size() > 1 ? "," : "") + "\"" + k +
                  "\": " + value;
      std::ofstream(dir + "/config.json", std::ios::trunc) << config << "}";
      ModelOrError r = loadHfModel(dir);
      if (!r.ok()) {
        EXPECT_FALSE(r.error.empty()) << key << " = " << v;
      }
    }
}
