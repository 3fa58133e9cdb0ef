//===- Pipelines.h - Tern pass pipelines ------------------------*- C++ -*-===//
//
// Every pipeline Tern runs is assembled here, and only here, so that
// `tern-opt --<pipeline>` and the `tern` driver run exactly the same passes.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_PIPELINES_PIPELINES_H
#define TERN_COMPILER_PIPELINES_PIPELINES_H

namespace mlir {
class OpPassManager;
namespace tern {

/// The reference lowering: tern -> linalg on tensors -> bufferized loops ->
/// LLVM dialect, ready for mlir-runner or translation to LLVM IR. Slow by
/// design; the semantic oracle for the fast pipelines.
void buildReferencePipeline(OpPassManager &pm);

/// Registers the pipelines with the pass registry (`--tern-reference-pipeline`).
void registerTernPipelines();

} // namespace tern
} // namespace mlir

#endif // TERN_COMPILER_PIPELINES_PIPELINES_H
