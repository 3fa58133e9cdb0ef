//===- RopeLowering.cpp - tern.rope_table and tern.rope as vector code ----===//
//
// rope_table: per row and frequency i, inv_freq = theta^(-2i/D) and the
// angle in f64, cos and sin rounded to f32 (scalar: their order is the
// reference's). rope: per row and head, the two halves rotated 8 lanes at a
// time, y0 = a c - b s, y1 = b c + a s.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/NetworkToVector/NetworkToVector.h"
#include "compiler/Conversion/NetworkToVector/VectorBuilder.h"

#include <type_traits>

using namespace mlir;
using namespace mlir::tern;

namespace {
/// The tables of rope_table (row r at position + r) and rope_table_rows
/// (row r at positions[r]).
template <typename Op>
struct RopeTableLowering : OpRewritePattern<Op> {
  using OpRewritePattern<Op>::OpRewritePattern;
  LogicalResult matchAndRewrite(Op op,
                                PatternRewriter &rewriter) const override {
    VectorBuilder v{rewriter, op.getLoc()};
    Location loc = op.getLoc();
    auto type = op.getCos().getType();
    const int64_t rows = type.getDimSize(0), half = type.getDimSize(1);
    const double theta = op.getTheta().convertToFloat();
    Value cosBuf = v.newBuffer(type), sinBuf = v.newBuffer(type);
    Type f64 = rewriter.getF64Type(), i64 = rewriter.getI64Type();
    auto toF64 = [&](Value index) -> Value {
      return arith::SIToFPOp::create(
          rewriter, loc, f64,
          arith::IndexCastOp::create(rewriter, loc, i64, index));
    };
    Value positions;
    if constexpr (std::is_same_v<Op, RopeTableRowsOp>)
      positions = v.buffer(op.getPositions());
    v.forEach(0, rows, [&](Value r) {
      Value pos;
      if constexpr (std::is_same_v<Op, RopeTableRowsOp>)
        pos = arith::SIToFPOp::create(
            rewriter, loc, f64,
            memref::LoadOp::create(rewriter, loc, positions, ValueRange{r}));
      else
        pos = toF64(arith::AddIOp::create(rewriter, loc, op.getPosition(), r));
      v.forEach(0, half, [&](Value i) {
        // inv_freq = theta^(-2i/d), in f64 as the reference computes it.
        Value expo = arith::DivFOp::create(
            rewriter, loc,
            arith::MulFOp::create(rewriter, loc, v.f64(-2.0), toF64(i)),
            v.f64(static_cast<double>(2 * half)));
        Value invFreq = math::PowFOp::create(rewriter, loc, v.f64(theta), expo);
        Value angle = arith::MulFOp::create(rewriter, loc, pos, invFreq);
        Type f32 = rewriter.getF32Type();
        Value c = arith::TruncFOp::create(rewriter, loc, f32,
                                          math::CosOp::create(rewriter, loc, angle));
        Value s = arith::TruncFOp::create(rewriter, loc, f32,
                                          math::SinOp::create(rewriter, loc, angle));
        memref::StoreOp::create(rewriter, loc, c, cosBuf, ValueRange{r, i});
        memref::StoreOp::create(rewriter, loc, s, sinBuf, ValueRange{r, i});
      });
    });
    rewriter.replaceOp(op, {v.tensorOf(cosBuf, type), v.tensorOf(sinBuf, type)});
    return success();
  }
};

struct RopeLowering : OpRewritePattern<RopeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RopeOp op,
                                PatternRewriter &rewriter) const override {
    VectorBuilder v{rewriter, op.getLoc()};
    Location loc = op.getLoc();
    auto type = op.getResult().getType();
    const int64_t rows = type.getDimSize(0);
    const int64_t half = op.getCos().getType().getDimSize(1), hd = 2 * half;
    const int64_t heads = type.getDimSize(1) / hd;
    Value x = v.buffer(op.getInput()), cosBuf = v.buffer(op.getCos()),
          sinBuf = v.buffer(op.getSin());
    Value out = v.newBuffer(type);
    v.forEach(0, rows, [&](Value r) {
      v.forEach(0, heads, [&](Value h) {
        rotateHead(v, x, out, r, cosBuf, sinBuf, r,
                   arith::MulIOp::create(rewriter, loc, h, v.idx(hd)), half);
      });
    });
    rewriter.replaceOp(op, v.tensorOf(out, type));
    return success();
  }
};
} // namespace

void mlir::tern::rotateHead(VectorBuilder &v, Value from, Value to, Value row,
                            Value cos, Value sin, Value tableRow, Value base,
                            int64_t half) {
  OpBuilder &b = v.b;
  auto mul = [&](Value x, Value y) -> Value {
    return arith::MulFOp::create(b, v.loc, x, y);
  };
  v.forEachVec(half, [&](Value i) {
    Value i0 = arith::AddIOp::create(b, v.loc, base, i);
    Value i1 = arith::AddIOp::create(b, v.loc, i0, v.idx(half));
    Value x0 = v.vload(from, {row, i0}), x1 = v.vload(from, {row, i1});
    Value c = v.vload(cos, {tableRow, i}), s = v.vload(sin, {tableRow, i});
    v.vstore(arith::SubFOp::create(b, v.loc, mul(x0, c), mul(x1, s)), to,
             {row, i0});
    v.vstore(arith::AddFOp::create(b, v.loc, mul(x1, c), mul(x0, s)), to,
             {row, i1});
  });
}

void mlir::tern::addRopeLowerings(RewritePatternSet &patterns) {
  patterns.add<RopeTableLowering<RopeTableOp>,
               RopeTableLowering<RopeTableRowsOp>, RopeLowering>(
      patterns.getContext());
}
