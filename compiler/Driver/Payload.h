//===- Payload.h - The weights an executable carries ------------*- C++ -*-===//
//
// The payload is a GGUF file of metadata, tokenizer and the weights blob,
// appended to the executable or written beside it. The blob is packed once
// in memory so that its checksums are known before code generation: the
// generated code records them with the shapes it was compiled for
// (tern_abi.h's tern_compiled_shape), and the runtime refuses a payload
// that disagrees.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_DRIVER_PAYLOAD_H
#define TERN_COMPILER_DRIVER_PAYLOAD_H

#include "compiler/Import/WeightBlob.h"

#include "runtime/model/HeadFormat.h"

#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::tern {

/// The weights blob, packed, and its checksums (runtime/support/Digest.h).
struct PackedWeights {
  std::vector<uint8_t> bytes;
  uint64_t bytesPerToken = 0;
  uint64_t digest = 0, sampleDigest = 0;
};

/// Fills every entry of `blob`; errors name a weight with an invalid
/// ternary code.
llvm::Expected<PackedWeights> packWeights(const WeightBlob &blob,
                                          const std::string &modelPath);

/// What the payload records besides the model and its tokenizer.
struct PayloadInfo {
  std::string target;
  std::string cpu;         ///< LLVM CPU name and explicit features
  std::string kernels;     ///< "family packing/block x count, ..."
  /// The chosen families' process state (KernelFamily::osState), "a,b".
  std::string cpuState;
  std::string commandLine; ///< the `tern compile` that made it
  int64_t contextSize = 0, prefillRows = 0, threads = 0, batchRows = 0;
  ::tern::HeadFormat head = ::tern::HeadFormat::Native;
};

/// tern_compiled_shape's values for a model compiled with `info`.
std::vector<int64_t> compiledShape(const ::tern::ModelConfig &config,
                                   const PayloadInfo &info,
                                   const PackedWeights &weights);

/// Defines tern_compiled_shape in `ir` (a constant array of i64).
void defineCompiledShape(llvm::Module &ir, const std::vector<int64_t> &shape);

/// Writes the payload to `path`; the packed bytes are moved out.
llvm::Error writePayload(const std::string &path,
                         const ::tern::ModelDescription &m,
                         PackedWeights &weights, const PayloadInfo &info);

/// Appends `payload` to `exe`, page-aligned, followed by the trailer.
llvm::Error appendPayload(const std::string &exe, const std::string &payload);

} // namespace mlir::tern

#endif // TERN_COMPILER_DRIVER_PAYLOAD_H
