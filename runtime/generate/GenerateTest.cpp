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

namespace {
/// A model whose logits after a token depend on the two tokens before it
/// (a finite state, so greedy text falls into cycles that prompt lookup
/// drafts); it keeps the cached tokens so that truncate() matters.
class PairModel : public LanguageModel {
public:
  explicit PairModel(int64_t vocab, int64_t ctx = 4096) : ctx_(ctx) {
    config_.vocabSize = vocab;
  }
  const ModelConfig &config() const override { return config_; }
  int64_t position() const override {
    return static_cast<int64_t>(cached_.size());
  }
  int64_t contextSize() const override { return ctx_; }
  void reset() override { cached_.clear(); }
  void truncate(int64_t n) override {
    if (n < position())
      cached_.resize(static_cast<size_t>(n));
  }
  std::string forward(const TokenId *t, int64_t n, float *logits,
                      bool all) override {
    if (position() + n > ctx_)
      return "context full";
    passes.push_back(n);
    for (int64_t i = 0; i < n; ++i) {
      cached_.push_back(t[i]);
      if (!all && i + 1 < n)
        continue;
      const uint32_t a = static_cast<uint32_t>(t[i]);
      const uint32_t b = cached_.size() > 1
                             ? static_cast<uint32_t>(cached_[cached_.size() - 2])
                             : 7u;
      float *row = logits + (all ? i : 0) * config_.vocabSize;
      for (int64_t v = 0; v < config_.vocabSize; ++v)
        row[v] = static_cast<float>(
            ((a * 2654435761u) ^ (b * 40503u) ^ (static_cast<uint32_t>(v) *
                                                 2246822519u)) %
            1000003u);
    }
    return "";
  }
  std::vector<int64_t> passes; ///< tokens per forward()

private:
  ModelConfig config_;
  int64_t ctx_;
  std::vector<TokenId> cached_;
};

struct PairRun {
  GenerateStats stats;
  std::vector<float> logits;
  int64_t position;
};

PairRun runPairModel(int64_t draftMax, int64_t maxNew, std::vector<TokenId> stops = {},
            int64_t ctx = 4096) {
  PairModel m(12, ctx);
  Sampler s(SamplerOptions{});
  GenerateRequest r;
  r.prompt = {1, 2, 3};
  r.maxNewTokens = maxNew;
  r.stopIds = std::move(stops);
  r.draftMax = draftMax;
  r.draftEveryChance = true; // what is drafted does not depend on timing
  PairRun out;
  r.logits = &out.logits;
  OrError<GenerateStats> st = generate(m, s, r);
  EXPECT_TRUE(st.ok()) << st.error;
  out.stats = *st;
  out.position = m.position();
  return out;
}
} // namespace

TEST(Generate, PromptLookupGivesTheTokensAndLogitsOfPlainDecoding) {
  const PairRun plain = runPairModel(0, 300);
  EXPECT_EQ(plain.stats.draftPasses, 0);
  for (int64_t draft : {1, 3, 7, 15}) {
    const PairRun look = runPairModel(draft, 300);
    EXPECT_EQ(look.stats.tokens, plain.stats.tokens) << draft;
    EXPECT_EQ(look.logits, plain.logits) << draft;
    EXPECT_EQ(look.position, plain.position) << draft;
    EXPECT_EQ(look.stats.decodeEvals, plain.stats.decodeEvals) << draft;
    // The text cycles: drafts are made and most are taken.
    EXPECT_GT(look.stats.draftPasses, 0) << draft;
    EXPECT_GT(look.stats.acceptedDraft * 2, look.stats.draftedTokens)
        << draft;
  }
}

TEST(Generate, PromptLookupStopsWhereverPlainDecodingStops) {
  // Every limit, a stop token inside a verified draft, and a context that
  // fills up: the same tokens and the cache ends at the same position.
  for (int64_t limit = 1; limit <= 60; ++limit) {
    const PairRun plain = runPairModel(0, limit), look = runPairModel(7, limit);
    ASSERT_EQ(look.stats.tokens, plain.stats.tokens) << limit;
    ASSERT_EQ(look.position, plain.position) << limit;
    ASSERT_EQ(look.stats.stopReason, plain.stats.stopReason) << limit;
  }
  const PairRun plain = runPairModel(0, 300);
  const TokenId stop = plain.stats.tokens[40];
  const PairRun a = runPairModel(0, 300, {stop}), b = runPairModel(7, 300, {stop});
  EXPECT_EQ(b.stats.tokens, a.stats.tokens);
  EXPECT_EQ(b.position, a.position);
  EXPECT_EQ(b.stats.stopReason, "stop token");
  for (int64_t ctx : {20, 33, 47}) {
    const PairRun p = runPairModel(0, 300, {}, ctx), l = runPairModel(7, 300, {}, ctx);
    EXPECT_EQ(l.stats.tokens, p.stats.tokens) << ctx;
    EXPECT_EQ(l.stats.stopReason, "context full") << ctx;
    EXPECT_EQ(l.position, p.position) << ctx;
  }
}

TEST(Generate, PromptLookupIsOffWhenSampling) {
  PairModel m(12);
  SamplerOptions so;
  so.temperature = 0.8f;
  so.seed = 3;
  Sampler s(so);
  GenerateRequest r;
  r.prompt = {1, 2, 3};
  r.maxNewTokens = 100;
  r.draftMax = 7;
  auto st = generate(m, s, r);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->draftPasses, 0);
  for (int64_t n : m.passes)
    if (n != 3)
      EXPECT_EQ(n, 1);
}
