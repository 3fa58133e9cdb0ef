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
  let summary = "Ternary matmuls on i2-packed blob weights to per-shape kernels";
  let description = [{
    Replaces each `tern.matmul` whose weights are a `tern.weight` in
    `#tern.layout<i2, block = 128>` (the I2_S order: byte `32 b + p` of a row
    holds elements `128 b + p + 32 j` at bit shift `6 - 2 j`) with a call to
    a kernel of the chosen family declared for that exact shape,
    `tern_kernel_i2_<family>_MxNxK(a: memref<MxKxi8>, w: memref<Nx(K/4)xi8>,
    out: memref<MxNxi32>, begin, end)`, which computes the output columns
    [begin, end). The call covers [0, N) and is marked `tern.parallel`
    (`convert-parallel-to-runtime` may split it over threads). The weights
    are read in place through `memref.view`. Matmuls it does not handle are
    left for `convert-tern-to-linalg`.

    Families (the `family` option): `avx2` (`vpmaddubsw` on codes 0..2 with
    an activation-sum correction, `vpmaddwd` widening), `vnni` (`vpdpbusd`,
    AVX512-VNNI with VL or AVX-VNNI, same correction) and `neon-dotprod`
    (`sdot` on signed ternary values). Both are exact, so results equal the
    reference lowering bit for bit. Kernels are only declared here (marked
    `tern.kernel = "i2_<family>"`); `tern-generate-kernels` gives them their
    bodies after bufferization, whose deallocation analysis does not accept
    intrinsic calls.

    Example: `%acc = tern.matmul %q, %w` with
    `%w = tern.weight "blk.0.attn_q.weight" %blob[4096]` becomes

    ```mlir
    %view = memref.view %blob[%c4096][] : memref<...xi8> to memref<256x64xi8>
    %a = bufferization.to_buffer %q read_only : tensor<1x256xi8> to memref<1x256xi8>
    %out = memref.alloc() : memref<1x256xi32>
    call @tern_kernel_i2_avx2_1x256x256(%a, %view, %out, %c0, %c256) {tern.parallel}
    %acc = bufferization.to_tensor %out restrict writable : memref<1x256xi32> to tensor<1x256xi32>
    ```
  }];
  let options = [
    Option<"family", "family", "std::string", /*default=*/"\"avx2\"",
           "Kernel family: avx2, vnni or neon-dotprod">,
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
    For each external function marked `tern.kernel`, generates its body for
    its shape: loops over rows and the column range, and for every output a
    fully unrolled chain over the 128-weight blocks.

    - `i2_avx2`: per block, the 4 bit positions' codes (`(byte >> s) & 3`)
      times 32 activations by `vpmaddubsw`, summed in i16, widened by
      `vpmaddwd` into 8 i32 lanes; the total minus the activation row sum.
    - `i2_vnni`: the same codes and activations accumulated straight into
      8 i32 lanes by `vpdpbusd`, minus the activation row sum.
    - `i2_neon-dotprod`: per block and 16-byte half, `sdot` of the 4 bit
      positions' ternary values (`((byte >> s) & 3) - 1`) with 16
      activations each, into 4 i32 lanes.

    The target instructions are `llvm.call_intrinsic` ops
    (`llvm.x86.avx2.pmadd.ub.sw`, `llvm.x86.avx2.pmadd.wd`,
    `llvm.x86.avx512.vpdpbusd.256`, `llvm.aarch64.neon.sdot.v4i32.v16i8`);
    everything else is
    vector/scf/arith.

    Example: the declaration
    `func.func private @tern_kernel_i2_avx2_1x64x256(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = "i2_avx2"}`
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
