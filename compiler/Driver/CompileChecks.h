//===- CompileChecks.h - What tern compile refuses before it starts -------===//
//
// An executable must start: tern compile refuses options and models that
// would build one its runtime refuses (a tokenizer `tern run` rejects, a
// context the model or the payload cannot hold), and never writes over
// its own inputs.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_DRIVER_COMPILECHECKS_H
#define TERN_COMPILER_DRIVER_COMPILECHECKS_H

#include "compiler/Driver/CompileModel.h"

#include "llvm/Support/Error.h"

namespace tern {
struct ModelDescription;
} // namespace tern

namespace mlir::tern {

/// Refuses an output (or the OUT.weights / OUT.o files written beside it)
/// that is the model, one of a model directory's files, or the tuning
/// database.
llvm::Error checkOutputIsNotAnInput(const CompileOptions &o);

/// Checks --ctx and --prefill against the model (1 <= ctx <= its context
/// length; 0 <= prefill <= ctx) and builds the tokenizer as the executable
/// will. Warns (stderr) when the KV cache would not fit in this machine's
/// memory: the executable would refuse to start here.
llvm::Error checkAgainstModel(const CompileOptions &o,
                              const ::tern::ModelDescription &model);

} // namespace mlir::tern

#endif // TERN_COMPILER_DRIVER_COMPILECHECKS_H
