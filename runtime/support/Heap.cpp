//===- Heap.cpp - Freed activation buffers stay mapped --------------------===//

#include "runtime/support/Heap.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

// A sanitizer's allocator replaces glibc's and ignores its thresholds.
#if defined(__SANITIZE_ADDRESS__)
#define TERN_SANITIZER_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) ||   \
    __has_feature(thread_sanitizer)
#define TERN_SANITIZER_MALLOC 1
#endif
#endif

namespace tern {

bool keepFreedHeapPages() {
#if defined(__GLIBC__) && !defined(TERN_SANITIZER_MALLOC)
  // Setting either threshold also turns off glibc's own adjustment of the
  // mmap threshold to the largest block freed so far.
  const int bytes = static_cast<int>(kHeapKeepBytes);
  return mallopt(M_MMAP_THRESHOLD, bytes) == 1 &&
         mallopt(M_TRIM_THRESHOLD, bytes) == 1;
#else
  return false;
#endif
}

} // namespace tern
