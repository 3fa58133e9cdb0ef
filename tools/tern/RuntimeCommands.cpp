//===- RuntimeCommands.cpp - tern's subcommands over the runtime ----------===//
//
//   tern run        -m MODEL -p TEXT [-n N] [-t N] [...]   (reference path)
//   tern bench      MODEL|EXECUTABLE [-p N] [-n N] [-t N] [-r N]
//   tern inspect    MODEL
//   tern synth      --config CONFIG -o OUT [--format F] [--seed S]
//                   [--tokenizer FILE]
//   tern convert    MODEL -o OUT [--format F] [--tokenizer FILE] [--name N]
//   tern tokenize   (-m MODEL | --tokenizer FILE) [--ids] [--bos] [--special]
//                   [TEXT | -]
//   tern detokenize (-m MODEL | --tokenizer FILE) [IDS... | -]
//   tern compare-logits A.npy B.npy
// `run` and `bench` share their flags with compiled executables
// (runtime/generate/RunCli.h); the others use LLVM's command line library.
//
//===----------------------------------------------------------------------===//

#include "tools/tern/Driver.h"

#include "runtime/compiled/PayloadFile.h"
#include "runtime/generate/Perplexity.h"
#include "runtime/generate/RunCli.h"
#include "runtime/model/Gguf.h"
#include "runtime/model/Model.h"
#include "runtime/reference/ReferenceBackend.h"
#ifndef TERN_NO_SERVER
#include "runtime/serve/Server.h"
#endif
#include "runtime/support/LogitStats.h"
#include "runtime/support/Npy.h"
#include "runtime/support/Text.h"
#include "runtime/support/ThreadPool.h"
#include "runtime/synth/Convert.h"
#include "runtime/synth/Synth.h"
#include "runtime/tokenizer/Tokenizer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>
#include <fstream>
#include <string>
#include <vector>

namespace cl = llvm::cl;
using tern::cli::fail;

static cl::OptionCategory &ternCategory = tern::cli::category();

static cl::SubCommand tokenizeCmd("tokenize",
                                  "Print the token ids of a text (or stdin)");
static cl::SubCommand detokenizeCmd("detokenize",
                                    "Print the text of token ids (or stdin)");

static cl::SubCommand inspectCmd("inspect",
                                 "Describe a model: configuration, tensors, "
                                 "tokenizer");
static cl::SubCommand synthCmd("synth",
                               "Write a random BitNet b1.58 model of a given "
                               "configuration in any format");
static cl::SubCommand convertCmd(
    "convert",
    "Write a model in another format (GGUF I2_S for bitnet.cpp, TQ2_0 / "
    "TQ1_0 for llama.cpp, packed Hugging Face); the result is reloaded and "
    "checked against the source");
static cl::SubCommand compareCmd(
    "compare-logits",
    "How far two --dump-logits files are apart: max and relative RMS "
    "difference, top-1 agreement, KL divergence, logits equal bit for bit");
static cl::list<std::string> compareFiles(cl::Positional, cl::OneOrMore,
                                          cl::desc("A.npy B.npy"),
                                          cl::sub(compareCmd));
static cl::opt<int64_t> compareFrom(
    "rows-from",
    cl::desc("compare rows N.. only (e.g. the generated positions after an "
             "N-token prompt)"),
    cl::value_desc("N"), cl::init(0), cl::sub(compareCmd));
// `run` is dispatched before LLVM's parser sees it (see main); this entry
// only lists it in --help.
static cl::SubCommand benchCmd("bench",
                               "Prompt and generation speed, memory, "
                               "bandwidth roofline (tern bench MODEL|EXE "
                               "--help)");
static cl::SubCommand perplexityCmd(
    "perplexity",
    "Perplexity of a text as llama-perplexity computes it, KL divergence "
    "against a saved base (tern perplexity MODEL|EXE -f FILE --help)");
static cl::SubCommand runCmd("run",
                             "Generate text with the reference forward pass "
                             "(tern run --help for its flags)");

static cl::opt<std::string>
    tokenizerPath("tokenizer",
                  cl::desc("Tokenizer: tokenizer.model (tiktoken), "
                           "tokenizer.json, or a GGUF model"),
                  cl::value_desc("FILE"), cl::sub(tokenizeCmd),
                  cl::sub(detokenizeCmd), cl::sub(synthCmd),
                  cl::sub(convertCmd), cl::cat(ternCategory));
static cl::opt<std::string>
    tokModelPath("model", cl::desc("Take the tokenizer from this model"),
                 cl::value_desc("MODEL"), cl::sub(tokenizeCmd),
                 cl::sub(detokenizeCmd), cl::cat(ternCategory));
static cl::alias tokModelAlias("m", cl::aliasopt(tokModelPath),
                               cl::desc("Alias for --model"));

static cl::opt<std::string> inspectModel(cl::Positional, cl::Required,
                                         cl::desc("MODEL"),
                                         cl::sub(inspectCmd));
static cl::opt<bool> inspectAll("all",
                                cl::desc("List every tensor (default: the "
                                         "first layer's and the rest)"),
                                cl::sub(inspectCmd), cl::cat(ternCategory));

static cl::opt<std::string>
    synthConfig("config",
                cl::desc("Model configuration (Hugging Face config.json "
                         "form; see models/)"),
                cl::value_desc("FILE"), cl::Required, cl::sub(synthCmd),
                cl::cat(ternCategory));
static cl::opt<std::string> synthOut("o", cl::desc("Output file (GGUF) or "
                                                   "directory (hf-*)"),
                                     cl::value_desc("OUT"), cl::Required,
                                     cl::sub(synthCmd), cl::sub(convertCmd),
                                     cl::cat(ternCategory));
static cl::opt<std::string>
    synthFormat("format",
                cl::desc("gguf-i2s (default), gguf-tq2, gguf-tq1, hf-packed, "
                         "hf-bf16"),
                cl::init("gguf-i2s"), cl::sub(synthCmd), cl::sub(convertCmd),
                cl::cat(ternCategory));
static cl::opt<uint64_t> synthSeed("seed", cl::desc("Random seed"),
                                   cl::init(1), cl::sub(synthCmd),
                                   cl::cat(ternCategory));
static cl::opt<float> synthLayerScale(
    "layer-scale",
    cl::desc("Multiply every BitLinear weight scale by this power of two "
             "(1/256 to 1; default 1): small values keep each token's "
             "embedding in charge of its residual stream, so that the logits "
             "peak as a trained model's do (for measuring the screened heads)"),
    cl::value_desc("F"), cl::init(1.0f), cl::sub(synthCmd),
    cl::cat(ternCategory));
static cl::opt<unsigned> synthThreads("threads",
                                      cl::desc("Threads (default: all)"),
                                      cl::init(0), cl::sub(synthCmd),
                                      cl::sub(convertCmd),
                                      cl::cat(ternCategory));
static cl::opt<std::string> convertModel(cl::Positional, cl::Required,
                                         cl::desc("MODEL"),
                                         cl::sub(convertCmd));
static cl::opt<std::string>
    convertName("name", cl::desc("general.name of a GGUF output"),
                cl::value_desc("NAME"), cl::sub(convertCmd),
                cl::cat(ternCategory));
static cl::opt<bool> idsOnly("ids",
                             cl::desc("Print only the ids, on one line"),
                             cl::sub(tokenizeCmd), cl::cat(ternCategory));
static cl::opt<bool> addBos("bos", cl::desc("Start with <|begin_of_text|>"),
                            cl::sub(tokenizeCmd), cl::cat(ternCategory));
static cl::opt<bool>
    parseSpecial("special",
                 cl::desc("Map special-token text such as <|eot_id|> to its id"),
                 cl::sub(tokenizeCmd), cl::cat(ternCategory));
static cl::list<std::string> tokenizeArgs(cl::Positional,
                                          cl::desc("[TEXT... | -]"),
                                          cl::sub(tokenizeCmd));
static cl::list<std::string> detokenizeArgs(cl::Positional,
                                            cl::desc("[IDS... | -]"),
                                            cl::sub(detokenizeCmd));

/// The positional arguments joined by spaces, or stdin when there are none
/// or the only one is "-".
static llvm::Expected<std::string> inputText(const std::vector<std::string> &args) {
  if (args.empty() || (args.size() == 1 && args[0] == "-")) {
    auto buffer = llvm::MemoryBuffer::getSTDIN();
    if (!buffer)
      return llvm::createStringError(buffer.getError(), "cannot read stdin");
    return (*buffer)->getBuffer().str();
  }
  return llvm::join(args, " ");
}

/// A tokenizer from a tokenizer.model, a tokenizer.json or a model file.
static llvm::Expected<tern::Tokenizer>
loadTokenizerFrom(const std::string &path, bool isModel) {
  llvm::StringRef p(path);
  if (!isModel && p.ends_with(".json")) {
    auto t = tern::Tokenizer::fromTokenizerJson(path);
    if (!t)
      return llvm::createStringError(t.error);
    return *t.tokenizer;
  }
  if (!isModel && !p.ends_with(".gguf")) {
    auto t = tern::Tokenizer::fromTiktokenFile(path);
    if (!t)
      return llvm::createStringError(t.error);
    return *t.tokenizer;
  }
  tern::ModelOrError m = tern::loadModel(path);
  if (!m)
    return llvm::createStringError(m.error);
  auto t = tern::buildTokenizer(*m);
  if (!t)
    return llvm::createStringError(t.error);
  return *t.tokenizer;
}

static std::optional<tern::Tokenizer> loadTokenizer() {
  if (tokenizerPath.empty() == tokModelPath.empty()) {
    fail(tokenizerPath.empty()
             ? "no tokenizer given: pass -m MODEL or --tokenizer FILE"
             : "pass either -m MODEL or --tokenizer FILE, not both");
    return std::nullopt;
  }
  auto loaded = tokModelPath.empty() ? loadTokenizerFrom(tokenizerPath, false)
                                     : loadTokenizerFrom(tokModelPath, true);
  if (!loaded) {
    fail(llvm::toString(loaded.takeError()));
    return std::nullopt;
  }
  return *loaded;
}

static int runTokenize() {
  auto tokenizer = loadTokenizer();
  if (!tokenizer)
    return 1;
  auto text = inputText(tokenizeArgs);
  if (!text)
    return fail(llvm::toString(text.takeError()));
  std::vector<tern::TokenId> ids = tokenizer->encode(*text, addBos, parseSpecial);
  if (idsOnly) {
    llvm::outs() << llvm::join(llvm::map_range(ids, [](tern::TokenId id) {
                                 return std::to_string(id);
                               }),
                               " ")
                 << "\n";
    return 0;
  }
  for (tern::TokenId id : ids) {
    llvm::outs() << llvm::format("%6d", id) << "  '";
    llvm::outs().write_escaped(tokenizer->tokenBytes(id));
    llvm::outs() << "'\n";
  }
  return 0;
}

static int runDetokenize() {
  auto tokenizer = loadTokenizer();
  if (!tokenizer)
    return 1;
  auto text = inputText(detokenizeArgs);
  if (!text)
    return fail(llvm::toString(text.takeError()));
  llvm::SmallVector<llvm::StringRef> words;
  llvm::StringRef(*text).split(words, ' ', -1, /*KeepEmpty=*/false);
  std::vector<tern::TokenId> ids;
  for (llvm::StringRef word : words) {
    word = word.trim();
    if (word.empty())
      continue;
    int64_t id;
    if (word.getAsInteger(10, id) || id < 0 || id >= tokenizer->vocabSize())
      return fail("'" + word + "' is not a token id (0.." +
                  llvm::Twine(tokenizer->vocabSize() - 1) + ")");
    ids.push_back(static_cast<tern::TokenId>(id));
  }
  llvm::outs() << tokenizer->decode(ids);
  return 0;
}

//===----------------------------------------------------------------------===//
// inspect
//===----------------------------------------------------------------------===//

static std::string withCommas(uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<size_t>(i), ",");
  return s;
}

static int runInspect() {
  // An executable built by tern compile: what its payload records (the
  // same text as `EXE --info`; any target, nothing is run).
  if (tern::isCompiledExecutable(inspectModel)) {
    tern::OrError<tern::GgufFile> payload = tern::openPayload(inspectModel);
    if (!payload)
      return fail(payload.error);
    tern::OrError<std::string> d = tern::describePayload(*payload);
    if (!d)
      return fail(d.error);
    llvm::outs() << "executable:    " << inspectModel << "\n" << *d;
    return 0;
  }
  tern::ModelOrError loaded = tern::loadModel(inspectModel);
  if (!loaded)
    return fail(loaded.error);
  const tern::ModelDescription &m = *loaded;
  const tern::ModelConfig &c = m.config;
  auto &os = llvm::outs();
  os << "model:         " << m.sourcePath << " (" << m.sourceFormat << ")\n"
     << "architecture:  " << c.architecture << "\n"
     << "layers:        " << c.numLayers << "\n"
     << "hidden:        " << c.hiddenSize << "\n"
     << "intermediate:  " << c.intermediateSize << "\n"
     << "heads:         " << c.numHeads << " query, " << c.numKvHeads
     << " key/value, head dim " << c.headDim << "\n"
     << "vocabulary:    " << c.vocabSize << "\n"
     << "context:       " << c.maxPositions << "\n"
     << "rope theta:    " << llvm::format("%g", c.ropeTheta) << "\n"
     << "rms norm eps:  " << llvm::format("%g", c.rmsNormEps) << "\n"
     << "lm head:       "
     << (c.tiedEmbeddings ? "tied to the token embedding" : "output.weight")
     << "\n";

  // Tensor table from the description (the same for every format).
  struct Row {
    std::string name, type, shape;
    uint64_t bytes;
  };
  std::vector<Row> rows;
  uint64_t ternaryParams = 0, ternaryBytes = 0, otherBytes = 0;
  auto dense = [&](const tern::DenseTensor &t) {
    const uint64_t b = static_cast<uint64_t>(t.rows * t.cols) *
                       (t.type == tern::DenseType::F32 ? 4 : 2);
    otherBytes += b;
    rows.push_back({t.name, tern::denseTypeName(t.type),
                    "[" + std::to_string(t.rows) + ", " +
                        std::to_string(t.cols) + "]",
                    b});
  };
  auto norm = [&](const tern::FloatTensor &t) {
    otherBytes += static_cast<uint64_t>(t.size) * 4;
    rows.push_back({t.name, "F32 (loaded)",
                    "[" + std::to_string(t.size) + "]",
                    static_cast<uint64_t>(t.size) * 4});
  };
  auto ternary = [&](const tern::TernaryTensor &t) {
    ternaryParams += static_cast<uint64_t>(t.rows * t.cols);
    ternaryBytes += t.byteSize;
    rows.push_back({t.name,
                    std::string(tern::ternaryEncodingName(t.encoding)) +
                        (" x" + llvm::formatv("{0}", llvm::format("%g", t.scale)).str()),
                    "[" + std::to_string(t.rows) + ", " +
                        std::to_string(t.cols) + "]",
                    t.byteSize});
  };
  dense(m.tokenEmbedding);
  if (m.output)
    dense(*m.output);
  norm(m.outputNorm);
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const tern::LayerWeights &l = m.layers[i];
    const size_t before = rows.size();
    norm(l.attnNorm);
    ternary(l.attnQ);
    ternary(l.attnK);
    ternary(l.attnV);
    norm(l.attnSubNorm);
    ternary(l.attnOutput);
    norm(l.ffnNorm);
    ternary(l.ffnGate);
    ternary(l.ffnUp);
    norm(l.ffnSubNorm);
    ternary(l.ffnDown);
    if (!inspectAll && i > 0)
      rows.resize(before);
  }
  os << "ternary:       " << withCommas(ternaryParams) << " weights in "
     << withCommas(ternaryBytes) << " bytes ("
     << llvm::format("%.3f",
                     ternaryParams ? 8.0 * ternaryBytes / ternaryParams : 0.0)
     << " bits/weight)\n"
     << "other:         " << withCommas(otherBytes) << " bytes\n";

  // Tokenizer.
  if (m.vocab.tokens.empty()) {
    os << "tokenizer:     none (use --tokens with tern run)\n";
  } else {
    auto tok = tern::buildTokenizer(m);
    if (!tok)
      return fail(tok.error);
    size_t specials = 0;
    for (bool b : m.vocab.isSpecial)
      specials += b;
    os << "tokenizer:     " << (m.vocab.model.empty() ? "?" : m.vocab.model)
       << ", " << m.vocab.tokens.size() << " tokens (" << specials
       << " special)";
    for (auto [what, id] : {std::pair<const char *, tern::TokenId>{"bos", tok->bosId()},
                            {"eos", tok->eosId()},
                            {"eot", tok->eotId()}})
      if (id >= 0)
        os << ", " << what << " " << id << " "
           << tok->tokenBytes(id);
    os << "\n";
  }

  os << "tensors" << (inspectAll ? "" : " (layer 0 shown; --all for every layer)")
     << ":\n";
  size_t w = 4;
  for (const Row &r : rows)
    w = std::max(w, r.name.size());
  for (const Row &r : rows)
    os << "  " << llvm::left_justify(r.name, w) << "  "
       << llvm::left_justify(r.type, 18) << "  "
       << llvm::left_justify(r.shape, 14) << "  "
       << llvm::right_justify(withCommas(r.bytes), 14) << "\n";

  // GGUF files: the file's own view too (metadata keys, stored types).
  if (m.sourceFormat == "gguf") {
    auto f = tern::GgufFile::open(m.sourcePath);
    if (f) {
      os << "gguf:          version " << f->version() << ", "
         << f->metadata().size() << " metadata keys, "
         << f->tensors().size() << " tensors, alignment " << f->alignment()
         << "\n";
      std::vector<std::string> unknown;
      for (const tern::GgufKeyValue &kv : f->metadata()) {
        if (llvm::StringRef(kv.key).starts_with("general.") ||
            llvm::StringRef(kv.key).starts_with(c.architecture + "."))
          os << "  " << tern::escapeForMessage(kv.key) << " = "
             << tern::summarizeGgufValue(kv.value) << "\n";
        if (!tern::isKnownGgufKey(kv.key))
          unknown.push_back(tern::escapeForMessage(kv.key));
      }
      // Keys Tern neither reads nor knows: a model made for another
      // runtime may depend on them.
      os << "unknown keys:  "
         << (unknown.empty() ? std::string("none") : llvm::join(unknown, ", "))
         << "\n";
    }
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// synth
//===----------------------------------------------------------------------===//

static int runSynth() {
  auto format = tern::parseModelFormat(synthFormat);
  if (!format)
    return fail("--format '" + synthFormat + "' is not one of " +
                tern::modelFormatList());
  auto config = tern::readHfConfigFile(synthConfig);
  if (!config)
    return fail(config.error);
  tern::SynthOptions o;
  o.config = *config;
  o.format = *format;
  o.seed = synthSeed;
  o.threads = static_cast<int>(synthThreads);
  o.layerScale = synthLayerScale;
  o.name = llvm::sys::path::stem(synthConfig).str();
  if (!tokenizerPath.empty()) {
    auto t = loadTokenizerFrom(tokenizerPath, false);
    if (!t)
      return fail(llvm::toString(t.takeError()));
    o.tokenizer = *t;
  }
  std::string err = tern::writeSyntheticModel(o, synthOut);
  if (!err.empty())
    return fail(err);
  llvm::errs() << "tern synth: wrote " << synthOut << " ("
               << tern::modelFormatName(o.format) << ", seed " << o.seed
               << ")\n";
  return 0;
}

static int runConvert() {
  auto format = tern::parseModelFormat(synthFormat);
  if (!format)
    return fail("--format '" + synthFormat + "' is not one of " +
                tern::modelFormatList());
  tern::ModelOrError model = tern::loadModel(convertModel);
  if (!model)
    return fail(model.error);
  tern::ConvertOptions o;
  o.format = *format;
  o.threads = static_cast<int>(synthThreads);
  o.name = convertName;
  if (!tokenizerPath.empty()) {
    auto t = loadTokenizerFrom(tokenizerPath, false);
    if (!t)
      return fail(llvm::toString(t.takeError()));
    o.tokenizer = *t;
  }
  tern::ConvertResult r = tern::convertModel(*model, o, synthOut);
  for (const std::string &note : r.notes)
    llvm::errs() << "tern convert: note: " << note << "\n";
  if (!r.error.empty())
    return fail(r.error);
  llvm::errs() << "tern convert: wrote " << synthOut << " ("
               << tern::modelFormatName(o.format)
               << "); reloaded, its weights match " << convertModel << "\n";
  return 0;
}

static int runCompareLogits() {
  if (compareFiles.size() != 2)
    return fail("compare-logits takes two .npy files (A: the baseline, B)");
  std::vector<int64_t> shape[2];
  std::vector<float> data[2];
  for (int i = 0; i < 2; ++i) {
    std::string err = tern::readNpyFloat32(compareFiles[i], shape[i], data[i]);
    if (!err.empty())
      return fail(err);
    if (shape[i].empty() || shape[i].size() > 2 || shape[i].back() == 0)
      return fail(compareFiles[i] + ": expected logits [rows, vocab] or "
                                    "[vocab]");
  }
  if (shape[0] != shape[1])
    return fail(compareFiles[0] + " and " + compareFiles[1] +
                " have different shapes");
  const int64_t vocab = shape[0].back();
  const int64_t all = static_cast<int64_t>(data[0].size()) / vocab;
  if (compareFrom < 0 || compareFrom >= all)
    return fail(llvm::formatv("--rows-from {0}: {1} holds rows 0..{2}",
                              compareFrom.getValue(), compareFiles[0],
                              all - 1)
                    .str());
  const int64_t rows = all - compareFrom;
  const int64_t skip = compareFrom * vocab;
  tern::LogitStats s = tern::compareLogits(data[0].data() + skip,
                                           data[1].data() + skip, rows, vocab);
  llvm::outs() << llvm::formatv(
      "rows {0}, vocab {1}\n"
      "max |B - A|        {2:e}\n"
      "rms(B - A)/rms(A)  {3:e}\n"
      "top-1 agreement    {4} / {0} ({5:f1} %)\n"
      "KL(A || B) nats    mean {6:e}, max {7:e}\n"
      "equal per row      median {8}, {9}-{10} of {1}\n",
      rows, vocab, s.maxAbsDiff, s.relRmsDiff, s.top1Agree,
      rows ? 100.0 * s.top1Agree / rows : 0.0, s.meanKl, s.maxKl,
      s.equalMedian, s.equalMin, s.equalMax);
  return 0;
}

/// Runs `exe sub args[1..]` (a compiled executable runs bench and
/// perplexity itself) and returns its status.
static int forwardToExecutable(const char *sub,
                               const std::vector<std::string> &args) {
  std::string exe = args[0];
  if (exe.find('/') == std::string::npos)
    exe = "./" + exe;
  std::vector<llvm::StringRef> argv = {exe, sub};
  for (auto it = args.begin() + 1; it != args.end(); ++it)
    argv.push_back(*it);
  std::string error;
  const int rc =
      llvm::sys::ExecuteAndWait(exe, argv, std::nullopt, {}, 0, 0, &error);
  if (rc < 0)
    return fail(llvm::Twine("tern ") + sub + ": cannot run " + exe + ": " +
                error);
  return rc;
}

/// tern bench: a compiled executable benchmarks itself (`OUT bench ...`);
/// a model file runs on the reference forward pass.
int tern::cli::runBench(const std::vector<std::string> &args) {
  if (!args.empty() && tern::isCompiledExecutable(args[0]))
    return forwardToExecutable("bench", args);
  return tern::benchMain("tern bench", args, /*modelArg=*/true,
                         tern::loadReferenceBackend);
}

/// tern perplexity: as bench, a compiled executable scores the text itself.
int tern::cli::runPerplexity(const std::vector<std::string> &args) {
  if (!args.empty() && tern::isCompiledExecutable(args[0]))
    return forwardToExecutable("perplexity", args);
  return tern::perplexityMain("tern perplexity", args, /*modelArg=*/true,
                              tern::loadReferenceBackend);
}

/// tern serve: a compiled executable serves itself (it replaces this
/// process, so that SIGTERM reaches the server); a model file is served by
/// the reference forward pass.
int tern::cli::runServe(const std::vector<std::string> &args) {
  if (!args.empty() && tern::isCompiledExecutable(args[0])) {
    std::string exe = args[0];
    if (exe.find('/') == std::string::npos)
      exe = "./" + exe;
    std::vector<std::string> words = {exe, "serve"};
    words.insert(words.end(), args.begin() + 1, args.end());
    std::vector<char *> argv;
    for (std::string &w : words)
      argv.push_back(w.data());
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    return fail("tern serve: cannot run " + exe + ": " +
                std::string(std::strerror(errno)));
  }
#ifdef TERN_NO_SERVER
  return fail("tern serve: this tern was built without the server "
              "(-DTERN_WITH_SERVER=OFF; it needs libcpp-httplib-dev)");
#else
  return tern::serveMain("tern serve", args, /*modelFlag=*/true,
                         tern::loadReferenceBackend);
#endif
}

int tern::cli::runRun(const std::vector<std::string> &args) {
  return tern::runMain("tern run", args, /*modelFlag=*/true,
                       tern::loadReferenceBackend);
}

static tern::cli::Registration tokenizeEntry(tokenizeCmd, runTokenize);
static tern::cli::Registration detokenizeEntry(detokenizeCmd, runDetokenize);
static tern::cli::Registration inspectEntry(inspectCmd, runInspect);
static tern::cli::Registration synthEntry(synthCmd, runSynth);
static tern::cli::Registration convertEntry(convertCmd, runConvert);
static tern::cli::Registration compareEntry(compareCmd, runCompareLogits);
