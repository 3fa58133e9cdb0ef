//===- Perplexity.cpp - How well a model predicts a text ------------------===//

#include "runtime/generate/Perplexity.h"

#include "runtime/support/Limits.h"
#include "runtime/support/LogitStats.h"
#include "runtime/support/Npy.h"
#include "runtime/support/Text.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

namespace tern {

double MeanEstimate::standardError() const {
  if (count_ < 2)
    return 0;
  // Population variance m2 / n; the mean's standard error divides by n - 1
  // as llama-perplexity does.
  const double n = static_cast<double>(count_);
  return std::sqrt(m2_ / n / (n - 1));
}

void logSoftmax(const float *logits, int64_t vocab, std::vector<double> &out) {
  out.resize(static_cast<size_t>(vocab));
  const double logSum = logSumExp(logits, vocab);
  for (int64_t i = 0; i < vocab; ++i)
    out[static_cast<size_t>(i)] = static_cast<double>(logits[i]) - logSum;
}

double klDivergence(const float *base, const std::vector<double> &model) {
  // The base was stored as float: renormalize it, and read a sum below 0
  // (KL is never negative) as the rounding it is.
  const int64_t n = static_cast<int64_t>(model.size());
  const double logTotal = logSumExp(base, n);
  double kl = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double p = static_cast<double>(base[i]) - logTotal;
    if (std::isfinite(p))
      kl += std::exp(p) * (p - model[static_cast<size_t>(i)]);
  }
  return std::max(0.0, kl);
}

int64_t argmax(const std::vector<double> &v) {
  return static_cast<int64_t>(std::max_element(v.begin(), v.end()) -
                              v.begin());
}

OrError<PerplexityOptions>
parsePerplexityOptions(const std::vector<std::string> &args, bool modelArg) {
  using R = OrError<PerplexityOptions>;
  PerplexityOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &flag = args[i];
    if (flag == "-h" || flag == "--help") {
      o.help = true;
      continue;
    }
    if (flag == "--kl-divergence") {
      o.klDivergence = true;
      continue;
    }
    if (flag.empty() || flag[0] != '-') {
      if (!modelArg || !o.model.empty())
        return R::failure("unexpected argument '" + flag + "'");
      o.model = flag;
      continue;
    }
    if (i + 1 >= args.size())
      return R::failure(flag + " needs a value");
    const std::string &v = args[++i];
    if (flag == "-f" || flag == "--file") {
      o.file = v;
    } else if (flag == "--save-base") {
      o.saveBase = v;
    } else if (flag == "--base") {
      o.base = v;
    } else if (flag == "--head") {
      if (!modelArg)
        return R::failure("--head applies to model files; a compiled "
                          "executable's head format is set by 'tern compile "
                          "--head'");
      std::optional<HeadFormat> f = parseHeadFormat(v);
      if (!f)
        return R::failure("--head: unknown format '" + v + "' (" +
                          headFormatNames() + ")");
      o.head = *f;
    } else if (flag == "-c" || flag == "--ctx-size" || flag == "--chunks" ||
               flag == "-t" || flag == "--threads") {
      int64_t n = 0;
      if (!parseInt64(v, n))
        return R::failure(flag + ": '" + v + "' is not an integer");
      if (flag == "-c" || flag == "--ctx-size") {
        if (n < 4)
          return R::failure(flag + " " + v +
                            " is too small: a chunk scores its second half "
                            "and needs at least 4 tokens");
        o.contextSize = n;
      } else if (flag == "--chunks") {
        if (n < 1)
          return R::failure("--chunks " + v + ": give at least 1");
        o.chunks = n;
      } else {
        if (n < 1 || n > 1024)
          return R::failure(flag + ": " + v + " threads is absurd (1 to 1024)");
        o.threads = static_cast<int>(n);
      }
    } else {
      return R::failure("unknown flag " + flag);
    }
  }
  if (o.help)
    return R(o);
  if (modelArg && o.model.empty())
    return R::failure("no model: give MODEL");
  if (o.file.empty())
    return R::failure("no text: give -f FILE");
  if (o.klDivergence && o.base.empty())
    return R::failure("--kl-divergence needs --base FILE (written by "
                      "--save-base)");
  if (!o.base.empty() && !o.klDivergence)
    return R::failure("--base is read with --kl-divergence");
  if (!o.saveBase.empty() && o.saveBase == o.base)
    return R::failure("--save-base and --base name the same file");
  return R(o);
}

namespace {

std::string usage(const std::string &program, bool modelArg) {
  return "usage: " + program + (modelArg ? " MODEL" : "") +
         " -f FILE [-c N] [--chunks N] [-t N]" +
         (modelArg ? " [--head FORMAT]" : "") +
         " [--save-base FILE | --kl-divergence --base FILE]\n"
         "  -f, --file FILE     the text to score (UTF-8)\n"
         "  -c, --ctx-size N    tokens per chunk (default 512); the second "
         "half of each is scored\n"
         "      --chunks N      score at most N chunks\n"
         "  -t, --threads N     threads\n" +
         (modelArg ? "      --head FORMAT   output head: " + headFormatNames() +
                         "\n"
                   : std::string()) +
         "      --save-base F   write the scored positions' log-probabilities "
         "(.npy)\n"
         "      --kl-divergence --base F   compare with a --save-base file\n";
}

OrError<std::string> readText(const std::string &path) {
  using R = OrError<std::string>;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return R::failure(path + ": is a directory, not a text file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return R::failure(path + ": cannot open the text");
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad())
    return R::failure(path + ": cannot read the text");
  if (s.str().empty())
    return R::failure(path + ": the text is empty");
  return R(s.str());
}

/// Where the chunks' log-probabilities go (--save-base): the .npy header for
/// every scored position up front, then rows as chunks finish.
class BaseWriter {
public:
  std::string open(const std::string &path, int64_t positions, int64_t vocab) {
    path_ = path;
    out_.open(path, std::ios::binary | std::ios::trunc);
    const std::string header = npyFloat32Header({positions, vocab});
    if (!out_.write(header.data(), static_cast<std::streamsize>(header.size())))
      return path + ": cannot write";
    return "";
  }
  std::string row(const std::vector<double> &logProbs) {
    buffer_.assign(logProbs.begin(), logProbs.end());
    if (!out_.write(reinterpret_cast<const char *>(buffer_.data()),
                    static_cast<std::streamsize>(buffer_.size() * 4)))
      return path_ + ": cannot write";
    return "";
  }
  std::string close() {
    out_.close();
    return out_ ? "" : path_ + ": cannot write";
  }

private:
  std::string path_;
  std::ofstream out_;
  std::vector<float> buffer_;
};

/// The running state of one scoring pass.
struct Scoring {
  int64_t chunk = 0, chunks = 0, context = 0, vocab = 0;
  MeanEstimate nll, kl;
  int64_t sameTop = 0;
  double seconds = 0;
  const std::vector<float> *base = nullptr; ///< --kl-divergence rows.
  BaseWriter *save = nullptr;
  std::vector<double> logProbs;
};

/// Scores positions context/2 .. context-2 of one evaluated chunk.
std::string scoreChunk(Scoring &s, const float *logits,
                       const TokenId *tokens) {
  const int64_t first = s.context / 2;
  const int64_t perChunk = s.context - 1 - first;
  for (int64_t j = first; j + 1 < s.context; ++j) {
    logSoftmax(logits + j * s.vocab, s.vocab, s.logProbs);
    s.nll.add(-s.logProbs[static_cast<size_t>(tokens[j + 1])]);
    if (s.save)
      if (std::string e = s.save->row(s.logProbs); !e.empty())
        return e;
    if (s.base) {
      const int64_t row = s.chunk * perChunk + (j - first);
      const float *b = s.base->data() + row * s.vocab;
      s.kl.add(klDivergence(b, s.logProbs));
      s.sameTop += argmax(b, s.vocab) == argmax(s.logProbs);
    }
  }
  return "";
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

/// The text's tokens, cut to whole chunks, with the checks a user needs to
/// hear about (text shorter than one chunk, -c beyond the context).
OrError<std::vector<TokenId>> chunkedTokens(const PerplexityOptions &o,
                                            const RunBackend &b,
                                            int64_t &chunks) {
  using R = OrError<std::vector<TokenId>>;
  const Tokenizer *tok = b.tokenizer();
  if (!tok)
    return R::failure("the model has no tokenizer: perplexity reads text");
  if (o.contextSize > b.maxContext())
    return R::failure("-c " + std::to_string(o.contextSize) + " exceeds the " +
                      std::to_string(b.maxContext()) + "-token context " +
                      (o.model.empty() ? "this executable was compiled for "
                                         "(tern compile --ctx N)"
                                       : "the model was trained for"));
  if (tok->bosId() < 0)
    return R::failure("the tokenizer has no <|begin_of_text|> to start "
                      "chunks with");
  OrError<std::string> text = readText(o.file);
  if (!text)
    return R::failure(text.error);
  std::vector<TokenId> tokens = tok->encode(*text, /*addBos=*/false);
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n < o.contextSize)
    return R::failure(o.file + ": " + std::to_string(n) +
                      " tokens, fewer than one chunk of -c " +
                      std::to_string(o.contextSize) +
                      " (give a smaller -c or a longer text)");
  chunks = n / o.contextSize;
  if (o.chunks > 0)
    chunks = std::min(chunks, o.chunks);
  tokens.resize(static_cast<size_t>(chunks * o.contextSize));
  return R(std::move(tokens));
}

/// Reads --base and checks that it holds `positions` rows of `vocab`.
std::string readBase(const std::string &path, int64_t positions, int64_t vocab,
                     std::vector<float> &rows) {
  std::vector<int64_t> shape;
  if (std::string e = readNpyFloat32(path, shape, rows); !e.empty())
    return e;
  if (shape.size() != 2 || shape[0] != positions || shape[1] != vocab)
    return path + ": holds log-probabilities of shape " +
           (shape.size() == 2 ? "[" + std::to_string(shape[0]) + ", " +
                                    std::to_string(shape[1]) + "]"
                              : std::to_string(shape.size()) + "-d") +
           ", this run scores [" + std::to_string(positions) + ", " +
           std::to_string(vocab) +
           "] (the same text, -c and --chunks, and a model with the same "
           "vocabulary)";
  return "";
}

void printProgress(const Scoring &s) {
  if (!::isatty(STDERR_FILENO))
    return;
  const double left = s.seconds / static_cast<double>(s.chunk) *
                      static_cast<double>(s.chunks - s.chunk);
  std::fprintf(stderr, "\r\033[Kperplexity: chunk %lld/%lld, %.0f s left",
               static_cast<long long>(s.chunk),
               static_cast<long long>(s.chunks), left);
  if (s.chunk == s.chunks)
    std::fprintf(stderr, "\r\033[K");
}

/// Evaluates every chunk and scores it, printing the running estimate.
std::string scoreText(Scoring &s, LanguageModel &lm,
                      const std::vector<TokenId> &tokens, TokenId bos) {
  if (!checkedProduct({s.context, s.vocab, 4}))
    return "-c " + std::to_string(s.context) + " x a vocabulary of " +
           std::to_string(s.vocab) + " logits is too large";
  std::vector<float> logits(static_cast<size_t>(s.context * s.vocab));
  std::vector<TokenId> chunk(static_cast<size_t>(s.context));
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  for (s.chunk = 0; s.chunk < s.chunks;) {
    std::copy_n(tokens.begin() + s.chunk * s.context, s.context, chunk.begin());
    chunk[0] = bos;
    lm.reset();
    if (std::string e = lm.forward(chunk.data(), s.context, logits.data(),
                                   /*allLogits=*/true);
        !e.empty())
      return e;
    if (std::string e = scoreChunk(s, logits.data(), chunk.data()); !e.empty())
      return e;
    ++s.chunk;
    std::printf("%s[%lld]%s", s.chunk > 1 ? "," : "",
                static_cast<long long>(s.chunk),
                fixed(std::exp(s.nll.mean()), 4).c_str());
    std::fflush(stdout);
    s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    printProgress(s);
  }
  return "";
}

void printReport(const std::string &program, const Scoring &s, int threads) {
  const double ppl = std::exp(s.nll.mean());
  std::printf("\nFinal estimate: PPL = %s +/- %s\n", fixed(ppl, 4).c_str(),
              fixed(ppl * s.nll.standardError(), 5).c_str());
  if (s.base)
    std::printf("KL divergence: mean %s +/- %s, same top token %s %% "
                "(%lld positions)\n",
                fixed(s.kl.mean(), 6).c_str(),
                fixed(s.kl.standardError(), 6).c_str(),
                fixed(100.0 * static_cast<double>(s.sameTop) /
                          static_cast<double>(s.kl.count()),
                      2)
                    .c_str(),
                static_cast<long long>(s.kl.count()));
  std::fprintf(stderr,
               "%s: %lld chunks of %lld tokens, %lld scored, %.2f s "
               "(%.1f tokens/s), %d thread%s\n",
               program.c_str(), static_cast<long long>(s.chunks),
               static_cast<long long>(s.context),
               static_cast<long long>(s.nll.count()), s.seconds,
               static_cast<double>(s.chunks * s.context) / s.seconds, threads,
               threads == 1 ? "" : "s");
}

int perplexityUnguarded(const std::string &program,
                        const std::vector<std::string> &args, bool modelArg,
                        const RunBackendLoader &load) {
  auto fail = [&](const std::string &message) {
    printError(program, message);
    return 1;
  };
  OrError<PerplexityOptions> parsed = parsePerplexityOptions(args, modelArg);
  if (!parsed)
    return fail(parsed.error);
  const PerplexityOptions &o = *parsed;
  if (o.help) {
    std::fputs(usage(program, modelArg).c_str(), stdout);
    return 0;
  }
  RunOptions ro;
  ro.model = o.model;
  ro.head = o.head;
  OrError<std::unique_ptr<RunBackend>> backend = load(ro);
  if (!backend)
    return fail(backend.error);
  RunBackend &b = **backend;
  Scoring s;
  OrError<std::vector<TokenId>> tokens = chunkedTokens(o, b, s.chunks);
  if (!tokens)
    return fail(tokens.error);
  s.context = o.contextSize;
  s.vocab = b.config().vocabSize;
  const int64_t positions = s.chunks * (s.context - 1 - s.context / 2);
  std::vector<float> baseRows;
  if (!o.base.empty()) {
    if (std::string e = readBase(o.base, positions, s.vocab, baseRows);
        !e.empty())
      return fail(e);
    s.base = &baseRows;
  }
  BaseWriter writer;
  if (!o.saveBase.empty()) {
    if (std::string e = writer.open(o.saveBase, positions, s.vocab); !e.empty())
      return fail(e);
    s.save = &writer;
  }
  const int threads = resolveThreads(o.threads, b);
  OrError<std::unique_ptr<LanguageModel>> lm = b.instantiate(threads, s.context, 1);
  if (!lm)
    return fail(lm.error);
  if (std::string e = scoreText(s, **lm, *tokens, b.tokenizer()->bosId());
      !e.empty())
    return fail(e);
  if (s.save)
    if (std::string e = writer.close(); !e.empty())
      return fail(e);
  printReport(program, s, threads);
  return 0;
}

} // namespace

int perplexityMain(const std::string &program,
                   const std::vector<std::string> &args, bool modelArg,
                   const RunBackendLoader &load) {
  return runGuarded(program, [&] {
    return perplexityUnguarded(program, args, modelArg, load);
  });
}

} // namespace tern
