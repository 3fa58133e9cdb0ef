//===- ConvertTest.cpp - tern convert: every format, the same model -------===//
//
// A model converted to each format reloads to the same weights and gives
// the same logits; trained-model values (f32 embedding, arbitrary scales)
// survive where the format can hold them, and the notes say where not.
//
//===----------------------------------------------------------------------===//

#include "runtime/synth/Convert.h"
#include "runtime/synth/Synth.h"

#include "runtime/generate/Generate.h"
#include "runtime/model/TestModels.h"
#include "runtime/reference/ReferenceModel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

using namespace tern;
using testmodels::hasWords;
using testmodels::tempDir;

namespace {

ModelConfig smallConfig() {
  ModelConfig c;
  c.architecture = "bitnet-b1.58";
  c.hiddenSize = 256;
  c.intermediateSize = 512;
  c.numLayers = 2;
  c.numHeads = 4;
  c.numKvHeads = 2;
  c.headDim = 64;
  c.vocabSize = 300;
  c.maxPositions = 64;
  c.ropeTheta = 10000.0f;
  return c;
}

Tokenizer byteTokenizer() {
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b)
    tokens.push_back(std::string(1, static_cast<char>(b)));
  tokens.push_back("th");
  std::vector<bool> special(tokens.size(), false);
  for (const char *s : {"<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"}) {
    tokens.push_back(s);
    special.push_back(true);
  }
  TokenizerOrError t = Tokenizer::fromVocab(tokens, special, "test vocab");
  EXPECT_TRUE(t.ok()) << t.error;
  return *t.tokenizer;
}

/// A synthetic hf-packed model, loaded.
ModelDescription source(bool withTokenizer) {
  SynthOptions o;
  o.config = smallConfig();
  o.format = ModelFormat::HfPacked;
  o.seed = 3;
  o.threads = 2;
  if (withTokenizer)
    o.tokenizer = byteTokenizer();
  const std::string dir =
      tempDir() + "/convert-src" + (withTokenizer ? "-tok" : "");
  EXPECT_EQ(writeSyntheticModel(o, dir), "");
  ModelOrError m = loadModel(dir);
  EXPECT_TRUE(m.ok()) << m.error;
  return *m;
}

/// Gives `m` what training produces: an f32 embedding of arbitrary values
/// and scales that f16 cannot hold.
void makeTrainedLike(ModelDescription &m) {
  const DenseTensor &e = m.tokenEmbedding;
  std::vector<float> values(static_cast<size_t>(e.rows * e.cols));
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = std::sin(0.37f * static_cast<float>(i)) * 0.0371f;
  m.tokenEmbedding.type = DenseType::F32;
  m.tokenEmbedding.data = m.adoptFloats(std::move(values));
  float k = 1.0f;
  for (LayerWeights &l : m.layers)
    for (TernaryTensor *t : {&l.attnQ, &l.attnK, &l.attnV, &l.attnOutput,
                             &l.ffnGate, &l.ffnUp, &l.ffnDown})
      t->scale = 0.0123457f * (k += 0.01f);
}

std::vector<float> logitsOf(const ModelDescription &m) {
  auto shared = std::make_shared<const ModelDescription>(m);
  ReferenceOptions ro;
  ro.threads = 2;
  ro.contextSize = 16;
  auto r = ReferenceModel::create(shared, ro);
  EXPECT_TRUE(r.ok()) << r.error;
  if (!r)
    return {};
  Sampler greedy(SamplerOptions{});
  GenerateRequest req;
  req.prompt = {256, 10, 99, 200};
  req.maxNewTokens = 4;
  std::vector<float> logits;
  req.logits = &logits;
  auto st = generate(**r, greedy, req);
  EXPECT_TRUE(st.ok()) << st.error;
  return logits;
}

std::string outPath(ModelFormat f, const std::string &tag) {
  const std::string base =
      tempDir() + "/convert-" + tag + "-" + modelFormatName(f);
  return isGgufFormat(f) ? base + ".gguf" : base;
}

} // namespace

TEST(Convert, EveryFormatReloadsToTheSameWeightsAndLogits) {
  const ModelDescription src = source(/*withTokenizer=*/true);
  const std::vector<float> want = logitsOf(src);
  ASSERT_FALSE(want.empty());
  for (ModelFormat f : {ModelFormat::GgufI2S, ModelFormat::GgufTQ2,
                        ModelFormat::GgufTQ1, ModelFormat::HfPacked}) {
    SCOPED_TRACE(modelFormatName(f));
    ConvertOptions o;
    o.format = f;
    const std::string path = outPath(f, "same");
    ConvertResult r = convertModel(src, o, path);
    ASSERT_EQ(r.error, "");
    EXPECT_TRUE(r.notes.empty()) << r.notes[0];
    ModelOrError back = loadModel(path);
    ASSERT_TRUE(back.ok()) << back.error;
    EXPECT_EQ(compareModelWeights(src, *back), "");
    EXPECT_EQ(back->vocab.tokens, src.vocab.tokens);
    EXPECT_EQ(back->config.bosId, src.config.bosId);
    EXPECT_EQ(back->config.eotId, src.config.eotId);
    const std::vector<float> got = logitsOf(*back);
    ASSERT_EQ(got.size(), want.size());
    EXPECT_EQ(std::memcmp(got.data(), want.data(), got.size() * 4), 0);
  }
}

TEST(Convert, TrainedValuesSurviveOrAreReported) {
  ModelDescription src = source(/*withTokenizer=*/false);
  makeTrainedLike(src);
  for (ModelFormat f : {ModelFormat::GgufI2S, ModelFormat::HfPacked}) {
    SCOPED_TRACE(modelFormatName(f));
    ConvertOptions o;
    o.format = f;
    o.tokenizer = byteTokenizer();
    const std::string path = outPath(f, "trained");
    ConvertResult r = convertModel(src, o, path);
    ASSERT_EQ(r.error, "");
    EXPECT_TRUE(r.notes.empty());
    ModelOrError back = loadModel(path);
    ASSERT_TRUE(back.ok()) << back.error;
    EXPECT_EQ(back->tokenEmbedding.type, DenseType::F32);
    EXPECT_EQ(compareModelWeights(src, *back), "");
    EXPECT_EQ(back->vocab.tokens.size(), 300u); // 260 tokens, padded
    EXPECT_EQ(back->config.eotId, 259);
  }
  // TQ2_0 keeps f16 block scales: converted with a note, within f16.
  ConvertOptions o;
  o.format = ModelFormat::GgufTQ2;
  ConvertResult r = convertModel(src, o, outPath(o.format, "trained"));
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.notes.size(), 2u);
  EXPECT_TRUE(hasWords(r.notes[0], {"no vocabulary", "--tokenizer"}))
      << r.notes[0];
  EXPECT_TRUE(hasWords(r.notes[1], {"f16", "14 of 14"})) << r.notes[1];
}

TEST(Convert, DifferencesAndImpossibleTargetsAreNamed) {
  const ModelDescription src = source(/*withTokenizer=*/false);
  ModelDescription other = src;
  other.layers[1].ffnUp.scale *= 1.5f;
  EXPECT_TRUE(hasWords(compareModelWeights(src, other),
                       {other.layers[1].ffnUp.name, "scale"}));
  other = src;
  other.layers[0].attnK = other.layers[0].attnV; // same shape, other codes
  other.layers[0].attnK.scale = src.layers[0].attnK.scale;
  EXPECT_TRUE(hasWords(compareModelWeights(src, other), {"row", "differs"}));

  ConvertOptions o;
  o.format = ModelFormat::HfBf16;
  EXPECT_TRUE(hasWords(convertModel(src, o, outPath(o.format, "x")).error,
                       {"hf-bf16", "master weights"}));
  // I2_S needs input sizes that are multiples of 128.
  ModelDescription narrow = src;
  narrow.config.intermediateSize = 200;
  o.format = ModelFormat::GgufI2S;
  EXPECT_TRUE(hasWords(convertModel(narrow, o, outPath(o.format, "x")).error,
                       {"128"}));
}
