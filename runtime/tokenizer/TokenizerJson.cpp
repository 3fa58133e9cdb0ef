//===- TokenizerJson.cpp - Hugging Face tokenizer.json vocabularies -------===//
//
// Reads the vocabulary of a Hugging Face `tokenizer.json` (see
// readTokenizerJsonVocab in Tokenizer.h). JSON is parsed with nlohmann::json
// without exceptions; every value is type-checked before it is read, so a
// malformed file is an error message, never a throw.
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/Tokenizer.h"

#include "runtime/support/Json.h"
#include "runtime/tokenizer/Merges.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <unordered_map>

namespace tern {
namespace {

using json = nlohmann::json;

/// Ids at or above this are rejected (they would make the id -> token
/// table absurdly large; LLaMA-3 has 128256 tokens).
constexpr int64_t kMaxTokenId = int64_t(1) << 24;


/// A JSON integer in [0, kMaxTokenId), else nullopt.
std::optional<int64_t> tokenIdValue(const json &v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u < static_cast<uint64_t>(kMaxTokenId))
      return static_cast<int64_t>(u);
    return std::nullopt;
  }
  if (v.is_number_integer()) {
    const auto i = v.get<int64_t>();
    if (i >= 0 && i < kMaxTokenId)
      return i;
  }
  return std::nullopt;
}

/// model.merges as pairs ("a b" or ["a", "b"]); "" or an error naming the
/// entry that is neither.
std::string readMerges(const std::string &path, const json &model,
                       std::vector<std::pair<std::string, std::string>> &out) {
  auto mergesIt = model.find("merges");
  if (mergesIt == model.end() || mergesIt->is_null())
    return "";
  if (!mergesIt->is_array())
    return path + ": model.merges is " + quoteJson(*mergesIt) +
           ", expected an array";
  for (size_t i = 0; i < mergesIt->size(); ++i) {
    const json &m = (*mergesIt)[i];
    std::pair<std::string, std::string> pair;
    if (const auto *text = m.get_ptr<const std::string *>()) {
      if (!splitMerge(*text, pair))
        return path + ": model.merges[" + std::to_string(i) + "] is " +
               quoteJson(m) + ", expected two tokens separated by one space";
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() &&
               m[1].is_string()) {
      pair = {m[0].get<std::string>(), m[1].get<std::string>()};
    } else {
      return path + ": model.merges[" + std::to_string(i) + "] is " +
             quoteJson(m) + ", expected \"a b\" or [\"a\", \"b\"]";
    }
    out.push_back(std::move(pair));
  }
  return "";
}

} // namespace

std::string readTokenizerJsonVocab(const std::string &path,
                                   TokenizerJsonVocab &out) {
  out = TokenizerJsonVocab();
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return path + ": cannot open file: " + std::strerror(errno);
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad())
    return path + ": read error";
  const std::string text = std::move(contents).str();

  json root;
  const std::string parseError = parseJsonNoThrow(text, root);
  if (!parseError.empty())
    return path + ": not valid JSON: " + parseError;
  if (!root.is_object())
    return path + ": not a JSON object";
  auto modelIt = root.find("model");
  if (modelIt == root.end() || !modelIt->is_object())
    return path + ": 'model' is missing or not an object";
  const json &model = *modelIt;

  auto typeIt = model.find("type");
  if (typeIt == model.end())
    return path + ": model.type is missing (expected 'BPE')";
  const auto *type = typeIt->get_ptr<const std::string *>();
  if (!type || *type != "BPE")
    return path + ": model.type is " + quoteJson(*typeIt) +
           ", expected 'BPE' (Tern reads byte-level BPE tokenizers)";
  for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    auto it = model.find(key);
    if (it == model.end() || it->is_null())
      continue;
    const auto *s = it->get_ptr<const std::string *>();
    if (!s || !s->empty())
      return path + ": model." + key + " is " + quoteJson(*it) +
             "; Tern reads byte-level BPE vocabularies without one";
  }

  auto vocabIt = model.find("vocab");
  if (vocabIt == model.end() || !vocabIt->is_object())
    return path + ": model.vocab is missing or not an object";
  const json &vocab = *vocabIt;
  if (vocab.empty())
    return path + ": model.vocab is empty";

  // id -> token; `used` tells filled slots apart.
  std::vector<std::string> tokens;
  std::vector<bool> used, special;
  auto ensure = [&](int64_t id) {
    if (static_cast<size_t>(id) >= tokens.size()) {
      tokens.resize(static_cast<size_t>(id) + 1);
      used.resize(static_cast<size_t>(id) + 1, false);
      special.resize(static_cast<size_t>(id) + 1, false);
    }
  };
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    std::optional<int64_t> id = tokenIdValue(it.value());
    if (!id)
      return path + ": model.vocab entry '" + it.key() + "' has id " +
             quoteJson(it.value()) + ", expected an integer in [0, " +
             std::to_string(kMaxTokenId) + ")";
    if (it.key().empty())
      return path + ": model.vocab has an empty token (id " +
             std::to_string(*id) + ")";
    ensure(*id);
    const auto slot = static_cast<size_t>(*id);
    if (used[slot])
      return path + ": model.vocab entries '" + tokens[slot] + "' and '" +
             it.key() + "' both have id " + std::to_string(*id);
    tokens[slot] = it.key();
    used[slot] = true;
  }


  // The merges name model.vocab's tokens, before added_tokens change any.
  std::vector<std::pair<std::string, std::string>> merges;
  if (std::string bad = readMerges(path, model, merges); !bad.empty())
    return bad;
  if (std::string bad = checkMerges(merges, tokens, path + ": model.merges");
      !bad.empty())
    return bad;

  auto addedIt = root.find("added_tokens");
  if (addedIt != root.end() && !addedIt->is_null()) {
    if (!addedIt->is_array())
      return path + ": added_tokens is not an array";
    std::vector<bool> seenAdded;
    for (size_t i = 0; i < addedIt->size(); ++i) {
      const json &entry = (*addedIt)[i];
      const std::string where =
          path + ": added_tokens[" + std::to_string(i) + "]";
      if (!entry.is_object())
        return where + " is not an object";
      auto idIt = entry.find("id");
      std::optional<int64_t> id;
      if (idIt != entry.end())
        id = tokenIdValue(*idIt);
      if (!id)
        return where + " has no valid 'id' (an integer in [0, " +
               std::to_string(kMaxTokenId) + "))";
      auto contentIt = entry.find("content");
      const std::string *content =
          contentIt == entry.end() ? nullptr
                                   : contentIt->get_ptr<const std::string *>();
      if (!content || content->empty())
        return where + " (id " + std::to_string(*id) +
               ") has no non-empty 'content' string";
      bool isSpecial = false;
      auto specialIt = entry.find("special");
      if (specialIt != entry.end() && !specialIt->is_null()) {
        if (!specialIt->is_boolean())
          return where + " (id " + std::to_string(*id) +
                 "): 'special' is not a boolean";
        isSpecial = specialIt->get<bool>();
      }
      const auto slot = static_cast<size_t>(*id);
      if (slot < seenAdded.size() && seenAdded[slot])
        return where + ": id " + std::to_string(*id) +
               " appears twice in added_tokens";
      if (slot >= seenAdded.size())
        seenAdded.resize(slot + 1, false);
      seenAdded[slot] = true;

      ensure(*id);
      if (used[slot]) {
        // Also in model.vocab: both must spell the same token.
        std::optional<std::string> raw = gpt2UnicodeToBytes(tokens[slot]);
        if (tokens[slot] != *content && raw != *content)
          return where + ": id " + std::to_string(*id) + " is '" + *content +
                 "', but model.vocab has '" + tokens[slot] + "' there";
        if (isSpecial) {
          tokens[slot] = *content;
          special[slot] = true;
        }
        continue;
      }
      // An id of its own: special (see Tokenizer.h).
      tokens[slot] = *content;
      used[slot] = true;
      special[slot] = true;
    }
  }

  for (size_t id = 0; id < tokens.size(); ++id)
    if (!used[id]) {
      tokens[id] = "<|tern_unused_id_" + std::to_string(id) + "|>";
      special[id] = true;
      ++out.numPlaceholders;
    }
  out.tokens = std::move(tokens);
  out.isSpecial = std::move(special);
  return "";
}

TokenizerOrError Tokenizer::fromTokenizerJson(const std::string &path) {
  TokenizerJsonVocab vocab;
  std::string error = readTokenizerJsonVocab(path, vocab);
  if (!error.empty()) {
    TokenizerOrError result;
    result.error = std::move(error);
    return result;
  }
  return fromGpt2Vocab(vocab.tokens, vocab.isSpecial, path);
}

std::string tokenizerJsonText(const TokenizerJsonVocab &v) {
  json vocab = json::object();
  json added = json::array();
  for (size_t id = 0; id < v.tokens.size(); ++id) {
    if (id < v.isSpecial.size() && v.isSpecial[id]) {
      added.push_back({{"id", id},
                       {"content", v.tokens[id]},
                       {"single_word", false},
                       {"lstrip", false},
                       {"rstrip", false},
                       {"normalized", false},
                       {"special", true}});
      continue;
    }
    vocab[v.tokens[id]] = id;
  }
  const json merges = gpt2Merges(v.tokens, v.isSpecial);
  json j = {{"version", "1.0"},
            {"truncation", nullptr},
            {"padding", nullptr},
            {"added_tokens", added},
            {"normalizer", nullptr},
            {"pre_tokenizer",
             {{"type", "ByteLevel"},
              {"add_prefix_space", false},
              {"trim_offsets", true},
              {"use_regex", true}}},
            {"post_processor", nullptr},
            {"decoder",
             {{"type", "ByteLevel"},
              {"add_prefix_space", true},
              {"trim_offsets", true},
              {"use_regex", true}}},
            {"model",
             {{"type", "BPE"},
              {"dropout", nullptr},
              {"unk_token", nullptr},
              {"continuing_subword_prefix", nullptr},
              {"end_of_word_suffix", nullptr},
              {"fuse_unk", false},
              {"byte_fallback", false},
              {"ignore_merges", true},
              {"vocab", vocab},
              {"merges", merges}}}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace tern
