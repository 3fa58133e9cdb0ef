// RUN: tern-opt %s --convert-tern-network-to-vector | FileCheck %s

// Each row's key and value go into its own slot at its own position; args
// holds {layer, positions[R], slots[R]}; the (row, head) pairs run as one
// tern.parallel range whose function reads row r's slot and length.
// CHECK-LABEL: func @batch_attention
// CHECK: %[[ARGS:.*]] = memref.alloca() : memref<5xindex>
// CHECK: scf.for %[[R:.*]] =
// CHECK: %[[P:.*]] = arith.index_cast {{.*}} : i64 to index
// CHECK: %[[S:.*]] = arith.index_cast {{.*}} : i64 to index
// CHECK: scf.for %[[D:.*]] =
// CHECK: vector.store {{.*}}, %arg3[%[[S]], %{{.*}}, %[[P]], %[[D]]] : memref<3x2x16x32xf32>, vector<8xf32>
// CHECK: vector.store {{.*}}, %arg4[%[[S]], %{{.*}}, %[[P]], %[[D]]] : memref<3x2x16x32xf32>, vector<8xf32>
// CHECK: call @tern_batch_attention_r2_h4_kv2_d16_c16({{.*}}, %[[ARGS]], %{{.*}}, %{{.*}}) {tern.parallel = 8 : i64}
func.func @batch_attention(%q: tensor<2x64xf32>, %k: tensor<2x32xf32>, %v: tensor<2x32xf32>,
                           %kc: memref<3x2x16x32xf32>, %vc: memref<3x2x16x32xf32>,
                           %pos: tensor<2xi64>, %slots: tensor<2xi64>) -> tensor<2x64xf32> {
  %a = tern.batch_attention %q, %k, %v into %kc, %vc at %pos slots %slots {layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<2x64xf32>, tensor<2x32xf32>, tensor<2x32xf32>, memref<3x2x16x32xf32>, memref<3x2x16x32xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<2x64xf32>
  return %a : tensor<2x64xf32>
}

// Row r's angles at positions[r].
// CHECK-LABEL: func @rope_rows
// CHECK: scf.for %[[R:.*]] =
// CHECK: %[[P:.*]] = memref.load {{.*}}[%[[R]]] : memref<2xi64>
// CHECK: arith.sitofp %[[P]] : i64 to f64
// CHECK: math.cos
// CHECK: math.sin
func.func @rope_rows(%pos: tensor<2xi64>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %c, %s = tern.rope_table_rows %pos {theta = 5.0e+05 : f32} : tensor<2xi64> -> tensor<2x8xf32>, tensor<2x8xf32>
  return %c, %s : tensor<2x8xf32>, tensor<2x8xf32>
}

// The attention function (outlined at the end of the module).
// CHECK: func.func private @tern_batch_attention_r2_h4_kv2_d16_c16(
// CHECK-SAME: memref<3x2x16x32xf32>
// CHECK: vector.load {{.*}} : memref<3x2x16x32xf32>, vector<8xf32>
// CHECK: math.exp
