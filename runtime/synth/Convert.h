//===- Convert.h - Rewrites a loaded model in another file format ---------===//
//
// `tern convert`: any model Tern loads (GGUF I2_S / TQ2_0 / TQ1_0, Hugging
// Face packed or full-precision checkpoints) written as GGUF (bitnet.cpp's
// I2_S by default, or llama.cpp's TQ2_0 / TQ1_0) or as a packed Hugging Face
// directory, through the writer `tern synth` uses (ModelWriter.h).
//
// The ternary codes are carried over exactly; the embedding (and an untied
// head) keep their stored type; norms stay f32. Where the target cannot hold
// a value exactly (TQ formats store scales as f16) the result says so. The
// written file is loaded again and compared with the source, tensor by
// tensor, before convertModel reports success.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SYNTH_CONVERT_H
#define TERN_RUNTIME_SYNTH_CONVERT_H

#include "runtime/model/Model.h"
#include "runtime/synth/ModelWriter.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <optional>
#include <string>
#include <vector>

namespace tern {

struct ConvertOptions {
  ModelFormat format = ModelFormat::GgufI2S;
  /// Replaces the model's vocabulary (and its bos/eos/eot ids) when set.
  std::optional<Tokenizer> tokenizer;
  int threads = 0;  ///< 0: hardware threads.
  std::string name; ///< GGUF general.name; "" keeps "tern".
};

struct ConvertResult {
  std::string error; ///< "" on success.
  /// What the target format changed (rounded scales) or lacks (no
  /// vocabulary), one line each.
  std::vector<std::string> notes;
};

/// Writes `model` to `path` in `options.format`, reloads it and checks it
/// holds the same weights (up to what `notes` reports).
ConvertResult convertModel(const ModelDescription &model,
                           const ConvertOptions &options,
                           const std::string &path);

/// "" when `a` and `b` have the same configuration shapes, ternary codes,
/// scales (within `scaleTolerance`, relative), norms and embedding values;
/// otherwise the first difference, naming the tensor.
std::string compareModelWeights(const ModelDescription &a,
                                const ModelDescription &b,
                                float scaleTolerance = 0.0f);

} // namespace tern

#endif // TERN_RUNTIME_SYNTH_CONVERT_H
