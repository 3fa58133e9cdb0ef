//===- VerifyHelpers.h - Shape checks shared by the tern verifiers -*- C++ -*-===//
#ifndef TERN_DIALECTS_TERN_IR_VERIFYHELPERS_H
#define TERN_DIALECTS_TERN_IR_VERIFYHELPERS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "llvm/Support/InterleavedRange.h"

namespace mlir::tern {

/// Checks that `type` is a statically shaped tensor (or memref) of the
/// given rank; `what` names it in the message ("input", "lhs", ...).
inline LogicalResult checkTensor(Operation *op, Type type, int64_t rank,
                                 StringRef what) {
  auto t = cast<ShapedType>(type);
  if (t.getRank() != rank)
    return op->emitOpError() << "expects " << what << " to have rank " << rank
                             << ", got " << t.getRank();
  if (!t.hasStaticShape())
    return op->emitOpError() << "expects " << what
                             << " to have a static shape, got " << t;
  return success();
}

/// Checks that `type`'s shape is `want`.
inline LogicalResult checkShape(Operation *op, Type type,
                                ArrayRef<int64_t> want, StringRef what) {
  auto got = cast<ShapedType>(type).getShape();
  if (got != want)
    return op->emitOpError()
           << "expects " << what << " " << llvm::interleaved_array(want)
           << ", got " << llvm::interleaved_array(got);
  return success();
}

} // namespace mlir::tern

#endif // TERN_DIALECTS_TERN_IR_VERIFYHELPERS_H
