//===- Json.cpp - No-throw JSON parsing for the runtime's file readers ----===//

#include "runtime/support/Json.h"

#include <nlohmann/json.hpp>

namespace tern {

using json = nlohmann::json;

namespace {
/// Records the first parse error; accepts everything else. Used to get a
/// message after the no-exception parse reported failure.
struct ErrorRecorder : nlohmann::json_sax<nlohmann::json> {
  std::string message;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t &) override { return true; }
  bool string(string_t &) override { return true; }
  bool binary(binary_t &) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t &) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string &,
                   const nlohmann::detail::exception &ex) override {
    message = ex.what();
    return false;
  }
};
} // namespace

std::string checkJsonNesting(std::string_view text, int maxDepth) {
  int depth = 0;
  bool inString = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (inString) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > maxDepth)
        return "arrays and objects nest deeper than " +
               std::to_string(maxDepth) + " levels (at byte " +
               std::to_string(i) + ")";
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return "";
}

std::string parseJsonNoThrow(std::string_view text, json &out) {
  if (std::string deep = checkJsonNesting(text); !deep.empty())
    return deep;
  const char *begin = text.data();
  const char *end = text.data() + text.size();
  json parsed = json::parse(begin, end, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded()) {
    out = std::move(parsed);
    return "";
  }
  ErrorRecorder recorder;
  json::sax_parse(begin, end, &recorder);
  // nlohmann's messages start with "[json.exception.parse_error.101] ".
  std::string message = recorder.message;
  if (!message.empty() && message[0] == '[') {
    size_t close = message.find("] ");
    if (close != std::string::npos)
      message.erase(0, close + 2);
  }
  return message.empty() ? std::string("invalid JSON") : message;
}

namespace {
/// Appends `v` to `out`, stopping once `out` is longer than `limit`.
void appendJson(const json &v, std::string &out, size_t limit) {
  if (out.size() > limit)
    return;
  if (v.is_array()) {
    out += '[';
    bool first = true;
    for (const json &e : v) {
      if (out.size() > limit)
        return;
      if (!first)
        out += ',';
      first = false;
      appendJson(e, out, limit);
    }
    out += ']';
  } else if (v.is_object()) {
    out += '{';
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (out.size() > limit)
        return;
      if (!first)
        out += ',';
      first = false;
      out += json(it.key()).dump(-1, ' ', false, json::error_handler_t::replace);
      out += ':';
      appendJson(it.value(), out, limit);
    }
    out += '}';
  } else {
    out += v.dump(-1, ' ', false, json::error_handler_t::replace);
  }
}
} // namespace

std::string quoteJson(const json &value, size_t max) {
  std::string s;
  appendJson(value, s, max);
  if (s.size() > max)
    s = s.substr(0, max > 3 ? max - 3 : 0) + "...";
  return s;
}

} // namespace tern
