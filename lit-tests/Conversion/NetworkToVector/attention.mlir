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
// over positions [0, pos + r]: 8-lane dot products times 1/sqrt(16), four
// positions per iteration (each its own chain of vector<8xf32>), then the
// positions left one by one, their maximum in order; exponentials and
// their sum in order, the weights; the output (each lane its own sum) as
// one group of 16 lanes.
// CHECK: func.func private @tern_attention_r2_h4_kv2_d16_c16(
// CHECK: %[[SC:.*]] = memref.alloca() : memref<1x16xf32>
// CHECK: scf.for %[[T:.*]] = %arg5 to %arg6
// CHECK: arith.divui %[[T]], %c4
// CHECK: arith.remui %[[T]], %c4
// CHECK: %[[MAIN:.*]] = scf.for {{.*}} step %{{.*}} iter_args({{.*}}) -> (f32)
// CHECK: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-DAG: vector.load {{.*}} : memref<2x64xf32>, vector<8xf32>
// CHECK-DAG: vector.load {{.*}} : memref<2x16x32xf32>, vector<8xf32>
// CHECK-COUNT-4: arith.maxnumf
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[MAIN]]) -> (f32)
// CHECK: scf.for {{.*}} -> (vector<8xf32>)
// CHECK: arith.mulf {{.*}} : f32
// CHECK: arith.maxnumf
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: %[[OUT:.*]] = scf.for {{.*}} -> (vector<16xf32>)
// CHECK: vector.broadcast {{.*}} : f32 to vector<16xf32>
// CHECK: vector.store %[[OUT]], {{.*}} : memref<2x64xf32>, vector<16xf32>
func.func @attention(%q: tensor<2x64xf32>, %k: tensor<2x32xf32>, %v: tensor<2x32xf32>,
                     %kc: memref<2x16x32xf32>, %vc: memref<2x16x32xf32>, %pos: index) -> tensor<2x64xf32> {
  %a = tern.attention %q, %k, %v into %kc, %vc at %pos {layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<2x64xf32>, tensor<2x32xf32>, tensor<2x32xf32>, memref<2x16x32xf32>, memref<2x16x32xf32> -> tensor<2x64xf32>
  return %a : tensor<2x64xf32>
}
