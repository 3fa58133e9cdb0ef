// RUN: tern-opt %s --tern-decompose-bitlinear | FileCheck %s

// CHECK-LABEL: func @decompose
// CHECK-SAME: (%[[X:.*]]: tensor<3x64xf32>, %[[W:.*]]: !tern.weights<32x64>, %[[B:.*]]: f32)
// CHECK: %[[Q:.*]], %[[S:.*]] = tern.quantize_act %[[X]] : tensor<3x64xf32> -> tensor<3x64xi8>, tensor<3xf32>
// CHECK: %[[ACC:.*]] = tern.matmul %[[Q]], %[[W]] : tensor<3x64xi8>, !tern.weights<32x64> -> tensor<3x32xi32>
// CHECK: %[[Y:.*]] = tern.rescale %[[ACC]], %[[S]], %[[B]] : tensor<3x32xi32>, tensor<3xf32>, f32 -> tensor<3x32xf32>
// CHECK-NOT: tern.bitlinear
// CHECK: return %[[Y]]
func.func @decompose(%x: tensor<3x64xf32>, %w: !tern.weights<32x64>, %b: f32) -> tensor<3x32xf32> {
  %y = tern.bitlinear %x, %w, %b : tensor<3x64xf32>, !tern.weights<32x64>, f32 -> tensor<3x32xf32>
  return %y : tensor<3x32xf32>
}

// Packed weights pass through unchanged; two layers chain.
// CHECK-LABEL: func @chain
// CHECK: tern.quantize_act
// CHECK: tern.matmul %{{.*}}, %{{.*}} : tensor<1x64xi8>, !tern.weights<64x64, #tern.layout<i2, block = 64>> -> tensor<1x64xi32>
// CHECK: %[[Y1:.*]] = tern.rescale
// CHECK: tern.quantize_act %[[Y1]]
// CHECK: tern.matmul
// CHECK: tern.rescale
// CHECK-NOT: tern.bitlinear
func.func @chain(%x: tensor<1x64xf32>, %w: !tern.weights<64x64, #tern.layout<i2, block = 64>>, %b: f32) -> tensor<1x64xf32> {
  %y1 = tern.bitlinear %x, %w, %b : tensor<1x64xf32>, !tern.weights<64x64, #tern.layout<i2, block = 64>>, f32 -> tensor<1x64xf32>
  %y2 = tern.bitlinear %y1, %w, %b : tensor<1x64xf32>, !tern.weights<64x64, #tern.layout<i2, block = 64>>, f32 -> tensor<1x64xf32>
  return %y2 : tensor<1x64xf32>
}
