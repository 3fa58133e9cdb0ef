//===- PayloadFile.cpp - Finding and describing an executable's payload ---===//

#include "runtime/compiled/PayloadFile.h"

#include "runtime/compiled/tern_abi.h"
#include "runtime/model/MappedFile.h"
#include "runtime/model/Model.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace tern {

OrError<GgufFile> openPayload(const std::string &exePath) {
  using R = OrError<GgufFile>;
  MappedFileOrError exe = MappedFile::open(exePath);
  if (!exe)
    return R::failure(exe.error);
  const MappedFile &f = **exe;
  tern_payload_trailer t;
  if (f.size() >= sizeof t) {
    std::memcpy(&t, f.data() + f.size() - sizeof t, sizeof t);
    if (std::memcmp(t.magic, TERN_ABI_TRAILER_MAGIC, 8) == 0) {
      if (t.offset > f.size() || t.size > f.size() - t.offset)
        return R::failure(exePath + ": the appended weights are truncated "
                                    "(trailer points past the end)");
      auto slice = MappedFile::slice(*exe, t.offset, t.size,
                                     exePath + " (appended weights)");
      return GgufFile::parse(std::move(slice));
    }
  }
  const std::string side = exePath + ".weights";
  GgufFileOrError g = GgufFile::open(side);
  if (!g)
    return R::failure(exePath + ": no weights appended to the executable, "
                                "and " + g.error);
  return g;
}

bool isCompiledExecutable(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  char elf[4] = {};
  if (!f.read(elf, 4) || std::memcmp(elf, "\x7f" "ELF", 4) != 0)
    return false;
  tern_payload_trailer t;
  f.seekg(-static_cast<std::streamoff>(sizeof t), std::ios::end);
  if (f.read(reinterpret_cast<char *>(&t), sizeof t) &&
      std::memcmp(t.magic, TERN_ABI_TRAILER_MAGIC, 8) == 0)
    return true;
  std::ifstream side(path + ".weights", std::ios::binary);
  return static_cast<bool>(side);
}

namespace {

/// A string key, or `fallback` when absent.
OrError<std::string> stringOr(const GgufFile &f, const char *key,
                              const std::string &fallback) {
  if (!f.hasKey(key))
    return OrError<std::string>(fallback);
  return f.getString(key);
}

OrError<uint64_t> u32Or(const GgufFile &f, const char *key, uint64_t fallback) {
  if (!f.hasKey(key))
    return OrError<uint64_t>(fallback);
  OrError<uint32_t> v = f.getU32(key);
  if (!v)
    return OrError<uint64_t>::failure(v.error);
  return OrError<uint64_t>(*v);
}

} // namespace

OrError<std::string> describePayload(const GgufFile &f) {
  using R = OrError<std::string>;
  OrError<TokenizerVocab> vocab = readGgufVocab(f);
  if (!vocab)
    return R::failure(vocab.error);
  OrError<ModelConfig> config = readGgufConfig(f, *vocab);
  if (!config)
    return R::failure(config.error);
  const ModelConfig &c = *config;
  OrError<std::string> name = stringOr(f, "general.name", "(unnamed)");
  OrError<std::string> version = stringOr(f, TERN_ABI_KEY_COMPILER, "unknown");
  OrError<std::string> command = stringOr(f, TERN_ABI_KEY_COMMAND, "unknown");
  OrError<std::string> target = stringOr(f, TERN_ABI_KEY_TARGET, "unknown");
  OrError<std::string> cpu = stringOr(f, TERN_ABI_KEY_CPU, "unknown");
  OrError<std::string> kernels = stringOr(f, TERN_ABI_KEY_KERNELS, "unknown");
  OrError<std::string> head = stringOr(f, TERN_ABI_KEY_HEAD, "native");
  OrError<uint64_t> context = u32Or(f, TERN_ABI_KEY_CONTEXT, 0);
  OrError<uint64_t> prefill = u32Or(f, TERN_ABI_KEY_PREFILL_ROWS, 0);
  OrError<uint64_t> threads = u32Or(f, TERN_ABI_KEY_THREADS, 0);
  OrError<uint64_t> batch = u32Or(f, TERN_ABI_KEY_BATCH_ROWS, 0);
  for (const std::string *e :
       {&name.error, &version.error, &command.error, &target.error,
        &cpu.error, &kernels.error, &head.error, &context.error,
        &prefill.error, &threads.error, &batch.error})
    if (!e->empty())
      return R::failure(*e);
  const GgufTensorInfo *w = f.findTensor(TERN_ABI_WEIGHTS_TENSOR);
  std::ostringstream os;
  os << "model:         " << *name << " (" << c.numLayers << " layers, hidden "
     << c.hiddenSize << ", vocabulary " << c.vocabSize << ", "
     << (vocab->tokens.empty() ? "no tokenizer" : "with its tokenizer")
     << ")\n"
     << "compiled by:   Tern " << *version << "\n"
     << "command:       " << *command << "\n"
     << "target:        " << *target << " (cpu " << *cpu << ")\n"
     << "kernels:       " << *kernels << "\n"
     << "head:          " << *head << "\n"
     << "context:       " << *context << " tokens\n"
     << "prefill rows:  "
     << (*prefill >= 2 ? std::to_string(*prefill) + " tokens per call"
                       : std::string("none (decode only)"))
     << "\n"
     << "batched decode: ";
  if (*batch >= 2) {
    for (uint64_t b = 2; b <= *batch; b *= 2)
      os << (b > 2 ? ", " : "") << b;
    os << " streams per step (serve -np)\n";
  } else {
    os << "none (serve decodes one stream per step)\n";
  }
  os << "threads:       "
     << (*threads ? std::to_string(*threads) : std::string("all hardware threads"))
     << " (-t overrides)\n"
     << "weights:       "
     << (w && w->byteSize ? std::to_string(*w->byteSize) : std::string("?"))
     << " bytes\n";
  return R(os.str());
}

} // namespace tern
