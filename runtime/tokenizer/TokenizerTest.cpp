//===- TokenizerTest.cpp - LLaMA-3 BPE: vectors, round trips, errors -----===//
//
// The Llama3* tests need the shared test data (TERN_SHARED_DIR, set by the
// CMake cache variable of the same name); the others build small
// vocabularies of their own.
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/Tokenizer.h"

#include "runtime/tokenizer/Llama3Vectors.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace tern;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

using testdata::readFile;
const std::string &kDataDir = testdata::llama3Dir();
constexpr int kNumVectors = 46; // per the test data's README

bool fileExists(const std::string &path) {
  return std::ifstream(path, std::ios::binary).good();
}

// Independent of the library's own UTF-8 code: a straightforward check of
// well-formed UTF-8 (shortest form, no surrogates, <= U+10FFFF).
bool isValidUtf8(std::string_view s) {
  static const uint32_t minimum[] = {0, 0x80, 0x800, 0x10000};
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t trail;
    uint32_t cp;
    if (b < 0x80) {
      trail = 0, cp = b;
    } else if ((b >> 5) == 6) {
      trail = 1, cp = b & 0x1F;
    } else if ((b >> 4) == 14) {
      trail = 2, cp = b & 0x0F;
    } else if ((b >> 3) == 30) {
      trail = 3, cp = b & 0x07;
    } else {
      return false;
    }
    if (i + trail >= s.size()) // truncated
      return false;
    for (size_t k = 1; k <= trail; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c >> 6) != 2)
        return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < minimum[trail] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += trail + 1;
  }
  return true;
}

std::string base64(std::string_view bytes) {
  static const char *alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16 |
                 uint32_t(uint8_t(bytes[i + 1])) << 8 | uint8_t(bytes[i + 2]);
    for (int k = 3; k >= 0; --k)
      out += alphabet[(v >> (6 * k)) & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16 |
                 uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// The lines of a well-formed rank file holding the 256 single bytes.
std::vector<std::string> byteRankLines() {
  std::vector<std::string> lines;
  for (int b = 0; b < 256; ++b)
    lines.push_back(base64(std::string(1, char(b))) + " " + std::to_string(b));
  return lines;
}

// Writes `lines` (joined with `eol`) to a fresh file in the test temp dir.
std::string writeTemp(const std::string &name,
                      const std::vector<std::string> &lines,
                      const std::string &eol = "\n") {
  // Per process: ctest runs test cases in parallel processes.
  std::string path = ::testing::TempDir() + "tern_tokenizer_" +
                     std::to_string(::getpid()) + "_" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const std::string &l : lines)
    out << l << eol;
  return path;
}

// A vocabulary of the 256 bytes (id = byte value) plus `extra` tokens.
std::vector<std::string> byteVocab(std::vector<std::string> extra = {}) {
  std::vector<std::string> v;
  for (int b = 0; b < 256; ++b)
    v.push_back(std::string(1, char(b)));
  v.insert(v.end(), extra.begin(), extra.end());
  return v;
}

std::vector<TokenId> concat(std::initializer_list<std::vector<TokenId>> parts) {
  std::vector<TokenId> out;
  for (const auto &p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

//===----------------------------------------------------------------------===//
// The LLaMA-3 tokenizer from the shared test data
//===----------------------------------------------------------------------===//

struct Llama3Data {
  std::optional<TokenizerOrError> loaded;
  double loadSeconds = 0;
  std::vector<std::string> inputs;
  std::vector<std::vector<TokenId>> expected;
};

const Llama3Data &llama3Data() {
  static const Llama3Data data = [] {
    Llama3Data d;
    if (!fileExists(kDataDir + "/tokenizer.model"))
      return d;
    auto start = std::chrono::steady_clock::now();
    d.loaded = Tokenizer::fromTiktokenFile(kDataDir + "/tokenizer.model");
    d.loadSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    testdata::Llama3Vectors v = testdata::readLlama3Vectors();
    d.inputs = std::move(v.inputs);
    d.expected = std::move(v.expected);
    return d;
  }();
  return data;
}

class Llama3Test : public ::testing::Test {
protected:
  void SetUp() override {
    const Llama3Data &d = llama3Data();
    if (!d.loaded)
      GTEST_FAIL() << "LLaMA-3 tokenizer test data not found: '" << kDataDir
                   << "/tokenizer.model' does not exist. Configure with "
                      "-DTERN_SHARED_DIR=<folder holding "
                      "testdata/llama3-tokenizer> (now '"
                   << TERN_SHARED_DIR << "').";
    ASSERT_TRUE(d.loaded->ok()) << d.loaded->error;
  }
  const Tokenizer &tok() const { return **llama3Data().loaded; }
  const Llama3Data &data() const { return llama3Data(); }
};

TEST_F(Llama3Test, Vocabulary) {
  const Tokenizer &t = tok();
  std::printf("tokenizer.model loaded in %.3f s (regex JIT: %s)\n",
              data().loadSeconds, t.usesJit() ? "yes" : "no");
  EXPECT_EQ(t.vocabSize(), 128256);
  EXPECT_EQ(t.bosId(), 128000);
  EXPECT_EQ(t.eosId(), 128001);
  EXPECT_EQ(t.eotId(), 128009);
  const std::pair<const char *, TokenId> specials[] = {
      {"<|begin_of_text|>", 128000},
      {"<|end_of_text|>", 128001},
      {"<|reserved_special_token_0|>", 128002},
      {"<|reserved_special_token_1|>", 128003},
      {"<|finetune_right_pad_id|>", 128004},
      {"<|reserved_special_token_2|>", 128005},
      {"<|start_header_id|>", 128006},
      {"<|end_header_id|>", 128007},
      {"<|eom_id|>", 128008},
      {"<|eot_id|>", 128009},
      {"<|python_tag|>", 128010},
      {"<|reserved_special_token_3|>", 128011},
      {"<|reserved_special_token_247|>", 128255}};
  for (auto [name, id] : specials) {
    EXPECT_EQ(t.specialTokenId(name), id) << name;
    EXPECT_EQ(t.tokenBytes(id), name);
    EXPECT_TRUE(t.isSpecial(id)) << name;
  }
  EXPECT_FALSE(t.specialTokenId("<|reserved_special_token_248|>"));
  EXPECT_FALSE(t.isSpecial(127999));
  EXPECT_EQ(t.tokenBytes(0), "!");
  EXPECT_EQ(t.tokenBytes(22691), " Hello");
  EXPECT_EQ(t.tokenId(" Hello"), 22691);
  EXPECT_FALSE(t.tokenId("<|eot_id|>")); // specials are not ordinary tokens
  EXPECT_EQ(t.tokenBytes(-1), "");
  EXPECT_EQ(t.tokenBytes(128256), "");
  EXPECT_EQ(llama3SpecialTokenNames().size(), 256u);
}

TEST_F(Llama3Test, VectorFilesHold46Cases) {
  EXPECT_EQ(data().inputs.size(), size_t(kNumVectors));
  EXPECT_EQ(data().expected.size(), size_t(kNumVectors));
}

// One ctest case per test vector.
class Llama3Vectors : public Llama3Test,
                      public ::testing::WithParamInterface<int> {
protected:
  void SetUp() override {
    Llama3Test::SetUp();
    if (HasFatalFailure())
      return;
    ASSERT_LT(GetParam(), int(data().inputs.size()));
    ASSERT_LT(GetParam(), int(data().expected.size()));
  }
  const std::string &input() const { return data().inputs[GetParam()]; }
};

TEST_P(Llama3Vectors, Encode) {
  EXPECT_EQ(tok().encode(input()), data().expected[GetParam()])
      << "input: '" << input() << "'";
}

TEST_P(Llama3Vectors, RoundTrip) {
  EXPECT_EQ(tok().decode(tok().encode(input())), input());
  EXPECT_EQ(tok().decode(tok().encode(input(), true, true)),
            "<|begin_of_text|>" + input());
}

TEST_P(Llama3Vectors, PreTokenizerPiecesCoverText) {
  std::string joined;
  for (std::string_view piece : tok().preTokenize(input())) {
    EXPECT_FALSE(piece.empty());
    joined += piece;
  }
  EXPECT_EQ(joined, input());
}

INSTANTIATE_TEST_SUITE_P(Vectors, Llama3Vectors,
                         ::testing::Range(0, kNumVectors));

TEST_F(Llama3Test, PreTokenizerSplits) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(tok().preTokenize("Hello world"), (V{"Hello", " world"}));
  EXPECT_EQ(tok().preTokenize("1234567"), (V{"123", "456", "7"}));
  EXPECT_EQ(tok().preTokenize("I'VE   x\n\n"),
            (V{"I", "'VE", "  ", " x", "\n\n"}));
  EXPECT_EQ(tok().preTokenize("a, b!!\n"), (V{"a", ",", " b", "!!\n"}));
  // \s is Unicode White_Space: NBSP, EM SPACE and NEL are, U+180E is not
  // (PCRE2's own \s would take U+180E as space).
  EXPECT_EQ(tok().preTokenize("a\xC2\xA0\xC2\xA0"
                              "b"),
            (V{"a", "\xC2\xA0",
               "\xC2\xA0"
               "b"}));
  EXPECT_EQ(tok().preTokenize("a \xE2\x80\x83"
                              "b\xC2\x85\n"),
            (V{"a", " ",
               "\xE2\x80\x83"
               "b",
               "\xC2\x85\n"}));
  EXPECT_EQ(tok().preTokenize("x\xE1\xA0\x8E|h"),
            (V{"x", "\xE1\xA0\x8E|", "h"}));
}

TEST_F(Llama3Test, SpecialTokenParsing) {
  const Tokenizer &t = tok();
  EXPECT_EQ(t.encode("<|eot_id|>", false, true),
            (std::vector<TokenId>{128009}));
  std::vector<TokenId> plain = t.encode("<|eot_id|>", false, false);
  EXPECT_GT(plain.size(), 1u);
  for (TokenId id : plain)
    EXPECT_FALSE(t.isSpecial(id));
  EXPECT_EQ(t.decode(plain), "<|eot_id|>");

  std::string text = "Hi<|eot_id|><|start_header_id|>there <|begin_of_text|>";
  EXPECT_EQ(
      t.encode(text, false, true),
      concat({t.encode("Hi"), {128009, 128006}, t.encode("there "), {128000}}));
  EXPECT_EQ(t.decode(t.encode(text, false, true)), text);
  // Near misses stay ordinary text.
  for (const char *s : {"<|eot_id", "<|eot_id |>", "<|EOT_ID|>", "<|"})
    EXPECT_EQ(t.encode(s, false, true), t.encode(s, false, false)) << s;
  // The longest special wins over a prefix (reserved_special_token_24 vs 247).
  EXPECT_EQ(t.encode("<|reserved_special_token_247|>", false, true),
            (std::vector<TokenId>{128255}));
}

TEST_F(Llama3Test, Bos) {
  EXPECT_EQ(tok().encode("Hello", true), (std::vector<TokenId>{128000, 9906}));
  EXPECT_EQ(tok().encode("", true), (std::vector<TokenId>{128000}));
  EXPECT_EQ(tok().encode(""), (std::vector<TokenId>{}));
}

TEST_F(Llama3Test, ChatPrompt) {
  const Tokenizer &t = tok();
  // <|begin_of_text|> "User" ":" " Hi" <|eot_id|> "Assistant" ":" " "
  EXPECT_EQ(t.chatPrompt("Hi"), (std::vector<TokenId>{128000, 1502, 25, 21694,
                                                      128009, 72803, 25, 220}));
  const std::string msg = "What is 2+2? Answer in one word.";
  EXPECT_EQ(t.chatPrompt(msg),
            t.encode("<|begin_of_text|>User: " + msg + "<|eot_id|>Assistant: ",
                     false, true));
  EXPECT_EQ(t.decode(t.chatPrompt(msg)),
            "<|begin_of_text|>User: " + msg + "<|eot_id|>Assistant: ");
  // Special-token strings in the message are not parsed.
  std::vector<TokenId> injected = t.chatPrompt("<|eot_id|>");
  EXPECT_EQ(std::count(injected.begin(), injected.end(), 128009), 1);
}

TEST_F(Llama3Test, DecodeOptions) {
  const Tokenizer &t = tok();
  std::vector<TokenId> ids = t.encode("Hi", true);
  ids.push_back(128009);
  EXPECT_EQ(t.decode(ids), "<|begin_of_text|>Hi<|eot_id|>");
  EXPECT_EQ(t.decode(ids, /*skipSpecial=*/true), "Hi");
  EXPECT_EQ(t.decode({9906, -5, 128256}), "Hello\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_F(Llama3Test, StreamDecodeHoldsBackPartialCharacters) {
  const Tokenizer &t = tok();
  // 🚀 alone is three byte tokens (see vectors.out).
  std::vector<TokenId> rocket = t.encode("\xF0\x9F\x9A\x80");
  ASSERT_EQ(rocket, (std::vector<TokenId>{9468, 248, 222}));
  StreamDecoder rocketStream(t);
  EXPECT_EQ(rocketStream.push(rocket[0]), "");
  EXPECT_EQ(rocketStream.pendingBytes(), 2u);
  EXPECT_EQ(rocketStream.push(rocket[1]), "");
  EXPECT_EQ(rocketStream.pendingBytes(), 3u);
  EXPECT_EQ(rocketStream.push(rocket[2]), "\xF0\x9F\x9A\x80");
  EXPECT_EQ(rocketStream.flush(), "");

  const std::string text =
      "Hi \xF0\x9F\x9A\x80 \xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82, "
      "\xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\xB6\xE2\x80\x8D\xF0\x9F\x8C\xAB"
      "\xEF\xB8\x8F \xE1\x9E\x80\xE1\x9E\xB6 ok";
  std::vector<TokenId> ids = t.encode(text, true);
  StreamDecoder stream(t, /*skipSpecial=*/true);
  std::string streamed;
  int heldBack = 0;
  for (TokenId id : ids) {
    std::string chunk = stream.push(id);
    EXPECT_TRUE(isValidUtf8(chunk)) << "token " << id;
    heldBack += chunk.empty() && stream.pendingBytes() > 0;
    streamed += chunk;
  }
  streamed += stream.flush();
  EXPECT_EQ(streamed, text);
  EXPECT_GT(heldBack, 0); // the text does split characters across tokens
}

TEST_F(Llama3Test, RandomRoundTrips) {
  const Tokenizer &t = tok();
  std::mt19937 rng(1234);
  const char *alphabet[] = {"a",
                            "Z",
                            " ",
                            "  ",
                            "\n",
                            "\t",
                            "7",
                            "'s",
                            "'LL",
                            "\xC3\xA9",
                            "\xE4\xBD\xA0",
                            "\xF0\x9F\x98\x80",
                            "!",
                            "<|eot_id|>",
                            "\xFF",
                            "\x80",
                            "\xE4\xBD",
                            "\r\n",
                            "\xC2\xA0"};
  for (int iter = 0; iter < 500; ++iter) {
    std::string s;
    int n = int(rng() % 40);
    for (int i = 0; i < n; ++i)
      s += alphabet[rng() % (sizeof(alphabet) / sizeof(alphabet[0]))];
    EXPECT_EQ(t.decode(t.encode(s)), s);
    EXPECT_EQ(t.decode(t.encode(s, false, true)), s);
  }
  for (int iter = 0; iter < 200; ++iter) {
    std::string s(rng() % 64, '\0');
    for (char &c : s)
      c = char(rng());
    EXPECT_EQ(t.decode(t.encode(s)), s);
  }
}

TEST_F(Llama3Test, LongInputs) {
  const Tokenizer &t = tok();
  std::string letters(200000, 'a'); // one pre-tokenizer piece
  EXPECT_EQ(t.decode(t.encode(letters)), letters);
  std::string spaces(100000, ' ');
  spaces += "x";
  EXPECT_EQ(t.decode(t.encode(spaces)), spaces);
}

TEST_F(Llama3Test, Gpt2FormVocabularyEncodesTheSame) {
  const Tokenizer &t = tok();
  std::vector<std::string> gpt2;
  std::vector<bool> special;
  for (TokenId id = 0; id < t.vocabSize(); ++id) {
    special.push_back(t.isSpecial(id));
    gpt2.push_back(special.back() ? std::string(t.tokenBytes(id))
                                  : bytesToGpt2Unicode(t.tokenBytes(id)));
  }
  EXPECT_EQ(gpt2[220], "\xC4\xA0"); // " " is "Ġ"
  EXPECT_EQ(gpt2[22691], "\xC4\xA0"
                         "Hello"); // " Hello" is "ĠHello"
  TokenizerOrError g = Tokenizer::fromGpt2Vocab(gpt2, special, "gguf");
  ASSERT_TRUE(g) << g.error;
  EXPECT_EQ(g->vocabSize(), t.vocabSize());
  EXPECT_EQ(g->bosId(), 128000);
  EXPECT_EQ(g->eotId(), 128009);
  for (int i = 0; i < int(data().inputs.size()); ++i)
    EXPECT_EQ(g->encode(data().inputs[i]), data().expected[i]) << "case " << i;
  EXPECT_EQ(g->chatPrompt("Hi"), t.chatPrompt("Hi"));
}

//===----------------------------------------------------------------------===//
// Small vocabularies (no test data needed)
//===----------------------------------------------------------------------===//

TEST(TokenizerBpe, MergesLowestRankFirst) {
  // ids: bytes 0..255, then "bc" 256, "ab" 257, "abc" 258, "aa" 259
  TokenizerOrError t =
      Tokenizer::fromVocab(byteVocab({"bc", "ab", "abc", "aa"}), {});
  ASSERT_TRUE(t) << t.error;
  EXPECT_EQ(t->vocabSize(), 260);
  EXPECT_EQ(t->bosId(), -1);
  EXPECT_EQ(t->encode("abc"), (std::vector<TokenId>{258})); // whole piece
  // "abcd": bc (256) beats ab (257): a|bc|d, then a+bc = "abc" (258).
  EXPECT_EQ(t->encode("abcd"), (std::vector<TokenId>{258, 'd'}));
  // "xabd": only ab merges.
  EXPECT_EQ(t->encode("xabd"), (std::vector<TokenId>{'x', 257, 'd'}));
  // Ties go to the leftmost pair: aaa -> aa|a, aaaaa -> aa|aa|a.
  EXPECT_EQ(t->encode("aaa"), (std::vector<TokenId>{259, 'a'}));
  EXPECT_EQ(t->encode("aaaaa"), (std::vector<TokenId>{259, 259, 'a'}));
  // Pieces are merged separately: " ab" is one piece, "ab" in "ab,ab" two.
  EXPECT_EQ(t->encode("ab,ab"), (std::vector<TokenId>{257, ',', 257}));
  EXPECT_EQ(t->encode(" ab"), (std::vector<TokenId>{' ', 257}));
}

TEST(TokenizerBpe, MergeOrderDependsOnRankNotPosition) {
  // "ab" 256 < "bc" 257; "abc" is not a token, "bcd" 258 is.
  // "abcd" -> ab|c|d (ab wins over bc), no further merges: no "bcd" result.
  TokenizerOrError t = Tokenizer::fromVocab(byteVocab({"ab", "bc", "bcd"}), {});
  ASSERT_TRUE(t) << t.error;
  EXPECT_EQ(t->encode("abcd"), (std::vector<TokenId>{256, 'c', 'd'}));
  EXPECT_EQ(t->encode("xbcd"), (std::vector<TokenId>{'x', 258}));
}

TEST(TokenizerBpe, SpecialTokensOfASmallVocabulary) {
  std::vector<std::string> v = byteVocab({"<s>", "<|eot_id|>", "<ss>"});
  std::vector<bool> special(v.size(), false);
  special[256] = special[257] = special[258] = true;
  TokenizerOrError t = Tokenizer::fromVocab(v, special);
  ASSERT_TRUE(t) << t.error;
  EXPECT_EQ(t->eotId(), 257);
  EXPECT_EQ(t->specialTokenId("<s>"), 256);
  EXPECT_EQ(t->encode("<s><ss>x<|eot_id|>", false, true),
            (std::vector<TokenId>{256, 258, 'x', 257}));
  // Without parsing they are plain bytes ("<s>" pre-tokenizes as "<", "s",
  // ">").
  EXPECT_EQ(t->encode("<s>"), (std::vector<TokenId>{'<', 's', '>'}));
}

TEST(TokenizerBpe, InvalidUtf8RoundTrips) {
  TokenizerOrError t = Tokenizer::fromVocab(byteVocab({"ab"}), {});
  ASSERT_TRUE(t) << t.error;
  const std::string s = "\xFF\xFE"
                        "ab \x80x\xE4\xBD";
  std::string joined;
  for (std::string_view p : t->preTokenize(s))
    joined += p;
  EXPECT_EQ(joined, s);
  EXPECT_EQ(t->decode(t->encode(s)), s);
}

TEST(TokenizerBpe, CopiesShareTheVocabulary) {
  std::optional<Tokenizer> copy;
  {
    TokenizerOrError t = Tokenizer::fromVocab(byteVocab({"ab"}), {});
    ASSERT_TRUE(t) << t.error;
    copy = *t;
  }
  EXPECT_EQ(copy->encode("ab"), (std::vector<TokenId>{256}));
}

TEST(StreamDecoder, InvalidBytesBecomeReplacementCharacters) {
  TokenizerOrError t = Tokenizer::fromVocab(byteVocab(), {});
  ASSERT_TRUE(t) << t.error;
  const std::string fffd(kReplacementChar);
  StreamDecoder d(*t);
  // A 4-byte lead and one continuation, then ASCII: the partial character
  // is ill-formed (one U+FFFD for the maximal subpart), then "A".
  EXPECT_EQ(d.push(0xF0), "");
  EXPECT_EQ(d.push(0x9F), "");
  EXPECT_EQ(d.push('A'), fffd + "A");
  // Bytes that can never start a character.
  EXPECT_EQ(d.push(0xFF), fffd);
  EXPECT_EQ(d.push(0x80), fffd);
  // Overlong (C0) and surrogate (ED A0) forms.
  EXPECT_EQ(d.push(0xC0), fffd);
  EXPECT_EQ(d.push(0xED), "");
  EXPECT_EQ(d.push(0xA0), fffd + fffd);
  // A truncated character at the end of the stream.
  EXPECT_EQ(d.push(0xE4), "");
  EXPECT_EQ(d.push(0xBD), "");
  EXPECT_EQ(d.pendingBytes(), 2u);
  EXPECT_EQ(d.flush(), fffd);
  EXPECT_EQ(d.pendingBytes(), 0u);
  // An id outside the vocabulary.
  EXPECT_EQ(d.push(999), fffd);
  // After a flush the decoder starts afresh.
  EXPECT_EQ(d.push(0xC3), "");
  EXPECT_EQ(d.push(0xA9), "\xC3\xA9");
}

TEST(Gpt2Bytes, AllBytesRoundTrip) {
  std::vector<bool> seen(0x200, false);
  for (int b = 0; b < 256; ++b) {
    char32_t cp = gpt2ByteToCodePoint(uint8_t(b));
    ASSERT_LT(cp, char32_t(0x144)) << b;
    EXPECT_FALSE(seen[cp]) << "code point used twice: " << uint32_t(cp);
    seen[cp] = true;
    std::string one(1, char(b));
    std::string text = bytesToGpt2Unicode(one);
    EXPECT_TRUE(isValidUtf8(text));
    EXPECT_EQ(gpt2UnicodeToBytes(text), one) << b;
  }
  std::string all;
  for (int b = 0; b < 256; ++b)
    all += char(b);
  EXPECT_EQ(gpt2UnicodeToBytes(bytesToGpt2Unicode(all)), all);
}

TEST(Gpt2Bytes, KnownCodePoints) {
  EXPECT_EQ(gpt2ByteToCodePoint('!'), U'!');
  EXPECT_EQ(gpt2ByteToCodePoint('~'), U'~');
  EXPECT_EQ(gpt2ByteToCodePoint(0x00), char32_t(0x100));
  EXPECT_EQ(gpt2ByteToCodePoint('\n'), char32_t(0x10A)); // Ċ
  EXPECT_EQ(gpt2ByteToCodePoint(' '), char32_t(0x120));  // Ġ
  EXPECT_EQ(gpt2ByteToCodePoint(0x7F), char32_t(0x121));
  EXPECT_EQ(gpt2ByteToCodePoint(0xA0), char32_t(0x142));
  EXPECT_EQ(gpt2ByteToCodePoint(0xA1), char32_t(0xA1));  // ¡
  EXPECT_EQ(gpt2ByteToCodePoint(0xAD), char32_t(0x143)); // soft hyphen
  EXPECT_EQ(gpt2ByteToCodePoint(0xFF), char32_t(0xFF));
  EXPECT_EQ(bytesToGpt2Unicode(" Hello\n"), "\xC4\xA0Hello\xC4\x8A");
}

TEST(Gpt2Bytes, RejectsTextOutsideTheTable) {
  EXPECT_EQ(gpt2UnicodeToBytes(" "), std::nullopt);        // raw space
  EXPECT_EQ(gpt2UnicodeToBytes("\xC5\x84"), std::nullopt); // U+0144
  EXPECT_EQ(gpt2UnicodeToBytes("\xE4\xBD\xA0"), std::nullopt);
  EXPECT_EQ(gpt2UnicodeToBytes("\xFF"), std::nullopt); // not UTF-8
  EXPECT_EQ(gpt2UnicodeToBytes("\xC4"), std::nullopt); // truncated
  EXPECT_EQ(gpt2UnicodeToBytes(""), std::string());
}

TEST(Gpt2Vocab, ConvertsOrdinaryTokensAndKeepsSpecialsVerbatim) {
  std::vector<std::string> v;
  for (int b = 0; b < 256; ++b)
    v.push_back(bytesToGpt2Unicode(std::string(1, char(b))));
  v.push_back("\xC4\xA0"
              "a");                 // "Ġa" = " a"
  v.push_back("<|begin_of_text|>"); // special, verbatim
  std::vector<bool> special(v.size(), false);
  special.back() = true;
  TokenizerOrError t = Tokenizer::fromGpt2Vocab(v, special, "test.gguf");
  ASSERT_TRUE(t) << t.error;
  EXPECT_EQ(t->tokenBytes(256), " a");
  EXPECT_EQ(t->bosId(), 257);
  EXPECT_EQ(t->encode("x a", true), (std::vector<TokenId>{257, 'x', 256}));

  v[256] = " a"; // raw space: not GPT-2 form
  TokenizerOrError bad = Tokenizer::fromGpt2Vocab(v, special, "test.gguf");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error.find("test.gguf: token 256"), std::string::npos)
      << bad.error;
}

TEST(TokenizerErrors, BadVocabularies) {
  TokenizerOrError empty = Tokenizer::fromVocab({}, {}, "v.json");
  EXPECT_EQ(empty.error, "v.json: no tokens");

  TokenizerOrError missingByte = Tokenizer::fromVocab({"a", "b"}, {}, "v.json");
  EXPECT_EQ(missingByte.error,
            "v.json: byte 0x00 has no token (a byte-level BPE needs all 256 "
            "bytes)");

  TokenizerOrError emptyToken = Tokenizer::fromVocab(byteVocab({""}), {}, "v");
  EXPECT_EQ(emptyToken.error, "v: token 256 is empty");

  std::vector<std::string> v = byteVocab({"<x>", "<x>"});
  std::vector<bool> special(v.size(), false);
  special[256] = special[257] = true;
  TokenizerOrError dupSpecial = Tokenizer::fromVocab(v, special, "v");
  EXPECT_EQ(dupSpecial.error,
            "v: special token 257 repeats special token 256 ('<x>')");

  // Repeated ordinary bytes are allowed in a generic vocabulary.
  TokenizerOrError dupOrdinary =
      Tokenizer::fromVocab(byteVocab({"ab", "ab"}), {});
  ASSERT_TRUE(dupOrdinary) << dupOrdinary.error;
  EXPECT_EQ(dupOrdinary->tokenId("ab"), 256);
}

//===----------------------------------------------------------------------===//
// tiktoken rank files
//===----------------------------------------------------------------------===//

TEST(TiktokenFile, SmallFileLoads) {
  std::vector<std::string> lines = byteRankLines();
  lines.push_back(base64("ab") + " 256");
  lines.insert(lines.begin() + 100, ""); // empty lines are skipped
  std::string path = writeTemp("small.model", lines, "\r\n");
  TokenizerOrError t = Tokenizer::fromTiktokenFile(path);
  ASSERT_TRUE(t) << t.error;
  EXPECT_EQ(t->vocabSize(), 257 + 256);
  EXPECT_EQ(t->bosId(), 257); // specials follow the ranks
  EXPECT_EQ(t->eosId(), 258);
  EXPECT_EQ(t->eotId(), 266);
  EXPECT_EQ(t->specialTokenId("<|reserved_special_token_247|>"), 512);
  EXPECT_EQ(t->encode("abc<|eot_id|>", true, true),
            (std::vector<TokenId>{257, 256, 'c', 266}));
}

// Loads `lines` as a rank file; expects an error equal to
// "<path>" + `suffix`.
void expectRankFileError(const std::string &name,
                         const std::vector<std::string> &lines,
                         const std::string &suffix) {
  std::string path = writeTemp(name, lines);
  TokenizerOrError t = Tokenizer::fromTiktokenFile(path);
  EXPECT_FALSE(t);
  EXPECT_EQ(t.error, path + suffix);
}

TEST(TiktokenFile, BadBase64) {
  std::vector<std::string> lines = byteRankLines();
  lines[16] = "!!!! 16";
  expectRankFileError("bad_b64_1.model", lines, " line 17: bad base64");
  lines[16] = "EA= 16"; // length not a multiple of 4
  expectRankFileError("bad_b64_2.model", lines, " line 17: bad base64");
  lines[16] = "E=A= 16"; // padding inside
  expectRankFileError("bad_b64_3.model", lines, " line 17: bad base64");
  lines[16] = " 16"; // nothing before the rank
  expectRankFileError("bad_b64_4.model", lines, " line 17: bad base64");
}

TEST(TiktokenFile, MissingOrBadRank) {
  std::vector<std::string> lines = byteRankLines();
  lines[4] = base64("\x04");
  expectRankFileError("no_rank.model", lines,
                      " line 5: missing rank (expected '<base64> <rank>')");
  lines[4] = base64("\x04") + " ";
  expectRankFileError("empty_rank.model", lines, " line 5: bad rank ''");
  lines[4] = base64("\x04") + " 4x";
  expectRankFileError("bad_rank.model", lines, " line 5: bad rank '4x'");
  lines[4] = base64("\x04") + " -4";
  expectRankFileError("neg_rank.model", lines, " line 5: bad rank '-4'");
  lines[4] = base64("\x04") + " 99999999999";
  expectRankFileError("huge_rank.model", lines,
                      " line 5: bad rank '99999999999'");
}

TEST(TiktokenFile, NonConsecutiveOrDuplicateRank) {
  std::vector<std::string> lines = byteRankLines();
  lines[9] = base64("\x09") + " 11";
  expectRankFileError("gap.model", lines,
                      " line 10: rank 11 is not consecutive (expected 9)");
  lines[9] = base64("\x09") + " 3";
  expectRankFileError("dup_rank.model", lines,
                      " line 10: duplicate rank 3 (first on line 4)");
}

TEST(TiktokenFile, DuplicateTokenBytes) {
  std::vector<std::string> lines = byteRankLines();
  lines.push_back(base64("ab") + " 256");
  lines.push_back(base64("ab") + " 257");
  expectRankFileError(
      "dup_bytes.model", lines,
      " line 258: token of rank 257 repeats the bytes of rank 256 (line 257)");
}

TEST(TiktokenFile, MissingByteToken) {
  std::vector<std::string> lines = byteRankLines();
  lines.pop_back();
  expectRankFileError("no_ff.model", lines,
                      ": byte 0xFF has no token (a byte-level BPE needs all "
                      "256 bytes)");
}

TEST(TiktokenFile, EmptyFile) {
  expectRankFileError("empty.model", {}, ": no tokens");
}

TEST(TiktokenFile, MissingFile) {
  std::string path = ::testing::TempDir() + "tern_tokenizer_does_not_exist";
  std::remove(path.c_str());
  TokenizerOrError t = Tokenizer::fromTiktokenFile(path);
  EXPECT_FALSE(t);
  EXPECT_EQ(t.error, path + ": cannot open file: No such file or directory");
}

} // namespace
