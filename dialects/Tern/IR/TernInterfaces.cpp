//===- TernInterfaces.cpp - tern op interfaces and their implementations --===//
//
// RowWiseOpInterface: which operands of each row-wise op are read row by
// row (the results' rows); the others are read whole.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tern/IR/TernOps.h"

using namespace mlir;
using namespace mlir::tern;

#include "dialects/Tern/IR/TernInterfaces.cpp.inc"

/// Each row's absmax scale comes from that row alone.
SmallVector<unsigned> QuantizeActOp::getRowOperandIndices() { return {0}; }

/// The accumulators and the activation scales by row; the weight scale is
/// one scalar.
SmallVector<unsigned> RescaleOp::getRowOperandIndices() { return {0, 1}; }

/// The input by row; the weight vector applies to every row.
SmallVector<unsigned> RmsNormOp::getRowOperandIndices() { return {0}; }
SmallVector<unsigned> RmsNormQuantizeOp::getRowOperandIndices() {
  return {0};
}

/// Each row rotates by the cos and sin rows of its own position.
SmallVector<unsigned> RopeOp::getRowOperandIndices() { return {0, 1, 2}; }

SmallVector<unsigned> SquaredReluGateOp::getRowOperandIndices() {
  return {0, 1};
}
