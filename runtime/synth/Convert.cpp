//===- Convert.cpp - Rewrites a loaded model in another file format -------===//

#include "runtime/synth/Convert.h"

#include "runtime/model/Half.h"

#include <cmath>
#include <cstring>
#include <sstream>

namespace tern {

namespace {

/// The tensors of a loaded model, by writer tensor id.
class ModelValues : public TensorValues {
public:
  explicit ModelValues(const ModelDescription &m) : m_(m) {}

  void ternaryRow(uint64_t id, int64_t row, int64_t cols,
                  int8_t *out) const override {
    const TernaryTensor *t = ternary(id);
    if (!t || t->cols != cols || !unpackTernaryRow(*t, row, out))
      std::memset(out, 0, static_cast<size_t>(cols)); // caught by the check
  }
  float ternaryScale(uint64_t id) const override {
    const TernaryTensor *t = ternary(id);
    return t ? t->scale : 0.0f;
  }
  void floatRow(uint64_t id, int64_t row, int64_t cols,
                float *out) const override {
    if (id == tensor_id::kEmbedding || id == tensor_id::kOutput) {
      const DenseTensor &d =
          id == tensor_id::kOutput && m_.output ? *m_.output : m_.tokenEmbedding;
      if (d.cols != cols || !denseRowToFloat(d, row, out))
        std::memset(out, 0, static_cast<size_t>(cols) * sizeof(float));
      return;
    }
    const FloatTensor *n = norm(id);
    if (n && n->size == cols && row == 0)
      std::memcpy(out, n->data, static_cast<size_t>(cols) * sizeof(float));
    else
      std::memset(out, 0, static_cast<size_t>(cols) * sizeof(float));
  }

private:
  const LayerWeights *layer(uint64_t id, tensor_id::LayerTensor &which) const {
    if (id < 2 || id == tensor_id::kOutput)
      return nullptr;
    const uint64_t l = (id - 2) / tensor_id::NumLayerTensors;
    if (l >= m_.layers.size())
      return nullptr;
    which = static_cast<tensor_id::LayerTensor>((id - 2) %
                                                tensor_id::NumLayerTensors);
    return &m_.layers[l];
  }
  const TernaryTensor *ternary(uint64_t id) const {
    tensor_id::LayerTensor which;
    const LayerWeights *l = layer(id, which);
    if (!l)
      return nullptr;
    switch (which) {
    case tensor_id::AttnQ: return &l->attnQ;
    case tensor_id::AttnK: return &l->attnK;
    case tensor_id::AttnV: return &l->attnV;
    case tensor_id::AttnOutput: return &l->attnOutput;
    case tensor_id::FfnGate: return &l->ffnGate;
    case tensor_id::FfnUp: return &l->ffnUp;
    case tensor_id::FfnDown: return &l->ffnDown;
    default: return nullptr;
    }
  }
  const FloatTensor *norm(uint64_t id) const {
    if (id == tensor_id::kOutputNorm)
      return &m_.outputNorm;
    tensor_id::LayerTensor which;
    const LayerWeights *l = layer(id, which);
    if (!l)
      return nullptr;
    switch (which) {
    case tensor_id::AttnNorm: return &l->attnNorm;
    case tensor_id::AttnSubNorm: return &l->attnSubNorm;
    case tensor_id::FfnNorm: return &l->ffnNorm;
    case tensor_id::FfnSubNorm: return &l->ffnSubNorm;
    default: return nullptr;
    }
  }

  const ModelDescription &m_;
};

/// How many scales f16 changes and by how much at most (relative).
std::string f16ScaleNote(const ModelDescription &m, ModelFormat format,
                         float &worst) {
  int64_t changed = 0, total = 0;
  worst = 0;
  for (const LayerWeights &l : m.layers)
    for (const TernaryTensor *t : bitLinearWeights(l)) {
      ++total;
      const float r = fp16ToFloat(floatToFp16(t->scale));
      if (r != t->scale) {
        ++changed;
        worst = std::max(worst, std::fabs(r - t->scale) / std::fabs(t->scale));
      }
    }
  if (changed == 0)
    return "";
  std::ostringstream os;
  os << modelFormatName(format) << " stores scales as f16: " << changed
     << " of " << total << " tensor scales are rounded (by up to "
     << worst * 100 << " %)";
  return os.str();
}

std::string compareTernary(const TernaryTensor &a, const TernaryTensor &b,
                           float tolerance) {
  if (a.rows != b.rows || a.cols != b.cols)
    return a.name + ": shapes differ";
  if (std::fabs(a.scale - b.scale) > tolerance * std::fabs(a.scale))
    return a.name + ": scale " + std::to_string(a.scale) + " became " +
           std::to_string(b.scale);
  std::vector<int8_t> ra(static_cast<size_t>(a.cols)), rb(ra.size());
  for (int64_t r = 0; r < a.rows; ++r) {
    if (!unpackTernaryRow(a, r, ra.data()) || !unpackTernaryRow(b, r, rb.data()))
      return a.name + ": row " + std::to_string(r) + " does not decode";
    if (ra != rb)
      return a.name + ": row " + std::to_string(r) + " differs";
  }
  return "";
}

std::string compareFloats(const FloatTensor &a, const FloatTensor &b) {
  if (a.size != b.size ||
      std::memcmp(a.data, b.data, static_cast<size_t>(a.size) * 4) != 0)
    return a.name + ": values differ";
  return "";
}

std::string compareDense(const DenseTensor &a, const DenseTensor &b) {
  if (a.rows != b.rows || a.cols != b.cols)
    return a.name + ": shapes differ";
  std::vector<float> ra(static_cast<size_t>(a.cols)), rb(ra.size());
  for (int64_t r = 0; r < a.rows; ++r) {
    if (!denseRowToFloat(a, r, ra.data()) || !denseRowToFloat(b, r, rb.data()))
      return a.name + ": row " + std::to_string(r) + " cannot be read";
    if (std::memcmp(ra.data(), rb.data(), ra.size() * sizeof(float)) != 0)
      return a.name + ": row " + std::to_string(r) + " differs";
  }
  return "";
}

} // namespace

std::string compareModelWeights(const ModelDescription &a,
                                const ModelDescription &b,
                                float scaleTolerance) {
  const ModelConfig &x = a.config, &y = b.config;
  if (x.hiddenSize != y.hiddenSize || x.intermediateSize != y.intermediateSize ||
      x.numLayers != y.numLayers || x.numHeads != y.numHeads ||
      x.numKvHeads != y.numKvHeads || x.headDim != y.headDim ||
      x.vocabSize != y.vocabSize || x.maxPositions != y.maxPositions ||
      x.ropeTheta != y.ropeTheta || x.rmsNormEps != y.rmsNormEps ||
      x.tiedEmbeddings != y.tiedEmbeddings)
    return "the configurations differ";
  if (a.layers.size() != b.layers.size())
    return "the layer counts differ";
  std::string d = compareDense(a.tokenEmbedding, b.tokenEmbedding);
  if (d.empty() && a.output && b.output)
    d = compareDense(*a.output, *b.output);
  if (d.empty())
    d = compareFloats(a.outputNorm, b.outputNorm);
  for (size_t i = 0; d.empty() && i < a.layers.size(); ++i) {
    const LayerWeights &la = a.layers[i], &lb = b.layers[i];
    auto ta = bitLinearWeights(la), tb = bitLinearWeights(lb);
    for (size_t j = 0; d.empty() && j < ta.size(); ++j)
      d = compareTernary(*ta[j], *tb[j], scaleTolerance);
    const FloatTensor *na[] = {&la.attnNorm, &la.attnSubNorm, &la.ffnNorm,
                               &la.ffnSubNorm};
    const FloatTensor *nb[] = {&lb.attnNorm, &lb.attnSubNorm, &lb.ffnNorm,
                               &lb.ffnSubNorm};
    for (size_t j = 0; d.empty() && j < 4; ++j)
      d = compareFloats(*na[j], *nb[j]);
  }
  return d;
}

ConvertResult convertModel(const ModelDescription &m, const ConvertOptions &o,
                           const std::string &path) {
  ConvertResult result;
  if (o.format == ModelFormat::HfBf16) {
    result.error = path + ": hf-bf16 holds full-precision master weights, "
                          "which a ternary model does not have; write "
                          "gguf-i2s, gguf-tq2, gguf-tq1 or hf-packed";
    return result;
  }
  WriteOptions w;
  w.config = m.config;
  w.format = o.format;
  if (o.tokenizer) {
    setTokenizer(w, *o.tokenizer);
  } else if (!m.vocab.tokens.empty()) {
    w.vocab = m.vocab;
  } else {
    result.notes.push_back("the model has no vocabulary, so neither has " +
                           path + " (give one with --tokenizer)");
  }
  w.embeddingType = m.tokenEmbedding.type;
  if (m.output && m.output->type != m.tokenEmbedding.type)
    w.embeddingType = DenseType::F32; // one type for both; f32 holds either
  w.smallFloatType = DenseType::F32;
  w.threads = o.threads;
  if (!o.name.empty())
    w.name = o.name;

  float tolerance = 0.0f;
  if (o.format == ModelFormat::GgufTQ1 || o.format == ModelFormat::GgufTQ2) {
    std::string note = f16ScaleNote(m, o.format, tolerance);
    if (!note.empty())
      result.notes.push_back(note);
  }
  result.error = writeModel(w, ModelValues(m), path);
  if (!result.error.empty())
    return result;

  ModelOrError back = loadModel(path);
  if (!back) {
    result.error = path + ": the written model does not load: " + back.error;
    return result;
  }
  if (std::string d = compareModelWeights(m, *back, tolerance); !d.empty())
    result.error = path + ": the written model differs from " + m.sourcePath +
                   ": " + d;
  return result;
}

} // namespace tern
