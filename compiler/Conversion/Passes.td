//===- Passes.td - Tern conversion passes ------------------*- tablegen -*-===//

#ifndef TERN_CONVERSION_PASSES
#define TERN_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def ConvertTernToLinalg : Pass<"convert-tern-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Reference lowering of every tern op to linalg, tensor and arith";
  let description = [{
    Gives each tern op its meaning in upstream dialects, element by element,
    with no attention to speed. This lowering is the semantic oracle for
    every fast lowering: keep it simple and keep it forever.

    `!tern.weights<NxK>` becomes `tensor<NxKxi8>` holding -1, 0, 1;
    `!tern.weights<NxK, #tern.layout<...>>` becomes the packed bytes,
    `tensor<N x rowBytes x i8>`, and `tern.pack` / `tern.unpack` become
    `linalg.generic` ops that compute each byte or weight from the layout's
    definition. `tern.bitlinear` is decomposed first. Function signatures,
    calls and returns are converted too.

    Example: `tern.matmul %q, %w` with unpacked weights becomes

    ```mlir
    %acc = linalg.generic {indexing_maps = [(m, n, k) -> (m, k),
                                            (m, n, k) -> (n, k),
                                            (m, n, k) -> (m, n)],
                           iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%q, %w : tensor<2x8xi8>, tensor<4x8xi8>) outs(%zero : tensor<2x4xi32>) {...}
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def ConvertTernToKernels : Pass<"convert-tern-to-kernels", "::mlir::ModuleOp"> {
  let summary = "Ternary matmuls with a #tern.kernel to calls of generated kernels";
  let description = [{
    Replaces each `tern.matmul` that carries a `kernel` (the choice of
    `tern-select-kernels`) on a planned `tern.weight` with a call to a
    kernel declared for that exact shape and choice,
    `tern_kernel_<packing>_<family>_MxNxK_b<B>_t<TM>x<TN>(a:
    memref<MxKxi8>, w: memref<NxRxi8>, out: memref<MxNxi32>, begin, end)`
    (R the packed row bytes, hyphens in the family name as underscores),
    which computes the output units [begin, end): columns, or groups of the
    packing's row group (32 for `lut2i`). The call covers all units and is
    marked `tern.parallel` (`convert-parallel-to-runtime` may split it over
    threads). The weights are read in place through `memref.view`; the
    declaration carries the `#tern.kernel` as `tern.kernel`. A matmul
    without a kernel is left for `convert-tern-to-linalg`; a kernel whose
    family does not read the weights' layout for this K is an error.

    Example: `%acc = tern.matmul %q, %w {kernel = #tern.kernel<"avx2", i2,
    block = 128, tile = [1, 1]>}` with
    `%w = tern.weight "blk.0.attn_q.weight" %blob[4096]` becomes

    ```mlir
    %view = memref.view %blob[%c4096][] : memref<...xi8> to memref<256x64xi8>
    %a = bufferization.to_buffer %q read_only : tensor<1x256xi8> to memref<1x256xi8>
    %out = memref.alloc() : memref<1x256xi32>
    call @tern_kernel_i2_avx2_1x256x256_b128_t1x1(%a, %view, %out, %c0, %c256) {tern.parallel}
    %acc = bufferization.to_tensor %out restrict writable : memref<1x256xi32> to tensor<1x256xi32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def GenerateTernKernels : Pass<"tern-generate-kernels", "::mlir::ModuleOp"> {
  let summary = "Generates the bodies of the kernels convert-tern-to-kernels declared";
  let description = [{
    For each external function marked `tern.kernel = #tern.kernel<...>`,
    generates its body for its shape with the family's generator from the
    kernel registry (`compiler/Kernels`; the families and what they read
    are listed in docs/kernels.md): a loop over tiles of TM rows (the
    remaining rows as one smaller tile), inside it a loop over tiles of TN
    output units of [begin, end) (the remaining units one by one), and per
    tile the family's computation. Multiply-add families keep TM x TN
    accumulators over a chain of vector steps through the reduction: each
    step loads TN columns' weight bytes and decodes them once (the
    packing's vector decoder), and TM rows' activations once. Decode tiles
    unroll the chain fully; avx2, vnni and vnni512 prefill tiles (TM > 1)
    run it as an `scf.for` over the weight blocks (and the steps of a
    block) whose body is one step, the accumulators carried as `iter_args`
    (faster than unrolled on a Zen 5; docs/performance.md).
    Lookup-table families build, per activation row, a table of the 9
    partial sums of each pair of activations and look up 16 rows' sums per
    byte shuffle.

    The target instructions are `llvm.call_intrinsic` ops, or `amx` dialect
    ops for the amx family (tiles of 16 columns x 16 rows: the codes of 16
    columns decoded into a stack buffer, the activations transposed into
    VNNI order once per call, `amx.tile_muli` into 16 x 16 sums); everything
    else is vector/scf/arith/memref.

    Example: the declaration
    `func.func private @tern_kernel_i2_avx2_1x64x256_b128_t1x1(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"avx2", i2, block = 128, tile = [1, 1]>}`
    gets a body with 2 x 4 `vpmaddubsw` and 2 `vpmaddwd` per output.
  }];
  let dependentDialects = [
    "::mlir::amx::AMXDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def ConvertTernNetworkToVector : Pass<"convert-tern-network-to-vector", "::mlir::ModuleOp"> {
  let summary = "The network ops around the BitLinear layers as vector code";
  let description = [{
    Lowers `tern.embedding`, `tern.rms_norm`, `tern.rms_norm_quantize`,
    `tern.rope_table`, `tern.rope`, `tern.attention`, `tern.lm_head` and
    `tern.screen_head` to scf loops over memrefs on `vector<8xf32>`
    (`vector<8xf64>` for the RMSNorm sums; `vector<32xf32>` partial sums in
    the head), one pattern per op, keeping each op's stated order of
    floating-point operations (the reference forward pass's), so that
    compiled logits equal `tern run`'s bit for bit. Tensor operands are
    read through `bufferization.to_buffer`; each result is a new buffer
    (on the stack up to 256 KiB) returned through `bufferization.to_tensor`;
    the KV cache and the logits are memref operands written in place.

    `tern.attention` stores the new keys and values, then calls an outlined
    function `tern_attention_r<R>_h<H>_kv<KV>_d<D>_c<C>` on items [0, R x
    H / G) (a row and G query heads of one kv head); a one-row
    `tern.attention` with `staged_from = N` instead calls, where it attends
    to at least N positions, `tern_attention_scores_...` on blocks of 32
    positions (whole key rows, every kv head in turn), then
    `tern_attention_softmax_...` on the query heads, then
    `tern_attention_output_...` on (kv head, group of lanes) pairs, with a
    [H, context] scores buffer between them. With `value_panel = P` every
    access to the value cache goes through a `memref.reinterpret_cast` of
    it to [(slots,) layers, KV, D / P, C, P], and the functions' names end
    in `_p<P>`. `tern.lm_head` calls
    `tern_head_<format>_<type>_r<R>_h<H>_v<V>[_from]` on vocabulary rows
    [0, V): both calls are `tern.parallel`, split among the runtime's
    threads by `convert-parallel-to-runtime`. `tern.screen_head` calls
    `tern_screen_head_<type>_h<H>_v<V>` (`_n<bits>` for a min_norm) once,
    on the caller: the int8 screen recomputes a median of 51 rows per
    token on 2B4T (docs/performance.md, "Screened head"), and even 1000
    rows split among the threads decoded no faster
    (34.5 against 34.6 tokens/s, `bench -p 0 -n 32 -r 3 -t 2`, 3
    alternating rounds). Only the RoPE angles and the softmax's
    exponentials and running sum are scalar.

    Example:

    ```mlir
    %y = tern.rms_norm %x, %w {epsilon = 1.0e-05 : f32}
           : tensor<1x256xf32>, tensor<256xf32> -> tensor<1x256xf32>
    ```

    becomes a loop over the row with an `scf.for` of
    `arith.extf ... : vector<8xf32> to vector<8xf64>` squares summed into
    a `vector<8xf64>`, the lane tree, and a second loop storing
    `(x * rs) * w` into a new `memref<1x256xf32>`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def TernOutlineRowRegions : Pass<"tern-outline-row-regions", "::mlir::ModuleOp"> {
  let summary = "Runs the row-wise layer code between matmuls as parallel row regions";
  let description = [{
    The code between a layer's matmuls (RMSNorm, activation quantization,
    rescaling, RoPE, the squared-ReLU gate, residual additions, the column
    slices of a fused matmul's result) computes each token row from that
    row alone: the tern ops among them implement `RowWiseOpInterface`
    (which operands they read by row), and residual `arith.addf` and
    whole-row `tensor.extract_slice` are recognised here. For several rows
    (prefill, batched decode) this pass moves each maximal run of such ops,
    on tensors of the same M >= 2 rows, into a row function and calls it
    over the rows with `tern.parallel` (`convert-parallel-to-runtime`
    splits it over the runtime's threads, as it does the matmuls' columns):

      - `@<fn>_rows<k>_row(inputs..., scalars, outputs..., %r)` takes row
        `r` of each row input (in place where only ops lowered through
        linalg read it; copied into a one-row buffer where a network
        pattern, which reads identity-layout buffers, does), applies the
        ops to those one-row tensors (the same ops, lowered by the same
        patterns as decode's, so each row's arithmetic is unchanged), and
        writes row `r` of each output;
      - `@<fn>_rows<k>(..., %begin, %end)` loops it over [begin, end);
      - at the call site: the inputs as buffers, the scalar operands (the
        weight scales) stored in a small buffer, the outputs allocated
        (64-byte aligned: the matmul kernels load activations by the cache
        line),
        `call @<fn>_rows<k>(..., %c0, %cM) {tern.parallel = 8}`, and the
        outputs read back as tensors.

    Ops between the run's ops that use none of its results (`tern.weight`,
    constants, `tern.rope_table`) stay where they are; the call is placed
    after the run's last op. Row functions that come out the same (every
    layer's, whose weights arrive as arguments) are built once. One-row
    code (decode) is left as it is. Run it after `tern-decompose-bitlinear`
    and before the ops are lowered.

    Example:

    ```mlir
    %n = tern.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<64x256xf32>, tensor<256xf32> -> tensor<64x256xf32>
    %q, %s = tern.quantize_act %n : tensor<64x256xf32> -> tensor<64x256xi8>, tensor<64xf32>
    %acc = tern.matmul %q, %wq ...
    ```
    becomes
    ```mlir
    call @layer_rows0(%xb, %wb, %qb, %sb, %c0, %c64) {tern.parallel = 8 : i64}
    %q = bufferization.to_tensor %qb restrict writable ...
    %s = bufferization.to_tensor %sb restrict writable ...
    %acc = tern.matmul %q, %wq ...
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def TernOutlineColumnEpilogues : Pass<"tern-outline-column-epilogues", "::mlir::ModuleOp"> {
  let summary = "Runs a one-row matmul's elementwise consumers on the threads that sum its columns";
  let description = [{
    In decode (one token row) the row regions do not apply: without this
    pass, the code between two matmuls runs on the calling thread while
    the others wait, and reads sums that the other threads have just
    written. The elementwise part of it reads each
    column of a matmul's sums once: the rescaling, the squared-ReLU gate
    of gate and up, the residual additions (after `tern-fuse-elementwise`,
    one `linalg.generic` per result). This pass moves a one-row kernel
    call (`convert-tern-to-kernels`, sums in a fresh buffer) together with
    the elementwise generics that read its sums into one range function,
    so that the thread that sums a block of columns also computes those
    columns of each generic, while they are in its cache:

      - `@<fn>_cols(a, w, sums, buffers..., scalars, %begin, %end)`
        calls the kernel on its units [begin, end) and applies each
        generic to the columns they cover (its other row operands and its
        output by the same columns, operands that do not vary by column
        whole; the f32 constants of its body, the weight scales, from the
        `scalars` buffer, other constants cloned), so that every layer's
        function comes out the same and is built once (the first layer's
        name; `_cols_<k>` for its k-th after the first);
      - where one generic reads several slices of the sums of its own
        width (gate and up of a fused matmul; slices on whole units of
        the kernel's range that do not overlap), the range is over that
        generic's columns instead, and the kernel runs once per slice, so
        that a block holds both a gate column and its up column;
      - at the call site, the scalars stored in a small stack buffer and
        `call @<fn>_cols(..., %c0, %cN)` with the kernel call's
        `tern.parallel` and `tern.block` (where stacked, a block then
        reads that many units of each slice in turn).

    Each element's operations are the generic's, in the same order, so
    results are unchanged bit for bit; reductions (RMSNorm, quantization)
    stay where they are. A call is left alone unless every use of its
    sums is such a generic (directly or through a unit-stride subview),
    each generic's other inputs exist before the call and its output is
    a fresh buffer no other of them reads, and only subviews of the sums,
    buffer allocations and constants stand between the call and the last
    generic. An output that the function then only copies into one of
    its own arguments (`memref.copy %y, %arg` at its end: decode's
    residual row after down) is written into that argument instead and the
    copy dropped, where nothing from the call on uses the argument or a
    view of it, and every call of the (private) function passes it a
    buffer it allocates, passes nowhere else and derives no other memref
    from, so that it aliases none of the range function's other buffers. Run it after bufferization,
    before buffers are promoted to the stack and before
    `convert-parallel-to-runtime`.

    Example:

    ```mlir
    call @tern_kernel_..._1x256x256_b256_t1x1(%a, %w, %sums, %c0, %c16) {tern.block = 128 : i64, tern.parallel = 8 : i64}
    linalg.generic ... ins(%x, %sums, %s : memref<1x256xf32>, memref<1x256xi32>, memref<1xf32>)
                       outs(%y : memref<1x256xf32>) { sitofp, divf, mulf, addf }
    ```
    becomes
    ```mlir
    %scalars = memref.alloca() : memref<1xf32>
    memref.store %beta, %scalars[%c0] : memref<1xf32>
    call @layer_cols(%a, %w, %sums, %x, %s, %y, %scalars, %c0, %c16) {tern.block = 128 : i64, tern.parallel = 8 : i64}
    ```
    where `@layer_cols` calls the kernel on [begin, end) and the generic
    on the columns [16 begin, 16 end) of `%x`, `%sums` and `%y`, with the
    weight scale `%beta` loaded from `%scalars`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def TernOutlineRowPrologues : Pass<"tern-outline-row-prologues", "::mlir::ModuleOp"> {
  let summary = "Computes decode's normalized, quantized row on each thread of the matmul that reads it";
  let description = [{
    A one-row `tern.rms_norm_quantize` lowers to a call of a function
    marked `tern.row_prologue = 2` (its last two operands are its outputs,
    the int8 row and its scale). Without this pass that call runs on the
    calling thread between two parallel regions: the other threads wait
    while it reads the whole residual row (whose columns they computed)
    and then read the row it wrote. Where the call's outputs are fresh
    buffers that only one `tern.parallel` call reads, after it in the same
    block with nothing in between that writes the prologue's inputs or
    calls a function, this pass moves it into that call's range function:

      - `@<f>_prologue(operands of @f without the outputs, prologue
        inputs, %begin, %end)` asks the runtime for the calling thread's
        own buffer (`tern_region_scratch`, tern_abi.h), places the outputs
        in it (each at a multiple of 64 bytes), computes them by calling
        the prologue only on the thread's first block of the region, and
        calls `@f` on [begin, end) with them; one such function per
        (`@f`, prologue, operand positions), built once for every layer;
      - the call site passes the prologue's inputs instead of its outputs,
        with the call's `tern.parallel` and `tern.block`; the prologue's
        call and its output buffers are gone.

    Every thread computes the same values by the same code, so results
    are unchanged bit for bit. What moves between the threads is the
    residual row, which both now read, and no longer the quantized row
    the caller wrote. Run it after the deallocation pipeline, right before
    `convert-parallel-to-runtime`: the tasks it makes call the runtime.

    Example:

    ```mlir
    call @tern_rms_norm_quantize_n256_eps3727c5ac(%h, %g, %q, %s)
    call @layer_cols(%q, %w, %sums, %s, %y, %scalars, %c0, %c48) {tern.block = 128 : i64, tern.parallel = 8 : i64}
    ```
    becomes
    ```mlir
    call @layer_cols_prologue(%w, %sums, %y, %scalars, %h, %g, %c0, %c48) {tern.block = 128 : i64, tern.parallel = 8 : i64}
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def ConvertParallelToRuntime : Pass<"convert-parallel-to-runtime", "::mlir::ModuleOp"> {
  let summary = "Runs tern.parallel range calls on the runtime's thread pool";
  let description = [{
    A `func.call @f(%m0, ..., %mk, %c0, %n) {tern.parallel = B}` says that
    `@f` computes the part [begin, end) of a range of `n` independent items
    (the columns of a matmul, the rows of the head) given its memrefs
    (static shapes, identity layouts), and that each thread's part may be
    cut into B blocks handed to threads that are free (the lowerings set B:
    the kernel family's `parallelBlocks`, 8 for most; 1, a static split,
    where a call does work of its own; a unit attribute means 1). An
    optional `tern.block = G` bounds a block to G items (the lowerings set
    it where one row of activations streams the weights, decode's matmuls
    and head: blocks of at most 128 KiB of weights, `kStreamBlockBytes`,
    so that a thread that runs out of work waits for little). Without
    this pass the call runs the whole range on the calling thread. This
    pass turns it into the runtime ABI of `runtime/compiled/tern_abi.h`:

      - a task `@f_task(!llvm.ptr %args, index %begin, index %end)` that
        reloads the memrefs from their aligned pointers in `%args` and calls
        `@f(..., %begin, %end)`;
      - at the call site: the aligned pointers stored in a stack array and
        `call @tern_parallel_for(@f_task, %args, %n, %B, %G)`, which runs
        [0, n) on the runtime's threads, each from its part of a static
        split, the B blocks of a part (of at most G items; G = 0 without
        `tern.block`) going to whichever thread is free (the items are
        independent, so results depend neither on the thread count nor on
        timing), and returns when all are done.

    Run it after bufferization (the deallocation analysis does not know the
    pointer round trip).

    Example:

    ```mlir
    call @tern_head(%xn, %emb, %logits, %c0, %c128256) {tern.block = 25 : i64, tern.parallel = 8 : i64}
        : (memref<1x2560xf32>, memref<128256x2560xf16>, memref<128256xf32>, index, index) -> ()
    ```
    becomes
    ```mlir
    %args = memref.alloca() : memref<3xindex>
    ... memref.extract_aligned_pointer_as_index, memref.store ...
    %f = constant @tern_head_task : (!llvm.ptr, index, index) -> ()
    call @tern_parallel_for(%f, %argsPtr, %c128256, %c8, %c25) : (...) -> ()
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

#endif // TERN_CONVERSION_PASSES
