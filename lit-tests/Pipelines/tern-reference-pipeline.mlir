// The reference pipeline ends in the LLVM dialect and nothing else.
// RUN: tern-opt %s --tern-reference-pipeline | FileCheck %s

// CHECK-LABEL: llvm.func @layer
// CHECK-NOT: tern.
// CHECK-NOT: linalg.
// CHECK-NOT: memref.
// CHECK-NOT: scf.
// CHECK-NOT: cf.
// CHECK: llvm.intr.roundeven
// CHECK: llvm.return
func.func @layer(%x: tensor<4x64xf32>, %w: !tern.weights<16x64, #tern.layout<i2, block = 64>>,
                 %b: f32) -> tensor<4x16xf32> {
  %y = tern.bitlinear %x, %w, %b : tensor<4x64xf32>, !tern.weights<16x64, #tern.layout<i2, block = 64>>, f32 -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}
