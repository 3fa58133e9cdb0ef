//===- RowRegions.h - Row-wise layer code as parallel row regions -*- C++ -*-===//
#ifndef TERN_COMPILER_CONVERSION_ROWREGIONS_ROWREGIONS_H
#define TERN_COMPILER_CONVERSION_ROWREGIONS_ROWREGIONS_H

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tern {

#define GEN_PASS_DECL_TERNOUTLINEROWREGIONS
#include "compiler/Conversion/Passes.h.inc"

} // namespace mlir::tern

#endif // TERN_COMPILER_CONVERSION_ROWREGIONS_ROWREGIONS_H
