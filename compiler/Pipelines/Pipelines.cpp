//===- Pipelines.cpp - Tern pass pipelines --------------------------------===//

#include "compiler/Pipelines/Pipelines.h"

#include "compiler/Conversion/Passes.h"
#include "dialects/Tern/Transforms/Passes.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::tern::buildReferencePipeline(OpPassManager &pm) {
  buildCompilePipeline(pm, KernelOptions{});
}

void mlir::tern::buildCompilePipeline(OpPassManager &pm,
                                      const KernelOptions &kernels) {
  pm.addPass(createTernDecomposeBitLinear());
  if (!kernels.family.empty()) {
    ConvertTernToKernelsOptions o;
    o.family = kernels.family;
    pm.addPass(createConvertTernToKernels(o));
  }
  pm.addPass(createConvertTernToLinalg());
  pm.addPass(createCanonicalizerPass());

  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  if (!kernels.family.empty())
    pm.addPass(createGenerateTernKernels());
  if (kernels.runtimeThreads)
    pm.addPass(createConvertParallelToRuntime());

  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::tern::registerTernPipelines() {
  PassPipelineRegistration<>(
      "tern-reference-pipeline",
      "Lower tern IR through the reference lowering to the LLVM dialect",
      [](OpPassManager &pm) { buildReferencePipeline(pm); });
  PassPipelineRegistration<>(
      "tern-avx2-pipeline",
      "Lower tern IR to the LLVM dialect with AVX2 matmul kernels",
      [](OpPassManager &pm) {
        KernelOptions k;
        k.family = "avx2";
        buildCompilePipeline(pm, k);
      });
  PassPipelineRegistration<>(
      "tern-neon-pipeline",
      "Lower tern IR to the LLVM dialect with NEON dotprod matmul kernels",
      [](OpPassManager &pm) {
        KernelOptions k;
        k.family = "neon-dotprod";
        buildCompilePipeline(pm, k);
      });
}
