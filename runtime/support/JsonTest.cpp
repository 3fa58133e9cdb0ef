//===- JsonTest.cpp - Bounded JSON parsing and quoting --------------------===//

#include "runtime/support/Json.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

namespace tern {
namespace {

std::string nested(int depth, const std::string &inner = "1") {
  return std::string(static_cast<size_t>(depth), '[') + inner +
         std::string(static_cast<size_t>(depth), ']');
}

TEST(Json, NestingWithinTheLimitParses) {
  nlohmann::json j;
  EXPECT_EQ(parseJsonNoThrow(nested(kMaxJsonDepth), j), "");
  EXPECT_TRUE(j.is_array());
}

TEST(Json, DeepNestingIsRefusedBeforeParsing) {
  nlohmann::json j;
  // 100,000 levels overflowed the stack of the recursive walks.
  const std::string e = parseJsonNoThrow(nested(100000), j);
  EXPECT_NE(e.find("nest deeper than 128 levels (at byte 128)"),
            std::string::npos)
      << e;
  EXPECT_NE(checkJsonNesting("{\"a\":" + nested(200) + "}"), "");
}

TEST(Json, BracketsInStringsDoNotCount) {
  const std::string text =
      "{\"k\": \"" + std::string(500, '[') + "\\\"" + std::string(500, '{') +
      "\"}";
  EXPECT_EQ(checkJsonNesting(text), "");
  nlohmann::json j;
  EXPECT_EQ(parseJsonNoThrow(text, j), "");
  EXPECT_EQ(j["k"].get<std::string>().size(), 1001u);
}

TEST(Json, QuoteShowsAPrefix) {
  nlohmann::json big = nlohmann::json::array();
  for (int i = 0; i < 100000; ++i)
    big.push_back(i);
  const std::string q = quoteJson(big);
  EXPECT_EQ(q.size(), 60u);
  EXPECT_EQ(q.substr(0, 8), "[0,1,2,3");
  EXPECT_EQ(q.substr(57), "...");
  EXPECT_EQ(quoteJson(nlohmann::json{{"a", 1}}), "{\"a\":1}");
  EXPECT_EQ(quoteJson(nlohmann::json(std::string(100, 'x'))).size(), 60u);
}

TEST(Json, QuoteEscapesControlBytes) {
  EXPECT_EQ(quoteJson(nlohmann::json(std::string("a\x07" "b"))),
            "\"a\\u0007b\"");
}

TEST(Json, QuoteOfTheDeepestAcceptedValue) {
  nlohmann::json j;
  ASSERT_EQ(parseJsonNoThrow(nested(kMaxJsonDepth), j), "");
  EXPECT_EQ(quoteJson(j, 20), std::string(17, '[') + "...");
}

} // namespace
} // namespace tern
