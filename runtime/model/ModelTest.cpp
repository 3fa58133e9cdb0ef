//===- ModelTest.cpp - Loading BitNet GGUF files into ModelDescription ----===//

#include "runtime/model/Model.h"
#include "runtime/model/Half.h"
#include "runtime/model/TestModels.h"
#include "runtime/support/Text.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

using namespace tern;
using namespace tern::testmodels;

namespace {

ModelOrError loadBytes(std::vector<uint8_t> bytes,
                       const std::string &name = "tiny.gguf") {
  GgufFileOrError g =
      GgufFile::parse(MappedFile::fromBuffer(std::move(bytes), name));
  if (!g)
    return ModelOrError::failure(g.error);
  return loadGgufModel(*g);
}

ModelOrError loadTiny(const TinyModel &m) {
  return loadBytes(writerFor(m).serialize());
}

std::string loadError(const TinyModel &m) {
  ModelOrError r = loadTiny(m);
  EXPECT_FALSE(r.ok());
  return r.error;
}

std::vector<int8_t> unpackAll(const TernaryTensor &t) {
  std::vector<int8_t> out(static_cast<size_t>(t.rows * t.cols));
  EXPECT_TRUE(unpackTernary(t, out.data())) << t.name;
  return out;
}

const TernaryTensor *ternaryByName(const ModelDescription &d,
                                   const std::string &name) {
  for (const LayerWeights &l : d.layers)
    for (const TernaryTensor *t : bitLinearWeights(l))
      if (t->name == name)
        return t;
  return nullptr;
}

/// Checks `d` against the values `m` was built from.
void expectMatches(const ModelDescription &d, const TinyModel &m) {
  const ModelConfig &c = d.config;
  EXPECT_EQ(c.architecture, "bitnet-b1.58");
  EXPECT_EQ(c.hiddenSize, 256);
  EXPECT_EQ(c.intermediateSize, 512);
  EXPECT_EQ(c.numLayers, 2);
  EXPECT_EQ(c.numHeads, 4);
  EXPECT_EQ(c.numKvHeads, 2);
  EXPECT_EQ(c.headDim, 64);
  EXPECT_EQ(c.vocabSize, 300);
  EXPECT_EQ(c.maxPositions, 128);
  EXPECT_EQ(c.ropeTheta, 500000.0f);
  EXPECT_EQ(c.rmsNormEps, 1e-5f);
  EXPECT_EQ(c.bosId, 297);
  EXPECT_EQ(c.eosId, 298);
  EXPECT_EQ(c.eotId, 299); // Found by name: the file has no eot key.
  EXPECT_TRUE(c.tiedEmbeddings);
  EXPECT_FALSE(d.output.has_value());
  ASSERT_EQ(d.layers.size(), 2u);

  int ternaryCount = 0;
  for (const auto &[name, values] : m.ternary) {
    const TernaryTensor *t = ternaryByName(d, name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->encoding, m.encoding);
    EXPECT_EQ(unpackAll(*t), values) << name;
    EXPECT_EQ(t->scale, m.scales.at(name)) << name;
    ++ternaryCount;
  }
  EXPECT_EQ(ternaryCount, 14);
  const LayerWeights &l1 = d.layers[1];
  EXPECT_EQ(l1.attnK.rows, 128);
  EXPECT_EQ(l1.attnK.cols, 256);
  EXPECT_EQ(l1.ffnDown.rows, 256);
  EXPECT_EQ(l1.ffnDown.cols, 512);

  auto expectNorm = [&](const FloatTensor &f) {
    const std::vector<float> &want = m.norms.at(f.name);
    ASSERT_EQ(f.size, static_cast<int64_t>(want.size())) << f.name;
    EXPECT_TRUE(std::equal(want.begin(), want.end(), f.data)) << f.name;
  };
  for (const LayerWeights &l : d.layers) {
    expectNorm(l.attnNorm);
    expectNorm(l.attnSubNorm);
    expectNorm(l.ffnNorm);
    expectNorm(l.ffnSubNorm);
  }
  expectNorm(d.outputNorm);

  EXPECT_EQ(d.tokenEmbedding.type, DenseType::F16);
  EXPECT_EQ(d.tokenEmbedding.rows, 300);
  EXPECT_EQ(d.tokenEmbedding.cols, 256);
  std::vector<float> row(256);
  for (int64_t r : {0, 1, 150, 299}) {
    ASSERT_TRUE(denseRowToFloat(d.tokenEmbedding, r, row.data()));
    EXPECT_TRUE(
        std::equal(row.begin(), row.end(), m.embedding.begin() + r * 256))
        << "row " << r;
  }
  EXPECT_FALSE(denseRowToFloat(d.tokenEmbedding, 300, row.data()));

  EXPECT_EQ(d.vocab.tokens, m.tokens);
  EXPECT_EQ(d.vocab.model, "gpt2");
  EXPECT_TRUE(d.vocab.isSpecial[299]);
  EXPECT_FALSE(d.vocab.isSpecial[100]);
}

} // namespace

TEST(ModelTest, LoadsEveryEncodingToTheSameModel) {
  for (TernaryEncoding enc : {TernaryEncoding::I2_S, TernaryEncoding::TQ2_0,
                              TernaryEncoding::TQ1_0}) {
    SCOPED_TRACE(ternaryEncodingName(enc));
    const TinyModel m = makeTinyModel(enc, /*seed=*/1);
    ModelOrError r = loadTiny(m);
    ASSERT_TRUE(r.ok()) << r.error;
    expectMatches(*r, m);
    EXPECT_EQ(r->sourceFormat, "gguf");
  }
  // Same seed, same values: the three files describe one model.
  const TinyModel a = makeTinyModel(TernaryEncoding::I2_S, 1);
  const TinyModel b = makeTinyModel(TernaryEncoding::TQ1_0, 1);
  EXPECT_EQ(a.ternary, b.ternary);
  EXPECT_EQ(a.scales, b.scales);
}

TEST(ModelTest, LoadModelFromFileMapsWithoutCopying) {
  const TinyModel m = makeTinyModel(TernaryEncoding::TQ2_0, 3);
  const std::string path = tempDir() + "/tiny-tq2.gguf";
  ASSERT_EQ(writerFor(m).writeFile(path), "");
  ModelOrError r = loadModel(path);
  ASSERT_TRUE(r.ok()) << r.error;
  expectMatches(*r, m);
  EXPECT_EQ(r->sourcePath, path);
  // Views point into the mapping: the embedding and ternary weights are not
  // copied.
  auto mapping = std::static_pointer_cast<const MappedFile>(r->storage[0]);
  const uint8_t *lo = mapping->data(), *hi = lo + mapping->size();
  auto inside = [&](const void *p) {
    return static_cast<const uint8_t *>(p) >= lo &&
           static_cast<const uint8_t *>(p) < hi;
  };
  EXPECT_TRUE(inside(r->tokenEmbedding.data));
  EXPECT_TRUE(inside(r->layers[0].attnQ.data));
  EXPECT_TRUE(inside(r->layers[0].attnNorm.data));     // F32: a view.
  EXPECT_FALSE(inside(r->layers[0].attnSubNorm.data)); // F16: converted.

  // A copy stays valid after the original (and the file) are gone.
  ModelDescription copy = *r;
  r = ModelOrError::failure("dropped");
  std::remove(path.c_str());
  expectMatches(copy, m);
}

TEST(ModelTest, BuildsTokenizer) {
  const TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  ModelOrError r = loadTiny(m);
  ASSERT_TRUE(r.ok()) << r.error;
  TokenizerOrError tok = buildTokenizer(*r);
  ASSERT_TRUE(tok.ok()) << tok.error;
  EXPECT_EQ(tok->vocabSize(), 300);
  EXPECT_EQ(tok->bosId(), 297);
  EXPECT_EQ(tok->eotId(), 299);
  // "ab" is token 257 (the second two-letter token).
  EXPECT_EQ(tok->encode("ab"), (std::vector<TokenId>{257}));
  EXPECT_EQ(tok->decode(tok->encode("hello world")), "hello world");
  std::vector<TokenId> prompt = tok->chatPrompt("hi");
  EXPECT_EQ(prompt.front(), 297);
}

TEST(ModelTest, OptionalKeysAndUntiedHead) {
  TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  m.omitKeys = {"bitnet-b1.58.rope.freq_base",
                "bitnet-b1.58.attention.layer_norm_rms_epsilon",
                "bitnet-b1.58.attention.head_count_kv",
                "tokenizer.ggml.token_type"};
  // Without head_count_kv, K/V are full width.
  for (TensorSpec &t : m.tensors)
    if (t.name.find("attn_k") != std::string::npos ||
        t.name.find("attn_v") != std::string::npos) {
      std::vector<int8_t> v(256 * 256, 1);
      t.dims = {256, 256};
      t.bytes.assign(256 * 256 / 4 + 32, 0);
      packI2S(v.data(), 256, 256, 1.0f, t.bytes.data());
    }
  // An untied output matrix in BF16, and an extra scale tensor.
  std::vector<uint8_t> head(300 * 256 * 2, 0);
  m.tensors.push_back({"output.weight",
                       {256, 300},
                       static_cast<uint32_t>(GgmlType::BF16),
                       head});
  std::vector<uint8_t> two(4);
  const float f2 = 2.0f;
  std::memcpy(two.data(), &f2, 4);
  m.tensors.push_back(
      {"blk.1.ffn_up.scale", {1}, static_cast<uint32_t>(GgmlType::F32), two});
  ModelOrError r = loadTiny(m);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r->config.numKvHeads, 4);
  EXPECT_EQ(r->config.ropeTheta, 10000.0f);
  EXPECT_EQ(r->config.rmsNormEps, 1e-5f);
  EXPECT_FALSE(r->config.tiedEmbeddings);
  ASSERT_TRUE(r->output.has_value());
  EXPECT_EQ(r->output->type, DenseType::BF16);
  EXPECT_EQ(r->layers[1].ffnUp.scale,
            2.0f * m.scales.at("blk.1.ffn_up.weight"));
  EXPECT_EQ(r->layers[0].ffnUp.scale, m.scales.at("blk.0.ffn_up.weight"));
  EXPECT_FALSE(r->vocab.isSpecial[299]); // No token types in the file.
}

TEST(ModelTest, ReadConfigOnly) {
  const TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  GgufFileOrError g =
      GgufFile::parse(MappedFile::fromBuffer(writerFor(m).serialize(), "t"));
  ASSERT_TRUE(g.ok()) << g.error;
  OrError<ModelConfig> c = readGgufConfig(*g);
  ASSERT_TRUE(c.ok()) << c.error;
  EXPECT_EQ(c->vocabSize, 300);
  EXPECT_EQ(c->headDim, 64);
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

TEST(ModelErrorTest, UnsupportedFormats) {
  // Directories and .safetensors files are Hugging Face checkpoints (see
  // HfModelTest.cpp); without a config.json they are not.
  ModelOrError r = loadModel(tempDir());
  EXPECT_TRUE(hasWords(r.error, {"directory", "config.json not found"}));
  r = loadModel("/nonexistent-dir/model.gguf");
  EXPECT_TRUE(hasWords(r.error, {"/nonexistent-dir/model.gguf", "not found"}));

  const std::string st = tempDir() + "/model.safetensors";
  { std::ofstream(st, std::ios::binary) << "\x10\0\0\0\0\0\0\0{}"; }
  r = loadModel(st);
  EXPECT_TRUE(hasWords(r.error, {st.c_str(), "config.json not found"}));
  std::remove(st.c_str());

  const std::string junk = tempDir() + "/junk.bin";
  { std::ofstream(junk, std::ios::binary) << "PK\x03\x04 zip"; }
  r = loadModel(junk);
  EXPECT_TRUE(hasWords(r.error, {junk.c_str(), "not a GGUF file", "50 4B 03 04",
                                 "unsupported model format"}));
  std::remove(junk.c_str());

  const std::string empty = tempDir() + "/empty.gguf";
  { std::ofstream(empty, std::ios::binary); }
  r = loadModel(empty);
  EXPECT_TRUE(hasWords(r.error, {empty.c_str(), "not a GGUF file", "empty"}));
  std::remove(empty.c_str());
}

TEST(ModelErrorTest, FlippedMagicOnDisk) {
  const TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  std::vector<uint8_t> b = writerFor(m).serialize();
  b[0] = 'g';
  const std::string path = tempDir() + "/flipped.gguf";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char *>(b.data()),
              static_cast<std::streamsize>(b.size()));
  }
  ModelOrError r = loadModel(path);
  EXPECT_TRUE(
      hasWords(r.error, {path.c_str(), "not a GGUF file", "67 47 55 46"}));
  GgufFileOrError g = GgufFile::open(path);
  EXPECT_TRUE(hasWords(g.error, {path.c_str(), "bad magic"}));
  std::remove(path.c_str());
}

TEST(ModelErrorTest, TruncatedFileAtManyOffsets) {
  const TinyModel m = makeTinyModel(TernaryEncoding::TQ1_0);
  const std::vector<uint8_t> full = writerFor(m).serialize();
  GgufFileOrError g =
      GgufFile::parse(MappedFile::fromBuffer(full, "full.gguf"));
  ASSERT_TRUE(g.ok()) << g.error;
  // Every byte through the header and a little into the data, then strided
  // through the data, plus one byte short of every tensor's end.
  uint64_t end = 0;
  std::vector<uint64_t> cuts;
  for (const GgufTensorInfo &t : g->tensors()) {
    end = std::max(end, t.fileOffset + *t.byteSize);
    cuts.push_back(t.fileOffset + *t.byteSize - 1);
  }
  for (uint64_t c = 0; c < g->dataOffset() + 64; ++c)
    cuts.push_back(c);
  for (uint64_t c = g->dataOffset() + 64; c < end; c += 997)
    cuts.push_back(c);
  for (uint64_t cut : cuts) {
    ModelOrError r = loadBytes(
        std::vector<uint8_t>(full.begin(), full.begin() + cut), "cut.gguf");
    ASSERT_FALSE(r.ok()) << "cut at " << cut;
    ASSERT_TRUE(hasWords(r.error, {"cut.gguf"})) << "cut at " << cut;
  }
  // And through the file system (mmap path), at a few offsets.
  const std::string path = tempDir() + "/cut.gguf";
  for (uint64_t cut :
       {uint64_t(3), uint64_t(30), g->dataOffset() - 1, end - 1}) {
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char *>(full.data()),
                static_cast<std::streamsize>(cut));
    }
    ModelOrError r = loadModel(path);
    EXPECT_FALSE(r.ok()) << cut;
    EXPECT_TRUE(hasWords(r.error, {path.c_str()}));
  }
  std::remove(path.c_str());
}

TEST(ModelErrorTest, WrongArchitecture) {
  TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  m.architecture = "llama";
  EXPECT_TRUE(hasWords(loadError(m), {"tiny.gguf", "'llama'", "not a BitNet"}));
  // The other accepted spellings load.
  for (const char *arch : {"bitnet", "bitnet-25"}) {
    m.architecture = arch;
    ModelOrError r = loadTiny(m);
    EXPECT_TRUE(r.ok()) << r.error;
  }
}

TEST(ModelErrorTest, ANulInsideANameIsShownNotCut) {
  TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  m.architecture = std::string("bitnet-b1.58\0", 13);
  const std::string e = loadError(m);
  // The message carries the NUL; printing it escapes it (printError).
  EXPECT_TRUE(hasWords(escapeForMessage(e),
                       {"general.architecture is 'bitnet-b1.58\\x00'",
                        "not a BitNet b1.58 model"}))
      << escapeForMessage(e);
}

TEST(ModelErrorTest, MissingKeys) {
  TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  m.omitKeys = {"bitnet-b1.58.block_count"};
  EXPECT_TRUE(hasWords(loadError(m),
                       {"tiny.gguf", "'bitnet-b1.58.block_count'", "missing"}));
  m.omitKeys = {"general.architecture"};
  EXPECT_TRUE(hasWords(loadError(m), {"general.architecture", "missing"}));
}

TEST(ModelErrorTest, BadConfigValues) {
  TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  m.heads = 3; // 256 % 3 != 0
  EXPECT_TRUE(hasWords(
      loadError(m), {"embedding_length 256", "not divisible", "head_count 3"}));
  m = makeTinyModel(TernaryEncoding::I2_S);
  m.kvHeads = 3;
  EXPECT_TRUE(hasWords(loadError(m), {"head_count 4", "head_count_kv 3"}));
  m = makeTinyModel(TernaryEncoding::I2_S);
  m.context = 0;
  EXPECT_TRUE(hasWords(loadError(m), {"context_length", "is 0"}));
}

TEST(ModelErrorTest, HugeDimensionsAreRefusedNotMultiplied) {
  // head_count 0xFFFFFFFF with key_length 0xFFFFFFFE made heads x head_dim
  // wrap ("expected [256, -12884901886]").
  TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  m.omitKeys = {"bitnet-b1.58.attention.head_count",
                "bitnet-b1.58.attention.head_count_kv",
                "bitnet-b1.58.attention.key_length"};
  GgufWriter w = writerFor(m);
  w.addUint32("bitnet-b1.58.attention.head_count", 0xFFFFFFFFu);
  w.addUint32("bitnet-b1.58.attention.head_count_kv", 0xFFFFFFFFu);
  w.addUint32("bitnet-b1.58.attention.key_length", 0xFFFFFFFEu);
  ModelOrError r = loadBytes(w.serialize());
  EXPECT_TRUE(hasWords(r.error, {"the attention head count is 4294967295",
                                 "outside 1..16384"}))
      << r.error;

  // Each within its own limit, the product is not.
  m.omitKeys = {"bitnet-b1.58.attention.head_count",
                "bitnet-b1.58.attention.head_count_kv",
                "bitnet-b1.58.attention.key_length"};
  GgufWriter w2 = writerFor(m);
  w2.addUint32("bitnet-b1.58.attention.head_count", 16384);
  w2.addUint32("bitnet-b1.58.attention.head_count_kv", 16384);
  w2.addUint32("bitnet-b1.58.attention.key_length", 1 << 16);
  r = loadBytes(w2.serialize());
  EXPECT_TRUE(hasWords(r.error, {"16384 heads of 65536",
                                 "projection of 1073741824 rows"}))
      << r.error;

  for (auto [key, value, words] :
       std::vector<std::tuple<std::string, uint32_t, std::string>>{
           {"bitnet-b1.58.block_count", 1u << 20, "the layer count is 1048576"},
           {"bitnet-b1.58.context_length", 0xFFFFFFFFu,
            "the context length is 4294967295"},
           {"bitnet-b1.58.feed_forward_length", 0x80000000u,
            "the feed-forward size is 2147483648"}}) {
    TinyModel t = makeTinyModel(TernaryEncoding::I2_S);
    t.omitKeys = {key};
    GgufWriter tw = writerFor(t);
    tw.addUint32(key, value);
    ModelOrError e = loadBytes(tw.serialize());
    EXPECT_TRUE(hasWords(e.error, {words})) << e.error;
  }
}

TEST(ModelErrorTest, GgufMergesAreChecked) {
  // The tiny vocabulary: 256 bytes, then "aa" (256), "ab" (257), ...
  TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  auto withMerges = [&](std::vector<std::string> merges) {
    GgufWriter w = writerFor(m);
    w.addStringArray("tokenizer.ggml.merges", merges);
    return loadBytes(w.serialize());
  };
  EXPECT_TRUE(withMerges({"a a", "a b"}).ok());
  EXPECT_TRUE(hasWords(withMerges({"a b", "a a"}).error,
                       {"tokenizer.ggml.merges[1]", "makes id 256",
                        "after a merge that made id 257"}));
  EXPECT_TRUE(hasWords(withMerges({"a zz"}).error,
                       {"tokenizer.ggml.merges[0]", "'zz'", "not a token"}));
  EXPECT_TRUE(hasWords(withMerges({"ab"}).error,
                       {"tokenizer.ggml.merges[0] is 'ab'", "one space"}));
}

TEST(ModelErrorTest, TokenIdOutOfRange) {
  TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  m.omitKeys = {"tokenizer.ggml.bos_token_id"};
  GgufWriter w = writerFor(m);
  w.addUint32("tokenizer.ggml.bos_token_id", 300);
  ModelOrError r = loadBytes(w.serialize());
  EXPECT_TRUE(hasWords(r.error, {"tokenizer.ggml.bos_token_id", "300",
                                 "outside the vocabulary"}));
}

TEST(ModelErrorTest, TokenTypeLengthMismatch) {
  TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  m.tokenTypes.pop_back();
  EXPECT_TRUE(hasWords(loadError(m), {"token_type", "299", "300"}));
}

TEST(ModelErrorTest, MissingTensor) {
  TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  m.tensors.erase(m.tensors.begin() +
                  static_cast<long>(findSpec(m, "blk.1.ffn_down.weight") -
                                    m.tensors.data()));
  EXPECT_TRUE(hasWords(
      loadError(m), {"tiny.gguf", "missing tensor 'blk.1.ffn_down.weight'"}));
  m = makeTinyModel(TernaryEncoding::I2_S);
  m.tensors.erase(m.tensors.begin()); // token_embd
  EXPECT_TRUE(hasWords(loadError(m), {"missing tensor 'token_embd.weight'"}));
}

TEST(ModelErrorTest, ShapeMismatch) {
  TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  TensorSpec *q = findSpec(m, "blk.0.attn_q.weight");
  q->dims = {256, 128}; // Half the rows (bytes are more than enough).
  EXPECT_TRUE(
      hasWords(loadError(m), {"'blk.0.attn_q.weight'", "shape [256, 128]",
                              "expected [256, 256]"}));
  m = makeTinyModel(TernaryEncoding::I2_S);
  findSpec(m, "blk.1.ffn_sub_norm.weight")->dims = {256};
  EXPECT_TRUE(hasWords(loadError(m), {"'blk.1.ffn_sub_norm.weight'",
                                      "shape [256]", "expected [512]"}));
  m = makeTinyModel(TernaryEncoding::I2_S);
  findSpec(m, "token_embd.weight")->dims = {256, 299};
  EXPECT_TRUE(hasWords(loadError(m), {"'token_embd.weight'", "[256, 299]",
                                      "expected [256, 300]"}));
}

TEST(ModelErrorTest, DuplicateTensor) {
  TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  m.tensors.push_back(*findSpec(m, "blk.0.attn_k.weight"));
  EXPECT_TRUE(
      hasWords(loadError(m), {"duplicate tensor name 'blk.0.attn_k.weight'"}));
}

TEST(ModelErrorTest, UnsupportedTensorTypes) {
  TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  findSpec(m, "blk.0.attn_v.weight")->type =
      static_cast<uint32_t>(GgmlType::TL2);
  std::string e = loadError(m);
  EXPECT_TRUE(hasWords(e, {"'blk.0.attn_v.weight'", "39", "TL2", "MXFP4",
                           "general.architecture", "general.file_type",
                           "'bitnet-b1.58'", "file_type 40", "I2_S"}))
      << e;
  findSpec(m, "blk.0.attn_v.weight")->type =
      static_cast<uint32_t>(GgmlType::TL1);
  EXPECT_TRUE(hasWords(loadError(m), {"38", "TL1", "general.file_type"}));

  m = makeTinyModel(TernaryEncoding::I2_S);
  findSpec(m, "blk.0.ffn_up.weight")->type =
      static_cast<uint32_t>(GgmlType::Q6_K);
  EXPECT_TRUE(hasWords(loadError(m), {"'blk.0.ffn_up.weight'",
                                      "unsupported type Q6_K", "I2_S, TQ1_0"}));
  m = makeTinyModel(TernaryEncoding::I2_S);
  findSpec(m, "token_embd.weight")->type =
      static_cast<uint32_t>(GgmlType::Q8_0);
  EXPECT_TRUE(hasWords(
      loadError(m), {"'token_embd.weight'", "unsupported type Q8_0", "F16"}));
}

TEST(ModelErrorTest, DisagreeingTQBlockScales) {
  TinyModel m = makeTinyModel(TernaryEncoding::TQ2_0);
  TensorSpec *t = findSpec(m, "blk.1.ffn_gate.weight");
  const uint16_t other = floatToFp16(3.0f);
  std::memcpy(t->bytes.data() + 5 * 66 + 64, &other, 2);
  EXPECT_TRUE(hasWords(loadError(m), {"'blk.1.ffn_gate.weight'", "TQ2_0",
                                      "block 5", "one scale per tensor"}));
}

TEST(ModelErrorTest, NonFiniteI2SScale) {
  TinyModel m = makeTinyModel(TernaryEncoding::I2_S);
  TensorSpec *t = findSpec(m, "blk.0.attn_output.weight");
  const float nan = std::nanf("");
  std::memcpy(t->bytes.data() + 256 * 256 / 4, &nan, 4);
  EXPECT_TRUE(hasWords(loadError(m),
                       {"'blk.0.attn_output.weight'", "I2_S", "not finite"}));
}

TEST(ModelErrorTest, MalformedFilesNeverCrash) {
  // Corrupt random header bytes of a whole model; every outcome must be a
  // clean success or a clean error.
  const TinyModel m = makeTinyModel(TernaryEncoding::TQ2_0);
  const std::vector<uint8_t> full = writerFor(m).serialize();
  GgufFileOrError g = GgufFile::parse(MappedFile::fromBuffer(full, "x"));
  ASSERT_TRUE(g.ok());
  const uint64_t header = g->dataOffset();
  uint32_t s = 99;
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<uint8_t> b = full;
    for (int k = 0; k < 2; ++k) {
      s ^= s << 13, s ^= s >> 17, s ^= s << 5;
      b[s % header] = static_cast<uint8_t>(s >> 24);
    }
    ModelOrError r = loadBytes(std::move(b));
    if (!r.ok()) {
      EXPECT_FALSE(r.error.empty());
    }
  }
}
