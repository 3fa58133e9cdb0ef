//===- Scheduler.cpp - Continuous batching over a model's sequences -------===//

#include "runtime/serve/Scheduler.h"

#include <algorithm>
#include <chrono>

namespace tern {

namespace {
double secondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
      .count();
}
} // namespace

Scheduler::Scheduler(std::unique_ptr<LanguageModel> model,
                     SchedulerOptions options)
    : model_(std::move(model)), options_(options),
      slots_(static_cast<size_t>(model_->sequences())) {
  metrics_.slots = static_cast<int64_t>(slots_.size());
  thread_ = std::thread([this] { loop(); });
}

Scheduler::~Scheduler() { drain(); }

bool Scheduler::submit(std::shared_ptr<SeqRequest> r) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Room for the queue's limit beyond the free slots (which the loop
    // fills from the queue at its next step).
    const int64_t room =
        options_.queueLimit + metrics_.slots - metrics_.slotsBusy;
    if (draining_ || static_cast<int64_t>(queue_.size()) >= room)
      return false;
    queue_.push_back(std::move(r));
    metrics_.queueDepth = static_cast<int64_t>(queue_.size());
  }
  wake_.notify_one();
  return true;
}

void Scheduler::drain() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    draining_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable())
    thread_.join();
}

SchedulerMetrics Scheduler::metrics() const {
  std::lock_guard<std::mutex> lock(mu_);
  return metrics_;
}

void Scheduler::finish(size_t s, const std::string &reason) {
  Slot &slot = slots_[s];
  // The counters first: whoever onDone wakes sees them updated.
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++(reason == "cancelled" ? metrics_.requestsCancelled
                             : metrics_.requestsDone);
    --metrics_.slotsBusy;
  }
  if (slot.req->onDone)
    slot.req->onDone(reason, slot.generated);
  slot = Slot();
}

void Scheduler::admit() {
  for (size_t s = 0; s < slots_.size(); ++s)
    if (slots_[s].req && slots_[s].req->cancelled.load())
      finish(s, "cancelled");
  std::vector<std::shared_ptr<SeqRequest>> cancelled;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t s = 0; s < slots_.size() && !queue_.empty(); ++s) {
      if (slots_[s].req)
        continue;
      std::shared_ptr<SeqRequest> r = std::move(queue_.front());
      queue_.pop_front();
      if (r->cancelled.load()) {
        cancelled.push_back(std::move(r));
        --s; // the slot is still free
        continue;
      }
      Slot &slot = slots_[s];
      slot.sampler = std::make_unique<Sampler>(r->sampler);
      slot.history = r->prompt;
      slot.req = std::move(r);
      ++metrics_.slotsBusy;
      model_->selectSequence(static_cast<int64_t>(s));
      model_->reset();
    }
    metrics_.queueDepth = static_cast<int64_t>(queue_.size());
    metrics_.requestsCancelled += static_cast<int64_t>(cancelled.size());
  }
  for (auto &r : cancelled)
    if (r->onDone)
      r->onDone("cancelled", 0);
}

bool Scheduler::prefillOne() {
  // Round-robin over the slots whose prompt is not evaluated yet.
  for (size_t i = 0; i < slots_.size(); ++i) {
    const size_t s = (nextPrefill_ + i) % slots_.size();
    Slot &slot = slots_[s];
    if (!slot.req || slot.next >= 0)
      continue;
    const int64_t total = static_cast<int64_t>(slot.req->prompt.size());
    const int64_t n = std::min(options_.prefillChunk, total - slot.fed);
    logits_.resize(static_cast<size_t>(model_->config().vocabSize));
    const auto start = std::chrono::steady_clock::now();
    model_->selectSequence(static_cast<int64_t>(s));
    const std::string error = model_->forward(
        slot.req->prompt.data() + slot.fed, n, logits_.data(), false);
    {
      std::lock_guard<std::mutex> lock(mu_);
      metrics_.prefillSeconds += secondsSince(start);
      metrics_.promptTokens += n;
    }
    if (!error.empty()) {
      finish(s, "error: " + error);
      return true;
    }
    slot.fed += n;
    nextPrefill_ = s + 1;
    if (slot.fed == total)
      takeToken(s, logits_.data());
    return true;
  }
  return false;
}

void Scheduler::takeToken(size_t s, const float *logits) {
  Slot &slot = slots_[s];
  SeqRequest &r = *slot.req;
  const TokenId t =
      slot.sampler->sample(logits, model_->config().vocabSize, slot.history);
  slot.history.push_back(t);
  ++slot.generated;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++metrics_.generatedTokens;
  }
  if (std::find(r.stopIds.begin(), r.stopIds.end(), t) != r.stopIds.end())
    return finish(s, "stop");
  if (r.onToken && !r.onToken(t))
    return finish(s, r.cancelled.load() ? "cancelled" : "stop");
  model_->selectSequence(static_cast<int64_t>(s));
  if (slot.generated >= r.maxTokens ||
      model_->position() >= model_->contextSize())
    return finish(s, "length");
  slot.next = t;
}

void Scheduler::decodeStep() {
  std::vector<int64_t> seqs;
  std::vector<TokenId> tokens;
  for (size_t s = 0; s < slots_.size(); ++s)
    if (slots_[s].req && slots_[s].next >= 0) {
      seqs.push_back(static_cast<int64_t>(s));
      tokens.push_back(slots_[s].next);
    }
  if (seqs.empty())
    return;
  if (seqs.size() == 1 && lookupStep(static_cast<size_t>(seqs[0])))
    return;
  const int64_t n = static_cast<int64_t>(seqs.size());
  const int64_t vocab = model_->config().vocabSize;
  logits_.resize(static_cast<size_t>(n * vocab));
  const auto start = std::chrono::steady_clock::now();
  const std::string error =
      model_->decodeBatch(seqs.data(), tokens.data(), n, logits_.data());
  {
    std::lock_guard<std::mutex> lock(mu_);
    metrics_.decodeSeconds += secondsSince(start);
    ++metrics_.decodeSteps;
    metrics_.decodeRows += n;
  }
  for (int64_t i = 0; i < n; ++i) {
    const size_t s = static_cast<size_t>(seqs[static_cast<size_t>(i)]);
    if (!error.empty()) {
      finish(s, "error: " + error);
      continue;
    }
    slots_[s].next = -1;
    takeToken(s, logits_.data() + i * vocab);
  }
}

bool Scheduler::lookupStep(size_t s) {
  Slot &slot = slots_[s];
  if (options_.draftMax <= 0 || slot.req->sampler.temperature > 0 ||
      !slot.drafting.shouldDraft())
    return false;
  model_->selectSequence(static_cast<int64_t>(s));
  const int64_t base = model_->position();
  // While rows of the pass are taken, position() stays past the last one:
  // the draft leaves room after it, so that takeToken's context check
  // holds for every row.
  const int64_t room = model_->contextSize() - base - 2;
  std::vector<TokenId> fed = lookupDraft(
      slot.history,
      std::min({options_.draftMax, slot.req->maxTokens - slot.generated - 1,
                room}));
  if (fed.empty())
    return false;
  fed.insert(fed.begin(), slot.next);
  const int64_t m = static_cast<int64_t>(fed.size());
  const int64_t vocab = model_->config().vocabSize;
  logits_.resize(static_cast<size_t>(m * vocab));
  const auto start = std::chrono::steady_clock::now();
  const std::string error = model_->forward(fed.data(), m, logits_.data(), true);
  const double seconds = secondsSince(start);
  {
    std::lock_guard<std::mutex> lock(mu_);
    metrics_.decodeSeconds += seconds;
    ++metrics_.decodeSteps;
    metrics_.draftedTokens += m - 1;
  }
  if (!error.empty()) {
    finish(s, "error: " + error);
    return true;
  }
  // Row i holds the logits after fed[i]; the sampled token is taken, and
  // the next row is used while it equals the drafted one.
  int64_t i = 0;
  for (;; ++i) {
    slot.next = -1;
    takeToken(s, logits_.data() + i * vocab);
    if (!slot.req)
      break; // finished
    if (i + 1 == m || slot.next != fed[static_cast<size_t>(i + 1)])
      break;
    std::lock_guard<std::mutex> lock(mu_);
    ++metrics_.acceptedDraft;
  }
  slot.drafting.pass(i + 1, seconds);
  {
    std::lock_guard<std::mutex> lock(mu_);
    metrics_.decodeRows += i + 1; // the tokens the pass gave
  }
  if (slot.req) {
    model_->selectSequence(static_cast<int64_t>(s));
    model_->truncate(base + i + 1);
  }
  return true;
}

void Scheduler::loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] {
        return draining_ || !queue_.empty() || metrics_.slotsBusy > 0;
      });
      if (draining_ && queue_.empty() && metrics_.slotsBusy == 0)
        return;
    }
    admit();
    prefillOne();
    decodeStep();
  }
}

} // namespace tern
