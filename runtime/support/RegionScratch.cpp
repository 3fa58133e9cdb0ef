//===- RegionScratch.cpp - Per-thread buffers for one parallel region -----===//

#include "runtime/support/RegionScratch.h"

#include "runtime/compiled/tern_abi.h"

#include <cstdio>
#include <cstdlib>

namespace tern {

namespace {
struct Scratch {
  void *data = nullptr;
  int64_t capacity = 0;
  /// Whether the contents were computed in the thread's current region.
  bool valid = false;
  ~Scratch() { std::free(data); }
};
thread_local Scratch tScratch;
} // namespace

void enterRegion() { tScratch.valid = false; }

void *regionScratch(int64_t bytes, bool &first) {
  Scratch &s = tScratch;
  if (bytes < 1)
    bytes = 1;
  if (bytes > s.capacity) {
    const int64_t size = (bytes + 63) / 64 * 64;
    void *data = std::aligned_alloc(64, static_cast<size_t>(size));
    if (!data)
      return nullptr;
    std::free(s.data);
    s.data = data;
    s.capacity = size;
    s.valid = false;
  }
  first = !s.valid;
  s.valid = true;
  return s.data;
}

} // namespace tern

// tern_abi.h's entry for generated code, here beside the buffers so that
// every program that runs generated code on a ThreadPool (the executables,
// tern-kernel-bench's JIT) links the same one.
extern "C" void *tern_region_scratch(int64_t bytes, int64_t *first) {
  bool fresh = false;
  void *p = tern::regionScratch(bytes, fresh);
  if (!p) {
    std::fprintf(stderr,
                 "error: no memory for a thread's buffer of %lld bytes in a "
                 "parallel region\n",
                 static_cast<long long>(bytes));
    std::abort();
  }
  *first = fresh;
  return p;
}
