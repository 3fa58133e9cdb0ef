//===- Scheduler.h - Continuous batching over a model's sequences ---------===//
//
// The server's engine. A model instantiated with S sequences (slots) is
// driven by one thread, step by step:
//   1. admit queued requests into free slots (the queue holds at most
//      `queueLimit`; submit() refuses beyond it) and retire cancelled ones;
//   2. evaluate one chunk (at most `prefillChunk` tokens) of one admitted
//      prompt, so that a long prompt does not stall the streams in flight;
//   3. decode one token for every slot that is generating, all rows in one
//      LanguageModel::decodeBatch() call (compiled models read each weight
//      once for the whole batch), then sample each row with its request's
//      own sampler and hand the token to the request. With `draftMax`, a
//      greedy request generating alone evaluates its token with a draft
//      from its context (prompt lookup) and takes every drafted token
//      greedy decoding agrees with.
// A row's logits do not depend on the rest of the batch, so a request's
// greedy output is the same whether it runs alone or among others.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SERVE_SCHEDULER_H
#define TERN_RUNTIME_SERVE_SCHEDULER_H

#include "runtime/generate/LanguageModel.h"
#include "runtime/generate/PromptLookup.h"
#include "runtime/generate/Sampler.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tern {

/// One generation request and its callbacks (called on the scheduler's
/// thread).
struct SeqRequest {
  std::vector<TokenId> prompt; ///< at least one token, fits the context
  int64_t maxTokens = 0;       ///< new tokens at most
  SamplerOptions sampler;
  std::vector<TokenId> stopIds; ///< end the reply (not passed to onToken)
  /// Each new token; false ends the request ("stop": a stop string).
  std::function<bool(TokenId)> onToken;
  /// Once, at the end: "stop", "length", "cancelled" or "error: ...", and
  /// the number of tokens generated.
  std::function<void(const std::string &reason, int64_t generated)> onDone;
  /// Set by the client's thread (disconnect): the slot is freed at the
  /// next step.
  std::atomic<bool> cancelled{false};
};

struct SchedulerOptions {
  int64_t queueLimit = 64;
  int64_t prefillChunk = 256;
  /// Prompt-lookup decoding (PromptLookup.h) for a greedy request that
  /// generates alone: up to this many drafted tokens verified per step;
  /// 0: off.
  int64_t draftMax = 0;
};

/// Counters for /metrics (totals since start, and the current state).
struct SchedulerMetrics {
  int64_t slots = 0, slotsBusy = 0, queueDepth = 0;
  int64_t requestsDone = 0, requestsCancelled = 0;
  int64_t promptTokens = 0, generatedTokens = 0;
  int64_t decodeSteps = 0, decodeRows = 0;
  int64_t draftedTokens = 0, acceptedDraft = 0; ///< prompt lookup
  double decodeSeconds = 0, prefillSeconds = 0;
};

class Scheduler {
public:
  /// Drives `model` (its sequences are the slots); starts the thread.
  Scheduler(std::unique_ptr<LanguageModel> model, SchedulerOptions options);
  ~Scheduler();

  /// Queues `r`; false when every slot is taken and `queueLimit` requests
  /// wait already, or the scheduler drains.
  bool submit(std::shared_ptr<SeqRequest> r);
  /// Refuses new requests, finishes the admitted and queued ones, then
  /// stops the thread.
  void drain();
  SchedulerMetrics metrics() const;
  int64_t contextSize() const { return model_->contextSize(); }
  int64_t slots() const { return model_->sequences(); }

private:
  struct Slot {
    std::shared_ptr<SeqRequest> req;
    std::unique_ptr<Sampler> sampler;
    std::vector<TokenId> history;
    int64_t fed = 0;       ///< prompt tokens evaluated
    int64_t generated = 0; ///< tokens sampled
    TokenId next = -1;     ///< sampled, to be evaluated by the next step
    DraftPolicy drafting;  ///< prompt lookup, while it pays
  };

  void loop();
  void admit();
  bool prefillOne();
  void decodeStep();
  /// Slot `s` alone, greedy: its next token and a draft in one forward();
  /// false when there is no draft (then decodeStep decodes as usual).
  bool lookupStep(size_t s);
  /// Samples the token after `logits` for slot `s`; finishes it when it
  /// ends there.
  void takeToken(size_t s, const float *logits);
  void finish(size_t s, const std::string &reason);

  std::unique_ptr<LanguageModel> model_;
  SchedulerOptions options_;
  std::vector<Slot> slots_;
  size_t nextPrefill_ = 0;
  std::vector<float> logits_; ///< a step's logits, reused (the loop's thread)

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<SeqRequest>> queue_;
  bool draining_ = false, stopped_ = false;
  SchedulerMetrics metrics_;
  std::thread thread_;
};

} // namespace tern

#endif // TERN_RUNTIME_SERVE_SCHEDULER_H
