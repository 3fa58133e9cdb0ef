// RUN: tern-opt %s --convert-tern-network-to-vector | FileCheck %s
// RUN: tern-opt %s --convert-tern-network-to-vector --tern-generate-kernels | FileCheck %s --check-prefix=DOT

// int8 of i8 token rows (runtime/model/HeadFormat.h, int8HeadLogit): the
// token rows quantized by tern.quantize_act with their scales, codes
// [V, H], scales [V, 1]; integer sums, one scaling per logit. Named int8q
// beside int8 of f32 rows, the screened head's scan
// (lm-head-screen-scan.mlir).
// CHECK-LABEL: func @int8
// CHECK: call @tern_head_int8q_i8_r1_h672_v100_pf1344_vnni512(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %arg4, %{{.*}}, %{{.*}}) {tern.block = 193 : i64, tern.parallel = 8 : i64} : (memref<1x672xi8>, memref<1xf32>, memref<100x672xi8>, memref<100x1xf32>, memref<100xf32>, index, index) -> ()
func.func @int8(%x: tensor<1x672xi8>, %xs: tensor<1xf32>, %c: tensor<100x672xi8>, %s: tensor<100x1xf32>, %logits: memref<100xf32>) {
  tern.lm_head %x scaled %xs, %c, %s into %logits as int8 {dot = "vnni512", prefetch = 1344 : i64} : tensor<1x672xi8> scaled tensor<1xf32>, tensor<100x672xi8>, tensor<100x1xf32> into memref<100xf32>
  return
}

// Plain arithmetic (no dot family) from a first row.
// CHECK-LABEL: func @int8_from
// CHECK: %[[ANY:.*]] = arith.cmpi ult, %arg5, %c3
// CHECK: scf.if %[[ANY]] {
// CHECK: call @tern_head_int8q_i8_r3_h64_v100_from(
func.func @int8_from(%x: tensor<3x64xi8>, %xs: tensor<3xf32>, %c: tensor<100x64xi8>, %s: tensor<100x1xf32>,
                     %logits: memref<3x100xf32>, %first: index) {
  tern.lm_head %x scaled %xs, %c, %s into %logits from %first as int8 : tensor<3x64xi8> scaled tensor<3xf32>, tensor<100x64xi8>, tensor<100x1xf32> into memref<3x100xf32>
  return
}

// Per call, each token row split once: |max(xq, -127)| and a mask of -1
// where it is negative, then 1 / xs.
// CHECK-LABEL: func.func private @tern_head_int8q_i8_r1_h672_v100_pf1344_vnni512(
// CHECK: %[[MAG:.*]] = memref.alloca() : memref<1x672xi8>
// CHECK: %[[SIGN:.*]] = memref.alloca() : memref<1x672xi8>
// CHECK: %[[INV:.*]] = memref.alloca() : memref<1xf32>
// CHECK: %[[X:.*]] = vector.load %arg0[%{{.*}}, %c0{{.*}}] : memref<1x672xi8>, vector<64xi8>
// CHECK: %[[C:.*]] = arith.maxsi %[[X]], %{{.*}} : vector<64xi8>
// CHECK: %[[NEG:.*]] = arith.cmpi slt, %[[C]]
// CHECK: %[[MINUS:.*]] = arith.subi %{{.*}}, %[[C]]
// CHECK: %[[ABS:.*]] = arith.select %[[NEG]], %[[MINUS]], %[[C]]
// CHECK: vector.store %[[ABS]], %[[MAG]]
// CHECK: vector.store %{{.*}}, %[[SIGN]]
// CHECK: arith.divf
// Per vocabulary row: two rows ahead prefetched (1344 bytes / 672-byte
// rows), then steps of 256 columns into 4 accumulators: codes w times the
// sign as (w ^ m) - m, by the family's multiply-add.
// CHECK: scf.for %[[ROW:.*]] = %arg5 to %arg6
// CHECK: %[[NEXT:.*]] = arith.addi %[[ROW]], %c2
// CHECK: %[[AHEAD:.*]] = arith.minui %[[NEXT]], %c99
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c512 step %c256 iter_args(
// CHECK: memref.prefetch %arg2[%[[AHEAD]], %{{.*}}], read, locality<1>, data
// CHECK: %[[M:.*]] = vector.load %[[SIGN]]
// CHECK: %[[W:.*]] = vector.load %arg2[%[[ROW]], %{{.*}}] : memref<100x672xi8>, vector<64xi8>
// CHECK: %[[XOR:.*]] = arith.xori %[[W]], %[[M]] : vector<64xi8>
// CHECK: %[[SW:.*]] = arith.subi %[[XOR]], %[[M]] : vector<64xi8>
// CHECK: %[[U:.*]] = vector.load %[[MAG]]
// CHECK: func.call @tern_quad_dot_vnni512(%{{.*}}, %[[U]], %[[SW]])
// CHECK-COUNT-3: func.call @tern_quad_dot_vnni512(
// CHECK: scf.yield
// The two whole chunks past the steps, the 4 sums, then 32 columns by
// widening arithmetic.
// CHECK-COUNT-2: func.call @tern_quad_dot_vnni512(
// CHECK: vector.reduction <add>, %{{.*}} : vector<16xi32> into i32
// CHECK: arith.muli %{{.*}} : vector<32xi32>
// CHECK: vector.reduction <add>, %{{.*}} : vector<32xi32> into i32
// (f32(i) * scale) * (1 / xs).
// CHECK: %[[F:.*]] = arith.sitofp %{{.*}} : i32 to f32
// CHECK: %[[SCALE:.*]] = memref.load %arg3[%[[ROW]], %c0{{.*}}] : memref<100x1xf32>
// CHECK: %[[FS:.*]] = arith.mulf %[[F]], %[[SCALE]] : f32
// CHECK: %[[I:.*]] = memref.load %[[INV]]
// CHECK: arith.mulf %[[FS]], %[[I]] : f32
// CHECK: memref.store {{.*}} : memref<100xf32>
// CHECK: func.func private @tern_quad_dot_vnni512(vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32> attributes {tern.quad_dot = "vnni512"}
// One chunk of 64, plain: no family call.
// CHECK-LABEL: func.func private @tern_head_int8q_i8_r3_h64_v100_from(
// CHECK-NOT: func.call
// CHECK: arith.muli {{.*}} : vector<64xi32>
// CHECK: return
// DOT: func.func private @tern_quad_dot_vnni512(
// DOT-SAME: attributes {passthrough = ["alwaysinline"]}
// DOT: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
