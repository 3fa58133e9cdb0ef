//===- Passes.td - tern dialect transformations ------------*- tablegen -*-===//

#ifndef TERN_DIALECT_TRANSFORMS_PASSES
#define TERN_DIALECT_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def TernDecomposeBitLinear : Pass<"tern-decompose-bitlinear"> {
  let summary = "Splits tern.bitlinear into quantize_act, matmul and rescale";
  let description = [{
    Rewrites every `tern.bitlinear` into its three steps so that each can be
    lowered, fused and tuned on its own:

    ```mlir
    %y = tern.bitlinear %x, %w, %beta : tensor<1x64xf32>, !tern.weights<32x64>, f32
           -> tensor<1x32xf32>
    ```

    becomes

    ```mlir
    %q, %s = tern.quantize_act %x : tensor<1x64xf32> -> tensor<1x64xi8>, tensor<1xf32>
    %acc = tern.matmul %q, %w : tensor<1x64xi8>, !tern.weights<32x64> -> tensor<1x32xi32>
    %y = tern.rescale %acc, %s, %beta : tensor<1x32xi32>, tensor<1xf32>, f32
           -> tensor<1x32xf32>
    ```

    The `kernel` of the `tern.bitlinear` (`tern-select-kernels`' choice)
    moves to the `tern.matmul`.
  }];
  let dependentDialects = ["::mlir::tern::TernDialect"];
}

def TernFuseNormQuantize : Pass<"tern-fuse-norm-quantize"> {
  let summary = "One op for an RMSNorm whose only user quantizes it";
  let description = [{
    Every BitLinear layer quantizes its input, and in BitNet that input is
    an RMSNorm's output that nothing else reads (before q/k/v, o, gate/up
    and down). This pass rewrites each `tern.quantize_act` of a
    `tern.rms_norm` result with no other user into one
    `tern.rms_norm_quantize`, which gives the same int8 rows and scales
    bit for bit without writing the normalized f32 rows to memory: in
    decode, where every buffer the layer code writes between two matmuls
    starts out evicted by the weight stream, those rows were a quarter of
    the bytes it wrote (docs/performance.md, "Where the time goes").

    Example:

    ```mlir
    %n = tern.rms_norm %x, %w {epsilon = 1.0e-05 : f32}
           : tensor<1x256xf32>, tensor<256xf32> -> tensor<1x256xf32>
    %q, %s = tern.quantize_act %n : tensor<1x256xf32> -> tensor<1x256xi8>, tensor<1xf32>
    ```

    becomes

    ```mlir
    %q, %s = tern.rms_norm_quantize %x, %w {epsilon = 1.0e-05 : f32}
               : tensor<1x256xf32>, tensor<256xf32> -> tensor<1x256xi8>, tensor<1xf32>
    ```
  }];
  let dependentDialects = ["::mlir::tern::TernDialect"];
}

def TernFuseRopeAttention : Pass<"tern-fuse-rope-attention"> {
  let summary = "Decode attention rotates its own query and key";
  let description = [{
    Without this pass, decode's rotary position embedding of the new query
    and key rows and the stores of the new key and value rows into the
    caches run on the calling thread between the q/k/v matmul and the
    attention's parallel range: the caller reads the q/k/v rows that the
    pool's threads have just written, and the attention's items then read
    the rotated copies. This pass rewrites each one-row `tern.attention` whose query and key are
    `tern.rope` results with the same tables, read by nothing else, into
    the same attention with `rope` tables and the rows before rotation.
    Its lowering rotates each query head in the item that attends with it
    and stores the new rows from the items, with the same arithmetic in
    the same order, so the logits do not change
    (`tern compile --fuse-rope-attention=false` builds the unfused form).

    Example:

    ```mlir
    %qr = tern.rope %q, %cos, %sin : tensor<1x256xf32>, tensor<1x32xf32>,
            tensor<1x32xf32> -> tensor<1x256xf32>
    %kr = tern.rope %k, %cos, %sin : tensor<1x128xf32>, tensor<1x32xf32>,
            tensor<1x32xf32> -> tensor<1x128xf32>
    %a = tern.attention %qr, %kr, %v into %kc, %vc at %pos {...}
    ```

    becomes

    ```mlir
    %a = tern.attention %q, %k, %v into %kc, %vc at %pos rope %cos, %sin {...}
    ```
  }];
  let dependentDialects = ["::mlir::tern::TernDialect"];
}

def TernFuseProjections : Pass<"tern-fuse-projections", "::mlir::ModuleOp"> {
  let summary = "One matmul for the BitLinear layers that read the same input";
  let description = [{
    BitNet's q/k/v projections read the same normalized input, and so do
    gate/up. This pass rewrites each group of two or more `tern.bitlinear`
    ops on the same input whose weights are unplanned `tern.weight`s of the
    same blob into one activation quantization, one `tern.matmul` on the
    weights stacked row-wise (a `tern.weight` named `a+b+c`, the parts'
    names in order), and per part a `tensor.extract_slice` of its columns
    rescaled by its own weight scale: one quantization and one (parallel)
    matmul call instead of several, with the same values bit for bit
    (quantization is per row of the shared input; each column is its own
    dot product).

    A group is fused only where no result of its first members is used
    before its last member.

    Example:

    ```mlir
    %q = tern.bitlinear %x, %wq, %sq : ... -> tensor<1x256xf32>
    %k = tern.bitlinear %x, %wk, %sk : ... -> tensor<1x128xf32>
    ```

    becomes

    ```mlir
    %w = tern.weight "q.weight+k.weight" %blob : memref<?xi8> -> !tern.weights<384x256>
    %a, %s = tern.quantize_act %x : tensor<1x256xf32> -> tensor<1x256xi8>, tensor<1xf32>
    %acc = tern.matmul %a, %w : tensor<1x256xi8>, !tern.weights<384x256> -> tensor<1x384xi32>
    %q0 = tensor.extract_slice %acc[0, 0] [1, 256] [1, 1] : ...
    %q = tern.rescale %q0, %s, %sq : ...
    %k0 = tensor.extract_slice %acc[0, 256] [1, 128] [1, 1] : ...
    %k = tern.rescale %k0, %s, %sk : ...
    ```
  }];
  let dependentDialects = ["::mlir::tern::TernDialect",
                           "::mlir::tensor::TensorDialect"];
}

def TernPlanWeights : Pass<"tern-plan-weights", "::mlir::ModuleOp"> {
  let summary = "Places every model parameter in the weights blob";
  let description = [{
    Folds each `tern.pack` of an unplanned `tern.weight` into the weight (the
    bytes are packed when the blob is written, not at run time), then gives
    every unplanned `tern.weight` its byte `offset` in the blob: one place
    per name (the decode and prefill entry points share weights; a name
    used with two different types is an error), in order of first use, each
    64-byte aligned. The blob's size is then known: function arguments of
    type `memref<?xi8>` get the static type `memref<SIZExi8>` and the module
    the attribute `tern.blob_size`. `tern compile` writes the blob from the
    planned weights.

    Example:

    ```mlir
    %w = tern.weight "blk.0.attn_q.weight" %blob : memref<?xi8> -> !tern.weights<256x256>
    %p = tern.pack %w : !tern.weights<256x256> -> !tern.weights<256x256, #tern.layout<i2, block = 128>>
    ```

    becomes

    ```mlir
    %p = tern.weight "blk.0.attn_q.weight" %blob[0] : memref<16384xi8>
           -> !tern.weights<256x256, #tern.layout<i2, block = 128>>
    ```
  }];
  let dependentDialects = ["::mlir::tern::TernDialect",
                           "::mlir::func::FuncDialect"];
}

#endif // TERN_DIALECT_TRANSFORMS_PASSES
