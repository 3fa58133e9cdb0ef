//===- Passes.h - Tern conversion passes ------------------------*- C++ -*-===//
#ifndef TERN_COMPILER_CONVERSION_PASSES_H
#define TERN_COMPILER_CONVERSION_PASSES_H

#include "compiler/Conversion/ColumnEpilogues/ColumnEpilogues.h"
#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"
#include "compiler/Conversion/ParallelToRuntime/ParallelToRuntime.h"
#include "compiler/Conversion/RowPrologues/RowPrologues.h"
#include "compiler/Conversion/RowRegions/RowRegions.h"
#include "compiler/Conversion/TernToLinalg/TernToLinalg.h"
#include "compiler/Conversion/TernToKernels/TernToKernels.h"

namespace mlir::tern {

#define GEN_PASS_REGISTRATION
#include "compiler/Conversion/Passes.h.inc"

} // namespace mlir::tern

#endif // TERN_COMPILER_CONVERSION_PASSES_H
