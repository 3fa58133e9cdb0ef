//===- I2.cpp - The i2 packing: 2 bits per weight -------------------------===//
//
// Code w + 1 in 2 bits. A block of B weights (B % 4 == 0) takes B/4 bytes;
// byte p of the block holds elements p, p + B/4, p + 2B/4, p + 3B/4 at bit
// shifts 6, 4, 2, 0 (vector order with 4 positions). With B = 128 this is
// bitnet.cpp's I2_S byte order.
//
//===----------------------------------------------------------------------===//

#include "compiler/Packings/Packing.h"
#include "compiler/Packings/VectorCodes.h"

using namespace mlir;
using namespace mlir::tern;

namespace {

/// The bit shift of position j's code in its byte.
int64_t fieldShift(int64_t j) { return 6 - 2 * j; }

void packI2(int64_t b, const int8_t *t, int64_t k, uint8_t *out) {
  const int64_t q = b / 4;
  for (int64_t blk = 0; blk < k / b; ++blk) {
    const int8_t *w = t + blk * b;
    for (int64_t p = 0; p < q; ++p) {
      unsigned byte = 0;
      for (int j = 0; j < 4; ++j)
        byte |= unsigned(w[p + j * q] + 1) << fieldShift(j);
      out[blk * q + p] = static_cast<uint8_t>(byte);
    }
  }
}

bool unpackI2(int64_t b, const uint8_t *in, int64_t k, int8_t *t) {
  const int64_t q = b / 4;
  for (int64_t blk = 0; blk < k / b; ++blk)
    for (int64_t p = 0; p < q; ++p)
      for (int j = 0; j < 4; ++j) {
        const unsigned code = (in[blk * q + p] >> fieldShift(j)) & 3u;
        if (code == 3)
          return false;
        t[blk * b + p + j * q] = static_cast<int8_t>(int(code) - 1);
      }
  return true;
}

Value packedByte(IndexArith &a, Value unpacked, Value row, Value c,
                 const Layout &l, int64_t) {
  const int64_t bytes = l.blockBytes();
  Value base = a.mul(a.div(c, a.idx(bytes)), a.idx(l.block));
  Value p = a.rem(c, a.idx(bytes));
  Value byte = a.i32(0);
  for (int64_t j = 0; j < 4; ++j) {
    Value col = a.add(base, a.add(p, a.idx(j * bytes)));
    Value code = a.add(a.weight(unpacked, row, col), a.i32(1));
    byte = a.bitOr(byte, a.shl(code, a.i32(fieldShift(j))));
  }
  return byte;
}

Value weight(IndexArith &a, Value packed, Value row, Value col,
             const Layout &l, int64_t) {
  const int64_t bytes = l.blockBytes();
  Value r = a.rem(col, a.idx(l.block));
  Value start = a.mul(a.div(col, a.idx(l.block)), a.idx(bytes));
  Value j = a.div(r, a.idx(bytes));
  Value byte = a.byte(packed, row, a.add(start, a.rem(r, a.idx(bytes))));
  Value shift = a.sub(a.i32(6), a.mul(a.indexToI32(j), a.i32(2)));
  return a.sub(a.bitAnd(a.shr(byte, shift), a.i32(3)), a.i32(1));
}

SmallVector<Value> vectorCodes(OpBuilder &b, Location loc, Value bytes,
                               int64_t offset) {
  SmallVector<Value> out;
  for (int j = 0; j < 4; ++j) {
    Value c = arith::AndIOp::create(
        b, loc,
        arith::ShRUIOp::create(b, loc, bytes,
                               splatLike(b, loc, bytes, fieldShift(j))),
        splatLike(b, loc, bytes, 3));
    out.push_back(minusOffset(b, loc, c, offset));
  }
  return out;
}

} // namespace

const Packing &mlir::tern::i2Packing() {
  static const Packing p = [] {
    Packing p;
    p.name = "i2";
    p.summary = "2 bits per weight (code w + 1) in vector order; block 128 "
                "is bitnet.cpp's I2_S";
    p.blockMultiple = 4;
    p.blockBytes = [](int64_t b) { return b / 4; };
    p.pack = packI2;
    p.unpack = unpackI2;
    p.buildPackedByte = packedByte;
    p.buildWeight = weight;
    p.vectorPositions = 4;
    p.vectorCodes = vectorCodes;
    p.fieldShift = fieldShift;
    p.tuneBlocks = [](int64_t k) { return SmallVector<int64_t>{128, 256, k}; };
    return p;
  }();
  return p;
}
