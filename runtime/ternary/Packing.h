//===- Packing.h - Packed layouts of ternary weight matrices -------------===//
//
// A ternary weight matrix [N, K] (values {-1, 0, +1}) is stored row by row;
// each row of K weights is split into blocks of `block` consecutive weights,
// and each block is packed independently into a fixed number of bytes. The
// layouts are the ones `#tern.layout<kind, block = B>` names in the IR:
//
//   i2    2 bits per weight, code = w + 1. A block of B weights (B % 4 == 0)
//         takes B/4 bytes; byte p of the block holds elements
//         p, p + B/4, p + 2B/4, p + 3B/4 at bit shifts 6, 4, 2, 0.
//         With B = 128 this is bitnet.cpp's I2_S byte order.
//   lut2  Two weights per 4-bit index (3 * (w0 + 1) + (w1 + 1), 0..8), the
//         grouping a lookup-table kernel indexes with one byte shuffle.
//         A block of B weights (B % 4 == 0) takes B/4 bytes; byte p holds
//         group p (elements 2p, 2p+1) in its low nibble and group p + B/4
//         (elements 2p + B/2, 2p + B/2 + 1) in its high nibble.
//   base3 Five weights per byte as a base-3 number sum_i (w_i + 1) * 3^i
//         (1.6 bits per weight). A block of B weights takes ceil(B/5) bytes;
//         a short last group is padded with zeros (code 1).
//   base3v Base 3 in vector order, for SIMD kernels (1.6 bits per weight).
//         A block of B weights (B % 5 == 0) takes B/5 bytes; byte p of the
//         block holds elements p + j*B/5 (j = 0..4) as the digits of
//         d = sum_j (w + 1) * 3^(4-j), stored as q = ceil(d * 256 / 243).
//         Digit j is then floor(3 * x_j / 256) with x_0 = q and
//         x_{j+1} = 3 * x_j mod 256: byte adds and two unsigned compares
//         (x >= 86, x >= 171) per digit, no division (the TQ1_0 idea).
//   lut2i Pairs of weights as lut2's 4-bit index, interleaved across rows
//         for lookup-table kernels (2 bits per weight): rows go in groups
//         of 32 (N % 32 == 0), each group's 32 * K/4 bytes contiguous;
//         pair p of a group (elements 2p, 2p+1 of its rows) takes the 16
//         bytes at p * 16, byte i holding row i's index in its low nibble
//         and row i + 16's in its high nibble. One byte shuffle then looks
//         up 16 or 32 rows' partial sums for one pair of activations. The
//         block (B % 4 == 0) does not change the order.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_TERNARY_PACKING_H
#define TERN_RUNTIME_TERNARY_PACKING_H

#include <cstdint>
#include <string>

namespace tern {

enum class PackingKind : uint32_t {
  I2 = 0,
  Lut2 = 1,
  Base3 = 2,
  Base3V = 3,
  Lut2I = 4
};

struct PackedLayout {
  PackingKind kind;
  int64_t block;
};

/// base3v's stored byte for the digit value d (0..242), and digit j (0..4,
/// most significant first) of a stored byte q.
uint8_t base3vEncode(unsigned d);
unsigned base3vDigit(uint8_t q, int j);

/// Canonical spelling used in the IR and in error messages ("i2", ...).
const char *packingKindName(PackingKind kind);

/// Empty when `layout` can pack rows of `k` weights, else why not.
std::string checkPackedLayout(PackedLayout layout, int64_t k);

/// Rows packed together: 32 for lut2i (rows interleaved), else 1.
int64_t packedRowGroup(PackingKind kind);

/// Empty when `layout` can pack an [n, k] matrix (checkPackedLayout, and n a
/// multiple of packedRowGroup), else why not.
std::string checkPackedShape(PackedLayout layout, int64_t n, int64_t k);

/// Bytes one block of `layout.block` weights occupies.
int64_t packedBlockBytes(PackedLayout layout);

/// Bytes one packed row of `k` weights occupies (k must be a multiple of the
/// block; see checkPackedLayout).
int64_t packedRowBytes(PackedLayout layout, int64_t k);

/// Packs t [n, k] (values in {-1, 0, 1}) into out [n, packedRowBytes].
/// Returns false (and writes nothing further) on a value outside {-1, 0, 1}
/// or, for lut2i, n not a multiple of 32.
bool packTernary(PackedLayout layout, const int8_t *t, int64_t n, int64_t k,
                 uint8_t *out);

/// Unpacks in [n, packedRowBytes] into t [n, k]. Returns false if a code is
/// not a valid ternary code for the layout (2-bit code 3, nibble > 8, byte >
/// 242 in base3, a byte no digits encode in base3v) or, for lut2i, n is not
/// a multiple of 32.
bool unpackTernary(PackedLayout layout, const uint8_t *in, int64_t n,
                   int64_t k, int8_t *t);

} // namespace tern

#endif // TERN_RUNTIME_TERNARY_PACKING_H
