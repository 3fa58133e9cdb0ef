//===- RunCliTest.cpp - Flag parsing of the run command line --------------===//

#include "runtime/generate/RunCli.h"

#include <gtest/gtest.h>

using namespace tern;

namespace {
OrError<RunOptions> parse(std::vector<std::string> args, bool model = true) {
  return parseRunOptions(args, model);
}
std::string error(std::vector<std::string> args, bool model = true) {
  auto r = parse(std::move(args), model);
  EXPECT_FALSE(r.ok());
  return r.error;
}
} // namespace

TEST(RunCli, ParsesEveryFlag) {
  auto r = parse({"-m", "x.gguf", "-p", "Hello", "-n", "7", "-t", "2",
                  "--temp=0.7", "--top-k", "5", "--top-p", "0.9", "--min-p",
                  "0.1", "--repeat-penalty", "1.1", "--repeat-last-n", "32",
                  "--seed", "99", "-c", "256", "--dump-logits", "l.npy",
                  "--ignore-eos", "--quiet", "--chat", "--no-bos"});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r->model, "x.gguf");
  EXPECT_EQ(*r->prompt, "Hello");
  EXPECT_EQ(r->nPredict, 7);
  EXPECT_EQ(r->threads, 2);
  EXPECT_FLOAT_EQ(r->sampler.temperature, 0.7f);
  EXPECT_EQ(r->sampler.topK, 5);
  EXPECT_FLOAT_EQ(r->sampler.topP, 0.9f);
  EXPECT_FLOAT_EQ(r->sampler.minP, 0.1f);
  EXPECT_FLOAT_EQ(r->sampler.repeatPenalty, 1.1f);
  EXPECT_EQ(r->sampler.repeatLastN, 32);
  EXPECT_EQ(r->seed, std::optional<uint64_t>(99));
  EXPECT_EQ(r->contextSize, 256);
  EXPECT_EQ(r->dumpLogits, "l.npy");
  EXPECT_TRUE(r->ignoreEos && r->quiet && r->chat && !r->bos);
}

TEST(RunCli, TokensFlag) {
  auto r = parse({"-m", "m", "--tokens", "128000,9906,0"});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(*r->tokens, (std::vector<TokenId>{128000, 9906, 0}));
  EXPECT_NE(error({"-m", "m", "--tokens", "1,x,3"}).find("'x'"),
            std::string::npos);
  EXPECT_NE(error({"-m", "m", "--tokens", "1,-3"}).find("'-3'"),
            std::string::npos);
  EXPECT_NE(error({"-m", "m", "--tokens", "1", "-p", "hi"}).find("not both"),
            std::string::npos);
}

TEST(RunCli, BadFlagsAreNamed) {
  EXPECT_NE(error({"-m", "m", "-p", "x", "-n", "ten"}).find("-n: 'ten'"),
            std::string::npos);
  EXPECT_NE(error({"-m", "m", "-p", "x", "-n", "-2"}).find("minimum"),
            std::string::npos);
  EXPECT_NE(error({"-m", "m", "-p", "x", "-t", "0"}).find("-t"),
            std::string::npos);
  EXPECT_NE(error({"-m", "m", "-p", "x", "-t", "100000"}).find("absurd"),
            std::string::npos);
  EXPECT_NE(error({"-m", "m", "-p", "x", "--temp", "hot"}).find("--temp"),
            std::string::npos);
  EXPECT_NE(error({"-m", "m", "-p", "x", "--top-p", "2"}).find("--top-p"),
            std::string::npos);
  EXPECT_NE(error({"-m", "m", "-p", "x", "--bogus"}).find("unknown flag"),
            std::string::npos);
  EXPECT_NE(error({"-m", "m", "-p"}).find("-p needs a value"),
            std::string::npos);
  EXPECT_NE(error({"-m", "m", "stray"}).find("unexpected argument"),
            std::string::npos);
  EXPECT_NE(error({"-m", "m"}).find("no prompt"), std::string::npos);
  EXPECT_NE(error({"-p", "x"}).find("no model"), std::string::npos);
  EXPECT_NE(error({"-m", "m", "-p", "x"}, /*model=*/false).find("built in"),
            std::string::npos);
  EXPECT_NE(error({"-m", "m", "-f", "/nonexistent/prompt.txt"})
                .find("/nonexistent/prompt.txt"),
            std::string::npos);
  EXPECT_NE(error({"-m", "m", "-p", "x", "--quiet=yes"}).find("no value"),
            std::string::npos);
}

TEST(RunCli, LlamaCppSpellings) {
  auto r = parse({"-m", "m", "-p", "a\\nb", "-e", "-n", "-1", "-s", "-1",
                  "-ngl", "99", "--mlock", "--no-mmap", "--log-disable",
                  "--color", "-r", "User:", "-r", "\\n\\n"});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(*r->prompt, "a\nb");
  EXPECT_EQ(r->nPredict, INT64_MAX);
  EXPECT_FALSE(r->seed); // random
  EXPECT_EQ(r->ignoredFlags, (std::vector<std::string>{"-ngl", "--mlock"}));
  EXPECT_EQ(r->mmap, std::optional<bool>(false));
  EXPECT_TRUE(r->quiet && r->color);
  EXPECT_EQ(r->reversePrompts, (std::vector<std::string>{"User:", "\n\n"}));
  r = parse({"-m", "m", "-p", "x", "--no-mmap", "--mmap"});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r->mmap, std::optional<bool>(true)); // the last one wins
  r = parse({"-m", "m", "-p", "x"});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_FALSE(r->mmap); // HeldWeights.h's default
  // Without -e the escapes stay as typed.
  r = parse({"-m", "m", "-p", "a\\nb"});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(*r->prompt, "a\\nb");
  // -cnv is the interactive chat; -no-cnv turns it off again; -sys needs one.
  r = parse({"-m", "m", "-cnv", "-sys", "Be brief."});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r->interactive);
  EXPECT_EQ(r->systemPrompt, "Be brief.");
  r = parse({"-m", "m", "-cnv", "-no-cnv", "-p", "x"});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_FALSE(r->interactive);
  EXPECT_NE(error({"-m", "m", "-p", "x", "-sys", "s"}).find("--chat"),
            std::string::npos);
  // A sampling flag without --temp samples at llama.cpp's 0.8; --temp wins.
  r = parse({"-m", "m", "-p", "x", "--top-k", "20"});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_FLOAT_EQ(r->sampler.temperature, 0.8f);
  r = parse({"-m", "m", "-p", "x", "--top-k", "20", "--temp", "0"});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_FLOAT_EQ(r->sampler.temperature, 0.0f);
  r = parse({"-m", "m", "-p", "x"});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_FLOAT_EQ(r->sampler.temperature, 0.0f); // greedy by default
  // The model may come first without -m, as llama.cpp users type it.
  r = parse({"tiny.gguf", "-p", "hi"});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r->model, "tiny.gguf");
  EXPECT_NE(error({"-s", "x", "-m", "m", "-p", "x"}).find("-s: 'x'"),
            std::string::npos);
  EXPECT_NE(error({"-m", "m", "-p", "x", "-r", ""}).find("empty"),
            std::string::npos);
}

TEST(RunCli, HelpListsEveryFlagOfTheTable) {
  const std::string u = runUsage("tern run", true);
  for (const char *flag : {"--n-predict", "--seed", "-sys", "--reverse-prompt",
                           "-cnv", "-no-cnv", "--escape", "--color",
                           "--verbose-prompt", "--version", "--head",
                           "-ngl", "--mlock", "--no-mmap", "--mmap"})
    EXPECT_NE(u.find(flag), std::string::npos) << flag;
  EXPECT_EQ(u.find("--verify"), std::string::npos);
  const std::string e = runUsage("./exe", false);
  EXPECT_NE(e.find("--verify"), std::string::npos);
  EXPECT_EQ(e.find("--head"), std::string::npos);
  auto v = parse({"--version"});
  ASSERT_TRUE(v.ok()) << v.error;
  EXPECT_TRUE(v->version);
}

TEST(RunCli, HelpNeedsNothingElse) {
  auto r = parse({"--help"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->help);
  EXPECT_NE(runUsage("tern run", true).find("--dump-logits"),
            std::string::npos);
  EXPECT_EQ(runUsage("./model", false).find("--model"), std::string::npos);
}

TEST(RunCli, Interactive) {
  auto r = parse({"-m", "m", "-i"});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r->interactive);
  r = parse({"-m", "m", "--interactive", "-p", "first turn"});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(*r->prompt, "first turn");
  EXPECT_NE(error({"-m", "m", "-i", "--tokens", "1,2"}).find("--tokens"),
            std::string::npos);
}

TEST(BenchCli, ParsesFlagsAndModel) {
  OrError<BenchOptions> o = parseBenchOptions(
      {"m.gguf", "-p", "64", "-n", "16", "-t", "2", "-r", "3"}, true);
  ASSERT_TRUE(o) << o.error;
  EXPECT_EQ(o->model, "m.gguf");
  EXPECT_EQ(o->prompts, std::vector<int64_t>{64});
  EXPECT_EQ(o->gens, std::vector<int64_t>{16});
  EXPECT_EQ(o->threadList, std::vector<int64_t>{2});
  EXPECT_EQ(o->reps, 3);
  OrError<BenchOptions> d = parseBenchOptions({}, false);
  ASSERT_TRUE(d) << d.error;
  EXPECT_EQ(d->prompts, std::vector<int64_t>{128});
  EXPECT_EQ(d->gens, std::vector<int64_t>{32});
  EXPECT_EQ(d->streams, std::vector<int64_t>{1});
  EXPECT_EQ(d->reps, 5);
  EXPECT_EQ(d->output, "md");
  EXPECT_EQ(d->split, Split::balanced);
  EXPECT_EQ(d->depths, std::vector<int64_t>{0});
  OrError<BenchOptions> s = parseBenchOptions({"--split", "static"}, false);
  ASSERT_TRUE(s) << s.error;
  EXPECT_EQ(s->split, Split::static_);
  s = parseBenchOptions({"--split", "coarse"}, false);
  ASSERT_TRUE(s) << s.error;
  EXPECT_EQ(s->split, Split::coarse);
  s = parseBenchOptions({"--split", "static", "--split", "balanced"}, false);
  ASSERT_TRUE(s) << s.error;
  EXPECT_EQ(s->split, Split::balanced); // the last one wins
}

TEST(BenchCli, LlamaBenchSpellings) {
  OrError<BenchOptions> o = parseBenchOptions(
      {"m.gguf", "-p", "16,32", "-n", "0", "-pg", "64,8", "-t", "1,2",
       "-np", "1,2,4,8,16", "-o", "json", "--repetitions", "2", "-d",
       "0,512,4096"},
      true);
  ASSERT_TRUE(o) << o.error;
  EXPECT_EQ(o->prompts, (std::vector<int64_t>{16, 32}));
  EXPECT_EQ(o->gens, std::vector<int64_t>{0});
  ASSERT_EQ(o->pg.size(), 1u);
  EXPECT_EQ(o->pg[0], (std::pair<int64_t, int64_t>{64, 8}));
  EXPECT_EQ(o->threadList, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(o->streams, (std::vector<int64_t>{1, 2, 4, 8, 16}));
  EXPECT_EQ(o->output, "json");
  EXPECT_EQ(o->reps, 2);
  EXPECT_EQ(o->depths, (std::vector<int64_t>{0, 512, 4096}));
  o = parseBenchOptions({"--n-depth", "128"}, false);
  ASSERT_TRUE(o) << o.error;
  EXPECT_EQ(o->depths, std::vector<int64_t>{128});
  auto bad = [](std::vector<std::string> args) {
    return parseBenchOptions(args, false).error;
  };
  EXPECT_NE(bad({"-pg", "64"}).find("PP,TG"), std::string::npos);
  EXPECT_NE(bad({"-p", "16,,32"}).find("not an integer"), std::string::npos);
  EXPECT_NE(bad({"-o", "xml"}).find("md, json or csv"), std::string::npos);
  EXPECT_NE(bad({"-np", "0"}).find("outside"), std::string::npos);
}

TEST(BenchCli, BadFlagsAreNamed) {
  struct Case {
    std::vector<std::string> args;
    bool modelArg;
    const char *message;
  } cases[] = {
      {{}, true, "no model: give MODEL"},
      {{"m.gguf", "-p", "-1"}, true, "-p: -1 is outside 0..1048576"},
      {{"m.gguf", "-n", "x"}, true, "-n: 'x' is not an integer"},
      {{"m.gguf", "-d", "-8"}, true, "-d: -8 is outside 0..1048576"},
      {{"m.gguf", "--n-depth", "1k"}, true,
       "--n-depth: '1k' is not an integer"},
      {{"m.gguf", "-t", "5000"}, true, "-t: 5000 is outside 1..1024"},
      {{"m.gguf", "-r"}, true, "-r needs a value"},
      {{"m.gguf", "--turbo", "1"}, true, "unknown flag '--turbo'"},
      {{"--split", "dynamic"}, false,
       "--split: 'dynamic' is not balanced, coarse or static"},
      {{"--split"}, false, "--split needs a value"},
      {{"m.gguf"}, false, "unexpected argument 'm.gguf'"},
      {{"a.gguf", "b.gguf"}, true, "unexpected argument 'b.gguf'"},
  };
  for (const Case &c : cases) {
    OrError<BenchOptions> o = parseBenchOptions(c.args, c.modelArg);
    ASSERT_FALSE(o) << c.message;
    EXPECT_NE(o.error.find(c.message), std::string::npos)
        << o.error << " (expected " << c.message << ")";
  }
}

TEST(RunCli, TemperatureRange) {
  // 1e-40 underflows a float: a number all the same (near-greedy).
  auto r = parse({"-m", "m", "-p", "x", "--temp", "1e-40"});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_GE(r->sampler.temperature, 0.0f);
  EXPECT_LT(r->sampler.temperature, 1e-30f);
  // A negative temperature ran silently as greedy.
  EXPECT_NE(error({"-m", "m", "-p", "x", "--temp", "-1"})
                .find("--temp -1 is negative"),
            std::string::npos);
  EXPECT_NE(error({"-m", "m", "-p", "x", "--temp", "1e40"})
                .find("not a number"),
            std::string::npos);
}
