//===- Llama3Vectors.h - The shared LLaMA-3 tokenizer test data (tests) ---===//
//
// Test-only: where ../shared/testdata/llama3-tokenizer is (TERN_SHARED_DIR)
// and its encode vectors: vectors.inp holds the inputs separated by the line
// "__ggml_vocab_test__"; line i of vectors.out holds the ids of input i.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_TOKENIZER_LLAMA3VECTORS_H
#define TERN_RUNTIME_TOKENIZER_LLAMA3VECTORS_H

#include "runtime/tokenizer/Tokenizer.h"

#include <string>
#include <vector>

namespace tern::testdata {

/// TERN_SHARED_DIR + "/testdata/llama3-tokenizer".
const std::string &llama3Dir();

/// The whole file (empty when it cannot be read).
std::string readFile(const std::string &path);

struct Llama3Vectors {
  std::vector<std::string> inputs;
  std::vector<std::vector<TokenId>> expected;
};

/// The vectors of llama3Dir() (empty when the files are absent).
Llama3Vectors readLlama3Vectors();

} // namespace tern::testdata

#endif // TERN_RUNTIME_TOKENIZER_LLAMA3VECTORS_H
