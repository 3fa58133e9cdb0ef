//===- RowPrologues.h - Decode's norms on the matmul's threads -*- C++ -*-===//
#ifndef TERN_COMPILER_CONVERSION_ROWPROLOGUES_ROWPROLOGUES_H
#define TERN_COMPILER_CONVERSION_ROWPROLOGUES_ROWPROLOGUES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tern {

#define GEN_PASS_DECL_TERNOUTLINEROWPROLOGUES
#include "compiler/Conversion/Passes.h.inc"

} // namespace mlir::tern

#endif // TERN_COMPILER_CONVERSION_ROWPROLOGUES_ROWPROLOGUES_H
