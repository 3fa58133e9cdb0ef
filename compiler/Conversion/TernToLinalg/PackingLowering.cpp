//===- PackingLowering.cpp - tern.pack / tern.unpack as linalg.generic ----===//
//
// Each packed byte (pack) or each weight (unpack) is computed on its own by
// the packing's reference builders (compiler/Packings), reading the source
// tensor with tensor.extract. Slow and obviously right, which is the point.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/TernToLinalg/TernToLinalg.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::tern;

namespace {

/// A rank-2 elementwise linalg.generic with no inputs producing
/// tensor<rows x cols x i8>; `body` computes element (i, j) as i32.
Value buildIndexedI8(OpBuilder &b, Location loc, int64_t rows, int64_t cols,
                     function_ref<Value(IndexArith &, Value, Value)> body) {
  Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{rows, cols},
                                       b.getI8Type());
  AffineMap id = b.getMultiDimIdentityMap(2);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
      ArrayRef<AffineMap>{id},
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                    utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location nloc, ValueRange) {
        IndexArith a{nb, nloc};
        Value i = linalg::IndexOp::create(nb, nloc, 0);
        Value j = linalg::IndexOp::create(nb, nloc, 1);
        Value byte =
            arith::TruncIOp::create(nb, nloc, nb.getI8Type(), body(a, i, j));
        linalg::YieldOp::create(nb, nloc, byte);
      });
  return generic.getResult(0);
}

} // namespace

Value mlir::tern::buildPack(OpBuilder &b, Location loc, Value unpacked,
                            LayoutAttr layout) {
  auto type = cast<RankedTensorType>(unpacked.getType());
  const int64_t n = type.getDimSize(0), k = type.getDimSize(1);
  const Layout l = layout.getLayout();
  return buildIndexedI8(b, loc, n, l.rowBytes(k),
                        [&](IndexArith &a, Value row, Value c) {
                          return l.packing->buildPackedByte(a, unpacked, row,
                                                            c, l, k);
                        });
}

Value mlir::tern::buildUnpack(OpBuilder &b, Location loc, Value packed,
                              LayoutAttr layout, int64_t k) {
  const int64_t n = cast<RankedTensorType>(packed.getType()).getDimSize(0);
  const Layout l = layout.getLayout();
  return buildIndexedI8(b, loc, n, k, [&](IndexArith &a, Value row, Value col) {
    return l.packing->buildWeight(a, packed, row, col, l, k);
  });
}
