//===- Backend.h - LLVM IR to an executable ---------------------*- C++ -*-===//
//
// The stages of `tern compile` after the MLIR pipelines: translation to
// LLVM IR, LLVM's O2 pipeline for the target CPU, machine code, linking
// with the target's runtime libraries (the weights: Payload.h).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_DRIVER_BACKEND_H
#define TERN_COMPILER_DRIVER_BACKEND_H

#include "compiler/Target/Target.h"
#include "compiler/Target/TargetMachine.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>

namespace mlir::tern {

/// The LLVM-dialect module as LLVM IR for `tm`, optimized at O2.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateAndOptimize(ModuleOp module, llvm::LLVMContext &ctx,
                     llvm::TargetMachine &tm, const Target &target);

/// Writes `ir` as an object file or assembly.
llvm::Error emitMachineCode(llvm::Module &ir, llvm::TargetMachine &tm,
                            const std::string &path, bool assembly);

/// Links `object` with the runtime libraries in `runtimeDir` into the
/// executable `output` (static for a cross target).
llvm::Error linkExecutable(const std::string &object,
                           const std::string &output,
                           const std::string &runtimeDir,
                           const Target &target);

} // namespace mlir::tern

#endif // TERN_COMPILER_DRIVER_BACKEND_H
