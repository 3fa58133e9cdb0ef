// RUN: tern-opt %s --convert-tern-network-to-vector | FileCheck %s
// RUN: tern-opt %s --convert-tern-network-to-vector | FileCheck %s --check-prefix=BATCH

// value_panel = 16 on heads of 32: the value cache [2, 16, 64] is indexed
// as [layer, kv head, panel, position, lane] ([2, 2, 2, 16, 16], the same
// buffer). The new row's keys go into whole key rows, its values into
// each kv head's panels; the functions' names carry the panel.
// CHECK-LABEL: func @decode
// CHECK: %[[VIEW:.*]] = memref.reinterpret_cast %arg4 to offset: [0], sizes: [2, 2, 2, 16, 16], strides: [1024, 512, 256, 16, 1] : memref<2x16x64xf32> to memref<2x2x2x16x16xf32>
// CHECK: scf.for %[[R:.*]] =
// CHECK: %[[P:.*]] = arith.addi %arg5, %[[R]]
// CHECK: scf.for %[[D:.*]] =
// CHECK: vector.store {{.*}}, %arg3[%c1, %[[P]], %{{.*}}] : memref<2x16x64xf32>, vector<8xf32>
// CHECK: %[[PANEL:.*]] = arith.divui %[[D]], %c16
// CHECK: %[[LANE:.*]] = arith.remui %[[D]], %c16
// CHECK: vector.store {{.*}}, %[[VIEW]][%c1, %c0{{.*}}, %[[PANEL]], %[[P]], %[[LANE]]] : memref<2x2x2x16x16xf32>, vector<8xf32>
// CHECK: scf.for
// CHECK: vector.store {{.*}}, %[[VIEW]][%c1, %c1{{.*}}, %{{.*}}, %[[P]], %{{.*}}] : memref<2x2x2x16x16xf32>, vector<8xf32>
// CHECK: call @tern_attention_scores_h4_kv2_d32_c16_p16(
// CHECK: call @tern_attention_softmax_h4_kv2_d32_c16_p16(
// CHECK: call @tern_attention_output_h4_kv2_d32_c16_p16(%arg4,
// CHECK: call @tern_attention_r1_h4_kv2_d32_c16_p16(

// The output: item t's two groups of 16 lanes are panels 0 and 1 of its kv
// head, each read at position j in order, without prefetches (a panel is
// one stream).
// CHECK-LABEL: func.func private @tern_attention_output_h4_kv2_d32_c16_p16(
// CHECK: %[[OVIEW:.*]] = memref.reinterpret_cast %arg0 {{.*}} to memref<2x2x2x16x16xf32>
// CHECK-NOT: memref.prefetch
// CHECK: scf.for %[[J:.*]] = %c0{{.*}} to
// CHECK: vector.load %[[OVIEW]][%{{.*}}, %{{.*}}, %c0{{.*}}, %[[J]], %c0{{.*}}] : memref<2x2x2x16x16xf32>, vector<16xf32>
// CHECK: vector.load %[[OVIEW]][%{{.*}}, %{{.*}}, %c1{{.*}}, %[[J]], %c0{{.*}}] : memref<2x2x2x16x16xf32>, vector<16xf32>
// CHECK-LABEL: func.func private @tern_attention_r1_h4_kv2_d32_c16_p16(
// CHECK: memref.reinterpret_cast %arg2 {{.*}} to memref<2x2x2x16x16xf32>
func.func @decode(%q: tensor<1x128xf32>, %k: tensor<1x64xf32>, %v: tensor<1x64xf32>,
                  %kc: memref<2x16x64xf32>, %vc: memref<2x16x64xf32>, %pos: index) -> tensor<1x128xf32> {
  %a = tern.attention %q, %k, %v into %kc, %vc at %pos {layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, staged_from = 8 : i64, value_panel = 16 : i64} : tensor<1x128xf32>, tensor<1x64xf32>, tensor<1x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32> -> tensor<1x128xf32>
  return %a : tensor<1x128xf32>
}

// Batched: the slots stay the view's first dimension, of the caches' size.
// BATCH-LABEL: func @batch
// BATCH: %[[N:.*]] = memref.dim %arg4, %c0
// BATCH: memref.reinterpret_cast %arg4 to offset: [0], sizes: [%[[N]], 2, 2, 1, 16, 32], strides: [2048, 1024, 512, 512, 32, 1] : memref<?x2x16x64xf32> to memref<?x2x2x1x16x32xf32>
// BATCH: call @tern_batch_attention_r2_h4_kv2_d32_c16_p32(
func.func @batch(%q: tensor<2x128xf32>, %k: tensor<2x64xf32>, %v: tensor<2x64xf32>, %kc: memref<?x2x16x64xf32>, %vc: memref<?x2x16x64xf32>, %p: tensor<2xi64>, %s: tensor<2xi64>) -> tensor<2x128xf32> {
  %a = tern.batch_attention %q, %k, %v into %kc, %vc at %p slots %s {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, value_panel = 32 : i64} : tensor<2x128xf32>, tensor<2x64xf32>, tensor<2x64xf32>, memref<?x2x16x64xf32>, memref<?x2x16x64xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<2x128xf32>
  return %a : tensor<2x128xf32>
}
