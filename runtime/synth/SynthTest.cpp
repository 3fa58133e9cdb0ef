//===- SynthTest.cpp - Synthetic models: every format, the same model -----===//
//
// The cross-format guarantee: each format of one synthetic model loads to
// identical ternary weights, scales, norms and embedding (checked against
// the generator, value by value) and gives identical logits and greedy
// tokens through the reference forward pass, at any thread count.
//
//===----------------------------------------------------------------------===//

#include "runtime/synth/Synth.h"

#include "runtime/generate/Generate.h"
#include "runtime/model/TestModels.h"
#include "runtime/reference/ReferenceModel.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>

using namespace tern;
using testmodels::hasWords;
using testmodels::tempDir;

namespace {

ModelConfig tinyConfig() {
  ModelConfig c;
  c.architecture = "bitnet-b1.58";
  c.hiddenSize = 256;
  c.intermediateSize = 512;
  c.numLayers = 2;
  c.numHeads = 4;
  c.numKvHeads = 2;
  c.headDim = 64;
  c.vocabSize = 320;
  c.maxPositions = 64;
  c.ropeTheta = 500000.0f;
  c.rmsNormEps = 1e-5f;
  return c;
}

const ModelFormat kFormats[] = {ModelFormat::GgufI2S, ModelFormat::GgufTQ2,
                                ModelFormat::GgufTQ1, ModelFormat::HfPacked,
                                ModelFormat::HfBf16};

/// A layer's seven BitLinear weights, each with its generator id.
std::array<std::pair<const TernaryTensor *, tensor_id::LayerTensor>, 7>
ternaryTensorsOf(const LayerWeights &lw) {
  return {{{&lw.attnQ, tensor_id::AttnQ},
           {&lw.attnK, tensor_id::AttnK},
           {&lw.attnV, tensor_id::AttnV},
           {&lw.attnOutput, tensor_id::AttnOutput},
           {&lw.ffnGate, tensor_id::FfnGate},
           {&lw.ffnUp, tensor_id::FfnUp},
           {&lw.ffnDown, tensor_id::FfnDown}}};
}

std::string pathFor(ModelFormat f, const std::string &tag) {
  const std::string base = tempDir() + "/synth-" + tag + "-" +
                           modelFormatName(f);
  return f == ModelFormat::HfPacked || f == ModelFormat::HfBf16
             ? base
             : base + ".gguf";
}

std::shared_ptr<const ModelDescription>
synthAndLoad(ModelFormat f, const std::string &tag, uint64_t seed = 5,
             std::optional<Tokenizer> tokenizer = std::nullopt,
             int threads = 2) {
  SynthOptions o;
  o.config = tinyConfig();
  o.format = f;
  o.seed = seed;
  o.threads = threads;
  o.tokenizer = std::move(tokenizer);
  const std::string path = pathFor(f, tag);
  EXPECT_EQ(writeSyntheticModel(o, path), "") << modelFormatName(f);
  ModelOrError m = loadModel(path);
  EXPECT_TRUE(m.ok()) << modelFormatName(f) << ": " << m.error;
  if (!m)
    return nullptr;
  return std::make_shared<const ModelDescription>(std::move(*m));
}

/// A small byte-level vocabulary: 256 bytes, some merges, 3 specials.
Tokenizer smallTokenizer() {
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b)
    tokens.push_back(std::string(1, static_cast<char>(b)));
  for (const char *t : {"he", "ll", "llo", "hello", " w", "or", "orld",
                        " world"})
    tokens.push_back(t);
  std::vector<bool> special(tokens.size(), false);
  for (const char *s : {"<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"}) {
    tokens.push_back(s);
    special.push_back(true);
  }
  TokenizerOrError t = Tokenizer::fromVocab(tokens, special, "test vocab");
  EXPECT_TRUE(t.ok()) << t.error;
  return *t.tokenizer;
}

} // namespace

TEST(Synth, EveryFormatLoadsTheGeneratedValuesExactly) {
  const ModelConfig c = tinyConfig();
  const uint64_t seed = 5;
  for (ModelFormat f : kFormats) {
    SCOPED_TRACE(modelFormatName(f));
    auto m = synthAndLoad(f, "values", seed);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->config.hiddenSize, c.hiddenSize);
    EXPECT_EQ(m->config.intermediateSize, c.intermediateSize);
    EXPECT_EQ(m->config.numKvHeads, c.numKvHeads);
    EXPECT_EQ(m->config.vocabSize, c.vocabSize);
    EXPECT_EQ(m->config.ropeTheta, c.ropeTheta);
    ASSERT_EQ(m->layers.size(), 2u);
    std::vector<float> want(static_cast<size_t>(c.intermediateSize)),
        got(static_cast<size_t>(c.hiddenSize));
    for (int64_t l = 0; l < c.numLayers; ++l) {
      const LayerWeights &lw = m->layers[static_cast<size_t>(l)];
      const auto ternary = ternaryTensorsOf(lw);
      for (auto [t, which] : ternary) {
        const uint64_t id = tensor_id::of(l, which);
        EXPECT_EQ(t->scale, synth::ternaryScale(seed, id)) << t->name;
        std::vector<int8_t> row(static_cast<size_t>(t->cols)),
            expect(static_cast<size_t>(t->cols));
        for (int64_t r = 0; r < t->rows; ++r) {
          ASSERT_TRUE(unpackTernaryRow(*t, r, row.data())) << t->name;
          synth::ternaryRow(seed, id, r, t->cols, expect.data());
          ASSERT_EQ(row, expect) << t->name << " row " << r;
        }
      }
      const std::pair<const FloatTensor *, tensor_id::LayerTensor> norms[] = {
          {&lw.attnNorm, tensor_id::AttnNorm},
          {&lw.attnSubNorm, tensor_id::AttnSubNorm},
          {&lw.ffnNorm, tensor_id::FfnNorm},
          {&lw.ffnSubNorm, tensor_id::FfnSubNorm}};
      for (auto [n, which] : norms) {
        synth::floatRow(seed, tensor_id::of(l, which), 0, n->size,
                        want.data());
        EXPECT_EQ(std::memcmp(n->data, want.data(), n->size * 4), 0)
            << n->name;
      }
    }
    for (int64_t v : {int64_t(0), int64_t(17), c.vocabSize - 1}) {
      ASSERT_TRUE(denseRowToFloat(m->tokenEmbedding, v, got.data()));
      synth::floatRow(seed, tensor_id::kEmbedding, v, c.hiddenSize,
                      want.data());
      EXPECT_EQ(std::memcmp(got.data(), want.data(), c.hiddenSize * 4), 0)
          << "embedding row " << v;
    }
  }
}

/// --layer-scale multiplies every BitLinear scale, exactly in every
/// format, and nothing else; values that a format could not hold exactly
/// are refused with the path and the value.
TEST(Synth, LayerScaleMultipliesEveryBitLinearScale) {
  const ModelConfig c = tinyConfig();
  const uint64_t seed = 5;
  for (ModelFormat f : kFormats) {
    SCOPED_TRACE(modelFormatName(f));
    SynthOptions o;
    o.config = c;
    o.format = f;
    o.seed = seed;
    o.layerScale = kMinLayerScale;
    const std::string path = pathFor(f, "quiet");
    ASSERT_EQ(writeSyntheticModel(o, path), "");
    ModelOrError m = loadModel(path);
    ASSERT_TRUE(m.ok()) << m.error;
    auto base = synthAndLoad(f, "loud", seed);
    ASSERT_TRUE(base);
    for (int64_t l = 0; l < c.numLayers; ++l) {
      const LayerWeights &lw = m->layers[static_cast<size_t>(l)];
      const auto ternary = ternaryTensorsOf(lw);
      for (auto [t, which] : ternary)
        EXPECT_EQ(t->scale,
                  synth::ternaryScale(seed, tensor_id::of(l, which)) / 256)
            << t->name;
      const LayerWeights &bw = base->layers[static_cast<size_t>(l)];
      EXPECT_EQ(std::memcmp(lw.ffnSubNorm.data, bw.ffnSubNorm.data,
                            lw.ffnSubNorm.size * 4),
                0);
      std::vector<int8_t> row(static_cast<size_t>(lw.ffnDown.cols)),
          baseRow(row.size());
      ASSERT_TRUE(unpackTernaryRow(lw.ffnDown, 3, row.data()));
      ASSERT_TRUE(unpackTernaryRow(bw.ffnDown, 3, baseRow.data()));
      EXPECT_EQ(row, baseRow);
    }
    std::vector<float> got(static_cast<size_t>(c.hiddenSize)), want(got.size());
    ASSERT_TRUE(denseRowToFloat(m->tokenEmbedding, 17, got.data()));
    ASSERT_TRUE(denseRowToFloat(base->tokenEmbedding, 17, want.data()));
    EXPECT_EQ(got, want);
  }
  SynthOptions o;
  o.config = c;
  for (float bad : {0.3f, 2.0f, 1.0f / 512, 0.0f, -0.5f, NAN}) {
    o.layerScale = bad;
    EXPECT_TRUE(hasWords(writeSyntheticModel(o, tempDir() + "/ls.gguf"),
                         {"ls.gguf", "layer scale", "power of two"}))
        << bad;
  }
  EXPECT_EQ(checkLayerScale(0.5f), "");
  EXPECT_EQ(checkLayerScale(1.0f), "");
}

TEST(Synth, TernaryRowsAreHalfNonZeroAndThreadIndependent) {
  std::vector<int8_t> row(1024);
  synth::ternaryRow(9, 3, 4, 1024, row.data());
  int nonzero = 0, plus = 0;
  for (int8_t v : row) {
    ASSERT_TRUE(v >= -1 && v <= 1);
    nonzero += v != 0;
    plus += v > 0;
  }
  EXPECT_EQ(nonzero, 512);
  EXPECT_GT(plus, 200);
  EXPECT_LT(plus, 312);
  // Different rows, tensors and seeds differ.
  std::vector<int8_t> other(1024);
  synth::ternaryRow(9, 3, 5, 1024, other.data());
  EXPECT_NE(row, other);
  synth::ternaryRow(10, 3, 4, 1024, other.data());
  EXPECT_NE(row, other);
  // The file is the same whatever the thread count.
  SynthOptions o;
  o.config = tinyConfig();
  o.seed = 3;
  o.threads = 1;
  const std::string a = tempDir() + "/synth-t1.gguf",
                    b = tempDir() + "/synth-t3.gguf";
  ASSERT_EQ(writeSyntheticModel(o, a), "");
  o.threads = 3;
  ASSERT_EQ(writeSyntheticModel(o, b), "");
  auto fa = MappedFile::open(a), fb = MappedFile::open(b);
  ASSERT_TRUE(fa.ok() && fb.ok());
  ASSERT_EQ((*fa)->size(), (*fb)->size());
  EXPECT_EQ(std::memcmp((*fa)->data(), (*fb)->data(), (*fa)->size()), 0);
}

TEST(Synth, EveryFormatGivesIdenticalLogitsAndGreedyTokens) {
  const std::vector<TokenId> prompt = {1, 300, 7, 99, 255, 42};
  std::vector<float> firstLogits;
  std::vector<TokenId> firstTokens;
  for (ModelFormat f : kFormats) {
    SCOPED_TRACE(modelFormatName(f));
    auto model = synthAndLoad(f, "logits");
    ASSERT_TRUE(model);
    for (int threads : {1, 2}) {
      ReferenceOptions ro;
      ro.threads = threads;
      ro.contextSize = 32;
      auto r = ReferenceModel::create(model, ro);
      ASSERT_TRUE(r.ok()) << r.error;
      Sampler greedy(SamplerOptions{});
      GenerateRequest req;
      req.prompt = prompt;
      req.maxNewTokens = 12;
      std::vector<float> logits;
      req.logits = &logits;
      auto st = generate(**r, greedy, req);
      ASSERT_TRUE(st.ok()) << st.error;
      ASSERT_EQ(logits.size(), (prompt.size() + 11) * 320);
      if (firstLogits.empty()) {
        firstLogits = logits;
        firstTokens = st->tokens;
        continue;
      }
      EXPECT_EQ(st->tokens, firstTokens) << threads << " threads";
      EXPECT_EQ(std::memcmp(logits.data(), firstLogits.data(),
                            logits.size() * 4),
                0)
          << threads << " threads";
    }
  }
  // The model is not degenerate: greedy decoding does not just repeat one
  // token.
  std::set<TokenId> distinct(firstTokens.begin(), firstTokens.end());
  EXPECT_GT(distinct.size(), 1u);
}

TEST(Synth, TokenizerTravelsWithEveryFormat) {
  const Tokenizer tok = smallTokenizer();
  const std::vector<TokenId> want = tok.encode("hello world", true, false);
  for (ModelFormat f : {ModelFormat::GgufI2S, ModelFormat::HfPacked}) {
    SCOPED_TRACE(modelFormatName(f));
    auto m = synthAndLoad(f, "tok", 5, tok);
    ASSERT_TRUE(m);
    ASSERT_EQ(m->vocab.tokens.size(), 320u); // padded to vocab_size
    TokenizerOrError t = buildTokenizer(*m);
    ASSERT_TRUE(t.ok()) << t.error;
    EXPECT_EQ(t->encode("hello world", true, false), want);
    EXPECT_EQ(t->bosId(), tok.bosId());
    EXPECT_EQ(t->eotId(), tok.eotId());
    EXPECT_EQ(m->config.bosId, tok.bosId());
  }
}

TEST(Synth, GgufHasTheKeysLlamaCppAndBitnetCppRequire) {
  // llama.cpp's loader (and bitnet.cpp's fork of it) needs these keys with
  // these types; "cannot find tokenizer merges in model file" was the
  // error for files without tokenizer.ggml.merges.
  SynthOptions o;
  o.config = tinyConfig();
  o.tokenizer = smallTokenizer();
  const std::string path = pathFor(ModelFormat::GgufI2S, "interop");
  ASSERT_EQ(writeSyntheticModel(o, path), "");
  GgufFileOrError f = GgufFile::open(path);
  ASSERT_TRUE(f.ok()) << f.error;
  const std::string a = "bitnet-b1.58.";
  using T = GgufValueType;
  const std::pair<std::string, T> required[] = {
      {"general.architecture", T::String},
      {"general.name", T::String},
      {"general.file_type", T::Uint32},
      {a + "context_length", T::Uint32},
      {a + "embedding_length", T::Uint32},
      {a + "feed_forward_length", T::Uint32},
      {a + "block_count", T::Uint32},
      {a + "attention.head_count", T::Uint32},
      {a + "attention.head_count_kv", T::Uint32},
      {a + "rope.dimension_count", T::Uint32},
      {a + "rope.freq_base", T::Float32},
      {a + "attention.layer_norm_rms_epsilon", T::Float32},
      {"tokenizer.ggml.model", T::String},
      {"tokenizer.ggml.pre", T::String},
      {"tokenizer.ggml.tokens", T::Array},
      {"tokenizer.ggml.token_type", T::Array},
      {"tokenizer.ggml.merges", T::Array},
      {"tokenizer.ggml.bos_token_id", T::Uint32},
      {"tokenizer.ggml.eos_token_id", T::Uint32},
      {"tokenizer.ggml.eot_token_id", T::Uint32},
      {"tokenizer.ggml.add_bos_token", T::Bool},
      {"tokenizer.chat_template", T::String},
  };
  for (const auto &[key, type] : required) {
    const GgufKeyValue *kv = f->findKey(key);
    ASSERT_NE(kv, nullptr) << key;
    EXPECT_EQ(kv->value.type, type) << key;
    EXPECT_TRUE(isKnownGgufKey(key)) << key;
  }
  EXPECT_EQ(*f->getString("tokenizer.ggml.model"), "gpt2");
  EXPECT_EQ(*f->getString("tokenizer.ggml.pre"), "llama-bpe");
  OrError<std::vector<std::string>> merges =
      f->getStringArray("tokenizer.ggml.merges");
  ASSERT_TRUE(merges.ok()) << merges.error;
  // Each token of the vocabulary made of two lower tokens: "he" from "h e",
  // " world" from " w" + "orld", ...
  EXPECT_FALSE(merges->empty());
  EXPECT_NE(std::find(merges->begin(), merges->end(), "h e"), merges->end());
  EXPECT_NE(std::find(merges->begin(), merges->end(), "\xC4\xA0w orld"),
            merges->end());
  // The chat template writes what Tokenizer::chatPrompt encodes.
  EXPECT_NE(f->getString("tokenizer.chat_template")->find("Assistant: "),
            std::string::npos);
  // And Tern reads the file back, merges checked.
  EXPECT_TRUE(loadModel(path).ok());
}

TEST(Synth, RefusesShapesAFormatCannotHold) {
  ModelConfig c = tinyConfig();
  c.hiddenSize = 192; // 192 % 128 != 0 (I2_S), % 256 != 0 (TQ*)
  c.numHeads = 3;
  c.numKvHeads = 1;
  EXPECT_TRUE(hasWords(checkWritableConfig(c, ModelFormat::GgufI2S),
                       {"gguf-i2s", "attn_q", "128"}));
  EXPECT_TRUE(hasWords(checkWritableConfig(c, ModelFormat::GgufTQ1), {"256"}));
  EXPECT_EQ(checkWritableConfig(c, ModelFormat::HfPacked), "");
  c = tinyConfig();
  c.vocabSize = int64_t(1) << 40;
  EXPECT_TRUE(hasWords(checkWritableConfig(c, ModelFormat::HfBf16), {"absurd"}));
  c = tinyConfig();
  c.numKvHeads = 3;
  EXPECT_TRUE(
      hasWords(checkWritableConfig(c, ModelFormat::HfBf16), {"multiple"}));
  SynthOptions o;
  o.config = tinyConfig();
  o.config.hiddenSize = 100;
  EXPECT_TRUE(hasWords(writeSyntheticModel(o, tempDir() + "/bad.gguf"),
                       {"bad.gguf", "gguf-i2s"}));
  o.config = tinyConfig();
  EXPECT_TRUE(hasWords(writeSyntheticModel(o, "/nonexistent-dir/x.gguf"),
                       {"/nonexistent-dir/x.gguf"}));
  o.tokenizer = smallTokenizer();
  o.config.vocabSize = 100;
  EXPECT_TRUE(hasWords(writeSyntheticModel(o, tempDir() + "/v.gguf"),
                       {"tokenizer has 267 tokens", "vocab_size 100"}));
}
