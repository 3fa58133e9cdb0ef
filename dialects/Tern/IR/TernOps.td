//===- TernOps.td - tern operations ------------------------*- tablegen -*-===//

#ifndef TERN_DIALECT_TERNOPS
#define TERN_DIALECT_TERNOPS

include "dialects/Tern/IR/TernInterfaces.td"
include "dialects/Tern/IR/TernTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/OpBase.td"

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
  let summary = "A model parameter stored in the model's weights blob";
  let description = [{
    References a model parameter by name: a ternary weight matrix
    (`!tern.weights<NxK>`) or a dense tensor (norm weights, the embedding
    table, a quantized head's codes and scales). The name is the tensor's
    name in the source model file (`a+b+c` for the rows of several
    ternary weights stacked in that order, as `tern-fuse-projections`
    makes them); parameters are never inlined into the IR as attributes.

    Before `tern-plan-weights` a weight has no `offset` and the blob has a
    dynamic size: only its value is fixed. `tern-select-kernels` gives
    ternary weights a packed layout (`tern.pack`); `tern-plan-weights` folds
    those into the weight's type and assigns each distinct weight its
    `offset`: then the bytes are at `offset` of `blob`, stored in the
    result's layout (one int8 per element without a layout; dense tensors
    in their element type, row-major). The executable's weights blob is
    written from these ops.

    The op has no side effects: the blob is read-only for the whole run.

    Examples:

    ```mlir
    %w = tern.weight "blk.0.attn_q.weight" %blob : memref<?xi8> -> !tern.weights<256x256>
    %p = tern.weight "blk.0.attn_q.weight" %blob[4096]
           : memref<1048576xi8> -> !tern.weights<256x256, #tern.layout<i2, block = 128>>
    %n = tern.weight "blk.0.attn_norm.weight" %blob[0] : memref<1048576xi8> -> tensor<256xf32>
    ```
  }];
  let arguments = (ins MemRefRankOf<[I8], [1]>:$blob, StrAttr:$name,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$offset);
  let results = (outs AnyTypeOf<[Tern_Weights,
                                 StaticShapeTensorOf<[F32, F16, BF16, I8]>]>:$result);
  let assemblyFormat = [{
    $name $blob (`[` $offset^ `]`)? attr-dict `:` type($blob) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Bytes the parameter takes in the blob (packed rows for ternary
    /// weights with a layout).
    int64_t getByteSize();
  }];
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

def Tern_QuantizeActOp : Tern_Op<"quantize_act", [Pure,
    DeclareOpInterfaceMethods<Tern_RowWiseOpInterface>]> {
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
    constants. `kernel` (set by `tern-select-kernels`) names the generated
    kernel that computes it; its layout must be the weights'.

    Example:

    ```mlir
    %acc = tern.matmul %q, %w : tensor<1x2560xi8>, !tern.weights<640x2560>
             -> tensor<1x640xi32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I8]>:$lhs, Tern_Weights:$weights,
                       OptionalAttr<Tern_KernelAttr>:$kernel);
  let results = (outs RankedTensorOf<[I32]>:$result);
  let assemblyFormat = [{
    $lhs `,` $weights attr-dict `:` type($lhs) `,` qualified(type($weights)) `->`
    type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tern_RescaleOp : Tern_Op<"rescale", [Pure,
    DeclareOpInterfaceMethods<Tern_RowWiseOpInterface>]> {
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
    `tern-decompose-bitlinear` rewrites it into (moving `kernel`, the
    choice of `tern-select-kernels`, to the matmul).

    Example:

    ```mlir
    %y = tern.bitlinear %x, %w, %beta : tensor<1x2560xf32>,
           !tern.weights<640x2560>, f32 -> tensor<1x640xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input, Tern_Weights:$weights,
                       F32:$weight_scale, OptionalAttr<Tern_KernelAttr>:$kernel);
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


//===----------------------------------------------------------------------===//
// The network around the BitLinear layers (BitNet b1.58). Each op states
// the numerics of runtime/reference/ReferenceModel.h for its step, so that
// a compiled model equals the reference bit for bit; their lowering is
// convert-tern-network-to-vector (one pattern per op).
//===----------------------------------------------------------------------===//

def Tern_EmbeddingOp : Tern_Op<"embedding", [Pure]> {
  let summary = "Token embedding lookup, widened to f32";
  let description = [{
    `result[r, :] = f32(table[tokens[r], :])` for each of the R tokens.
    Token ids must be in `[0, V)`; the runtime checks them before calling
    the entry point.

    Example:

    ```mlir
    %x = tern.embedding %table[%tokens] : tensor<128256x2560xf16>, tensor<1xi64>
           -> tensor<1x2560xf32>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[F32, F16, BF16]>:$table,
                       StaticShapeTensorOf<[I64]>:$tokens);
  let results = (outs StaticShapeTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $table `[` $tokens `]` attr-dict `:` type($table) `,` type($tokens) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tern_RmsNormOp : Tern_Op<"rms_norm", [Pure,
    DeclareOpInterfaceMethods<Tern_RowWiseOpInterface>]> {
  let summary = "RMSNorm of each row, scaled by a weight vector";
  let description = [{
    For each row x of N values: `ms = f32(sum_i f64(x_i)^2 / N)` and
    `y_i = (x_i * (1 / sqrt(ms + epsilon))) * weight_i`. The sum of squares
    is accumulated in f64 in 8 interleaved partial sums (element i into sum
    i % 8), which are then added as
    `((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7))`: the reference's
    order, which vector code keeps. N must be a multiple of 8.

    Example:

    ```mlir
    %y = tern.rms_norm %x, %w {epsilon = 1.0e-05 : f32}
           : tensor<1x2560xf32>, tensor<2560xf32> -> tensor<1x2560xf32>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[F32]>:$input,
                       StaticShapeTensorOf<[F32]>:$weight, F32Attr:$epsilon);
  let results = (outs StaticShapeTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tern_RmsNormQuantizeOp : Tern_Op<"rms_norm_quantize", [Pure,
    DeclareOpInterfaceMethods<Tern_RowWiseOpInterface>]> {
  let summary = "RMSNorm of each row, then its absmax quantization to int8";
  let description = [{
    `tern.rms_norm` of `input` by `weight` followed by `tern.quantize_act`
    of the normalized rows, with the same values bit for bit (each
    normalized value is computed as `tern.rms_norm` computes it; the
    absmax, a maximum, does not depend on its order), without the
    normalized f32 rows as a result: they are computed again where they
    are quantized rather than stored and read back, so that the code
    between a layer's matmuls writes only the int8 rows it hands on.
    `tern-fuse-norm-quantize` forms it from an `rms_norm` whose only user
    is a `quantize_act`. N must be a multiple of 8.

    Example:

    ```mlir
    %q, %s = tern.rms_norm_quantize %x, %w {epsilon = 1.0e-05 : f32}
               : tensor<1x2560xf32>, tensor<2560xf32>
               -> tensor<1x2560xi8>, tensor<1xf32>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[F32]>:$input,
                       StaticShapeTensorOf<[F32]>:$weight, F32Attr:$epsilon);
  let results = (outs StaticShapeTensorOf<[I8]>:$output,
                      StaticShapeTensorOf<[F32]>:$scale);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->`
    type($output) `,` type($scale)
  }];
  let hasVerifier = 1;
}

def Tern_RopeTableOp : Tern_Op<"rope_table", [Pure]> {
  let summary = "RoPE cosines and sines for R consecutive positions";
  let description = [{
    For row r (position `position + r`) and i < D/2, where D/2 is the
    results' second dimension and D the head dimension:
    `inv_freq = theta^(-2i / D)` and `angle = position_r * inv_freq` in f64
    (as the reference computes them), then `cos = f32(cos(angle))`,
    `sin = f32(sin(angle))`. D/2 must be a multiple of 8.

    Example:

    ```mlir
    %cos, %sin = tern.rope_table %pos {theta = 5.0e+05 : f32}
                   : tensor<1x64xf32>, tensor<1x64xf32>
    ```
  }];
  let arguments = (ins Index:$position, F32Attr:$theta);
  let results = (outs StaticShapeTensorOf<[F32]>:$cos,
                      StaticShapeTensorOf<[F32]>:$sin);
  let assemblyFormat = [{
    $position attr-dict `:` type($cos) `,` type($sin)
  }];
  let hasVerifier = 1;
}

def Tern_RopeTableRowsOp : Tern_Op<"rope_table_rows", [Pure]> {
  let summary = "RoPE cosines and sines for one position per row";
  let description = [{
    As `tern.rope_table`, with row r at position `positions[r]` (a batch of
    sequences, each at its own position).

    Example:

    ```mlir
    %cos, %sin = tern.rope_table_rows %positions {theta = 5.0e+05 : f32}
                   : tensor<4xi64> -> tensor<4x64xf32>, tensor<4x64xf32>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[I64]>:$positions, F32Attr:$theta);
  let results = (outs StaticShapeTensorOf<[F32]>:$cos,
                      StaticShapeTensorOf<[F32]>:$sin);
  let assemblyFormat = [{
    $positions attr-dict `:` type($positions) `->` type($cos) `,` type($sin)
  }];
  let hasVerifier = 1;
}

def Tern_RopeOp : Tern_Op<"rope", [Pure,
    DeclareOpInterfaceMethods<Tern_RowWiseOpInterface>]> {
  let summary = "Rotary position embedding of every head of each row";
  let description = [{
    The input rows hold heads of D values (D = 2 x the tables' second
    dimension). Each head's halves rotate together (the rotate-half form of
    Hugging Face's BitNet): for i < D/2, with `a = x[h D + i]`,
    `b = x[h D + i + D/2]`, `c = cos[r, i]`, `s = sin[r, i]`:
    `y[h D + i] = a c - b s` and `y[h D + i + D/2] = b c + a s`
    (no fused multiply-add).

    Example:

    ```mlir
    %qr = tern.rope %q, %cos, %sin : tensor<1x2560xf32>, tensor<1x64xf32>,
            tensor<1x64xf32> -> tensor<1x2560xf32>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[F32]>:$input,
                       StaticShapeTensorOf<[F32]>:$cos,
                       StaticShapeTensorOf<[F32]>:$sin);
  let results = (outs StaticShapeTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $input `,` $cos `,` $sin attr-dict `:` type($input) `,` type($cos) `,`
    type($sin) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Tern_AttentionOp : Tern_Op<"attention", [AttrSizedOperandSegments]> {
  let summary = "Causal grouped-query attention over the KV cache";
  let description = [{
    For R new tokens at positions `position .. position + R - 1`: first
    stores row r of `key` and `value` as row `position + r` of layer `layer`
    of the caches ([layers, context, kv heads x D]); then for each row r and
    query head h (D = query width / `num_heads`; kv head
    `h / (num_heads / num_kv_heads)`) attends to cache rows
    `[0, position + r]`:
    `s_j = dot(q, k_j) * (1 / sqrt(f32(D)))` with the dot product in 8
    interleaved lanes summed as RMSNorm's; `m = max_j s_j`;
    `e_j = exp(s_j - m)`, summed in order of j; `w_j = e_j / sum`; and
    `out[d] = sum_j w_j * v_j[d]` in order of j. `position + R` must not
    exceed the cache's context; the runtime checks it.

    `staged_from` (one row only; set by tern-select-kernels): where the row
    attends to at least this many positions, its attention runs as three
    parallel ranges instead of one range of query heads: the scores over
    blocks of positions (each key row read once for the query heads that
    share it), the softmax per head, the output over groups of lanes (each
    value row read once per group). The arithmetic, order of every sum
    included, is the same.

    `value_panel = P` (set by tern-select-kernels on every attention op of
    a module alike, as the entry points share the caches): the value cache
    holds each kv head's D lanes as D / P panels of P lanes, each panel's
    rows together: within a layer, lane d of kv head h at position j lies
    at `(h * (D / P) + d / P) * context * P + j * P + d % P` instead of
    `j * kv heads * D + h * D + d`, so that the output, which reads a few
    lanes of every row, reads them in order. P is a multiple of 16 that
    divides D. The key cache keeps whole rows.

    `rope %cos, %sin` (one row only; set by tern-fuse-rope-attention): the
    query and the key are the rows before rotary position embedding, and
    the op rotates them first, exactly as `tern.rope` with these tables
    would. The lowering rotates each query head in the parallel item that
    attends with it; the items score the newest position against the
    rotated new key and add the new value row last, and one item per kv
    head stores both rows into the caches. Same arithmetic in the same
    order as the op fed by `tern.rope`.

    The caches are state: the op reads and writes them.

    Example:

    ```mlir
    %att = tern.attention %q, %k, %v into %kc, %vc at %pos
             {layer = 0 : i64, num_heads = 20 : i64, num_kv_heads = 5 : i64}
             : tensor<1x2560xf32>, tensor<1x640xf32>, tensor<1x640xf32>,
               memref<30x4096x640xf32>, memref<30x4096x640xf32> -> tensor<1x2560xf32>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[F32]>:$query,
                       StaticShapeTensorOf<[F32]>:$key,
                       StaticShapeTensorOf<[F32]>:$value,
                       Arg<MemRefRankOf<[F32], [3]>, "the K cache",
                           [MemRead, MemWrite]>:$key_cache,
                       Arg<MemRefRankOf<[F32], [3]>, "the V cache",
                           [MemRead, MemWrite]>:$value_cache,
                       Index:$position,
                       Optional<StaticShapeTensorOf<[F32]>>:$cos,
                       Optional<StaticShapeTensorOf<[F32]>>:$sin,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$layer,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_kv_heads,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$staged_from,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$value_panel);
  let results = (outs StaticShapeTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value `into` $key_cache `,` $value_cache `at` $position
    (`rope` $cos^ `,` $sin)?
    attr-dict `:` type($query) `,` type($key) `,` type($value) `,`
    type($key_cache) `,` type($value_cache)
    (`,` type($cos)^ `,` type($sin))? `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getHeadDim() {
      return getQuery().getType().getDimSize(1) / getNumHeads();
    }
  }];
}

def Tern_BatchAttentionOp : Tern_Op<"batch_attention"> {
  let summary = "Attention of one new token of each of B sequences";
  let description = [{
    Row r is the next token of the sequence whose caches are slot
    `slots[r]` of the caches ([slots, layers, context, kv heads x D]) at
    position `positions[r]`: first every row's key and value are stored as
    row `positions[r]` of layer `layer` of its slot, then row r attends to
    rows `[0, positions[r]]` of its slot exactly as `tern.attention`
    computes one row. The slots of a batch are distinct; positions must be
    inside the context (the runtime checks both). `value_panel` lays out
    each slot's value cache as `tern.attention`'s.

    Example:

    ```mlir
    %att = tern.batch_attention %q, %k, %v into %kc, %vc at %positions
             slots %slots {layer = 0 : i64, num_heads = 20 : i64,
                           num_kv_heads = 5 : i64}
             : tensor<4x2560xf32>, tensor<4x640xf32>, tensor<4x640xf32>,
               memref<?x30x4096x640xf32>, memref<?x30x4096x640xf32>,
               tensor<4xi64>, tensor<4xi64> -> tensor<4x2560xf32>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[F32]>:$query,
                       StaticShapeTensorOf<[F32]>:$key,
                       StaticShapeTensorOf<[F32]>:$value,
                       Arg<MemRefRankOf<[F32], [4]>, "the K caches",
                           [MemRead, MemWrite]>:$key_cache,
                       Arg<MemRefRankOf<[F32], [4]>, "the V caches",
                           [MemRead, MemWrite]>:$value_cache,
                       StaticShapeTensorOf<[I64]>:$positions,
                       StaticShapeTensorOf<[I64]>:$slots,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$layer,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_heads,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_kv_heads,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$value_panel);
  let results = (outs StaticShapeTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value `into` $key_cache `,` $value_cache `at`
    $positions `slots` $slots attr-dict `:` type($query) `,` type($key) `,`
    type($value) `,` type($key_cache) `,` type($value_cache) `,`
    type($positions) `,` type($slots) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getHeadDim() {
      return getQuery().getType().getDimSize(1) / getNumHeads();
    }
  }];
}

def Tern_SquaredReluGateOp : Tern_Op<"squared_relu_gate", [Pure,
    DeclareOpInterfaceMethods<Tern_RowWiseOpInterface>,
    AllTypesMatch<["gate", "up", "result"]>]> {
  let summary = "BitNet's gated squared ReLU: relu(gate)^2 * up";
  let description = [{
    Elementwise `r = max(gate, 0)`, `y = (r * r) * up`.

    Example:

    ```mlir
    %h = tern.squared_relu_gate %gate, %up : tensor<1x6912xf32>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[F32]>:$gate,
                       StaticShapeTensorOf<[F32]>:$up);
  let results = (outs StaticShapeTensorOf<[F32]>:$result);
  let assemblyFormat = "$gate `,` $up attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Tern_LmHeadOp : Tern_Op<"lm_head", [AttrSizedOperandSegments]> {
  let summary = "The output head: logits of every vocabulary row";
  let description = [{
    `logits[r, v] = dot(input[r], W[v])` for the rows r in
    `[first_row, R)` (all rows without `first_row`; none when
    `first_row >= R`), written into `logits` ([R, V], or [V] when R = 1);
    the other rows of `logits` are left as they are. The weights depend on
    `format` (runtime/model/HeadFormat.h):

    * `native`: `weights` is the model's matrix [V, H] (f32, f16 or bf16),
      widened to f32; no scales. Lossless.
    * `int8`: `weights` [V, H] int8 codes, `scales` [V, 1] f32. With i8
      `input` (the token rows quantized by `tern.quantize_act`, clamped to
      [-127, 127]) and `input_scales` s[r], integer dot products:
      `i = sum codes[v, k] * input[r, k]`, exact in i32 (H <= 132104), and
      `logit = (f32(i) * scales[v]) * (1 / s[r])`. With f32 `input` (the
      screened head's scan), the same with the token rows quantized to 15
      bits by the op itself (quantizeScreenRow: `s[r] = 16256 /
      max|input[r]|`, 1 for a zero row; `u = sign(x) * min(roundeven(|x| *
      s[r]), 16256)`, NaN elements 0), `i = sum codes[v, k] * u[r, k]`
      exact in i64, `logit = (f32(i) * scales[v]) * (1 / s[r])`.
    * `q4`: integer dot products. `input` is the token rows quantized to
      int8 (`tern.quantize_act`), `input_scales` their scales s[r];
      `weights` [V, H/2] bytes (group g of 32 weights in bytes
      16g .. 16g + 15: low nibbles hold its first 16 codes, high nibbles
      the last 16; weight = code - 8), `scales` [V, H/32] f16 (GGUF
      Q4_0's bytes, 4.5 bits a weight). Per group,
      `i[g] = sum (code - 8) * input[r, k]`, exact in i32; per lane l < 16,
      `p[l] = sum over g = l mod 16, in order, of f32(i[g]) *
      f32(scales[v, g])`
      (product, then sum); `logit = fold16(p) * (1 / s[r])` with
      `fold16(p) = tree(p[l] + p[l+8])`.

    Float dot products (native) have 32 partial sums (element k into
    k % 32) when H is a multiple of 32, folded to 8 as `(p[l] + p[l+16]) +
    (p[l+8] + p[l+24])` and summed as RMSNorm's; else 8 lanes. The tree of
    8 lanes is `((p0+p4)+(p2+p6))+((p1+p5)+(p3+p7))`.

    `dot = "family"` (q4 and int8, set by tern-select-kernels from the
    target): the kernel family (compiler/Kernels) whose multiply-add of
    byte quads computes the integer sums (vpdpbusd, vpmaddubsw, sdot);
    without it, plain vector arithmetic. Only speed depends on it.

    `prefetch = P` (bytes, set by tern-select-kernels from the target): each
    load of a vocabulary row's weights (by the first group of token rows
    where several are computed together) also prefetches the same columns
    ceil(P / row bytes) rows further on (the last row at most), with
    `prefetch_locality = L` (LLVM's prefetch locality hint, 1 when absent;
    as #tern.kernel's `locality`); only speed depends on them.

    `tile = array<i64: v, t>` (native, set by tern-select-kernels
    from the target's vector registers where every one of several token
    rows is wanted): the loop over the vocabulary computes v vocabulary
    rows with t token rows per pass over the columns, each weight vector
    loaded and widened once for t token rows and each token vector loaded
    once for v vocabulary rows; every sum keeps its own order, so only
    speed depends on it (without it, 1 x 4).

    Example:

    ```mlir
    tern.lm_head %xn, %emb into %logits as native {prefetch = 5120 : i64}
      : tensor<1x2560xf32>, tensor<128256x2560xf16> into memref<128256xf32>
    %q, %s = tern.quantize_act %xn : tensor<32x2560xf32>
               -> tensor<32x2560xi8>, tensor<32xf32>
    tern.lm_head %q scaled %s, %codes, %scales into %logits from %first
      as q4 {dot = "vnni512"}
      : tensor<32x2560xi8> scaled tensor<32xf32>, tensor<128256x1280xi8>,
        tensor<128256x80xf16> into memref<32x128256xf32>
    ```
  }];
  let arguments = (ins Tern_HeadFormat:$format,
                       StaticShapeTensorOf<[F32, I8]>:$input,
                       Optional<StaticShapeTensorOf<[F32]>>:$input_scales,
                       StaticShapeTensorOf<[F32, F16, BF16, I8]>:$weights,
                       Optional<StaticShapeTensorOf<[F32, F16]>>:$scales,
                       Arg<MemRefOf<[F32]>, "the logits", [MemWrite]>:$logits,
                       Optional<Index>:$first_row,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntMinValue<0>, IntMaxValue<1048576>]>>:$prefetch,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntMinValue<0>, IntMaxValue<3>]>>:$prefetch_locality,
                       OptionalAttr<StrAttr>:$dot,
                       OptionalAttr<DenseI64ArrayAttr>:$tile);
  let assemblyFormat = [{
    $input (`scaled` $input_scales^)? `,` $weights (`,` $scales^)? `into`
    $logits (`from` $first_row^)? `as` $format attr-dict `:` type($input)
    (`scaled` type($input_scales)^)? `,` type($weights)
    (`,` type($scales)^)? `into` type($logits)
  }];
  let extraClassDeclaration = [{
    /// Whether it takes token rows quantized by tern.quantize_act (i8,
    /// with their scales): q4, and int8 given i8 rows.
    bool isInteger() {
      return getInput().getType().getElementType().isInteger(8);
    }
  }];
  let hasVerifier = 1;
}

def Tern_ScreenHeadOp : Tern_Op<"screen_head"> {
  let summary = "Recomputes natively every logit a screen cannot rule out";
  let description = [{
    `logits` [V] holds one token row's logits a[v] from a quantized copy of
    the head (`tern.lm_head ... as int8` of the f32 row, or `as q4` of the
    row quantized by `tern.quantize_act`); `bounds[v]` bounds the copy's
    error per unit of the input's norm (`bounds[v, 0]`) and of its largest
    magnitude (`bounds[v, 1]`; runtime/model/HeadFormat.h, screenRowBound).
    With n = sqrt(dot(input, input)), m = max |input| and B[v] =
    (bounds[v, 0] * n + bounds[v, 1] * m) + |a[v]| * 2^-20, the row p with the largest a[p] - B[p]
    (the first of equals) gets its native logit T = `dot(input[0],
    weights[p])`, as `tern.lm_head ... as native` computes it (same order,
    bit for bit), and so does every other row with a[v] + B[v] >= T; the
    others keep a[v]; where n is below `min_norm` (2^-60 without it; the
    smallest norm the bounds hold for, screenMinNorm) or not finite, every
    row gets its native logit. The largest logit and its row are then the
    native head's: greedy decoding picks the native head's token while the
    whole vocabulary is read in the copy's format. Dot products in
    `tern.lm_head`'s order; B in f32 as written.

    Example:

    ```mlir
    tern.lm_head %xn, %codes, %scales into %logits as int8
      : tensor<1x2560xf32>, tensor<128256x2560xi8>, tensor<128256x1xf32>
        into memref<128256xf32>
    tern.screen_head %xn, %emb, %bounds into %logits
      : tensor<1x2560xf32>, tensor<128256x2560xf16>, tensor<128256x2xf32>
        into memref<128256xf32>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[F32]>:$input,
                       StaticShapeTensorOf<[F32, F16, BF16]>:$weights,
                       StaticShapeTensorOf<[F32]>:$bounds,
                       Arg<MemRefOf<[F32]>, "the logits",
                           [MemRead, MemWrite]>:$logits,
                       OptionalAttr<F32Attr>:$min_norm);
  let assemblyFormat = [{
    $input `,` $weights `,` $bounds `into` $logits attr-dict `:`
    type($input) `,` type($weights) `,` type($bounds) `into` type($logits)
  }];
  let hasVerifier = 1;
}

#endif // TERN_DIALECT_TERNOPS
