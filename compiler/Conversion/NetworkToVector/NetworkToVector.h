//===- NetworkToVector.h - The network ops as vector code -------*- C++ -*-===//
//
// convert-tern-network-to-vector lowers the ops around the BitLinear layers
// (embedding, rms_norm, rms_norm_quantize, rope_table, rope, attention,
// lm_head, screen_head) to scf loops over memrefs on vector<8xf32> (vector<8xf64> for
// the RMSNorm sums), one pattern per op in its own file. Each pattern reads
// its tensor operands through bufferization.to_buffer and writes a new
// buffer that becomes its result tensor (state operands, the KV cache and
// the logits, are memrefs already). attention and lm_head compute in an
// outlined function called with `tern.parallel` on (row, head) pairs and
// vocabulary rows. Every pattern keeps the op's stated order of floating-
// point operations, which is the reference forward pass's.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_CONVERSION_NETWORKTOVECTOR_NETWORKTOVECTOR_H
#define TERN_COMPILER_CONVERSION_NETWORKTOVECTOR_NETWORKTOVECTOR_H

#include "dialects/Tern/IR/TernOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tern {

#define GEN_PASS_DECL_CONVERTTERNNETWORKTOVECTOR
#include "compiler/Conversion/Passes.h.inc"

// One pattern each (EmbeddingLowering.cpp, ...).
void addEmbeddingLowering(RewritePatternSet &patterns);
void addRmsNormLowering(RewritePatternSet &patterns);
void addRopeLowerings(RewritePatternSet &patterns); // rope_table, rope
void addAttentionLowering(RewritePatternSet &patterns);
void addLmHeadLowering(RewritePatternSet &patterns);
void addScreenHeadLowering(RewritePatternSet &patterns);

/// All of them.
void populateTernNetworkToVectorPatterns(RewritePatternSet &patterns);

class VectorBuilder;
/// tern.rope's arithmetic on one head (RopeLowering.cpp): the head of
/// 2 `half` values at column `base` of row `row` of `from`, rotated by row
/// `tableRow` of the tables, into the same columns of `to`. The rope
/// pattern and decode attention's items (AttentionItem.cpp) both call it.
void rotateHead(VectorBuilder &v, Value from, Value to, Value row,
                Value cos, Value sin, Value tableRow, Value base,
                int64_t half);

/// The module-level function `name` (private), created with `type` and
/// its body built by `build(entryBlock)` the first time it is asked for.
func::FuncOp getOrBuildFunction(Operation *near, StringRef name,
                                FunctionType type,
                                function_ref<void(OpBuilder &, Block *)> build);

} // namespace mlir::tern

#endif // TERN_COMPILER_CONVERSION_NETWORKTOVECTOR_NETWORKTOVECTOR_H
