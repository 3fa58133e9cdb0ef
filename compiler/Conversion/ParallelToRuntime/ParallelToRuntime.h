//===- ParallelToRuntime.h - Parallel calls through the runtime pool -*- C++ -*-===//
#ifndef TERN_COMPILER_CONVERSION_PARALLELTORUNTIME_PARALLELTORUNTIME_H
#define TERN_COMPILER_CONVERSION_PARALLELTORUNTIME_PARALLELTORUNTIME_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tern {

#define GEN_PASS_DECL_CONVERTPARALLELTORUNTIME
#include "compiler/Conversion/Passes.h.inc"

/// The attribute that marks a func.call as a parallel range call.
constexpr const char *kParallelCallAttr = "tern.parallel";
/// On a tern.parallel call: the most items of one block (tern_abi.h's
/// tern_parallel_for `max_block`); absent: no bound.
constexpr const char *kBlockCallAttr = "tern.block";

/// The memref operands a tern.parallel call may take, which its task
/// rebuilds from a bare pointer: static shape, identity layout.
inline bool isRebuildable(Type t) {
  auto m = dyn_cast<MemRefType>(t);
  return m && m.hasStaticShape() && m.getLayout().isIdentity();
}

} // namespace mlir::tern

#endif
