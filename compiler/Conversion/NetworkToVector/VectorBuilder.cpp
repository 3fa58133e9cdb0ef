//===- VectorBuilder.cpp - Loops and lanes for the network lowerings ------===//

#include "compiler/Conversion/NetworkToVector/VectorBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::tern;

namespace {
/// Result buffers up to this size live on the caller's stack; larger ones
/// (prefill activations of wide layers) on the heap.
constexpr int64_t kMaxStackBytes = 256 << 10;
} // namespace

Value VectorBuilder::idx(int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value VectorBuilder::f32(float v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

Value VectorBuilder::f64(double v) {
  return arith::ConstantOp::create(b, loc, b.getF64FloatAttr(v));
}

void VectorBuilder::forEach(Value lb, Value ub, int64_t step,
                            const std::function<void(Value)> &body) {
  auto f = scf::ForOp::create(b, loc, lb, ub, idx(step));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(f.getBody());
  body(f.getInductionVar());
}

Value VectorBuilder::reduce(
    Value lb, Value ub, int64_t step, Value init,
    const std::function<Value(Value iv, Value acc)> &stepFn) {
  auto f = scf::ForOp::create(
      b, loc, lb, ub, idx(step), ValueRange{init},
      [&](OpBuilder &nb, Location l, Value iv, ValueRange acc) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        Value next = stepFn(iv, acc[0]);
        scf::YieldOp::create(b, l, next);
      });
  return f.getResult(0);
}

Value VectorBuilder::vload(Value mem, ValueRange indices, int64_t width) {
  auto t = vec(cast<MemRefType>(mem.getType()).getElementType(), width);
  return vector::LoadOp::create(b, loc, t, mem, indices);
}

void VectorBuilder::vstore(Value v, Value mem, ValueRange indices) {
  vector::StoreOp::create(b, loc, v, mem, indices);
}

Value VectorBuilder::vzero(Type element, int64_t width) {
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(vec(element, width), b.getFloatAttr(element, 0.0)));
}

Value VectorBuilder::vsplat(Value scalar, int64_t width) {
  return vector::BroadcastOp::create(b, loc, vec(scalar.getType(), width),
                                     scalar);
}

Value VectorBuilder::laneTree(Value acc) {
  auto lane = [&](int64_t i) -> Value {
    return vector::ExtractOp::create(b, loc, acc, ArrayRef<int64_t>{i});
  };
  auto add = [&](Value x, Value y) -> Value {
    return arith::AddFOp::create(b, loc, x, y);
  };
  return add(add(add(lane(0), lane(4)), add(lane(2), lane(6))),
             add(add(lane(1), lane(5)), add(lane(3), lane(7))));
}

Value VectorBuilder::dot(int64_t n, const std::function<Value(Value)> &loadA,
                         const std::function<Value(Value)> &loadB) {
  Value acc = reduce(idx(0), idx(n), kLanes, vzero(b.getF32Type()),
                     [&](Value k, Value a) {
                       Value prod =
                           arith::MulFOp::create(b, loc, loadA(k), loadB(k));
                       return arith::AddFOp::create(b, loc, a, prod);
                     });
  return laneTree(acc);
}

Value VectorBuilder::buffer(Value tensor) {
  auto t = cast<RankedTensorType>(tensor.getType());
  return bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(t.getShape(), t.getElementType()), tensor,
      /*readOnly=*/true);
}

Value VectorBuilder::newBuffer(RankedTensorType type, int64_t alignment) {
  auto m = MemRefType::get(type.getShape(), type.getElementType());
  const int64_t bytes =
      type.getNumElements() * type.getElementType().getIntOrFloatBitWidth() / 8;
  IntegerAttr align = alignment ? b.getI64IntegerAttr(alignment) : IntegerAttr();
  if (bytes <= kMaxStackBytes)
    return memref::AllocaOp::create(b, loc, m, align);
  return memref::AllocOp::create(b, loc, m, align);
}

Value VectorBuilder::tensorOf(Value buffer, RankedTensorType type) {
  return bufferization::ToTensorOp::create(b, loc, type, buffer,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}
