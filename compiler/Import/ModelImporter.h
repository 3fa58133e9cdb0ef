//===- ModelImporter.h - A loaded model as an MLIR module -----------------===//
//
// Import turns the runtime's ModelDescription (any file format) into one
// MLIR module that computes the whole network with every shape constant:
//
//   func.func @tern_decode(%weights: memref<BYTESxi8>,
//                          %k_cache: memref<LxCxKVxf32>,
//                          %v_cache: memref<LxCxKVxf32>,
//                          %pos: index, %token: index,
//                          %logits: memref<Vxf32>)
//       attributes {llvm.emit_c_interface}
//   func.func @tern_prefill(... %pos: index, %tokens: memref<Pxi64>,
//                           %logits: memref<PxVxf32>, %logits_from: index)
//
// (prefill evaluates exactly P tokens at positions pos .. pos + P - 1; each
// row is computed exactly as decode would, so the results are the same; the
// head runs only for rows [logits_from, P)).
// (runtime/compiled/tern_abi.h is the C side). Every BitLinear layer is a
// `tern.bitlinear` whose weights are a `tern.weight` reference by name into
// the weights blob, never an attribute; norms, RoPE, attention over the KV
// cache, squared ReLU, residuals and the tied head are scf loops over
// memrefs on vector<8xf32> (vector<8xf64> for the RMSNorm sums) with
// arith/math ops; only the per-position RoPE angles and the softmax
// exponentials and their running sum stay scalar (their order is the
// reference's). Layers are unrolled: the module holds each layer's code
// with its own weights and shapes.
//
// The numerics are those of runtime/reference/ReferenceModel.h, step for
// step (f64 RMSNorm sums and the dot products in 8 interleaved lanes, f64
// RoPE angles),
// so a compiled model and the reference agree bit for bit when the
// ternary kernels are exact, as they are.
//
// The weights blob is planned here too: each weight's offset, size and
// stored form (ternary matrices repacked to the layout the kernels read).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_IMPORT_MODELIMPORTER_H
#define TERN_COMPILER_IMPORT_MODELIMPORTER_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"
#include "runtime/model/HeadFormat.h"
#include "runtime/model/Model.h"
#include "runtime/ternary/Packing.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mlir::tern {

struct ImportOptions {
  /// KV cache length compiled into the module (0: the model's context).
  int64_t contextSize = 0;
  /// Elements per block of the i2 layout ternary weights are repacked to
  /// (a multiple of 4 dividing every input size; 0 picks 128 when it
  /// divides, else the largest power of two that does).
  int64_t i2Block = 0;
  /// Tokens per call of the prefill entry point (-1: 32, capped at the
  /// context; 0 or 1: no prefill entry point).
  int64_t prefillRows = -1;
  /// The layout of each ternary weight (the one its matmuls' kernels
  /// read: i2, base3v or lut2i and a block), given its name and shape; null or
  /// block 0: i2 in i2Block's rule. The layout must fit `cols`
  /// (runtime/ternary checkPackedLayout).
  std::function<::tern::PackedLayout(const std::string &name, int64_t rows,
                                     int64_t cols)>
      layout;
  /// A `tern.kernel_config` for the tern.bitlinear of `m` token rows on an
  /// n x k weight in `layout`; null or a null attribute: none (the
  /// pipeline's default kernel).
  std::function<DictionaryAttr(int64_t m, int64_t n, int64_t k,
                               ::tern::PackedLayout layout)>
      kernelConfig;
  /// Fuse the BitLinear layers that read the same input (q/k/v, gate/up)
  /// into one matmul each: one activation quantization and one parallel
  /// call instead of three (two), on a weight of stacked rows. The layout
  /// and kernel callbacks then see the fused shape (name "a+b+c").
  bool fuseProjections = true;
  /// How the output head is stored and computed (runtime/model/HeadFormat.h):
  /// native reads the model's dense matrix; int8 / q4 add a quantized copy
  /// to the blob (the embedding lookup keeps the original rows).
  ::tern::HeadFormat head = ::tern::HeadFormat::Native;
};

/// One matmul's weight as the importer stores it: a BitLinear weight, or
/// several that read the same input stacked into one (rows in order).
struct MatmulWeight {
  std::string name; ///< the tensor's name; "a+b+c" when fused
  std::vector<const ::tern::TernaryTensor *> parts;
  int64_t rows = 0, cols = 0;
};

/// A layer's matmul weights in order: with `fuse`, q/k/v and gate/up as one
/// each (4 matmuls), else one per BitLinear weight (7).
std::vector<MatmulWeight> layerMatmuls(const ::tern::LayerWeights &l,
                                       bool fuse);

/// One weight's place in the blob.
struct BlobEntry {
  std::string name;
  uint64_t offset = 0;
  uint64_t size = 0;
  /// Writes the weight's `size` bytes.
  std::function<bool(uint8_t *dst)> fill;
};

struct ImportedModel {
  OwningOpRef<ModuleOp> module;
  std::vector<BlobEntry> blob;
  uint64_t blobSize = 0;
  int64_t contextSize = 0;
  int64_t prefillRows = 0; ///< 0 when there is no prefill entry point.
  /// Blob bytes one decoded token reads (all of it but, with a quantized
  /// tied head, the embedding rows it does not look up).
  uint64_t bytesPerToken = 0;
};

/// Imports `model` into `context` (which must have the tern, func, arith,
/// math, memref, scf, vector and bufferization dialects loaded). Fails with
/// a message naming the model and what the compiler cannot handle.
llvm::Expected<ImportedModel>
importModel(MLIRContext &context,
            std::shared_ptr<const ::tern::ModelDescription> model,
            const ImportOptions &options);

} // namespace mlir::tern

#endif // TERN_COMPILER_IMPORT_MODELIMPORTER_H
