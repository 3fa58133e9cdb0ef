//===- TernOps.td - tern operations ------------------------*- tablegen -*-===//

#ifndef TERN_DIALECT_TERNOPS
#define TERN_DIALECT_TERNOPS

include "dialects/Tern/IR/TernTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Tern_Weights : Type<CPred<"::llvm::isa<::mlir::tern::WeightsType>($_self)">,
                        "ternary weights", "::mlir::tern::WeightsType">;

def Tern_ConstantOp : Tern_Op<"constant", [ConstantLike, Pure]> {
  let summary = "A ternary weight matrix known at compile time";
  let description = [{
    Holds the logical values of a ternary matrix as an i8 tensor of the same
    shape whose elements are -1, 0 or +1, whatever the result's layout: the
    layout says how the value will be stored, the attribute what it is.
    Folding `tern.absmean_quantize` of a constant produces this op.

    Example:

    ```mlir
    %w = tern.constant dense<[[1, 0, -1, 1], [0, 0, 1, -1]]> : tensor<2x4xi8>
           -> !tern.weights<2x4>
    ```
  }];
  let arguments = (ins SignlessIntElementsAttr<8>:$value);
  let results = (outs Tern_Weights:$result);
  let assemblyFormat = "$value attr-dict `->` qualified(type($result))";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tern_WeightOp : Tern_Op<"weight", [Pure]> {
  let summary = "A ternary weight matrix stored in the model's weights blob";
  let description = [{
    References a model weight by name: the weight's bytes are at byte
    `offset` of `blob`, the model's weights (memory-mapped at start-up, never
    copied), stored in the result's layout (`block`-element groups of
    `!tern.weights<NxK, #tern.layout<...>>`, or one int8 per element
    without a layout). The name is the tensor's name in the source model
    file, kept for diagnostics and for the tuning database. The weights are
    never inlined into the IR as attributes.

    The op has no side effects: the blob is read-only for the whole run.

    Example:

    ```mlir
    %w = tern.weight "blk.0.attn_q.weight" %blob[4096]
           : memref<1048576xi8> -> !tern.weights<256x256, #tern.layout<i2, block = 128>>
    ```
  }];
  let arguments = (ins MemRefRankOf<[I8], [1]>:$blob, StrAttr:$name,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$offset);
  let results = (outs Tern_Weights:$result);
  let assemblyFormat = [{
    $name $blob `[` $offset `]` attr-dict `:` type($blob) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def Tern_AbsmeanQuantizeOp : Tern_Op<"absmean_quantize", [Pure]> {
  let summary = "Quantizes float master weights to ternary with an absmean scale";
  let description = [{
    `beta = max(mean(|W|), 1e-5)` (the mean accumulated in f64, then rounded
    to f32) and `T = clamp(round_half_even(W * (1 / beta)), -1, 1)`, as in
    BitNet b1.58 training. The dequantized weight is `T * beta`. Folds when
    `W` is a constant, so master weights are quantized at compile time.

    Example:

    ```mlir
    %t, %beta = tern.absmean_quantize %w : tensor<640x2560xf32>
                  -> !tern.weights<640x2560>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input);
  let results = (outs Tern_Weights:$weights, F32:$scale);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` qualified(type($weights))";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tern_QuantizeActOp : Tern_Op<"quantize_act", [Pure]> {
  let summary = "Per-row absmax quantization of activations to int8";
  let description = [{
    For each row m: `s[m] = 127 / max(max_k |x[m, k]|, 1e-5)` and
    `q[m, k] = clamp(round_half_even(x[m, k] * s[m]), -128, 127)`.
    The row scale `s` multiplies; `x ~= q / s`.

    Example:

    ```mlir
    %q, %s = tern.quantize_act %x : tensor<1x2560xf32>
               -> tensor<1x2560xi8>, tensor<1xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input);
  let results = (outs RankedTensorOf<[I8]>:$output,
                      RankedTensorOf<[F32]>:$scale);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($output) `,` type($scale)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tern_MatmulOp : Tern_Op<"matmul", [Pure]> {
  let summary = "Exact int8 x ternary matrix product with int32 results";
  let description = [{
    `acc[m, n] = sum_k lhs[m, k] * W[n, k]` computed exactly in int32 (the
    weights are stored [N, K], one row per output feature). The weights may
    carry any layout; the value is the same. Folds when both operands are
    constants.

    Example:

    ```mlir
    %acc = tern.matmul %q, %w : tensor<1x2560xi8>, !tern.weights<640x2560>
             -> tensor<1x640xi32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I8]>:$lhs, Tern_Weights:$weights);
  let results = (outs RankedTensorOf<[I32]>:$result);
  let assemblyFormat = [{
    $lhs `,` $weights attr-dict `:` type($lhs) `,` qualified(type($weights)) `->`
    type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tern_RescaleOp : Tern_Op<"rescale", [Pure]> {
  let summary = "Turns int32 accumulators back into floats";
  let description = [{
    `y[m, n] = f32(acc[m, n]) * (beta / s[m])`, where `s` are the per-row
    activation scales of `tern.quantize_act` and `beta` is the weight scale.

    Example:

    ```mlir
    %y = tern.rescale %acc, %s, %beta : tensor<1x640xi32>, tensor<1xf32>, f32
           -> tensor<1x640xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I32]>:$acc, RankedTensorOf<[F32]>:$act_scale,
                       F32:$weight_scale);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $acc `,` $act_scale `,` $weight_scale attr-dict `:` type($acc) `,`
    type($act_scale) `,` type($weight_scale) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tern_BitLinearOp : Tern_Op<"bitlinear", [Pure]> {
  let summary = "A BitNet b1.58 linear layer: y = BitLinear(x; W, beta)";
  let description = [{
    The fused form the model importer emits: quantize the activations per
    row, multiply exactly by the ternary weights, rescale. Equivalent to
    `tern.quantize_act` + `tern.matmul` + `tern.rescale`, which is what
    `tern-decompose-bitlinear` rewrites it into.

    Example:

    ```mlir
    %y = tern.bitlinear %x, %w, %beta : tensor<1x2560xf32>,
           !tern.weights<640x2560>, f32 -> tensor<1x640xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input, Tern_Weights:$weights,
                       F32:$weight_scale);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $input `,` $weights `,` $weight_scale attr-dict `:` type($input) `,`
    qualified(type($weights)) `,` type($weight_scale) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tern_PackOp : Tern_Op<"pack", [Pure]> {
  let summary = "Gives unpacked ternary weights a packed layout";
  let description = [{
    The value is unchanged; the result is stored in the layout its type
    names. Folds on constants and cancels with `tern.unpack`.

    Example:

    ```mlir
    %p = tern.pack %w : !tern.weights<640x2560>
           -> !tern.weights<640x2560, #tern.layout<i2, block = 128>>
    ```
  }];
  let arguments = (ins Tern_Weights:$source);
  let results = (outs Tern_Weights:$result);
  let assemblyFormat = "$source attr-dict `:` qualified(type($source)) `->` qualified(type($result))";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tern_UnpackOp : Tern_Op<"unpack", [Pure]> {
  let summary = "Drops the packed layout of ternary weights";
  let description = [{
    The inverse of `tern.pack`: same values, no layout.

    Example:

    ```mlir
    %w = tern.unpack %p : !tern.weights<640x2560, #tern.layout<lut2, block = 64>>
           -> !tern.weights<640x2560>
    ```
  }];
  let arguments = (ins Tern_Weights:$source);
  let results = (outs Tern_Weights:$result);
  let assemblyFormat = "$source attr-dict `:` qualified(type($source)) `->` qualified(type($result))";
  let hasVerifier = 1;
  let hasFolder = 1;
}

#endif // TERN_DIALECT_TERNOPS
