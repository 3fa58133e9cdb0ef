//===- ServeFlagsTest.cpp - The serve flags and their help ----------------===//

#include "runtime/serve/Server.h"

#include <gtest/gtest.h>

using namespace tern;

namespace {

TEST(ServeFlags, ParsesEveryFlag) {
  OrError<ServeOptions> o = parseServeOptions(
      {"m.gguf", "--host", "0.0.0.0", "--port", "0", "--api-key", "k", "-a",
       "name", "-np", "8", "--queue", "3", "-c", "512", "-b", "64", "-t", "2",
       "-n", "100", "--temp", "0", "--top-k", "5", "--top-p", "0.5",
       "--min-p", "0.1", "--chat-template", "llama3", "--head", "int8",
       "--verify", "--lookup", "--draft-max", "4", "--mmap"},
      true);
  ASSERT_TRUE(o) << o.error;
  EXPECT_EQ(o->model, "m.gguf");
  EXPECT_EQ(o->host, "0.0.0.0");
  EXPECT_EQ(o->port, 0);
  EXPECT_EQ(o->apiKey, "k");
  EXPECT_EQ(o->alias, "name");
  EXPECT_EQ(o->slots, 8);
  EXPECT_EQ(o->queueLimit, 3);
  EXPECT_EQ(o->contextSize, 512);
  EXPECT_EQ(o->prefillChunk, 64);
  EXPECT_EQ(o->threads, 2);
  EXPECT_EQ(o->defaultMaxTokens, 100);
  EXPECT_EQ(o->sampler.temperature, 0.0f);
  EXPECT_EQ(o->sampler.topK, 5);
  EXPECT_EQ(o->sampler.topP, 0.5f);
  EXPECT_EQ(o->sampler.minP, 0.1f);
  EXPECT_EQ(o->chatTemplate, "llama3");
  EXPECT_EQ(o->head, HeadFormat::Int8);
  EXPECT_TRUE(o->verify);
  EXPECT_TRUE(o->lookup);
  EXPECT_EQ(o->draftMax, 4);
  EXPECT_EQ(o->mmap, std::optional<bool>(true));
}

TEST(ServeFlags, DefaultsAreLocalAndSampled) {
  OrError<ServeOptions> o = parseServeOptions({"-m", "m.gguf"}, true);
  ASSERT_TRUE(o) << o.error;
  EXPECT_EQ(o->host, "127.0.0.1");
  EXPECT_EQ(o->port, 8080);
  EXPECT_EQ(o->sampler.temperature, 0.8f);
  EXPECT_EQ(o->defaultMaxTokens, INT64_MAX);
  EXPECT_TRUE(o->apiKey.empty());
}

TEST(ServeFlags, BadFlagsAreNamed) {
  struct Case {
    std::vector<std::string> args;
    bool modelFlag;
    const char *says;
  } cases[] = {
      {{}, true, "no model"},
      {{"-m", "m", "--port", "70000"}, true, "not a port"},
      {{"-m", "m", "-np", "0"}, true, "-np: 0 is below the minimum 1"},
      {{"-m", "m", "-np", "1000"}, true, "above the maximum 256"},
      {{"-m", "m", "--temp", "-1"}, true, "--temp -1 is negative"},
      {{"-m", "m", "--head", "int4"}, true, "not native, int8, q4, screened or screened-q4"},
      {{"-m", "m", "--bogus"}, true, "unknown flag '--bogus'"},
      {{"-m", "m"}, false, "unknown flag '-m'"},
      {{"--head", "int8"}, false, "unknown flag '--head'"},
      {{"-m", "m", "--port"}, true, "--port needs a value"},
  };
  for (const Case &c : cases) {
    OrError<ServeOptions> o = parseServeOptions(c.args, c.modelFlag);
    ASSERT_FALSE(o) << c.says;
    EXPECT_NE(o.error.find(c.says), std::string::npos)
        << o.error << " (expected " << c.says << ")";
  }
}

TEST(ServeFlags, HelpListsEveryFlag) {
  const std::string help = serveUsage("tern serve", true);
  for (const char *flag :
       {"-m, --model", "--host", "--port", "--api-key", "-a, --alias",
        "-np, --parallel", "--queue", "-c, --ctx-size", "-b, --batch-size",
        "-t, --threads", "-n, --n-predict", "--temp", "--top-k", "--top-p",
        "--min-p", "--chat-template", "--head", "--verify", "--lookup",
        "--draft-max", "--mmap", "--no-mmap", "-h, --help"})
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  const std::string exe = serveUsage("./m serve", false);
  EXPECT_EQ(exe.find("--model"), std::string::npos);
  EXPECT_EQ(exe.find("--head"), std::string::npos);
}

} // namespace
