// The reference pipeline ends in the LLVM dialect and nothing else. The
// layer's quantization (4 rows) is a row function, called once over all
// rows (its tern.parallel mark stays a plain attribute: without
// convert-parallel-to-runtime the call runs on the calling thread).
// RUN: tern-opt %s --tern-reference-pipeline | FileCheck %s

// CHECK-LABEL: llvm.func @layer
// CHECK-NOT: {{(= |^ *)tern\.}}
// CHECK-NOT: linalg.
// CHECK-NOT: memref.
// CHECK-NOT: scf.
// CHECK-NOT: cf.
// CHECK: llvm.call @layer_rows0({{.*}}) {tern.parallel = 8 : i64}
// CHECK: llvm.return
// CHECK-LABEL: llvm.func @layer_rows0_row
// CHECK-NOT: {{(= |^ *)tern\.}}
// CHECK: llvm.intr.roundeven
func.func @layer(%x: tensor<4x64xf32>, %w: !tern.weights<16x64, #tern.layout<i2, block = 64>>,
                 %b: f32) -> tensor<4x16xf32> {
  %y = tern.bitlinear %x, %w, %b : tensor<4x64xf32>, !tern.weights<16x64, #tern.layout<i2, block = 64>>, f32 -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}
