//===- RegionScratch.h - Per-thread buffers for one parallel region -------===//
//
// A parallel region's task can need a value that every thread computes
// for itself before its first block: decode's RMSNorm and quantization of
// the row a matmul reads (tern-outline-row-prologues). Each thread that
// takes part in the region then normalizes the whole row into a buffer of
// its own, instead of the calling thread normalizing it alone between two
// regions while the others wait, and then the others reading its result
// from its cache (docs/performance.md, "Norms on every thread").
//
// The buffer lives as long as its thread. Every thread marks the start of
// its part of each region (enterRegion: ThreadPool does, and so does a
// region run on the calling thread alone); the first request after that
// says so, and the task computes the buffer's contents then. Generated
// code asks through tern_abi.h's tern_region_scratch, defined here.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SUPPORT_REGIONSCRATCH_H
#define TERN_RUNTIME_SUPPORT_REGIONSCRATCH_H

#include <cstdint>

namespace tern {

/// The calling thread starts its part of a new parallel region: its
/// scratch buffer's contents are stale from now on.
void enterRegion();

/// The calling thread's scratch buffer of at least `bytes` bytes (64-byte
/// aligned; bytes below 1 are taken as 1). `first` is true on the first
/// request since the thread's last enterRegion(), and on a request that
/// needed a larger buffer: the caller must then compute its contents.
/// Returns null only where the memory cannot be had.
void *regionScratch(int64_t bytes, bool &first);

} // namespace tern

#endif // TERN_RUNTIME_SUPPORT_REGIONSCRATCH_H
