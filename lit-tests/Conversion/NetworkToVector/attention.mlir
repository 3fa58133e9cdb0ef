// RUN: tern-opt %s --convert-tern-network-to-vector | FileCheck %s

// The new keys and values go into the caches at rows pos + r of the layer;
// then one call of the attention function on all (row, head) pairs, a
// tern.parallel range, with {pos, layer} in a memref.
// CHECK-LABEL: func @attention
// CHECK: %[[L:.*]] = arith.constant 1 : index
// CHECK: scf.for %[[R:.*]] =
// CHECK: %[[P:.*]] = arith.addi %arg5, %[[R]]
// CHECK: scf.for %[[D:.*]] =
// CHECK: vector.store {{.*}}, %arg3[%[[L]], %[[P]], %[[D]]] : memref<2x16x32xf32>, vector<8xf32>
// CHECK: vector.store {{.*}}, %arg4[%[[L]], %[[P]], %[[D]]] : memref<2x16x32xf32>, vector<8xf32>
// CHECK: %[[ARGS:.*]] = memref.alloca() : memref<2xindex>
// CHECK: memref.store %arg5, %[[ARGS]]
// CHECK: memref.store %[[L]], %[[ARGS]]
// CHECK: call @tern_attention_r2_h4_kv2_d16_c16(%{{.*}}, %arg3, %arg4, %{{.*}}, %[[ARGS]], %{{.*}}, %{{.*}}) {tern.parallel = 8 : i64} : (memref<2x64xf32>, memref<2x16x32xf32>, memref<2x16x32xf32>, memref<2x64xf32>, memref<2xindex>, index, index) -> ()
// The function: per pair t, row t / 4 and head t % 4 (kv head (t % 4) / 2)
// over positions [0, pos + r]: 8-lane dot products times 1/sqrt(16), their
// maximum, exponentials and their sum in order, the weights, the output.
// CHECK: func.func private @tern_attention_r2_h4_kv2_d16_c16(
// CHECK: %[[SC:.*]] = memref.alloca() : memref<1x16xf32>
// CHECK: scf.for %[[T:.*]] = %arg5 to %arg6
// CHECK: arith.divui %[[T]], %c4
// CHECK: arith.remui %[[T]], %c4
// CHECK: scf.for {{.*}} -> (f32)
// CHECK-DAG: vector.load {{.*}} : memref<2x64xf32>, vector<8xf32>
// CHECK-DAG: vector.load {{.*}} : memref<2x16x32xf32>, vector<8xf32>
// CHECK: arith.mulf {{.*}} : f32
// CHECK: arith.maxnumf
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: vector.broadcast
// CHECK: vector.store {{.*}} : memref<2x64xf32>, vector<8xf32>
func.func @attention(%q: tensor<2x64xf32>, %k: tensor<2x32xf32>, %v: tensor<2x32xf32>,
                     %kc: memref<2x16x32xf32>, %vc: memref<2x16x32xf32>, %pos: index) -> tensor<2x64xf32> {
  %a = tern.attention %q, %k, %v into %kc, %vc at %pos {layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<2x64xf32>, tensor<2x32xf32>, tensor<2x32xf32>, memref<2x16x32xf32>, memref<2x16x32xf32> -> tensor<2x64xf32>
  return %a : tensor<2x64xf32>
}
