//===- Packing.cpp - Packed layouts of ternary weight matrices -----------===//

#include "runtime/ternary/Packing.h"

namespace tern {
namespace {

bool isTernary(int8_t v) { return v >= -1 && v <= 1; }

// One row; `t` points at k weights, `out` at packedRowBytes bytes.
bool packRow(PackedLayout layout, const int8_t *t, int64_t k, uint8_t *out) {
  const int64_t b = layout.block;
  const int64_t blockBytes = packedBlockBytes(layout);
  for (int64_t blk = 0; blk < k / b; ++blk) {
    const int8_t *w = t + blk * b;
    uint8_t *o = out + blk * blockBytes;
    for (int64_t i = 0; i < b; ++i)
      if (!isTernary(w[i]))
        return false;
    switch (layout.kind) {
    case PackingKind::I2: {
      const int64_t q = b / 4;
      for (int64_t p = 0; p < q; ++p) {
        unsigned byte = 0;
        for (int j = 0; j < 4; ++j)
          byte |= unsigned(w[p + j * q] + 1) << (6 - 2 * j);
        o[p] = static_cast<uint8_t>(byte);
      }
      break;
    }
    case PackingKind::Lut2I: // packed by packGroup
      return false;
    case PackingKind::Lut2: {
      const int64_t q = b / 4;
      auto group = [&](int64_t g) {
        return unsigned(3 * (w[2 * g] + 1) + (w[2 * g + 1] + 1));
      };
      for (int64_t p = 0; p < q; ++p)
        o[p] = static_cast<uint8_t>(group(p) | (group(p + q) << 4));
      break;
    }
    case PackingKind::Base3V: {
      const int64_t q = b / 5;
      for (int64_t p = 0; p < q; ++p) {
        unsigned d = 0;
        for (int j = 0; j < 5; ++j)
          d = d * 3 + unsigned(w[p + j * q] + 1);
        o[p] = base3vEncode(d);
      }
      break;
    }
    case PackingKind::Base3: {
      for (int64_t g = 0; g < blockBytes; ++g) {
        unsigned byte = 0, pow3 = 1;
        for (int64_t i = 0; i < 5; ++i, pow3 *= 3) {
          int64_t e = 5 * g + i;
          unsigned code = e < b ? unsigned(w[e] + 1) : 1u;
          byte += code * pow3;
        }
        o[g] = static_cast<uint8_t>(byte);
      }
      break;
    }
    }
  }
  return true;
}

bool unpackRow(PackedLayout layout, const uint8_t *in, int64_t k, int8_t *t) {
  const int64_t b = layout.block;
  const int64_t blockBytes = packedBlockBytes(layout);
  for (int64_t blk = 0; blk < k / b; ++blk) {
    const uint8_t *src = in + blk * blockBytes;
    int8_t *w = t + blk * b;
    switch (layout.kind) {
    case PackingKind::I2: {
      const int64_t q = b / 4;
      for (int64_t p = 0; p < q; ++p)
        for (int j = 0; j < 4; ++j) {
          unsigned code = (src[p] >> (6 - 2 * j)) & 3u;
          if (code == 3)
            return false;
          w[p + j * q] = static_cast<int8_t>(int(code) - 1);
        }
      break;
    }
    case PackingKind::Lut2I: // unpacked by unpackGroup
      return false;
    case PackingKind::Lut2: {
      const int64_t q = b / 4;
      for (int64_t p = 0; p < q; ++p)
        for (int half = 0; half < 2; ++half) {
          unsigned nib = (src[p] >> (4 * half)) & 15u;
          if (nib > 8)
            return false;
          int64_t g = p + half * q;
          w[2 * g] = static_cast<int8_t>(int(nib / 3) - 1);
          w[2 * g + 1] = static_cast<int8_t>(int(nib % 3) - 1);
        }
      break;
    }
    case PackingKind::Base3V: {
      const int64_t q = b / 5;
      for (int64_t p = 0; p < q; ++p) {
        unsigned d = 0;
        for (int j = 0; j < 5; ++j) {
          const unsigned digit = base3vDigit(src[p], j);
          d = d * 3 + digit;
          w[p + j * q] = static_cast<int8_t>(int(digit) - 1);
        }
        if (base3vEncode(d) != src[p])
          return false; // a byte the encoder never writes
      }
      break;
    }
    case PackingKind::Base3: {
      for (int64_t g = 0; g < blockBytes; ++g) {
        unsigned byte = src[g];
        if (byte > 242)
          return false;
        for (int64_t i = 0; i < 5; ++i, byte /= 3) {
          int64_t e = 5 * g + i;
          if (e < b)
            w[e] = static_cast<int8_t>(int(byte % 3) - 1);
        }
      }
      break;
    }
    }
  }
  return true;
}

constexpr int64_t kLut2IRows = 32;

// lut2i: 32 rows of k weights from t (row stride k) into out (32 * k/4
// bytes): pair p's 16 bytes at p * 16, byte i = row i | row i + 16 << 4.
bool packGroup(const int8_t *t, int64_t k, uint8_t *out) {
  for (int64_t i = 0; i < kLut2IRows * k; ++i)
    if (!isTernary(t[i]))
      return false;
  auto index = [&](int64_t row, int64_t p) {
    const int8_t *w = t + row * k + 2 * p;
    return unsigned(3 * (w[0] + 1) + (w[1] + 1));
  };
  for (int64_t p = 0; p < k / 2; ++p)
    for (int64_t i = 0; i < 16; ++i)
      out[p * 16 + i] =
          static_cast<uint8_t>(index(i, p) | (index(i + 16, p) << 4));
  return true;
}

bool unpackGroup(const uint8_t *in, int64_t k, int8_t *t) {
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

} // namespace

uint8_t base3vEncode(unsigned d) {
  return static_cast<uint8_t>((d * 256 + 242) / 243);
}

unsigned base3vDigit(uint8_t q, int j) {
  unsigned x = q;
  for (int i = 0; i < j; ++i)
    x = (x * 3) & 255;
  return (x * 3) >> 8;
}

const char *packingKindName(PackingKind kind) {
  switch (kind) {
  case PackingKind::I2:
    return "i2";
  case PackingKind::Lut2:
    return "lut2";
  case PackingKind::Base3:
    return "base3";
  case PackingKind::Base3V:
    return "base3v";
  case PackingKind::Lut2I:
    return "lut2i";
  }
  return "unknown";
}

std::string checkPackedLayout(PackedLayout layout, int64_t k) {
  const std::string name = packingKindName(layout.kind);
  if (layout.block <= 0)
    return name + " layout needs a positive block size, got " +
           std::to_string(layout.block);
  if ((layout.kind == PackingKind::I2 || layout.kind == PackingKind::Lut2 ||
       layout.kind == PackingKind::Lut2I) &&
      layout.block % 4 != 0)
    return name + " layout needs a block size divisible by 4, got " +
           std::to_string(layout.block);
  if (layout.kind == PackingKind::Base3V && layout.block % 5 != 0)
    return name + " layout needs a block size divisible by 5, got " +
           std::to_string(layout.block);
  if (k <= 0 || k % layout.block != 0)
    return "row length " + std::to_string(k) +
           " is not a positive multiple of the " + name + " block size " +
           std::to_string(layout.block);
  return {};
}

int64_t packedRowGroup(PackingKind kind) {
  return kind == PackingKind::Lut2I ? kLut2IRows : 1;
}

std::string checkPackedShape(PackedLayout layout, int64_t n, int64_t k) {
  std::string why = checkPackedLayout(layout, k);
  if (!why.empty())
    return why;
  const int64_t group = packedRowGroup(layout.kind);
  if (n <= 0 || n % group != 0)
    return std::string(packingKindName(layout.kind)) +
           " layout packs rows in groups of " + std::to_string(group) +
           ", got " + std::to_string(n) + " rows";
  return {};
}

int64_t packedBlockBytes(PackedLayout layout) {
  switch (layout.kind) {
  case PackingKind::I2:
  case PackingKind::Lut2:
  case PackingKind::Lut2I:
    return layout.block / 4;
  case PackingKind::Base3:
    return (layout.block + 4) / 5;
  case PackingKind::Base3V:
    return layout.block / 5;
  }
  return 0;
}

int64_t packedRowBytes(PackedLayout layout, int64_t k) {
  return (k / layout.block) * packedBlockBytes(layout);
}

// Both walk the rows in groups of packedRowGroup (32 for lut2i, whose
// rows are interleaved; else 1).
bool packTernary(PackedLayout layout, const int8_t *t, int64_t n, int64_t k,
                 uint8_t *out) {
  const int64_t rowBytes = packedRowBytes(layout, k);
  const int64_t group = packedRowGroup(layout.kind);
  if (n % group)
    return false;
  for (int64_t r = 0; r < n; r += group) {
    const bool ok = layout.kind == PackingKind::Lut2I
                        ? packGroup(t + r * k, k, out + r * rowBytes)
                        : packRow(layout, t + r * k, k, out + r * rowBytes);
    if (!ok)
      return false;
  }
  return true;
}

bool unpackTernary(PackedLayout layout, const uint8_t *in, int64_t n,
                   int64_t k, int8_t *t) {
  const int64_t rowBytes = packedRowBytes(layout, k);
  const int64_t group = packedRowGroup(layout.kind);
  if (n % group)
    return false;
  for (int64_t r = 0; r < n; r += group) {
    const bool ok = layout.kind == PackingKind::Lut2I
                        ? unpackGroup(in + r * rowBytes, k, t + r * k)
                        : unpackRow(layout, in + r * rowBytes, k, t + r * k);
    if (!ok)
      return false;
  }
  return true;
}

} // namespace tern
