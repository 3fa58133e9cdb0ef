//===- Base3.cpp - The base3 packing: 5 weights per byte in order ---------===//
//
// Five consecutive weights per byte as the base-3 number
// sum_i (w_i + 1) * 3^i (1.6 bits per weight). A block of B weights takes
// ceil(B/5) bytes; a short last group is padded with zeros (code 1). No
// kernel reads it; it has the reference lowering only.
//
//===----------------------------------------------------------------------===//

#include "compiler/Packings/Packing.h"

using namespace mlir;
using namespace mlir::tern;

namespace {

int64_t blockBytes(int64_t b) { return (b + 4) / 5; }

void packBase3(int64_t b, const int8_t *t, int64_t k, uint8_t *out) {
  const int64_t bytes = blockBytes(b);
  for (int64_t blk = 0; blk < k / b; ++blk)
    for (int64_t g = 0; g < bytes; ++g) {
      unsigned byte = 0, pow3 = 1;
      for (int64_t i = 0; i < 5; ++i, pow3 *= 3) {
        const int64_t e = 5 * g + i;
        byte += (e < b ? unsigned(t[blk * b + e] + 1) : 1u) * pow3;
      }
      out[blk * bytes + g] = static_cast<uint8_t>(byte);
    }
}

bool unpackBase3(int64_t b, const uint8_t *in, int64_t k, int8_t *t) {
  const int64_t bytes = blockBytes(b);
  for (int64_t blk = 0; blk < k / b; ++blk)
    for (int64_t g = 0; g < bytes; ++g) {
      unsigned byte = in[blk * bytes + g];
      if (byte > 242)
        return false;
      for (int64_t i = 0; i < 5; ++i, byte /= 3)
        if (5 * g + i < b)
          t[blk * b + 5 * g + i] = static_cast<int8_t>(int(byte % 3) - 1);
    }
  return true;
}

Value packedByte(IndexArith &a, Value unpacked, Value row, Value c,
                 const Layout &l, int64_t) {
  // Positions past the block end are zeros (code 1).
  const int64_t bytes = l.blockBytes();
  Value base = a.mul(a.div(c, a.idx(bytes)), a.idx(l.block));
  Value p = a.rem(c, a.idx(bytes));
  Value byte = a.i32(0);
  int64_t pow3 = 1;
  for (int64_t i = 0; i < 5; ++i, pow3 *= 3) {
    Value e = a.add(a.mul(p, a.idx(5)), a.idx(i));
    Value col = a.add(base, a.minu(e, a.idx(l.block - 1)));
    Value code = a.add(a.weight(unpacked, row, col), a.i32(1));
    Value digit = a.select(a.ult(e, a.idx(l.block)), code, a.i32(1));
    byte = a.add(byte, a.mul(digit, a.i32(pow3)));
  }
  return byte;
}

Value weight(IndexArith &a, Value packed, Value row, Value col,
             const Layout &l, int64_t) {
  const int64_t bytes = l.blockBytes();
  Value r = a.rem(col, a.idx(l.block));
  Value start = a.mul(a.div(col, a.idx(l.block)), a.idx(bytes));
  Value byte = a.byte(packed, row, a.add(start, a.div(r, a.idx(5))));
  Value digit = a.rem(a.div(byte, a.pow3(a.rem(r, a.idx(5)))), a.i32(3));
  return a.sub(digit, a.i32(1));
}

} // namespace

const Packing &mlir::tern::base3Packing() {
  static const Packing p = [] {
    Packing p;
    p.name = "base3";
    p.summary = "1.6 bits per weight: 5 consecutive weights per byte as a "
                "base-3 number (no kernel reads it)";
    p.blockMultiple = 1;
    p.blockBytes = blockBytes;
    p.pack = packBase3;
    p.unpack = unpackBase3;
    p.buildPackedByte = packedByte;
    p.buildWeight = weight;
    return p;
  }();
  return p;
}
