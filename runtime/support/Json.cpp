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

std::string parseJsonNoThrow(std::string_view text, json &out) {
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

} // namespace tern
