// RUN: tern-opt %s --split-input-file --tern-fuse-projections | FileCheck %s

// q, k and v read one input: one quantization, one matmul on the stacked
// weight "q+k+v" (rows 256 + 128 + 128), each part's columns rescaled by its
// own weight scale.
// CHECK-LABEL: func @qkv
// CHECK-NOT: tern.bitlinear
// CHECK: %[[W:.*]] = tern.weight "q+k+v" %arg0 : memref<?xi8> -> !tern.weights<512x256>
// CHECK: %[[Q:.*]], %[[S:.*]] = tern.quantize_act %arg1 : tensor<1x256xf32> -> tensor<1x256xi8>, tensor<1xf32>
// CHECK: %[[ACC:.*]] = tern.matmul %[[Q]], %[[W]] : tensor<1x256xi8>, !tern.weights<512x256> -> tensor<1x512xi32>
// CHECK: %[[P0:.*]] = tensor.extract_slice %[[ACC]][0, 0] [1, 256] [1, 1] : tensor<1x512xi32> to tensor<1x256xi32>
// CHECK: %[[Y0:.*]] = tern.rescale %[[P0]], %[[S]], %[[SQ:.*]] : tensor<1x256xi32>, tensor<1xf32>, f32 -> tensor<1x256xf32>
// CHECK: %[[P1:.*]] = tensor.extract_slice %[[ACC]][0, 256] [1, 128] [1, 1]
// CHECK: %[[Y1:.*]] = tern.rescale %[[P1]], %[[S]], %[[SK:.*]] :
// CHECK: %[[P2:.*]] = tensor.extract_slice %[[ACC]][0, 384] [1, 128] [1, 1]
// CHECK: %[[Y2:.*]] = tern.rescale %[[P2]], %[[S]], %[[SV:.*]] :
// CHECK: return %[[Y0]], %[[Y1]], %[[Y2]]
func.func @qkv(%blob: memref<?xi8>, %x: tensor<1x256xf32>) -> (tensor<1x256xf32>, tensor<1x128xf32>, tensor<1x128xf32>) {
  %wq = tern.weight "q" %blob : memref<?xi8> -> !tern.weights<256x256>
  %sq = arith.constant 0.5 : f32
  %q = tern.bitlinear %x, %wq, %sq : tensor<1x256xf32>, !tern.weights<256x256>, f32 -> tensor<1x256xf32>
  %wk = tern.weight "k" %blob : memref<?xi8> -> !tern.weights<128x256>
  %sk = arith.constant 0.25 : f32
  %k = tern.bitlinear %x, %wk, %sk : tensor<1x256xf32>, !tern.weights<128x256>, f32 -> tensor<1x128xf32>
  %wv = tern.weight "v" %blob : memref<?xi8> -> !tern.weights<128x256>
  %sv = arith.constant 0.125 : f32
  %v = tern.bitlinear %x, %wv, %sv : tensor<1x256xf32>, !tern.weights<128x256>, f32 -> tensor<1x128xf32>
  return %q, %k, %v : tensor<1x256xf32>, tensor<1x128xf32>, tensor<1x128xf32>
}

// -----

// Not fused: a group with a result used before its last member (fusing
// would move the result past that use), planned weights.
// CHECK-LABEL: func @kept
// CHECK-COUNT-4: tern.bitlinear
// CHECK-NOT: tern.matmul
func.func @kept(%blob: memref<?xi8>, %planned: memref<8192xi8>, %x: tensor<1x256xf32>, %y: tensor<1x256xf32>, %s: f32)
    -> (tensor<1x64xf32>, tensor<1x64xf32>, tensor<1x64xf32>, tensor<1x64xf32>) {
  %wa = tern.weight "a" %blob : memref<?xi8> -> !tern.weights<64x256>
  %a = tern.bitlinear %x, %wa, %s : tensor<1x256xf32>, !tern.weights<64x256>, f32 -> tensor<1x64xf32>
  %use = arith.addf %a, %a : tensor<1x64xf32>
  %wc = tern.weight "c" %blob : memref<?xi8> -> !tern.weights<64x256>
  %c = tern.bitlinear %x, %wc, %s : tensor<1x256xf32>, !tern.weights<64x256>, f32 -> tensor<1x64xf32>
  %p0 = tern.weight "p0" %planned[0] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
  %p1 = tern.weight "p1" %planned[4096] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
  %d = tern.bitlinear %y, %p0, %s : tensor<1x256xf32>, !tern.weights<64x256, #tern.layout<i2, block = 128>>, f32 -> tensor<1x64xf32>
  %e = tern.bitlinear %y, %p1, %s : tensor<1x256xf32>, !tern.weights<64x256, #tern.layout<i2, block = 128>>, f32 -> tensor<1x64xf32>
  return %use, %c, %d, %e : tensor<1x64xf32>, tensor<1x64xf32>, tensor<1x64xf32>, tensor<1x64xf32>
}
