// RUN: tern-opt %s --split-input-file --convert-tern-to-kernels | FileCheck %s
// RUN: tern-opt %s --split-input-file '--convert-tern-to-kernels=family=neon-dotprod' | FileCheck %s --check-prefix=NEON
// RUN: not tern-opt %s --split-input-file '--convert-tern-to-kernels=family=sse9' 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: unknown kernel family 'sse9' (expected avx2, vnni or neon-dotprod)
// RUN: tern-opt %s --split-input-file '--convert-tern-to-kernels=family=vnni' | FileCheck %s --check-prefix=VNNI

// A matmul on an i2/128 weight from the blob becomes a call to a kernel
// declared for its exact shape; the weight is read through a view.
// CHECK-LABEL: func @decode
// CHECK: %[[OFF:.*]] = arith.constant 4096 : index
// CHECK: %[[VIEW:.*]] = memref.view %{{.*}}[%[[OFF]]][] : memref<8192xi8> to memref<64x64xi8>
// CHECK: %[[A:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<1x256xi8> to memref<1x256xi8>
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<1x64xi32>
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: call @tern_kernel_i2_avx2_1x64x256(%[[A]], %[[VIEW]], %[[OUT]], %[[C0]], %[[C64]]) {tern.parallel}
// CHECK: %[[R:.*]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<1x64xi32> to tensor<1x64xi32>
// CHECK: return %[[R]]
// CHECK-NOT: tern.weight
// VNNI-LABEL: func @decode
// VNNI: call @tern_kernel_i2_vnni_1x64x256({{.*}}) {tern.parallel}
// VNNI: func.func private @tern_kernel_i2_vnni_1x64x256({{.*}}) attributes {tern.kernel = "i2_vnni"}
// NEON-LABEL: func @decode
// NEON: call @tern_kernel_i2_neon_dotprod_1x64x256({{.*}}) {tern.parallel}
// NEON: func.func private @tern_kernel_i2_neon_dotprod_1x64x256(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = "i2_neon-dotprod"}
// CHECK: func.func private @tern_kernel_i2_avx2_1x64x256(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = "i2_avx2"}
func.func @decode(%blob: memref<8192xi8>, %q: tensor<1x256xi8>) -> tensor<1x64xi32> {
  %w = tern.weight "blk.0.attn_k.weight" %blob[4096] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
  %acc = tern.matmul %q, %w : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 128>> -> tensor<1x64xi32>
  return %acc : tensor<1x64xi32>
}

// -----

// Two matmuls of one shape share one kernel.
// CHECK-LABEL: func @shared
// CHECK-COUNT-2: call @tern_kernel_i2_avx2_1x64x256
// CHECK-COUNT-1: func.func private @tern_kernel_i2_avx2_1x64x256
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
// blob weight, other layouts and block sizes.
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
