//===- WeightBlob.h - The weights blob of a planned module ------*- C++ -*-===//
//
// After tern-plan-weights every `tern.weight` of the module has its offset
// and its final type (ternary matrices in their packed layout). This file
// turns those ops into the executable's weights blob: for each distinct
// weight, where it goes, how many bytes, and how to produce them from the
// model — a model tensor as it is (norms, embeddings), the rows of one or
// several ternary weights (`a+b+c`) repacked into the layout, or a
// quantized copy of the head (headCodesName / headScalesName). Bytes are
// produced when the blob is written, one weight at a time.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_IMPORT_WEIGHTBLOB_H
#define TERN_COMPILER_IMPORT_WEIGHTBLOB_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include "runtime/model/HeadFormat.h"
#include "runtime/model/Model.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mlir::tern {

/// The parameter names the importer gives a quantized head's codes and
/// scales (`token_embd.weight.q4`, `token_embd.weight.q4.scales`).
std::string headCodesName(const ::tern::DenseTensor &t, ::tern::HeadFormat f);
std::string headScalesName(const ::tern::DenseTensor &t, ::tern::HeadFormat f);
/// A screened head's bound per row [V, 2] f32 (screenRowBound: perNorm,
/// perMax):
/// "<name>.screen_bounds" for screened, "<name>.q4.screen_bounds" for
/// screened-q4.
std::string headBoundsName(const ::tern::DenseTensor &t,
                           ::tern::HeadFormat screened);

/// One weight's place in the blob.
struct BlobEntry {
  std::string name;
  uint64_t offset = 0;
  uint64_t size = 0;
  /// Writes the weight's `size` bytes; false on data the layout cannot
  /// hold (a corrupt ternary code).
  std::function<bool(uint8_t *dst)> fill;
};

struct WeightBlob {
  std::vector<BlobEntry> entries;
  uint64_t size = 0;
  /// Bytes one decoded token reads: every weight the decode entry point
  /// uses, but those only looked up by tern.embedding (a row each).
  uint64_t bytesPerToken = 0;
};

/// The blob of a planned module; errors name a weight the model does not
/// have or whose type does not match it.
llvm::Expected<WeightBlob>
collectWeights(ModuleOp planned,
               std::shared_ptr<const ::tern::ModelDescription> model);

} // namespace mlir::tern

#endif // TERN_COMPILER_IMPORT_WEIGHTBLOB_H
