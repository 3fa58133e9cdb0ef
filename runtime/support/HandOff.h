//===- HandOff.h - Measured cost of handing work between threads ----------===//
//
// Decode runs about 150 parallel regions per token, and between them the
// calling thread reads what the other threads wrote and they read what it
// wrote: each cache line that moves between two threads costs the time it
// takes to cross between their cores. On a Zen 4 VM whose two vCPUs sit on
// one core complex, a line goes and comes back in about 80 ns; on two
// complexes (each with its own link to memory, so that the stream
// bandwidth nearly doubles) in about 310 ns (docs/performance.md, "Hand-
// offs between core complexes"). `tern bench` measures both with each read
// of the weights around its decode repetitions.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SUPPORT_HANDOFF_H
#define TERN_RUNTIME_SUPPORT_HANDOFF_H

#include "runtime/support/ThreadPool.h"

namespace tern {

struct HandOffCost {
  /// One cache line written by the calling thread, then by the pool's
  /// first worker, then by the caller again, in nanoseconds.
  double roundTripNs = 0;
  /// A balanced parallel call of one empty item per thread, from the call
  /// to its return (ThreadPool::parallelForBalanced), in nanoseconds.
  double emptyRegionNs = 0;
};

/// Both costs with `pool`, each the median over batches of 50 of at most
/// `rounds` repetitions, measured for at most about 20 ms; zeros for a
/// pool of one thread.
HandOffCost measureHandOffs(ThreadPool &pool, int rounds = 2000);

} // namespace tern

#endif // TERN_RUNTIME_SUPPORT_HANDOFF_H
