// RUN: tern-opt %s --convert-tern-network-to-vector | FileCheck %s

// A one-row tern.attention with rope tables (tern-fuse-rope-attention):
// the caller stores nothing into the caches; the range functions
// ("_rope") take the new key and value rows and the tables, and the
// softmax is the plain one.
// CHECK-LABEL: func @decode
// CHECK-NOT: vector.store
// CHECK: scf.if
// CHECK: call @tern_attention_scores_h4_kv2_d16_c16_rope(%{{.*}}, %arg3, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) {tern.parallel = 8 : i64}
// CHECK: call @tern_attention_softmax_h4_kv2_d16_c16(
// CHECK: call @tern_attention_output_h4_kv2_d16_c16_rope(%arg4, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) {tern.parallel = 8 : i64}
// CHECK: } else {
// CHECK: call @tern_attention_r1_h4_kv2_d16_c16_rope(%{{.*}}, %arg3, %arg4, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) {tern.parallel = 8 : i64}
// CHECK-NOT: vector.store
// CHECK: return

// Scores: every query head rotated once per call; the blocks end at the
// cached positions, and the block holding the newest position scores it
// against each kv head's rotated new key and stores that key.
// CHECK-LABEL: func.func private @tern_attention_scores_h4_kv2_d16_c16_rope(
// CHECK-SAME: %{{[^:]*}}: memref<1x64xf32>, %[[KC2:[^:]*]]: memref<2x16x32xf32>
// CHECK-COUNT-4: arith.subf {{.*}} : vector<8xf32>
// CHECK: scf.for
// CHECK: %[[END:.*]] = arith.addi %{{.*}}, %c32
// CHECK: arith.minui %[[END]], %{{.*}}
// CHECK: %[[LAST:.*]] = arith.cmpi uge, %[[END]], %{{.*}}
// CHECK: scf.if %[[LAST]]
// CHECK: vector.store %{{.*}}, %[[KC2]]
// CHECK: vector.store %{{.*}}, %[[KC2]]
// Output pass of a kv head: the cached rows [0, pos), then the new value
// row's lanes added last and stored as row pos of the value cache.
// CHECK-LABEL: func.func private @tern_attention_output_h4_kv2_d16_c16_rope(
// CHECK-SAME: %[[VC:[^:]*]]: memref<2x16x32xf32>, %{{[^:]*}}: memref<4x16xf32>, %{{[^:]*}}: memref<1x64xf32>, %{{[^:]*}}: memref<2xindex>, %[[NEWV:[^:]*]]: memref<1x32xf32>
// CHECK: %[[POS:.*]] = memref.load %arg3[%c0]
// CHECK: %[[LEN:.*]] = arith.addi %[[POS]], %c1
// CHECK: %[[CACHED:.*]] = arith.subi %[[LEN]], %c1
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %[[CACHED]] step
// CHECK: vector.load %[[NEWV]]
// CHECK: arith.addf
// CHECK: %[[NEWEST:.*]] = arith.subi %[[LEN]], %c1
// CHECK: vector.store %{{.*}}, %[[VC]][%{{.*}}, %[[NEWEST]], %{{.*}}] : memref<2x16x32xf32>, vector<8xf32>
// CHECK: vector.store %{{.*}}, %[[VC]][%{{.*}}, %[[NEWEST]], %{{.*}}] : memref<2x16x32xf32>, vector<8xf32>

// One range: each item rotates its query head into a buffer of its own,
// scores the cached positions, then the newest against the rotated new
// key; the item of each kv head's first query head stores the rows.
// CHECK-LABEL: func.func private @tern_attention_r1_h4_kv2_d16_c16_rope(
// CHECK-SAME: %[[Q:[^:]*]]: memref<1x64xf32>, %[[KC:[^:]*]]: memref<2x16x32xf32>, %[[VC1:[^:]*]]: memref<2x16x32xf32>
// CHECK: %[[QR:.*]] = memref.alloca() : memref<1x64xf32>
// CHECK: %[[KR:.*]] = memref.alloca() : memref<1x32xf32>
// CHECK: scf.for
// CHECK: arith.subf {{.*}} : vector<8xf32>
// CHECK: vector.store %{{.*}}, %[[QR]]
// CHECK: arith.addf {{.*}} : vector<8xf32>
// CHECK: vector.store %{{.*}}, %[[QR]]
// CHECK: vector.store %{{.*}}, %[[KR]]
// CHECK: arith.remui %{{.*}}, %c2
// CHECK: scf.if
// CHECK: vector.store %{{.*}}, %[[KC]]
// CHECK: vector.store %{{.*}}, %[[VC1]]

func.func @decode(%q: tensor<1x64xf32>, %k: tensor<1x32xf32>, %v: tensor<1x32xf32>,
                  %kc: memref<2x16x32xf32>, %vc: memref<2x16x32xf32>, %pos: index,
                  %cos: tensor<1x8xf32>, %sin: tensor<1x8xf32>) -> tensor<1x64xf32> {
  %a = tern.attention %q, %k, %v into %kc, %vc at %pos rope %cos, %sin {layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, staged_from = 8 : i64} : tensor<1x64xf32>, tensor<1x32xf32>, tensor<1x32xf32>, memref<2x16x32xf32>, memref<2x16x32xf32>, tensor<1x8xf32>, tensor<1x8xf32> -> tensor<1x64xf32>
  return %a : tensor<1x64xf32>
}
