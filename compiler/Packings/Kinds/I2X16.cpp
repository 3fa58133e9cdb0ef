//===- I2X16.cpp - The i2x16 packing: 16 rows interleaved in 4-byte lanes -===//
//
// Code w + 1 in 2 bits, as i2, for kernels whose i32 vector lanes are
// output columns (compiler/Kernels/LaneSkeleton.cpp). Rows go in groups of
// 16 (N % 16 == 0), each group's 16 * K/4 bytes contiguous, in chunks of 64
// bytes per 16 weights of each row: byte 4l + i of chunk c holds, at bit
// shift 6 - 2j (position j < 4), row l's weight 16c + 4j + i. So one
// vector of 64 bytes, its position j masked out, is 16 lanes of 4
// consecutive weights of 16 rows, which one vpdpbusd multiplies by 4
// activations broadcast to every lane. The block (B % 16 == 0) does not
// change the order.
//
//===----------------------------------------------------------------------===//

#include "compiler/Packings/Packing.h"

using namespace mlir;
using namespace mlir::tern;

namespace {
constexpr int64_t kRows = 16;

/// The bit shift of position j's code in its byte.
int64_t fieldShift(int64_t j) { return 6 - 2 * j; }

void packGroup(int64_t, const int8_t *t, int64_t k, uint8_t *out) {
  for (int64_t c = 0; c < k / 16; ++c)
    for (int64_t l = 0; l < kRows; ++l)
      for (int64_t i = 0; i < 4; ++i) {
        unsigned byte = 0;
        for (int64_t j = 0; j < 4; ++j)
          byte |= unsigned(t[l * k + 16 * c + 4 * j + i] + 1) << fieldShift(j);
        out[c * 64 + 4 * l + i] = static_cast<uint8_t>(byte);
      }
}

bool unpackGroup(int64_t, const uint8_t *in, int64_t k, int8_t *t) {
  for (int64_t c = 0; c < k / 16; ++c)
    for (int64_t l = 0; l < kRows; ++l)
      for (int64_t i = 0; i < 4; ++i)
        for (int64_t j = 0; j < 4; ++j) {
          const unsigned code = (in[c * 64 + 4 * l + i] >> fieldShift(j)) & 3u;
          if (code == 3)
            return false;
          t[l * k + 16 * c + 4 * j + i] = static_cast<int8_t>(int(code) - 1);
        }
  return true;
}

Value packedByte(IndexArith &a, Value unpacked, Value row, Value c,
                 const Layout &l, int64_t k) {
  // Byte f of its group (f = (row % 16) * rowBytes + c): chunk f / 64,
  // lane (f % 64) / 4, byte f % 4 of the lane.
  Value f = a.add(a.mul(a.rem(row, a.idx(kRows)), a.idx(l.rowBytes(k))), c);
  Value r = a.add(a.sub(row, a.rem(row, a.idx(kRows))),
                  a.div(a.rem(f, a.idx(64)), a.idx(4)));
  Value first =
      a.add(a.mul(a.div(f, a.idx(64)), a.idx(16)), a.rem(f, a.idx(4)));
  Value byte = a.i32(0);
  for (int64_t j = 0; j < 4; ++j) {
    Value code = a.add(a.weight(unpacked, r, a.add(first, a.idx(4 * j))),
                       a.i32(1));
    byte = a.bitOr(byte, a.shl(code, a.i32(fieldShift(j))));
  }
  return byte;
}

Value weight(IndexArith &a, Value packed, Value row, Value col,
             const Layout &l, int64_t k) {
  const int64_t rowBytes = l.rowBytes(k);
  Value lane = a.rem(row, a.idx(kRows));
  Value within = a.rem(col, a.idx(16));
  // Byte f of the group: chunk col / 16, lane, byte col % 4.
  Value f = a.add(a.mul(a.div(col, a.idx(16)), a.idx(64)),
                  a.add(a.mul(lane, a.idx(4)), a.rem(within, a.idx(4))));
  Value byte = a.byte(packed, a.add(a.sub(row, lane), a.div(f, a.idx(rowBytes))),
                      a.rem(f, a.idx(rowBytes)));
  Value j = a.indexToI32(a.div(within, a.idx(4)));
  Value shift = a.sub(a.i32(6), a.mul(j, a.i32(2)));
  return a.sub(a.bitAnd(a.shr(byte, shift), a.i32(3)), a.i32(1));
}

} // namespace

const Packing &mlir::tern::i2x16Packing() {
  static const Packing p = [] {
    Packing p;
    p.name = "i2x16";
    p.summary = "2 bits per weight (code w + 1), 16 rows interleaved in "
                "4-byte lanes, for kernels with one output column per lane";
    p.blockMultiple = 16;
    p.rowGroup = kRows;
    p.blockBytes = [](int64_t b) { return b / 4; };
    p.pack = packGroup;
    p.unpack = unpackGroup;
    p.buildPackedByte = packedByte;
    p.buildWeight = weight;
    p.fieldShift = fieldShift;
    p.tuneBlocks = [](int64_t k) { return SmallVector<int64_t>{k}; };
    return p;
  }();
  return p;
}
