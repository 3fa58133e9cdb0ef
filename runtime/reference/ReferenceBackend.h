//===- ReferenceBackend.h - `tern run`'s backend --------------------------===//
//
// Loads a model file (any format loadModel reads) with its tokenizer and
// instantiates the reference forward pass for the run command line.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_REFERENCE_REFERENCEBACKEND_H
#define TERN_RUNTIME_REFERENCE_REFERENCEBACKEND_H

#include "runtime/generate/RunCli.h"

#include <memory>

namespace tern {

/// Loads `options.model`. A model without a tokenizer vocabulary is fine
/// (--tokens still works); a vocabulary that does not build a tokenizer is
/// an error.
OrError<std::unique_ptr<RunBackend>>
loadReferenceBackend(const RunOptions &options);

} // namespace tern

#endif // TERN_RUNTIME_REFERENCE_REFERENCEBACKEND_H
