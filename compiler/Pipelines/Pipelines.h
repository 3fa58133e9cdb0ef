//===- Pipelines.h - Tern pass pipelines ------------------------*- C++ -*-===//
//
// Every pipeline Tern runs is assembled here, and only here, so that
// `tern-opt --<pipeline>` and the `tern` driver run exactly the same passes:
//
//   selection (target-dependent decisions, visible in `tern compile
//   --emit mlir`):
//     tern-fuse-projections -> tern-select-kernels -> tern-plan-weights
//   lowering (everything to the LLVM dialect):
//     tern-decompose-bitlinear -> convert-tern-to-kernels ->
//     convert-tern-network-to-vector -> convert-tern-to-linalg ->
//     bufferization -> tern-generate-kernels ->
//     [convert-parallel-to-runtime] -> loops -> LLVM dialect
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_PIPELINES_PIPELINES_H
#define TERN_COMPILER_PIPELINES_PIPELINES_H

#include "compiler/Transforms/AttentionStaging.h"

#include <string>

namespace mlir {
class OpPassManager;
namespace tern {

/// The choices a compile makes before lowering.
struct SelectionOptions {
  /// tern-select-kernels' options: the target, a tuning database, a
  /// packing to store weights in where the target reads it.
  std::string target = "native";
  std::string tuningDb;
  std::string packing;
  /// Bytes ahead that decode kernels and the head prefetch (negative: the
  /// target's default).
  int64_t prefetch = -1;
  /// LLVM's locality hint of those prefetches (negative: the target's).
  int64_t prefetchLocality = -1;
  /// Attended positions from which decode attention runs in stages (0:
  /// never).
  int64_t attentionStagedFrom = kDefaultAttentionStagedFrom;
  /// Lanes per panel of the value cache (0: whole rows).
  int64_t attentionValuePanel = kDefaultValuePanel;
  /// q/k/v and gate/up as one matmul each (tern-fuse-projections).
  bool fuseProjections = true;
  /// Decode attention rotates its query and key (tern-fuse-rope-attention).
  bool fuseRopeAttention = true;
};

/// Fuse, select kernels and layouts, plan the weights blob.
void buildSelectionPipeline(OpPassManager &pm, const SelectionOptions &o);

/// Lowers tern IR to the LLVM dialect: matmuls with a `#tern.kernel` to
/// generated kernels, everything else through the reference lowering.
/// `runtimeThreads`: tern.parallel calls on the runtime's thread pool
/// (convert-parallel-to-runtime); without it they run serially, which is
/// what mlir-runner tests need. `rowPrologues` (with runtimeThreads):
/// decode's normalized, quantized rows computed on each thread of the
/// matmul that reads them (tern-outline-row-prologues).
void buildLoweringPipeline(OpPassManager &pm, bool runtimeThreads,
                           bool rowPrologues = true);

/// The reference lowering: the lowering pipeline on IR without kernel
/// choices (tern -> linalg on tensors -> bufferized loops -> LLVM
/// dialect), ready for mlir-runner or translation to LLVM IR. Slow by
/// design; the semantic oracle for the fast pipelines.
void buildReferencePipeline(OpPassManager &pm);

/// Registers the pipelines with the pass registry
/// (`--tern-reference-pipeline`, `--tern-selection-pipeline="target=..."`,
/// `--tern-compile-pipeline="target=znver4 tuning-db=FILE"`).
void registerTernPipelines();

} // namespace tern
} // namespace mlir

#endif // TERN_COMPILER_PIPELINES_PIPELINES_H
