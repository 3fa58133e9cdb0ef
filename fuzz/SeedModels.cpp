//===- SeedModels.cpp - What the fuzzers start from -----------------------===//

#include "fuzz/SeedModels.h"

#include "runtime/compiled/PayloadCheck.h"
#include "runtime/compiled/tern_abi.h"
#include "runtime/model/GgufWriter.h"
#include "runtime/support/Digest.h"
#include "runtime/synth/Synth.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <fstream>

namespace tern::fuzz {

namespace {
constexpr int64_t kBlobBytes = 16 << 10;
constexpr int64_t kContext = 64, kPrefillRows = 8;

std::vector<uint8_t> blob() {
  std::vector<uint8_t> b(kBlobBytes);
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = static_cast<uint8_t>(i * 2654435761u >> 11);
  return b;
}

std::string base64(const std::string &bytes) {
  static const char *abc =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = uint8_t(bytes[i]) << 16 | uint8_t(bytes[i + 1]) << 8 |
                       uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6)
      out += abc[v >> s & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size())
      v |= uint8_t(bytes[i + 1]) << 8;
    out += abc[v >> 18 & 63];
    out += abc[v >> 12 & 63];
    out += i + 1 < bytes.size() ? abc[v >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

bool writeBytes(const std::string &path, const void *data, size_t size) {
  std::ofstream f(path, std::ios::binary);
  f.write(static_cast<const char *>(data), static_cast<std::streamsize>(size));
  return static_cast<bool>(f);
}
} // namespace

ModelConfig seedConfig() {
  ModelConfig c;
  c.architecture = "bitnet-b1.58";
  c.hiddenSize = 256;
  c.intermediateSize = 256;
  c.numLayers = 1;
  c.numHeads = 4;
  c.numKvHeads = 2;
  c.headDim = 64;
  c.vocabSize = 300;
  c.maxPositions = kContext;
  c.ropeTheta = 500000.0f;
  return c;
}

Tokenizer seedTokenizer() {
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b)
    tokens.push_back(std::string(1, static_cast<char>(b)));
  for (const char *t : {"he", "ll", "llo", "hello", " w", "or", "orld",
                        " world", "in", "ing", " th", " the"})
    tokens.push_back(t);
  std::vector<bool> special(tokens.size(), false);
  for (const char *s : {"<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"}) {
    tokens.push_back(s);
    special.push_back(true);
  }
  TokenizerOrError t = Tokenizer::fromVocab(tokens, special, "seed vocab");
  if (!t)
    std::abort();
  return *t.tokenizer;
}

std::string seedTiktoken() {
  const Tokenizer t = seedTokenizer();
  std::string text;
  for (TokenId id = 0; id < t.vocabSize(); ++id)
    if (!t.isSpecial(id))
      text += base64(std::string(t.tokenBytes(id))) + " " +
              std::to_string(id) + "\n";
  return text;
}

std::vector<int64_t> seedPayloadShape() {
  const std::vector<uint8_t> b = blob();
  PayloadFacts f;
  f.config = seedConfig();
  f.context = kContext;
  f.prefillRows = kPrefillRows;
  f.headFormat = 0;
  f.weightsBytes = kBlobBytes;
  f.digest = xxh64(b.data(), b.size());
  f.sampleDigest = sampledDigest(b.data(), b.size());
  return shapeOf(f);
}

std::vector<uint8_t> seedExecutable() {
  const std::vector<int64_t> shape = seedPayloadShape();
  const Tokenizer tok = seedTokenizer();
  TokenizerVocab vocab;
  for (TokenId id = 0; id < tok.vocabSize(); ++id) {
    vocab.tokens.push_back(tok.isSpecial(id)
                               ? std::string(tok.tokenBytes(id))
                               : bytesToGpt2Unicode(tok.tokenBytes(id)));
    vocab.isSpecial.push_back(tok.isSpecial(id));
  }
  ModelConfig c = seedConfig();
  c.bosId = tok.bosId();
  c.eosId = tok.eosId();
  c.eotId = tok.eotId();
  GgufWriter w;
  w.setAlignment(64);
  addGgufConfig(w, c);
  w.addUint32(TERN_ABI_KEY_VERSION, TERN_ABI_VERSION);
  w.addUint32(TERN_ABI_KEY_CONTEXT, kContext);
  w.addString(TERN_ABI_KEY_TARGET, "native");
  w.addUint32(TERN_ABI_KEY_PREFILL_ROWS, kPrefillRows);
  w.addString(TERN_ABI_KEY_HEAD, "native");
  w.addUint64(TERN_ABI_KEY_BYTES_PER_TOKEN, kBlobBytes);
  w.addUint64(TERN_ABI_KEY_WEIGHTS_DIGEST,
              static_cast<uint64_t>(shape[TERN_SHAPE_WEIGHTS_DIGEST]));
  w.addUint64(TERN_ABI_KEY_WEIGHTS_SAMPLE_DIGEST,
              static_cast<uint64_t>(shape[TERN_SHAPE_WEIGHTS_SAMPLE_DIGEST]));
  addGgufVocab(w, vocab, c, /*withMerges=*/false);
  w.addTensor(TERN_ABI_WEIGHTS_TENSOR, {kBlobBytes}, GgmlType::I8, blob());
  const std::vector<uint8_t> payload = w.serialize();
  std::vector<uint8_t> exe(4096, 0);
  std::memcpy(exe.data(), "\x7f" "ELF", 4);
  exe.insert(exe.end(), payload.begin(), payload.end());
  tern_payload_trailer t;
  t.offset = 4096;
  t.size = payload.size();
  std::memcpy(t.magic, TERN_ABI_TRAILER_MAGIC, 8);
  const auto *tb = reinterpret_cast<const uint8_t *>(&t);
  exe.insert(exe.end(), tb, tb + sizeof t);
  return exe;
}

std::string writeSeeds(const std::string &dir) {
  auto folder = [&](const std::string &name) {
    const std::string p = dir + "/" + name;
    ::mkdir(dir.c_str(), 0755);
    ::mkdir(p.c_str(), 0755);
    return p;
  };
  // Models in each format, through tern synth's writer.
  SynthOptions o;
  o.config = seedConfig();
  o.tokenizer = seedTokenizer();
  o.threads = 1;
  const std::string gguf = folder("gguf"), st = folder("safetensors"),
                    cfg = folder("hf_config"), tok = folder("tokenizer_files"),
                    pay = folder("payload");
  for (ModelFormat f : {ModelFormat::GgufI2S, ModelFormat::GgufTQ1,
                        ModelFormat::GgufTQ2}) {
    o.format = f;
    if (std::string e = writeSyntheticModel(
            o, gguf + "/seed-" + modelFormatName(f) + ".gguf");
        !e.empty())
      return e;
  }
  o.format = ModelFormat::HfPacked;
  const std::string hf = dir + "/_hf-model"; // not a target's folder
  if (std::string e = writeSyntheticModel(o, hf); !e.empty())
    return e;
  auto copy = [](const std::string &from, const std::string &to,
                 const std::string &prefix = "") {
    std::ifstream in(from, std::ios::binary);
    std::ofstream out(to, std::ios::binary);
    out << prefix << in.rdbuf();
    return static_cast<bool>(out);
  };
  // The tokenizer file fuzzer's first byte picks the format (0 tiktoken,
  // 1 tokenizer.json, 2 GGUF).
  const std::string tiktoken = seedTiktoken();
  bool ok = copy(hf + "/model.safetensors", st + "/seed.safetensors") &&
            copy(hf + "/config.json", cfg + "/seed-config.json") &&
            copy(hf + "/tokenizer.json", tok + "/seed-tokenizer-json",
                 std::string(1, '\x01')) &&
            copy(gguf + "/seed-gguf-i2s.gguf", tok + "/seed-gguf-vocab",
                 std::string(1, '\x02')) &&
            writeBytes(tok + "/seed-tiktoken",
                       (std::string(1, '\0') + tiktoken).data(),
                       tiktoken.size() + 1);
  const std::string enc = folder("encode");
  const char *const texts[] = {
      "Hello world", "<|begin_of_text|>User: Hi<|eot_id|>Assistant: ",
      "  spaces\tand\nnewlines 12345 don't", "\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
      "\xFF\xFE broken \xC3"};
  for (size_t i = 0; i < sizeof texts / sizeof *texts; ++i)
    ok = ok && writeBytes(enc + "/seed-" + std::to_string(i), texts[i],
                          std::strlen(texts[i]));
  const std::vector<uint8_t> exe = seedExecutable();
  ok = ok && writeBytes(pay + "/seed-executable", exe.data(), exe.size());
  return ok ? "" : dir + ": cannot write the seeds";
}

} // namespace tern::fuzz
