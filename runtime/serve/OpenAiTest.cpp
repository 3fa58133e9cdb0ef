//===- OpenAiTest.cpp - Requests, responses and stop strings --------------===//

#include "runtime/serve/OpenAi.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

using namespace tern;
using nlohmann::json;

namespace {

OrError<CompletionRequest> parse(const std::string &body, bool chat,
                                 ApiError &e) {
  SamplerOptions defaults;
  defaults.temperature = 0.8f;
  return parseCompletionRequest(body, chat, defaults, e);
}

TEST(OpenAi, ParsesAChatRequest) {
  ApiError e;
  auto r = parse(R"({"model":"x","messages":[
      {"role":"system","content":"be brief"},
      {"role":"user","content":[{"type":"text","text":"hi "},
                                {"type":"text","text":"there"}]}],
      "temperature":0,"top_p":0.5,"top_k":3,"seed":7,"max_tokens":9,
      "stop":["\n","END"],"stream":true,
      "stream_options":{"include_usage":true}})",
                 true, e);
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r->messages.size(), 2u);
  EXPECT_EQ(r->messages[0].role, "system");
  EXPECT_EQ(r->messages[1].content, "hi there");
  EXPECT_EQ(r->sampler.temperature, 0.0f);
  EXPECT_EQ(r->sampler.topP, 0.5f);
  EXPECT_EQ(r->sampler.topK, 3);
  EXPECT_TRUE(r->seedGiven);
  EXPECT_EQ(r->sampler.seed, 7u);
  EXPECT_EQ(*r->maxTokens, 9);
  EXPECT_EQ(r->stop, (std::vector<std::string>{"\n", "END"}));
  EXPECT_TRUE(r->stream);
  EXPECT_TRUE(r->includeUsage);
}

TEST(OpenAi, DefaultsAndCompletionPrompts) {
  ApiError e;
  auto r = parse(R"({"prompt":"Once"})", false, e);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->prompt, "Once");
  EXPECT_EQ(r->sampler.temperature, 0.8f);
  EXPECT_FALSE(r->seedGiven);
  EXPECT_FALSE(r->maxTokens);
  auto ids = parse(R"({"prompt":[1,2,3],"max_completion_tokens":4})", false, e);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids->promptTokens, (std::vector<TokenId>{1, 2, 3}));
  EXPECT_EQ(*ids->maxTokens, 4);
  auto random = parse(R"({"prompt":"x","seed":-1})", false, e);
  ASSERT_TRUE(random.ok());
  EXPECT_FALSE(random->seedGiven);
  auto one = parse(R"({"prompt":["only"]})", false, e);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->prompt, "only");
}

TEST(OpenAi, BadRequestsNameTheField) {
  struct Case {
    const char *body;
    bool chat;
    const char *param, *says;
  } cases[] = {
      {"{", true, "", "not valid JSON"},
      {"[1]", true, "", "JSON object"},
      {R"({"messages":[]})", true, "messages", "non-empty array"},
      {R"({"messages":[{"role":"robot","content":"x"}]})", true, "messages",
       "robot"},
      {R"({"messages":[{"role":"user","content":[{"type":"image_url"}]}]})",
       true, "messages", "only text parts"},
      {R"({"prompt":"x","temperature":"hot"})", false, "temperature",
       "must be a number"},
      {R"({"prompt":"x","temperature":3})", false, "temperature", "outside"},
      {R"({"prompt":"x","top_p":-1})", false, "top_p", "outside"},
      {R"({"prompt":"x","max_tokens":-5})", false, "max_tokens", "outside"},
      {R"({"prompt":"x","max_tokens":0})", false, "max_tokens", "outside [1"},
      {R"({"prompt":"x","n":2})", false, "n", "outside"},
      {R"({"prompt":"x","stop":[1]})", false, "stop", "up to 4"},
      {R"({"prompt":"x","stop":["a","b","c","d","e"]})", false, "stop",
       "up to 4"},
      {R"({"prompt":"x","stream":"yes"})", false, "stream", "true or false"},
      {R"({})", false, "prompt", "required"},
      {R"({"prompt":[1,-2]})", false, "prompt", "token ids"},
      {R"({"prompt":["a","b"]})", false, "prompt", "one prompt"},
  };
  for (const Case &c : cases) {
    ApiError e;
    auto r = parse(c.body, c.chat, e);
    EXPECT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(e.status, 400) << c.body;
    EXPECT_EQ(e.param, c.param) << c.body;
    EXPECT_NE(e.message.find(c.says), std::string::npos)
        << c.body << ": " << e.message;
    const json j = json::parse(e.json());
    EXPECT_EQ(j["error"]["message"], e.message);
    EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  }
}

TEST(OpenAi, DeepJsonIsRefusedWithoutRecursion) {
  ApiError e;
  auto r = parse(std::string(100000, '[') + std::string(100000, ']'), true, e);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(e.message.find("nest deeper"), std::string::npos) << e.message;
}

TEST(OpenAi, StopStringsHoldBackOnlyWhatMayStartOne) {
  StopStrings s({"END", "\n\n"});
  EXPECT_EQ(s.push("Hello E"), "Hello ");
  EXPECT_EQ(s.push("N"), "");
  EXPECT_EQ(s.push("X"), "ENX"); // not a stop string after all
  EXPECT_EQ(s.push(" a\n"), " a");
  EXPECT_EQ(s.push("\nrest"), "");
  EXPECT_TRUE(s.stopped());
  EXPECT_EQ(s.push("more"), "");
  EXPECT_EQ(s.flush(), "");

  StopStrings t({"stop"});
  EXPECT_EQ(t.push("no st"), "no ");
  EXPECT_EQ(t.flush(), "st"); // the end of the reply releases it
  EXPECT_FALSE(t.stopped());

  StopStrings none({});
  EXPECT_EQ(none.push("all"), "all");
}

TEST(OpenAi, ResponsesHaveTheApiShape) {
  const ResponseInfo chat{"chatcmpl-1", 1700000000, "kjv.gguf", true};
  json c = json::parse(completionJson(chat, "Hi", "stop", 5, 2));
  EXPECT_EQ(c["object"], "chat.completion");
  EXPECT_EQ(c["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(c["choices"][0]["message"]["content"], "Hi");
  EXPECT_EQ(c["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(c["usage"]["total_tokens"], 7);
  json first = json::parse(chunkJson(chat, "", true, ""));
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  EXPECT_TRUE(first["choices"][0]["finish_reason"].is_null());
  json last = json::parse(chunkJson(chat, "", false, "length"));
  EXPECT_EQ(last["choices"][0]["finish_reason"], "length");
  json usage = json::parse(usageChunkJson(chat, 5, 2));
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["completion_tokens"], 2);

  const ResponseInfo text{"cmpl-1", 1700000000, "m", false};
  json t = json::parse(completionJson(text, "\xff bad utf-8", "length", 1, 1));
  EXPECT_EQ(t["object"], "text_completion");
  EXPECT_EQ(t["choices"][0]["text"], "\xEF\xBF\xBD bad utf-8");
  json models = json::parse(modelsJson("m", 1, 512));
  EXPECT_EQ(models["data"][0]["id"], "m");
  EXPECT_EQ(models["object"], "list");
}

} // namespace
