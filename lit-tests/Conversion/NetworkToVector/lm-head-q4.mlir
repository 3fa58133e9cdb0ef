// RUN: tern-opt %s --convert-tern-network-to-vector | FileCheck %s
// RUN: tern-opt %s --convert-tern-network-to-vector --tern-generate-kernels | FileCheck %s --check-prefix=DOT

// The integer q4 head (runtime/model/HeadFormat.h, q4HeadLogit): token
// rows quantized to i8 with their scales, codes [V, H/2], scales [V, H/32].
// CHECK-LABEL: func @q4
// CHECK: call @tern_head_q4_i8_r1_h512_v100_pf256_vnni512(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %arg4, %{{.*}}, %{{.*}}) {tern.block = 455 : i64, tern.parallel = 8 : i64} : (memref<1x512xi8>, memref<1xf32>, memref<100x256xi8>, memref<100x16xf16>, memref<100xf32>, index, index) -> ()
func.func @q4(%x: tensor<1x512xi8>, %xs: tensor<1xf32>, %c: tensor<100x256xi8>, %s: tensor<100x16xf16>, %logits: memref<100xf32>) {
  tern.lm_head %x scaled %xs, %c, %s into %logits as q4 {dot = "vnni512", prefetch = 256 : i64} : tensor<1x512xi8> scaled tensor<1xf32>, tensor<100x256xi8>, tensor<100x16xf16> into memref<100xf32>
  return
}

// Prefill from a first row, plain arithmetic (no dot family): no call when
// the first row is past the last one.
// CHECK-LABEL: func @q4_from
// CHECK: %[[ANY:.*]] = arith.cmpi ult, %arg5, %c4
// CHECK: scf.if %[[ANY]] {
// CHECK: call @tern_head_q4_i8_r4_h64_v100_from(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %arg4, %{{.*}}, %{{.*}}, %{{.*}}) {tern.parallel = 8 : i64}
func.func @q4_from(%x: tensor<4x64xi8>, %xs: tensor<4xf32>, %c: tensor<100x32xi8>, %s: tensor<100x2xf16>,
                   %logits: memref<4x100xf32>, %first: index) {
  tern.lm_head %x scaled %xs, %c, %s into %logits from %first as q4 : tensor<4x64xi8> scaled tensor<4xf32>, tensor<100x32xi8>, tensor<100x2xf16> into memref<4x100xf32>
  return
}

// Per call, each token row rearranged (per 4 groups: the first 16
// activations of each, then the last 16) and 8 x each group's sum kept.
// CHECK-LABEL: func.func private @tern_head_q4_i8_r1_h512_v100_pf256_vnni512(
// CHECK: %[[XR:.*]] = memref.alloca() : memref<1x512xi8>
// CHECK: %[[OFF:.*]] = memref.alloca() : memref<1x16xi32>
// CHECK: %[[INV:.*]] = memref.alloca() : memref<1xf32>
// CHECK: vector.store %{{.*}}, %[[XR]][%{{.*}}, %c0{{.*}}] : memref<1x512xi8>, vector<16xi8>
// CHECK: vector.store %{{.*}}, %[[XR]][%{{.*}}, %c64{{.*}}] : memref<1x512xi8>, vector<16xi8>
// CHECK: vector.reduction <add>, %{{.*}} : vector<32xi32> into i32
// CHECK: arith.muli %{{.*}}, %c8_i32
// CHECK: arith.divf
// Per vocabulary row: one row ahead prefetched (256 bytes / 256-byte rows),
// 4 loads of 64 code bytes, low and high nibbles, two multiply-adds of
// byte quads each; two rounds of pair sums give the 16 group sums in order.
// CHECK: scf.for %[[ROW:.*]] = %arg5 to %arg6
// CHECK: %[[NEXT:.*]] = arith.addi %[[ROW]], %c1
// CHECK: %[[AHEAD:.*]] = arith.minui %[[NEXT]], %c99
// CHECK: memref.prefetch %arg2[%[[AHEAD]], %c0{{.*}}], read, locality<1>, data
// CHECK: vector.load %arg2[%[[ROW]], %c0{{.*}}] : memref<100x256xi8>, vector<64xi8>
// CHECK: arith.andi
// CHECK: arith.shrui
// CHECK: func.call @tern_quad_dot_vnni512(
// CHECK: func.call @tern_quad_dot_vnni512(
// CHECK-COUNT-6: func.call @tern_quad_dot_vnni512(
// CHECK: vector.shuffle {{.*}} [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31] : vector<16xi32>, vector<16xi32>
// CHECK: vector.shuffle {{.*}} [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30] : vector<16xi32>, vector<16xi32>
// CHECK: %[[O:.*]] = vector.load %[[OFF]]
// CHECK: %[[G:.*]] = arith.subi %{{.*}}, %[[O]] : vector<16xi32>
// CHECK: %[[F:.*]] = arith.sitofp %[[G]] : vector<16xi32> to vector<16xf32>
// The 16 scales, f16 widened to f32.
// CHECK: %[[S16:.*]] = vector.load %arg3[%[[ROW]], %c0{{.*}}] : memref<100x16xf16>, vector<16xf16>
// CHECK: %[[S:.*]] = arith.extf %[[S16]] : vector<16xf16> to vector<16xf32>
// CHECK: arith.mulf %[[F]], %[[S]] : vector<16xf32>
// fold16, then times 1 / xs.
// CHECK: vector.shuffle {{.*}} [8, 9, 10, 11, 12, 13, 14, 15] : vector<16xf32>, vector<16xf32>
// CHECK: memref.load %[[INV]]
// CHECK: arith.mulf
// CHECK: memref.store {{.*}} : memref<100xf32>
// The multiply-add is a declaration until tern-generate-kernels gives it
// the family's instruction, inlined by LLVM.
// CHECK: func.func private @tern_quad_dot_vnni512(vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32> attributes {tern.quad_dot = "vnni512"}
// Two groups (no whole block): summed one at a time into lanes 0 and 1.
// CHECK-LABEL: func.func private @tern_head_q4_i8_r4_h64_v100_from(
// CHECK: %[[FIRST:.*]] = memref.load %arg5
// CHECK: scf.for %{{.*}} = %[[FIRST]] to %c4
// CHECK: scf.for %{{.*}} = %arg6 to %arg7
// CHECK: scf.for %{{.*}} = %[[FIRST]] to %c4
// CHECK: arith.muli {{.*}} : vector<32xi32>
// CHECK: vector.reduction <add>
// CHECK: vector.insert %{{.*}}, %{{.*}} [0] : i32 into vector<16xi32>
// CHECK: vector.reduction <add>
// CHECK: vector.insert %{{.*}}, %{{.*}} [1] : i32 into vector<16xi32>
// CHECK-NOT: func.call
// CHECK: return
// DOT: func.func private @tern_quad_dot_vnni512(
// DOT-SAME: attributes {passthrough = ["alwaysinline"]}
// DOT: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
