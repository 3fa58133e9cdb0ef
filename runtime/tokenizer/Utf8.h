//===- Utf8.h - Small UTF-8 helpers for the tokenizer (internal) ---------===//
//
// Validation follows the Unicode standard's table of well-formed UTF-8 byte
// sequences (no overlong forms, no surrogates, nothing above U+10FFFF), and
// reports the "maximal subpart" of an ill-formed sequence so a caller can
// replace it with one U+FFFD. Used by the stream decoder and the GPT-2
// bytes-to-unicode conversion; not part of the tokenizer's public API.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_TOKENIZER_UTF8_H
#define TERN_RUNTIME_TOKENIZER_UTF8_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tern {
namespace utf8 {

enum class Status {
  Valid,     ///< A whole character of `length` bytes; `codePoint` is set.
  Truncated, ///< The text ends inside a character that could still complete.
  Invalid,   ///< `length` bytes (>= 1) form a maximal ill-formed subpart.
};

struct Step {
  Status status;
  size_t length;
  char32_t codePoint;
};

/// Examines the character at the start of non-empty `s`.
inline Step next(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t b0 = byte(0);
  if (b0 < 0x80)
    return {Status::Valid, 1, b0};
  size_t trail;
  char32_t cp;
  uint8_t lo = 0x80, hi = 0xBF; // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    trail = 1;
    cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    trail = 2;
    cp = b0 & 0x0Fu;
    if (b0 == 0xE0)
      lo = 0xA0; // no overlong 3-byte forms
    if (b0 == 0xED)
      hi = 0x9F; // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    trail = 3;
    cp = b0 & 0x07u;
    if (b0 == 0xF0)
      lo = 0x90; // no overlong 4-byte forms
    if (b0 == 0xF4)
      hi = 0x8F; // nothing above U+10FFFF
  } else {
    return {Status::Invalid, 1, 0}; // continuation byte, C0, C1, F5..FF
  }
  for (size_t k = 1; k <= trail; ++k) {
    if (k >= s.size())
      return {Status::Truncated, k, 0};
    const uint8_t b = byte(k);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF))
      return {Status::Invalid, k, 0};
    cp = (cp << 6) | (b & 0x3Fu);
  }
  return {Status::Valid, trail + 1, cp};
}

/// Appends the UTF-8 encoding of `cp` (must be <= U+10FFFF, not a surrogate).
inline void append(std::string &out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

} // namespace utf8
} // namespace tern

#endif // TERN_RUNTIME_TOKENIZER_UTF8_H
