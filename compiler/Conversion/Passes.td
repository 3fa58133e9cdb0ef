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

#endif // TERN_CONVERSION_PASSES
