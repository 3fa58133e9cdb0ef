//===- Gpt2Bytes.cpp - GPT-2's bytes-to-unicode token spelling -----------===//
//
// GPT-2 made every byte a printable character so that vocabularies could be
// stored as text: the 188 printable bytes stand for themselves (as Latin-1
// code points), the other 68 are moved to U+0100 + (their index among the
// non-printable bytes). GGUF and tokenizer.json store byte-level BPE tokens
// this way.
//
//===----------------------------------------------------------------------===//

#include "runtime/tokenizer/Tokenizer.h"
#include "runtime/tokenizer/Utf8.h"

#include <array>

namespace tern {
namespace {

bool standsForItself(unsigned b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) ||
         (b >= 0xAE && b <= 0xFF);
}

// Byte -> code point, and code point (< 0x100 + 68) -> byte or -1.
constexpr unsigned kNumMoved = 68;
struct Tables {
  std::array<char32_t, 256> toCodePoint{};
  std::array<int, 0x100 + kNumMoved> toByte{};
};

const Tables &tables() {
  static const Tables t = [] {
    Tables t;
    t.toByte.fill(-1);
    unsigned moved = 0;
    for (unsigned b = 0; b < 256; ++b) {
      char32_t cp = standsForItself(b) ? b : 0x100 + moved++;
      t.toCodePoint[b] = cp;
      t.toByte[cp] = static_cast<int>(b);
    }
    return t;
  }();
  return t;
}

} // namespace

char32_t gpt2ByteToCodePoint(uint8_t b) { return tables().toCodePoint[b]; }

std::string bytesToGpt2Unicode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes)
    utf8::append(out, gpt2ByteToCodePoint(static_cast<uint8_t>(c)));
  return out;
}

std::optional<std::string> gpt2UnicodeToBytes(std::string_view text) {
  const Tables &t = tables();
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    utf8::Step step = utf8::next(text);
    if (step.status != utf8::Status::Valid ||
        step.codePoint >= t.toByte.size() || t.toByte[step.codePoint] < 0)
      return std::nullopt;
    out.push_back(static_cast<char>(t.toByte[step.codePoint]));
    text.remove_prefix(step.length);
  }
  return out;
}

} // namespace tern
