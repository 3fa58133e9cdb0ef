// RUN: tern-opt %s --convert-tern-network-to-vector | FileCheck %s

// One row with staged_from = 8: from 8 attended positions (pos + 1) three
// tern.parallel ranges over a [heads, context] scores buffer, below it the
// one-range function.
// CHECK-LABEL: func @decode
// CHECK: %[[LEN:.*]] = arith.addi %arg5, %c1
// CHECK: %[[STAGED:.*]] = arith.cmpi uge, %[[LEN]], %c8
// CHECK: scf.if %[[STAGED]] {
// CHECK: %[[SC:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x16xf32>
// Scores: ceil(len / 32) blocks of positions.
// CHECK: %[[B:.*]] = arith.divui {{.*}}, %c32
// CHECK: call @tern_attention_scores_h4_kv2_d16_c16(%{{.*}}, %arg3, %[[SC]], %{{.*}}, %{{.*}}, %[[B]]) {tern.parallel = 8 : i64}
// Softmax: one item per query head.
// CHECK: call @tern_attention_softmax_h4_kv2_d16_c16(%[[SC]], %{{.*}}, %{{.*}}, %c4) {tern.parallel = 8 : i64}
// Output: one pass (2 heads x 1 group of 16 lanes) per kv head.
// CHECK: call @tern_attention_output_h4_kv2_d16_c16(%arg4, %[[SC]], %{{.*}}, %{{.*}}, %{{.*}}, %c2) {tern.parallel = 8 : i64}
// CHECK: } else {
// CHECK: call @tern_attention_r1_h4_kv2_d16_c16(
// CHECK: }

// The scores of a block: four positions per step (2 heads x 4 positions
// of chains), kv heads 0 and 1 in turn in each step, each prefetching its
// lanes of the rows 16 positions ahead (into L2, locality 2; the last row
// of the context at most); no maximum; then the block's last positions
// one by one.
// CHECK: func.func private @tern_attention_scores_h4_kv2_d16_c16(
// CHECK: scf.for %[[T:.*]] = %arg4 to %arg5
// CHECK: %[[LO:.*]] = arith.muli %[[T]], %c32
// CHECK: arith.minui
// CHECK: scf.for %[[J:.*]] = %[[LO]] to %{{.*}} step %c4
// CHECK: %[[AHEAD:.*]] = arith.minui {{.*}}, %c15
// CHECK: memref.prefetch %arg1[%{{.*}}, %[[AHEAD]], %{{.*}}], read, locality<2>, data
// CHECK-COUNT-3: memref.prefetch %arg1
// CHECK: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-NOT: arith.maxnumf
// CHECK: memref.store
// CHECK-COUNT-4: memref.prefetch %arg1
// CHECK: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-NOT: arith.maxnumf
// CHECK: scf.for {{.*}} = {{.*}} to %[[HI:.*]] step %c1
// CHECK: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>)

// Softmax of a head: the maximum 16 positions at a time (exact in any
// order), the exponentials and their sum in order, the weights 16 at a
// time, then the positions left.
// CHECK: func.func private @tern_attention_softmax_h4_kv2_d16_c16(
// CHECK: arith.maxnumf {{.*}} : vector<16xf32>
// CHECK: vector.reduction <maxnumf>
// CHECK: math.exp
// CHECK: arith.divf {{.*}} : vector<16xf32>
// CHECK: arith.divf {{.*}} : f32

// Output: item t is kv head t / 1 and its only pass; value rows prefetched
// 16 positions ahead.
// CHECK: func.func private @tern_attention_output_h4_kv2_d16_c16(
// CHECK: scf.if
// CHECK: memref.prefetch %arg0
// CHECK: vector.load %arg0{{.*}} vector<16xf32>
// CHECK: vector.store {{.*}}, %arg2{{.*}} vector<16xf32>
func.func @decode(%q: tensor<1x64xf32>, %k: tensor<1x32xf32>, %v: tensor<1x32xf32>,
                  %kc: memref<2x16x32xf32>, %vc: memref<2x16x32xf32>, %pos: index) -> tensor<1x64xf32> {
  %a = tern.attention %q, %k, %v into %kc, %vc at %pos {layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, staged_from = 8 : i64} : tensor<1x64xf32>, tensor<1x32xf32>, tensor<1x32xf32>, memref<2x16x32xf32>, memref<2x16x32xf32> -> tensor<1x64xf32>
  return %a : tensor<1x64xf32>
}
