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

/// Checks an activation quantization's results against its [M, K] input:
/// `output` [M, K] and `scale` [M] (quantize_act, rms_norm_quantize).
inline LogicalResult checkQuantizedRows(Operation *op, ArrayRef<int64_t> input,
                                        Type output, Type scale) {
  if (failed(checkShape(op, output, input, "output to have the input's shape")))
    return failure();
  return checkShape(op, scale, {input[0]},
                    "scale to have one entry per input row, shape");
}

} // namespace mlir::tern

#endif // TERN_DIALECTS_TERN_IR_VERIFYHELPERS_H
