// RUN: tern-opt %s --tern-fuse-norm-quantize | FileCheck %s

// A quantize_act of an rms_norm that nothing else reads: one op, the same
// epsilon, the quantization's result types.
// CHECK-LABEL: func @fused
// CHECK-SAME: (%[[X:.*]]: tensor<2x64xf32>, %[[W:.*]]: tensor<64xf32>)
// CHECK-NOT: tern.rms_norm %
// CHECK-NOT: tern.quantize_act
// CHECK: %[[Q:.*]], %[[S:.*]] = tern.rms_norm_quantize %[[X]], %[[W]] {epsilon = 9.99999997E-7 : f32} : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xi8>, tensor<2xf32>
// CHECK: return %[[Q]], %[[S]]
func.func @fused(%x: tensor<2x64xf32>, %w: tensor<64xf32>) -> (tensor<2x64xi8>, tensor<2xf32>) {
  %n = tern.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xf32>
  %q, %s = tern.quantize_act %n : tensor<2x64xf32> -> tensor<2x64xi8>, tensor<2xf32>
  return %q, %s : tensor<2x64xi8>, tensor<2xf32>
}

// The normalized rows are also returned: both ops stay.
// CHECK-LABEL: func @norm_read_twice
// CHECK: %[[N:.*]] = tern.rms_norm
// CHECK: tern.quantize_act %[[N]]
// CHECK-NOT: tern.rms_norm_quantize
func.func @norm_read_twice(%x: tensor<1x64xf32>, %w: tensor<64xf32>) -> (tensor<1x64xi8>, tensor<1x64xf32>) {
  %n = tern.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<1x64xf32>, tensor<64xf32> -> tensor<1x64xf32>
  %q, %s = tern.quantize_act %n : tensor<1x64xf32> -> tensor<1x64xi8>, tensor<1xf32>
  return %q, %n : tensor<1x64xi8>, tensor<1x64xf32>
}

// A quantization of anything else is left alone.
// CHECK-LABEL: func @not_a_norm
// CHECK: tern.quantize_act %arg0
// CHECK-NOT: tern.rms_norm_quantize
func.func @not_a_norm(%x: tensor<1x64xf32>) -> tensor<1x64xi8> {
  %q, %s = tern.quantize_act %x : tensor<1x64xf32> -> tensor<1x64xi8>, tensor<1xf32>
  return %q : tensor<1x64xi8>
}
