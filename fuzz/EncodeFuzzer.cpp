//===- EncodeFuzzer.cpp - The tokenizer on arbitrary bytes ----------------===//
//
// Encodes the input with the LLaMA-3 tokenizer (the shared test data's
// tokenizer.model, else a byte-level vocabulary) with and without special
// tokens parsed, and checks that decoding gives the bytes back.

#include "runtime/tokenizer/Tokenizer.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {
const tern::Tokenizer &tokenizer() {
  static const tern::Tokenizer t = [] {
    tern::TokenizerOrError r =
        tern::Tokenizer::fromTiktokenFile(TERN_FUZZ_TOKENIZER);
    if (!r) {
      std::vector<std::string> bytes;
      for (int b = 0; b < 256; ++b)
        bytes.push_back(std::string(1, static_cast<char>(b)));
      bytes.push_back("<|eot_id|>");
      std::vector<bool> special(bytes.size(), false);
      special.back() = true;
      r = tern::Tokenizer::fromVocab(bytes, special, "bytes");
    }
    if (!r)
      std::abort();
    return *r.tokenizer;
  }();
  return t;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const tern::Tokenizer &t = tokenizer();
  if (!t.canEncode())
    return 0;
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  for (bool special : {false, true}) {
    const std::vector<tern::TokenId> ids = t.encode(text, false, special);
    if (t.decode(ids) != text) {
      std::fprintf(stderr, "decode(encode(x)) != x (special %d)\n", special);
      std::abort();
    }
  }
  return 0;
}
