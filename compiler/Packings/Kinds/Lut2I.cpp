//===- Lut2I.cpp - The lut2i packing: pair indices interleaved by 32 rows -===//
//
// Pairs of weights as a 4-bit index 3(w0 + 1) + (w1 + 1) (0..8), for the
// lookup-table kernel families (2 bits per weight). Rows go in groups of
// 32 (N % 32 == 0), each group's 32 * K/4 bytes contiguous; pair p of a
// group (elements 2p, 2p+1 of its rows) takes the 16 bytes at p * 16,
// byte i holding row i's index in its low nibble and row i + 16's in its
// high nibble, so that one byte shuffle looks up 16 rows at once. The
// block (B % 4 == 0) does not change the order.
//
//===----------------------------------------------------------------------===//

#include "compiler/Packings/Packing.h"

using namespace mlir;
using namespace mlir::tern;

namespace {
constexpr int64_t kRows = 32;

void packGroup(int64_t, const int8_t *t, int64_t k, uint8_t *out) {
  auto index = [&](int64_t row, int64_t p) {
    const int8_t *w = t + row * k + 2 * p;
    return unsigned(3 * (w[0] + 1) + (w[1] + 1));
  };
  for (int64_t p = 0; p < k / 2; ++p)
    for (int64_t i = 0; i < 16; ++i)
      out[p * 16 + i] =
          static_cast<uint8_t>(index(i, p) | (index(i + 16, p) << 4));
}

bool unpackGroup(int64_t, const uint8_t *in, int64_t k, int8_t *t) {
  for (int64_t p = 0; p < k / 2; ++p)
    for (int64_t i = 0; i < 16; ++i)
      for (int half = 0; half < 2; ++half) {
        const unsigned nib = (in[p * 16 + i] >> (4 * half)) & 15u;
        if (nib > 8)
          return false;
        int8_t *w = t + (i + 16 * half) * k + 2 * p;
        w[0] = static_cast<int8_t>(int(nib / 3) - 1);
        w[1] = static_cast<int8_t>(int(nib % 3) - 1);
      }
  return true;
}

Value packedByte(IndexArith &a, Value unpacked, Value row, Value c,
                 const Layout &l, int64_t k) {
  // Byte i of pair p of a group: rows i (low) and i + 16 (high).
  const int64_t rowBytes = l.rowBytes(k);
  Value within = a.add(a.mul(a.rem(row, a.idx(kRows)), a.idx(rowBytes)), c);
  Value r0 = a.add(a.mul(a.div(row, a.idx(kRows)), a.idx(kRows)),
                   a.rem(within, a.idx(16)));
  Value first = a.mul(a.div(within, a.idx(16)), a.idx(2));
  auto index = [&](Value r) {
    Value w0 = a.add(a.weight(unpacked, r, first), a.i32(1));
    Value w1 = a.add(a.weight(unpacked, r, a.add(first, a.idx(1))), a.i32(1));
    return a.add(a.mul(w0, a.i32(3)), w1);
  };
  return a.bitOr(index(r0), a.shl(index(a.add(r0, a.idx(16))), a.i32(4)));
}

Value weight(IndexArith &a, Value packed, Value row, Value col,
             const Layout &l, int64_t k) {
  // Row r of a group is byte r % 16 of each pair's 16, nibble r / 16.
  const int64_t rowBytes = l.rowBytes(k);
  Value ri = a.rem(row, a.idx(kRows));
  Value flat = a.add(
      a.mul(a.div(row, a.idx(kRows)), a.idx(kRows * rowBytes)),
      a.add(a.mul(a.div(col, a.idx(2)), a.idx(16)), a.rem(ri, a.idx(16))));
  Value byte = a.byte(packed, a.div(flat, a.idx(rowBytes)),
                      a.rem(flat, a.idx(rowBytes)));
  Value shift = a.mul(a.indexToI32(a.div(ri, a.idx(16))), a.i32(4));
  Value nib = a.bitAnd(a.shr(byte, shift), a.i32(15));
  Value second = a.eq(a.rem(col, a.idx(2)), a.idx(1));
  Value digit = a.select(second, a.rem(nib, a.i32(3)), a.div(nib, a.i32(3)));
  return a.sub(digit, a.i32(1));
}

} // namespace

const Packing &mlir::tern::lut2iPacking() {
  static const Packing p = [] {
    Packing p;
    p.name = "lut2i";
    p.summary = "2 bits per weight: pairs as 4-bit indices interleaved "
                "across groups of 32 rows, for lookup-table kernels";
    p.blockMultiple = 4;
    p.rowGroup = kRows;
    p.blockBytes = [](int64_t b) { return b / 4; };
    p.pack = packGroup;
    p.unpack = unpackGroup;
    p.buildPackedByte = packedByte;
    p.buildWeight = weight;
    p.tuneBlocks = [](int64_t k) { return SmallVector<int64_t>{k}; };
    return p;
  }();
  return p;
}
