//===- TernToLinalg.h - Reference lowering of tern ops ----------*- C++ -*-===//
#ifndef TERN_COMPILER_CONVERSION_TERNTOLINALG_TERNTOLINALG_H
#define TERN_COMPILER_CONVERSION_TERNTOLINALG_TERNTOLINALG_H

#include "dialects/Tern/IR/TernOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::tern {

#define GEN_PASS_DECL_CONVERTTERNTOLINALG
#include "compiler/Conversion/Passes.h.inc"

/// Maps !tern.weights to the i8 tensors the reference lowering stores them
/// in: one value per weight, or the packed bytes of the type's layout.
class TernToLinalgTypeConverter : public TypeConverter {
public:
  TernToLinalgTypeConverter();
};

/// Patterns lowering every tern op (tern.bitlinear through its
/// decomposition) to linalg/tensor/arith/math on tensors.
void populateTernToLinalgPatterns(const TypeConverter &converter,
                                  RewritePatternSet &patterns);

/// Builds IR packing `unpacked` (tensor<NxKxi8>, values -1..1) into the
/// bytes of `layout` (tensor<N x rowBytes x i8>).
Value buildPack(OpBuilder &b, Location loc, Value unpacked, LayoutAttr layout);

/// Builds IR unpacking `packed` bytes of `layout` into tensor<NxKxi8>.
Value buildUnpack(OpBuilder &b, Location loc, Value packed, LayoutAttr layout,
                  int64_t k);

} // namespace mlir::tern

#endif // TERN_COMPILER_CONVERSION_TERNTOLINALG_TERNTOLINALG_H
