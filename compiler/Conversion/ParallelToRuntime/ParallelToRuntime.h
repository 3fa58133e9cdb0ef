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
/// On a generated function f(inputs..., outputs...) that reads only its
/// inputs and writes only its outputs, the last N operands (the
/// attribute's integer value): a call of it that only a tern.parallel call
/// reads may run on each of that call's threads instead, into buffers of
/// each thread's own (tern-outline-row-prologues).
constexpr const char *kRowPrologueAttr = "tern.row_prologue";

/// The memref operands a tern.parallel call may take, which its task
/// rebuilds from a bare pointer: static shape, identity layout.
inline bool isRebuildable(Type t) {
  auto m = dyn_cast<MemRefType>(t);
  return m && m.hasStaticShape() && m.getLayout().isIdentity();
}

/// The memref of `type` (rebuildable) at the bare pointer `p`: its
/// descriptor built in the LLVM dialect, cast back to the memref.
Value memrefAtPointer(OpBuilder &b, Location loc, Value p, MemRefType type);

} // namespace mlir::tern

#endif
