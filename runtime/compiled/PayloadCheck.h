//===- PayloadCheck.h - A payload against the code it was appended to -----===//
//
// Generated code has fixed shapes and weight offsets: a payload with other
// dimensions, another context or prefill size, another head format or
// other weights would be read out of bounds or computed wrongly. An
// executable checks its payload against tern_compiled_shape (tern_abi.h)
// before anything runs, and the weights' sampled checksum (256 KiB read) at
// every start; --verify checks every byte.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_COMPILED_PAYLOADCHECK_H
#define TERN_RUNTIME_COMPILED_PAYLOADCHECK_H

#include "runtime/model/Gguf.h"
#include "runtime/model/Model.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tern {

/// What the payload says about itself.
struct PayloadFacts {
  ModelConfig config;
  int64_t context = 0, prefillRows = 0;
  int64_t headFormat = 0;
  const uint8_t *weights = nullptr;
  uint64_t weightsBytes = 0;
  uint64_t digest = 0, sampleDigest = 0;
};

/// The tern_compiled_shape (TERN_SHAPE_FIELDS values) of code generated
/// for a payload with these facts: what tern compile defines, and what an
/// executable checks against (`weights` is not read).
std::vector<int64_t> shapeOf(const PayloadFacts &facts);

/// Reads the tern.* keys PayloadFacts needs (config and weights are set by
/// the caller). Errors name the key.
std::string readPayloadDigests(const GgufFile &payload, PayloadFacts &facts);

/// "" when `facts` agree with `shape` (TERN_SHAPE_FIELDS values) and the
/// weights' sampled checksum (every byte's, with `verifyAll`) matches;
/// otherwise a message naming the first disagreement.
std::string checkPayload(const std::string &where, const int64_t *shape,
                         const PayloadFacts &facts, bool verifyAll);

} // namespace tern

#endif // TERN_RUNTIME_COMPILED_PAYLOADCHECK_H
