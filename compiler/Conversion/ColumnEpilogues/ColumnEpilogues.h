//===- ColumnEpilogues.h - One-row layer code on the matmul's threads -*- C++ -*-===//
#ifndef TERN_COMPILER_CONVERSION_COLUMNEPILOGUES_COLUMNEPILOGUES_H
#define TERN_COMPILER_CONVERSION_COLUMNEPILOGUES_COLUMNEPILOGUES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tern {

#define GEN_PASS_DECL_TERNOUTLINECOLUMNEPILOGUES
#include "compiler/Conversion/Passes.h.inc"

} // namespace mlir::tern

#endif // TERN_COMPILER_CONVERSION_COLUMNEPILOGUES_COLUMNEPILOGUES_H
