//===- Passes.h - tern dialect transformations ------------------*- C++ -*-===//
#ifndef TERN_DIALECTS_TERN_TRANSFORMS_PASSES_H
#define TERN_DIALECTS_TERN_TRANSFORMS_PASSES_H

#include "dialects/Tern/IR/TernOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
namespace tern {

#define GEN_PASS_DECL
#include "dialects/Tern/Transforms/Passes.h.inc"

/// Patterns rewriting tern.bitlinear into quantize_act + matmul + rescale.
void populateDecomposeBitLinearPatterns(RewritePatternSet &patterns);

/// The pattern fusing a tern.rms_norm with its only user, a
/// tern.quantize_act, into tern.rms_norm_quantize.
void populateFuseNormQuantizePatterns(RewritePatternSet &patterns);

/// The pattern moving a one-row tern.attention's tern.rope of the query
/// and key into the op (its rope tables).
void populateFuseRopeAttentionPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "dialects/Tern/Transforms/Passes.h.inc"

} // namespace tern
} // namespace mlir

#endif // TERN_DIALECTS_TERN_TRANSFORMS_PASSES_H
