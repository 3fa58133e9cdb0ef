//===- SchedulerTest.cpp - Continuous batching ----------------------------===//

#include "runtime/serve/Scheduler.h"

#include "runtime/model/TestModels.h"
#include "runtime/reference/ReferenceModel.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>

using namespace tern;
using namespace tern::testmodels;

namespace {

std::shared_ptr<const ModelDescription> tinyModel() {
  static std::shared_ptr<const ModelDescription> model = [] {
    const std::string path = tempDir() + "/scheduler-tiny.gguf";
    EXPECT_EQ(writerFor(makeTinyModel(TernaryEncoding::I2_S, 5))
                  .writeFile(path),
              "");
    ModelOrError r = loadModel(path);
    EXPECT_TRUE(r.ok()) << r.error;
    return std::make_shared<const ModelDescription>(std::move(*r));
  }();
  return model;
}

std::unique_ptr<LanguageModel> reference(int64_t sequences, int64_t ctx = 64) {
  ReferenceOptions o;
  o.contextSize = ctx;
  o.sequences = sequences;
  auto r = ReferenceModel::create(tinyModel(), o);
  EXPECT_TRUE(r.ok()) << r.error;
  return std::move(*r);
}

/// A request whose tokens and end are collected; wait() returns them.
struct Collected {
  std::shared_ptr<SeqRequest> req = std::make_shared<SeqRequest>();
  std::promise<void> done;
  std::vector<TokenId> tokens;
  std::string reason;

  Collected(std::vector<TokenId> prompt, int64_t maxTokens) {
    req->prompt = std::move(prompt);
    req->maxTokens = maxTokens;
    req->onToken = [this](TokenId t) {
      tokens.push_back(t);
      return true;
    };
    req->onDone = [this](const std::string &r, int64_t) {
      reason = r;
      done.set_value();
    };
  }
  void wait() { done.get_future().wait(); }
};

std::vector<std::vector<TokenId>> prompts() {
  return {{1, 2, 3}, {7}, {10, 20, 30, 40, 50, 60, 70}, {299, 0, 5},
          {42, 43}};
}

/// Each prompt alone, greedily, through the scheduler with one slot.
std::vector<std::vector<TokenId>> alone(int64_t maxTokens) {
  std::vector<std::vector<TokenId>> out;
  for (const auto &p : prompts()) {
    Scheduler s(reference(1), {});
    Collected c(p, maxTokens);
    EXPECT_TRUE(s.submit(c.req));
    c.wait();
    EXPECT_EQ(c.reason, "length");
    out.push_back(c.tokens);
  }
  return out;
}

TEST(Scheduler, ConcurrentGreedyOutputsEqualTheSameRequestsAlone) {
  const std::vector<std::vector<TokenId>> expected = alone(12);
  // Three slots for five requests: some wait in the queue, prompts are
  // evaluated in chunks of 2 between decode steps of the others.
  SchedulerOptions o;
  o.prefillChunk = 2;
  Scheduler s(reference(3), o);
  std::vector<std::unique_ptr<Collected>> cs;
  for (const auto &p : prompts()) {
    cs.push_back(std::make_unique<Collected>(p, 12));
    ASSERT_TRUE(s.submit(cs.back()->req));
  }
  for (size_t i = 0; i < cs.size(); ++i) {
    cs[i]->wait();
    EXPECT_EQ(cs[i]->tokens, expected[i]) << "request " << i;
  }
  const SchedulerMetrics m = s.metrics();
  EXPECT_EQ(m.generatedTokens, 5 * 12);
  EXPECT_EQ(m.requestsDone, 5);
  EXPECT_EQ(m.slotsBusy, 0);
  // Batched: fewer decode steps than decoded rows.
  EXPECT_LT(m.decodeSteps, m.decodeRows);
}

TEST(Scheduler, DecodeBatchRowsEqualForwardAlone) {
  auto batch = reference(3), single = reference(1);
  const int64_t V = batch->config().vocabSize;
  std::vector<float> logits(static_cast<size_t>(3 * V)), one(V);
  const std::vector<std::vector<TokenId>> ps = {{1, 2}, {3}, {4, 5, 6}};
  for (int64_t s = 0; s < 3; ++s) {
    batch->selectSequence(s);
    ASSERT_EQ(batch->forward(ps[s].data(), static_cast<int64_t>(ps[s].size()),
                             logits.data(), false),
              "");
  }
  const int64_t seqs[3] = {2, 0, 1};
  const TokenId next[3] = {9, 8, 7};
  ASSERT_EQ(batch->decodeBatch(seqs, next, 3, logits.data()), "");
  for (int64_t r = 0; r < 3; ++r) {
    std::vector<TokenId> all = ps[seqs[r]];
    all.push_back(next[r]);
    single->reset();
    ASSERT_EQ(single->forward(all.data(), static_cast<int64_t>(all.size()),
                              one.data(), false),
              "");
    EXPECT_EQ(std::memcmp(one.data(), logits.data() + r * V,
                          sizeof(float) * V),
              0)
        << "row " << r;
  }
  // A repeated sequence is refused and changes nothing.
  const int64_t twice[2] = {1, 1};
  EXPECT_NE(batch->decodeBatch(twice, next, 2, logits.data()), "");
  batch->selectSequence(1);
  EXPECT_EQ(batch->position(), 2);
}

TEST(Scheduler, CancelledRequestFreesItsSlot) {
  Scheduler s(reference(1, 128), {});
  // The first request would generate to the end of the context; it is
  // cancelled from its own callback after 3 tokens.
  Collected first({1, 2, 3}, 1000);
  first.req->onToken = [&](TokenId t) {
    first.tokens.push_back(t);
    if (first.tokens.size() == 3)
      first.req->cancelled = true;
    return true;
  };
  Collected second({4, 5}, 4);
  ASSERT_TRUE(s.submit(first.req));
  ASSERT_TRUE(s.submit(second.req));
  first.wait();
  second.wait();
  EXPECT_EQ(first.reason, "cancelled");
  EXPECT_LE(first.tokens.size(), 4u);
  EXPECT_EQ(second.reason, "length");
  EXPECT_EQ(second.tokens.size(), 4u);
  EXPECT_EQ(s.metrics().requestsCancelled, 1);
}

TEST(Scheduler, QueueLimitRefusesAndDrainFinishes) {
  SchedulerOptions o;
  o.queueLimit = 1;
  Scheduler s(reference(1), o);
  // Hold the single slot until released, so the queue fills up.
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  Collected busy({1}, 2);
  busy.req->onToken = [&](TokenId t) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return release; });
    busy.tokens.push_back(t);
    return true;
  };
  Collected queued({2}, 2), refused({3}, 2);
  ASSERT_TRUE(s.submit(busy.req));
  // Wait until the busy one left the queue for the slot.
  while (s.metrics().slotsBusy == 0)
    std::this_thread::yield();
  ASSERT_TRUE(s.submit(queued.req));
  EXPECT_FALSE(s.submit(refused.req));
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  s.drain();
  EXPECT_EQ(busy.reason, "length");
  EXPECT_EQ(queued.reason, "length");
  EXPECT_FALSE(s.submit(refused.req)); // draining
}

TEST(Scheduler, NoQueueStillFillsFreeSlots) {
  SchedulerOptions o;
  o.queueLimit = 0;
  Scheduler s(reference(2), o);
  Collected a({1}, 3), b({2}, 3);
  ASSERT_TRUE(s.submit(a.req)); // two free slots: both are taken
  ASSERT_TRUE(s.submit(b.req));
  a.wait();
  b.wait();
  EXPECT_EQ(a.reason, "length");
  EXPECT_EQ(b.reason, "length");
}

TEST(Scheduler, StopTokenEndsWithStop) {
  const std::vector<TokenId> greedy = alone(6)[0];
  Scheduler s(reference(2), {});
  Collected c(prompts()[0], 6);
  c.req->stopIds = {greedy[2]};
  ASSERT_TRUE(s.submit(c.req));
  c.wait();
  EXPECT_EQ(c.reason, "stop");
  // Tokens up to the stop token, which is not passed on.
  const auto firstStop =
      std::find(greedy.begin(), greedy.end(), greedy[2]) - greedy.begin();
  EXPECT_EQ(c.tokens, std::vector<TokenId>(greedy.begin(),
                                           greedy.begin() + firstStop));
}

} // namespace

TEST(Scheduler, PromptLookupGivesTheTokensOfPlainDecoding) {
  // Prompts that repeat themselves, so that drafts are found; each request
  // alone on one slot, with and without prompt lookup, to the end of the
  // context and to a token limit.
  const std::vector<std::vector<TokenId>> ps = {
      {5, 6, 7, 8, 5, 6, 7, 8, 5, 6},
      {1, 2, 1, 2, 1, 2, 1, 2},
      {40, 41, 42, 43, 44, 45, 40, 41, 42, 43, 44, 45, 40, 41}};
  int64_t drafted = 0;
  for (const auto &p : ps)
    for (int64_t maxTokens : {20, 1000}) {
      std::vector<TokenId> out[2];
      std::string reason[2];
      for (int lookup = 0; lookup < 2; ++lookup) {
        SchedulerOptions o;
        o.draftMax = lookup ? 7 : 0;
        Scheduler s(reference(1), o);
        Collected c(p, maxTokens);
        ASSERT_TRUE(s.submit(c.req));
        c.wait();
        out[lookup] = c.tokens;
        reason[lookup] = c.reason;
        if (lookup)
          drafted += s.metrics().draftedTokens;
        EXPECT_EQ(s.metrics().generatedTokens,
                  static_cast<int64_t>(c.tokens.size()));
      }
      EXPECT_EQ(out[1], out[0]) << "prompt of " << p.size();
      EXPECT_EQ(reason[1], reason[0]);
    }
  EXPECT_GT(drafted, 0);
}
