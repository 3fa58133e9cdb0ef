//===- Sampler.cpp - Picks the next token from logits ---------------------===//

#include "runtime/generate/Sampler.h"

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <numeric>
#include <unordered_set>

namespace tern {

std::string checkSamplerOptions(const SamplerOptions &o) {
  auto num = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return std::string(buf);
  };
  if (!std::isfinite(o.temperature))
    return "--temp " + num(o.temperature) + " is not a finite number";
  if (o.temperature < 0.0f)
    return "--temp " + num(o.temperature) +
           " is negative (0 samples greedily, higher is more random)";
  if (!(o.topP >= 0.0f && o.topP <= 1.0f))
    return "--top-p " + num(o.topP) + " is outside [0, 1]";
  if (!(o.minP >= 0.0f && o.minP <= 1.0f))
    return "--min-p " + num(o.minP) + " is outside [0, 1]";
  if (!(o.repeatPenalty > 0.0f) || !std::isfinite(o.repeatPenalty))
    return "--repeat-penalty " + num(o.repeatPenalty) +
           " must be a positive number";
  if (o.repeatLastN < 0)
    return "--repeat-last-n " + std::to_string(o.repeatLastN) +
           " is negative";
  return "";
}

Sampler::Sampler(const SamplerOptions &options)
    : options_(options), rng_(options.seed) {}

double Sampler::uniform() {
  return static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0);
}

TokenId Sampler::sample(const float *logits, int64_t vocab,
                        const std::vector<TokenId> &history) {
  work_.assign(logits, logits + vocab);
  if (options_.repeatPenalty != 1.0f && options_.repeatLastN > 0) {
    std::unordered_set<TokenId> seen;
    const size_t n = std::min(history.size(),
                              static_cast<size_t>(options_.repeatLastN));
    for (size_t i = history.size() - n; i < history.size(); ++i) {
      const TokenId id = history[i];
      if (id < 0 || id >= vocab || !seen.insert(id).second)
        continue;
      float &l = work_[static_cast<size_t>(id)];
      l = l > 0 ? l / options_.repeatPenalty : l * options_.repeatPenalty;
    }
  }

  if (options_.temperature <= 0.0f) {
    // First maximum: ties go to the lowest id. NaN never wins.
    int64_t best = 0;
    for (int64_t i = 1; i < vocab; ++i)
      if (work_[static_cast<size_t>(i)] > work_[static_cast<size_t>(best)] ||
          std::isnan(work_[static_cast<size_t>(best)]))
        best = i;
    return static_cast<TokenId>(best);
  }

  // Candidates sorted by logit (descending; ties by id), cut to top-k.
  ids_.resize(static_cast<size_t>(vocab));
  std::iota(ids_.begin(), ids_.end(), 0);
  auto byLogit = [&](TokenId a, TokenId b) {
    const float la = work_[static_cast<size_t>(a)],
                lb = work_[static_cast<size_t>(b)];
    return la > lb || (la == lb && a < b);
  };
  size_t keep = ids_.size();
  if (options_.topK > 0 && static_cast<size_t>(options_.topK) < keep) {
    keep = static_cast<size_t>(options_.topK);
    std::partial_sort(ids_.begin(), ids_.begin() + keep, ids_.end(), byLogit);
  } else {
    std::sort(ids_.begin(), ids_.end(), byLogit);
  }
  ids_.resize(keep);

  // Softmax with temperature, in double.
  std::vector<double> p(keep);
  const double top = work_[static_cast<size_t>(ids_[0])];
  double sum = 0.0;
  for (size_t i = 0; i < keep; ++i) {
    p[i] = std::exp((work_[static_cast<size_t>(ids_[i])] - top) /
                    options_.temperature);
    sum += p[i];
  }
  for (double &v : p)
    v /= sum;

  // Top-p: the shortest prefix reaching topP.
  if (options_.topP < 1.0f) {
    double cum = 0.0;
    size_t n = 0;
    while (n < keep) {
      cum += p[n++];
      if (cum >= options_.topP)
        break;
    }
    keep = std::max<size_t>(n, 1);
  }
  // Min-p: relative to the most likely token.
  if (options_.minP > 0.0f) {
    size_t n = 1;
    while (n < keep && p[n] >= options_.minP * p[0])
      ++n;
    keep = n;
  }

  double total = 0.0;
  for (size_t i = 0; i < keep; ++i)
    total += p[i];
  double r = uniform() * total;
  for (size_t i = 0; i < keep; ++i) {
    r -= p[i];
    if (r < 0.0)
      return ids_[i];
  }
  return ids_[keep - 1];
}

} // namespace tern
