//===- Pipelines.cpp - Tern pass pipelines --------------------------------===//

#include "compiler/Pipelines/Pipelines.h"

#include "compiler/Conversion/Passes.h"
#include "dialects/Tern/Transforms/Passes.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {
struct CompilePipelineOptions
    : public PassPipelineOptions<CompilePipelineOptions> {
  Option<std::string> kernels{
      *this, "kernels",
      llvm::cl::desc("Kernel family: avx2, vnni, vnni512, neon-dotprod, sve, "
                     "lut, lut512, neon-lut, or empty for the reference "
                     "lowering"),
      llvm::cl::init("")};
  Option<int64_t> tileM{*this, "tile-m",
                        llvm::cl::desc("Default kernel tile rows"),
                        llvm::cl::init(1)};
  Option<int64_t> tileN{*this, "tile-n",
                        llvm::cl::desc("Default kernel tile columns"),
                        llvm::cl::init(1)};
};
} // namespace

void mlir::tern::buildReferencePipeline(OpPassManager &pm) {
  buildCompilePipeline(pm, KernelOptions{});
}

void mlir::tern::buildCompilePipeline(OpPassManager &pm,
                                      const KernelOptions &kernels) {
  pm.addPass(createTernDecomposeBitLinear());
  if (!kernels.family.empty()) {
    ConvertTernToKernelsOptions o;
    o.family = kernels.family;
    o.tileM = kernels.tileM;
    o.tileN = kernels.tileN;
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
  // Subviews (the parts of a fused matmul's result) as explicit strides and
  // offsets (affine.apply, lowered next).
  pm.addPass(memref::createExpandStridedMetadataPass());
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
  PassPipelineRegistration<CompilePipelineOptions>(
      "tern-compile-pipeline",
      "Lower tern IR to the LLVM dialect as tern compile does, with the "
      "matmul kernels of a family (kernels=avx2|vnni|vnni512|neon-dotprod|sve|"
      "lut|lut512|neon-lut, "
      "tile-m=TM tile-n=TN)",
      [](OpPassManager &pm, const CompilePipelineOptions &o) {
        KernelOptions k;
        k.family = o.kernels;
        k.tileM = o.tileM;
        k.tileN = o.tileN;
        buildCompilePipeline(pm, k);
      });
}
