//===- GgufFuzzer.cpp - The GGUF reader and model loader ------------------===//
//
// Parses the input as a GGUF file; a file that parses is loaded as a model
// (configuration, tensors, vocabulary, tokenizer) and summarized as
// `tern inspect` does.

#include "runtime/model/Gguf.h"
#include "runtime/model/Model.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace tern;
  GgufFileOrError g = GgufFile::parse(MappedFile::fromBuffer(
      std::vector<uint8_t>(data, data + size), "fuzz.gguf"));
  if (!g)
    return 0;
  for (const GgufKeyValue &kv : g->metadata()) {
    (void)summarizeGgufValue(kv.value);
    (void)isKnownGgufKey(kv.key);
  }
  ModelOrError m = loadGgufModel(*g);
  if (m && !m->vocab.tokens.empty())
    (void)buildTokenizer(*m);
  return 0;
}
