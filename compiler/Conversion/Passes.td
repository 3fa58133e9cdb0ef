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
  let summary = "Ternary matmuls on packed blob weights to per-shape kernels";
  let description = [{
    Replaces each `tern.matmul` whose weights are a `tern.weight` in an i2
    layout (`#tern.layout<i2, block = B>`: byte `(B/4) b + p` of a row holds
    elements `B b + p + (B/4) j` at bit shift `6 - 2 j`; B = 128 is the
    I2_S order) or a base3v layout (1.6 bits per weight: byte `(B/5) b + p`
    holds elements `B b + p + (B/5) j`, j = 0..4, as base-3 digits) with a
    call to a kernel declared for that exact shape, layout, family and
    tiling, `tern_kernel_<packing>_<family>_MxNxK_b<B>_t<TM>x<TN>(a:
    memref<MxKxi8>, w: memref<NxRxi8>, out: memref<MxNxi32>, begin, end)`
    (R the packed row bytes), which
    computes the output columns [begin, end). The call covers [0, N) and is
    marked `tern.parallel` (`convert-parallel-to-runtime` may split it over
    threads). The weights are read in place through `memref.view`.

    The kernel of each matmul is the pass options' (`family`, `tile-m`,
    `tile-n`), unless the op carries its own choice, e.g. from a tuning
    database: `tern.kernel_config = {family = "vnni", tile_m = 1, tile_n = 4}`
    (`tern-decompose-bitlinear` moves it from `tern.bitlinear` to the
    matmul). Families and the blocks they read: `avx2` and `vnni` (i2: B a
    multiple of 128; base3v: of 160), `vnni512` (256; 320), `neon-dotprod`
    (64; 80), `sve` (i2 with B = K); the lookup-table families `lut`,
    `lut512` and `neon-lut` read lut2i only (rows in groups of 32), and
    their kernels' [begin, end) counts groups of 32 columns (the call
    covers [0, N / 32)).
    A matmul the default config cannot read is left for
    `convert-tern-to-linalg`; one whose own config cannot read it is an
    error.

    Example: `%acc = tern.matmul %q, %w` with
    `%w = tern.weight "blk.0.attn_q.weight" %blob[4096]` becomes

    ```mlir
    %view = memref.view %blob[%c4096][] : memref<...xi8> to memref<256x64xi8>
    %a = bufferization.to_buffer %q read_only : tensor<1x256xi8> to memref<1x256xi8>
    %out = memref.alloc() : memref<1x256xi32>
    call @tern_kernel_i2_avx2_1x256x256_b128_t1x1(%a, %view, %out, %c0, %c256) {tern.parallel}
    %acc = bufferization.to_tensor %out restrict writable : memref<1x256xi32> to tensor<1x256xi32>
    ```
  }];
  let options = [
    Option<"family", "family", "std::string", /*default=*/"\"avx2\"",
           "Kernel family: avx2, vnni, vnni512, neon-dotprod, sve, lut, "
           "lut512 or neon-lut">,
    Option<"tileM", "tile-m", "int64_t", /*default=*/"1",
           "Activation rows per tile (each weight decoded once per tile)">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"1",
           "Output columns per tile (each activation loaded once per tile)">,
  ];
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
    For each external function marked `tern.kernel` (with `tern.block` and
    `tern.tile = array<i64: TM, TN>`), generates its body for its shape:
    a loop over tiles of TM rows (the remaining rows as one smaller tile),
    inside it a loop over tiles of TN output columns of [begin, end) (the
    remaining columns one by one), and per tile TM x TN accumulators over a
    fully unrolled chain of vector steps through the reduction: each step
    loads TN columns' weight bytes and decodes them once, and TM rows'
    activations once.

    - `i2_avx2`: per 32-byte step, the 4 bit positions' codes
      (`(byte >> s) & 3`) times 32 activations by `vpmaddubsw`, summed in
      i16, widened by `vpmaddwd` into 8 i32 lanes; the total minus the
      activation row sum.
    - `i2_vnni`: the same codes and activations accumulated straight into
      8 i32 lanes by `vpdpbusd`, minus the activation row sum.
    - `i2_vnni512`: the same on 512-bit vectors: 64-byte steps, 16 i32
      lanes (`llvm.x86.avx512.vpdpbusd.512`).
    - `i2_neon-dotprod`: per 16-byte step, `sdot` of the 4 bit positions'
      ternary values (`((byte >> s) & 3) - 1`) with 16 activations each,
      into 4 i32 lanes.
    - `i2_sve`: a loop stepping by the SVE vector length with a predicate
      for the last step (masked loads), `sdot` on `vector<[16]xi8>` into
      `vector<[4]xi32>`: vector-length agnostic.
    - `base3v_<family>` (avx2, vnni, vnni512, neon-dotprod): the same
      accumulation over 5 positions per weight byte; digit j comes from
      x = 3^j q mod 256 (byte adds) as `(x >= 86) + (x >= 171)` (unsigned
      compares), so 1.6-bit weights cost no division or table.
    - `lut2i_<family>` (lut: AVX2 `vpshufb`, 32-byte steps; lut512:
      AVX-512BW, 64-byte steps; neon-lut: `tbl`, 16-byte steps): per
      activation row a table (in a heap buffer) of the 9 partial sums
      `(i/3 - 1) a[2p] + (i%3 - 1) a[2p+1]` of each pair p, as a 16-byte
      table of low bytes and one of high bytes; then per group of 32 rows,
      loops over chunks of at most 32 steps: each step's weight bytes give
      two index vectors (low nibbles: rows 0-15, high: rows 16-31), each
      looked up in both byte tables (one pair per 16-byte lane), the bytes
      interleaved (`vector.shuffle`) into 16-bit partial sums accumulated in
      i16 (at most 32 x 254 per chunk) and widened to i32 per chunk; the
      lanes summed at the end. TM rows share each weight load, TN groups
      each table load. Exact, no multiplies in the inner loop.

    The target instructions are `llvm.call_intrinsic` ops
    (`llvm.x86.avx2.pmadd.ub.sw`, `llvm.x86.avx2.pmadd.wd`,
    `llvm.x86.avx512.vpdpbusd.256`, `llvm.aarch64.neon.sdot.v4i32.v16i8`,
    `llvm.aarch64.sve.sdot.nxv4i32`, `llvm.x86.avx2.pshuf.b`,
    `llvm.x86.avx512.pshuf.b.512`, `llvm.aarch64.neon.tbl1.v16i8`);
    everything else is vector/scf/arith/memref.

    Example: the declaration
    `func.func private @tern_kernel_i2_avx2_1x64x256_b128_t1x1(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.block = 128 : i64, tern.kernel = "i2_avx2", tern.tile = array<i64: 1, 1>}`
    gets a body with 2 x 4 `vpmaddubsw` and 2 `vpmaddwd` per output.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def ConvertParallelToRuntime : Pass<"convert-parallel-to-runtime", "::mlir::ModuleOp"> {
  let summary = "Runs tern.parallel range calls on the runtime's thread pool";
  let description = [{
    A `func.call @f(%m0, ..., %mk, %c0, %n) {tern.parallel}` says that `@f`
    computes the part [begin, end) of a range of `n` independent items (the
    columns of a matmul, the rows of the head) given its memrefs (static
    shapes, identity layouts). Without this pass the call runs the whole
    range on the calling thread. This pass turns it into the runtime ABI of
    `runtime/compiled/tern_abi.h`:

      - a task `@f_task(!llvm.ptr %args, index %begin, index %end)` that
        reloads the memrefs from their aligned pointers in `%args` and calls
        `@f(..., %begin, %end)`;
      - at the call site: the aligned pointers stored in a stack array and
        `call @tern_parallel_for(@f_task, %args, %n)`, which splits [0, n)
        statically among the runtime's threads (so results do not depend on
        the thread count) and returns when all parts are done.

    Run it after bufferization (the deallocation analysis does not know the
    pointer round trip).

    Example:

    ```mlir
    call @tern_head(%xn, %emb, %logits, %c0, %c128256) {tern.parallel}
        : (memref<1x2560xf32>, memref<128256x2560xf16>, memref<128256xf32>, index, index) -> ()
    ```
    becomes
    ```mlir
    %args = memref.alloca() : memref<3xindex>
    ... memref.extract_aligned_pointer_as_index, memref.store ...
    %f = constant @tern_head_task : (!llvm.ptr, index, index) -> ()
    call @tern_parallel_for(%f, %argsPtr, %c128256) : (...) -> ()
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
