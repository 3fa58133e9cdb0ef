//===- Bandwidth.h - Measured memory read bandwidth -----------------------===//
//
// The roofline of memory-bound decode: how fast this machine streams memory
// into the cores, measured by summing a buffer larger than the caches with
// the given thread pool (static split, as the generated code reads its
// weights). Best of a few passes, in bytes per second: at least one with
// the hardware prefetchers alone and one each with software prefetches
// 5120 and 10240 bytes ahead, since which reads fastest depends on the
// machine and on where its threads sit.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SUPPORT_BANDWIDTH_H
#define TERN_RUNTIME_SUPPORT_BANDWIDTH_H

#include "runtime/support/ThreadPool.h"

#include <cstddef>
#include <cstdint>

namespace tern {

/// Over a probe buffer of `bytes` in anonymous memory advised for huge
/// pages (as HeldWeights' default holds the weights). `passes` below 3
/// are 3.
double measureReadBandwidth(ThreadPool &pool, size_t bytes = size_t(512) << 20,
                            int passes = 3);

/// Over `bytes` at `data` as they are held (e.g. the weights themselves).
double measureReadBandwidth(ThreadPool &pool, const uint8_t *data,
                            size_t bytes, int passes = 3);

} // namespace tern

#endif // TERN_RUNTIME_SUPPORT_BANDWIDTH_H
