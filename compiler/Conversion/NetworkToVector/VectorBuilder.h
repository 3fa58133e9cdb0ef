//===- VectorBuilder.h - Loops and lanes for the network lowerings -*- C++ -*-===//
//
// The building blocks every network-op pattern writes its code with: scf
// loops and reductions, vector<8xT> loads and stores, the reference's
// lane-tree sum, the 8-lane dot product, and the buffers a pattern reads
// its tensor operands from and writes its results into.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_CONVERSION_NETWORKTOVECTOR_VECTORBUILDER_H
#define TERN_COMPILER_CONVERSION_NETWORKTOVECTOR_VECTORBUILDER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include <functional>

namespace mlir::tern {

/// The reference's dot-product and sum width.
constexpr int64_t kLanes = 8;

struct VectorBuilder {
  OpBuilder &b;
  Location loc;

  // Constants.
  Value idx(int64_t v);
  Value f32(float v);
  Value f64(double v);

  // Loops: body(iv) for iv in [lb, ub) step `step`.
  void forEach(Value lb, Value ub, int64_t step,
               const std::function<void(Value)> &body);
  void forEach(int64_t lb, int64_t ub, const std::function<void(Value)> &body) {
    forEach(idx(lb), idx(ub), 1, body);
  }
  /// body(i) for i = 0, 8, ..., n - 8 (n a multiple of kLanes).
  void forEachVec(int64_t n, const std::function<void(Value)> &body) {
    forEach(idx(0), idx(n), kLanes, body);
  }
  /// A reduction loop: the final value of `init` updated by stepFn.
  Value reduce(Value lb, Value ub, int64_t step, Value init,
               const std::function<Value(Value iv, Value acc)> &stepFn);

  // Vectors of kLanes lanes (or `width`).
  VectorType vec(Type element, int64_t width = kLanes) {
    return VectorType::get({width}, element);
  }
  Value vload(Value mem, ValueRange indices, int64_t width = kLanes);
  void vstore(Value v, Value mem, ValueRange indices);
  Value vzero(Type element, int64_t width = kLanes);
  Value vsplat(Value scalar, int64_t width = kLanes);
  /// The lanes of an 8-lane `acc` summed pairwise in the reference's fixed
  /// order, ((p0 + p4) + (p2 + p6)) + ((p1 + p5) + (p3 + p7)).
  Value laneTree(Value acc);
  /// The reference's f32 dot product of n values (n a multiple of 8): 8
  /// interleaved partial sums of loadA(k) * loadB(k), then laneTree.
  Value dot(int64_t n, const std::function<Value(Value k)> &loadA,
            const std::function<Value(Value k)> &loadB);

  // Buffers.
  /// A read-only memref view of a statically shaped tensor operand.
  Value buffer(Value tensor);
  /// A new buffer for a result of `type` (on the stack when small),
  /// aligned to `alignment` bytes where given (0: the element's own).
  Value newBuffer(RankedTensorType type, int64_t alignment = 0);
  /// The tensor of a result buffer the pattern has written.
  Value tensorOf(Value buffer, RankedTensorType type);
};

} // namespace mlir::tern

#endif // TERN_COMPILER_CONVERSION_NETWORKTOVECTOR_VECTORBUILDER_H
