// RUN: tern-opt %s --convert-tern-network-to-vector | FileCheck %s

// With enough rows, each parallel item takes the query heads of one kv
// head in pairs (8 rows x 4 heads / 2 = 16 items, the least allowed):
// the scores of 2 heads x 4 positions as 8 chains, each key loaded once
// for both heads; the output's 16-lane group of both heads in one pass.
// CHECK-LABEL: func @attention_grouped
// CHECK: call @tern_attention_r8_h4_kv1_d16_c16({{.*}}, %c0{{.*}}, %c16{{.*}}) {tern.parallel = 8 : i64}
// CHECK: func.func private @tern_attention_r8_h4_kv1_d16_c16(
// CHECK: memref.alloca() : memref<2x16xf32>
// CHECK: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK: math.exp
// CHECK: math.exp
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>)
func.func @attention_grouped(%q: tensor<8x64xf32>, %k: tensor<8x16xf32>, %v: tensor<8x16xf32>,
                             %kc: memref<2x16x16xf32>, %vc: memref<2x16x16xf32>, %pos: index) -> tensor<8x64xf32> {
  %a = tern.attention %q, %k, %v into %kc, %vc at %pos {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 1 : i64} : tensor<8x64xf32>, tensor<8x16xf32>, tensor<8x16xf32>, memref<2x16x16xf32>, memref<2x16x16xf32> -> tensor<8x64xf32>
  return %a : tensor<8x64xf32>
}
