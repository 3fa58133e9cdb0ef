// RUN: tern-opt %s --split-input-file --convert-tern-to-kernels | FileCheck %s
// RUN: tern-opt %s --split-input-file '--convert-tern-to-kernels=family=neon-dotprod' | FileCheck %s --check-prefix=NEON
// RUN: not tern-opt %s --split-input-file '--convert-tern-to-kernels=family=sse9' 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: unknown kernel family 'sse9' (expected avx2, vnni, vnni512, neon-dotprod, sve, lut, lut512 or neon-lut)
// RUN: tern-opt %s --split-input-file '--convert-tern-to-kernels=family=vnni' | FileCheck %s --check-prefix=VNNI
// RUN: tern-opt %s --split-input-file '--convert-tern-to-kernels=family=avx2 tile-m=2 tile-n=4' | FileCheck %s --check-prefix=TILE
// RUN: tern-opt %s --split-input-file '--convert-tern-to-kernels=family=sve' | FileCheck %s --check-prefix=SVE
// RUN: tern-opt %s --split-input-file '--convert-tern-to-kernels=family=lut tile-n=2' | FileCheck %s --check-prefix=LUT
// RUN: not tern-opt %s --split-input-file '--convert-tern-to-kernels=tile-n=9' 2>&1 | FileCheck %s --check-prefix=BADTILE
// BADTILE: tern.kernel_config: tile_n must be an integer in [1, 8]
// RUN: tern-opt %s --split-input-file --tern-decompose-bitlinear --convert-tern-to-kernels | FileCheck %s --check-prefix=CONFIG

// A matmul on an i2/128 weight from the blob becomes a call to a kernel
// declared for its exact shape; the weight is read through a view.
// CHECK-LABEL: func @decode
// CHECK: %[[OFF:.*]] = arith.constant 4096 : index
// CHECK: %[[VIEW:.*]] = memref.view %{{.*}}[%[[OFF]]][] : memref<8192xi8> to memref<64x64xi8>
// CHECK: %[[A:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<1x256xi8> to memref<1x256xi8>
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<1x64xi32>
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: call @tern_kernel_i2_avx2_1x64x256_b128_t1x1(%[[A]], %[[VIEW]], %[[OUT]], %[[C0]], %[[C64]]) {tern.parallel}
// CHECK: %[[R:.*]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<1x64xi32> to tensor<1x64xi32>
// CHECK: return %[[R]]
// CHECK-NOT: tern.weight
// The default tile comes from the options; the name says it.
// TILE-LABEL: func @decode
// TILE: call @tern_kernel_i2_avx2_1x64x256_b128_t2x4(
// TILE: func.func private @tern_kernel_i2_avx2_1x64x256_b128_t2x4({{.*}}) attributes {tern.block = 128 : i64, tern.kernel = "i2_avx2", tern.tile = array<i64: 2, 4>}
// SVE reads one block per row only: i2/128 with K = 256 stays a tern.matmul.
// SVE-LABEL: func @decode
// SVE: tern.matmul
// VNNI-LABEL: func @decode
// VNNI: call @tern_kernel_i2_vnni_1x64x256_b128_t1x1({{.*}}) {tern.parallel}
// VNNI: func.func private @tern_kernel_i2_vnni_1x64x256_b128_t1x1({{.*}}) attributes {tern.block = 128 : i64, tern.kernel = "i2_vnni", tern.tile = array<i64: 1, 1>}
// NEON-LABEL: func @decode
// NEON: call @tern_kernel_i2_neon_dotprod_1x64x256_b128_t1x1({{.*}}) {tern.parallel}
// NEON: func.func private @tern_kernel_i2_neon_dotprod_1x64x256_b128_t1x1(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.block = 128 : i64, tern.kernel = "i2_neon-dotprod", tern.tile = array<i64: 1, 1>}
// CHECK: func.func private @tern_kernel_i2_avx2_1x64x256_b128_t1x1(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.block = 128 : i64, tern.kernel = "i2_avx2", tern.tile = array<i64: 1, 1>}
func.func @decode(%blob: memref<8192xi8>, %q: tensor<1x256xi8>) -> tensor<1x64xi32> {
  %w = tern.weight "blk.0.attn_k.weight" %blob[4096] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
  %acc = tern.matmul %q, %w : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 128>> -> tensor<1x64xi32>
  return %acc : tensor<1x64xi32>
}

// -----

// Two matmuls of one shape share one kernel.
// CHECK-LABEL: func @shared
// CHECK-COUNT-2: call @tern_kernel_i2_avx2_1x64x256_b128_t1x1(
// CHECK-COUNT-1: func.func private @tern_kernel_i2_avx2_1x64x256_b128_t1x1(
// CHECK-NOT: func.func private @tern_kernel
func.func @shared(%blob: memref<8192xi8>, %q: tensor<1x256xi8>) -> (tensor<1x64xi32>, tensor<1x64xi32>) {
  %w0 = tern.weight "a" %blob[0] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
  %w1 = tern.weight "b" %blob[4096] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
  %a0 = tern.matmul %q, %w0 : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 128>> -> tensor<1x64xi32>
  %a1 = tern.matmul %q, %w1 : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 128>> -> tensor<1x64xi32>
  return %a0, %a1 : tensor<1x64xi32>, tensor<1x64xi32>
}

// -----

// Not covered (left for convert-tern-to-linalg): weights that are not a
// blob weight, other layouts and blocks the family does not read (NEON
// reads block 64).
// NEON-LABEL: func @untouched
// NEON: tern.matmul
// NEON: call @tern_kernel_i2_neon_dotprod_1x64x256_b64_t1x1(
// NEON: tern.matmul
// CHECK-LABEL: func @untouched
// CHECK-COUNT-3: tern.matmul
// CHECK-NOT: call
func.func @untouched(%blob: memref<8192xi8>, %q: tensor<1x256xi8>,
                     %arg: !tern.weights<64x256, #tern.layout<i2, block = 128>>)
    -> (tensor<1x64xi32>, tensor<1x64xi32>, tensor<1x64xi32>) {
  %a0 = tern.matmul %q, %arg : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 128>> -> tensor<1x64xi32>
  %w1 = tern.weight "b" %blob[0] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 64>>
  %a1 = tern.matmul %q, %w1 : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 64>> -> tensor<1x64xi32>
  %w2 = tern.weight "c" %blob[0] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<base3, block = 128>>
  %a2 = tern.matmul %q, %w2 : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<base3, block = 128>> -> tensor<1x64xi32>
  return %a0, %a1, %a2 : tensor<1x64xi32>, tensor<1x64xi32>, tensor<1x64xi32>
}

// -----

// Weights in one block per row (block = K) get the sve kernel.
// SVE-LABEL: func @planar
// The x86 families read any multiple of 128, so block 256 too.
// CHECK-LABEL: func @planar
// CHECK: call @tern_kernel_i2_avx2_4x64x256_b256_t1x1(
// SVE: call @tern_kernel_i2_sve_4x64x256_b256_t1x1({{.*}}) {tern.parallel}
// SVE: func.func private @tern_kernel_i2_sve_4x64x256_b256_t1x1(memref<4x256xi8>, memref<64x64xi8>, memref<4x64xi32>, index, index) attributes {tern.block = 256 : i64, tern.kernel = "i2_sve", tern.tile = array<i64: 1, 1>}
func.func @planar(%blob: memref<8192xi8>, %q: tensor<4x256xi8>) -> tensor<4x64xi32> {
  %w = tern.weight "w" %blob[0] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 256>>
  %acc = tern.matmul %q, %w : tensor<4x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 256>> -> tensor<4x64xi32>
  return %acc : tensor<4x64xi32>
}

// -----

// A kernel chosen per layer (tern.kernel_config on tern.bitlinear, as a
// tuning database sets it) overrides the pass options for that matmul only.
// CONFIG-LABEL: func @configured
// CONFIG: call @tern_kernel_i2_vnni_1x64x256_b128_t1x4(
// CONFIG: call @tern_kernel_i2_avx2_1x64x256_b128_t1x1(
// CONFIG-DAG: func.func private @tern_kernel_i2_vnni_1x64x256_b128_t1x4(
// CONFIG-DAG: func.func private @tern_kernel_i2_avx2_1x64x256_b128_t1x1(
func.func @configured(%blob: memref<8192xi8>, %x: tensor<1x256xf32>, %s: f32) -> (tensor<1x64xf32>, tensor<1x64xf32>) {
  %w = tern.weight "w" %blob[0] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
  %y0 = tern.bitlinear %x, %w, %s {tern.kernel_config = {family = "vnni", tile_n = 4 : i64}} : tensor<1x256xf32>, !tern.weights<64x256, #tern.layout<i2, block = 128>>, f32 -> tensor<1x64xf32>
  %y1 = tern.bitlinear %x, %w, %s : tensor<1x256xf32>, !tern.weights<64x256, #tern.layout<i2, block = 128>>, f32 -> tensor<1x64xf32>
  return %y0, %y1 : tensor<1x64xf32>, tensor<1x64xf32>
}

// -----

// base3v weights (5 per byte, 1.6 bits): the x86 families read blocks of
// 160 (vnni512: 320); the kernel takes the packed rows (320 / 5 = 64 bytes).
// CHECK-LABEL: func @base3v
// CHECK: %[[VIEW:.*]] = memref.view %{{.*}}[%{{.*}}][] : memref<8192xi8> to memref<64x64xi8>
// CHECK: call @tern_kernel_base3v_avx2_1x64x320_b160_t1x1(%{{.*}}, %[[VIEW]], %{{.*}}, %{{.*}}, %{{.*}}) {tern.parallel}
// CHECK: tern.matmul
// CHECK: func.func private @tern_kernel_base3v_avx2_1x64x320_b160_t1x1(memref<1x320xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.block = 160 : i64, tern.kernel = "base3v_avx2", tern.tile = array<i64: 1, 1>}
// NEON-LABEL: func @base3v
// NEON: call @tern_kernel_base3v_neon_dotprod_1x64x320_b160_t1x1(
// NEON: call @tern_kernel_base3v_neon_dotprod_1x64x320_b80_t1x1(
// SVE-LABEL: func @base3v
// SVE-COUNT-2: tern.matmul
func.func @base3v(%blob: memref<8192xi8>, %q: tensor<1x320xi8>) -> (tensor<1x64xi32>, tensor<1x64xi32>) {
  %w = tern.weight "w" %blob[0] : memref<8192xi8> -> !tern.weights<64x320, #tern.layout<base3v, block = 160>>
  %a0 = tern.matmul %q, %w : tensor<1x320xi8>, !tern.weights<64x320, #tern.layout<base3v, block = 160>> -> tensor<1x64xi32>
  %w1 = tern.weight "w1" %blob[4096] : memref<8192xi8> -> !tern.weights<64x320, #tern.layout<base3v, block = 80>>
  %a1 = tern.matmul %q, %w1 : tensor<1x320xi8>, !tern.weights<64x320, #tern.layout<base3v, block = 80>> -> tensor<1x64xi32>
  return %a0, %a1 : tensor<1x64xi32>, tensor<1x64xi32>
}

// -----

// lut2i weights (pair indices interleaved across groups of 32 rows) are
// read by the lookup-table families only (the multiply-add families leave
// the matmul to the reference lowering); the kernels' parallel range is in
// groups: 64 rows are 2 groups.
// CHECK-LABEL: func @lut2i
// CHECK: tern.matmul
// LUT-LABEL: func @lut2i
// LUT: %[[VIEW:.*]] = memref.view %{{.*}}[%{{.*}}][] : memref<8192xi8> to memref<64x64xi8>
// LUT: %[[GROUPS:.*]] = arith.constant 2 : index
// LUT: call @tern_kernel_lut2i_lut_1x64x256_b256_t1x2(%{{.*}}, %[[VIEW]], %{{.*}}, %{{.*}}, %[[GROUPS]]) {tern.parallel}
// LUT: func.func private @tern_kernel_lut2i_lut_1x64x256_b256_t1x2(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.block = 256 : i64, tern.kernel = "lut2i_lut", tern.tile = array<i64: 1, 2>}
// NEON-LABEL: func @lut2i
// NEON: tern.matmul
func.func @lut2i(%blob: memref<8192xi8>, %q: tensor<1x256xi8>) -> tensor<1x64xi32> {
  %w = tern.weight "w" %blob[0] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<lut2i, block = 256>>
  %a = tern.matmul %q, %w : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<lut2i, block = 256>> -> tensor<1x64xi32>
  return %a : tensor<1x64xi32>
}
