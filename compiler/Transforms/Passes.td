//===- Passes.td - Tern's compiler transformations ---------*- tablegen -*-===//

#ifndef TERN_COMPILER_TRANSFORMS_PASSES
#define TERN_COMPILER_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def TernSelectKernels : Pass<"tern-select-kernels", "::mlir::ModuleOp"> {
  let summary = "Chooses each weight's layout and each matmul's kernel for a target";
  let description = [{
    For a target (`--target` of `tern compile`) and optionally a tuning
    database (`tern tune`'s file) and a requested packing:

    - each ternary `tern.weight` without a layout gets one: a `tern.pack`
      to that layout is inserted after it and its users read the packed
      value (`tern-plan-weights` later folds the pack into the weight, so
      the blob holds the packed bytes). The layout is the decode (M = 1)
      database entry's for the weight's shape where one fits; else the
      requested packing in one block per row where a kernel family of the
      target reads it; else the default (the i2 block the target's best
      prefill family prefers). One weight has one layout for every M.
    - each `tern.bitlinear` and `tern.matmul` on such a weight gets
      `kernel = #tern.kernel<...>`: the nearest database entry's family and
      tile for its M where that family reads the layout; else the default
      family for that M (decode and prefill rank families differently) with
      its default tile. Ops without a kernel take the reference lowering.

    Matmul kernels of families that prefetch get `prefetch = P` (decode
    and batched decode up to 4 rows; prefill too for families that
    prefetch there, vnni512)
    and each `tern.lm_head` gets `{prefetch = P}`: P is the `prefetch`
    option, or the target's distance for the op's token rows
    (Target::streamPrefetch: 5120 bytes on x86-64, except one row on Zen 4,
    which streams on the hardware prefetchers; 0 elsewhere; none is set
    when it is 0). Both carry the `prefetch-locality` option's LLVM
    locality hint, or the target's (3, into L1, on AMD Zen; 1 elsewhere),
    where it is not 1: `locality = 3` and `prefetch_locality = 3`.
    A float `tern.lm_head` of several token rows, every one wanted (batched
    decode), gets `tile = array<i64: v, t>`: v vocabulary rows times t
    token rows per pass, the most whose sums fit half the target's vector
    registers (Target::vectorRegisters), several vocabulary rows only with
    at least 4 token rows (KernelSelector::headTile): 2 x 4 with AVX-512
    from 4 rows, 1 x 2 with AVX2 or NEON. An integer `tern.lm_head` (q4,
    int8 of i8 token rows) gets `dot = "family"`: the target's first family
    by decode rank with a multiply-add of byte quads (none: plain vector
    arithmetic).

    Each one-row `tern.attention` (decode) gets `staged_from = N`, the
    `attention-staged-from` option (default 128; 0: none): from N attended
    positions its attention runs as three parallel ranges (scores over
    blocks of positions, softmax per head, output over groups of lanes),
    so that every key and value row is read once for the query heads that
    share it and the work splits evenly among the threads at any number of
    heads (docs/performance.md, "Decode at depth").

    Every `tern.attention` and `tern.batch_attention` gets `value_panel =
    P`, the `attention-value-panel` option (default 32; 0: none), where P
    divides the head width: the value cache then holds each kv head's lanes
    in panels of P, each panel's rows together, so that an output item of
    the staged decode attention reads its lanes of every position in
    order. All attention ops of a module share the caches, so they must
    agree: ops whose panels differ (set before the pass) are an error.

    A requested packing that no family of the target reads for a shape is
    reported as a warning naming the weights and why, not dropped
    silently. A database entry for the target's CPU whose family the target
    cannot run is an error. The families, their ranks and tiles are rows of
    the kernel registry (docs/kernels.md).

    Example (`--tern-select-kernels="target=znver4"`):

    ```mlir
    %w = tern.weight "blk.0.attn_q.weight" %blob : memref<?xi8> -> !tern.weights<256x256>
    %y = tern.bitlinear %x, %w, %s : tensor<1x256xf32>, !tern.weights<256x256>, f32 -> tensor<1x256xf32>
    ```

    becomes

    ```mlir
    %w = tern.weight "blk.0.attn_q.weight" %blob : memref<?xi8> -> !tern.weights<256x256>
    %p = tern.pack %w : !tern.weights<256x256> -> !tern.weights<256x256, #tern.layout<i2x16, block = 256>>
    %y = tern.bitlinear %x, %p, %s {kernel = #tern.kernel<"vnni512x", i2x16, block = 256, tile = [1, 1]>} : ...
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"native\"",
           "The target (tern compile --target): native, an x86 CPU name, or a named cross target">,
    Option<"tuningDb", "tuning-db", "std::string", /*default=*/"\"\"",
           "A tuning database (tern tune) whose entries for the target's CPU come first">,
    Option<"packing", "packing", "std::string", /*default=*/"\"\"",
           "Store weights in this packing (one block per row) where a kernel family of the target reads it">,
    Option<"prefetch", "prefetch", "int64_t", /*default=*/"-1",
           "Bytes ahead in the weight stream that matmul kernels and the head prefetch (0: none; negative: the target's default)">,
    Option<"prefetchLocality", "prefetch-locality", "int64_t", /*default=*/"-1",
           "LLVM's locality hint of those prefetches, 0 to 3 (3: into L1; negative: the target's default)">,
    Option<"attentionStagedFrom", "attention-staged-from", "int64_t", /*default=*/"::mlir::tern::kDefaultAttentionStagedFrom",
           "Attended positions from which decode attention runs in three parallel stages (0: never)">,
    Option<"attentionValuePanel", "attention-value-panel", "int64_t", /*default=*/"::mlir::tern::kDefaultValuePanel",
           "Lanes per panel of the value cache, a multiple of 16 (0: whole rows)">,
  ];
  let dependentDialects = ["::mlir::tern::TernDialect"];
}

def TernFuseElementwise : Pass<"tern-fuse-elementwise"> {
  let summary = "Fuses elementwise linalg.generic ops into their one consumer";
  let description = [{
    After `convert-tern-to-linalg`, the steps between a layer's matmuls
    that it lowers are elementwise `linalg.generic` ops on tensors
    (`tern.rescale`, `tern.squared_relu_gate`, the residual `arith.addf`
    that `convert-elementwise-to-linalg` turns into one). This pass fuses
    each such generic whose results have exactly one user, an elementwise
    generic that reads each of its elements once, into that user
    (upstream's elementwise fusion patterns), so
    that the value is computed where it is used instead of written to a
    buffer and read back: the rescaled gate and up columns go straight into
    the squared-ReLU gate, and a rescaled o or down projection straight
    into the residual addition. Each element's operations stay the same,
    in the same order, so results are unchanged bit for bit; a generic
    with several users, or read by a reduction (the reference matmul) or
    a broadcast, is left alone rather than computed again per use. In
    decode, every buffer the layer code writes starts out evicted by the
    weight stream (docs/performance.md, "Where the time goes").

    Example:

    ```mlir
    %g = linalg.generic ... ins(%acc_g, %s) { sitofp, divf, mulf } -> tensor<1x6912xf32>
    %u = linalg.generic ... ins(%acc_u, %s) { sitofp, divf, mulf } -> tensor<1x6912xf32>
    %h = linalg.generic ... ins(%g, %u) { maxnumf, mulf, mulf } -> tensor<1x6912xf32>
    ```

    becomes one `linalg.generic` on `%acc_g, %s, %acc_u, %s` whose body
    computes both rescalings and the gate.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

#endif // TERN_COMPILER_TRANSFORMS_PASSES
