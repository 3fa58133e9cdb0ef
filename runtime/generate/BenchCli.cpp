//===- BenchCli.cpp - `tern bench` / `./exe bench`, llama-bench's way ------===//
//
// Flags are llama-bench's: -p and -n take comma lists (0 skips that test),
// -pg PP,TG times a prompt and a generation together, -d a list of depths
// (tokens already in the cache, evaluated untimed before each repetition),
// -t a list of thread counts, -r repetitions, -o md|json|csv. -np N,...
// (Tern's) measures aggregate decode with N streams decoded together
// (LanguageModel::decodeBatch: compiled executables read each weight once
// per step).
// Every test runs once as a warm-up, then -r times; md prints the mean and
// the standard deviation as llama-bench does, with min - max beside them.
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/RunCli.h"
#include "runtime/model/HeldWeights.h"

#include "runtime/support/Bandwidth.h"
#include "runtime/support/HandOff.h"
#include "runtime/support/Text.h"
#include "runtime/support/ThreadPool.h"
#include "runtime/support/Version.h"

#include <nlohmann/json.hpp>

#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

namespace tern {

namespace {

std::string parseList(const std::string &flag, const std::string &v,
                      int64_t lo, int64_t hi, std::vector<int64_t> &out) {
  out.clear();
  size_t start = 0;
  while (start <= v.size()) {
    const size_t comma = v.find(',', start);
    const std::string item = v.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start);
    int64_t n = 0;
    if (!parseInt64(item, n))
      return flag + ": '" + escapeForMessage(item) + "' is not an integer";
    if (n < lo || n > hi)
      return flag + ": " + item + " is outside " + std::to_string(lo) + ".." +
             std::to_string(hi);
    out.push_back(n);
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return "";
}

/// One measured test.
struct Result {
  /// "pp128", "tg32", "pp512+tg128", "tg32 x8", "tg32 @ d1024"
  std::string test;
  int threads = 0;
  int64_t prompt = 0, gen = 0, streams = 1, depth = 0;
  /// Single-stream tg tests at a depth: the keys and values a decoded token
  /// reads besides the weights (kvBytesPerToken); 0 at depth 0.
  uint64_t kvBytes = 0;
  std::vector<double> samples; ///< tokens/s per repetition
  /// tg tests of one stream: the backend's parallel regions per decoded
  /// token (RunBackend::parallelRegions; 0 when it does not count them).
  double regionsPerToken = 0;
  /// pp tests: the same per prompt token.
  double regionsPerPromptToken = 0;
  /// tg tests of one stream: the fraction of the decode time spent outside
  /// parallel regions, over every repetition after the warm-up
  /// (RunBackend::parallelRegionNanos); negative when not counted.
  double outsideRegions = -1;
  /// tg tests of one stream: the fraction of the threads' time inside
  /// those regions that a thread spent out of work, waiting for the
  /// region's last thread (RunBackend::parallelIdleNanos); negative when
  /// not counted.
  double idleInRegions = -1;
  /// tg tests of one stream, where the weights are read from memory: the
  /// stream bandwidth (bytes/s) measured before each repetition and after
  /// the last, so that each repetition has a measurement on either side.
  std::vector<double> streamed;
  /// Measured with each of those passes (measureHandOffs; none with one
  /// thread): a cache line's round trip between two threads and an empty
  /// parallel region, in nanoseconds.
  std::vector<double> roundTripNs, emptyRegionNs;
  double mean() const {
    double s = 0;
    for (double v : samples)
      s += v;
    return s / static_cast<double>(samples.size());
  }
  double stddev() const {
    if (samples.size() < 2)
      return 0;
    const double m = mean();
    double s = 0;
    for (double v : samples)
      s += (v - m) * (v - m);
    return std::sqrt(s / static_cast<double>(samples.size() - 1));
  }
};

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

/// Ordinary token ids (no special tokens), the same every run.
std::vector<TokenId> benchTokens(const ModelConfig &c, int64_t n,
                                 int64_t salt) {
  const int64_t span =
      std::max<int64_t>(1, std::min<int64_t>(c.vocabSize, 128000) - 1000);
  std::vector<TokenId> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    ids[static_cast<size_t>(i)] = static_cast<TokenId>(std::min<int64_t>(
        c.vocabSize - 1, 1000 + (i * 7919 + salt * 104729) % span));
  return ids;
}

/// One repetition's token ids and steps: `depth` tokens already in each
/// sequence's cache (evaluated untimed by fill()), then a timed prompt of
/// `prompt` tokens (a 1-token one when only generation is timed from an
/// empty cache), then `gen` single-token steps.
class Repetition {
public:
  Repetition(LanguageModel &lm, int64_t depth, int64_t prompt, int64_t gen,
             int64_t streams)
      : lm_(lm), depth_(depth), prompt_(timedPrompt(depth, prompt)),
        gen_(gen), streams_(streams) {
    for (int64_t s = 0; s < streams; ++s)
      ids_.push_back(benchTokens(lm.config(), depth + prompt_ + gen + 1, s));
    logits_.resize(static_cast<size_t>(lm.config().vocabSize * streams));
  }

  /// The prompt tokens the repetition times (see the class comment).
  static int64_t timedPrompt(int64_t depth, int64_t prompt) {
    return prompt > 0 ? prompt : depth > 0 ? 0 : 1;
  }

  /// Empties each sequence's cache and evaluates its `depth` tokens.
  std::string fill() {
    for (int64_t s = 0; s < streams_; ++s) {
      lm_.selectSequence(s);
      lm_.reset();
      if (depth_ > 0)
        if (std::string e =
                lm_.forward(ids_[s].data(), depth_, logits_.data(), false);
            !e.empty())
          return e;
    }
    return "";
  }

  /// Seconds for the prompt, then for the generated tokens (all streams
  /// decoded together).
  OrError<std::pair<double, double>> time() {
    using R = OrError<std::pair<double, double>>;
    auto t0 = Clock::now();
    if (prompt_ > 0)
      for (int64_t s = 0; s < streams_; ++s) {
        lm_.selectSequence(s);
        if (std::string e = lm_.forward(ids_[s].data() + depth_, prompt_,
                                        logits_.data(), false);
            !e.empty())
          return R::failure(e);
      }
    const double promptSeconds = since(t0);
    std::vector<int64_t> seqs(static_cast<size_t>(streams_));
    std::vector<TokenId> next(static_cast<size_t>(streams_));
    t0 = Clock::now();
    for (int64_t g = 0; g < gen_; ++g) {
      for (int64_t s = 0; s < streams_; ++s) {
        seqs[s] = s;
        next[s] = ids_[s][static_cast<size_t>(depth_ + prompt_ + g)];
      }
      if (std::string e = lm_.decodeBatch(seqs.data(), next.data(), streams_,
                                          logits_.data());
          !e.empty())
        return R::failure(e);
    }
    return R({promptSeconds, since(t0)});
  }

private:
  LanguageModel &lm_;
  int64_t depth_, prompt_, gen_, streams_;
  std::vector<std::vector<TokenId>> ids_;
  std::vector<float> logits_;
};

/// The keys and values one decoded token of a tg test reads, averaged over
/// its steps: every layer's cached rows (float32 keys and values, as both
/// backends hold them) of each position it attends, itself included.
uint64_t kvBytesPerToken(const ModelConfig &c, int64_t depth, int64_t gen) {
  const int64_t first = depth + Repetition::timedPrompt(depth, 0);
  const double attended = static_cast<double>(first) +
                          static_cast<double>(gen + 1) / 2.0;
  return static_cast<uint64_t>(
      attended * static_cast<double>(c.numLayers * 2 * c.numKvHeads *
                                     c.headDim * int64_t(sizeof(float))));
}

std::string benchUsage(const std::string &program, bool modelArg) {
  return "usage: " + program + (modelArg ? " MODEL" : "") +
         " [options]   (llama-bench's flags; lists are comma-separated)\n"
         "  -p, --n-prompt N,...   prompt tokens (default 128; 0: no prompt "
         "test)\n"
         "  -n, --n-gen N,...      generated tokens (default 32; 0: no "
         "generation test)\n"
         "  -pg PP,TG              a prompt of PP then TG generated tokens, "
         "timed together\n"
         "  -d, --n-depth N,...    tokens already in the cache before each "
         "test (default 0), evaluated untimed before every repetition\n"
         "  -t, --threads N,...    threads (default: the executable's, else "
         "all)\n"
         "  -np, --parallel N,...  streams decoded together (default 1): "
         "aggregate tokens/s of -n tokens each\n"
         "  -r, --repetitions N    timed repetitions after a warm-up "
         "(default 5)\n"
         "  -o, --output FORMAT    md (default), json or csv\n"
         "  -mmp 0|1, --no-mmap, --mmap\n"
         "                         compiled executables: weights read into "
         "memory (0, the default) or mapped from the file (1)\n"
         "  --split balanced|coarse|static\n"
         "                         compiled executables: parallel regions "
         "hand blocks to free threads (balanced, the default), do so without "
         "the compiled bound on a block's size (coarse), or give each "
         "thread a fixed part (static); the last two to measure against\n"
         "  --llc BYTES            the last-level cache size (default: what "
         "Linux reports): weights beyond twice it are where the read "
         "bandwidth is measured, alternating with decode repetitions\n";
}

} // namespace

OrError<BenchOptions> parseBenchOptions(const std::vector<std::string> &args,
                                        bool modelArg) {
  using R = OrError<BenchOptions>;
  BenchOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &flag = args[i];
    if (flag == "-h" || flag == "--help") {
      o.help = true;
      continue;
    }
    if (flag.empty() || flag[0] != '-') {
      if (!modelArg || !o.model.empty())
        return R::failure("unexpected argument '" + escapeForMessage(flag) +
                          "'");
      o.model = flag;
      continue;
    }
    if (flag == "--mmap" || flag == "--no-mmap") {
      o.mmap = flag == "--mmap";
      continue;
    }
    if (i + 1 >= args.size())
      return R::failure(flag + " needs a value");
    const std::string &v = args[++i];
    std::string e;
    std::vector<int64_t> list;
    if (flag == "-p" || flag == "--n-prompt" || flag == "--prompt-tokens") {
      e = parseList(flag, v, 0, 1 << 20, o.prompts);
    } else if (flag == "-n" || flag == "--n-gen" || flag == "--gen-tokens") {
      e = parseList(flag, v, 0, 1 << 20, o.gens);
    } else if (flag == "-pg") {
      e = parseList(flag, v, 1, 1 << 20, list);
      if (e.empty() && list.size() != 2)
        e = "-pg: give PP,TG (two numbers), got '" + escapeForMessage(v) + "'";
      if (e.empty())
        o.pg.push_back({list[0], list[1]});
    } else if (flag == "-d" || flag == "--n-depth") {
      e = parseList(flag, v, 0, 1 << 20, o.depths);
    } else if (flag == "-t" || flag == "--threads") {
      e = parseList(flag, v, 1, 1024, o.threadList);
    } else if (flag == "-np" || flag == "--parallel") {
      e = parseList(flag, v, 1, 4096, o.streams);
    } else if (flag == "-r" || flag == "--repetitions" || flag == "--reps") {
      e = parseList(flag, v, 1, 1000, list);
      if (e.empty() && list.size() != 1)
        e = flag + " takes one number";
      if (e.empty())
        o.reps = static_cast<int>(list[0]);
    } else if (flag == "-mmp") {
      if (v != "0" && v != "1")
        e = "-mmp: '" + escapeForMessage(v) +
            "' is not 0 (read into memory) or 1 (map the file)";
      o.mmap = v == "1";
    } else if (flag == "--split") {
      if (v == "balanced")
        o.split = Split::balanced;
      else if (v == "coarse")
        o.split = Split::coarse;
      else if (v == "static")
        o.split = Split::static_;
      else
        e = "--split: '" + escapeForMessage(v) +
            "' is not balanced, coarse or static";
    } else if (flag == "--llc") {
      int64_t n = 0;
      if (!parseInt64(v, n) || n < 0 || n > (int64_t(1) << 40))
        e = "--llc: '" + escapeForMessage(v) +
            "' is not a size in bytes (0 to 2^40)";
      o.llcBytes = static_cast<uint64_t>(n);
    } else if (flag == "-o" || flag == "--output") {
      if (v != "md" && v != "json" && v != "csv")
        e = flag + ": '" + escapeForMessage(v) + "' is not md, json or csv";
      o.output = v;
    } else {
      e = "unknown flag '" + escapeForMessage(flag) + "' (see --help)";
    }
    if (!e.empty())
      return R::failure(e);
  }
  if (modelArg && o.model.empty() && !o.help)
    return R::failure("no model: give MODEL");
  return R(o);
}

namespace {

/// The last-level cache's size (Linux sysfs; 0 when unknown).
uint64_t lastLevelCacheBytes() {
  uint64_t best = 0;
  for (int i = 0; i < 8; ++i) {
    std::FILE *f = std::fopen(
        ("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) +
         "/size")
            .c_str(),
        "r");
    if (!f)
      continue;
    unsigned long long n = 0;
    char unit = 0;
    if (std::fscanf(f, "%llu%c", &n, &unit) >= 1)
      best = std::max<uint64_t>(
          best, n << (unit == 'K' ? 10 : unit == 'M' ? 20 : 0));
    std::fclose(f);
  }
  return best;
}

int64_t parameterCount(const ModelConfig &c) {
  const int64_t h = c.hiddenSize, q = c.numHeads * c.headDim,
                kv = c.numKvHeads * c.headDim, f = c.intermediateSize;
  const int64_t layer = h * (q + 2 * kv) + q * h + 3 * h * f + 2 * h + q + f;
  return c.vocabSize * h * (c.tiedEmbeddings ? 1 : 2) + c.numLayers * layer +
         h;
}

void printMarkdown(const std::string &model, uint64_t size, int64_t params,
                   const std::string &backend,
                   const std::vector<Result> &results) {
  std::printf("| model | size | params | backend | threads | test | t/s | "
              "(min - max) |\n| --- | ---: | ---: | --- | ---: | ---: | ---: "
              "| ---: |\n");
  const bool gib = size >= (1u << 30);
  const double sized =
      static_cast<double>(size) / (gib ? 1024.0 * 1024 * 1024 : 1024.0 * 1024);
  for (const Result &r : results)
    std::printf("| %s | %.2f %s | %.2f M | %s | %d | %s | %.2f ± %.2f | "
                "%.2f - %.2f |\n",
                model.c_str(), sized, gib ? "GiB" : "MiB",
                static_cast<double>(params) / 1e6,
                backend.c_str(), r.threads, r.test.c_str(), r.mean(),
                r.stddev(), *std::min_element(r.samples.begin(), r.samples.end()),
                *std::max_element(r.samples.begin(), r.samples.end()));
}

/// The mean of the bandwidth read just before and just after each
/// single-stream decode repetition, in repetition order (none where no
/// read surrounds it).
std::vector<double> bandwidthAround(const Result &r) {
  std::vector<double> bw;
  for (size_t i = 0; i < r.samples.size() && i + 1 < r.streamed.size(); ++i)
    bw.push_back(0.5 * (r.streamed[i] + r.streamed[i + 1]));
  return bw;
}

/// Each single-stream decode repetition's fraction of the roofline
/// (tokens/s x bytes per token over bandwidthAround), sorted. The bytes are
/// the weights' and, at a depth, the keys and values read.
std::vector<double> rooflineFractions(const Result &r, uint64_t weights) {
  const double bytes = static_cast<double>(weights + r.kvBytes);
  std::vector<double> f = bandwidthAround(r);
  for (size_t i = 0; i < f.size(); ++i)
    f[i] = r.samples[i] * bytes / f[i];
  std::sort(f.begin(), f.end());
  return f;
}

/// Each single-stream decode repetition's time per token beyond its stream,
/// in repetition order, in seconds: 1 / tokens/s minus the bytes per token
/// (as in rooflineFractions) over bandwidthAround. What a token spends on
/// anything but reading them at the probe's rate: hand-offs, attention,
/// the layer code, a stream slower than the probe's; negative where decode
/// read faster than the probe did.
std::vector<double> beyondStream(const Result &r, uint64_t weights) {
  const double bytes = static_cast<double>(weights + r.kvBytes);
  std::vector<double> t = bandwidthAround(r);
  for (size_t i = 0; i < t.size(); ++i)
    t[i] = 1.0 / r.samples[i] - bytes / t[i];
  return t;
}

void printJson(const std::string &model, uint64_t size, int64_t params,
               const std::string &backend, const std::vector<Result> &results,
               double bandwidth, bool overWeights, uint64_t bytesPerToken,
               bool useMmap, const std::string &held) {
  nlohmann::json out = nlohmann::json::array();
  for (const Result &r : results)
    out.push_back({{"model_filename", model},
                   {"model_size", size},
                   {"model_n_params", params},
                   {"backends", backend},
                   {"tern_version", ternVersion()},
                   {"n_threads", r.threads},
                   {"n_prompt", r.prompt},
                   {"n_gen", r.gen},
                   {"n_depth", r.depth},
                   {"n_parallel", r.streams},
                   {"use_mmap", useMmap},
                   {"test", r.test},
                   {"avg_ts", r.mean()},
                   {"stddev_ts", r.stddev()},
                   {"samples_ts", r.samples},
                   {"read_bandwidth_bytes_per_s", bandwidth},
                   {"read_bandwidth_over_weights", overWeights},
                   {"read_bandwidth_around_reps_bytes_per_s", r.streamed},
                   {"stream_fractions_per_rep",
                    rooflineFractions(r, bytesPerToken)},
                   {"beyond_stream_seconds_per_token_per_rep",
                    beyondStream(r, bytesPerToken)},
                   {"handoff_round_trip_ns_around_reps", r.roundTripNs},
                   {"empty_region_ns_around_reps", r.emptyRegionNs},
                   {"weights_bytes_per_token", bytesPerToken},
                   {"kv_cache_bytes_per_token", r.kvBytes},
                   {"weights_held", held},
                   {"parallel_regions_per_token", r.regionsPerToken},
                   {"outside_regions_fraction",
                    r.outsideRegions >= 0 ? nlohmann::json(r.outsideRegions)
                                          : nlohmann::json()},
                   {"idle_in_regions_fraction",
                    r.idleInRegions >= 0 ? nlohmann::json(r.idleInRegions)
                                         : nlohmann::json()}});
  std::printf("%s\n", out.dump(2, ' ', false,
                               nlohmann::json::error_handler_t::replace)
                          .c_str());
}

void printCsv(const std::string &model, uint64_t size, int64_t params,
              const std::string &backend, const std::vector<Result> &results,
              bool useMmap) {
  std::printf("model_filename,model_size,model_n_params,backends,n_threads,"
              "n_prompt,n_gen,n_depth,n_parallel,use_mmap,test,avg_ts,"
              "stddev_ts\n");
  for (const Result &r : results)
    std::printf("\"%s\",%llu,%lld,%s,%d,%lld,%lld,%lld,%lld,%d,%s,%.4f,%.4f\n",
                model.c_str(), static_cast<unsigned long long>(size),
                static_cast<long long>(params), backend.c_str(), r.threads,
                static_cast<long long>(r.prompt),
                static_cast<long long>(r.gen),
                static_cast<long long>(r.depth),
                static_cast<long long>(r.streams), useMmap ? 1 : 0,
                r.test.c_str(), r.mean(), r.stddev());
}

struct Test {
  int64_t prompt, gen, streams;
  bool pp, tg; ///< which times count
  std::string name;
};

/// One test at one depth, warmed up then timed `reps` times. With `probe`
/// (weights beyond the caches), single-stream decode repetitions alternate
/// with one pass of the stream bandwidth over them.
std::string runTest(RunBackend &b, const BenchOptions &o, int threads,
                    const RunBackend::WeightSpan *probe,
                    std::unique_ptr<ThreadPool> &probePool, const Test &t,
                    int64_t depth, std::vector<Result> &results) {
  const std::string name =
      t.name + (depth > 0 ? " @ d" + std::to_string(depth) : "");
  const int64_t ctx =
      depth + Repetition::timedPrompt(depth, t.prompt) + t.gen;
  if (ctx > b.maxContext())
    return name + " needs " + std::to_string(ctx) + " tokens, more than the " +
           std::to_string(b.maxContext()) + "-token context";
  OrError<std::unique_ptr<LanguageModel>> lm =
      b.instantiate(threads, ctx, t.streams);
  if (!lm)
    return lm.error;
  Result r;
  r.test = name;
  r.threads = threads;
  r.prompt = t.prompt;
  r.gen = t.gen;
  r.streams = t.streams;
  r.depth = depth;
  const bool oneStreamDecode = t.tg && !t.pp && t.streams == 1;
  if (oneStreamDecode && depth > 0)
    r.kvBytes = kvBytesPerToken(b.config(), depth, t.gen);
  const bool probing = probe && oneStreamDecode;
  if (probing && !probePool)
    probePool = std::make_unique<ThreadPool>(threads);
  auto streamOnce = [&] {
    r.streamed.push_back(
        measureReadBandwidth(*probePool, probe->data, probe->size, 1));
    if (probePool->size() > 1) {
      const HandOffCost h = measureHandOffs(*probePool);
      r.roundTripNs.push_back(h.roundTripNs);
      r.emptyRegionNs.push_back(h.emptyRegionNs);
    }
  };
  // Single-token steps of a tg test: its prompt's (one token from an empty
  // cache) and the generated tokens'.
  const int64_t steps = Repetition::timedPrompt(depth, 0) + t.gen;
  Repetition rep(**lm, depth, t.prompt, t.gen, t.streams);
  double decodeSeconds = 0, regionSeconds = 0, idleSeconds = 0;
  for (int i = 0; i <= o.reps; ++i) { // repetition 0 is the warm-up
    if (std::string e = rep.fill(); !e.empty())
      return e;
    if (probing && i > 0)
      streamOnce();
    const uint64_t regions = b.parallelRegions();
    const uint64_t regionNanos = b.parallelRegionNanos();
    const uint64_t idleNanos = b.parallelIdleNanos();
    auto s = rep.time();
    if (!s)
      return s.error;
    if (oneStreamDecode) {
      r.regionsPerToken = static_cast<double>(b.parallelRegions() - regions) /
                          static_cast<double>(steps);
      if (i > 0) {
        decodeSeconds += s->first + s->second;
        regionSeconds +=
            static_cast<double>(b.parallelRegionNanos() - regionNanos) / 1e9;
        idleSeconds +=
            static_cast<double>(b.parallelIdleNanos() - idleNanos) / 1e9;
      }
    }
    if (t.pp && !t.tg)
      r.regionsPerPromptToken =
          static_cast<double>(b.parallelRegions() - regions) /
          static_cast<double>(t.prompt);
    const auto [ps, gs] = *s;
    double tps;
    if (t.pp && t.tg)
      tps = static_cast<double>(t.prompt + t.gen) / (ps + gs);
    else if (t.pp)
      tps = static_cast<double>(t.prompt) / ps;
    else
      tps = static_cast<double>(t.gen * t.streams) / gs;
    if (i > 0)
      r.samples.push_back(tps);
  }
  if (probing)
    streamOnce();
  if (decodeSeconds > 0 && regionSeconds > 0)
    r.outsideRegions = std::max(0.0, 1.0 - regionSeconds / decodeSeconds);
  if (regionSeconds > 0 && threads > 1)
    r.idleInRegions = std::min(1.0, idleSeconds / (threads * regionSeconds));
  results.push_back(std::move(r));
  return "";
}

/// The tests of one thread count, at each depth in turn.
std::string runTests(RunBackend &b, const BenchOptions &o, int threads,
                     const RunBackend::WeightSpan *probe,
                     std::vector<Result> &results) {
  std::unique_ptr<ThreadPool> probePool;
  std::vector<Test> tests;
  for (int64_t p : o.prompts)
    if (p > 0)
      tests.push_back({p, 0, 1, true, false, "pp" + std::to_string(p)});
  for (int64_t n : o.gens)
    if (n > 0)
      for (int64_t s : o.streams)
        tests.push_back({0, n, s, false, true,
                         "tg" + std::to_string(n) +
                             (s > 1 ? " x" + std::to_string(s) : "")});
  for (auto [p, n] : o.pg)
    tests.push_back({p, n, 1, true, true,
                     "pp" + std::to_string(p) + "+tg" + std::to_string(n)});
  for (int64_t depth : o.depths)
    for (const Test &t : tests)
      if (std::string e = runTest(b, o, threads, probe, probePool, t, depth,
                                  results);
          !e.empty())
        return e;
  return "";
}

int benchMainUnguarded(const std::string &program,
                       const std::vector<std::string> &args, bool modelArg,
                       const RunBackendLoader &load) {
  auto fail = [&](const std::string &message) {
    printError(program, message);
    return 1;
  };
  OrError<BenchOptions> parsed = parseBenchOptions(args, modelArg);
  if (!parsed)
    return fail(parsed.error);
  const BenchOptions &o = *parsed;
  if (o.help) {
    std::fputs(benchUsage(program, modelArg).c_str(), stdout);
    return 0;
  }
  RunOptions ro;
  ro.model = o.model;
  ro.mmap = o.mmap;
  OrError<std::unique_ptr<RunBackend>> backend =
      loadRunBackend(program, ro, load);
  if (!backend)
    return fail(backend.error);
  RunBackend &b = **backend;
  if (o.split != Split::balanced && !b.setSplit(o.split))
    return fail(std::string("--split ") +
                (o.split == Split::coarse ? "coarse" : "static") +
                ": only compiled executables run parallel regions of "
                "generated code");
  std::vector<Result> results;
  std::vector<int> threadCounts;
  for (int64_t t : o.threadList)
    threadCounts.push_back(resolveThreads(static_cast<int>(t), b));
  // The stream bandwidth over the weights themselves, held as the forward
  // pass reads them, when they are larger than the caches; else over a
  // probe buffer held the same way.
  const uint64_t llc = o.llcBytes ? *o.llcBytes : lastLevelCacheBytes();
  const RunBackend::WeightSpan held = b.heldWeights();
  const bool overWeights = held.data && held.size > 2 * llc;
  for (int threads : threadCounts)
    if (std::string e = runTests(b, o, threads, overWeights ? &held : nullptr,
                                 results);
        !e.empty())
      return fail(e);
  if (results.empty())
    return fail("nothing to measure (-p 0 and -n 0, no -pg)");

  const std::string path = o.model.empty() ? program.substr(0, program.find(' '))
                                           : o.model;
  struct stat st {};
  const uint64_t size =
      ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  const std::string name = path.substr(path.find_last_of('/') + 1);
  const std::string backendName =
      o.model.empty() ? "Tern compiled" : "Tern reference";
  const int64_t params = parameterCount(b.config());
  ThreadPool pool(threadCounts.back());
  const double bandwidth =
      overWeights ? measureReadBandwidth(pool, held.data, held.size)
                  : measureReadBandwidth(pool);
  const uint64_t bytes = b.weightBytesPerToken();
  const bool useMmap =
      !b.weightHolding().empty() &&
      weightHoldingFor(o.mmap) == WeightHolding::Mapped;
  if (o.output == "json") {
    printJson(name, size, params, backendName, results, bandwidth,
              overWeights, bytes, useMmap, b.weightHolding());
    return 0;
  }
  if (o.output == "csv") {
    printCsv(name, size, params, backendName, results, useMmap);
    return 0;
  }
  printMarkdown(name, size, params,
                backendName, results);
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  if (!b.weightHolding().empty())
    std::printf("\nweights held in %s\n", b.weightHolding().c_str());
  for (const Result &r : results)
    if (r.regionsPerToken > 0) {
      std::printf("parallel regions per decoded token: %.0f (hand-offs to "
                  "the thread pool, %s; %s)\n",
                  r.regionsPerToken, r.test.c_str(),
                  o.split == Split::static_ ? "static split, --split static"
                  : o.split == Split::coarse
                      ? "blocks handed to free threads, --split coarse"
                      : "blocks handed to free threads");
      if (r.outsideRegions >= 0)
        std::printf("time outside them: %.1f %% of %s's decode time (the "
                    "calling thread alone: layer code between regions, "
                    "the runtime's steps)\n",
                    100.0 * r.outsideRegions, r.test.c_str());
      if (r.idleInRegions >= 0)
        std::printf("threads idle inside them: %.1f %% of the threads' time "
                    "in them (out of work, waiting for the region's last "
                    "thread)\n",
                    100.0 * r.idleInRegions);
      break;
    }
  for (const Result &r : results)
    if (r.regionsPerPromptToken > 0) {
      std::printf("parallel regions per prompt token: %.2f (%s)\n",
                  r.regionsPerPromptToken, r.test.c_str());
      break;
    }
  std::printf("\npeak memory %.2f GiB; read bandwidth %.1f GB/s (%d "
              "thread%s, %s); %d repetition%s after a warm-up\n",
              static_cast<double>(usage.ru_maxrss) / (1024.0 * 1024.0),
              bandwidth / 1e9, threadCounts.back(),
              threadCounts.back() == 1 ? "" : "s",
              overWeights ? "streaming the weights as held"
                          : "streaming a probe buffer",
              o.reps, o.reps == 1 ? "" : "s");
  // Decode reads every weight once per token (once per step of -np
  // streams), and at a depth the cached keys and values: its ceiling is the
  // bandwidth over the bytes read, for weights well beyond the last-level
  // cache (smaller ones are read from it in part, and no bandwidth bounds
  // them). At depth 0 the few cached rows a tg test reads (tg32 of 2B4T:
  // 2.7 MB a token against 1.18 GB of weights) are left out.
  if (bytes) {
    std::printf("weights per token %.3f GB", static_cast<double>(bytes) / 1e9);
    if (llc && bytes <= 2 * llc) {
      std::printf(" (within twice the %.0f MiB last-level cache: read from "
                  "it in part, so memory bandwidth sets no bound)\n",
                  static_cast<double>(llc) / (1 << 20));
    } else {
      const double roofline = bandwidth / static_cast<double>(bytes);
      std::printf(": single-stream roofline %.2f tokens/s\n", roofline);
      for (const Result &r : results) {
        if (r.prompt != 0 || r.streams != 1)
          continue;
        if (r.kvBytes)
          std::printf("  %s reads %.3g MB of keys and values per token "
                      "besides: roofline %.2f tokens/s,",
                      r.test.c_str(), static_cast<double>(r.kvBytes) / 1e6,
                      bandwidth / static_cast<double>(bytes + r.kvBytes));
        else
          std::printf("  %s", r.test.c_str());
        std::printf(" at %.0f %% of it",
                    100.0 * r.mean() * static_cast<double>(bytes + r.kvBytes) /
                        bandwidth);
        const std::vector<double> f = rooflineFractions(r, bytes);
        if (!f.empty())
          std::printf("; each repetition against the bandwidth read just "
                      "before and after it: %.0f %% (%.0f-%.0f %%)",
                      100.0 * f[f.size() / 2], 100.0 * f.front(),
                      100.0 * f.back());
        std::printf("\n");
        std::vector<double> beyond = beyondStream(r, bytes);
        if (!beyond.empty()) {
          std::sort(beyond.begin(), beyond.end());
          std::printf("  time per token beyond reading its bytes at that "
                      "bandwidth: %.2f ms (%.2f to %.2f ms)\n",
                      1e3 * beyond[beyond.size() / 2], 1e3 * beyond.front(),
                      1e3 * beyond.back());
        }
        if (!r.roundTripNs.empty()) {
          auto [rt0, rt1] = std::minmax_element(r.roundTripNs.begin(),
                                                r.roundTripNs.end());
          auto [er0, er1] = std::minmax_element(r.emptyRegionNs.begin(),
                                                r.emptyRegionNs.end());
          std::printf("  hand-offs measured with the bandwidth: a cache "
                      "line's round trip between two threads %.0f-%.0f ns, "
                      "an empty parallel region %.0f-%.0f ns\n",
                      *rt0, *rt1, *er0, *er1);
        }
      }
    }
  }
  return 0;
}

} // namespace

int benchMain(const std::string &program, const std::vector<std::string> &args,
              bool modelArg, const RunBackendLoader &load) {
  return runGuarded(program, [&] {
    return benchMainUnguarded(program, args, modelArg, load);
  });
}

} // namespace tern
