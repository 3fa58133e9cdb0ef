//===- AttentionStaging.h - Decode attention's stages and layout -*- C++ -*-===//
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

/// Lanes per panel of the value cache by default (the attention ops'
/// `value_panel`, set by tern-select-kernels' `attention-value-panel` and
/// `tern compile --attention-value-panel`; 0: whole rows): the lanes one
/// output item of the staged decode attention reads of each value row for
/// 2B4T's heads (2 groups of 16 lanes for 4 query heads), so that the item
/// reads one panel in order.
constexpr int64_t kDefaultValuePanel = 32;

/// A value panel's lanes are a multiple of this: the output's vectors of
/// 16 lanes never straddle two panels (tern.attention's verifier requires
/// it too).
constexpr int64_t kValuePanelMultiple = 16;

} // namespace mlir::tern

#endif // TERN_COMPILER_TRANSFORMS_ATTENTIONSTAGING_H
