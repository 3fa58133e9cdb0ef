// Every tern.attention and tern.batch_attention gets the value cache's
// panels: 32 lanes by default, the option's count where it divides the
// head width, none with 0 or where it does not divide; the ops share the
// cache, so panels that differ are an error, and so is an option that is
// not a multiple of 16.
// RUN: tern-opt %s --tern-select-kernels=target=znver4 | FileCheck %s
// RUN: tern-opt %s '--tern-select-kernels=target=znver4 attention-value-panel=64' | FileCheck %s --check-prefix=P64
// RUN: tern-opt %s '--tern-select-kernels=target=znver4 attention-value-panel=0' | FileCheck %s --check-prefix=ROWS
// RUN: tern-opt %s '--tern-select-kernels=target=znver4 attention-value-panel=48' | FileCheck %s --check-prefix=ROWS
// RUN: not tern-opt %s '--tern-select-kernels=target=znver4 attention-value-panel=24' 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not tern-opt %s '--tern-select-kernels=target=znver4 attention-value-panel=-16' 2>&1 | FileCheck %s --check-prefix=NEG
// RUN: sed 's/num_kv_heads = 2 : i64, staged_from = 8 : i64}/num_kv_heads = 2 : i64, staged_from = 8 : i64, value_panel = 16 : i64}/' %s | not tern-opt --tern-select-kernels=target=znver4 2>&1 | FileCheck %s --check-prefix=DIFFER
// RUN: sed 's/num_kv_heads = 2 : i64, staged_from = 8 : i64}/num_kv_heads = 2 : i64, staged_from = 8 : i64, value_panel = 16 : i64}/' %s | tern-opt '--tern-select-kernels=target=znver4 attention-value-panel=16' | FileCheck %s --check-prefix=P16

// CHECK-LABEL: func.func @attention
// CHECK: tern.attention {{.*}} staged_from = 128 : i64, value_panel = 32 : i64}
// CHECK: tern.attention {{.*}} num_kv_heads = 2 : i64, value_panel = 32 : i64} :
// CHECK: tern.attention {{.*}} staged_from = 8 : i64, value_panel = 32 : i64}
// CHECK: tern.batch_attention {{.*}} num_kv_heads = 2 : i64, value_panel = 32 : i64} :
// P64: tern.attention {{.*}} staged_from = 128 : i64, value_panel = 64 : i64}
// P64: tern.attention {{.*}} num_kv_heads = 2 : i64, value_panel = 64 : i64} :
// P64: tern.attention {{.*}} staged_from = 8 : i64, value_panel = 64 : i64}
// P64: tern.batch_attention {{.*}} num_kv_heads = 2 : i64, value_panel = 64 : i64} :
// ROWS-NOT: value_panel
// BAD: error: attention-value-panel: 24 lanes is not a multiple of 16 (0: whole rows)
// NEG: error: attention-value-panel: -16 lanes is not a multiple of 16 (0: whole rows)
// DIFFER: :[[#@LINE+10]]:{{.*}} error: value_panel 16 differs from 32 of an earlier attention op: the attention ops share the value cache, so they must lay it out alike (0: whole rows)
// DIFFER: :[[#@LINE+7]]:{{.*}} remark: the earlier attention op, value_panel 32
// P16-COUNT-4: value_panel = 16 : i64
func.func @attention(%q: tensor<1x256xf32>, %k: tensor<1x128xf32>, %v: tensor<1x128xf32>,
                     %q4: tensor<4x256xf32>, %k4: tensor<4x128xf32>, %v4: tensor<4x128xf32>,
                     %kc: memref<2x16x128xf32>, %vc: memref<2x16x128xf32>,
                     %kcs: memref<?x2x16x128xf32>, %vcs: memref<?x2x16x128xf32>,
                     %pos: tensor<4xi64>, %slots: tensor<4xi64>, %p: index) {
  %a = tern.attention %q, %k, %v into %kc, %vc at %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x256xf32>, tensor<1x128xf32>, tensor<1x128xf32>, memref<2x16x128xf32>, memref<2x16x128xf32> -> tensor<1x256xf32>
  %b = tern.attention %q4, %k4, %v4 into %kc, %vc at %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<4x256xf32>, tensor<4x128xf32>, tensor<4x128xf32>, memref<2x16x128xf32>, memref<2x16x128xf32> -> tensor<4x256xf32>
  %c = tern.attention %q, %k, %v into %kc, %vc at %p {layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, staged_from = 8 : i64} : tensor<1x256xf32>, tensor<1x128xf32>, tensor<1x128xf32>, memref<2x16x128xf32>, memref<2x16x128xf32> -> tensor<1x256xf32>
  %d = tern.batch_attention %q4, %k4, %v4 into %kcs, %vcs at %pos slots %slots {layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<4x256xf32>, tensor<4x128xf32>, tensor<4x128xf32>, memref<?x2x16x128xf32>, memref<?x2x16x128xf32>, tensor<4xi64>, tensor<4xi64> -> tensor<4x256xf32>
  return
}
