//===- VectorCodes.h - Helpers for the packings' vector decoders -*- C++ -*-===//
#ifndef TERN_COMPILER_PACKINGS_VECTORCODES_H
#define TERN_COMPILER_PACKINGS_VECTORCODES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

namespace mlir::tern {

/// A constant of `bytes`' (vector) type with every element `v`.
inline Value splatLike(OpBuilder &b, Location loc, Value like, int64_t v) {
  auto t = cast<ShapedType>(like.getType());
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(t, b.getIntegerAttr(t.getElementType(), v)));
}

/// c - offset (no op when offset is 0).
inline Value minusOffset(OpBuilder &b, Location loc, Value c, int64_t offset) {
  return offset ? Value(arith::SubIOp::create(b, loc, c,
                                              splatLike(b, loc, c, offset)))
                : c;
}

} // namespace mlir::tern

#endif // TERN_COMPILER_PACKINGS_VECTORCODES_H
