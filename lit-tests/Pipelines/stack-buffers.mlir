// Buffers of at most 64 KiB that do not leave their function live on the
// stack, 64-byte aligned as on the heap (buildLoweringPipeline,
// isStackBuffer): a decode step's rows cost no malloc and free. Larger ones
// (here the 20480 sums and rows, 80 KiB each) and the returned result stay
// on the heap.
// RUN: tern-opt %s --tern-reference-pipeline | FileCheck %s

// CHECK-LABEL: llvm.func @small(
// CHECK-NOT: llvm.call @malloc
// CHECK: llvm.alloca %{{.*}} x i8 {alignment = 64 : i64}
// CHECK-NOT: llvm.call @malloc
// CHECK: llvm.alloca %{{.*}} x i32 {alignment = 64 : i64}
// CHECK-NOT: llvm.call @malloc
// CHECK: llvm.call @malloc
// CHECK-NOT: llvm.call @{{(malloc|free)}}
// CHECK: llvm.return
func.func @small(%x: tensor<1x64xf32>, %w: !tern.weights<16x64, #tern.layout<i2, block = 64>>, %b: f32) -> tensor<1x16xf32> {
  %y = tern.bitlinear %x, %w, %b : tensor<1x64xf32>, !tern.weights<16x64, #tern.layout<i2, block = 64>>, f32 -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// CHECK-LABEL: llvm.func @large(
// CHECK-NOT: x i32 {alignment
// CHECK: llvm.call @malloc
// CHECK: llvm.call @malloc
// CHECK: llvm.call @free
// CHECK: llvm.return
func.func @large(%x: tensor<1x64xf32>, %w: !tern.weights<20480x64, #tern.layout<i2, block = 64>>, %b: f32) -> tensor<1x20480xf32> {
  %y = tern.bitlinear %x, %w, %b : tensor<1x64xf32>, !tern.weights<20480x64, #tern.layout<i2, block = 64>>, f32 -> tensor<1x20480xf32>
  return %y : tensor<1x20480xf32>
}
