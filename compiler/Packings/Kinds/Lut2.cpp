//===- Lut2.cpp - The lut2 packing: pair indices per row ------------------===//
//
// Two weights per 4-bit index 3 (w0 + 1) + (w1 + 1) (0..8). A block of B
// weights (B % 4 == 0) takes B/4 bytes; byte p holds pair p (elements 2p,
// 2p + 1) in its low nibble and pair p + B/4 (elements 2p + B/2,
// 2p + B/2 + 1) in its high nibble. No kernel reads it; it has the
// reference lowering only.
//
//===----------------------------------------------------------------------===//

#include "compiler/Packings/Packing.h"

using namespace mlir;
using namespace mlir::tern;

namespace {

void packLut2(int64_t b, const int8_t *t, int64_t k, uint8_t *out) {
  const int64_t q = b / 4;
  for (int64_t blk = 0; blk < k / b; ++blk) {
    const int8_t *w = t + blk * b;
    auto pair = [&](int64_t g) {
      return unsigned(3 * (w[2 * g] + 1) + (w[2 * g + 1] + 1));
    };
    for (int64_t p = 0; p < q; ++p)
      out[blk * q + p] = static_cast<uint8_t>(pair(p) | (pair(p + q) << 4));
  }
}

bool unpackLut2(int64_t b, const uint8_t *in, int64_t k, int8_t *t) {
  const int64_t q = b / 4;
  for (int64_t blk = 0; blk < k / b; ++blk)
    for (int64_t p = 0; p < q; ++p)
      for (int half = 0; half < 2; ++half) {
        const unsigned nib = (in[blk * q + p] >> (4 * half)) & 15u;
        if (nib > 8)
          return false;
        int8_t *w = t + blk * b + 2 * (p + half * q);
        w[0] = static_cast<int8_t>(int(nib / 3) - 1);
        w[1] = static_cast<int8_t>(int(nib % 3) - 1);
      }
  return true;
}

Value packedByte(IndexArith &a, Value unpacked, Value row, Value c,
                 const Layout &l, int64_t) {
  const int64_t bytes = l.blockBytes();
  Value base = a.mul(a.div(c, a.idx(bytes)), a.idx(l.block));
  Value p = a.rem(c, a.idx(bytes));
  auto pair = [&](Value g) {
    Value first = a.add(base, a.mul(g, a.idx(2)));
    Value w0 = a.add(a.weight(unpacked, row, first), a.i32(1));
    Value w1 = a.add(a.weight(unpacked, row, a.add(first, a.idx(1))),
                     a.i32(1));
    return a.add(a.mul(w0, a.i32(3)), w1);
  };
  return a.bitOr(pair(p), a.shl(pair(a.add(p, a.idx(bytes))), a.i32(4)));
}

Value weight(IndexArith &a, Value packed, Value row, Value col,
             const Layout &l, int64_t) {
  const int64_t bytes = l.blockBytes();
  Value r = a.rem(col, a.idx(l.block));
  Value start = a.mul(a.div(col, a.idx(l.block)), a.idx(bytes));
  Value g = a.div(r, a.idx(2));
  Value second = a.eq(a.rem(r, a.idx(2)), a.idx(1));
  Value half = a.div(g, a.idx(bytes));
  Value byte = a.byte(packed, row, a.add(start, a.rem(g, a.idx(bytes))));
  Value shift = a.mul(a.indexToI32(half), a.i32(4));
  Value nib = a.bitAnd(a.shr(byte, shift), a.i32(15));
  Value digit = a.select(second, a.rem(nib, a.i32(3)), a.div(nib, a.i32(3)));
  return a.sub(digit, a.i32(1));
}

} // namespace

const Packing &mlir::tern::lut2Packing() {
  static const Packing p = [] {
    Packing p;
    p.name = "lut2";
    p.summary = "2 bits per weight: pairs as 4-bit indices per row (no "
                "kernel reads it)";
    p.blockMultiple = 4;
    p.blockBytes = [](int64_t b) { return b / 4; };
    p.pack = packLut2;
    p.unpack = unpackLut2;
    p.buildPackedByte = packedByte;
    p.buildWeight = weight;
    return p;
  }();
  return p;
}
