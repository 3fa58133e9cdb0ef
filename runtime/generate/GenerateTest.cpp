//===- GenerateTest.cpp ---------------------------------------------------===//

#include "runtime/generate/Generate.h"

#include <gtest/gtest.h>

using namespace tern;

namespace {
/// A model whose next token is always (last token + 1) % vocab; logits of a
/// position are recorded so tests can see what was evaluated.
class CountingModel : public LanguageModel {
public:
  CountingModel(int64_t vocab, int64_t ctx) {
    config_.vocabSize = vocab;
    ctx_ = ctx;
  }
  const ModelConfig &config() const override { return config_; }
  int64_t position() const override { return pos_; }
  int64_t contextSize() const override { return ctx_; }
  void reset() override { pos_ = 0; }
  void truncate(int64_t n) override { pos_ = n; }
  std::string forward(const TokenId *t, int64_t n, float *logits,
                      bool all) override {
    if (pos_ + n > ctx_)
      return "context full";
    for (int64_t i = 0; i < n; ++i) {
      evaluated.push_back(t[i]);
      if (!all && i + 1 < n)
        continue;
      float *row = logits + (all ? i : 0) * config_.vocabSize;
      for (int64_t v = 0; v < config_.vocabSize; ++v)
        row[v] = v == (t[i] + 1) % config_.vocabSize ? 1.0f : 0.0f;
    }
    pos_ += n;
    return "";
  }
  std::vector<TokenId> evaluated;

private:
  ModelConfig config_;
  int64_t ctx_, pos_ = 0;
};
} // namespace

TEST(Generate, StopsAtTheLimitWithoutEvaluatingTheLastToken) {
  CountingModel m(10, 100);
  Sampler s(SamplerOptions{});
  GenerateRequest r;
  r.prompt = {1, 2};
  r.maxNewTokens = 4;
  std::vector<TokenId> streamed;
  r.onToken = [&](TokenId t) {
    streamed.push_back(t);
    return true;
  };
  auto st = generate(m, s, r);
  ASSERT_TRUE(st.ok()) << st.error;
  EXPECT_EQ(st->tokens, (std::vector<TokenId>{3, 4, 5, 6}));
  EXPECT_EQ(streamed, st->tokens);
  EXPECT_EQ(st->stopReason, "limit");
  EXPECT_EQ(st->decodeEvals, 3);
  EXPECT_EQ(m.evaluated, (std::vector<TokenId>{1, 2, 3, 4, 5}));
}

TEST(Generate, StopTokenEndsAndLogitsCoverEveryEvaluatedPosition) {
  CountingModel m(10, 100);
  Sampler s(SamplerOptions{});
  GenerateRequest r;
  r.prompt = {5, 6};
  r.maxNewTokens = 50;
  r.stopIds = {9};
  std::vector<float> logits;
  r.logits = &logits;
  auto st = generate(m, s, r);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->tokens, (std::vector<TokenId>{7, 8, 9}));
  EXPECT_EQ(st->stopReason, "stop token");
  // Evaluated: 5, 6 (prompt), 7, 8.
  ASSERT_EQ(logits.size(), 4u * 10);
  for (int row = 0; row < 4; ++row)
    EXPECT_EQ(logits[row * 10 + (6 + row) % 10], 1.0f) << row;
}

TEST(Generate, ContextFullStopsCleanly) {
  CountingModel m(10, 4);
  Sampler s(SamplerOptions{});
  GenerateRequest r;
  r.prompt = {0, 1};
  r.maxNewTokens = 10;
  auto st = generate(m, s, r);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->stopReason, "context full");
  EXPECT_EQ(st->tokens.size(), 3u); // positions 2, 3 evaluated, then full
  GenerateRequest tooLong;
  tooLong.prompt = {0, 1, 2, 3, 4};
  CountingModel small(10, 4);
  EXPECT_FALSE(generate(small, s, tooLong).ok());
  GenerateRequest empty;
  EXPECT_NE(generate(small, s, empty).error.find("empty"), std::string::npos);
}

TEST(Generate, ZeroNewTokensOnlyEvaluatesThePrompt) {
  CountingModel m(10, 100);
  Sampler s(SamplerOptions{});
  GenerateRequest r;
  r.prompt = {3};
  r.maxNewTokens = 0;
  auto st = generate(m, s, r);
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->tokens.empty());
  EXPECT_EQ(m.evaluated, (std::vector<TokenId>{3}));
}

TEST(CheckKvCache, NamesTheMemoryItWouldNeed) {
  ModelConfig c;
  c.numLayers = 30;
  c.numKvHeads = 5;
  c.headDim = 128;
  EXPECT_EQ(checkKvCache(c, 4096), ""); // 2B4T at 4096 tokens: 600 MiB
  // 2^34 tokens: 2 x 30 x 640 x 4 bytes each, 2.4 PiB.
  const std::string e = checkKvCache(c, int64_t(1) << 34);
  EXPECT_NE(e.find("a KV cache of 17179869184 tokens (30 layers x keys and "
                   "values of 640 floats per token) would need 2.34 PiB"),
            std::string::npos)
      << e;
  EXPECT_NE(checkKvCache(c, INT64_MAX).find("more than 2^63 bytes"),
            std::string::npos);
  EXPECT_NE(checkKvCache(c, 0).find("not positive"), std::string::npos);
}
