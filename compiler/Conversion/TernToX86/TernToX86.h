//===- TernToX86.h - AVX2 kernels for ternary matmuls -----------*- C++ -*-===//
#ifndef TERN_COMPILER_CONVERSION_TERNTOX86_TERNTOX86_H
#define TERN_COMPILER_CONVERSION_TERNTOX86_TERNTOX86_H

#include "dialects/Tern/IR/TernOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tern {

#define GEN_PASS_DECL_CONVERTTERNTOX86
#define GEN_PASS_DECL_GENERATETERNX86KERNELS
#include "compiler/Conversion/Passes.h.inc"

} // namespace mlir::tern

#endif // TERN_COMPILER_CONVERSION_TERNTOX86_TERNTOX86_H
