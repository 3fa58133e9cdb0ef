//===- CompiledModel.cpp - The runtime half of a compiled executable ------===//

#include "runtime/compiled/CompiledModel.h"

#include "runtime/compiled/PayloadCheck.h"
#ifndef TERN_NO_SERVER
#include "runtime/serve/Server.h"
#endif
#include "runtime/compiled/tern_abi.h"
#include "runtime/generate/Perplexity.h"
#include "runtime/model/MappedFile.h"
#include "runtime/model/HeadFormat.h"
#include "runtime/model/HeldWeights.h"
#include "runtime/model/Model.h"
#include "runtime/support/CpuState.h"
#include "runtime/support/Heap.h"
#include "runtime/support/RegionScratch.h"
#include "runtime/support/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace {
/// The pool tern_parallel_for uses: the running model's (one model runs at
/// a time in an executable).
tern::ThreadPool *gPool = nullptr;
/// tern_parallel_for calls so far (RunBackend::parallelRegions).
std::atomic<uint64_t> gRegions{0};
/// Nanoseconds spent in them, from the call to its return
/// (RunBackend::parallelRegionNanos): two clock reads per region, about
/// 151 per decoded 2B4T token.
std::atomic<uint64_t> gRegionNanos{0};
/// Thread time in them that threads spent out of work
/// (RunBackend::parallelIdleNanos, ThreadPool::idleNanos).
std::atomic<uint64_t> gIdleNanos{0};

/// Adds the time from its construction to its destruction to gRegionNanos.
struct RegionTimer {
  std::chrono::steady_clock::time_point start =
      std::chrono::steady_clock::now();
  ~RegionTimer() {
    gRegionNanos.fetch_add(
        static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::steady_clock::now() - start)
                .count()),
        std::memory_order_relaxed);
  }
};
/// How regions split their items (RunBackend::setSplit).
std::atomic<tern::Split> gSplit{tern::Split::balanced};
} // namespace

extern "C" void tern_parallel_for(tern_task_fn fn, void *args, int64_t n,
                                  int64_t blocks, int64_t max_block) {
  if (n <= 0)
    return;
  gRegions.fetch_add(1, std::memory_order_relaxed);
  const RegionTimer timer;
  if (!gPool || gPool->size() == 1 || n == 1) {
    tern::enterRegion();
    fn(args, 0, n);
    return;
  }
  switch (gSplit.load(std::memory_order_relaxed)) {
  case tern::Split::static_:
    blocks = 1;
    break;
  case tern::Split::coarse:
    max_block = 0;
    break;
  case tern::Split::balanced:
    break;
  }
  const uint64_t idle = gPool->idleNanos();
  gPool->parallelForBalanced(n, blocks, fn, args, max_block);
  gIdleNanos.fetch_add(gPool->idleNanos() - idle, std::memory_order_relaxed);
}

namespace tern {

namespace {

/// The batched decode entry points this executable has (tern_abi.h), by
/// batch size.
using BatchFn = void (*)(tern_memref_i8_1d *, tern_memref_f32_4d *,
                         tern_memref_f32_4d *, tern_memref_i64_1d *,
                         tern_memref_i64_1d *, tern_memref_i64_1d *,
                         tern_memref_f32_2d *);
struct BatchEntry {
  int64_t rows;
  BatchFn fn;
};
const std::vector<BatchEntry> &batchEntries() {
  static const std::vector<BatchEntry> entries = [] {
    std::vector<BatchEntry> e;
    const BatchEntry all[] = {{2, _mlir_ciface_tern_decode_batch2},
                              {4, _mlir_ciface_tern_decode_batch4},
                              {8, _mlir_ciface_tern_decode_batch8},
                              {16, _mlir_ciface_tern_decode_batch16},
                              {32, _mlir_ciface_tern_decode_batch32},
                              {64, _mlir_ciface_tern_decode_batch64}};
    for (const BatchEntry &b : all)
      if (b.fn)
        e.push_back(b);
    return e;
  }();
  return entries;
}

std::string selfPath(const char *argv0) {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0)
    return std::string(buf, static_cast<size_t>(n));
  return argv0 ? argv0 : "";
}

/// The generated forward pass over the payload's weights.
class CompiledModel final : public SequencesModel {
public:
  CompiledModel(std::shared_ptr<const GgufFile> payload,
                std::shared_ptr<const HeldWeights> held, ModelConfig config,
                const uint8_t *weights, uint64_t weightsBytes,
                int64_t compiledContext, int64_t contextSize, int threads,
                int64_t prefillRows, int64_t sequences)
      : SequencesModel(sequences), pool_(threads), prefillRows_(prefillRows),
        payload_(std::move(payload)), held_(std::move(held)),
        config_(std::move(config)),
        weights_(weights), weightsBytes_(weightsBytes),
        compiledContext_(compiledContext), contextSize_(contextSize) {
    const int64_t kv = config_.numKvHeads * config_.headDim;
    seqElems_ = config_.numLayers * compiledContext_ * kv;
    // With batched entry points, one more slot takes the rows that pad a
    // batch to a compiled size.
    const int64_t slots =
        sequences + (sequences > 1 && !batchEntries().empty() ? 1 : 0);
    const int64_t cacheElems = seqElems_ * slots;
    // Uninitialized: rows are written before they are read, and untouched
    // pages of a long context cost nothing.
    kCache_.reset(new float[static_cast<size_t>(cacheElems)]);
    vCache_.reset(new float[static_cast<size_t>(cacheElems)]);
  }

  ~CompiledModel() override {
    if (gPool == &pool_)
      gPool = nullptr;
  }

  const ModelConfig &config() const override { return config_; }
  int64_t contextSize() const override { return contextSize_; }

  std::string decodeBatch(const int64_t *seqs, const TokenId *tokens,
                          int64_t n, float *logits) override {
    if (n < 2 || positions_.size() < 2 || batchEntries().empty())
      return LanguageModel::decodeBatch(seqs, tokens, n, logits);
    if (std::string bad = checkDecodeBatch(seqs, tokens, n); !bad.empty())
      return bad;
    const int64_t V = config_.vocabSize, maxRows = batchEntries().back().rows;
    for (int64_t i = 0; i < n; i += maxRows)
      runBatch(seqs + i, tokens + i, std::min(maxRows, n - i), logits + i * V);
    return "";
  }

  std::string forward(const TokenId *tokens, int64_t n, float *logits,
                      bool allLogits) override {
    int64_t &position = positions_[seq_];
    std::string bad =
        checkForwardRequest(config_, position, contextSize_, tokens, n);
    if (!bad.empty())
      return bad;
    const int64_t kv = config_.numKvHeads * config_.headDim;
    tern_memref_i8_1d w{const_cast<uint8_t *>(weights_),
                        const_cast<uint8_t *>(weights_),
                        0,
                        {static_cast<int64_t>(weightsBytes_)},
                        {1}};
    auto cache = [&](float *p) {
      return tern_memref_f32_3d{p,
                                p,
                                0,
                                {config_.numLayers, compiledContext_, kv},
                                {compiledContext_ * kv, kv, 1}};
    };
    const int64_t base = static_cast<int64_t>(seq_) * seqElems_;
    tern_memref_f32_3d k = cache(kCache_.get() + base),
                       v = cache(vCache_.get() + base);
    gPool = &pool_;
    const int64_t V = config_.vocabSize;
    int64_t i = 0;
    // Whole prefill chunks first (each row computed as decode would), then
    // single tokens.
    if (prefillRows_ >= 2 && _mlir_ciface_tern_prefill) {
      const int64_t P = prefillRows_;
      std::vector<int64_t> ids(static_cast<size_t>(P));
      for (; n - i >= P; i += P) {
        for (int64_t r = 0; r < P; ++r)
          ids[static_cast<size_t>(r)] = tokens[i + r];
        float *out;
        if (allLogits) {
          out = logits + i * V;
        } else {
          chunk_.resize(static_cast<size_t>(P * V));
          out = chunk_.data();
        }
        tern_memref_i64_1d t{ids.data(), ids.data(), 0, {P}, {1}};
        tern_memref_f32_2d l{out, out, 0, {P, V}, {V, 1}};
        // The head only for the rows whose logits are read: all of them,
        // the last row of the last chunk, or none.
        const int64_t from = allLogits ? 0 : (i + P == n ? P - 1 : P);
        _mlir_ciface_tern_prefill(&w, &k, &v, position, &t, &l, from);
        position += P;
        if (!allLogits && i + P == n)
          std::memcpy(logits, out + (P - 1) * V, sizeof(float) * V);
      }
    }
    // A few tokens (a prompt's tail, a speculative draft to verify): the
    // rows of one sequence at consecutive positions through a batched
    // entry point, the weights read once for all of them.
    while (n - i >= 2) {
      const BatchEntry *e = entryFor(n - i);
      if (!e || position + e->rows > compiledContext_)
        break;
      const int64_t m = std::min(e->rows, n - i);
      runRows(*e, tokens + i, m, position,
              allLogits ? logits + i * V : nullptr,
              !allLogits && i + m == n ? logits : nullptr);
      position += m;
      i += m;
    }
    for (; i < n; ++i) {
      float *out = logits + (allLogits ? i * config_.vocabSize : 0);
      tern_memref_f32_1d l{out, out, 0, {config_.vocabSize}, {1}};
      _mlir_ciface_tern_decode(&w, &k, &v, position, tokens[i], &l);
      ++position;
    }
    return "";
  }

private:
  /// The smallest batched entry point of at least `m` rows, else the
  /// largest; null when there are none.
  static const BatchEntry *entryFor(int64_t m) {
    const std::vector<BatchEntry> &all = batchEntries();
    for (const BatchEntry &b : all)
      if (b.rows >= m)
        return &b;
    return all.empty() ? nullptr : &all.back();
  }

  /// Rows [0, m) through the smallest batched entry point of at least m
  /// rows; the rest of its rows decode token 0 at position 0 of the spare
  /// slot.
  void runBatch(const int64_t *seqs, const TokenId *tokens, int64_t m,
                float *logits) {
    const BatchEntry *e = entryFor(m);
    const int64_t B = e->rows;
    const int64_t spare = static_cast<int64_t>(positions_.size());
    std::vector<int64_t> slots(static_cast<size_t>(B), spare),
        pos(static_cast<size_t>(B), 0), ids(static_cast<size_t>(B), 0);
    for (int64_t r = 0; r < m; ++r) {
      slots[r] = seqs[r];
      pos[r] = positions_[static_cast<size_t>(seqs[r])];
      ids[r] = tokens[r];
    }
    callBatch(*e, slots, pos, ids, m, logits);
    for (int64_t r = 0; r < m; ++r)
      ++positions_[static_cast<size_t>(seqs[r])];
  }

  /// `m` tokens of the current sequence at positions from, from + 1, ...
  /// through `e` (at most e.rows tokens; from + e.rows within the compiled
  /// context). Row r is computed as decode would at from + r: the keys and
  /// values of every row are stored before any row attends. The rows that
  /// pad it to e.rows continue at the next positions (their keys and
  /// values are overwritten before they are read). Writes every row's
  /// logits to `all`, or the last row's to `last`, when given.
  void runRows(const BatchEntry &e, const TokenId *tokens, int64_t m,
               int64_t from, float *all, float *last) {
    const int64_t B = e.rows, V = config_.vocabSize;
    std::vector<int64_t> slots(static_cast<size_t>(B), seq_),
        pos(static_cast<size_t>(B)), ids(static_cast<size_t>(B), 0);
    for (int64_t r = 0; r < B; ++r) {
      pos[r] = from + r;
      if (r < m)
        ids[r] = tokens[r];
    }
    float *out = all;
    if (!out) {
      rows_.resize(static_cast<size_t>(m * V));
      out = rows_.data();
    }
    callBatch(e, slots, pos, ids, m, out);
    if (last)
      std::memcpy(last, out + (m - 1) * V, sizeof(float) * V);
  }

  /// Calls `e` on its rows (slots, positions, tokens: e.rows each) and
  /// writes the first `m` rows' logits to `logits`.
  void callBatch(const BatchEntry &e, std::vector<int64_t> &slots,
                 std::vector<int64_t> &pos, std::vector<int64_t> &ids,
                 int64_t m, float *logits) {
    const int64_t B = e.rows, V = config_.vocabSize;
    float *out = logits;
    if (B > m) {
      padded_.resize(static_cast<size_t>(B * V));
      out = padded_.data();
    }
    const int64_t kv = config_.numKvHeads * config_.headDim;
    tern_memref_i8_1d w{const_cast<uint8_t *>(weights_),
                        const_cast<uint8_t *>(weights_),
                        0,
                        {static_cast<int64_t>(weightsBytes_)},
                        {1}};
    auto caches = [&](float *p) {
      return tern_memref_f32_4d{
          p,
          p,
          0,
          {TERN_ABI_MAX_SLOTS, config_.numLayers, compiledContext_, kv},
          {seqElems_, compiledContext_ * kv, kv, 1}};
    };
    tern_memref_f32_4d k = caches(kCache_.get()), v = caches(vCache_.get());
    auto ids1d = [&](std::vector<int64_t> &x) {
      return tern_memref_i64_1d{x.data(), x.data(), 0, {B}, {1}};
    };
    tern_memref_i64_1d s = ids1d(slots), p = ids1d(pos), t = ids1d(ids);
    tern_memref_f32_2d l{out, out, 0, {B, V}, {V, 1}};
    gPool = &pool_;
    e.fn(&w, &k, &v, &s, &p, &t, &l);
    if (out != logits)
      std::memcpy(logits, out, sizeof(float) * static_cast<size_t>(m * V));
  }

  ThreadPool pool_;
  int64_t prefillRows_;
  std::shared_ptr<const GgufFile> payload_;
  std::shared_ptr<const HeldWeights> held_; ///< weights_ points into it
  ModelConfig config_;
  const uint8_t *weights_;
  uint64_t weightsBytes_;
  int64_t compiledContext_, contextSize_;
  int64_t seqElems_ = 0; ///< cache floats per sequence
  std::unique_ptr<float[]> kCache_, vCache_; ///< [sequences, layers, ctx, kv]
  std::vector<float> padded_; ///< logits of a padded batch, reused
  std::vector<float> rows_;   ///< runRows' logits when only the last is kept
  /// A prefill chunk's logits when only its last row is kept, reused so
  /// that a call does not clear P x vocab floats (32 MB on the 2B4T shape)
  /// to keep one row.
  std::vector<float> chunk_;
};

class CompiledBackend final : public RunBackend {
public:
  static OrError<std::unique_ptr<RunBackend>>
  load(const std::string &exe, bool verifyAll, const int64_t *shape,
       WeightHolding how) {
    using R = OrError<std::unique_ptr<RunBackend>>;
    OrError<GgufFile> payload = openPayload(exe);
    if (!payload)
      return R::failure(payload.error);
    auto file = std::make_shared<const GgufFile>(std::move(*payload));
    const std::string where = file->path();
    OrError<uint32_t> abi = file->getU32(TERN_ABI_KEY_VERSION);
    if (!abi)
      return R::failure(abi.error);
    if (*abi != TERN_ABI_VERSION)
      return R::failure(where + ": payload ABI version " +
                        std::to_string(*abi) + ", this runtime expects " +
                        std::to_string(TERN_ABI_VERSION));
    if (file->hasKey(TERN_ABI_KEY_CPU_STATE)) {
      OrError<std::string> state = file->getString(TERN_ABI_KEY_CPU_STATE);
      if (!state)
        return R::failure(state.error);
      if (std::string why = requestCpuStates(*state); !why.empty())
        return R::failure(where + ": the compiled kernels need '" + *state +
                          "' and cannot run here: " + why);
    }
    OrError<uint32_t> ctx = file->getU32(TERN_ABI_KEY_CONTEXT);
    if (!ctx)
      return R::failure(ctx.error);
    OrError<TokenizerVocab> vocab = readGgufVocab(*file);
    if (!vocab)
      return R::failure(vocab.error);
    OrError<ModelConfig> config = readGgufConfig(*file, *vocab);
    if (!config)
      return R::failure(config.error);
    const GgufTensorInfo *w = file->findTensor(TERN_ABI_WEIGHTS_TENSOR);
    if (!w || !w->byteSize)
      return R::failure(where + ": no '" TERN_ABI_WEIGHTS_TENSOR "' tensor");
    OrError<std::shared_ptr<const HeldWeights>> held =
        HeldWeights::hold(file->mapping(), w->data, *w->byteSize, how);
    if (!held)
      return R::failure(held.error);
    std::unique_ptr<CompiledBackend> b(new CompiledBackend());
    b->file_ = file;
    b->config_ = *config;
    b->chatTemplate_ = vocab->chatTemplate;
    b->held_ = *held;
    b->weights_ = (*held)->data();
    b->weightsBytes_ = *w->byteSize;
    b->compiledContext_ = *ctx;
    if (file->hasKey(TERN_ABI_KEY_PREFILL_ROWS)) {
      OrError<uint32_t> rows = file->getU32(TERN_ABI_KEY_PREFILL_ROWS);
      if (!rows)
        return R::failure(rows.error);
      b->prefillRows_ = *rows;
    }
    if (file->hasKey(TERN_ABI_KEY_THREADS)) {
      OrError<uint32_t> threads = file->getU32(TERN_ABI_KEY_THREADS);
      if (!threads)
        return R::failure(threads.error);
      if (*threads > 1024)
        return R::failure(where + ": " TERN_ABI_KEY_THREADS " is " +
                          std::to_string(*threads) +
                          " (absurd; at most 1024)");
      b->defaultThreads_ = static_cast<int>(*threads);
    }
    b->bytesPerToken_ = b->weightsBytes_;
    if (file->hasKey(TERN_ABI_KEY_BYTES_PER_TOKEN)) {
      OrError<uint64_t> bytes = file->getU64(TERN_ABI_KEY_BYTES_PER_TOKEN);
      if (!bytes)
        return R::failure(bytes.error);
      if (*bytes > b->weightsBytes_)
        return R::failure(where + ": " TERN_ABI_KEY_BYTES_PER_TOKEN " (" +
                          std::to_string(*bytes) +
                          ") exceeds the weights' size");
      b->bytesPerToken_ = *bytes;
    }
    PayloadFacts facts;
    if (file->hasKey(TERN_ABI_KEY_HEAD)) {
      OrError<std::string> head = file->getString(TERN_ABI_KEY_HEAD);
      if (!head)
        return R::failure(head.error);
      std::optional<HeadFormat> format = parseHeadFormat(*head);
      if (!format)
        return R::failure(where + ": unknown " TERN_ABI_KEY_HEAD " '" +
                          *head + "'");
      facts.headFormat = static_cast<int64_t>(*format);
    }
    facts.config = b->config_;
    facts.context = b->compiledContext_;
    facts.prefillRows = b->prefillRows_;
    facts.weights = b->weights_;
    facts.weightsBytes = b->weightsBytes_;
    if (std::string e = readPayloadDigests(*file, facts); !e.empty())
      return R::failure(e);
    if (std::string e =
            checkPayload(where, shape, facts, verifyAll);
        !e.empty())
      return R::failure(e);
    if (!vocab->tokens.empty()) {
      TokenizerOrError t = buildTokenizer(*vocab, b->config_, where);
      if (!t)
        return R::failure(t.error);
      b->tokenizer_ = std::move(*t);
    }
    return R(std::move(b));
  }

  const ModelConfig &config() const override { return config_; }
  std::string chatTemplate() const override { return chatTemplate_; }
  std::string describe() const override {
    OrError<std::string> d = describePayload(*file_);
    return d ? *d : "error: " + d.error + "\n";
  }
  int64_t maxContext() const override { return compiledContext_; }
  int defaultThreads() const override { return defaultThreads_; }
  /// As the compiler recorded it: the blob, less an embedding table that
  /// is only looked up (a quantized or untied head).
  uint64_t weightBytesPerToken() const override { return bytesPerToken_; }
  std::string weightHolding() const override { return held_->describe(); }
  uint64_t parallelRegions() const override {
    return gRegions.load(std::memory_order_relaxed);
  }
  uint64_t parallelRegionNanos() const override {
    return gRegionNanos.load(std::memory_order_relaxed);
  }
  uint64_t parallelIdleNanos() const override {
    return gIdleNanos.load(std::memory_order_relaxed);
  }
  bool setSplit(tern::Split split) override {
    gSplit.store(split, std::memory_order_relaxed);
    return true;
  }
  WeightSpan heldWeights() const override {
    return {weights_, weightsBytes_};
  }
  const Tokenizer *tokenizer() const override {
    return tokenizer_ ? &*tokenizer_ : nullptr;
  }
  OrError<std::unique_ptr<LanguageModel>>
  instantiate(int threads, int64_t contextSize,
              int64_t sequences) override {
    using R = OrError<std::unique_ptr<LanguageModel>>;
    if (contextSize > compiledContext_)
      return R::failure("context size " + std::to_string(contextSize) +
                        " exceeds the " + std::to_string(compiledContext_) +
                        " tokens this executable was compiled for (tern "
                        "compile --ctx N)");
    // The generated code addresses a cache of the compiled length.
    if (sequences < 1 || sequences > 4096)
      return R::failure(std::to_string(sequences) +
                        " sequences (1..4096 are allowed)");
    if (std::string bad = checkKvCache(config_, compiledContext_ * sequences);
        !bad.empty())
      return R::failure(bad);
    return R(std::make_unique<CompiledModel>(file_, held_, config_, weights_,
                                             weightsBytes_, compiledContext_,
                                             contextSize, threads,
                                             prefillRows_, sequences));
  }

private:
  CompiledBackend() = default;
  std::shared_ptr<const GgufFile> file_;
  std::shared_ptr<const HeldWeights> held_;
  ModelConfig config_;
  std::string chatTemplate_;
  std::optional<Tokenizer> tokenizer_;
  const uint8_t *weights_ = nullptr;
  int defaultThreads_ = 0;
  uint64_t weightsBytes_ = 0;
  int64_t compiledContext_ = 0;
  int64_t prefillRows_ = 0;
  uint64_t bytesPerToken_ = 0;
};

} // namespace

OrError<std::unique_ptr<RunBackend>>
loadCompiledBackend(const std::string &exe, bool verifyAll,
                    const int64_t *shape, WeightHolding how) {
  return CompiledBackend::load(exe, verifyAll, shape, how);
}

int compiledMain(int argc, char **argv) {
  // The generated code's activation buffers, freed after each call, are
  // reused without page faults (runtime/support/Heap.h).
  keepFreedHeapPages();
  std::string program = argc > 0 && argv[0] ? argv[0] : "model";
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::string exe = selfPath(argc > 0 ? argv[0] : nullptr);
  auto load = [&](const RunOptions &o) {
    return loadCompiledBackend(exe, o.verify, tern_compiled_shape,
                               weightHoldingFor(o.mmap));
  };
  if (!args.empty() && args[0] == "bench")
    return benchMain(program + " bench",
                     std::vector<std::string>(args.begin() + 1, args.end()),
                     /*modelArg=*/false, load);
  if (!args.empty() && args[0] == "serve") {
#ifdef TERN_NO_SERVER
    std::fprintf(stderr, "%s serve: this executable's runtime was built "
                         "without the server (cpp-httplib)\n",
                 program.c_str());
    return 1;
#else
    return serveMain(program + " serve",
                     std::vector<std::string>(args.begin() + 1, args.end()),
                     /*modelFlag=*/false, load);
#endif
  }
  if (!args.empty() && args[0] == "perplexity")
    return perplexityMain(
        program + " perplexity",
        std::vector<std::string>(args.begin() + 1, args.end()),
        /*modelArg=*/false, load);
  return runMain(program, args, /*modelFlag=*/false, load);
}

} // namespace tern
