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
func.func @all_ops(%master: tensor<32x64xbf16>, %x: tensor<3x64xf32>, %nw: tensor<64xf32>)
    -> (tensor<3x32xf32>, tensor<3x32xf32>) {
  // CHECK: %[[W:.*]], %[[BETA:.*]] = tern.absmean_quantize %{{.*}} : tensor<32x64xbf16> -> !tern.weights<32x64>
  %w, %beta = tern.absmean_quantize %master : tensor<32x64xbf16> -> !tern.weights<32x64>
  // CHECK: %[[P:.*]] = tern.pack %[[W]] : !tern.weights<32x64> -> !tern.weights<32x64, #tern.layout<i2, block = 64>>
  %p = tern.pack %w : !tern.weights<32x64> -> !tern.weights<32x64, #tern.layout<i2, block = 64>>
  // CHECK: tern.unpack %[[P]] : !tern.weights<32x64, #tern.layout<i2, block = 64>> -> !tern.weights<32x64>
  %u = tern.unpack %p : !tern.weights<32x64, #tern.layout<i2, block = 64>> -> !tern.weights<32x64>
  // CHECK: %[[Q:.*]], %[[S:.*]] = tern.quantize_act %{{.*}} : tensor<3x64xf32> -> tensor<3x64xi8>, tensor<3xf32>
  %q, %s = tern.quantize_act %x : tensor<3x64xf32> -> tensor<3x64xi8>, tensor<3xf32>
  // CHECK: tern.rms_norm_quantize %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32} : tensor<3x64xf32>, tensor<64xf32> -> tensor<3x64xi8>, tensor<3xf32>
  %nq, %ns = tern.rms_norm_quantize %x, %nw {epsilon = 1.0e-05 : f32} : tensor<3x64xf32>, tensor<64xf32> -> tensor<3x64xi8>, tensor<3xf32>
  // CHECK: %[[ACC:.*]] = tern.matmul %[[Q]], %[[P]] : tensor<3x64xi8>, !tern.weights<32x64, #tern.layout<i2, block = 64>> -> tensor<3x32xi32>
  %acc = tern.matmul %q, %p : tensor<3x64xi8>, !tern.weights<32x64, #tern.layout<i2, block = 64>> -> tensor<3x32xi32>
  // CHECK: tern.rescale %[[ACC]], %[[S]], %[[BETA]] : tensor<3x32xi32>, tensor<3xf32>, f32 -> tensor<3x32xf32>
  %y = tern.rescale %acc, %s, %beta : tensor<3x32xi32>, tensor<3xf32>, f32 -> tensor<3x32xf32>
  // CHECK: tern.bitlinear %{{.*}}, %{{.*}}, %[[BETA]] : tensor<3x64xf32>, !tern.weights<32x64>, f32 -> tensor<3x32xf32>
  %z = tern.bitlinear %x, %u, %beta : tensor<3x64xf32>, !tern.weights<32x64>, f32 -> tensor<3x32xf32>
  return %y, %z : tensor<3x32xf32>, tensor<3x32xf32>
}

// The network ops and the kernel attribute round-trip.
// CHECK-LABEL: func @network
// CHECK: %[[EMB:.*]] = tern.weight "token_embd.weight" %arg0 : memref<?xi8> -> tensor<128x64xf16>
// CHECK: %[[X:.*]] = tern.embedding %[[EMB]][%arg1] : tensor<128x64xf16>, tensor<2xi64> -> tensor<2x64xf32>
// CHECK: %[[NW:.*]] = tern.weight "n" %arg0 : memref<?xi8> -> tensor<64xf32>
// CHECK: %[[XN:.*]] = tern.rms_norm %[[X]], %[[NW]] {epsilon = 9.99999974E-6 : f32} : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xf32>
// CHECK: %[[W:.*]] = tern.weight "q" %arg0 : memref<?xi8> -> !tern.weights<64x64>
// CHECK: %[[P:.*]] = tern.pack %[[W]] : !tern.weights<64x64> -> !tern.weights<64x64, #tern.layout<i2, block = 64>>
// CHECK: tern.bitlinear %[[XN]], %[[P]], %{{.*}} {kernel = #tern.kernel<"neon-dotprod", i2, block = 64, tile = [2, 4], prefetch = 4096, locality = 3>}
// CHECK: %[[COS:.*]], %[[SIN:.*]] = tern.rope_table %arg2 {theta = 5.000000e+05 : f32} : tensor<2x8xf32>, tensor<2x8xf32>
// CHECK: %[[R:.*]] = tern.rope %{{.*}}, %[[COS]], %[[SIN]] : tensor<2x64xf32>, tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x64xf32>
// CHECK: %[[A:.*]] = tern.attention %[[R]], %{{.*}}, %{{.*}} into %arg3, %arg4 at %arg2 {layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<2x64xf32>, tensor<2x32xf32>, tensor<2x32xf32>, memref<2x16x32xf32>, memref<2x16x32xf32> -> tensor<2x64xf32>
// CHECK: tern.squared_relu_gate %[[A]], %[[A]] : tensor<2x64xf32>
// CHECK: tern.lm_head %{{.*}}, %[[EMB]] into %arg5 from %arg6 as native : tensor<2x64xf32>, tensor<128x64xf16> into memref<2x128xf32>
// CHECK: %[[HQ:.*]], %[[HS:.*]] = tern.quantize_act
// CHECK: tern.lm_head %[[HQ]] scaled %[[HS]], %{{.*}}, %{{.*}} into %arg5 as q4 {dot = "avx2", prefetch = 1280 : i64, prefetch_locality = 3 : i64} : tensor<2x64xi8> scaled tensor<2xf32>, tensor<128x32xi8>, tensor<128x2xf16> into memref<2x128xf32>
// CHECK-LABEL: func.func @int8_rows
// CHECK: tern.lm_head %arg0 scaled %arg1, %arg2, %arg3 into %arg4 as int8 {dot = "vnni512"} : tensor<1x64xi8> scaled tensor<1xf32>, tensor<128x64xi8>, tensor<128x1xf32> into memref<128xf32>
// CHECK-LABEL: func.func @screened
// CHECK: tern.lm_head %arg0, %arg1, %arg2 into %arg5 as int8 : tensor<1x64xf32>, tensor<128x64xi8>, tensor<128x1xf32> into memref<128xf32>
// CHECK: tern.screen_head %arg0, %arg3, %arg4 into %arg5 : tensor<1x64xf32>, tensor<128x64xf16>, tensor<128x2xf32> into memref<128xf32>
// CHECK-LABEL: func.func @screened_q4
// CHECK: tern.screen_head %arg0, %arg1, %arg2 into %arg3 {min_norm = 8.000000e-05 : f32} : tensor<1x64xf32>, tensor<128x64xf16>, tensor<128x2xf32> into memref<128xf32>
// CHECK-LABEL: func.func @attention_rotating
// CHECK: tern.attention %arg0, %arg1, %arg2 into %arg3, %arg4 at %arg5 rope %arg6, %arg7 {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, staged_from = 64 : i64} : tensor<1x128xf32>, tensor<1x64xf32>, tensor<1x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32>, tensor<1x16xf32>, tensor<1x16xf32> -> tensor<1x128xf32>
func.func @network(%blob: memref<?xi8>, %tokens: tensor<2xi64>, %pos: index,
                   %kc: memref<2x16x32xf32>, %vc: memref<2x16x32xf32>,
                   %logits: memref<2x128xf32>, %first: index) {
  %emb = tern.weight "token_embd.weight" %blob : memref<?xi8> -> tensor<128x64xf16>
  %x = tern.embedding %emb[%tokens] : tensor<128x64xf16>, tensor<2xi64> -> tensor<2x64xf32>
  %nw = tern.weight "n" %blob : memref<?xi8> -> tensor<64xf32>
  %xn = tern.rms_norm %x, %nw {epsilon = 1.0e-05 : f32} : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xf32>
  %w = tern.weight "q" %blob : memref<?xi8> -> !tern.weights<64x64>
  %p = tern.pack %w : !tern.weights<64x64> -> !tern.weights<64x64, #tern.layout<i2, block = 64>>
  %s = arith.constant 0.5 : f32
  %q = tern.bitlinear %xn, %p, %s {kernel = #tern.kernel<"neon-dotprod", i2, block = 64, tile = [2, 4], prefetch = 4096, locality = 3>} : tensor<2x64xf32>, !tern.weights<64x64, #tern.layout<i2, block = 64>>, f32 -> tensor<2x64xf32>
  %k = tensor.extract_slice %q[0, 0] [2, 32] [1, 1] : tensor<2x64xf32> to tensor<2x32xf32>
  %cos, %sin = tern.rope_table %pos {theta = 5.0e+05 : f32} : tensor<2x8xf32>, tensor<2x8xf32>
  %qr = tern.rope %q, %cos, %sin : tensor<2x64xf32>, tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x64xf32>
  %att = tern.attention %qr, %k, %k into %kc, %vc at %pos {layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<2x64xf32>, tensor<2x32xf32>, tensor<2x32xf32>, memref<2x16x32xf32>, memref<2x16x32xf32> -> tensor<2x64xf32>
  %h = tern.squared_relu_gate %att, %att : tensor<2x64xf32>
  tern.lm_head %h, %emb into %logits from %first as native : tensor<2x64xf32>, tensor<128x64xf16> into memref<2x128xf32>
  %codes = tern.weight "c" %blob : memref<?xi8> -> tensor<128x32xi8>
  %scales = tern.weight "s" %blob : memref<?xi8> -> tensor<128x2xf16>
  %hq, %hs = tern.quantize_act %h : tensor<2x64xf32> -> tensor<2x64xi8>, tensor<2xf32>
  tern.lm_head %hq scaled %hs, %codes, %scales into %logits as q4 {dot = "avx2", prefetch = 1280 : i64, prefetch_locality = 3 : i64} : tensor<2x64xi8> scaled tensor<2xf32>, tensor<128x32xi8>, tensor<128x2xf16> into memref<2x128xf32>
  return
}

func.func @int8_rows(%hq: tensor<1x64xi8>, %hs: tensor<1xf32>, %codes: tensor<128x64xi8>,
                     %scales: tensor<128x1xf32>, %logits: memref<128xf32>) {
  tern.lm_head %hq scaled %hs, %codes, %scales into %logits as int8 {dot = "vnni512"} : tensor<1x64xi8> scaled tensor<1xf32>, tensor<128x64xi8>, tensor<128x1xf32> into memref<128xf32>
  return
}

func.func @screened(%h: tensor<1x64xf32>, %codes: tensor<128x64xi8>, %scales: tensor<128x1xf32>,
                    %emb: tensor<128x64xf16>, %bounds: tensor<128x2xf32>, %logits: memref<128xf32>) {
  tern.lm_head %h, %codes, %scales into %logits as int8 : tensor<1x64xf32>, tensor<128x64xi8>, tensor<128x1xf32> into memref<128xf32>
  tern.screen_head %h, %emb, %bounds into %logits : tensor<1x64xf32>, tensor<128x64xf16>, tensor<128x2xf32> into memref<128xf32>
  return
}

func.func @screened_q4(%h: tensor<1x64xf32>, %emb: tensor<128x64xf16>, %bounds: tensor<128x2xf32>, %logits: memref<128xf32>) {
  tern.screen_head %h, %emb, %bounds into %logits {min_norm = 8.0e-05 : f32} : tensor<1x64xf32>, tensor<128x64xf16>, tensor<128x2xf32> into memref<128xf32>
  return
}

func.func @attention_rotating(%q: tensor<1x128xf32>, %k: tensor<1x64xf32>, %v: tensor<1x64xf32>, %kc: memref<2x16x64xf32>, %vc: memref<2x16x64xf32>, %p: index, %cos: tensor<1x16xf32>, %sin: tensor<1x16xf32>) -> tensor<1x128xf32> {
  %a = tern.attention %q, %k, %v into %kc, %vc at %p rope %cos, %sin {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, staged_from = 64 : i64} : tensor<1x128xf32>, tensor<1x64xf32>, tensor<1x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32>, tensor<1x16xf32>, tensor<1x16xf32> -> tensor<1x128xf32>
  return %a : tensor<1x128xf32>
}
