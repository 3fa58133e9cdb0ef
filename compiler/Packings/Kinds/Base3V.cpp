//===- Base3V.cpp - The base3v packing: 1.6 bits per weight ---------------===//
//
// Base 3 in vector order for SIMD kernels. A block of B weights (B % 5 ==
// 0) takes B/5 bytes; byte p of the block holds elements p + j * B/5
// (j = 0..4) as the digits of d = sum_j (w + 1) * 3^(4-j), stored as
// q = ceil(d * 256 / 243). Digit j is then floor(3 x_j / 256) with
// x_0 = q and x_{j+1} = 3 x_j mod 256: byte adds and two unsigned compares
// (x >= 86, x >= 171) per digit, no division (the TQ1_0 idea).
//
//===----------------------------------------------------------------------===//

#include "compiler/Packings/Kinds/Base3V.h"
#include "compiler/Packings/VectorCodes.h"

using namespace mlir;
using namespace mlir::tern;

uint8_t mlir::tern::base3vEncode(unsigned d) {
  return static_cast<uint8_t>((d * 256 + 242) / 243);
}

unsigned mlir::tern::base3vDigit(uint8_t q, int j) {
  unsigned x = q;
  for (int i = 0; i < j; ++i)
    x = (x * 3) & 255;
  return (x * 3) >> 8;
}

namespace {

void packBase3V(int64_t b, const int8_t *t, int64_t k, uint8_t *out) {
  const int64_t q = b / 5;
  for (int64_t blk = 0; blk < k / b; ++blk)
    for (int64_t p = 0; p < q; ++p) {
      unsigned d = 0;
      for (int j = 0; j < 5; ++j)
        d = d * 3 + unsigned(t[blk * b + p + j * q] + 1);
      out[blk * q + p] = base3vEncode(d);
    }
}

bool unpackBase3V(int64_t b, const uint8_t *in, int64_t k, int8_t *t) {
  const int64_t q = b / 5;
  for (int64_t blk = 0; blk < k / b; ++blk)
    for (int64_t p = 0; p < q; ++p) {
      const uint8_t byte = in[blk * q + p];
      unsigned d = 0;
      for (int j = 0; j < 5; ++j) {
        const unsigned digit = base3vDigit(byte, j);
        d = d * 3 + digit;
        t[blk * b + p + j * q] = static_cast<int8_t>(int(digit) - 1);
      }
      if (base3vEncode(d) != byte)
        return false; // a byte the encoder never writes
    }
  return true;
}

Value packedByte(IndexArith &a, Value unpacked, Value row, Value c,
                 const Layout &l, int64_t) {
  const int64_t bytes = l.blockBytes();
  Value base = a.mul(a.div(c, a.idx(bytes)), a.idx(l.block));
  Value p = a.rem(c, a.idx(bytes));
  Value d = a.i32(0);
  for (int64_t j = 0; j < 5; ++j) {
    Value col = a.add(base, a.add(p, a.idx(j * bytes)));
    d = a.add(a.mul(d, a.i32(3)),
              a.add(a.weight(unpacked, row, col), a.i32(1)));
  }
  return a.div(a.add(a.mul(d, a.i32(256)), a.i32(242)), a.i32(243));
}

Value weight(IndexArith &a, Value packed, Value row, Value col,
             const Layout &l, int64_t) {
  // digit j = floor(3 x / 256), x = 3^j * byte mod 256.
  const int64_t bytes = l.blockBytes();
  Value r = a.rem(col, a.idx(l.block));
  Value start = a.mul(a.div(col, a.idx(l.block)), a.idx(bytes));
  Value j = a.div(r, a.idx(bytes));
  Value byte = a.byte(packed, row, a.add(start, a.rem(r, a.idx(bytes))));
  Value x = a.rem(a.mul(byte, a.pow3(j)), a.i32(256));
  return a.sub(a.div(a.mul(x, a.i32(3)), a.i32(256)), a.i32(1));
}

SmallVector<Value> vectorCodes(OpBuilder &b, Location loc, Value bytes,
                               int64_t offset) {
  // digit j = (x >= 86) + (x >= 171), then x = 3x mod 256.
  auto atLeast = [&](Value x, int64_t c) -> Value {
    Value ge = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, x,
                                     splatLike(b, loc, x, c));
    return arith::ExtUIOp::create(b, loc, x.getType(), ge);
  };
  SmallVector<Value> out;
  Value x = bytes;
  for (int j = 0; j < 5; ++j) {
    if (j)
      x = arith::AddIOp::create(b, loc, arith::AddIOp::create(b, loc, x, x),
                                x);
    Value c = arith::AddIOp::create(b, loc, atLeast(x, 86), atLeast(x, 171));
    out.push_back(minusOffset(b, loc, c, offset));
  }
  return out;
}

} // namespace

const Packing &mlir::tern::base3vPacking() {
  static const Packing p = [] {
    Packing p;
    p.name = "base3v";
    p.summary = "1.6 bits per weight: 5 per byte as base-3 digits in vector "
                "order, decoded by byte adds and compares";
    p.blockMultiple = 5;
    p.blockBytes = [](int64_t b) { return b / 5; };
    p.pack = packBase3V;
    p.unpack = unpackBase3V;
    p.buildPackedByte = packedByte;
    p.buildWeight = weight;
    p.vectorPositions = 5;
    p.vectorCodes = vectorCodes;
    p.tuneBlocks = [](int64_t k) { return SmallVector<int64_t>{320, k}; };
    return p;
  }();
  return p;
}
