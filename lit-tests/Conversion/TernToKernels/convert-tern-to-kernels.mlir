// RUN: tern-opt %s --split-input-file --convert-tern-to-kernels | FileCheck %s
// RUN: tern-opt %s --split-input-file --tern-decompose-bitlinear --convert-tern-to-kernels | FileCheck %s --check-prefix=LAYER

// A matmul with a kernel on an i2/128 weight from the blob becomes a call to
// a kernel declared for its exact shape and kernel; the weight is read
// through a view.
// CHECK-LABEL: func @decode
// CHECK: %[[OFF:.*]] = arith.constant 4096 : index
// CHECK: %[[VIEW:.*]] = memref.view %{{.*}}[%[[OFF]]][] : memref<8192xi8> to memref<64x64xi8>
// CHECK: %[[A:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<1x256xi8> to memref<1x256xi8>
// CHECK: %[[OUT:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x64xi32>
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: call @tern_kernel_i2_avx2_1x64x256_b128_t1x1(%[[A]], %[[VIEW]], %[[OUT]], %[[C0]], %[[C64]]) {tern.block = 2048 : i64, tern.parallel = 8 : i64}
// CHECK: %[[R:.*]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<1x64xi32> to tensor<1x64xi32>
// CHECK: return %[[R]]
// CHECK-NOT: tern.weight
// CHECK: func.func private @tern_kernel_i2_avx2_1x64x256_b128_t1x1(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"avx2", i2, block = 128, tile = [1, 1]>}
func.func @decode(%blob: memref<8192xi8>, %q: tensor<1x256xi8>) -> tensor<1x64xi32> {
  %w = tern.weight "blk.0.attn_k.weight" %blob[4096] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
  %acc = tern.matmul %q, %w {kernel = #tern.kernel<"avx2", i2, block = 128, tile = [1, 1]>} : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 128>> -> tensor<1x64xi32>
  return %acc : tensor<1x64xi32>
}

// -----

// Two matmuls of one shape and kernel share one declaration; another tile
// or family is another kernel, named by it.
// CHECK-LABEL: func @shared
// CHECK-COUNT-2: call @tern_kernel_i2_avx2_1x64x256_b128_t1x1(
// CHECK: call @tern_kernel_i2_vnni_1x64x256_b128_t2x4(
// CHECK-DAG: func.func private @tern_kernel_i2_avx2_1x64x256_b128_t1x1(
// CHECK-DAG: func.func private @tern_kernel_i2_vnni_1x64x256_b128_t2x4({{.*}}) attributes {tern.kernel = #tern.kernel<"vnni", i2, block = 128, tile = [2, 4]>}
func.func @shared(%blob: memref<8192xi8>, %q: tensor<1x256xi8>) -> (tensor<1x64xi32>, tensor<1x64xi32>, tensor<1x64xi32>) {
  %w0 = tern.weight "a" %blob[0] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
  %w1 = tern.weight "b" %blob[4096] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
  %a0 = tern.matmul %q, %w0 {kernel = #tern.kernel<"avx2", i2, block = 128, tile = [1, 1]>} : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 128>> -> tensor<1x64xi32>
  %a1 = tern.matmul %q, %w1 {kernel = #tern.kernel<"avx2", i2, block = 128, tile = [1, 1]>} : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 128>> -> tensor<1x64xi32>
  %a2 = tern.matmul %q, %w1 {kernel = #tern.kernel<"vnni", i2, block = 128, tile = [2, 4]>} : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 128>> -> tensor<1x64xi32>
  return %a0, %a1, %a2 : tensor<1x64xi32>, tensor<1x64xi32>, tensor<1x64xi32>
}

// -----

// A matmul without a kernel is left for convert-tern-to-linalg.
// CHECK-LABEL: func @untouched
// CHECK: tern.matmul
// CHECK-NOT: call
func.func @untouched(%blob: memref<8192xi8>, %q: tensor<1x256xi8>) -> tensor<1x64xi32> {
  %w = tern.weight "b" %blob[0] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 64>>
  %a = tern.matmul %q, %w : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 64>> -> tensor<1x64xi32>
  return %a : tensor<1x64xi32>
}

// -----

// The kernel of a tern.bitlinear (tern-select-kernels' choice for the
// layer) moves to its matmul when it is decomposed.
// LAYER-LABEL: func @layer
// LAYER: tern.quantize_act
// LAYER: call @tern_kernel_i2_vnni512_1x64x256_b256_t1x1(
// LAYER: tern.rescale
// LAYER: func.func private @tern_kernel_i2_vnni512_1x64x256_b256_t1x1(
func.func @layer(%blob: memref<8192xi8>, %x: tensor<1x256xf32>, %s: f32) -> tensor<1x64xf32> {
  %w = tern.weight "w" %blob[0] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 256>>
  %y = tern.bitlinear %x, %w, %s {kernel = #tern.kernel<"vnni512", i2, block = 256, tile = [1, 1]>} : tensor<1x256xf32>, !tern.weights<64x256, #tern.layout<i2, block = 256>>, f32 -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

// base3v weights (5 per byte, 1.6 bits): the kernel takes the packed rows
// (320 / 5 = 64 bytes); NEON reads blocks of 80.
// CHECK-LABEL: func @base3v
// CHECK: %[[VIEW:.*]] = memref.view %{{.*}}[%{{.*}}][] : memref<8192xi8> to memref<64x64xi8>
// CHECK: call @tern_kernel_base3v_avx2_1x64x320_b160_t1x1(%{{.*}}, %[[VIEW]], %{{.*}}, %{{.*}}, %{{.*}}) {tern.block = 2048 : i64, tern.parallel = 8 : i64}
// CHECK: call @tern_kernel_base3v_neon_dotprod_1x64x320_b80_t1x4(
// CHECK-DAG: func.func private @tern_kernel_base3v_avx2_1x64x320_b160_t1x1(memref<1x320xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"avx2", base3v, block = 160, tile = [1, 1]>}
// CHECK-DAG: func.func private @tern_kernel_base3v_neon_dotprod_1x64x320_b80_t1x4(
func.func @base3v(%blob: memref<8192xi8>, %q: tensor<1x320xi8>) -> (tensor<1x64xi32>, tensor<1x64xi32>) {
  %w = tern.weight "w" %blob[0] : memref<8192xi8> -> !tern.weights<64x320, #tern.layout<base3v, block = 160>>
  %a0 = tern.matmul %q, %w {kernel = #tern.kernel<"avx2", base3v, block = 160, tile = [1, 1]>} : tensor<1x320xi8>, !tern.weights<64x320, #tern.layout<base3v, block = 160>> -> tensor<1x64xi32>
  %w1 = tern.weight "w1" %blob[4096] : memref<8192xi8> -> !tern.weights<64x320, #tern.layout<base3v, block = 80>>
  %a1 = tern.matmul %q, %w1 {kernel = #tern.kernel<"neon-dotprod", base3v, block = 80, tile = [1, 4]>} : tensor<1x320xi8>, !tern.weights<64x320, #tern.layout<base3v, block = 80>> -> tensor<1x64xi32>
  return %a0, %a1 : tensor<1x64xi32>, tensor<1x64xi32>
}

// -----

// lut2i weights (pair indices interleaved across groups of 32 rows): the
// lookup-table kernels' parallel range is in groups: 64 rows are 2.
// CHECK-LABEL: func @lut2i
// CHECK: %[[VIEW:.*]] = memref.view %{{.*}}[%{{.*}}][] : memref<8192xi8> to memref<64x64xi8>
// CHECK: %[[GROUPS:.*]] = arith.constant 2 : index
// CHECK: call @tern_kernel_lut2i_lut_1x64x256_b256_t1x2(%{{.*}}, %[[VIEW]], %{{.*}}, %{{.*}}, %[[GROUPS]]) {tern.block = 64 : i64, tern.parallel = 8 : i64}
// CHECK: func.func private @tern_kernel_lut2i_lut_1x64x256_b256_t1x2(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"lut", lut2i, block = 256, tile = [1, 2]>}
func.func @lut2i(%blob: memref<8192xi8>, %q: tensor<1x256xi8>) -> tensor<1x64xi32> {
  %w = tern.weight "w" %blob[0] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<lut2i, block = 256>>
  %a = tern.matmul %q, %w {kernel = #tern.kernel<"lut", lut2i, block = 256, tile = [1, 2]>} : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<lut2i, block = 256>> -> tensor<1x64xi32>
  return %a : tensor<1x64xi32>
}

// -----

// Blocks per thread come from the kernel family (KernelFamily::
// parallelBlocks): 8 for vnni512, 1 (a static split) for amx, whose kernels
// transpose the activations once per call.
// CHECK-LABEL: func @blocks
// CHECK: call @tern_kernel_i2_vnni512_32x64x256_b256_t1x1({{.*}}) {tern.parallel = 8 : i64}
// CHECK: call @tern_kernel_i2_amx_32x64x256_b256_t1x1({{.*}}) {tern.parallel = 1 : i64}
func.func @blocks(%blob: memref<8192xi8>, %q: tensor<32x256xi8>) -> (tensor<32x64xi32>, tensor<32x64xi32>) {
  %w = tern.weight "w" %blob[0] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 256>>
  %a0 = tern.matmul %q, %w {kernel = #tern.kernel<"vnni512", i2, block = 256, tile = [1, 1]>} : tensor<32x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 256>> -> tensor<32x64xi32>
  %w1 = tern.weight "w1" %blob[4096] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 256>>
  %a1 = tern.matmul %q, %w1 {kernel = #tern.kernel<"amx", i2, block = 256, tile = [1, 1]>} : tensor<32x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 256>> -> tensor<32x64xi32>
  return %a0, %a1 : tensor<32x64xi32>, tensor<32x64xi32>
}

// -----

// One row of activations streams the weights: its blocks hold at most
// kStreamBlockBytes (128 KiB) of them, here 64 rows of 2048 bytes
// (K = 8192 in i2); 64-byte rows allow 2048. Calls of more rows (prefill)
// have no bound beyond their blocks per thread.
// CHECK-LABEL: func @stream_blocks
// CHECK: call @tern_kernel_i2_vnni512_1x64x8192_b256_t1x1({{.*}}) {tern.block = 64 : i64, tern.parallel = 8 : i64}
// CHECK: call @tern_kernel_i2_vnni512_1x64x256_b256_t1x1({{.*}}) {tern.block = 2048 : i64, tern.parallel = 8 : i64}
// CHECK: call @tern_kernel_i2_vnni512_32x64x256_b256_t1x1({{.*}}) {tern.parallel = 8 : i64}
func.func @stream_blocks(%blob: memref<139264xi8>, %q: tensor<1x8192xi8>, %r: tensor<1x256xi8>, %p: tensor<32x256xi8>) -> (tensor<1x64xi32>, tensor<1x64xi32>, tensor<32x64xi32>) {
  %w = tern.weight "w" %blob[0] : memref<139264xi8> -> !tern.weights<64x8192, #tern.layout<i2, block = 256>>
  %a0 = tern.matmul %q, %w {kernel = #tern.kernel<"vnni512", i2, block = 256, tile = [1, 1]>} : tensor<1x8192xi8>, !tern.weights<64x8192, #tern.layout<i2, block = 256>> -> tensor<1x64xi32>
  %w1 = tern.weight "w1" %blob[131072] : memref<139264xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 256>>
  %a1 = tern.matmul %r, %w1 {kernel = #tern.kernel<"vnni512", i2, block = 256, tile = [1, 1]>} : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 256>> -> tensor<1x64xi32>
  %a2 = tern.matmul %p, %w1 {kernel = #tern.kernel<"vnni512", i2, block = 256, tile = [1, 1]>} : tensor<32x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 256>> -> tensor<32x64xi32>
  return %a0, %a1, %a2 : tensor<1x64xi32>, tensor<1x64xi32>, tensor<32x64xi32>
}
