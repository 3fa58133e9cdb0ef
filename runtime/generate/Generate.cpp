//===- Generate.cpp - The generation loop ---------------------------------===//

#include "runtime/generate/Generate.h"

#include "runtime/generate/PromptLookup.h"
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

namespace {

/// The rows of the last multi-token forward() of a speculative draft:
/// fed[0] (the last generated token) and the draft after it, their logits,
/// and how far greedy decoding has agreed with the draft.
struct Verified {
  std::vector<TokenId> fed;
  std::vector<float> rows; ///< [fed.size(), vocab]
  int64_t base = 0;        ///< the position of fed[0]
  int64_t cursor = 0;      ///< the row whose logits are the current ones
  double seconds = 0;      ///< the pass's time
  bool active() const { return !fed.empty(); }
};

/// The decode loop's state: the model, the request, the statistics and
/// the logits the next token is sampled from.
class Decoder {
public:
  Decoder(LanguageModel &model, const GenerateRequest &request,
          GenerateStats &stats, bool lookup)
      : model_(model), request_(request), stats_(stats), lookup_(lookup),
        vocab_(model.config().vocabSize) {}

  /// Evaluates the prompt.
  std::string prompt() {
    const int64_t n = static_cast<int64_t>(request_.prompt.size());
    const bool all = request_.logits != nullptr;
    logits_.resize(static_cast<size_t>((all ? n : 1) * vocab_));
    std::string error =
        model_.forward(request_.prompt.data(), n, logits_.data(), all);
    if (!error.empty())
      return error;
    if (all)
      request_.logits->insert(request_.logits->end(), logits_.begin(),
                              logits_.end());
    last_ = logits_.data() + (all ? (n - 1) * vocab_ : 0);
    return "";
  }

  const float *last() const { return last_; }

  /// Whether `next` (just generated) was already evaluated as the next
  /// token of a verified draft; if so its row becomes the current logits.
  bool takeVerified(TokenId next) {
    if (!verified_.active())
      return false;
    const int64_t c = verified_.cursor + 1;
    if (c < static_cast<int64_t>(verified_.fed.size()) &&
        verified_.fed[static_cast<size_t>(c)] == next) {
      verified_.cursor = c;
      setLast(verified_.rows.data() + c * vocab_);
      ++stats_.acceptedDraft;
      ++stats_.decodeEvals;
      return true;
    }
    drop();
    return false;
  }

  /// Forgets the rows of a draft past the one in use (the cache keeps the
  /// tokens that were generated); the pass gave cursor + 1 tokens.
  void drop() {
    if (!verified_.active())
      return;
    policy_.pass(verified_.cursor + 1, verified_.seconds);
    model_.truncate(verified_.base + verified_.cursor + 1);
    verified_.fed.clear();
  }

  /// Evaluates `next`, with a draft from the context after it when lookup
  /// is on and one is found; `remaining` tokens are still to be generated.
  std::string evaluate(TokenId next, const std::vector<TokenId> &history,
                       int64_t remaining) {
    std::vector<TokenId> draft;
    if (lookup_ && (request_.draftEveryChance || policy_.shouldDraft()))
      draft = lookupDraft(
          history, std::min({request_.draftMax, remaining - 1,
                             model_.contextSize() - model_.position() - 1}));
    const auto start = std::chrono::steady_clock::now();
    if (draft.empty()) {
      logits_.resize(static_cast<size_t>(vocab_));
      if (std::string e = model_.forward(&next, 1, logits_.data(), false);
          !e.empty())
        return e;
      if (lookup_)
        policy_.plainStep(secondsSince(start));
      ++stats_.decodeEvals;
      setLast(logits_.data());
      return "";
    }
    verified_.fed.assign(1, next);
    verified_.fed.insert(verified_.fed.end(), draft.begin(), draft.end());
    const int64_t m = static_cast<int64_t>(verified_.fed.size());
    verified_.rows.resize(static_cast<size_t>(m * vocab_));
    verified_.base = model_.position();
    verified_.cursor = 0;
    if (std::string e = model_.forward(verified_.fed.data(), m,
                                       verified_.rows.data(), true);
        !e.empty()) {
      verified_.fed.clear();
      return e;
    }
    verified_.seconds = secondsSince(start);
    ++stats_.decodeEvals;
    ++stats_.draftPasses;
    stats_.draftedTokens += m - 1;
    setLast(verified_.rows.data());
    return "";
  }

private:
  void setLast(const float *row) {
    last_ = row;
    if (request_.logits)
      request_.logits->insert(request_.logits->end(), row, row + vocab_);
  }

  LanguageModel &model_;
  const GenerateRequest &request_;
  GenerateStats &stats_;
  const bool lookup_;
  const int64_t vocab_;
  std::vector<float> logits_;
  const float *last_ = nullptr;
  Verified verified_;
  DraftPolicy policy_;
};

} // namespace

OrError<GenerateStats> generate(LanguageModel &model, Sampler &sampler,
                                const GenerateRequest &request) {
  using R = OrError<GenerateStats>;
  GenerateStats stats;
  const int64_t n = static_cast<int64_t>(request.prompt.size());
  if (n == 0)
    return R::failure("the prompt is empty (no tokens to evaluate)");
  // Drafts are verified against greedy decoding (deterministic given the
  // logits and the history), so the output is the same token for token.
  const bool lookup =
      request.draftMax > 0 && sampler.options().temperature <= 0;
  Decoder d(model, request, stats, lookup);

  auto start = std::chrono::steady_clock::now();
  if (std::string error = d.prompt(); !error.empty())
    return R::failure(error);
  stats.promptTokens = n;
  stats.promptSeconds = secondsSince(start);

  std::vector<TokenId> history = request.prompt;
  start = std::chrono::steady_clock::now();
  std::string error;
  while (stats.generatedTokens < request.maxNewTokens) {
    const TokenId next = sampler.sample(d.last(), model.config().vocabSize,
                                        history);
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
    if (d.takeVerified(next))
      continue;
    if (model.position() >= model.contextSize()) {
      stats.stopReason = "context full";
      break;
    }
    error = d.evaluate(next, history,
                       request.maxNewTokens - stats.generatedTokens);
    if (!error.empty())
      break;
  }
  // The cache ends with the last generated token that was evaluated.
  d.drop();
  if (!error.empty())
    return R::failure(error);
  if (stats.stopReason.empty())
    stats.stopReason = "limit";
  stats.decodeSeconds = secondsSince(start);
  return R(std::move(stats));
}

} // namespace tern
