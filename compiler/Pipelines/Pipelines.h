//===- Pipelines.h - Tern pass pipelines ------------------------*- C++ -*-===//
//
// Every pipeline Tern runs is assembled here, and only here, so that
// `tern-opt --<pipeline>` and the `tern` driver run exactly the same passes.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_PIPELINES_PIPELINES_H
#define TERN_COMPILER_PIPELINES_PIPELINES_H

#include <cstdint>
#include <string>

namespace mlir {
class OpPassManager;
namespace tern {

/// The reference lowering: tern -> linalg on tensors -> bufferized loops ->
/// LLVM dialect, ready for mlir-runner or translation to LLVM IR. Slow by
/// design; the semantic oracle for the fast pipelines.
void buildReferencePipeline(OpPassManager &pm);

/// Which generated kernel families a compile may use.
struct KernelOptions {
  /// Generated kernels for i2-packed matmuls (convert-tern-to-kernels):
  /// "avx2", "vnni", "vnni512", "neon-dotprod", "sve", or "" for the reference
  /// lowering. Matmuls carrying their own tern.kernel_config use that.
  std::string family;
  /// The default tile (rows x columns) of the generated kernels.
  int64_t tileM = 1, tileN = 1;
  /// Run tern.parallel calls on the runtime's thread pool
  /// (convert-parallel-to-runtime); without it they run serially, which is
  /// what mlir-runner tests need.
  bool runtimeThreads = false;
};

/// The compile pipeline: decompose, target kernels for the matmuls they
/// cover (see KernelOptions), then the reference lowering for everything
/// else, down to the LLVM dialect.
void buildCompilePipeline(OpPassManager &pm, const KernelOptions &kernels);

/// Registers the pipelines with the pass registry (`--tern-reference-pipeline`,
/// `--tern-compile-pipeline="kernels=avx2 tile-m=1 tile-n=4"`).
void registerTernPipelines();

} // namespace tern
} // namespace mlir

#endif // TERN_COMPILER_PIPELINES_PIPELINES_H
