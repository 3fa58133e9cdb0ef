//===- Text.h - Text from files, made safe to print -----------------------===//
//
// Names and values quoted in error messages come from untrusted files and
// command lines. Before a message reaches the terminal its control bytes
// (NUL, escape sequences, ...) and bytes that are not UTF-8 are written as
// \xHH, so that a message is never cut at a NUL or turned into terminal
// commands.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SUPPORT_TEXT_H
#define TERN_RUNTIME_SUPPORT_TEXT_H

#include <cstdint>
#include <string>
#include <string_view>

namespace tern {

/// `text` with bytes 0x00-0x1F and 0x7F, and bytes outside well-formed
/// UTF-8 sequences, written as \xHH; everything else (printable ASCII and
/// valid UTF-8) unchanged.
std::string escapeForMessage(std::string_view text);

/// Writes "<program>: error: <message>\n" to stderr, the message escaped.
void printError(std::string_view program, std::string_view message);

/// Reads `s` as a whole decimal integer (an optional sign, digits, nothing
/// else); false for anything else and for values outside int64_t.
bool parseInt64(const std::string &s, int64_t &out);

} // namespace tern

#endif // TERN_RUNTIME_SUPPORT_TEXT_H
