//===- Generate.cpp - The generation loop ---------------------------------===//

#include "runtime/generate/Generate.h"

#include "runtime/support/Limits.h"

#include <algorithm>
#include <chrono>

namespace tern {

namespace {
double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       start)
      .count();
}
} // namespace

std::string checkForwardRequest(const ModelConfig &c, int64_t position,
                                int64_t contextSize, const TokenId *tokens,
                                int64_t n) {
  if (n <= 0)
    return "nothing to evaluate (0 tokens)";
  if (position + n > contextSize)
    return "context full: " + std::to_string(position) + " tokens + " +
           std::to_string(n) + " new exceed the context size " +
           std::to_string(contextSize);
  for (int64_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= c.vocabSize)
      return "token id " + std::to_string(tokens[i]) +
             " is outside the vocabulary (0.." +
             std::to_string(c.vocabSize - 1) + ")";
  return "";
}

std::string LanguageModel::checkDecodeBatch(const int64_t *seqs,
                                            const TokenId *tokens, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (seqs[i] < 0 || seqs[i] >= sequences())
      return "sequence " + std::to_string(seqs[i]) + " outside 0.." +
             std::to_string(sequences() - 1);
    for (int64_t j = 0; j < i; ++j)
      if (seqs[j] == seqs[i])
        return "sequence " + std::to_string(seqs[i]) + " twice in a batch";
    selectSequence(seqs[i]);
    if (std::string bad = checkForwardRequest(config(), position(),
                                              contextSize(), tokens + i, 1);
        !bad.empty())
      return bad;
  }
  return "";
}

std::string LanguageModel::decodeBatch(const int64_t *seqs,
                                       const TokenId *tokens, int64_t n,
                                       float *logits) {
  const ModelConfig &c = config();
  // Check every row first: an error changes nothing.
  if (std::string bad = checkDecodeBatch(seqs, tokens, n); !bad.empty())
    return bad;
  for (int64_t i = 0; i < n; ++i) {
    selectSequence(seqs[i]);
    if (std::string bad =
            forward(tokens + i, 1, logits + i * c.vocabSize, false);
        !bad.empty())
      return bad;
  }
  return "";
}

std::string checkKvCache(const ModelConfig &c, int64_t contextSize) {
  if (contextSize <= 0)
    return "context size " + std::to_string(contextSize) + " is not positive";
  const std::optional<int64_t> bytes =
      checkedProduct({2, c.numLayers, contextSize, c.numKvHeads, c.headDim,
                      static_cast<int64_t>(sizeof(float))});
  return checkFitsInMemory(
      "a KV cache of " + std::to_string(contextSize) + " tokens (" +
          std::to_string(c.numLayers) + " layers x keys and values of " +
          std::to_string(c.numKvHeads * c.headDim) + " floats per token)",
      bytes);
}

OrError<GenerateStats> generate(LanguageModel &model, Sampler &sampler,
                                const GenerateRequest &request) {
  using R = OrError<GenerateStats>;
  const int64_t vocab = model.config().vocabSize;
  GenerateStats stats;
  const int64_t n = static_cast<int64_t>(request.prompt.size());
  if (n == 0)
    return R::failure("the prompt is empty (no tokens to evaluate)");

  const bool all = request.logits != nullptr;
  std::vector<float> logits(static_cast<size_t>((all ? n : 1) * vocab));
  auto start = std::chrono::steady_clock::now();
  std::string error =
      model.forward(request.prompt.data(), n, logits.data(), all);
  if (!error.empty())
    return R::failure(error);
  stats.promptTokens = n;
  stats.promptSeconds = secondsSince(start);
  if (all)
    request.logits->insert(request.logits->end(), logits.begin(),
                           logits.end());
  const float *last = logits.data() + (all ? (n - 1) * vocab : 0);

  std::vector<TokenId> history = request.prompt;
  start = std::chrono::steady_clock::now();
  while (stats.generatedTokens < request.maxNewTokens) {
    const TokenId next = sampler.sample(last, vocab, history);
    history.push_back(next);
    stats.tokens.push_back(next);
    ++stats.generatedTokens;
    if (request.onToken && !request.onToken(next)) {
      stats.stopReason = "callback";
      break;
    }
    if (std::find(request.stopIds.begin(), request.stopIds.end(), next) !=
        request.stopIds.end()) {
      stats.stopReason = "stop token";
      break;
    }
    if (stats.generatedTokens == request.maxNewTokens)
      break;
    if (model.position() >= model.contextSize()) {
      stats.stopReason = "context full";
      break;
    }
    logits.resize(static_cast<size_t>(vocab));
    error = model.forward(&next, 1, logits.data(), false);
    if (!error.empty())
      return R::failure(error);
    ++stats.decodeEvals;
    if (all)
      request.logits->insert(request.logits->end(), logits.begin(),
                             logits.end());
    last = logits.data();
  }
  if (stats.stopReason.empty())
    stats.stopReason = "limit";
  stats.decodeSeconds = secondsSince(start);
  return R(std::move(stats));
}

} // namespace tern
