//===- Heap.h - Freed activation buffers stay mapped ----------------------===//
//
// Generated code allocates its larger activation buffers (a prefill
// chunk's matmul outputs, a few MB each) with malloc for every call and
// frees them after. glibc returns such blocks to the kernel (mmap'd
// blocks on free, the top of the heap by trimming), so the next call
// page-faults and zeroes the same pages again: on a 2-vCPU Zen 5 VM, 9 %
// of the samples of `./EXE bench -p 1024 -n 0` were in the kernel's page
// fault path (docs/performance.md, "Freed buffers stay mapped").
// keepFreedHeapPages() has malloc serve blocks up to kHeapKeepBytes from
// the heap and keep up to that much freed memory at its top.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SUPPORT_HEAP_H
#define TERN_RUNTIME_SUPPORT_HEAP_H

#include <cstdint>

namespace tern {

/// Blocks up to this size come from the heap, and up to this much freed
/// memory stays there.
constexpr int64_t kHeapKeepBytes = int64_t(256) << 20;

/// Sets malloc's thresholds as above (glibc); returns whether it could
/// (false elsewhere and under a sanitizer's allocator, where nothing
/// changes).
bool keepFreedHeapPages();

} // namespace tern

#endif // TERN_RUNTIME_SUPPORT_HEAP_H
