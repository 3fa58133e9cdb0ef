//===- TernaryCodec.h - Stored encodings of ternary weight matrices -------===//
//
// A BitNet weight matrix W [N, K] (N output features = rows, K input
// features = cols, values in {-1, 0, +1}) with one float scale per tensor is
// stored in one of these encodings. Elements are numbered row-major
// (e = row * K + col); "code" is value + 1 in {0, 1, 2}.
//
//   I2_S    bitnet.cpp (x86 layout). The whole tensor is one run of blocks
//           of 128 elements in 32 bytes: byte i*32 + p of block i holds
//           elements p, p+32, p+64, p+96 at bit shifts 6, 4, 2, 0 (this is
//           `#tern.layout<i2, block = 128>`, compiler/Packings/Kinds/I2.cpp).
//           After the N*K/4 packed bytes come 32 bytes whose first 4 hold
//           the f32 scale. Tern requires K % 128 == 0 (rows are whole
//           blocks).
//   TQ2_0   ggml. Each row is cut into blocks of 256 elements in 66 bytes:
//           qs[64] then the fp16 scale d. For j in {0, 32} and m in 0..31,
//           byte qs[j + m] holds elements 4j + m + 32n (n = 0..3) at bits
//           2n (as ggml's quantize_row_tq2_0 writes them). K % 256 == 0.
//   TQ1_0   ggml. Blocks of 256 elements in 54 bytes: qs[48], qh[4], fp16 d.
//           Five trits t_0..t_4 per byte as q = ceil(sum_n t_n 3^(4-n) *
//           256 / 243) (t_0 is the most significant trit); trit n decodes as
//           ((uint8_t)(q * 3^n) * 3) >> 8. qs[m] (m < 32) holds elements
//           m + 32n; qs[32 + m] (m < 16) holds 160 + m + 16n; qh[j] holds
//           240 + j + 4n for n = 0..3 (its fifth trit is 0). K % 256 == 0.
//   HfPacked  Hugging Face offline-quantized checkpoints: uint8
//           [N/4, K]; bits 2i..2i+1 of byte (r, k) hold W[i * N/4 + r][k].
//           The scale is a separate tensor (weight_scale). N % 4 == 0.
//   Int8    One int8 per element, row-major. The scale is separate.
//
// For TQ1_0 / TQ2_0, ggml stores one scale per block; a BitNet tensor has
// one scale per tensor, so all blocks must agree (blocks whose elements are
// all zero may carry any scale: ggml's quantizer writes 0 there).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_MODEL_TERNARYCODEC_H
#define TERN_RUNTIME_MODEL_TERNARYCODEC_H

#include "runtime/model/OrError.h"

#include <cstdint>
#include <string>

namespace tern {

/// How a ternary tensor's values are stored; see the file comment.
enum class TernaryEncoding : uint32_t { I2_S, TQ1_0, TQ2_0, HfPacked, Int8 };

/// "I2_S", "TQ1_0", "TQ2_0", "HF packed", "int8".
const char *ternaryEncodingName(TernaryEncoding encoding);

/// A ternary weight matrix [rows, cols] in its stored encoding: a view of
/// bytes owned elsewhere (a mapped file or a ModelDescription's storage).
struct TernaryTensor {
  /// Name in the source file ("blk.0.attn_q.weight"), for messages.
  std::string name;
  int64_t rows = 0; ///< N, output features.
  int64_t cols = 0; ///< K, input features.
  TernaryEncoding encoding = TernaryEncoding::Int8;
  const uint8_t *data = nullptr;
  uint64_t byteSize = 0;
  /// The per-tensor scale beta: y = (q @ W^T) * scale / s.
  float scale = 1.0f;
};

/// Empty when `encoding` can hold a [rows, cols] matrix, else why not
/// (e.g. "cols 100 is not a multiple of the TQ2_0 block size 256").
std::string checkTernaryShape(TernaryEncoding encoding, int64_t rows,
                              int64_t cols);

/// Bytes a [rows, cols] matrix takes in `encoding` (I2_S includes its 32
/// scale bytes); -1 when checkTernaryShape fails or the size overflows.
int64_t ternaryEncodedBytes(TernaryEncoding encoding, int64_t rows,
                            int64_t cols);

// Encoders. `t` is [rows, cols] row-major with values in {-1, 0, 1}; `out`
// must hold ternaryEncodedBytes(...) bytes. They return false (leaving
// `out` partly written) on a value outside {-1, 0, 1} or a bad shape.

/// I2_S: packed codes, then `scale` as f32 and 28 zero bytes.
bool packI2S(const int8_t *t, int64_t rows, int64_t cols, float scale,
             uint8_t *out);
/// TQ2_0: every block gets d = fp16(scale) (round to nearest even).
bool packTQ2_0(const int8_t *t, int64_t rows, int64_t cols, float scale,
               uint8_t *out);
/// TQ1_0: every block gets d = fp16(scale).
bool packTQ1_0(const int8_t *t, int64_t rows, int64_t cols, float scale,
               uint8_t *out);
/// Hugging Face packed uint8 [rows/4, cols] (the scale is stored apart).
bool packHfTernary(const int8_t *t, int64_t rows, int64_t cols, uint8_t *out);

/// Decodes row `row` of `w` into `out` (w.cols values in {-1, 0, 1}).
/// Returns false when the row is out of range, the data is missing or too
/// short, or it holds an invalid code (2-bit code 3; an int8 outside
/// {-1, 0, 1}). TQ1_0 bytes always decode to valid trits.
bool unpackTernaryRow(const TernaryTensor &w, int64_t row, int8_t *out);

/// Decodes the whole matrix into `out` [rows, cols]; false as above.
bool unpackTernary(const TernaryTensor &w, int8_t *out);

/// Empty when every code of `w` is valid, else a message naming the tensor
/// and the first bad row.
std::string checkTernaryCodes(const TernaryTensor &w);

/// The per-tensor scale stored inside I2_S, TQ1_0 or TQ2_0 bytes (`bytes`
/// long, holding a [rows, cols] matrix). Fails, naming `name`, when the data
/// is too short, the scale is not finite, or (TQ*) two blocks with non-zero
/// elements carry different scales. HfPacked and Int8 have no stored scale
/// (an error).
OrError<float> readStoredTernaryScale(TernaryEncoding encoding,
                                      const std::string &name,
                                      const uint8_t *data, uint64_t bytes,
                                      int64_t rows, int64_t cols);

} // namespace tern

#endif // TERN_RUNTIME_MODEL_TERNARYCODEC_H
