//===- ReferenceModel.cpp - The plain C++ BitNet b1.58 forward pass -------===//

#include "runtime/reference/ReferenceModel.h"

#include "runtime/model/Half.h"
#include "runtime/ternary/Ternary.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace tern {

//===----------------------------------------------------------------------===//
// Building blocks
//===----------------------------------------------------------------------===//

float dotF32(const float *a, const float *b, int64_t n) {
  float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l)
      part[l] += a[i + l] * b[i + l];
  for (int l = 0; i < n; ++i, ++l)
    part[l] += a[i] * b[i];
  return ((part[0] + part[4]) + (part[2] + part[6])) +
         ((part[1] + part[5]) + (part[3] + part[7]));
}

int32_t dotI8(const int8_t *a, const int8_t *w, int64_t n) {
  int32_t sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += static_cast<int32_t>(a[i]) * static_cast<int32_t>(w[i]);
  return sum;
}

void rmsNormRow(const float *x, const float *weight, int64_t n, float eps,
                float *out) {
  // 8 interleaved partial sums combined pairwise, as dotF32 (so compiled
  // code can keep them in vector lanes).
  double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int64_t i = 0; i < n; ++i)
    part[i % 8] += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  const double sumSq = ((part[0] + part[4]) + (part[2] + part[6])) +
                       ((part[1] + part[5]) + (part[3] + part[7]));
  const float mean = static_cast<float>(sumSq / static_cast<double>(n));
  const float r = 1.0f / std::sqrt(mean + eps);
  for (int64_t i = 0; i < n; ++i)
    out[i] = (x[i] * r) * weight[i];
}

void applyRope(float *x, int64_t headDim, int64_t pos, float theta) {
  const int64_t half = headDim / 2;
  for (int64_t i = 0; i < half; ++i) {
    const double invFreq =
        std::pow(static_cast<double>(theta),
                 -2.0 * static_cast<double>(i) / static_cast<double>(headDim));
    const double angle = static_cast<double>(pos) * invFreq;
    const float c = static_cast<float>(std::cos(angle));
    const float s = static_cast<float>(std::sin(angle));
    const float a = x[i], b = x[i + half];
    x[i] = a * c - b * s;
    x[i + half] = b * c + a * s;
  }
}

//===----------------------------------------------------------------------===//
// ReferenceModel
//===----------------------------------------------------------------------===//

ReferenceModel::ReferenceModel(std::shared_ptr<const ModelDescription> model,
                               int threads)
    : SequencesModel(1), model_(std::move(model)), pool_(threads) {}

OrError<std::unique_ptr<ReferenceModel>>
ReferenceModel::create(std::shared_ptr<const ModelDescription> model,
                       const ReferenceOptions &options) {
  using R = OrError<std::unique_ptr<ReferenceModel>>;
  if (!model)
    return R::failure("no model");
  const ModelConfig &c = model->config;
  if (static_cast<int64_t>(model->layers.size()) != c.numLayers)
    return R::failure(model->sourcePath + ": the model has " +
                      std::to_string(model->layers.size()) +
                      " layers, its configuration says " +
                      std::to_string(c.numLayers));
  if (options.contextSize < 0)
    return R::failure("context size " + std::to_string(options.contextSize) +
                      " is negative");
  const int64_t contextSize =
      options.contextSize ? options.contextSize : c.maxPositions;
  if (options.sequences < 1 || options.sequences > 4096)
    return R::failure(std::to_string(options.sequences) +
                      " sequences (1..4096 are allowed)");
  if (std::string bad = checkKvCache(c, contextSize * options.sequences);
      !bad.empty())
    return R::failure(bad);
  std::unique_ptr<ReferenceModel> r(
      new ReferenceModel(model, std::max(1, options.threads)));
  r->contextSize_ = contextSize;
  r->positions_.assign(static_cast<size_t>(options.sequences), 0);
  const int64_t kvDim = c.numKvHeads * c.headDim;

  // Decode the ternary weights, one layer per task.
  r->layers_.resize(static_cast<size_t>(c.numLayers));
  std::vector<std::string> errors(static_cast<size_t>(c.numLayers));
  r->pool_.parallelFor(c.numLayers, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const LayerWeights &src = model->layers[static_cast<size_t>(i)];
      Layer &dst = r->layers_[static_cast<size_t>(i)];
      auto decode = [&](const TernaryTensor &t, Linear &lin) {
        if (!errors[static_cast<size_t>(i)].empty())
          return;
        lin.rows = t.rows;
        lin.cols = t.cols;
        lin.scale = t.scale;
        lin.w.resize(static_cast<size_t>(t.rows * t.cols));
        if (!unpackTernary(t, lin.w.data())) {
          const std::string why = checkTernaryCodes(t);
          errors[static_cast<size_t>(i)] =
              model->sourcePath + ": " +
              (why.empty() ? "cannot decode tensor '" + t.name + "'" : why);
        }
      };
      decode(src.attnQ, dst.q);
      decode(src.attnK, dst.k);
      decode(src.attnV, dst.v);
      decode(src.attnOutput, dst.o);
      decode(src.ffnGate, dst.gate);
      decode(src.ffnUp, dst.up);
      decode(src.ffnDown, dst.down);
      dst.attnNorm = src.attnNorm.data;
      dst.attnSubNorm = src.attnSubNorm.data;
      dst.ffnNorm = src.ffnNorm.data;
      dst.ffnSubNorm = src.ffnSubNorm.data;
    }
  });
  for (const std::string &e : errors)
    if (!e.empty())
      return R::failure(e);
  for (Layer &l : r->layers_) {
    const size_t cache = static_cast<size_t>(options.sequences *
                                             r->contextSize_ * kvDim);
    l.kCache.assign(cache, 0.0f);
    l.vCache.assign(cache, 0.0f);
  }

  r->f16Table_.resize(65536);
  for (uint32_t h = 0; h < 65536; ++h)
    r->f16Table_[h] = fp16ToFloat(static_cast<uint16_t>(h));

  // A quantized head, one vocabulary row per task.
  r->headFormat_ = options.head;
  if (options.head != HeadFormat::Native) {
    const DenseTensor &head = model->output ? *model->output
                                            : model->tokenEmbedding;
    const std::string bad = checkHeadFormat(options.head, head.cols);
    if (!bad.empty())
      return R::failure(model->sourcePath + ": " + bad);
    const int64_t cb = headCodeBytesPerRow(options.head, head.cols);
    const int64_t sc = headScalesPerRow(options.head, head.cols);
    r->headCodes_.resize(static_cast<size_t>(head.rows * cb));
    r->headScales_.resize(static_cast<size_t>(head.rows * sc));
    if (isScreenedHead(options.head))
      r->screenBounds_.resize(static_cast<size_t>(head.rows));
    ReferenceModel *rp = r.get();
    r->pool_.parallelFor(head.rows, [&](int64_t begin, int64_t end) {
      std::vector<float> row(static_cast<size_t>(head.cols));
      for (int64_t v = begin; v < end; ++v) {
        rp->toFloat(head, v, row.data());
        quantizeHeadRow(options.head, row.data(), head.cols,
                        &rp->headCodes_[static_cast<size_t>(v * cb)],
                        &rp->headScales_[static_cast<size_t>(v * sc)]);
        if (isScreenedHead(options.head))
          rp->screenBounds_[static_cast<size_t>(v)] = screenRowBound(
              options.head, row.data(),
              &rp->headCodes_[static_cast<size_t>(v * cb)],
              &rp->headScales_[static_cast<size_t>(v * sc)], head.cols);
      }
    });
  }
  return R(std::move(r));
}

void ReferenceModel::toFloat(const DenseTensor &t, int64_t row,
                             float *out) const {
  if (t.type == DenseType::F16) {
    const auto *p = static_cast<const uint16_t *>(t.data) + row * t.cols;
    for (int64_t i = 0; i < t.cols; ++i)
      out[i] = f16Table_[p[i]];
    return;
  }
  denseRowToFloat(t, row, out);
}

void ReferenceModel::bitLinear(const Linear &lin, const float *x, int64_t m,
                               float *y) {
  const int64_t k = lin.cols, n = lin.rows;
  std::vector<int8_t> q(static_cast<size_t>(m * k));
  std::vector<float> s(static_cast<size_t>(m));
  for (int64_t r = 0; r < m; ++r)
    s[static_cast<size_t>(r)] = quantizeActivationRow(x + r * k, k, &q[r * k]);
  pool_.parallelFor(n, [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; ++j) {
      const int8_t *w = &lin.w[static_cast<size_t>(j * k)];
      for (int64_t r = 0; r < m; ++r) {
        const int32_t acc = dotI8(&q[static_cast<size_t>(r * k)], w, k);
        // runtime/ternary's rescale: float(acc) * (beta / s).
        y[r * n + j] = static_cast<float>(acc) *
                       (lin.scale / s[static_cast<size_t>(r)]);
      }
    }
  });
}

void attendHead(const float *q, const float *k, const float *v,
                int64_t stride, int64_t len, int64_t headDim, float scale,
                float *scores, float *out) {
  float maxScore = -INFINITY;
  for (int64_t j = 0; j < len; ++j) {
    scores[j] = dotF32(q, k + j * stride, headDim) * scale;
    maxScore = std::max(maxScore, scores[j]);
  }
  float sum = 0.0f;
  for (int64_t j = 0; j < len; ++j) {
    scores[j] = std::exp(scores[j] - maxScore);
    sum += scores[j];
  }
  std::fill(out, out + headDim, 0.0f);
  for (int64_t j = 0; j < len; ++j) {
    const float w = scores[j] / sum;
    const float *vj = v + j * stride;
    for (int64_t d = 0; d < headDim; ++d)
      out[d] += w * vj[d];
  }
}

void ReferenceModel::headRows(HeadFormat format, const float *x, int64_t m,
                              int64_t rowsBegin, int64_t rowsEnd,
                              float *logits, int64_t ldLogits) {
  const DenseTensor &head =
      model_->output ? *model_->output : model_->tokenEmbedding;
  const int64_t hidden = model_->config.hiddenSize;
  const int64_t cb = headCodeBytesPerRow(format, hidden);
  const int64_t sc = headScalesPerRow(format, hidden);
  std::vector<float> row(static_cast<size_t>(hidden));
  if (format == HeadFormat::Int8 || format == HeadFormat::Q4) {
    // Integer dot products of the token rows quantized as BitLinear's.
    std::vector<int8_t> xq(static_cast<size_t>(m * hidden));
    std::vector<float> xs(static_cast<size_t>(m));
    quantizeActivations(x, m, hidden, xq.data(), xs.data());
    for (int64_t v = rowsBegin; v < rowsEnd; ++v)
      for (int64_t r = 0; r < m; ++r) {
        const int8_t *xr = &xq[static_cast<size_t>(r * hidden)];
        const float s = xs[static_cast<size_t>(r)];
        const uint8_t *codes = &headCodes_[static_cast<size_t>(v * cb)];
        const float *scales = &headScales_[static_cast<size_t>(v * sc)];
        logits[r * ldLogits + v] =
            format == HeadFormat::Int8
                ? int8HeadLogit(xr, s, codes, scales[0], hidden)
                : q4HeadLogit(xr, s, codes, scales, hidden);
      }
    return;
  }
  if (format == HeadFormat::Screened) {
    // The screen's scan: the token rows quantized to 15 bits, exact
    // integer sums.
    std::vector<int16_t> u(static_cast<size_t>(m * hidden));
    std::vector<float> xs(static_cast<size_t>(m));
    for (int64_t r = 0; r < m; ++r)
      xs[static_cast<size_t>(r)] =
          quantizeScreenRow(x + r * hidden, hidden, &u[static_cast<size_t>(r * hidden)]);
    for (int64_t v = rowsBegin; v < rowsEnd; ++v)
      for (int64_t r = 0; r < m; ++r)
        logits[r * ldLogits + v] = screenScanLogit(
            &u[static_cast<size_t>(r * hidden)], xs[static_cast<size_t>(r)],
            &headCodes_[static_cast<size_t>(v * cb)],
            headScales_[static_cast<size_t>(v)], hidden);
    return;
  }
  for (int64_t v = rowsBegin; v < rowsEnd; ++v) {
    toFloat(head, v, row.data());
    for (int64_t r = 0; r < m; ++r)
      logits[r * ldLogits + v] = dotHead(x + r * hidden, row.data(), hidden);
  }
}

std::string ReferenceModel::forward(const TokenId *tokens, int64_t n,
                                    float *logits, bool allLogits) {
  const ModelConfig &c = model_->config;
  int64_t &position = positions_[seq_];
  std::string bad = checkForwardRequest(c, position, contextSize_, tokens, n);
  if (!bad.empty())
    return bad;

  const int64_t hidden = c.hiddenSize, hd = c.headDim;
  const int64_t qDim = c.numHeads * hd, kvDim = c.numKvHeads * hd;
  const int64_t inter = c.intermediateSize;
  const int64_t group = c.numHeads / c.numKvHeads;
  const float eps = c.rmsNormEps;
  const float attnScale = 1.0f / std::sqrt(static_cast<float>(hd));
  const int64_t p0 = position;

  std::vector<float> x(static_cast<size_t>(n * hidden));
  std::vector<float> xn(static_cast<size_t>(n * std::max(hidden, inter)));
  std::vector<float> q(static_cast<size_t>(n * qDim));
  std::vector<float> k(static_cast<size_t>(n * kvDim));
  std::vector<float> v(static_cast<size_t>(n * kvDim));
  std::vector<float> att(static_cast<size_t>(n * qDim));
  std::vector<float> proj(static_cast<size_t>(n * hidden));
  std::vector<float> gate(static_cast<size_t>(n * inter));
  std::vector<float> up(static_cast<size_t>(n * inter));

  for (int64_t t = 0; t < n; ++t)
    toFloat(model_->tokenEmbedding, tokens[t], &x[t * hidden]);

  for (Layer &l : layers_) {
    // Attention block.
    for (int64_t t = 0; t < n; ++t)
      rmsNormRow(&x[t * hidden], l.attnNorm, hidden, eps, &xn[t * hidden]);
    bitLinear(l.q, xn.data(), n, q.data());
    bitLinear(l.k, xn.data(), n, k.data());
    bitLinear(l.v, xn.data(), n, v.data());
    for (int64_t t = 0; t < n; ++t) {
      for (int64_t h = 0; h < c.numHeads; ++h)
        applyRope(&q[t * qDim + h * hd], hd, p0 + t, c.ropeTheta);
      for (int64_t h = 0; h < c.numKvHeads; ++h)
        applyRope(&k[t * kvDim + h * hd], hd, p0 + t, c.ropeTheta);
    }
    float *kc = &l.kCache[seq_ * contextSize_ * kvDim];
    float *vc = &l.vCache[seq_ * contextSize_ * kvDim];
    std::memcpy(kc + p0 * kvDim, k.data(), sizeof(float) * n * kvDim);
    std::memcpy(vc + p0 * kvDim, v.data(), sizeof(float) * n * kvDim);
    pool_.parallelFor(n * c.numHeads, [&](int64_t begin, int64_t end) {
      std::vector<float> scores(static_cast<size_t>(p0 + n));
      for (int64_t th = begin; th < end; ++th) {
        const int64_t t = th / c.numHeads, h = th % c.numHeads;
        const int64_t kvh = h / group, len = p0 + t + 1;
        attendHead(&q[t * qDim + h * hd], kc + kvh * hd, vc + kvh * hd,
                   kvDim, len, hd, attnScale,
                   scores.data(), &att[t * qDim + h * hd]);
      }
    });
    for (int64_t t = 0; t < n; ++t)
      rmsNormRow(&att[t * qDim], l.attnSubNorm, qDim, eps, &att[t * qDim]);
    bitLinear(l.o, att.data(), n, proj.data());
    for (int64_t i = 0; i < n * hidden; ++i)
      x[i] += proj[i];

    // MLP block.
    for (int64_t t = 0; t < n; ++t)
      rmsNormRow(&x[t * hidden], l.ffnNorm, hidden, eps, &xn[t * hidden]);
    bitLinear(l.gate, xn.data(), n, gate.data());
    bitLinear(l.up, xn.data(), n, up.data());
    for (int64_t i = 0; i < n * inter; ++i) {
      const float r = std::max(gate[i], 0.0f);
      gate[i] = r * r * up[i];
    }
    for (int64_t t = 0; t < n; ++t)
      rmsNormRow(&gate[t * inter], l.ffnSubNorm, inter, eps, &gate[t * inter]);
    bitLinear(l.down, gate.data(), n, proj.data());
    for (int64_t i = 0; i < n * hidden; ++i)
      x[i] += proj[i];
  }

  hidden_.resize(static_cast<size_t>(n * hidden));
  for (int64_t t = 0; t < n; ++t)
    rmsNormRow(&x[t * hidden], model_->outputNorm.data, hidden, eps,
               &hidden_[t * hidden]);
  const int64_t first = allLogits ? 0 : n - 1;
  const int64_t rows = n - first;
  // A screened head screens one token row with its quantized copy (the
  // int8 screen's own scan, or the q4 head) and recomputes the candidates
  // natively; several rows get native logits.
  const bool screen = isScreenedHead(headFormat_) && n == 1;
  const HeadFormat format = !isScreenedHead(headFormat_) ? headFormat_
                            : !screen                    ? HeadFormat::Native
                            : headFormat_ == HeadFormat::ScreenedQ4
                                ? HeadFormat::Q4
                                : headFormat_;
  const float *xs = &hidden_[first * hidden];
  pool_.parallelFor(c.vocabSize, [&](int64_t begin, int64_t end) {
    headRows(format, xs, rows, begin, end, logits, c.vocabSize);
  });
  if (screen) {
    const DenseTensor &head =
        model_->output ? *model_->output : model_->tokenEmbedding;
    std::vector<float> row(static_cast<size_t>(hidden));
    screenHeadLogits(xs, hidden, screenBounds_.data(), c.vocabSize, logits,
                     [&](int64_t v) {
                       toFloat(head, v, row.data());
                       return dotHead(xs, row.data(), hidden);
                     },
                     screenMinNorm(headFormat_, hidden));
  }
  position += n;
  return "";
}

} // namespace tern
