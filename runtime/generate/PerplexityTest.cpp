//===- PerplexityTest.cpp - Chunking, scoring and KL of `perplexity` ------===//

#include "runtime/generate/Perplexity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

using namespace tern;

namespace {

constexpr TokenId kBos = 256;

/// Byte tokens 0..255 and <|begin_of_text|> (256).
Tokenizer byteTokenizer() {
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b)
    tokens.push_back(std::string(1, static_cast<char>(b)));
  tokens.push_back("<|begin_of_text|>");
  std::vector<bool> special(tokens.size(), false);
  special.back() = true;
  TokenizerOrError t = Tokenizer::fromVocab(tokens, special, "test vocab");
  EXPECT_TRUE(t.ok()) << t.error;
  return *t.tokenizer;
}

/// Predicts token t + 1 after t with logit `hit` (0 elsewhere); records the
/// first token of every evaluation.
class NextByteModel : public LanguageModel {
public:
  NextByteModel(const ModelConfig &c, int64_t ctx, float hit,
                std::vector<TokenId> *firsts)
      : config_(c), ctx_(ctx), hit_(hit), firsts_(firsts) {}
  const ModelConfig &config() const override { return config_; }
  int64_t position() const override { return pos_; }
  int64_t contextSize() const override { return ctx_; }
  void reset() override { pos_ = 0; }
  void truncate(int64_t n) override { pos_ = n; }
  std::string forward(const TokenId *t, int64_t n, float *logits,
                      bool all) override {
    if (std::string e = checkForwardRequest(config_, pos_, ctx_, t, n);
        !e.empty())
      return e;
    if (pos_ == 0)
      firsts_->push_back(t[0]);
    const int64_t v = config_.vocabSize;
    for (int64_t i = all ? 0 : n - 1; i < n; ++i) {
      float *row = logits + (all ? i : 0) * v;
      for (int64_t k = 0; k < v; ++k)
        row[k] = k == (t[i] + 1) % v ? hit_ : 0.0f;
    }
    pos_ += n;
    return "";
  }

private:
  ModelConfig config_;
  int64_t ctx_, pos_ = 0;
  float hit_;
  std::vector<TokenId> *firsts_;
};

class NextByteBackend : public RunBackend {
public:
  NextByteBackend(float hit, std::vector<TokenId> *firsts)
      : hit_(hit), firsts_(firsts), tok_(byteTokenizer()) {
    config_.vocabSize = 257;
    config_.maxPositions = 64;
  }
  const ModelConfig &config() const override { return config_; }
  const Tokenizer *tokenizer() const override { return &tok_; }
  OrError<std::unique_ptr<LanguageModel>> instantiate(int, int64_t ctx, int64_t) override {
    return OrError<std::unique_ptr<LanguageModel>>(
        std::make_unique<NextByteModel>(config_, ctx, hit_, firsts_));
  }

private:
  ModelConfig config_;
  float hit_;
  std::vector<TokenId> *firsts_;
  Tokenizer tok_;
};

std::string writeText(const std::string &name, const std::string &text) {
  const std::string path = ::testing::TempDir() + "/tern-ppl-" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

struct Result {
  int rc;
  std::string out, err;
};

/// Runs perplexityMain over a NextByteBackend(hit) with `args`.
Result run(float hit, const std::vector<std::string> &args,
           std::vector<TokenId> *firsts = nullptr) {
  std::vector<TokenId> seen;
  auto load = [&](const RunOptions &) {
    return OrError<std::unique_ptr<RunBackend>>(
        std::make_unique<NextByteBackend>(hit, &seen));
  };
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  Result r;
  r.rc = perplexityMain("ppl", args, /*modelArg=*/false, load);
  r.out = ::testing::internal::GetCapturedStdout();
  r.err = ::testing::internal::GetCapturedStderr();
  if (firsts)
    *firsts = seen;
  return r;
}

const std::string kAlphabet = "abcdefghijklmnopqrstuvwxyz";

} // namespace

TEST(Perplexity, UniformLogitsGiveTheVocabularySize) {
  const std::string f = writeText("uniform", kAlphabet);
  Result r = run(0.0f, {"-f", f, "-c", "8"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "[1]257.0000,[2]257.0000,[3]257.0000\n"
                   "Final estimate: PPL = 257.0000 +/- 0.00000\n");
  // 26 tokens: 3 chunks of 8, each scoring positions 4..6.
  EXPECT_NE(r.err.find("3 chunks of 8 tokens, 9 scored"), std::string::npos)
      << r.err;
}

TEST(Perplexity, ChunksStartWithBosAndScoreTheirSecondHalf) {
  // The model gives the next byte logit log(256): probability 1/2, so a
  // PPL of exactly 2 says every scored token followed its predecessor in
  // the text (positions 4..7 of each chunk) and none was the BOS that
  // replaced the chunk's first token.
  const std::string f = writeText("alphabet", kAlphabet);
  std::vector<TokenId> firsts;
  Result r = run(std::log(256.0f), {"-f", f, "-c", "8", "--chunks", "2"},
                 &firsts);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "[1]2.0000,[2]2.0000\n"
                   "Final estimate: PPL = 2.0000 +/- 0.00000\n");
  EXPECT_EQ(firsts, (std::vector<TokenId>{kBos, kBos}));
}

TEST(Perplexity, StandardErrorOfTheMeanLogLikelihood) {
  MeanEstimate m;
  for (double v : {1.0, 2.0, 3.0, 4.0})
    m.add(v);
  EXPECT_DOUBLE_EQ(m.mean(), 2.5);
  // Population variance 1.25; standard error sqrt(1.25 / 3).
  EXPECT_NEAR(m.standardError(), std::sqrt(1.25 / 3), 1e-12);
  MeanEstimate one;
  one.add(5);
  EXPECT_EQ(one.standardError(), 0);
}

TEST(Perplexity, LogSoftmaxAndKl) {
  const float logits[] = {1.0f, 2.0f, 3.0f};
  std::vector<double> lp;
  logSoftmax(logits, 3, lp);
  double total = 0;
  for (double v : lp)
    total += std::exp(v);
  EXPECT_NEAR(total, 1.0, 1e-12);
  EXPECT_NEAR(lp[2] - lp[1], 1.0, 1e-6);
  const float same[] = {static_cast<float>(lp[0]), static_cast<float>(lp[1]),
                        static_cast<float>(lp[2])};
  EXPECT_NEAR(klDivergence(same, lp), 0.0, 1e-6);
  const float half[] = {std::log(0.5f), std::log(0.5f)};
  const std::vector<double> skew = {std::log(0.25), std::log(0.75)};
  EXPECT_NEAR(klDivergence(half, skew),
              0.5 * std::log(0.5 / 0.25) + 0.5 * std::log(0.5 / 0.75), 1e-6);
  EXPECT_EQ(argmax(lp), 2);
  EXPECT_EQ(argmax(half, 2), 0);
}

TEST(Perplexity, KlDivergenceAgainstASavedBase) {
  const std::string f = writeText("kl", kAlphabet);
  const std::string base = ::testing::TempDir() + "/tern-ppl-base.npy";
  Result saved = run(std::log(256.0f), {"-f", f, "-c", "8", "--save-base", base});
  ASSERT_EQ(saved.rc, 0) << saved.err;
  Result same = run(std::log(256.0f),
                    {"-f", f, "-c", "8", "--kl-divergence", "--base", base});
  ASSERT_EQ(same.rc, 0) << same.err;
  EXPECT_NE(same.out.find("KL divergence: mean 0.000000 +/- 0.000000, same "
                          "top token 100.00 % (9 positions)"),
            std::string::npos)
      << same.out;
  // Against a uniform model: the base puts 1/2 on the next byte and 1/512
  // on each other token; the model 1/257 on every token.
  Result uniform =
      run(0.0f, {"-f", f, "-c", "8", "--kl-divergence", "--base", base});
  ASSERT_EQ(uniform.rc, 0) << uniform.err;
  const double kl = 0.5 * std::log(0.5 * 257) + 0.5 * std::log(257.0 / 512);
  char expected[64];
  std::snprintf(expected, sizeof expected, "KL divergence: mean %.6f", kl);
  EXPECT_NE(uniform.out.find(expected), std::string::npos) << uniform.out;
  // A base for other chunks is refused with both shapes.
  Result other = run(0.0f, {"-f", f, "-c", "12", "--kl-divergence", "--base",
                            base});
  EXPECT_EQ(other.rc, 1);
  EXPECT_NE(other.err.find("shape [9, 257], this run scores [10, 257]"),
            std::string::npos)
      << other.err;
}

TEST(Perplexity, BadInputIsNamed) {
  const std::string empty = writeText("empty", "");
  Result r = run(0.0f, {"-f", empty, "-c", "8"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("the text is empty"), std::string::npos) << r.err;

  const std::string shortText = writeText("short", "abc");
  r = run(0.0f, {"-f", shortText, "-c", "8"});
  EXPECT_NE(r.err.find("3 tokens, fewer than one chunk of -c 8"),
            std::string::npos)
      << r.err;

  r = run(0.0f, {"-f", shortText, "-c", "65"});
  EXPECT_NE(r.err.find("-c 65 exceeds the 64-token context"), std::string::npos)
      << r.err;

  r = run(0.0f, {"-f", ::testing::TempDir(), "-c", "8"});
  EXPECT_NE(r.err.find("is a directory, not a text file"), std::string::npos)
      << r.err;

  r = run(0.0f, {"-f", "/nonexistent/text", "-c", "8"});
  EXPECT_NE(r.err.find("/nonexistent/text: cannot open the text"),
            std::string::npos)
      << r.err;
}

TEST(Perplexity, FlagErrors) {
  auto error = [](std::vector<std::string> args, bool model = false) {
    OrError<PerplexityOptions> o = parsePerplexityOptions(args, model);
    EXPECT_FALSE(o.ok());
    return o.error;
  };
  EXPECT_NE(error({}).find("-f FILE"), std::string::npos);
  EXPECT_NE(error({"-f"}).find("-f needs a value"), std::string::npos);
  EXPECT_NE(error({"-f", "t", "-c", "3"}).find("at least 4"),
            std::string::npos);
  EXPECT_NE(error({"-f", "t", "-c", "x"}).find("'x' is not an integer"),
            std::string::npos);
  EXPECT_NE(error({"-f", "t", "--chunks", "0"}).find("at least 1"),
            std::string::npos);
  EXPECT_NE(error({"-f", "t", "--kl-divergence"}).find("needs --base"),
            std::string::npos);
  EXPECT_NE(error({"-f", "t", "--base", "b"}).find("--kl-divergence"),
            std::string::npos);
  EXPECT_NE(error({"-f", "t", "--head", "int8"}).find("tern compile --head"),
            std::string::npos);
  EXPECT_NE(error({"-f", "t"}, /*model=*/true).find("MODEL"),
            std::string::npos);
  OrError<PerplexityOptions> ok = parsePerplexityOptions(
      {"m.gguf", "-f", "t", "-c", "128", "--chunks", "3", "-t", "2", "--head",
       "q4"},
      true);
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(ok->model, "m.gguf");
  EXPECT_EQ(ok->contextSize, 128);
  EXPECT_EQ(ok->chunks, 3);
  EXPECT_EQ(ok->threads, 2);
  EXPECT_EQ(ok->head, HeadFormat::Q4);
}
