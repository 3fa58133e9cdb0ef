//===- ModelImporter.h - A loaded model as a graph of tern ops ---*- C++ -*-===//
//
// Import turns the runtime's ModelDescription (any file format) into one
// MLIR module that states the whole network as a graph of ops with every
// shape static, and nothing else: no loops, no kernel or layout choice, no
// byte offsets. Its entry points are those of runtime/compiled/tern_abi.h:
//
//   func.func @tern_decode(%weights: memref<?xi8>,
//                          %k_cache: memref<LxCxKVxf32>,
//                          %v_cache: memref<LxCxKVxf32>,
//                          %pos: index, %token: index,
//                          %logits: memref<Vxf32>)
//   func.func @tern_prefill(... %pos: index, %tokens: memref<Pxi64>,
//                           %logits: memref<PxVxf32>, %logits_from: index)
//
// Each computes the embedding lookup (tern.embedding), one call per
// decoder layer (a function per layer, kept out of line: LLVM optimizes
// many medium functions faster than one huge one), the final RMSNorm and
// the head (tern.lm_head, in the chosen head format). RoPE's tables for
// the rows' positions are computed once, before the first layer
// (cos, sin = rope_table(pos)), and passed to every layer. A layer is
//
//   xn = rms_norm(x); q, k, v = bitlinear(xn)
//   att = attention(rope(q), rope(k), v) over the KV cache
//   x += bitlinear(rms_norm(att)); xn = rms_norm(x)
//   x += bitlinear(rms_norm(squared_relu_gate(bitlinear(xn), bitlinear(xn))))
//
// on tensors, with the residual stream `x` in a memref the layer reads and
// writes. Parameters are `tern.weight` ops by name (ternary matrices
// unpacked, dense tensors as they are), planned into the weights blob
// later (tern-plan-weights; WeightBlob.h writes it). The ops' definitions
// state the reference forward pass's numerics, so the compiled model
// equals `tern run` bit for bit.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_IMPORT_MODELIMPORTER_H
#define TERN_COMPILER_IMPORT_MODELIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"
#include "runtime/model/HeadFormat.h"
#include "runtime/model/Model.h"

#include <cstdint>

namespace mlir::tern {

/// Tokens per prefill call when `tern compile --prefill` is not given:
/// pp128 on the 2B4T shape ran 1.03-1.07x faster with 64 than with 32 and
/// 0.7x with 128 (docs/performance-log.md, 2026-12-03 (6)).
constexpr int64_t kDefaultPrefillRows = 64;

struct ImportOptions {
  /// KV cache length compiled into the module (0: the model's context).
  int64_t contextSize = 0;
  /// Tokens per call of the prefill entry point (-1: kDefaultPrefillRows,
  /// capped at the context; 0 or 1: no prefill entry point).
  int64_t prefillRows = -1;
  /// How the output head is stored and computed (runtime/model/HeadFormat.h):
  /// native reads the model's dense matrix; int8 / q4 read a quantized copy
  /// (the embedding lookup keeps the original rows).
  ::tern::HeadFormat head = ::tern::HeadFormat::Native;
  /// The largest batch of the batched decode entry points: one per power
  /// of two 2 .. batchRows (tern_abi.h's tern_decode_batchB; 0 or 1:
  /// none).
  int64_t batchRows = 0;
};

struct ImportedModel {
  OwningOpRef<ModuleOp> module;
  int64_t contextSize = 0;
  int64_t prefillRows = 0; ///< 0 when there is no prefill entry point.
  int64_t batchRows = 0;   ///< the largest batched decode entry point, or 0
};

/// Imports `model` into `context` (which must have the tern, func, arith,
/// memref, tensor and bufferization dialects loaded). Fails with a message
/// naming the model and what the compiler cannot handle.
llvm::Expected<ImportedModel>
importModel(MLIRContext &context, const ::tern::ModelDescription &model,
            const ImportOptions &options);

} // namespace mlir::tern

#endif // TERN_COMPILER_IMPORT_MODELIMPORTER_H
