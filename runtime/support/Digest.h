//===- Digest.h - Checksums of weight blobs -------------------------------===//
//
// tern compile records two checksums of the weights blob, in the generated
// code and in the payload: XXH64 of every byte (checked by an executable's
// --verify), and XXH64 of 64 evenly spaced 4 KiB windows (checked at every
// start: it reads 256 KiB, and catches a payload that was swapped or
// overwritten in place). XXH64 is written here from its published
// specification because no hash library is packaged for every runtime
// target (riscv64 has no Debian 12 packages); the compiler's tests check it
// against LLVM's xxHash64.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SUPPORT_DIGEST_H
#define TERN_RUNTIME_SUPPORT_DIGEST_H

#include <cstddef>
#include <cstdint>

namespace tern {

/// XXH64 of `size` bytes with `seed`.
uint64_t xxh64(const uint8_t *data, size_t size, uint64_t seed = 0);

/// The windows sampledDigest reads: kSampleWindows of kSampleWindowBytes.
constexpr size_t kSampleWindows = 64, kSampleWindowBytes = 4096;

/// XXH64 of the concatenated windows: window k starts at
/// k * (size - kSampleWindowBytes) / (kSampleWindows - 1). A blob of at most
/// kSampleWindows * kSampleWindowBytes bytes is hashed whole.
uint64_t sampledDigest(const uint8_t *data, size_t size);

} // namespace tern

#endif // TERN_RUNTIME_SUPPORT_DIGEST_H
