//===- ReferenceModel.h - The plain C++ BitNet b1.58 forward pass ---------===//
//
// The reference implementation of the whole network, written to be read
// next to the model's definition (../shared/docs/bitnet-b158-facts.md) and
// to serve as the oracle for compiled models. For each layer:
//
//   h   = x + o_proj(attn_sub_norm(Attention(RoPE(q_proj(n)), RoPE(k_proj(n)),
//                                            v_proj(n))))   n = attn_norm(x)
//   out = h + down_proj(ffn_sub_norm(relu(gate_proj(m))^2 * up_proj(m)))
//                                                           m = ffn_norm(h)
//
// then logits = output_norm(x) @ embed^T (tied head; an untied output
// matrix when the model has one). Every *_proj is a BitLinear computed with
// runtime/ternary's definitions: per-row int8 absmax quantization with round
// half to even, an exact int32 product with the ternary weights, then
// float(acc) * (beta / s).
//
// Numerics (the contract a compiled model is checked against):
//  * RMSNorm: sum of squares in double (8 interleaved partial sums combined
//    pairwise, as dotF32), r = 1 / sqrt(float(mean) + eps) in float,
//    y = (x * r) * w in float.
//  * RoPE, half-split ("NEOX") form: for i < d/2, angle = pos * theta^(-2i/d)
//    and cos/sin computed in double, rounded to float;
//    y[i] = x[i]*c - x[i+d/2]*s, y[i+d/2] = x[i+d/2]*c + x[i]*s in float.
//  * Attention: scores q.k in float (dotF32, fixed order) times
//    1/sqrt(head_dim), causal, softmax in float (max subtracted), then the
//    weighted sum of V rows in order of position. The KV cache is float32.
//  * Squared ReLU: r = max(g, 0); r * r * u in float.
//  * Head: runtime/model/HeadFormat's dotHead of the normalized hidden state
//    with each head row in the chosen format (native: converted to float;
//    int8 / q4: quantized at construction, see HeadFormat.h).
//  dotF32 sums in 8 interleaved partial sums combined pairwise, so results
//  do not depend on the thread count or on batching: evaluating tokens one
//  at a time or as a batch gives bit-identical logits.
//
// Ternary weights are decoded once, at construction, to int8 [N, K]
// (2 GB for 2B4T): the reference favours plainness over memory.
// Threads: a ThreadPool splits every matmul over output rows, attention
// over (token, head) pairs and the head over vocabulary rows.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_REFERENCE_REFERENCEMODEL_H
#define TERN_RUNTIME_REFERENCE_REFERENCEMODEL_H

#include "runtime/generate/LanguageModel.h"
#include "runtime/model/HeadFormat.h"
#include "runtime/model/Model.h"
#include "runtime/model/OrError.h"
#include "runtime/support/ThreadPool.h"

#include <cstdint>
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace tern {

struct ReferenceOptions {
  /// Threads for the thread pool (the caller included).
  int threads = 1;
  /// KV cache length; 0 means the model's context length.
  int64_t contextSize = 0;
  /// Independent sequences (a KV cache of contextSize tokens each).
  int64_t sequences = 1;
  /// How the head is stored (int8 / q4 quantize it at construction).
  HeadFormat head = HeadFormat::Native;
};

/// Sum of a[i] * b[i] in float, in the fixed order described above.
float dotF32(const float *a, const float *b, int64_t n);

/// Exact sum of a[i] * w[i] (int8 activations, ternary weights).
int32_t dotI8(const int8_t *a, const int8_t *w, int64_t n);

/// RMSNorm of one row (see the file comment); `out` may alias `x`.
void rmsNormRow(const float *x, const float *weight, int64_t n, float eps,
                float *out);

/// Rotates one head's vector `x` [headDim] in place for position `pos`.
void applyRope(float *x, int64_t headDim, int64_t pos, float theta);

/// Attention of one query head `q` [headDim] over `len` cached positions:
/// key j at k + j * stride, value j at v + j * stride (one kv head of the
/// caches). s_j = dotF32(q, k_j) * scale; softmax with the maximum
/// subtracted and the exponentials summed in order of j; out[d] = sum over
/// j, in order, of (e_j / sum) * v_j[d]. `scores` holds `len` floats of
/// scratch.
void attendHead(const float *q, const float *k, const float *v,
                int64_t stride, int64_t len, int64_t headDim, float scale,
                float *scores, float *out);

class ReferenceModel final : public SequencesModel {
public:
  /// Decodes and checks the weights (every ternary code valid). Errors name
  /// the model file and the tensor.
  static OrError<std::unique_ptr<ReferenceModel>>
  create(std::shared_ptr<const ModelDescription> model,
         const ReferenceOptions &options = {});

  const ModelConfig &config() const override { return model_->config; }
  int64_t contextSize() const override { return contextSize_; }
  std::string forward(const TokenId *tokens, int64_t n, float *logits,
                      bool allLogits) override;

  /// The hidden state after the final norm for the last forward() call's
  /// tokens [n, hidden] (for layer-by-layer comparisons).
  const std::vector<float> &lastHidden() const { return hidden_; }

private:
  struct Linear {
    std::vector<int8_t> w; // [rows, cols]
    int64_t rows = 0, cols = 0;
    float scale = 1.0f;
  };
  struct Layer {
    Linear q, k, v, o, gate, up, down;
    const float *attnNorm, *attnSubNorm, *ffnNorm, *ffnSubNorm;
    std::vector<float> kCache, vCache; // [sequences, context, kvDim]
  };

  ReferenceModel(std::shared_ptr<const ModelDescription> model, int threads);

  /// y [m, lin.rows] = BitLinear(x [m, lin.cols]).
  void bitLinear(const Linear &lin, const float *x, int64_t m, float *y);
  /// Logits of rows [rowsBegin, rowsEnd) for m token rows in `format`
  /// (native, int8, q4; screened: the screen's int8 scan, a[v]).
  void headRows(HeadFormat format, const float *x, int64_t m,
                int64_t rowsBegin, int64_t rowsEnd, float *logits,
                int64_t ldLogits);
  void toFloat(const DenseTensor &t, int64_t row, float *out) const;

  std::shared_ptr<const ModelDescription> model_;
  ThreadPool pool_;
  std::vector<Layer> layers_;
  std::vector<float> f16Table_; // fp16 bits -> float
  HeadFormat headFormat_ = HeadFormat::Native;
  std::vector<uint8_t> headCodes_; // quantized head [vocab, code bytes]
  std::vector<float> headScales_;  // [vocab, scales per row]
  std::vector<ScreenBound> screenBounds_; // screened: screenRowBound per row
  int64_t contextSize_ = 0;
  std::vector<float> hidden_;
};

} // namespace tern

#endif // TERN_RUNTIME_REFERENCE_REFERENCEMODEL_H
