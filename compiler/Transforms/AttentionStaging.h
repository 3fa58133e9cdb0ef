//===- AttentionStaging.h - When decode attention runs in stages -*- C++ -*-===//
#ifndef TERN_COMPILER_TRANSFORMS_ATTENTIONSTAGING_H
#define TERN_COMPILER_TRANSFORMS_ATTENTIONSTAGING_H

#include <cstdint>

namespace mlir::tern {

/// Attended positions from which decode attention runs in three parallel
/// ranges by default (tern.attention's `staged_from`, set by
/// tern-select-kernels' `attention-staged-from` and `tern compile
/// --attention-staged-from`). The stages cost two more parallel regions per
/// layer; their attention took less thread time than the one range at
/// every depth measured from 32 (docs/performance.md, "Decode at depth").
constexpr int64_t kDefaultAttentionStagedFrom = 128;

} // namespace mlir::tern

#endif // TERN_COMPILER_TRANSFORMS_ATTENTIONSTAGING_H
