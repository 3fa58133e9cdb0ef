//===- Tokenizer.cpp - LLaMA-3 byte-level BPE tokenizer -------------------===//
//
// Vocabulary loading (tiktoken rank file, GPT-2-form token lists), the
// PCRE2 pre-tokenizer and the BPE merge loop. See Tokenizer.h.
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/Tokenizer.h"

#ifndef TERN_NO_PCRE2
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#else
struct pcre2_code; // Never created: this build has no regex engine.
#endif

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <functional>
#include <queue>
#include <sstream>
#include <unordered_map>

namespace tern {

// Everything a tokenizer shares between its copies. Built once, then never
// moved or changed: the hash maps hold string_views into `blob`.
struct Tokenizer::Impl {
  std::string blob;             // all token bytes back to back
  std::vector<size_t> offsets;  // token id -> [offsets[id], offsets[id + 1])
  std::vector<uint8_t> special; // token id -> 1 if special
  std::unordered_map<std::string_view, TokenId> ordinary; // bytes -> lowest id
  std::unordered_map<std::string_view, TokenId> specialByText;
  std::vector<TokenId> specialsLongestFirst; // candidates for parseSpecial
  std::array<bool, 256> specialFirstByte{};  // some special starts with it
  std::array<TokenId, 256> byteToken{};      // single byte -> its token
  pcre2_code *regex = nullptr;
  bool jit = false;

  Impl() = default;
  Impl(const Impl &) = delete;
  Impl &operator=(const Impl &) = delete;
  ~Impl() {
#ifndef TERN_NO_PCRE2
    if (regex)
      pcre2_code_free(regex);
#endif
  }

  int32_t size() const { return static_cast<int32_t>(special.size()); }
  std::string_view bytes(TokenId id) const {
    return std::string_view(blob).substr(offsets[id],
                                         offsets[id + 1] - offsets[id]);
  }
};

namespace {

// The LLaMA-3 pre-tokenizer (tiktoken's cl100k-style pattern with digits in
// groups of up to three):
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//    ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// spelled with \p{White_Space} for \s: the reference implementations
// (tiktoken, Hugging Face tokenizers, llama.cpp) take \s to be Unicode's
// White_Space property, while PCRE2's \s also matches U+180E (MONGOLIAN
// VOWEL SEPARATOR, no longer White_Space since Unicode 6.3).
constexpr const char *kPreTokenizerPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d))"
    R"(|[^\r\n\p{L}\p{N}]?\p{L}+)"
    R"(|\p{N}{1,3})"
    R"(| ?[^\p{White_Space}\p{L}\p{N}]+[\r\n]*)"
    R"(|\p{White_Space}*[\r\n]+)"
    R"(|\p{White_Space}+(?!\P{White_Space}))"
    R"(|\p{White_Space}+)";

// Compiles the pre-tokenizer. PCRE2_MATCH_INVALID_UTF lets the regex run on
// text that is not valid UTF-8: ill-formed bytes simply never match.
std::string compileRegex(Tokenizer::Impl &impl) {
#ifdef TERN_NO_PCRE2
  (void)impl; // canEncode() says the tokenizer cannot encode text.
  return "";
#else
  int code = 0;
  PCRE2_SIZE offset = 0;
  impl.regex = pcre2_compile(
      reinterpret_cast<PCRE2_SPTR>(kPreTokenizerPattern), PCRE2_ZERO_TERMINATED,
      PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &code, &offset, nullptr);
  if (!impl.regex) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(code, message, sizeof(message));
    return "cannot compile the pre-tokenizer regex at offset " +
           std::to_string(offset) + ": " + reinterpret_cast<char *>(message);
  }
  impl.jit = pcre2_jit_compile(impl.regex, PCRE2_JIT_COMPLETE) == 0;
  return "";
#endif
}

// Calls `onPiece(begin, end)` for each pre-tokenizer piece of `text`, in
// order; the pieces cover `text` exactly.
template <typename OnPiece>
void forEachPiece(const Tokenizer::Impl &impl, std::string_view text,
                  OnPiece &&onPiece) {
  if (text.empty())
    return;
#ifdef TERN_NO_PCRE2
  // Unreachable through callers that respect canEncode(); lossless anyway.
  (void)impl;
  onPiece(size_t(0), text.size());
#else
  std::unique_ptr<pcre2_match_data, void (*)(pcre2_match_data *)> match(
      pcre2_match_data_create_from_pattern(impl.regex, nullptr),
      pcre2_match_data_free);
  const auto *subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t pos = 0;
  while (pos < text.size()) {
    int rc = pcre2_match(impl.regex, subject, text.size(), pos, 0, match.get(),
                         nullptr);
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH && impl.jit) {
      // E.g. the JIT's small default stack ran out: use the interpreter.
      rc = pcre2_match(impl.regex, subject, text.size(), pos, PCRE2_NO_JIT,
                       match.get(), nullptr);
    }
    if (rc < 0) {
      // No further match: the rest is ill-formed UTF-8 (or, should a match
      // limit ever be hit, unsplit text). Either way BPE still encodes it
      // losslessly.
      onPiece(pos, text.size());
      return;
    }
    const PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(match.get());
    size_t begin = ovector[0], end = ovector[1];
    if (begin > pos)
      onPiece(pos, begin); // a run of ill-formed bytes the regex skipped
    if (end <= begin)      // no alternative matches empty; be safe anyway
      end = begin + 1;
    onPiece(begin, end);
    pos = end;
  }
#endif
}

// Strict standard base64 (RFC 4648 alphabet, '=' padding, length a
// multiple of 4). Returns false on anything else.
bool decodeBase64(std::string_view in, std::string &out) {
  static const std::array<int8_t, 256> value = [] {
    std::array<int8_t, 256> v;
    v.fill(-1);
    const char *alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i)
      v[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
    return v;
  }();
  out.clear();
  if (in.empty() || in.size() % 4 != 0)
    return false;
  size_t padding = 0;
  if (in.back() == '=')
    padding = in[in.size() - 2] == '=' ? 2 : 1;
  const size_t dataChars = in.size() - padding;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < dataChars; ++i) {
    int8_t v = value[static_cast<uint8_t>(in[i])];
    if (v < 0)
      return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  // Leftover bits must be zero padding (canonical encoding).
  return (acc & ((1u << bits) - 1)) == 0;
}

// Parses a non-negative decimal rank that fits a TokenId.
bool parseRank(std::string_view s, int64_t &rank) {
  if (s.empty() || s.size() > 10)
    return false;
  rank = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    rank = rank * 10 + (c - '0');
  }
  return rank <= INT32_MAX - kLlama3NumSpecialTokens;
}

std::string hexByte(unsigned b) {
  const char *digits = "0123456789ABCDEF";
  return std::string("0x") + digits[b >> 4] + digits[b & 15];
}

TokenizerOrError failure(std::string message) {
  TokenizerOrError result;
  result.error = std::move(message);
  return result;
}

// `onDuplicate(first, dup)` decides what ordinary tokens with equal bytes
// mean: an error message, or "" to keep the lowest id.
using DuplicateHandler = std::function<std::string(TokenId, TokenId)>;

} // namespace

std::vector<std::string> llama3SpecialTokenNames() {
  std::vector<std::string> names = {"<|begin_of_text|>",
                                    "<|end_of_text|>",
                                    "<|reserved_special_token_0|>",
                                    "<|reserved_special_token_1|>",
                                    "<|finetune_right_pad_id|>",
                                    "<|reserved_special_token_2|>",
                                    "<|start_header_id|>",
                                    "<|end_header_id|>",
                                    "<|eom_id|>",
                                    "<|eot_id|>",
                                    "<|python_tag|>"};
  for (int n = 3; names.size() < kLlama3NumSpecialTokens; ++n)
    names.push_back("<|reserved_special_token_" + std::to_string(n) + "|>");
  return names;
}

Tokenizer::Tokenizer(std::shared_ptr<const Impl> impl)
    : impl_(std::move(impl)) {
  bos_ = specialTokenId("<|begin_of_text|>").value_or(-1);
  eos_ = specialTokenId("<|end_of_text|>").value_or(-1);
  eot_ = specialTokenId("<|eot_id|>").value_or(-1);
}

// The common constructor behind all factories: on success sets `out` and
// returns "", else returns the error.
static std::string buildTokenizer(std::vector<std::string> tokens,
                                  const std::vector<bool> &isSpecial,
                                  const std::string &origin,
                                  const DuplicateHandler &onDuplicate,
                                  std::shared_ptr<Tokenizer::Impl> &out) {
  if (tokens.empty())
    return origin + ": no tokens";
  if (tokens.size() > static_cast<size_t>(INT32_MAX))
    return origin + ": too many tokens";
  auto impl = std::make_shared<Tokenizer::Impl>();
  const auto n = static_cast<TokenId>(tokens.size());

  size_t total = 0;
  for (const std::string &t : tokens)
    total += t.size();
  impl->blob.reserve(total);
  impl->offsets.reserve(tokens.size() + 1);
  impl->special.resize(tokens.size(), 0);
  for (TokenId id = 0; id < n; ++id) {
    impl->offsets.push_back(impl->blob.size());
    impl->blob += tokens[id];
    std::string().swap(tokens[id]); // free as we go
    if (static_cast<size_t>(id) < isSpecial.size() && isSpecial[id])
      impl->special[id] = 1;
  }
  impl->offsets.push_back(impl->blob.size());

  impl->ordinary.reserve(tokens.size());
  for (TokenId id = 0; id < n; ++id) {
    std::string_view bytes = impl->bytes(id);
    const char *kind = impl->special[id] ? "special token " : "token ";
    if (bytes.empty())
      return origin + ": " + kind + std::to_string(id) + " is empty";
    if (impl->special[id]) {
      auto [it, inserted] = impl->specialByText.emplace(bytes, id);
      if (!inserted)
        return origin + ": special token " + std::to_string(id) +
               " repeats special token " + std::to_string(it->second) + " ('" +
               std::string(bytes) + "')";
      impl->specialsLongestFirst.push_back(id);
      impl->specialFirstByte[static_cast<uint8_t>(bytes[0])] = true;
      continue;
    }
    auto [it, inserted] = impl->ordinary.emplace(bytes, id);
    if (!inserted && onDuplicate) {
      std::string message = onDuplicate(it->second, id);
      if (!message.empty())
        return message;
    }
  }
  for (unsigned b = 0; b < 256; ++b) {
    const char byte = static_cast<char>(b);
    auto found = impl->ordinary.find(std::string_view(&byte, 1));
    if (found == impl->ordinary.end())
      return origin + ": byte " + hexByte(b) +
             " has no token (a byte-level BPE needs all 256 bytes)";
    impl->byteToken[b] = found->second;
  }
  std::stable_sort(impl->specialsLongestFirst.begin(),
                   impl->specialsLongestFirst.end(), [&](TokenId a, TokenId b) {
                     return impl->bytes(a).size() > impl->bytes(b).size();
                   });
  std::string error = compileRegex(*impl);
  if (!error.empty())
    return origin + ": " + error;
  out = std::move(impl);
  return "";
}

TokenizerOrError Tokenizer::fromVocab(std::vector<std::string> tokens,
                                      const std::vector<bool> &isSpecial,
                                      const std::string &origin) {
  std::shared_ptr<Impl> impl;
  std::string error =
      buildTokenizer(std::move(tokens), isSpecial, origin, nullptr, impl);
  if (!impl)
    return failure(std::move(error));
  TokenizerOrError result;
  result.tokenizer = Tokenizer(std::move(impl));
  return result;
}

TokenizerOrError Tokenizer::fromTiktokenFile(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return failure(path + ": cannot open file: " + std::strerror(errno));
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad())
    return failure(path + ": read error");
  const std::string text = std::move(contents).str();

  std::vector<std::string> tokens;
  std::vector<size_t> lineOfRank; // for error messages
  tokens.reserve(
      static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1 +
      kLlama3NumSpecialTokens);
  size_t lineNo = 0;
  for (size_t start = 0; start < text.size();) {
    size_t newline = text.find('\n', start);
    if (newline == std::string::npos)
      newline = text.size();
    std::string_view line(text.data() + start, newline - start);
    start = newline + 1;
    ++lineNo;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.empty())
      continue;
    const std::string where = path + " line " + std::to_string(lineNo) + ": ";
    size_t space = line.find(' ');
    if (space == std::string_view::npos)
      return failure(where + "missing rank (expected '<base64> <rank>')");
    std::string_view base64 = line.substr(0, space);
    std::string_view rankText = line.substr(space + 1);
    int64_t rank = 0;
    if (!parseRank(rankText, rank))
      return failure(where + "bad rank '" + std::string(rankText) + "'");
    std::string bytes;
    if (!decodeBase64(base64, bytes))
      return failure(where + "bad base64");
    const auto expected = static_cast<int64_t>(tokens.size());
    if (rank < expected)
      return failure(where + "duplicate rank " + std::to_string(rank) +
                     " (first on line " + std::to_string(lineOfRank[rank]) +
                     ")");
    if (rank > expected)
      return failure(where + "rank " + std::to_string(rank) +
                     " is not consecutive (expected " +
                     std::to_string(expected) + ")");
    tokens.push_back(std::move(bytes));
    lineOfRank.push_back(lineNo);
  }
  if (tokens.empty())
    return failure(path + ": no tokens");

  const size_t numRanks = tokens.size();
  for (std::string &name : llama3SpecialTokenNames())
    tokens.push_back(std::move(name));
  std::vector<bool> isSpecial(tokens.size(), false);
  std::fill(isSpecial.begin() + static_cast<ptrdiff_t>(numRanks),
            isSpecial.end(), true);

  std::shared_ptr<Impl> impl;
  std::string error = buildTokenizer(
      std::move(tokens), isSpecial, path,
      [&](TokenId first, TokenId dup) {
        return path + " line " + std::to_string(lineOfRank[dup]) +
               ": token of rank " + std::to_string(dup) +
               " repeats the bytes of rank " + std::to_string(first) +
               " (line " + std::to_string(lineOfRank[first]) + ")";
      },
      impl);
  if (!impl)
    return failure(std::move(error));
  TokenizerOrError result;
  result.tokenizer = Tokenizer(std::move(impl));
  return result;
}

TokenizerOrError
Tokenizer::fromGpt2Vocab(const std::vector<std::string> &tokens,
                         const std::vector<bool> &isSpecial,
                         const std::string &origin) {
  std::vector<std::string> raw;
  raw.reserve(tokens.size());
  for (size_t id = 0; id < tokens.size(); ++id) {
    if (id < isSpecial.size() && isSpecial[id]) {
      raw.push_back(tokens[id]);
      continue;
    }
    std::optional<std::string> bytes = gpt2UnicodeToBytes(tokens[id]);
    if (!bytes)
      return failure(origin + ": token " + std::to_string(id) + " ('" +
                     tokens[id] + "') is not in GPT-2 bytes-to-unicode form");
    raw.push_back(std::move(*bytes));
  }
  return fromVocab(std::move(raw), isSpecial, origin);
}

void Tokenizer::appendBpe(std::string_view piece,
                          std::vector<TokenId> &out) const {
  const Impl &impl = *impl_;
  if (piece.empty())
    return;
  if (auto it = impl.ordinary.find(piece); it != impl.ordinary.end()) {
    out.push_back(it->second);
    return;
  }
  // Symbols start as single bytes; symbol i covers piece[i, i + len[i]) and
  // is token tok[i]. A merged-away symbol has len 0. next/prev link the
  // live symbols.
  const auto n = static_cast<int32_t>(piece.size());
  std::vector<int32_t> len(n, 1), prev(n), next(n);
  std::vector<TokenId> tok(n);
  for (int32_t i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
    tok[i] = impl.byteToken[static_cast<uint8_t>(piece[i])];
  }
  // Candidate merges, lowest rank first, then leftmost. A candidate is
  // stale once its left symbol died or its pair no longer spans `size`.
  struct Candidate {
    TokenId rank;
    int32_t left, size;
    bool operator>(const Candidate &o) const {
      return rank != o.rank ? rank > o.rank : left > o.left;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto consider = [&](int32_t left) {
    int32_t right = next[left];
    if (right < 0)
      return;
    int32_t size = len[left] + len[right];
    auto it = impl.ordinary.find(piece.substr(left, size));
    if (it != impl.ordinary.end())
      heap.push({it->second, left, size});
  };
  for (int32_t i = 0; i + 1 < n; ++i)
    consider(i);
  while (!heap.empty()) {
    Candidate c = heap.top();
    heap.pop();
    int32_t right = len[c.left] ? next[c.left] : -1;
    if (right < 0 || len[c.left] + len[right] != c.size)
      continue;
    // Equal span from the same start means the same bytes, so the same
    // token and rank: the candidate is current.
    len[c.left] = c.size;
    tok[c.left] = c.rank;
    len[right] = 0;
    next[c.left] = next[right];
    if (next[right] >= 0)
      prev[next[right]] = c.left;
    if (prev[c.left] >= 0)
      consider(prev[c.left]);
    consider(c.left);
  }
  for (int32_t i = 0; i >= 0; i = next[i])
    out.push_back(tok[i]);
}

void Tokenizer::appendText(std::string_view text,
                           std::vector<TokenId> &out) const {
  forEachPiece(*impl_, text, [&](size_t begin, size_t end) {
    appendBpe(text.substr(begin, end - begin), out);
  });
}

std::vector<std::string_view>
Tokenizer::preTokenize(std::string_view text) const {
  std::vector<std::string_view> pieces;
  forEachPiece(*impl_, text, [&](size_t begin, size_t end) {
    pieces.push_back(text.substr(begin, end - begin));
  });
  return pieces;
}

std::vector<TokenId> Tokenizer::encode(std::string_view text, bool addBos,
                                       bool parseSpecial) const {
  const Impl &impl = *impl_;
  std::vector<TokenId> out;
  out.reserve(text.size() / 3 + 2);
  if (addBos && bos_ >= 0)
    out.push_back(bos_);
  if (!parseSpecial || impl.specialsLongestFirst.empty()) {
    appendText(text, out);
    return out;
  }
  size_t segment = 0; // start of the ordinary text not yet encoded
  for (size_t pos = 0; pos < text.size();) {
    TokenId hit = -1;
    if (impl.specialFirstByte[static_cast<uint8_t>(text[pos])]) {
      for (TokenId id : impl.specialsLongestFirst) {
        std::string_view s = impl.bytes(id);
        if (text.substr(pos, s.size()) == s) {
          hit = id;
          break;
        }
      }
    }
    if (hit < 0) {
      ++pos;
      continue;
    }
    appendText(text.substr(segment, pos - segment), out);
    out.push_back(hit);
    pos += impl.bytes(hit).size();
    segment = pos;
  }
  appendText(text.substr(segment), out);
  return out;
}

std::string Tokenizer::decode(const std::vector<TokenId> &ids,
                              bool skipSpecial) const {
  const Impl &impl = *impl_;
  std::string out;
  for (TokenId id : ids) {
    if (id < 0 || id >= impl.size())
      out.append(kReplacementChar);
    else if (!(skipSpecial && impl.special[id]))
      out.append(impl.bytes(id));
  }
  return out;
}

std::vector<TokenId> Tokenizer::chatPrompt(std::string_view userMessage) const {
  std::vector<TokenId> out;
  if (bos_ >= 0)
    out.push_back(bos_);
  std::string user = "User: ";
  user.append(userMessage);
  appendText(user, out);
  if (eot_ >= 0)
    out.push_back(eot_);
  appendText("Assistant: ", out);
  return out;
}

int32_t Tokenizer::vocabSize() const { return impl_->size(); }

std::string_view Tokenizer::tokenBytes(TokenId id) const {
  if (id < 0 || id >= impl_->size())
    return {};
  return impl_->bytes(id);
}

bool Tokenizer::isSpecial(TokenId id) const {
  return id >= 0 && id < impl_->size() && impl_->special[id];
}

std::optional<TokenId> Tokenizer::specialTokenId(std::string_view name) const {
  auto it = impl_->specialByText.find(name);
  if (it == impl_->specialByText.end())
    return std::nullopt;
  return it->second;
}

std::optional<TokenId> Tokenizer::tokenId(std::string_view bytes) const {
  auto it = impl_->ordinary.find(bytes);
  if (it == impl_->ordinary.end())
    return std::nullopt;
  return it->second;
}

bool Tokenizer::usesJit() const { return impl_->jit; }

bool Tokenizer::canEncode() const { return impl_->regex != nullptr; }

} // namespace tern
