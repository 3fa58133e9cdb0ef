//===- PackingLowering.cpp - tern.pack / tern.unpack as linalg.generic ----===//
//
// Each packed byte (pack) or each weight (unpack) is computed on its own from
// the layout's definition in runtime/ternary/Packing.h, reading the source
// tensor with tensor.extract. Slow and obviously right, which is the point.
//
//===----------------------------------------------------------------------===//

#include "compiler/Conversion/TernToLinalg/TernToLinalg.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::tern;

namespace {

/// Terse arithmetic on index and i32 values inside a linalg body.
struct Arith {
  OpBuilder &b;
  Location loc;

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value i32(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivUIOp::create(b, loc, x, y); }
  Value rem(Value x, Value y) { return arith::RemUIOp::create(b, loc, x, y); }
  Value shl(Value x, Value y) { return arith::ShLIOp::create(b, loc, x, y); }
  Value shr(Value x, Value y) { return arith::ShRUIOp::create(b, loc, x, y); }
  Value bitOr(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value bitAnd(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value minu(Value x, Value y) { return arith::MinUIOp::create(b, loc, x, y); }
  Value ult(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  }
  Value eq(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Value indexToI32(Value x) {
    return arith::IndexCastUIOp::create(b, loc, b.getI32Type(), x);
  }
  Value toI8(Value x) {
    return arith::TruncIOp::create(b, loc, b.getI8Type(), x);
  }
  /// Reads an i8 element and widens it to i32 (signed: ternary values).
  Value weight(Value tensor, Value row, Value col) {
    Value v = tensor::ExtractOp::create(b, loc, tensor, ValueRange{row, col});
    return arith::ExtSIOp::create(b, loc, b.getI32Type(), v);
  }
  /// Reads a packed byte and widens it to i32 (unsigned).
  Value byte(Value tensor, Value row, Value col) {
    Value v = tensor::ExtractOp::create(b, loc, tensor, ValueRange{row, col});
    return arith::ExtUIOp::create(b, loc, b.getI32Type(), v);
  }
};

/// A rank-2 elementwise linalg.generic with no inputs producing
/// tensor<rows x cols x i8>; `body` computes element (i, j) as i32.
Value buildIndexedI8(OpBuilder &b, Location loc, int64_t rows, int64_t cols,
                     function_ref<Value(Arith &, Value, Value)> body) {
  Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{rows, cols},
                                       b.getI8Type());
  AffineMap id = b.getMultiDimIdentityMap(2);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
      ArrayRef<AffineMap>{id},
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                    utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location nloc, ValueRange) {
        Arith a{nb, nloc};
        Value i = linalg::IndexOp::create(nb, nloc, 0);
        Value j = linalg::IndexOp::create(nb, nloc, 1);
        linalg::YieldOp::create(nb, nloc, a.toI8(body(a, i, j)));
      });
  return generic.getResult(0);
}

} // namespace

Value mlir::tern::buildPack(OpBuilder &b, Location loc, Value unpacked,
                            LayoutAttr layout) {
  auto type = cast<RankedTensorType>(unpacked.getType());
  const int64_t n = type.getDimSize(0), k = type.getDimSize(1);
  const int64_t block = layout.getBlock();
  const int64_t blockBytes = ::tern::packedBlockBytes(layout.getPackedLayout());
  const int64_t rowBytes = layout.getRowBytes(k);
  return buildIndexedI8(
      b, loc, n, rowBytes, [&](Arith &a, Value row, Value c) {
        Value blk = a.div(c, a.idx(blockBytes));
        Value p = a.rem(c, a.idx(blockBytes));
        Value base = a.mul(blk, a.idx(block)); // first weight of the block
        auto code = [&](Value col) { return a.add(a.weight(unpacked, row, col), a.i32(1)); };
        switch (layout.getKind()) {
        case PackingKind::i2: {
          // byte p holds p + j*B/4 at shift 6 - 2j.
          Value byte = a.i32(0);
          for (int64_t j = 0; j < 4; ++j) {
            Value col = a.add(base, a.add(p, a.idx(j * blockBytes)));
            byte = a.bitOr(byte, a.shl(code(col), a.i32(6 - 2 * j)));
          }
          return byte;
        }
        case PackingKind::lut2: {
          // low nibble: pair p; high nibble: pair p + B/4.
          auto pair = [&](Value g) {
            Value first = a.add(base, a.mul(g, a.idx(2)));
            Value second = a.add(first, a.idx(1));
            return a.add(a.mul(code(first), a.i32(3)), code(second));
          };
          Value hi = pair(a.add(p, a.idx(blockBytes)));
          return a.bitOr(pair(p), a.shl(hi, a.i32(4)));
        }
        case PackingKind::lut2i: {
          // Rows in groups of 32, a group's 32 * rowBytes bytes in pair
          // order: byte i of pair p holds rows i (low) and i + 16 (high).
          Value within = a.add(a.mul(a.rem(row, a.idx(32)), a.idx(rowBytes)), c);
          Value r0 = a.add(a.mul(a.div(row, a.idx(32)), a.idx(32)),
                           a.rem(within, a.idx(16)));
          Value pr = a.div(within, a.idx(16));
          auto index = [&](Value r) {
            Value first = a.mul(pr, a.idx(2));
            Value w0 = a.add(a.weight(unpacked, r, first), a.i32(1));
            Value w1 = a.add(a.weight(unpacked, r, a.add(first, a.idx(1))),
                             a.i32(1));
            return a.add(a.mul(w0, a.i32(3)), w1);
          };
          return a.bitOr(index(r0),
                         a.shl(index(a.add(r0, a.idx(16))), a.i32(4)));
        }
        case PackingKind::base3v: {
          // byte p holds p + j*B/5 as digits of d (most significant
          // first), stored as ceil(d * 256 / 243).
          Value d = a.i32(0);
          for (int64_t j = 0; j < 5; ++j) {
            Value col = a.add(base, a.add(p, a.idx(j * blockBytes)));
            d = a.add(a.mul(d, a.i32(3)), code(col));
          }
          return a.div(a.add(a.mul(d, a.i32(256)), a.i32(242)), a.i32(243));
        }
        case PackingKind::base3: {
          // byte g holds weights 5g .. 5g+4 of the block as base-3 digits;
          // positions past the block end are zeros (code 1).
          Value byte = a.i32(0);
          int64_t pow3 = 1;
          for (int64_t i = 0; i < 5; ++i, pow3 *= 3) {
            Value e = a.add(a.mul(p, a.idx(5)), a.idx(i));
            Value inBlock = a.ult(e, a.idx(block));
            Value col = a.add(base, a.minu(e, a.idx(block - 1)));
            Value digit = a.select(inBlock, code(col), a.i32(1));
            byte = a.add(byte, a.mul(digit, a.i32(pow3)));
          }
          return byte;
        }
        }
        llvm_unreachable("unknown packing kind");
      });
}

Value mlir::tern::buildUnpack(OpBuilder &b, Location loc, Value packed,
                              LayoutAttr layout, int64_t k) {
  auto type = cast<RankedTensorType>(packed.getType());
  const int64_t n = type.getDimSize(0);
  const int64_t block = layout.getBlock();
  const int64_t blockBytes = ::tern::packedBlockBytes(layout.getPackedLayout());
  return buildIndexedI8(b, loc, n, k, [&](Arith &a, Value row, Value col) {
    Value blk = a.div(col, a.idx(block));
    Value r = a.rem(col, a.idx(block)); // position inside the block
    Value blockStart = a.mul(blk, a.idx(blockBytes));
    switch (layout.getKind()) {
    case PackingKind::i2: {
      Value j = a.div(r, a.idx(blockBytes));
      Value p = a.rem(r, a.idx(blockBytes));
      Value byte = a.byte(packed, row, a.add(blockStart, p));
      Value shift = a.sub(a.i32(6), a.mul(a.indexToI32(j), a.i32(2)));
      Value code = a.bitAnd(a.shr(byte, shift), a.i32(3));
      return a.sub(code, a.i32(1));
    }
    case PackingKind::lut2: {
      Value g = a.div(r, a.idx(2));
      Value second = a.eq(a.rem(r, a.idx(2)), a.idx(1));
      Value half = a.div(g, a.idx(blockBytes));
      Value p = a.rem(g, a.idx(blockBytes));
      Value byte = a.byte(packed, row, a.add(blockStart, p));
      Value shift = a.mul(a.indexToI32(half), a.i32(4));
      Value nib = a.bitAnd(a.shr(byte, shift), a.i32(15));
      Value digit = a.select(second, a.rem(nib, a.i32(3)), a.div(nib, a.i32(3)));
      return a.sub(digit, a.i32(1));
    }
    case PackingKind::lut2i: {
      // Row r of group g is byte r % 16 of each pair's 16, nibble r / 16.
      const int64_t rowBytes = layout.getRowBytes(k);
      Value ri = a.rem(row, a.idx(32));
      Value flat = a.add(
          a.mul(a.div(row, a.idx(32)), a.idx(32 * rowBytes)),
          a.add(a.mul(a.div(col, a.idx(2)), a.idx(16)), a.rem(ri, a.idx(16))));
      Value byte = a.byte(packed, a.div(flat, a.idx(rowBytes)),
                          a.rem(flat, a.idx(rowBytes)));
      Value shift = a.mul(a.indexToI32(a.div(ri, a.idx(16))), a.i32(4));
      Value nib = a.bitAnd(a.shr(byte, shift), a.i32(15));
      Value second = a.eq(a.rem(col, a.idx(2)), a.idx(1));
      Value digit = a.select(second, a.rem(nib, a.i32(3)), a.div(nib, a.i32(3)));
      return a.sub(digit, a.i32(1));
    }
    case PackingKind::base3v: {
      // digit j = floor(3 * x / 256), x = 3^j * byte mod 256.
      Value j = a.div(r, a.idx(blockBytes));
      Value p = a.rem(r, a.idx(blockBytes));
      Value byte = a.byte(packed, row, a.add(blockStart, p));
      Value pow3 = a.i32(81);
      for (int64_t e = 3, pw = 27; e >= 0; --e, pw /= 3)
        pow3 = a.select(a.eq(j, a.idx(e)), a.i32(pw), pow3);
      Value x = a.rem(a.mul(byte, pow3), a.i32(256));
      Value digit = a.div(a.mul(x, a.i32(3)), a.i32(256));
      return a.sub(digit, a.i32(1));
    }
    case PackingKind::base3: {
      Value g = a.div(r, a.idx(5));
      Value i = a.rem(r, a.idx(5));
      Value byte = a.byte(packed, row, a.add(blockStart, g));
      // 3^i for i in 0..4 as a select chain.
      Value pow3 = a.i32(81);
      for (int64_t e = 3, p = 27; e >= 0; --e, p /= 3)
        pow3 = a.select(a.eq(i, a.idx(e)), a.i32(p), pow3);
      Value digit = a.rem(a.div(byte, pow3), a.i32(3));
      return a.sub(digit, a.i32(1));
    }
    }
    llvm_unreachable("unknown packing kind");
  });
}
