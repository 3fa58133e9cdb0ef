//===- CompiledModel.h - The runtime half of a compiled executable --------===//
//
// An executable built by `tern compile` is generated code (tern_abi.h's
// functions) plus this library: it finds the payload (the weights blob and
// the model's metadata, a GGUF file appended to the executable or written
// beside it as OUT.weights), holds its weights (HeldWeights.h), and runs the same `run`
// command line as `tern run` (runtime/generate/RunCli.h) over a
// LanguageModel whose forward pass is the generated code.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_COMPILED_COMPILEDMODEL_H
#define TERN_RUNTIME_COMPILED_COMPILEDMODEL_H

#include "runtime/compiled/PayloadFile.h"
#include "runtime/generate/RunCli.h"
#include "runtime/model/Gguf.h"
#include "runtime/model/HeldWeights.h"
#include "runtime/model/OrError.h"

#include <memory>
#include <string>

namespace tern {


/// The payload of `exePath` checked against `shape` (the generated code's
/// tern_compiled_shape; PayloadCheck.h; every byte's checksum with
/// `verifyAll`), as a backend for runMain, its weights held as `how`.
OrError<std::unique_ptr<RunBackend>>
loadCompiledBackend(const std::string &exePath, bool verifyAll,
                    const int64_t *shape,
                    WeightHolding how = kDefaultWeightHolding);

/// The entry point of compiled executables (their main calls it).
int compiledMain(int argc, char **argv);

} // namespace tern

#endif // TERN_RUNTIME_COMPILED_COMPILEDMODEL_H
