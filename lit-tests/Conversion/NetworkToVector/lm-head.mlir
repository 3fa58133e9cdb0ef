// RUN: tern-opt %s --convert-tern-network-to-vector | FileCheck %s

// Decode: one tern.parallel call over all vocabulary rows, in blocks of at
// most 128 KiB of weights (tern.block: 1024 rows of 128 bytes).
// CHECK-LABEL: func @native
// CHECK: call @tern_head_native_f16_r1_h64_v100(%{{.*}}, %{{.*}}, %arg2, %{{.*}}, %{{.*}}) {tern.block = 1024 : i64, tern.parallel = 8 : i64} : (memref<1x64xf32>, memref<100x64xf16>, memref<100xf32>, index, index) -> ()
func.func @native(%x: tensor<1x64xf32>, %w: tensor<100x64xf16>, %logits: memref<100xf32>) {
  tern.lm_head %x, %w into %logits as native : tensor<1x64xf32>, tensor<100x64xf16> into memref<100xf32>
  return
}

// A batch (every row wanted): rows in groups of 4 share each vocabulary
// row's converted weights.
// CHECK-LABEL: func @batch
// CHECK: call @tern_head_native_f16_r6_h64_v100(
func.func @batch(%x: tensor<6x64xf32>, %w: tensor<100x64xf16>, %logits: memref<6x100xf32>) {
  tern.lm_head %x, %w into %logits as native : tensor<6x64xf32>, tensor<100x64xf16> into memref<6x100xf32>
  return
}

// The head functions keep 32 partial sums (vector<32xf32>), folded to 8 as
// (p[l] + p[l+16]) + (p[l+8] + p[l+24]), then the lane tree.
// CHECK-LABEL: func.func private @tern_head_native_f16_r1_h64_v100(
// CHECK: scf.for {{.*}} step %c32 iter_args({{.*}}) -> (vector<32xf32>)
// CHECK: vector.load {{.*}} : memref<100x64xf16>, vector<32xf16>
// CHECK: arith.extf {{.*}} : vector<32xf16> to vector<32xf32>
// CHECK-DAG: vector.shuffle {{.*}} [0, 1, 2, 3, 4, 5, 6, 7]
// CHECK-DAG: vector.shuffle {{.*}} [8, 9, 10, 11, 12, 13, 14, 15]
// CHECK-DAG: vector.shuffle {{.*}} [16, 17, 18, 19, 20, 21, 22, 23]
// CHECK-DAG: vector.shuffle {{.*}} [24, 25, 26, 27, 28, 29, 30, 31]
// CHECK: memref.store {{.*}} : memref<100xf32>
// The batch: per vocabulary row, rows 0-3 then 4-5, each group's
// weights loaded and widened once per 32 columns, one sum per row.
// CHECK-LABEL: func.func private @tern_head_native_f16_r6_h64_v100(
// CHECK: scf.for {{.*}} step %c32 iter_args({{.*}}) -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// CHECK-COUNT-1: arith.extf {{.*}} : vector<32xf16> to vector<32xf32>
// CHECK-COUNT-4: arith.mulf {{.*}} : vector<32xf32>
// CHECK-COUNT-4: memref.store {{.*}} : memref<6x100xf32>
// CHECK: scf.for {{.*}} step %c32{{.*}} iter_args({{.*}}) -> (vector<32xf32>, vector<32xf32>) {
// CHECK-COUNT-2: memref.store {{.*}} : memref<6x100xf32>
