// RUN: tern-opt %s --convert-tern-network-to-vector | FileCheck %s

// With a prefetch distance (tern-select-kernels sets it from the target):
// each load of a vocabulary row also prefetches the same columns
// ceil(P / row bytes) rows on, the last row at most: 256 bytes over f16
// rows of 128 bytes = 2 rows (q4: lm-head-q4.mlir). The batched loop
// (every row wanted) prefetches with the loads of its first group of token
// rows, not again for the others, which load the same vocabulary rows.
// With `tile = [2, 4]` it computes two vocabulary rows per pass with four
// token rows at a time (the last two token rows in a second pass), over
// whole pairs of [begin, end), then the row left over one at a time.
// CHECK-LABEL: func @native_prefetch
// CHECK: call @tern_head_native_f16_r1_h64_v100_pf256(
// CHECK-LABEL: func @batch_prefetch
// CHECK: call @tern_head_native_f16_r6_h64_v101_pf256(
// CHECK-LABEL: func.func private @tern_head_native_f16_r1_h64_v100_pf256(
// CHECK-SAME: %[[W:[a-z0-9]+]]: memref<100x64xf16>
// CHECK: scf.for %[[ROW:.*]] = %arg3 to %arg4
// CHECK: %[[NEXT:.*]] = arith.addi %[[ROW]], %c2 : index
// CHECK: %[[AHEAD:.*]] = arith.minui %[[NEXT]], %c99 : index
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %c64 step %c32
// CHECK-NEXT: memref.prefetch %[[W]][%[[AHEAD]], %[[K]]], read, locality<1>, data
// CHECK-NEXT: vector.load %[[W]][%[[ROW]], %[[K]]]
// CHECK-LABEL: func.func private @tern_head_native_f16_r6_h64_v101_pf256(
// CHECK-SAME: %[[BW:[a-z0-9]+]]: memref<101x64xf16>, %{{.*}}: memref<6x101xf32>, %[[BEGIN:[a-z0-9]+]]: index, %[[END:[a-z0-9]+]]: index
// CHECK: %[[SPAN:.*]] = arith.subi %[[END]], %[[BEGIN]]
// CHECK: %[[LEFT:.*]] = arith.remui %[[SPAN]], %c2
// CHECK: %[[WHOLE:.*]] = arith.subi %[[END]], %[[LEFT]]
// CHECK: scf.for %[[V:.*]] = %[[BEGIN]] to %[[WHOLE]] step %c2
// CHECK: %[[V1:.*]] = arith.addi %[[V]], %c1
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// CHECK: memref.prefetch %[[BW]]
// CHECK-NEXT: vector.load %[[BW]][%[[V]],
// CHECK: memref.prefetch %[[BW]]
// CHECK-NEXT: vector.load %[[BW]][%[[V1]],
// CHECK: scf.for {{.*}} -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// CHECK-NOT: memref.prefetch
// CHECK: vector.load %[[BW]][%[[V]],
// CHECK-NOT: memref.prefetch
// CHECK: vector.load %[[BW]][%[[V1]],
// CHECK-NOT: memref.prefetch
// CHECK: memref.store {{.*}}[%c5{{.*}}, %[[V1]]]
// CHECK: scf.for %[[R:.*]] = %[[WHOLE]] to %[[END]] step %c1
// CHECK: memref.prefetch %[[BW]]
// CHECK-NEXT: vector.load %[[BW]][%[[R]],
// CHECK: return
func.func @native_prefetch(%x: tensor<1x64xf32>, %w: tensor<100x64xf16>, %logits: memref<100xf32>) {
  tern.lm_head %x, %w into %logits as native {prefetch = 256 : i64} : tensor<1x64xf32>, tensor<100x64xf16> into memref<100xf32>
  return
}

func.func @batch_prefetch(%x: tensor<6x64xf32>, %w: tensor<101x64xf16>, %logits: memref<6x101xf32>) {
  tern.lm_head %x, %w into %logits as native {prefetch = 256 : i64, tile = array<i64: 2, 4>} : tensor<6x64xf32>, tensor<101x64xf16> into memref<6x101xf32>
  return
}
