// RUN: tern-opt %s --convert-tern-network-to-vector | FileCheck %s

// With a prefetch distance (tern-select-kernels sets it from the target):
// each load of a vocabulary row also prefetches the same columns
// ceil(P / row bytes) rows on, the last row at most: 256 bytes over f16
// rows of 128 bytes = 2 rows. q4 rows, 8 at a time, prefetch the group 8
// rows on a line at a time: per step of 32 columns the group reads 8 x 16
// bytes and prefetches two lines. The batched loop (every row wanted)
// does not prefetch.
// CHECK-LABEL: func @native_prefetch
// CHECK: call @tern_head_native_f16_r1_h64_v100_pf256(
// CHECK-LABEL: func @q4_prefetch
// CHECK: call @tern_head_q4_i8_r1_h64_v100_pf256(
// CHECK-LABEL: func @batch_prefetch
// CHECK: call @tern_head_native_f16_r6_h64_v100_pf256(
// CHECK-LABEL: func.func private @tern_head_native_f16_r1_h64_v100_pf256(
// CHECK-SAME: %[[W:[a-z0-9]+]]: memref<100x64xf16>
// CHECK: scf.for %[[ROW:.*]] = %arg3 to %arg4
// CHECK: %[[NEXT:.*]] = arith.addi %[[ROW]], %c2 : index
// CHECK: %[[AHEAD:.*]] = arith.minui %[[NEXT]], %c99 : index
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %c64 step %c32
// CHECK-NEXT: memref.prefetch %[[W]][%[[AHEAD]], %[[K]]], read, locality<1>, data
// CHECK-NEXT: vector.load %[[W]][%[[ROW]], %[[K]]]
// CHECK-LABEL: func.func private @tern_head_q4_i8_r1_h64_v100_pf256(
// CHECK: %[[STEP:.*]] = arith.divui %{{.*}}, %c32{{.*}} : index
// CHECK: arith.muli %[[STEP]], %c128 : index
// CHECK: memref.prefetch %{{.*}}[%{{.*}}, %{{.*}}], read, locality<1>, data : memref<100x32xi8>
// CHECK: memref.prefetch %{{.*}}[%{{.*}}, %{{.*}}], read, locality<1>, data : memref<100x32xi8>
// CHECK-NEXT: vector.load %{{.*}} : memref<1x64xf32>, vector<32xf32>
// CHECK-LABEL: func.func private @tern_head_native_f16_r6_h64_v100_pf256(
// CHECK-NOT: memref.prefetch
// CHECK: return
func.func @native_prefetch(%x: tensor<1x64xf32>, %w: tensor<100x64xf16>, %logits: memref<100xf32>) {
  tern.lm_head %x, %w into %logits as native {prefetch = 256 : i64} : tensor<1x64xf32>, tensor<100x64xf16> into memref<100xf32>
  return
}

func.func @q4_prefetch(%x: tensor<1x64xf32>, %c: tensor<100x32xi8>, %s: tensor<100x2xf32>, %logits: memref<100xf32>) {
  tern.lm_head %x, %c, %s into %logits as q4 {prefetch = 256 : i64} : tensor<1x64xf32>, tensor<100x32xi8>, tensor<100x2xf32> into memref<100xf32>
  return
}

func.func @batch_prefetch(%x: tensor<6x64xf32>, %w: tensor<100x64xf16>, %logits: memref<6x100xf32>) {
  tern.lm_head %x, %w into %logits as native {prefetch = 256 : i64} : tensor<6x64xf32>, tensor<100x64xf16> into memref<6x100xf32>
  return
}
