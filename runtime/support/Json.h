//===- Json.h - No-throw JSON parsing for the runtime's file readers ------===//
//
// The runtime reads JSON (config.json, tokenizer.json, safetensors headers)
// with nlohmann::json, never letting an exception escape: parse with
// allow_exceptions = false and, on failure, re-run the SAX parser to get
// nlohmann's description of the first error.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SUPPORT_JSON_H
#define TERN_RUNTIME_SUPPORT_JSON_H

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>

namespace tern {

/// Parses JSON `text` without exceptions. On success sets `out` and returns
/// ""; on failure returns nlohmann's description of the first error (with
/// line and column), without any file name. Repeated object keys keep the
/// last value (as Python's json module and serde_json do).
std::string parseJsonNoThrow(std::string_view text, nlohmann::json &out);

} // namespace tern

#endif // TERN_RUNTIME_SUPPORT_JSON_H
