//===- Json.h - No-throw JSON parsing for the runtime's file readers ------===//
//
// The runtime reads JSON (config.json, tokenizer.json, safetensors headers)
// with nlohmann::json, never letting an exception escape: parse with
// allow_exceptions = false and, on failure, re-run the SAX parser to get
// nlohmann's description of the first error. Nesting is bounded before
// parsing (kMaxJsonDepth), so that neither the parser nor any recursive
// walk of the value can exhaust the stack.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SUPPORT_JSON_H
#define TERN_RUNTIME_SUPPORT_JSON_H

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>

namespace tern {

/// The deepest nesting of arrays and objects the readers accept. The files
/// Tern reads nest a few levels (tokenizer.json: 5, config.json: 3).
constexpr int kMaxJsonDepth = 128;

/// "" when no array or object in `text` nests deeper than `maxDepth`;
/// otherwise a message naming the byte offset. Brackets inside strings
/// do not count. Linear in the text, no recursion.
std::string checkJsonNesting(std::string_view text,
                             int maxDepth = kMaxJsonDepth);

/// Parses JSON `text` without exceptions. On success sets `out` and returns
/// ""; on failure returns nlohmann's description of the first error (with
/// line and column), or the nesting check's, without any file name.
/// Repeated object keys keep the last value (as Python's json module and
/// serde_json do).
std::string parseJsonNoThrow(std::string_view text, nlohmann::json &out);

/// A JSON value for an error message: its serialization (control bytes
/// escaped) cut to at most `max` characters, ending in "..." when cut.
/// Only the quoted prefix is serialized.
std::string quoteJson(const nlohmann::json &value, size_t max = 60);

} // namespace tern

#endif // TERN_RUNTIME_SUPPORT_JSON_H
