//===- Digest.cpp - Checksums of weight blobs -----------------------------===//
//
// XXH64 as specified in xxHash's doc/xxhash_spec.md: four accumulators over
// 32-byte stripes, then the 8-, 4- and 1-byte tail, then the avalanche.
//
//===----------------------------------------------------------------------===//

#include "runtime/support/Digest.h"

#include <cstring>
#include <vector>

namespace tern {

namespace {
constexpr uint64_t kP1 = 0x9E3779B185EBCA87ULL, kP2 = 0xC2B2AE3D27D4EB4FULL,
                   kP3 = 0x165667B19E3779F9ULL, kP4 = 0x85EBCA77C2B2AE63ULL,
                   kP5 = 0x27D4EB2F165667C5ULL;

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

/// Little-endian loads (every Tern target is little-endian).
uint64_t read64(const uint8_t *p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
uint32_t read32(const uint8_t *p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

uint64_t round(uint64_t acc, uint64_t input) {
  acc += input * kP2;
  return rotl(acc, 31) * kP1;
}

uint64_t mergeRound(uint64_t acc, uint64_t v) {
  acc ^= round(0, v);
  return acc * kP1 + kP4;
}
} // namespace

uint64_t xxh64(const uint8_t *p, size_t size, uint64_t seed) {
  const uint8_t *end = p + size;
  uint64_t h;
  if (size >= 32) {
    uint64_t v1 = seed + kP1 + kP2, v2 = seed + kP2, v3 = seed, v4 = seed - kP1;
    for (; end - p >= 32; p += 32) {
      v1 = round(v1, read64(p));
      v2 = round(v2, read64(p + 8));
      v3 = round(v3, read64(p + 16));
      v4 = round(v4, read64(p + 24));
    }
    h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
    h = mergeRound(h, v1);
    h = mergeRound(h, v2);
    h = mergeRound(h, v3);
    h = mergeRound(h, v4);
  } else {
    h = seed + kP5;
  }
  h += static_cast<uint64_t>(size);
  for (; end - p >= 8; p += 8)
    h = rotl(h ^ round(0, read64(p)), 27) * kP1 + kP4;
  if (end - p >= 4) {
    h = rotl(h ^ (static_cast<uint64_t>(read32(p)) * kP1), 23) * kP2 + kP3;
    p += 4;
  }
  for (; p < end; ++p)
    h = rotl(h ^ (*p * kP5), 11) * kP1;
  h ^= h >> 33;
  h *= kP2;
  h ^= h >> 29;
  h *= kP3;
  h ^= h >> 32;
  return h;
}

uint64_t sampledDigest(const uint8_t *data, size_t size) {
  if (size <= kSampleWindows * kSampleWindowBytes)
    return xxh64(data, size);
  std::vector<uint8_t> windows(kSampleWindows * kSampleWindowBytes);
  for (size_t k = 0; k < kSampleWindows; ++k) {
    const size_t at = static_cast<size_t>(
        static_cast<unsigned __int128>(k) * (size - kSampleWindowBytes) /
        (kSampleWindows - 1));
    std::memcpy(windows.data() + k * kSampleWindowBytes, data + at,
                kSampleWindowBytes);
  }
  return xxh64(windows.data(), windows.size());
}

} // namespace tern
