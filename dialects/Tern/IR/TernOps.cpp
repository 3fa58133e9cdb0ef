//===- TernOps.cpp - tern operations: verifiers ---------------------------===//
//
// Folders live in TernFolds.cpp, the network ops' verifiers in
// TernNetworkOps.cpp.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tern/IR/TernOps.h"

#include "dialects/Tern/IR/VerifyHelpers.h"

using namespace mlir;
using namespace mlir::tern;

#define GET_OP_CLASSES
#include "dialects/Tern/IR/TernOps.cpp.inc"


//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  auto type = getResult().getType();
  auto valueType = cast<ShapedType>(getValue().getType());
  if (valueType.getShape() != type.getShape())
    return emitOpError() << "value shape "
                         << llvm::interleaved_array(valueType.getShape())
                         << " does not match weights shape "
                         << llvm::interleaved_array(type.getShape());
  int64_t cols = type.getCols(), index = 0;
  for (const APInt &v : getValue().getValues<APInt>()) {
    int64_t x = v.getSExtValue();
    if (x < -1 || x > 1)
      return emitOpError() << "value element [" << index / cols << ", "
                           << index % cols << "] is " << x
                           << "; ternary weights must be -1, 0 or 1";
    ++index;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// WeightOp
//===----------------------------------------------------------------------===//

int64_t WeightOp::getByteSize() {
  Type t = getResult().getType();
  if (auto w = dyn_cast<WeightsType>(t))
    return w.getRows() *
           (w.isPacked() ? w.getLayout().getRowBytes(w.getCols()) : w.getCols());
  auto dense = cast<RankedTensorType>(t);
  return dense.getNumElements() *
         (dense.getElementType().getIntOrFloatBitWidth() / 8);
}

LogicalResult WeightOp::verify() {
  if (getName().empty())
    return emitOpError() << "needs a non-empty weight name";
  MemRefType blob = getBlob().getType();
  if (!getOffset()) {
    if (blob.hasStaticShape())
      return emitOpError() << "weight '" << getName()
                           << "' has no offset in a planned (static) blob";
    return success();
  }
  if (!blob.hasStaticShape())
    return success(); // Checked at run time by whoever maps the blob.
  const int64_t size = blob.getDimSize(0), bytes = getByteSize();
  const int64_t offset = static_cast<int64_t>(*getOffset());
  if (offset > size || bytes > size - offset)
    return emitOpError() << "weight '" << getName() << "' needs bytes ["
                         << offset << ", " << offset + bytes
                         << ") but the blob has " << size;
  return success();
}

//===----------------------------------------------------------------------===//
// AbsmeanQuantizeOp
//===----------------------------------------------------------------------===//

LogicalResult AbsmeanQuantizeOp::verify() {
  if (failed(checkTensor(*this, getInput().getType(), 2, "input")))
    return failure();
  return checkShape(*this, getInput().getType(), getWeights().getType().getShape(),
                    "input to have the weights' shape");
}

//===----------------------------------------------------------------------===//
// QuantizeActOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeActOp::verify() {
  if (failed(checkTensor(*this, getInput().getType(), 2, "input")))
    return failure();
  return checkQuantizedRows(*this, getInput().getType().getShape(),
                            getOutput().getType(), getScale().getType());
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

/// Shared by tern.matmul and tern.bitlinear: `lhs` [M, K] times weights
/// [N, K] gives `result` [M, N]. `lhsName`/`kNoun` word the messages.
static LogicalResult verifyProduct(Operation *op, Type lhsType,
                                   StringRef lhsName, StringRef kNoun,
                                   WeightsType w, Type resultType) {
  if (failed(checkTensor(op, lhsType, 2, lhsName)))
    return failure();
  auto lhs = cast<RankedTensorType>(lhsType).getShape();
  if (lhs[1] != w.getCols())
    return op->emitOpError() << lhsName << " has K = " << lhs[1] << " "
                             << kNoun << " but the weights [N, K] have K = "
                             << w.getCols();
  return checkShape(op, resultType, {lhs[0], w.getRows()},
                    "result to have shape");
}

/// A `kernel` must read the weights as they are stored.
static LogicalResult verifyKernel(Operation *op, KernelAttr kernel,
                                  WeightsType w) {
  if (!kernel)
    return success();
  if (!w.isPacked() || w.getLayout().getLayout() != kernel.getLayout())
    return op->emitOpError()
           << "kernel " << kernel << " reads weights in the layout "
           << kernel.getLayout().str() << ", but the weights are " << w;
  return success();
}

LogicalResult MatmulOp::verify() {
  if (failed(verifyProduct(*this, getLhs().getType(), "lhs", "columns",
                           getWeights().getType(), getResult().getType())))
    return failure();
  return verifyKernel(*this, getKernelAttr(), getWeights().getType());
}

//===----------------------------------------------------------------------===//
// RescaleOp
//===----------------------------------------------------------------------===//

LogicalResult RescaleOp::verify() {
  if (failed(checkTensor(*this, getAcc().getType(), 2, "acc")))
    return failure();
  auto acc = getAcc().getType().getShape();
  if (failed(checkShape(*this, getActScale().getType(), {acc[0]},
                        "act_scale to have one entry per acc row, shape")))
    return failure();
  return checkShape(*this, getResult().getType(), acc,
                    "result to have acc's shape");
}

//===----------------------------------------------------------------------===//
// BitLinearOp
//===----------------------------------------------------------------------===//

LogicalResult BitLinearOp::verify() {
  if (failed(verifyProduct(*this, getInput().getType(), "input", "features",
                           getWeights().getType(), getResult().getType())))
    return failure();
  return verifyKernel(*this, getKernelAttr(), getWeights().getType());
}

//===----------------------------------------------------------------------===//
// PackOp / UnpackOp
//===----------------------------------------------------------------------===//

static LogicalResult verifyRelayout(Operation *op, WeightsType from,
                                    WeightsType to, bool packing) {
  if (from.getShape() != to.getShape())
    return op->emitOpError()
           << "cannot change the shape of the weights: "
           << llvm::interleaved_array(from.getShape()) << " vs "
           << llvm::interleaved_array(to.getShape());
  WeightsType unpacked = packing ? from : to, packed = packing ? to : from;
  if (unpacked.isPacked())
    return op->emitOpError() << "expects the " << (packing ? "source" : "result")
                             << " to be unpacked, got " << unpacked;
  if (!packed.isPacked())
    return op->emitOpError() << "expects the " << (packing ? "result" : "source")
                             << " to carry a #tern.layout, got " << packed;
  return success();
}

LogicalResult PackOp::verify() {
  return verifyRelayout(*this, getSource().getType(), getResult().getType(),
                        /*packing=*/true);
}

LogicalResult UnpackOp::verify() {
  return verifyRelayout(*this, getSource().getType(), getResult().getType(),
                        /*packing=*/false);
}
