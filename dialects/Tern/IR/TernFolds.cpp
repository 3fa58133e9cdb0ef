//===- TernFolds.cpp - tern operations: constant folding ------------------===//
//
// Every folder computes through runtime/ternary, the same functions the
// runtime's reference forward pass uses, so compile-time and run-time
// quantization agree bit for bit.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tern/IR/TernOps.h"
#include "runtime/ternary/Ternary.h"

using namespace mlir;
using namespace mlir::tern;

namespace {

/// Matmul results larger than this are not folded (the IR would balloon).
constexpr int64_t kMaxFoldedMacs = int64_t(1) << 24;

std::vector<float> toFloats(DenseFPElementsAttr attr) {
  std::vector<float> out;
  out.reserve(attr.getNumElements());
  for (APFloat v : attr.getValues<APFloat>()) {
    bool losesInfo = false;
    v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &losesInfo);
    out.push_back(v.convertToFloat());
  }
  return out;
}

std::vector<int8_t> toInt8(DenseIntElementsAttr attr) {
  std::vector<int8_t> out;
  out.reserve(attr.getNumElements());
  for (const APInt &v : attr.getValues<APInt>())
    out.push_back(static_cast<int8_t>(v.getSExtValue()));
  return out;
}

template <typename T>
DenseElementsAttr makeDense(ArrayRef<int64_t> shape, Type elementType,
                            ArrayRef<T> values) {
  return DenseElementsAttr::get(RankedTensorType::get(shape, elementType),
                                values);
}

} // namespace

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult
AbsmeanQuantizeOp::fold(FoldAdaptor adaptor,
                        SmallVectorImpl<OpFoldResult> &results) {
  auto input = dyn_cast_if_present<DenseFPElementsAttr>(adaptor.getInput());
  if (!input)
    return failure();
  std::vector<float> w = toFloats(input);
  std::vector<int8_t> t(w.size());
  float beta = ::tern::absmeanQuantize(w.data(), w.size(), t.data());
  MLIRContext *ctx = getContext();
  results.push_back(makeDense<int8_t>(getWeights().getType().getShape(),
                                      IntegerType::get(ctx, 8), t));
  results.push_back(FloatAttr::get(Float32Type::get(ctx), beta));
  return success();
}

LogicalResult QuantizeActOp::fold(FoldAdaptor adaptor,
                                  SmallVectorImpl<OpFoldResult> &results) {
  auto input = dyn_cast_if_present<DenseFPElementsAttr>(adaptor.getInput());
  if (!input)
    return failure();
  auto shape = getInput().getType().getShape();
  std::vector<float> x = toFloats(input);
  std::vector<int8_t> q(x.size());
  std::vector<float> s(shape[0]);
  ::tern::quantizeActivations(x.data(), shape[0], shape[1], q.data(), s.data());
  results.push_back(makeDense<int8_t>(shape, getOutput().getType().getElementType(),
                                      q));
  results.push_back(makeDense<float>({shape[0]},
                                     getScale().getType().getElementType(), s));
  return success();
}

OpFoldResult MatmulOp::fold(FoldAdaptor adaptor) {
  auto lhs = dyn_cast_if_present<DenseIntElementsAttr>(adaptor.getLhs());
  auto w = dyn_cast_if_present<DenseIntElementsAttr>(adaptor.getWeights());
  if (!lhs || !w)
    return {};
  int64_t m = getLhs().getType().getDimSize(0);
  WeightsType wt = getWeights().getType();
  int64_t n = wt.getRows(), k = wt.getCols();
  if (m * n * k > kMaxFoldedMacs)
    return {};
  std::vector<int8_t> a = toInt8(lhs), t = toInt8(w);
  std::vector<int32_t> acc(m * n);
  ::tern::ternaryMatmul(a.data(), t.data(), m, n, k, acc.data());
  return makeDense<int32_t>({m, n}, getResult().getType().getElementType(),
                            acc);
}

/// pack/unpack keep the value: a constant stays the same constant (the
/// materializer gives it the new layout), and a round trip cancels.
template <typename InverseOp, typename OpT>
static OpFoldResult foldRelayout(OpT op, Attribute source) {
  if (source)
    return source;
  if (auto inverse = op.getSource().template getDefiningOp<InverseOp>())
    if (inverse.getSource().getType() == op.getResult().getType())
      return inverse.getSource();
  return {};
}

OpFoldResult PackOp::fold(FoldAdaptor adaptor) {
  return foldRelayout<UnpackOp>(*this, adaptor.getSource());
}

OpFoldResult UnpackOp::fold(FoldAdaptor adaptor) {
  return foldRelayout<PackOp>(*this, adaptor.getSource());
}
