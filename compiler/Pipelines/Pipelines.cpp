//===- Pipelines.cpp - Tern pass pipelines --------------------------------===//

#include "compiler/Pipelines/Pipelines.h"

#include "compiler/Conversion/Passes.h"
#include "compiler/Transforms/Passes.h"
#include "dialects/Tern/Transforms/Passes.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::tern;

namespace {
struct SelectionPipelineOptions
    : public PassPipelineOptions<SelectionPipelineOptions> {
  Option<std::string> target{*this, "target",
                             llvm::cl::desc("The target (tern compile --target)"),
                             llvm::cl::init("native")};
  Option<std::string> tuningDb{*this, "tuning-db",
                               llvm::cl::desc("A tuning database (tern tune)"),
                               llvm::cl::init("")};
  Option<std::string> packing{
      *this, "packing",
      llvm::cl::desc("Store weights in this packing where the target reads it"),
      llvm::cl::init("")};
  Option<int64_t> prefetch{
      *this, "prefetch",
      llvm::cl::desc("Bytes ahead that decode kernels and the head prefetch "
                     "(negative: the target's default)"),
      llvm::cl::init(-1)};
  Option<int64_t> prefetchLocality{
      *this, "prefetch-locality",
      llvm::cl::desc("LLVM's locality hint of those prefetches, 0 to 3 "
                     "(negative: the target's default)"),
      llvm::cl::init(-1)};
  Option<int64_t> attentionStagedFrom{
      *this, "attention-staged-from",
      llvm::cl::desc("Attended positions from which decode attention runs in "
                     "three parallel stages (0: never)"),
      llvm::cl::init(kDefaultAttentionStagedFrom)};
  Option<int64_t> attentionValuePanel{
      *this, "attention-value-panel",
      llvm::cl::desc("Lanes per panel of the value cache, a multiple of 16 "
                     "(0: whole rows)"),
      llvm::cl::init(kDefaultValuePanel)};
  Option<bool> fuse{*this, "fuse-projections",
                    llvm::cl::desc("q/k/v and gate/up as one matmul each"),
                    llvm::cl::init(true)};
  Option<bool> fuseRope{
      *this, "fuse-rope-attention",
      llvm::cl::desc("Decode attention rotates its query and key and stores "
                     "the new cache rows in its parallel items"),
      llvm::cl::init(true)};
  SelectionOptions get() const {
    SelectionOptions o;
    o.target = target;
    o.tuningDb = tuningDb;
    o.packing = packing;
    o.prefetch = prefetch;
    o.prefetchLocality = prefetchLocality;
    o.attentionStagedFrom = attentionStagedFrom;
    o.attentionValuePanel = attentionValuePanel;
    o.fuseProjections = fuse;
    o.fuseRopeAttention = fuseRope;
    return o;
  }
};

/// The most bytes of a buffer the generated code keeps on the stack.
constexpr int64_t kStackBufferBytes = 64 * 1024;

/// Whether the buffer `alloc` makes goes on the stack: static, of at most
/// kStackBufferBytes, aligned to at least 64 bytes (the alignment the code
/// that reads it was given on the heap; an alloca keeps it), and not inside
/// a loop (an alloca there would grow the stack every iteration). A
/// decode step's buffers (a row of up to 13824 values) then cost no
/// malloc and free, whose lines the weight stream has evicted
/// (docs/performance.md, "Where the time goes").
bool isStackBuffer(Value alloc) {
  auto type = dyn_cast<MemRefType>(alloc.getType());
  auto op = alloc.getDefiningOp<memref::AllocOp>();
  if (!type || !op || !type.hasStaticShape() ||
      !type.getElementType().isIntOrFloat() ||
      op.getAlignment().value_or(0) < 64 ||
      op->getParentOfType<LoopLikeOpInterface>())
    return false;
  const int64_t bits =
      type.getNumElements() * type.getElementType().getIntOrFloatBitWidth();
  return bits <= 8 * kStackBufferBytes;
}
} // namespace

void mlir::tern::buildSelectionPipeline(OpPassManager &pm,
                                        const SelectionOptions &o) {
  if (o.fuseProjections)
    pm.addPass(createTernFuseProjections());
  if (o.fuseRopeAttention)
    pm.addPass(createTernFuseRopeAttention());
  TernSelectKernelsOptions select;
  select.target = o.target;
  select.tuningDb = o.tuningDb;
  select.packing = o.packing;
  select.prefetch = o.prefetch;
  select.prefetchLocality = o.prefetchLocality;
  select.attentionStagedFrom = o.attentionStagedFrom;
  select.attentionValuePanel = o.attentionValuePanel;
  pm.addPass(createTernSelectKernels(select));
  pm.addPass(createTernPlanWeights());
}

void mlir::tern::buildLoweringPipeline(OpPassManager &pm, bool runtimeThreads,
                                       bool rowPrologues) {
  pm.addPass(createTernDecomposeBitLinear());
  pm.addPass(createTernFuseNormQuantize());
  pm.addPass(createTernOutlineRowRegions());
  pm.addPass(createConvertTernToKernels());
  pm.addPass(createConvertTernNetworkToVector());
  pm.addPass(createConvertElementwiseToLinalgPass());
  pm.addPass(createConvertTernToLinalg());
  pm.addPass(createTernFuseElementwise());
  pm.addPass(createCanonicalizerPass());

  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addPass(createTernOutlineColumnEpilogues());
  pm.addNestedPass<func::FuncOp>(
      bufferization::createPromoteBuffersToStackPass(isStackBuffer));
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  pm.addPass(createGenerateTernKernels());
  if (runtimeThreads) {
    if (rowPrologues)
      pm.addPass(createTernOutlineRowPrologues());
    pm.addPass(createConvertParallelToRuntime());
  }

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

void mlir::tern::buildReferencePipeline(OpPassManager &pm) {
  buildLoweringPipeline(pm, /*runtimeThreads=*/false);
}

void mlir::tern::registerTernPipelines() {
  PassPipelineRegistration<>(
      "tern-reference-pipeline",
      "Lower tern IR through the reference lowering to the LLVM dialect",
      [](OpPassManager &pm) { buildReferencePipeline(pm); });
  PassPipelineRegistration<SelectionPipelineOptions>(
      "tern-selection-pipeline",
      "Fuse projections, choose layouts and kernels for a target, plan the "
      "weights blob, as tern compile does before lowering",
      [](OpPassManager &pm, const SelectionPipelineOptions &o) {
        buildSelectionPipeline(pm, o.get());
      });
  PassPipelineRegistration<SelectionPipelineOptions>(
      "tern-compile-pipeline",
      "The selection pipeline, then the lowering to the LLVM dialect, as "
      "tern compile does (tern.parallel calls run serially)",
      [](OpPassManager &pm, const SelectionPipelineOptions &o) {
        buildSelectionPipeline(pm, o.get());
        buildLoweringPipeline(pm, /*runtimeThreads=*/false);
      });
}
