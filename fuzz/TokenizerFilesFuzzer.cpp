//===- TokenizerFilesFuzzer.cpp - Every tokenizer file format -------------===//
//
// The first byte picks the reader: a tiktoken file (tokenizer.model), a
// Hugging Face tokenizer.json, or a GGUF vocabulary; the rest is the file.

#include "fuzz/FuzzInput.h"

#include "runtime/model/Gguf.h"
#include "runtime/model/Model.h"
#include "runtime/tokenizer/Tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace tern;
  if (size == 0)
    return 0;
  const uint8_t *body = data + 1;
  const size_t n = size - 1;
  switch (data[0] % 3) {
  case 0: {
    const std::string path = fuzz::writeInput("tokenizer.model", body, n);
    TokenizerOrError t = Tokenizer::fromTiktokenFile(path);
    if (t)
      (void)t->decode(t->encode("Hello world", true, true));
    break;
  }
  case 1: {
    const std::string path = fuzz::writeInput("tokenizer.json", body, n);
    TokenizerOrError t = Tokenizer::fromTokenizerJson(path);
    if (t)
      (void)t->decode(t->encode("Hello world", true, true));
    break;
  }
  default: {
    GgufFileOrError g = GgufFile::parse(MappedFile::fromBuffer(
        std::vector<uint8_t>(body, body + n), "fuzz-vocab.gguf"));
    if (!g)
      break;
    OrError<TokenizerVocab> v = readGgufVocab(*g);
    if (!v || v->tokens.empty())
      break;
    OrError<ModelConfig> c = readGgufConfig(*g, *v);
    ModelConfig config = c ? *c : ModelConfig();
    TokenizerOrError t = buildTokenizer(*v, config, "fuzz-vocab.gguf");
    if (t)
      (void)t->decode(t->encode("Hello world", true, true));
    break;
  }
  }
  return 0;
}
