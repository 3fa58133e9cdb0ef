//===- TestModels.h - Tiny synthetic BitNet GGUF files for tests ----------===//
//
// Test-only helpers: a deterministic 2-layer BitNet model (hidden 256,
// intermediate 512, 4 heads, 2 KV heads, vocab 300) whose metadata and
// tensor list tests can edit before serializing it, to produce valid files
// in each ternary encoding and malformed variants.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_MODEL_TESTMODELS_H
#define TERN_RUNTIME_MODEL_TESTMODELS_H

#include "runtime/model/GgufWriter.h"
#include "runtime/model/TernaryCodec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace tern {
namespace testmodels {

/// One tensor as it will be written.
struct TensorSpec {
  std::string name;
  std::vector<int64_t> dims; // ggml order
  uint32_t type;
  std::vector<uint8_t> bytes;
};

/// A synthetic model: the source values and what will be written.
struct TinyModel {
  int64_t hidden = 256, intermediate = 512, layers = 2, heads = 4, kvHeads = 2,
          vocab = 300, context = 128;
  std::string architecture = "bitnet-b1.58";
  TernaryEncoding encoding = TernaryEncoding::I2_S;

  /// Ternary values [N * K] and scales, by tensor name.
  std::map<std::string, std::vector<int8_t>> ternary;
  std::map<std::string, float> scales;
  /// Norm values by tensor name, and the embedding [vocab * hidden].
  std::map<std::string, std::vector<float>> norms;
  std::vector<float> embedding;

  /// Tokenizer vocabulary (GPT-2 form) and token types.
  std::vector<std::string> tokens;
  std::vector<int32_t> tokenTypes;

  /// Written tensors (editable) and metadata keys to leave out.
  std::vector<TensorSpec> tensors;
  std::set<std::string> omitKeys;
};

/// Builds the model with ternary weights in `encoding` (I2_S, TQ1_0 or
/// TQ2_0); norms are stored as F32 (attn_norm, ffn_sub_norm, output_norm),
/// F16 (attn_sub_norm) and BF16 (ffn_norm); the embedding as F16. All
/// values are exactly representable in their stored types.
TinyModel makeTinyModel(TernaryEncoding encoding, uint32_t seed = 1);

/// Metadata + tensors of `m` in a writer (more can be added before
/// serializing).
GgufWriter writerFor(const TinyModel &m);

/// The tensor called `name` (nullptr if absent).
TensorSpec *findSpec(TinyModel &m, const std::string &name);

/// A unique temporary directory for this test process (created once,
/// removed with its contents at exit).
std::string tempDir();

/// Success when `text` contains every one of `words`.
::testing::AssertionResult hasWords(const std::string &text,
                                    std::initializer_list<const char *> words);

/// Patches a little-endian value into `bytes` at `offset`.
template <typename T>
void poke(std::vector<uint8_t> &bytes, size_t offset, T value) {
  ASSERT_LE(offset + sizeof value, bytes.size());
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

/// Offset of the first occurrence of `needle` in `bytes` (npos if none).
size_t findBytes(const std::vector<uint8_t> &bytes, const std::string &needle);

} // namespace testmodels
} // namespace tern

#endif // TERN_RUNTIME_MODEL_TESTMODELS_H
