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

    A `tern.kernel_config` attribute on the `tern.bitlinear` (the kernel a
    tuning database chose for the layer) moves to the `tern.matmul`.
  }];
  let dependentDialects = ["::mlir::tern::TernDialect"];
}

#endif // TERN_DIALECT_TRANSFORMS_PASSES
