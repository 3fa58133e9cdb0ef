//===- TokenizerJsonTest.cpp - Hugging Face tokenizer.json vocabularies ---===//
//
// TokenizerJson.Llama3* write a tokenizer.json holding the real LLaMA-3
// vocabulary (from the shared test data's tiktoken file, TERN_SHARED_DIR)
// and check it encodes exactly like the tiktoken tokenizer; the others use
// small vocabularies of their own.
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/Tokenizer.h"

#include "runtime/tokenizer/Llama3Vectors.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace tern;
using json = nlohmann::json;

namespace {

using testdata::readFile;
const std::string &kDataDir = testdata::llama3Dir();

std::string writeTemp(const std::string &name, const std::string &text) {
  // Per process: ctest runs test cases in parallel processes.
  std::string path = ::testing::TempDir() + "tern_tokenizer_json_" +
                     std::to_string(::getpid()) + "_" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return path;
}

/// The skeleton of a tokenizer.json as Hugging Face writes LLaMA-3's.
json skeleton() {
  json j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  j["added_tokens"] = json::array();
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", json::array()}};
  j["post_processor"] = nullptr;
  j["decoder"] = {{"type", "ByteLevel"},
                  {"add_prefix_space", true},
                  {"trim_offsets", false},
                  {"use_regex", true}};
  j["model"] = {{"type", "BPE"},
                {"dropout", nullptr},
                {"unk_token", nullptr},
                {"continuing_subword_prefix", nullptr},
                {"end_of_word_suffix", nullptr},
                {"fuse_unk", false},
                {"byte_fallback", false},
                {"ignore_merges", true},
                {"vocab", json::object()},
                {"merges", json::array()}};
  return j;
}

json addedToken(int id, const std::string &content, bool special) {
  return {{"id", id},          {"content", content}, {"single_word", false},
          {"lstrip", false},   {"rstrip", false},    {"normalized", false},
          {"special", special}};
}

/// A tokenizer.json of the 256 single bytes (id = byte value) plus `extra`
/// GPT-2-form tokens at the given ids.
json byteTokenizer(std::vector<std::pair<std::string, int>> extra = {}) {
  json j = skeleton();
  for (int b = 0; b < 256; ++b)
    j["model"]["vocab"][bytesToGpt2Unicode(std::string(1, char(b)))] = b;
  for (auto &[token, id] : extra)
    j["model"]["vocab"][token] = id;
  return j;
}

std::string writeJson(const std::string &name, const json &j) {
  return writeTemp(name, j.dump());
}

/// Loads `j` (written to a file called `name`); expects an error that
/// contains the path and `words`.
void expectError(const std::string &name, const json &j,
                 const std::vector<const char *> &words) {
  const std::string path = writeJson(name, j);
  TokenizerOrError t = Tokenizer::fromTokenizerJson(path);
  std::remove(path.c_str());
  ASSERT_FALSE(t) << name;
  EXPECT_EQ(t.error.rfind(path + ": ", 0), 0u) << t.error;
  for (const char *w : words)
    EXPECT_NE(t.error.find(w), std::string::npos)
        << "error \"" << t.error << "\" lacks \"" << w << "\"";
}

//===----------------------------------------------------------------------===//
// LLaMA-3
//===----------------------------------------------------------------------===//

struct Llama3Json {
  std::optional<TokenizerOrError> tiktoken, fromJson;
  std::string vocabError; // readTokenizerJsonVocab's result
  TokenizerJsonVocab vocab;
  std::vector<std::string> inputs;
  std::vector<std::vector<TokenId>> expected;
};

const Llama3Json &llama3Json() {
  static const Llama3Json data = [] {
    Llama3Json d;
    if (!std::ifstream(kDataDir + "/tokenizer.model").good())
      return d;
    d.tiktoken = Tokenizer::fromTiktokenFile(kDataDir + "/tokenizer.model");
    if (!*d.tiktoken)
      return d;
    const Tokenizer &t = **d.tiktoken;
    // The tokenizer.json Hugging Face ships for LLaMA-3: ordinary tokens in
    // model.vocab (GPT-2 form), the 256 specials in added_tokens.
    json j = skeleton();
    json &vocab = j["model"]["vocab"];
    for (TokenId id = 0; id < t.vocabSize(); ++id) {
      if (t.isSpecial(id))
        j["added_tokens"].push_back(
            addedToken(id, std::string(t.tokenBytes(id)), true));
      else
        vocab[bytesToGpt2Unicode(t.tokenBytes(id))] = id;
    }
    const std::string path = writeJson("llama3.json", j);
    d.fromJson = Tokenizer::fromTokenizerJson(path);
    d.vocabError = readTokenizerJsonVocab(path, d.vocab);
    std::remove(path.c_str());

    testdata::Llama3Vectors v = testdata::readLlama3Vectors();
    d.inputs = std::move(v.inputs);
    d.expected = std::move(v.expected);
    return d;
  }();
  return data;
}

class TokenizerJsonLlama3 : public ::testing::Test {
protected:
  void SetUp() override {
    const Llama3Json &d = llama3Json();
    if (!d.tiktoken)
      GTEST_FAIL() << "LLaMA-3 tokenizer test data not found: '" << kDataDir
                   << "/tokenizer.model' does not exist. Configure with "
                      "-DTERN_SHARED_DIR=<folder holding "
                      "testdata/llama3-tokenizer> (now '"
                   << TERN_SHARED_DIR << "').";
    ASSERT_TRUE(d.tiktoken->ok()) << d.tiktoken->error;
    ASSERT_TRUE(d.fromJson.has_value());
    ASSERT_TRUE(d.fromJson->ok()) << d.fromJson->error;
  }
  const Tokenizer &tiktoken() const { return **llama3Json().tiktoken; }
  const Tokenizer &fromJson() const { return **llama3Json().fromJson; }
};

TEST_F(TokenizerJsonLlama3, SameVocabularyAsTiktoken) {
  const Tokenizer &a = tiktoken(), &b = fromJson();
  ASSERT_EQ(b.vocabSize(), 128256);
  for (TokenId id = 0; id < a.vocabSize(); ++id) {
    ASSERT_EQ(a.tokenBytes(id), b.tokenBytes(id)) << "id " << id;
    ASSERT_EQ(a.isSpecial(id), b.isSpecial(id)) << "id " << id;
  }
  EXPECT_EQ(b.bosId(), 128000);
  EXPECT_EQ(b.eosId(), 128001);
  EXPECT_EQ(b.eotId(), 128009);

  ASSERT_EQ(llama3Json().vocabError, "");
  const TokenizerJsonVocab &v = llama3Json().vocab;
  EXPECT_EQ(v.numPlaceholders, 0);
  ASSERT_EQ(v.tokens.size(), 128256u);
  EXPECT_EQ(v.tokens[22691], "\xC4\xA0"
                             "Hello"); // GPT-2 form kept
  EXPECT_EQ(v.tokens[128009], "<|eot_id|>");
  EXPECT_TRUE(v.isSpecial[128009]);
  EXPECT_FALSE(v.isSpecial[22691]);
}

TEST_F(TokenizerJsonLlama3, EncodesTheSharedVectorsLikeTiktoken) {
  const Llama3Json &d = llama3Json();
  ASSERT_EQ(d.inputs.size(), 46u);
  ASSERT_EQ(d.expected.size(), 46u);
  for (size_t i = 0; i < d.inputs.size(); ++i) {
    EXPECT_EQ(fromJson().encode(d.inputs[i]), d.expected[i]) << "case " << i;
    EXPECT_EQ(fromJson().encode(d.inputs[i]), tiktoken().encode(d.inputs[i]))
        << "case " << i;
    EXPECT_EQ(fromJson().decode(fromJson().encode(d.inputs[i], true, true)),
              "<|begin_of_text|>" + d.inputs[i]);
  }
  EXPECT_EQ(fromJson().chatPrompt("Hi"), tiktoken().chatPrompt("Hi"));
  const std::string text = "x<|eot_id|>y <|start_header_id|>";
  EXPECT_EQ(fromJson().encode(text, true, true),
            tiktoken().encode(text, true, true));
}

//===----------------------------------------------------------------------===//
// Small vocabularies
//===----------------------------------------------------------------------===//

TEST(TokenizerJson, SmallVocabularyWithSpecials) {
  json j = byteTokenizer({{"ab", 256},
                          {"\xC4\xA0"
                           "a",
                           257}});
  j["added_tokens"].push_back(addedToken(258, "<|begin_of_text|>", true));
  j["added_tokens"].push_back(addedToken(259, "<|eot_id|>", true));
  const std::string path = writeJson("small.json", j);
  TokenizerOrError t = Tokenizer::fromTokenizerJson(path);
  std::remove(path.c_str());
  ASSERT_TRUE(t) << t.error;
  EXPECT_EQ(t->vocabSize(), 260);
  EXPECT_EQ(t->tokenBytes(257), " a");
  EXPECT_EQ(t->bosId(), 258);
  EXPECT_EQ(t->eotId(), 259);
  EXPECT_EQ(t->encode("ab a<|eot_id|>", true, true),
            (std::vector<TokenId>{258, 256, 257, 259}));
}

TEST(TokenizerJson, SparseIdsGetPlaceholders) {
  json j = byteTokenizer({{"ab", 300}});
  j["added_tokens"].push_back(addedToken(310, "<|eot_id|>", true));
  const std::string path = writeJson("sparse.json", j);
  TokenizerJsonVocab v;
  ASSERT_EQ(readTokenizerJsonVocab(path, v), "");
  ASSERT_EQ(v.tokens.size(), 311u);
  EXPECT_EQ(v.numPlaceholders, 311 - 258);
  EXPECT_EQ(v.tokens[256], "<|tern_unused_id_256|>");
  EXPECT_TRUE(v.isSpecial[256]);
  EXPECT_EQ(v.tokens[300], "ab");
  EXPECT_FALSE(v.isSpecial[300]);
  TokenizerOrError t = Tokenizer::fromTokenizerJson(path);
  std::remove(path.c_str());
  ASSERT_TRUE(t) << t.error;
  EXPECT_EQ(t->encode("abab"), (std::vector<TokenId>{300, 300}));
  EXPECT_EQ(t->eotId(), 310);
}

TEST(TokenizerJson, AddedTokensThatAreAlsoInTheVocabulary) {
  // GPT-2 style: <|endoftext|> is in model.vocab and in added_tokens.
  json j = byteTokenizer({{"<|endoftext|>", 256},
                          {"\xC4\xA0"
                           "x",
                           257}});
  j["added_tokens"].push_back(addedToken(256, "<|endoftext|>", true));
  // A non-special added token spelled as plain text (" x").
  j["added_tokens"].push_back(addedToken(257, " x", false));
  // A non-special added token with an id of its own becomes special.
  j["added_tokens"].push_back(addedToken(258, "[extra]", false));
  const std::string path = writeJson("overlap.json", j);
  TokenizerJsonVocab v;
  ASSERT_EQ(readTokenizerJsonVocab(path, v), "");
  EXPECT_TRUE(v.isSpecial[256]);
  EXPECT_FALSE(v.isSpecial[257]);
  EXPECT_EQ(v.tokens[257], "\xC4\xA0"
                           "x"); // stays in GPT-2 form
  EXPECT_TRUE(v.isSpecial[258]);
  TokenizerOrError t = Tokenizer::fromTokenizerJson(path);
  std::remove(path.c_str());
  ASSERT_TRUE(t) << t.error;
  EXPECT_EQ(t->encode("<|endoftext|> x[extra]", false, true),
            (std::vector<TokenId>{256, 257, 258}));
}

TEST(TokenizerJson, MergesAreChecked) {
  // "ab" (256) then "abab" (257): merges in id order load, in both forms.
  json j = byteTokenizer({{"ab", 256}, {"abab", 257}});
  j["model"]["merges"] = json::array({"a b", json::array({"ab", "ab"})});
  std::string path = writeJson("merges.json", j);
  TokenizerJsonVocab v;
  EXPECT_EQ(readTokenizerJsonVocab(path, v), "");
  std::remove(path.c_str());

  const struct {
    json merges;
    std::vector<const char *> words;
  } cases[] = {
      {json::array({"ab ab", "a b"}),
       {"model.merges[1]", "makes id 256 after a merge that made id 257",
        "ranks merges by the id"}},
      {json::array({"a c"}),
       {"model.merges[0]", "makes 'ac'", "not a token"}},
      {json::array({"a \u00ff"}), {"model.merges[0]", "not a token"}},
      {json::array({"ab"}), {"model.merges[0]", "two tokens separated"}},
      {json::array({"a b c"}), {"model.merges[0]", "two tokens separated"}},
      {json::array({json::array({"a"})}), {"model.merges[0]", "expected"}},
      {json::array({7}), {"model.merges[0] is 7"}},
      {json("a b"), {"model.merges is \"a b\"", "expected an array"}},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c.merges.dump());
    json bad = byteTokenizer({{"ab", 256}, {"abab", 257}});
    bad["model"]["merges"] = c.merges;
    expectError("badmerges.json", bad, c.words);
  }
}

TEST(TokenizerJson, MalformedFiles) {
  {
    const std::string path = writeTemp("bad.json", "{\"model\": {\"type\": ");
    TokenizerOrError t = Tokenizer::fromTokenizerJson(path);
    std::remove(path.c_str());
    ASSERT_FALSE(t);
    EXPECT_NE(t.error.find(path + ": not valid JSON: "), std::string::npos)
        << t.error;
    EXPECT_NE(t.error.find("line 1"), std::string::npos) << t.error;
  }
  {
    const std::string path =
        ::testing::TempDir() + "tern_tokenizer_json_missing.json";
    std::remove(path.c_str());
    TokenizerOrError t = Tokenizer::fromTokenizerJson(path);
    EXPECT_EQ(t.error, path + ": cannot open file: No such file or directory");
  }
  expectError("array.json", json::array({1, 2}), {"not a JSON object"});
  expectError("nomodel.json", json::object({{"version", "1.0"}}),
              {"'model'", "missing"});

  json j = byteTokenizer();
  j["model"]["type"] = "WordPiece";
  expectError("wordpiece.json", j, {"model.type", "WordPiece", "BPE"});
  j["model"].erase("type");
  expectError("notype.json", j, {"model.type is missing"});

  j = byteTokenizer();
  j["model"]["continuing_subword_prefix"] = "##";
  expectError("prefix.json", j, {"model.continuing_subword_prefix", "##"});

  j = byteTokenizer();
  j["model"].erase("vocab");
  expectError("novocab.json", j, {"model.vocab", "missing"});
  j["model"]["vocab"] = json::object();
  expectError("emptyvocab.json", j, {"model.vocab is empty"});

  for (const json &badId : {json(-1), json(1.5), json("7"), json(1 << 24),
                            json(true), json(nullptr)}) {
    j = byteTokenizer();
    j["model"]["vocab"]["ab"] = badId;
    expectError("badid.json", j, {"model.vocab entry 'ab'", "id"});
  }

  j = byteTokenizer({{"ab", 65}}); // 65 is "A"
  expectError("dupid.json", j, {"'A'", "'ab'", "both have id 65"});

  j = byteTokenizer({{"\xC5\x84", 256}}); // U+0144 is not GPT-2 form
  expectError("notgpt2.json", j, {"token 256", "GPT-2"});

  j = byteTokenizer();
  j["model"]["vocab"].erase("A");
  expectError("nobyte.json", j, {"byte 0x41 has no token"});

  j = byteTokenizer();
  j["added_tokens"] = "nope";
  expectError("addednotarray.json", j, {"added_tokens is not an array"});
  j["added_tokens"] = json::array({7});
  expectError("addednotobject.json", j, {"added_tokens[0] is not an object"});
  j["added_tokens"] = json::array({json::object({{"content", "<x>"}})});
  expectError("addednoid.json", j, {"added_tokens[0]", "'id'"});
  j["added_tokens"] = json::array({json::object({{"id", 300}})});
  expectError("addednocontent.json", j, {"added_tokens[0]", "'content'"});
  j["added_tokens"] = json::array(
      {json::object({{"id", 300}, {"content", "<x>"}, {"special", "yes"}})});
  expectError("addedspecial.json", j, {"'special' is not a boolean"});
  j["added_tokens"] =
      json::array({addedToken(300, "<x>", true), addedToken(300, "<y>", true)});
  expectError("addeddup.json", j, {"added_tokens[1]", "id 300 appears twice"});
  j["added_tokens"] = json::array({addedToken(65, "<x>", true)});
  expectError("addedconflict.json", j,
              {"added_tokens[0]", "id 65 is '<x>'", "model.vocab has 'A'"});
  j["added_tokens"] =
      json::array({addedToken(300, "<x>", true), addedToken(301, "<x>", true)});
  expectError("addedsametext.json", j,
              {"special token 301 repeats special token 300"});
}

} // namespace
