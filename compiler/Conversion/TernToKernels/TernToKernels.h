//===- TernToKernels.h - Ternary matmuls to generated kernels ---*- C++ -*-===//
//
// convert-tern-to-kernels rewrites each tern.matmul carrying a
// `#tern.kernel` into a call of a kernel declared for its shape and
// choice; tern-generate-kernels gives the declarations bodies after
// bufferization, through the kernel registry (compiler/Kernels).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_CONVERSION_TERNTOKERNELS_TERNTOKERNELS_H
#define TERN_COMPILER_CONVERSION_TERNTOKERNELS_TERNTOKERNELS_H

#include "dialects/Tern/IR/TernOps.h"
#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tern {

#define GEN_PASS_DECL_CONVERTTERNTOKERNELS
#define GEN_PASS_DECL_GENERATETERNKERNELS
#include "compiler/Conversion/Passes.h.inc"

/// On a kernel declaration: the `#tern.kernel` it computes.
constexpr const char *kKernelDeclAttr = "tern.kernel";

/// Units of a kernel's [begin, end) range for n output columns: columns,
/// or groups of the layout's row group (32 for lut2i).
inline int64_t rangeUnits(const Layout &layout, int64_t n) {
  return n / layout.rowGroup();
}

} // namespace mlir::tern

#endif // TERN_COMPILER_CONVERSION_TERNTOKERNELS_TERNTOKERNELS_H
