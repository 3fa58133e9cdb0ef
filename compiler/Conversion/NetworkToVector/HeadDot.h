//===- HeadDot.h - The output head's dot product as vector code -*- C++ -*-===//
//
// What tern.lm_head and tern.screen_head share: the head's dot product in
// runtime/model/HeadFormat.h's order (dotHead), so that a logit either op
// computes from the same row is the same float; and what the integer heads
// (q4, int8, the screened head's scan) share: their function skeleton and
// the multiply-add of byte quads.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_CONVERSION_NETWORKTOVECTOR_HEADDOT_H
#define TERN_COMPILER_CONVERSION_NETWORKTOVECTOR_HEADDOT_H

#include "compiler/Conversion/NetworkToVector/VectorBuilder.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/TypeUtilities.h"

#include <algorithm>
#include <functional>
#include <memory>

namespace mlir::tern {

struct KernelFamily;

/// What an integer head function (q4, int8 of either token rows) is built
/// for.
struct IntegerHeadShape {
  int64_t rows, hidden;
  bool firstRowArg;   ///< takes memref<1xindex> first_row
  int64_t prefetch;   ///< bytes ahead (0: none)
  int64_t locality;   ///< LLVM's prefetch locality hint
  const KernelFamily *family; ///< whose quadDot sums the bytes (or null)
  bool rowScales;     ///< takes xs [R] after the token rows
};

/// The q4 head function's body (Q4HeadLowering.cpp): (xq [R, H] i8, xs [R],
/// codes [V, H/2], scales [V, H/32], logits[, first_row], begin, end).
void buildQ4HeadBody(OpBuilder &b, Block *body, const IntegerHeadShape &s);

/// The integer int8 head function's body (Int8HeadLowering.cpp): (xq [R,
/// H] i8, xs [R], codes [V, H], scales [V, 1], logits[, first_row], begin,
/// end).
void buildInt8HeadBody(OpBuilder &b, Block *body, const IntegerHeadShape &s);

/// The screened head's scan (ScreenScanLowering.cpp): (x [R, H] f32, codes
/// [V, H], scales [V, 1], logits[, first_row], begin, end).
void buildScreenScanBody(OpBuilder &b, Block *body, const IntegerHeadShape &s);

/// The alignment of the screened head's per-call token row buffers: each
/// 64-byte load of them within one cache line (docs/performance.md, "The
/// screen's scan in integers").
constexpr int64_t kVectorAlign = 64;

/// What one integer head format builds inside buildIntegerHeadBody.
class IntegerHeadFormat {
public:
  IntegerHeadFormat(VectorBuilder &v, const IntegerHeadShape &s,
                    ModuleOp module)
      : v(v), s(s), module(module), i8(v.b.getI8Type()),
        i32(v.b.getI32Type()), f32(v.b.getF32Type()) {}
  virtual ~IntegerHeadFormat() = default;
  /// Per call, before any token row: the buffers the format keeps.
  virtual void allocate() = 0;
  /// Once per call for each wanted token row r of xq.
  virtual void prepareRow(Value xq, Value r) = 0;
  /// Token row r's scale xs after prepareRow: xs[r] where the function
  /// takes them (rowScales), else the format's own.
  virtual Value rowScale(Value xs, Value r) {
    return memref::LoadOp::create(v.b, v.loc, xs, ValueRange{r});
  }
  /// The logit of vocabulary row `row` for token row r, before 1 / xs;
  /// `ahead` (or null) is the row whose same bytes its loads prefetch.
  virtual Value rowLogit(Value codes, Value scales, Value xq, Value row,
                         Value r, Value ahead) = 0;

protected:
  /// Bytes of codes per load of the int8 head and the screen's scan.
  static constexpr int64_t kChunk = 64;

  /// Columns [0, H) in pieces of at most kChunk.
  void forEachPiece(const std::function<void(int64_t k, int64_t w)> &body) {
    for (int64_t k = 0; k < s.hidden; k += kChunk)
      body(k, std::min(kChunk, s.hidden - k));
  }

  /// The int8 head's and the scan's loop over one vocabulary row: 4
  /// chains of `n` accumulators (vector<kChunk/4 x i32>) over steps of 4
  /// chunks, then the whole chunks left; `add(acc, k)` adds the chunk at
  /// column k into its n accumulators. Returns each accumulator's lanes
  /// summed over the chains (i32 adds, which wrap) and sets `end` to the
  /// first column past the chunks, left to the caller
  /// (IntegerHeadLowering.cpp).
  SmallVector<Value> chunkSums(
      int64_t n,
      const std::function<void(MutableArrayRef<Value> acc, Value k)> &add,
      int64_t &end);

  /// `width` lanes of the byte c.
  Value splat8(int64_t width, int64_t c) {
    return arith::ConstantOp::create(
        v.b, v.loc,
        DenseElementsAttr::get(v.vec(i8, width), v.b.getIntegerAttr(i8, c)));
  }

  VectorBuilder &v;
  const IntegerHeadShape &s;
  /// Where the family's multiply-add is declared (headQuadDot).
  ModuleOp module;
  Type i8, i32, f32;
};

/// An integer head function's body, (xq [R, H][, xs [R]], codes [V, C],
/// scales [V, S], logits[, first_row], begin, end), around the format that
/// `make` builds (IntegerHeadLowering.cpp).
void buildIntegerHeadBody(
    OpBuilder &b, Block *body, const IntegerHeadShape &s,
    const std::function<std::unique_ptr<IntegerHeadFormat>(VectorBuilder &,
                                                           ModuleOp)> &make);

/// [first, first + step, ...], n values.
SmallVector<int64_t> strided(int64_t first, int64_t step, int64_t n);

/// Lane l = x[2l] + x[2l+1] over the lanes of a and then of b (integers).
Value pairSums(VectorBuilder &v, Value a, Value b);

/// acc [n/4 x i32] plus, in lane l, the sum over j < 4 of u[4l + j] *
/// x[4l + j] for n bytes of u (unsigned, each at most 127) and x (signed),
/// exact: by `family`'s multiply-add of byte quads (a call of its
/// declaration in `module`, in parts of its quadBytes; n a multiple of
/// them), or by widening arithmetic without one (IntegerHeadLowering.cpp).
Value headQuadDot(VectorBuilder &v, ModuleOp module, const KernelFamily *family,
                  Value acc, Value u, Value x);

/// The dot product of an input row with a vocabulary row: sum over k of
/// loadX(k, w) * loadW(k, w) in w = 32 lanes (8 when H % 32 != 0).
Value headDot(VectorBuilder &v, int64_t h,
              const std::function<Value(Value, int64_t)> &loadX,
              const std::function<Value(Value, int64_t)> &loadW);

/// 32 partial sums folded to one f32 as the reference folds them:
/// (p[l] + p[l+16]) + (p[l+8] + p[l+24]), then the lane tree.
Value fold32(VectorBuilder &v, Value acc);

/// The first wanted token row of a head function: loaded from its
/// memref<1xindex> argument `arg` (then past it) when it takes one, else 0.
inline Value firstRowOf(VectorBuilder &v, Block *body, unsigned &arg,
                        bool takesFirstRow) {
  if (!takesFirstRow)
    return v.idx(0);
  return memref::LoadOp::create(v.b, v.loc, body->getArgument(arg++),
                                ValueRange{v.idx(0)});
}

/// `w` weights of row `row` of a float matrix at column k, widened to f32.
inline Value loadNativeRow(VectorBuilder &v, Value weights, Value row,
                           Value k, int64_t w) {
  Value e = v.vload(weights, {row, k}, w);
  return getElementTypeOrSelf(e.getType()).isF32()
             ? e
             : Value(arith::ExtFOp::create(v.b, v.loc,
                                           v.vec(v.b.getF32Type(), w), e));
}

} // namespace mlir::tern

#endif // TERN_COMPILER_CONVERSION_NETWORKTOVECTOR_HEADDOT_H
