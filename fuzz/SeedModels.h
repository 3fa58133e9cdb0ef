//===- SeedModels.h - What the fuzzers start from -------------------------===//
//
// Seed inputs written by the project's own writers (tern_fuzz_seeds): small
// models in every format, tokenizer files, and an executable's payload.
// The payload fuzzer checks its inputs against the seed payload's shape,
// computed here the way tern compile computes it.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_FUZZ_SEEDMODELS_H
#define TERN_FUZZ_SEEDMODELS_H

#include "runtime/model/Model.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tern::fuzz {

/// One layer, hidden 256 (the TQ formats' block), 300 tokens: small
/// enough to mutate quickly.
ModelConfig seedConfig();

/// 256 byte tokens, a few merged tokens and the LLaMA-3 specials.
Tokenizer seedTokenizer();

/// A payload GGUF (tern_abi.h keys, a 16 KiB weights blob) behind 4 KiB of
/// "executable" and the trailer, as tern compile appends it.
std::vector<uint8_t> seedExecutable();

/// tern_compiled_shape of seedExecutable().
std::vector<int64_t> seedPayloadShape();

/// A tiktoken file (base64 token, space, rank per line) of seedTokenizer's
/// ordinary tokens.
std::string seedTiktoken();

/// Writes the seeds of every fuzz target under `dir` (one folder per
/// target); "" or an error.
std::string writeSeeds(const std::string &dir);

} // namespace tern::fuzz

#endif // TERN_FUZZ_SEEDMODELS_H
