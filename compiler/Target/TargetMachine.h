//===- TargetMachine.h - LLVM code generation for a Target ------*- C++ -*-===//
//
// The one place that turns a Target into LLVM's code generation settings:
// the TargetMachine (CPU, features as Target::codegenFeatures gives them,
// PIC, -O3 code generation) and LLVM's O2 pipeline run with that target's
// cost models, every function carrying its target-cpu and target-features.
// `tern compile` (compiler/Driver/Backend.h) and the kernel JIT that
// `tern tune` and the kernel benchmarks time (compiler/Tuning/KernelJit.h)
// both use it, so a kernel is timed as the executable's code.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_TARGET_TARGETMACHINE_H
#define TERN_COMPILER_TARGET_TARGETMACHINE_H

#include "compiler/Target/Target.h"

#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Target/TargetMachine.h"

#include <functional>
#include <memory>

namespace mlir::tern {

/// A TargetMachine for `target` (PIC, -O3 code generation).
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const Target &target);

/// Gives every defined function of `ir` the target's CPU and features and
/// runs LLVM's O2 pipeline with `tm`'s cost models.
void optimizeForTarget(llvm::Module &ir, llvm::TargetMachine &tm,
                       const Target &target);

/// The same as a transformer for MLIR's ExecutionEngine (which JIT-compiles
/// for this machine): sets the data layout and optimizes for `target`. The
/// function owns its TargetMachine.
llvm::Expected<std::function<llvm::Error(llvm::Module *)>>
jitOptimizer(const Target &target);

} // namespace mlir::tern

#endif // TERN_COMPILER_TARGET_TARGETMACHINE_H
