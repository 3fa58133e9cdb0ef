//===- PayloadCheck.cpp - A payload against the code it was appended to ---===//

#include "runtime/compiled/PayloadCheck.h"

#include "runtime/compiled/tern_abi.h"
#include "runtime/support/Digest.h"

#include <cinttypes>
#include <cstdio>

namespace tern {

namespace {
std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}
} // namespace

std::vector<int64_t> shapeOf(const PayloadFacts &f) {
  const ModelConfig &c = f.config;
  std::vector<int64_t> s(TERN_SHAPE_FIELDS, 0);
  s[TERN_SHAPE_ABI_VERSION] = TERN_ABI_VERSION;
  s[TERN_SHAPE_LAYERS] = c.numLayers;
  s[TERN_SHAPE_HIDDEN] = c.hiddenSize;
  s[TERN_SHAPE_FFN] = c.intermediateSize;
  s[TERN_SHAPE_HEADS] = c.numHeads;
  s[TERN_SHAPE_KV_HEADS] = c.numKvHeads;
  s[TERN_SHAPE_HEAD_DIM] = c.headDim;
  s[TERN_SHAPE_VOCAB] = c.vocabSize;
  s[TERN_SHAPE_CONTEXT] = f.context;
  s[TERN_SHAPE_PREFILL_ROWS] = f.prefillRows;
  s[TERN_SHAPE_HEAD_FORMAT] = f.headFormat;
  s[TERN_SHAPE_WEIGHTS_BYTES] = static_cast<int64_t>(f.weightsBytes);
  s[TERN_SHAPE_WEIGHTS_DIGEST] = static_cast<int64_t>(f.digest);
  s[TERN_SHAPE_WEIGHTS_SAMPLE_DIGEST] = static_cast<int64_t>(f.sampleDigest);
  return s;
}

std::string readPayloadDigests(const GgufFile &payload, PayloadFacts &facts) {
  for (auto [key, out] :
       {std::pair<const char *, uint64_t *>{TERN_ABI_KEY_WEIGHTS_DIGEST,
                                            &facts.digest},
        {TERN_ABI_KEY_WEIGHTS_SAMPLE_DIGEST, &facts.sampleDigest}}) {
    OrError<uint64_t> v = payload.getU64(key);
    if (!v)
      return v.error;
    *out = *v;
  }
  return "";
}

std::string checkPayload(const std::string &where, const int64_t *shape,
                         const PayloadFacts &f, bool verifyAll) {
  const ModelConfig &c = f.config;
  const struct {
    const char *what;
    int64_t payload;
    int field;
  } fields[] = {
      {"block_count", c.numLayers, TERN_SHAPE_LAYERS},
      {"embedding_length", c.hiddenSize, TERN_SHAPE_HIDDEN},
      {"feed_forward_length", c.intermediateSize, TERN_SHAPE_FFN},
      {"attention.head_count", c.numHeads, TERN_SHAPE_HEADS},
      {"attention.head_count_kv", c.numKvHeads, TERN_SHAPE_KV_HEADS},
      {"attention.key_length", c.headDim, TERN_SHAPE_HEAD_DIM},
      {"vocab_size", c.vocabSize, TERN_SHAPE_VOCAB},
      {TERN_ABI_KEY_CONTEXT, f.context, TERN_SHAPE_CONTEXT},
      {TERN_ABI_KEY_PREFILL_ROWS, f.prefillRows, TERN_SHAPE_PREFILL_ROWS},
      {"the head format (" TERN_ABI_KEY_HEAD ")", f.headFormat,
       TERN_SHAPE_HEAD_FORMAT},
      {"the size of " TERN_ABI_WEIGHTS_TENSOR,
       static_cast<int64_t>(f.weightsBytes), TERN_SHAPE_WEIGHTS_BYTES},
  };
  const std::string fix =
      " (a modified or swapped payload: compile the model again)";
  if (shape[TERN_SHAPE_ABI_VERSION] != TERN_ABI_VERSION)
    return where + ": the code was generated for payload ABI " +
           std::to_string(shape[TERN_SHAPE_ABI_VERSION]) +
           ", this runtime reads " + std::to_string(TERN_ABI_VERSION);
  for (const auto &x : fields)
    if (x.payload != shape[x.field])
      return where + ": the payload's " + x.what + " is " +
             std::to_string(x.payload) + ", the code was compiled for " +
             std::to_string(shape[x.field]) + fix;
  const auto codeDigest = static_cast<uint64_t>(shape[TERN_SHAPE_WEIGHTS_DIGEST]);
  const auto codeSample =
      static_cast<uint64_t>(shape[TERN_SHAPE_WEIGHTS_SAMPLE_DIGEST]);
  if (f.digest != codeDigest || f.sampleDigest != codeSample)
    return where + ": the payload records the checksums of other weights "
                   "than the code was compiled with" + fix;
  const uint64_t sample = sampledDigest(f.weights, f.weightsBytes);
  if (sample != codeSample)
    return where + ": the weights are corrupt (sampled checksum " +
           hex(sample) + ", expected " + hex(codeSample) + ")" + fix;
  if (verifyAll) {
    const uint64_t all = xxh64(f.weights, f.weightsBytes);
    if (all != codeDigest)
      return where + ": the weights are corrupt (checksum " + hex(all) +
             ", expected " + hex(codeDigest) + ")" + fix;
  }
  return "";
}

} // namespace tern
