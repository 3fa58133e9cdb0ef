//===- Merges.cpp - BPE merge lists for files other tools read ----------===//

#include "runtime/tokenizer/Merges.h"

#include "runtime/tokenizer/Tokenizer.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

namespace tern {

std::vector<std::string> gpt2Merges(const std::vector<std::string> &tokens,
                                    const std::vector<bool> &isSpecial) {
  std::unordered_map<std::string, int64_t> rank; // raw bytes -> id
  std::vector<std::string> bytesOf(tokens.size());
  for (size_t id = 0; id < tokens.size(); ++id) {
    if (id < isSpecial.size() && isSpecial[id])
      continue;
    if (std::optional<std::string> b = gpt2UnicodeToBytes(tokens[id])) {
      bytesOf[id] = *b;
      rank.emplace(*b, static_cast<int64_t>(id));
    }
  }
  std::vector<std::string> merges;
  for (size_t id = 0; id < bytesOf.size(); ++id) {
    const std::string &bytes = bytesOf[id];
    std::vector<std::pair<std::pair<int64_t, int64_t>, size_t>> splits;
    for (size_t s = 1; s < bytes.size(); ++s) {
      auto l = rank.find(bytes.substr(0, s));
      auto r = rank.find(bytes.substr(s));
      if (l != rank.end() && r != rank.end() &&
          l->second < static_cast<int64_t>(id) &&
          r->second < static_cast<int64_t>(id))
        splits.push_back({{l->second, r->second}, s});
    }
    std::sort(splits.begin(), splits.end());
    for (const auto &sp : splits)
      merges.push_back(bytesToGpt2Unicode(bytes.substr(0, sp.second)) + " " +
                       bytesToGpt2Unicode(bytes.substr(sp.second)));
  }
  return merges;
}

bool splitMerge(const std::string &merge,
                std::pair<std::string, std::string> &out) {
  const size_t space = merge.find(' ');
  if (space == std::string::npos || space == 0 || space + 1 >= merge.size() ||
      merge.find(' ', space + 1) != std::string::npos)
    return false;
  out = {merge.substr(0, space), merge.substr(space + 1)};
  return true;
}

std::string checkMerges(
    const std::vector<std::pair<std::string, std::string>> &merges,
    const std::vector<std::string> &tokens, const std::string &what) {
  std::unordered_map<std::string, int64_t> idOf;
  idOf.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i)
    idOf.emplace(tokens[i], static_cast<int64_t>(i));
  int64_t previous = -1;
  for (size_t i = 0; i < merges.size(); ++i) {
    const auto &[a, b] = merges[i];
    const std::string where = what + "[" + std::to_string(i) + "]";
    for (const std::string *part : {&a, &b})
      if (!idOf.count(*part))
        return where + " names '" + *part + "', which is not a token";
    auto made = idOf.find(a + b);
    if (made == idOf.end())
      return where + " makes '" + a + b + "', which is not a token";
    if (made->second < previous)
      return where + " makes id " + std::to_string(made->second) +
             " after a merge that made id " + std::to_string(previous) +
             ": Tern ranks merges by the id of the token they make, and "
             "this list is in another order";
    previous = made->second;
  }
  return "";
}

} // namespace tern
