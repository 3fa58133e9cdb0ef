//===- TernaryCodec.cpp - Stored encodings of ternary weight matrices -----===//

#include "runtime/model/TernaryCodec.h"

#include "runtime/model/Half.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>

namespace tern {
namespace {

constexpr int64_t kQK = 256;           // TQ1_0 / TQ2_0 block size.
constexpr int64_t kTQ2Bytes = 66;      // qs[64] + fp16 d.
constexpr int64_t kTQ1Bytes = 54;      // qs[48] + qh[4] + fp16 d.
constexpr int64_t kI2SBlock = 128;     // I2_S block size.
constexpr int64_t kI2SScaleBytes = 32; // Trailing bytes; f32 scale first.
constexpr uint8_t kPow3[6] = {1, 3, 9, 27, 81, 243};

bool isTernary(int8_t v) { return v >= -1 && v <= 1; }

/// I2_S blocks of 128 elements in 32 bytes: byte p holds elements p, p+32,
/// p+64, p+96 at shifts 6, 4, 2, 0 (n a multiple of 128).
void packI2SBlocks(const int8_t *t, int64_t n, uint8_t *out) {
  constexpr int64_t q = kI2SBlock / 4;
  for (int64_t blk = 0; blk < n / kI2SBlock; ++blk)
    for (int64_t p = 0; p < q; ++p) {
      unsigned byte = 0;
      for (int j = 0; j < 4; ++j)
        byte |= unsigned(t[blk * kI2SBlock + p + j * q] + 1) << (6 - 2 * j);
      out[blk * q + p] = static_cast<uint8_t>(byte);
    }
}

bool unpackI2SBlocks(const uint8_t *in, int64_t n, int8_t *t) {
  constexpr int64_t q = kI2SBlock / 4;
  for (int64_t blk = 0; blk < n / kI2SBlock; ++blk)
    for (int64_t p = 0; p < q; ++p)
      for (int j = 0; j < 4; ++j) {
        const unsigned code = (in[blk * q + p] >> (6 - 2 * j)) & 3u;
        if (code == 3)
          return false;
        t[blk * kI2SBlock + p + j * q] = static_cast<int8_t>(int(code) - 1);
      }
  return true;
}

bool allTernary(const int8_t *t, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!isTernary(t[i]))
      return false;
  return true;
}

/// Packs five (or fewer, padded with the zero trit 0) codes, most significant
/// first, into one TQ1_0 byte: ceil(q * 256 / 243).
uint8_t packTrits(const unsigned *codes, int count) {
  unsigned q = 0;
  for (int n = 0; n < 5; ++n)
    q = q * 3 + (n < count ? codes[n] : 0u);
  return static_cast<uint8_t>((q * 256 + 242) / 243);
}

/// Trit n (0 = most significant) of a TQ1_0 byte.
int8_t unpackTrit(uint8_t byte, int n) {
  const uint8_t q = static_cast<uint8_t>(byte * kPow3[n]);
  return static_cast<int8_t>(((unsigned(q) * 3) >> 8) - 1);
}

void packTQ1Block(const int8_t *x, uint16_t d, uint8_t *out) {
  unsigned codes[5];
  for (int m = 0; m < 32; ++m) {
    for (int n = 0; n < 5; ++n)
      codes[n] = unsigned(x[m + 32 * n] + 1);
    out[m] = packTrits(codes, 5);
  }
  for (int m = 0; m < 16; ++m) {
    for (int n = 0; n < 5; ++n)
      codes[n] = unsigned(x[160 + m + 16 * n] + 1);
    out[32 + m] = packTrits(codes, 5);
  }
  for (int j = 0; j < 4; ++j) {
    for (int n = 0; n < 4; ++n)
      codes[n] = unsigned(x[240 + j + 4 * n] + 1);
    out[48 + j] = packTrits(codes, 4);
  }
  std::memcpy(out + 52, &d, 2);
}

void unpackTQ1Block(const uint8_t *in, int8_t *x) {
  for (int n = 0; n < 5; ++n)
    for (int m = 0; m < 32; ++m)
      x[m + 32 * n] = unpackTrit(in[m], n);
  for (int n = 0; n < 5; ++n)
    for (int m = 0; m < 16; ++m)
      x[160 + m + 16 * n] = unpackTrit(in[32 + m], n);
  for (int n = 0; n < 4; ++n)
    for (int j = 0; j < 4; ++j)
      x[240 + j + 4 * n] = unpackTrit(in[48 + j], n);
}

void packTQ2Block(const int8_t *x, uint16_t d, uint8_t *out) {
  for (int j = 0; j < 64; j += 32)
    for (int m = 0; m < 32; ++m) {
      unsigned q = 0;
      for (int n = 0; n < 4; ++n)
        q |= unsigned(x[4 * j + m + 32 * n] + 1) << (2 * n);
      out[j + m] = static_cast<uint8_t>(q);
    }
  std::memcpy(out + 64, &d, 2);
}

bool unpackTQ2Block(const uint8_t *in, int8_t *x) {
  for (int j = 0; j < 64; j += 32)
    for (int m = 0; m < 32; ++m)
      for (int n = 0; n < 4; ++n) {
        const unsigned code = (in[j + m] >> (2 * n)) & 3u;
        if (code == 3)
          return false;
        x[4 * j + m + 32 * n] = static_cast<int8_t>(int(code) - 1);
      }
  return true;
}

uint16_t blockScaleBits(const uint8_t *block, int64_t blockBytes) {
  uint16_t d;
  std::memcpy(&d, block + blockBytes - 2, 2);
  return d;
}

std::string formatScale(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", double(v));
  return buf;
}

} // namespace

const char *ternaryEncodingName(TernaryEncoding encoding) {
  switch (encoding) {
  case TernaryEncoding::I2_S:
    return "I2_S";
  case TernaryEncoding::TQ1_0:
    return "TQ1_0";
  case TernaryEncoding::TQ2_0:
    return "TQ2_0";
  case TernaryEncoding::HfPacked:
    return "HF packed";
  case TernaryEncoding::Int8:
    return "int8";
  }
  return "unknown";
}

std::string checkTernaryShape(TernaryEncoding encoding, int64_t rows,
                              int64_t cols) {
  if (rows <= 0 || cols <= 0)
    return "shape [" + std::to_string(rows) + ", " + std::to_string(cols) +
           "] is not positive";
  if (rows > std::numeric_limits<int64_t>::max() / cols)
    return "element count overflows int64";
  auto multiple = [&](const char *what, int64_t v, int64_t block) {
    return std::string(what) + " " + std::to_string(v) +
           " is not a multiple of the " + ternaryEncodingName(encoding) +
           " block size " + std::to_string(block);
  };
  switch (encoding) {
  case TernaryEncoding::I2_S:
    return cols % kI2SBlock ? multiple("cols", cols, kI2SBlock) : "";
  case TernaryEncoding::TQ1_0:
  case TernaryEncoding::TQ2_0:
    return cols % kQK ? multiple("cols", cols, kQK) : "";
  case TernaryEncoding::HfPacked:
    return rows % 4 ? "rows " + std::to_string(rows) +
                          " is not a multiple of 4 (HF packed)"
                    : "";
  case TernaryEncoding::Int8:
    return "";
  }
  return "unknown encoding";
}

int64_t ternaryEncodedBytes(TernaryEncoding encoding, int64_t rows,
                            int64_t cols) {
  if (!checkTernaryShape(encoding, rows, cols).empty())
    return -1;
  const int64_t n = rows * cols;
  switch (encoding) {
  case TernaryEncoding::I2_S:
    return n / 4 + kI2SScaleBytes;
  case TernaryEncoding::TQ1_0:
    return n / kQK * kTQ1Bytes; // <= n / 4: no overflow.
  case TernaryEncoding::TQ2_0:
    return n / kQK * kTQ2Bytes;
  case TernaryEncoding::HfPacked:
    return n / 4;
  case TernaryEncoding::Int8:
    return n;
  }
  return -1;
}

bool packI2S(const int8_t *t, int64_t rows, int64_t cols, float scale,
             uint8_t *out) {
  if (ternaryEncodedBytes(TernaryEncoding::I2_S, rows, cols) < 0)
    return false;
  // The tensor is one run of 128-element blocks: pack it as a single row.
  const int64_t n = rows * cols;
  if (!allTernary(t, n))
    return false;
  packI2SBlocks(t, n, out);
  std::memset(out + n / 4, 0, kI2SScaleBytes);
  std::memcpy(out + n / 4, &scale, sizeof scale);
  return true;
}

/// Packs whole 256-weight blocks with one fp16 scale each (TQ1_0, TQ2_0).
template <typename PackBlock>
static bool packTQBlocks(TernaryEncoding encoding, PackBlock packBlock,
                         int64_t blockBytes, const int8_t *t, int64_t rows,
                         int64_t cols, float scale, uint8_t *out) {
  if (ternaryEncodedBytes(encoding, rows, cols) < 0)
    return false;
  if (!allTernary(t, rows * cols))
    return false;
  const uint16_t d = floatToFp16(scale);
  const int64_t blocks = rows * cols / kQK;
  for (int64_t b = 0; b < blocks; ++b)
    packBlock(t + b * kQK, d, out + b * blockBytes);
  return true;
}

bool packTQ2_0(const int8_t *t, int64_t rows, int64_t cols, float scale,
               uint8_t *out) {
  return packTQBlocks(TernaryEncoding::TQ2_0, packTQ2Block, kTQ2Bytes, t, rows,
                      cols, scale, out);
}

bool packTQ1_0(const int8_t *t, int64_t rows, int64_t cols, float scale,
               uint8_t *out) {
  return packTQBlocks(TernaryEncoding::TQ1_0, packTQ1Block, kTQ1Bytes, t, rows,
                      cols, scale, out);
}

bool packHfTernary(const int8_t *t, int64_t rows, int64_t cols, uint8_t *out) {
  if (ternaryEncodedBytes(TernaryEncoding::HfPacked, rows, cols) < 0 ||
      !allTernary(t, rows * cols))
    return false;
  const int64_t quarter = rows / 4;
  for (int64_t r = 0; r < quarter; ++r)
    for (int64_t k = 0; k < cols; ++k) {
      unsigned byte = 0;
      for (int i = 0; i < 4; ++i)
        byte |= unsigned(t[(i * quarter + r) * cols + k] + 1) << (2 * i);
      out[r * cols + k] = static_cast<uint8_t>(byte);
    }
  return true;
}

bool unpackTernaryRow(const TernaryTensor &w, int64_t row, int8_t *out) {
  const int64_t need = ternaryEncodedBytes(w.encoding, w.rows, w.cols);
  if (need < 0 || !w.data || w.byteSize < static_cast<uint64_t>(need) ||
      row < 0 || row >= w.rows)
    return false;
  const int64_t k = w.cols;
  switch (w.encoding) {
  case TernaryEncoding::I2_S:
    // Rows are whole 128-element blocks (k % 128 == 0).
    return unpackI2SBlocks(w.data + row * (k / 4), k, out);
  case TernaryEncoding::TQ2_0: {
    const uint8_t *in = w.data + row * (k / kQK) * kTQ2Bytes;
    for (int64_t b = 0; b < k / kQK; ++b)
      if (!unpackTQ2Block(in + b * kTQ2Bytes, out + b * kQK))
        return false;
    return true;
  }
  case TernaryEncoding::TQ1_0: {
    const uint8_t *in = w.data + row * (k / kQK) * kTQ1Bytes;
    for (int64_t b = 0; b < k / kQK; ++b)
      unpackTQ1Block(in + b * kTQ1Bytes, out + b * kQK);
    return true;
  }
  case TernaryEncoding::HfPacked: {
    const int64_t quarter = w.rows / 4;
    const int shift = static_cast<int>(2 * (row / quarter));
    const uint8_t *in = w.data + (row % quarter) * k;
    for (int64_t c = 0; c < k; ++c) {
      const unsigned code = (in[c] >> shift) & 3u;
      if (code == 3)
        return false;
      out[c] = static_cast<int8_t>(int(code) - 1);
    }
    return true;
  }
  case TernaryEncoding::Int8: {
    std::memcpy(out, w.data + row * k, static_cast<size_t>(k));
    return allTernary(out, k);
  }
  }
  return false;
}

bool unpackTernary(const TernaryTensor &w, int8_t *out) {
  for (int64_t r = 0; r < w.rows; ++r)
    if (!unpackTernaryRow(w, r, out + r * w.cols))
      return false;
  return w.rows > 0;
}

std::string checkTernaryCodes(const TernaryTensor &w) {
  const std::string what =
      "tensor '" + w.name + "' (" + ternaryEncodingName(w.encoding) + ")";
  const std::string shape = checkTernaryShape(w.encoding, w.rows, w.cols);
  if (!shape.empty())
    return what + ": " + shape;
  const int64_t need = ternaryEncodedBytes(w.encoding, w.rows, w.cols);
  if (!w.data || w.byteSize < static_cast<uint64_t>(need))
    return what + ": data has " + std::to_string(w.byteSize) +
           " bytes, expected " + std::to_string(need);
  std::string row(static_cast<size_t>(w.cols), '\0');
  for (int64_t r = 0; r < w.rows; ++r)
    if (!unpackTernaryRow(w, r, reinterpret_cast<int8_t *>(&row[0])))
      return what + ": row " + std::to_string(r) +
             " holds an invalid ternary code";
  return {};
}

OrError<float> readStoredTernaryScale(TernaryEncoding encoding,
                                      const std::string &name,
                                      const uint8_t *data, uint64_t bytes,
                                      int64_t rows, int64_t cols) {
  using R = OrError<float>;
  const std::string what =
      "tensor '" + name + "' (" + ternaryEncodingName(encoding) + ")";
  if (encoding == TernaryEncoding::HfPacked ||
      encoding == TernaryEncoding::Int8)
    return R::failure(what + ": the encoding stores no scale");
  const std::string shape = checkTernaryShape(encoding, rows, cols);
  if (!shape.empty())
    return R::failure(what + ": " + shape);
  const int64_t need = ternaryEncodedBytes(encoding, rows, cols);
  if (!data || bytes < static_cast<uint64_t>(need))
    return R::failure(what + ": data has " + std::to_string(bytes) +
                      " bytes, expected " + std::to_string(need));
  // A weight's absmean scale is finite and positive; 0 only where every
  // weight is 0 (the scale multiplies nothing).
  auto checked = [&](float s, const std::function<bool()> &allZero) {
    if (!std::isfinite(s))
      return R::failure(what + ": the scale " + formatScale(s) +
                        " is not finite");
    if (s < 0)
      return R::failure(what + ": the scale " + formatScale(s) +
                        " is negative (an absmean scale is positive)");
    if (s == 0 && !allZero())
      return R::failure(what + ": the scale is 0 but the tensor has "
                               "non-zero weights");
    return R(s);
  };

  if (encoding == TernaryEncoding::I2_S) {
    float s;
    std::memcpy(&s, data + rows * cols / 4, sizeof s);
    return checked(s, [&] {
      // Code 1 (weight 0) in all four 2-bit fields: 0x55.
      for (int64_t i = 0; i < rows * cols / 4; ++i)
        if (data[i] != 0x55)
          return false;
      return true;
    });
  }

  const bool tq1 = encoding == TernaryEncoding::TQ1_0;
  const int64_t blockBytes = tq1 ? kTQ1Bytes : kTQ2Bytes;
  const int64_t blocks = rows * cols / kQK;
  int8_t values[kQK];
  // Whether block b has a non-zero element (a block with a code 3 counts as
  // non-zero: its scale matters).
  auto nonZero = [&](int64_t b) {
    const uint8_t *block = data + b * blockBytes;
    if (tq1)
      unpackTQ1Block(block, values);
    else if (!unpackTQ2Block(block, values))
      return true;
    for (int8_t v : values)
      if (v != 0)
        return true;
    return false;
  };
  // The tensor's scale is that of its first block with a non-zero element
  // (or of block 0 if the tensor is all zeros).
  int64_t ref = 0;
  while (ref < blocks && !nonZero(ref))
    ++ref;
  const bool allZero = ref == blocks;
  if (allZero)
    ref = 0;
  const uint16_t d = blockScaleBits(data + ref * blockBytes, blockBytes);
  for (int64_t b = 0; b < blocks; ++b) {
    const uint16_t db = blockScaleBits(data + b * blockBytes, blockBytes);
    if (db != d && nonZero(b))
      return R::failure(
          what + ": block " + std::to_string(b) + " (row " +
          std::to_string(b / (cols / kQK)) + ") has scale " +
          formatScale(fp16ToFloat(db)) + " but block " + std::to_string(ref) +
          " has " + formatScale(fp16ToFloat(d)) +
          "; a BitNet tensor has one scale per tensor, so all blocks must "
          "agree");
  }
  return checked(fp16ToFloat(d), [&] { return allZero; });
}

} // namespace tern
