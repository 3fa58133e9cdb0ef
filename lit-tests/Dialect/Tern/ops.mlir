// Round trip: custom form -> custom form, and through the generic form.
// RUN: tern-opt %s | tern-opt | FileCheck %s
// RUN: tern-opt %s --mlir-print-op-generic | tern-opt | FileCheck %s

// CHECK-LABEL: func @types
// CHECK-SAME: !tern.weights<640x2560>
// CHECK-SAME: !tern.weights<640x2560, #tern.layout<i2, block = 128>>
// CHECK-SAME: !tern.weights<640x2560, #tern.layout<lut2, block = 64>>
// CHECK-SAME: !tern.weights<640x2560, #tern.layout<base3, block = 160>>
func.func @types(%a: !tern.weights<640x2560>,
                 %b: !tern.weights<640x2560, #tern.layout<i2, block = 128>>,
                 %c: !tern.weights<640x2560, #tern.layout<lut2, block = 64>>,
                 %d: !tern.weights<640x2560, #tern.layout<base3, block = 160>>) {
  return
}

// CHECK-LABEL: func @constant
// CHECK: tern.constant dense<{{\[\[}}1, 0, -1, 1], [0, 0, 1, -1]]> : tensor<2x4xi8> -> !tern.weights<2x4>
// CHECK: tern.constant dense<1> : tensor<2x4xi8> -> !tern.weights<2x4, #tern.layout<i2, block = 4>>
func.func @constant() -> (!tern.weights<2x4>, !tern.weights<2x4, #tern.layout<i2, block = 4>>) {
  %w = tern.constant dense<[[1, 0, -1, 1], [0, 0, 1, -1]]> : tensor<2x4xi8> -> !tern.weights<2x4>
  %p = tern.constant dense<1> : tensor<2x4xi8> -> !tern.weights<2x4, #tern.layout<i2, block = 4>>
  return %w, %p : !tern.weights<2x4>, !tern.weights<2x4, #tern.layout<i2, block = 4>>
}

// CHECK-LABEL: func @weight
// CHECK: tern.weight "blk.0.attn_q.weight" %{{.*}}[64] : memref<4160xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
// CHECK: tern.weight "raw" %{{.*}}[0] : memref<?xi8> -> !tern.weights<2x4>
func.func @weight(%blob: memref<4160xi8>, %any: memref<?xi8>)
    -> (!tern.weights<64x256, #tern.layout<i2, block = 128>>, !tern.weights<2x4>) {
  %w = tern.weight "blk.0.attn_q.weight" %blob[64] : memref<4160xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
  %r = tern.weight "raw" %any[0] : memref<?xi8> -> !tern.weights<2x4>
  return %w, %r : !tern.weights<64x256, #tern.layout<i2, block = 128>>, !tern.weights<2x4>
}

// CHECK-LABEL: func @all_ops
func.func @all_ops(%master: tensor<32x64xbf16>, %x: tensor<3x64xf32>)
    -> (tensor<3x32xf32>, tensor<3x32xf32>) {
  // CHECK: %[[W:.*]], %[[BETA:.*]] = tern.absmean_quantize %{{.*}} : tensor<32x64xbf16> -> !tern.weights<32x64>
  %w, %beta = tern.absmean_quantize %master : tensor<32x64xbf16> -> !tern.weights<32x64>
  // CHECK: %[[P:.*]] = tern.pack %[[W]] : !tern.weights<32x64> -> !tern.weights<32x64, #tern.layout<i2, block = 64>>
  %p = tern.pack %w : !tern.weights<32x64> -> !tern.weights<32x64, #tern.layout<i2, block = 64>>
  // CHECK: tern.unpack %[[P]] : !tern.weights<32x64, #tern.layout<i2, block = 64>> -> !tern.weights<32x64>
  %u = tern.unpack %p : !tern.weights<32x64, #tern.layout<i2, block = 64>> -> !tern.weights<32x64>
  // CHECK: %[[Q:.*]], %[[S:.*]] = tern.quantize_act %{{.*}} : tensor<3x64xf32> -> tensor<3x64xi8>, tensor<3xf32>
  %q, %s = tern.quantize_act %x : tensor<3x64xf32> -> tensor<3x64xi8>, tensor<3xf32>
  // CHECK: %[[ACC:.*]] = tern.matmul %[[Q]], %[[P]] : tensor<3x64xi8>, !tern.weights<32x64, #tern.layout<i2, block = 64>> -> tensor<3x32xi32>
  %acc = tern.matmul %q, %p : tensor<3x64xi8>, !tern.weights<32x64, #tern.layout<i2, block = 64>> -> tensor<3x32xi32>
  // CHECK: tern.rescale %[[ACC]], %[[S]], %[[BETA]] : tensor<3x32xi32>, tensor<3xf32>, f32 -> tensor<3x32xf32>
  %y = tern.rescale %acc, %s, %beta : tensor<3x32xi32>, tensor<3xf32>, f32 -> tensor<3x32xf32>
  // CHECK: tern.bitlinear %{{.*}}, %{{.*}}, %[[BETA]] : tensor<3x64xf32>, !tern.weights<32x64>, f32 -> tensor<3x32xf32>
  %z = tern.bitlinear %x, %u, %beta : tensor<3x64xf32>, !tern.weights<32x64>, f32 -> tensor<3x32xf32>
  return %y, %z : tensor<3x32xf32>, tensor<3x32xf32>
}
