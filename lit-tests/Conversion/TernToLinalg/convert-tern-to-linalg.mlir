// RUN: tern-opt %s --convert-tern-to-linalg -split-input-file | FileCheck %s

// Function signatures: weights become i8 tensors (packed: the layout's bytes).
// CHECK-LABEL: func @signature
// CHECK-SAME: (%{{.*}}: tensor<4x8xi8>, %{{.*}}: tensor<4x2xi8>, %{{.*}}: tensor<4x2xi8>, %{{.*}}: tensor<4x2xi8>) -> tensor<4x8xi8>
func.func @signature(%a: !tern.weights<4x8>, %b: !tern.weights<4x8, #tern.layout<i2, block = 8>>,
                     %c: !tern.weights<4x8, #tern.layout<base3, block = 4>>,
                     %d: !tern.weights<4x8, #tern.layout<lut2, block = 8>>) -> !tern.weights<4x8> {
  return %a : !tern.weights<4x8>
}

// -----

// CHECK-LABEL: func @quantize_act
// CHECK: %[[FLOOR:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2xf32>)
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<2x8xf32>) outs(%[[FLOOR]] : tensor<2xf32>)
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%[[MAX]] : tensor<2xf32>)
// CHECK: arith.divf
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[S]] : tensor<2x8xf32>, tensor<2xf32>) outs(%{{.*}} : tensor<2x8xi8>)
// CHECK: arith.mulf
// CHECK: math.roundeven
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: arith.fptosi %{{.*}} : f32 to i8
// CHECK: return %[[Q]], %[[S]]
func.func @quantize_act(%x: tensor<2x8xf32>) -> (tensor<2x8xi8>, tensor<2xf32>) {
  %q, %s = tern.quantize_act %x : tensor<2x8xf32> -> tensor<2x8xi8>, tensor<2xf32>
  return %q, %s : tensor<2x8xi8>, tensor<2xf32>
}

// -----

// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @matmul
// CHECK-SAME: (%[[A:.*]]: tensor<2x8xi8>, %[[W:.*]]: tensor<4x8xi8>)
// CHECK: linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[A]], %[[W]] : tensor<2x8xi8>, tensor<4x8xi8>) outs(%{{.*}} : tensor<2x4xi32>)
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.muli
// CHECK: arith.addi
func.func @matmul(%a: tensor<2x8xi8>, %w: !tern.weights<4x8>) -> tensor<2x4xi32> {
  %acc = tern.matmul %a, %w : tensor<2x8xi8>, !tern.weights<4x8> -> tensor<2x4xi32>
  return %acc : tensor<2x4xi32>
}

// -----

// Packed weights are unpacked first: for i2, each weight reads one byte,
// shifts it by 6 - 2j and masks two bits.
// CHECK-LABEL: func @matmul_packed
// CHECK-SAME: (%[[A:.*]]: tensor<2x8xi8>, %[[P:.*]]: tensor<4x2xi8>)
// CHECK: %[[U:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<4x8xi8>)
// CHECK: linalg.index 0
// CHECK: linalg.index 1
// CHECK: tensor.extract %[[P]]
// CHECK: arith.shrui
// CHECK: arith.andi
// CHECK: linalg.generic {{.*}} ins(%[[A]], %[[U]] : tensor<2x8xi8>, tensor<4x8xi8>)
func.func @matmul_packed(%a: tensor<2x8xi8>, %w: !tern.weights<4x8, #tern.layout<i2, block = 8>>) -> tensor<2x4xi32> {
  %acc = tern.matmul %a, %w : tensor<2x8xi8>, !tern.weights<4x8, #tern.layout<i2, block = 8>> -> tensor<2x4xi32>
  return %acc : tensor<2x4xi32>
}

// -----

// y = f32(acc) * (beta / s)
// CHECK-LABEL: func @rescale
// CHECK-SAME: (%[[ACC:.*]]: tensor<2x4xi32>, %[[S:.*]]: tensor<2xf32>, %[[B:.*]]: f32)
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %[[S]] : tensor<2x4xi32>, tensor<2xf32>)
// CHECK: ^bb0(%[[IN:.*]]: i32, %[[SI:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[F:.*]] = arith.divf %[[B]], %[[SI]] : f32
// CHECK: %[[V:.*]] = arith.sitofp %[[IN]] : i32 to f32
// CHECK: arith.mulf %[[V]], %[[F]] : f32
func.func @rescale(%acc: tensor<2x4xi32>, %s: tensor<2xf32>, %b: f32) -> tensor<2x4xf32> {
  %y = tern.rescale %acc, %s, %b : tensor<2x4xi32>, tensor<2xf32>, f32 -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// The absmean sum accumulates in f64 over both dimensions.
// CHECK-LABEL: func @absmean
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]} ins(%{{.*}} : tensor<4x8xbf16>) outs(%{{.*}} : tensor<f64>)
// CHECK: math.absf %{{.*}} : bf16
// CHECK: arith.extf %{{.*}} : bf16 to f64
// CHECK: %[[SUM:.*]] = tensor.extract
// CHECK: arith.divf %[[SUM]], %{{.*}} : f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
// CHECK: %[[BETA:.*]] = arith.maximumf
// CHECK: %[[T:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<4x8xi8>)
// CHECK: math.roundeven
// CHECK: return %[[T]], %[[BETA]] : tensor<4x8xi8>, f32
func.func @absmean(%m: tensor<4x8xbf16>) -> (!tern.weights<4x8>, f32) {
  %w, %b = tern.absmean_quantize %m : tensor<4x8xbf16> -> !tern.weights<4x8>
  return %w, %b : !tern.weights<4x8>, f32
}

// -----

// Constants of packed weights are packed at compile time: the i2 byte of
// [1, 0, -1, 1] with block 4 is codes 2,1,0,2 at shifts 6,4,2,0 = 0x92 = -110.
// CHECK-LABEL: func @packed_constant
// CHECK: %[[C:.*]] = arith.constant dense<-110> : tensor<1x1xi8>
// CHECK: return %[[C]]
func.func @packed_constant() -> !tern.weights<1x4, #tern.layout<i2, block = 4>> {
  %p = tern.constant dense<[[1, 0, -1, 1]]> : tensor<1x4xi8> -> !tern.weights<1x4, #tern.layout<i2, block = 4>>
  return %p : !tern.weights<1x4, #tern.layout<i2, block = 4>>
}

// -----

// base3: each byte sums five weights' codes times powers of three; positions
// past the block end (20 = 4 * 5, so none here) would read as code 1.
// CHECK-LABEL: func @pack
// CHECK-SAME: (%[[W:.*]]: tensor<3x20xi8>) -> tensor<3x4xi8>
// CHECK: %[[P:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<3x4xi8>)
// CHECK-COUNT-5: tensor.extract %[[W]]
// CHECK: arith.trunci %{{.*}} : i32 to i8
// CHECK: return %[[P]]
func.func @pack(%w: !tern.weights<3x20>) -> !tern.weights<3x20, #tern.layout<base3, block = 20>> {
  %p = tern.pack %w : !tern.weights<3x20> -> !tern.weights<3x20, #tern.layout<base3, block = 20>>
  return %p : !tern.weights<3x20, #tern.layout<base3, block = 20>>
}

// -----

// lut2: one nibble per pair, first weight = nibble / 3, second = nibble % 3.
// CHECK-LABEL: func @unpack
// CHECK-SAME: (%[[P:.*]]: tensor<3x5xi8>) -> tensor<3x20xi8>
// CHECK: %[[U:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<3x20xi8>)
// CHECK: tensor.extract %[[P]]
// CHECK: %[[NIB:.*]] = arith.andi %{{.*}}, %{{.*}} : i32
// CHECK: %[[FIRST:.*]] = arith.divui %[[NIB]], %{{.*}} : i32
// CHECK: %[[SECOND:.*]] = arith.remui %[[NIB]], %{{.*}} : i32
// CHECK: arith.select %{{.*}}, %[[SECOND]], %[[FIRST]] : i32
// CHECK: return %[[U]]
func.func @unpack(%p: !tern.weights<3x20, #tern.layout<lut2, block = 20>>) -> !tern.weights<3x20> {
  %u = tern.unpack %p : !tern.weights<3x20, #tern.layout<lut2, block = 20>> -> !tern.weights<3x20>
  return %u : !tern.weights<3x20>
}

// -----

// bitlinear is decomposed and its parts lowered; no tern op survives.
// CHECK-LABEL: func @bitlinear
// CHECK-NOT: tern.
// CHECK: linalg.generic
// CHECK-NOT: tern.
func.func @bitlinear(%x: tensor<1x8xf32>, %w: !tern.weights<4x8>, %b: f32) -> tensor<1x4xf32> {
  %y = tern.bitlinear %x, %w, %b : tensor<1x8xf32>, !tern.weights<4x8>, f32 -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// Calls between functions carry converted types.
// CHECK-LABEL: func @caller
// CHECK: call @callee(%{{.*}}) : (tensor<4x2xi8>) -> tensor<4x2xi8>
func.func private @callee(!tern.weights<4x8, #tern.layout<lut2, block = 8>>) -> !tern.weights<4x8, #tern.layout<lut2, block = 8>>
func.func @caller(%w: !tern.weights<4x8, #tern.layout<lut2, block = 8>>) -> !tern.weights<4x8, #tern.layout<lut2, block = 8>> {
  %r = call @callee(%w) : (!tern.weights<4x8, #tern.layout<lut2, block = 8>>) -> !tern.weights<4x8, #tern.layout<lut2, block = 8>>
  return %r : !tern.weights<4x8, #tern.layout<lut2, block = 8>>
}

// -----

// A weight in the blob becomes a typed view of its bytes, read as a tensor.
// CHECK-LABEL: func @weight
// CHECK: %[[OFF:.*]] = arith.constant 64 : index
// CHECK: %[[VIEW:.*]] = memref.view %{{.*}}[%[[OFF]]][] : memref<4160xi8> to memref<64x64xi8>
// CHECK: %[[T:.*]] = bufferization.to_tensor %[[VIEW]] restrict : memref<64x64xi8> to tensor<64x64xi8>
// CHECK: linalg.generic
func.func @weight(%blob: memref<4160xi8>, %x: tensor<1x256xi8>) -> tensor<1x64xi32> {
  %w = tern.weight "blk.0.attn_q.weight" %blob[64] : memref<4160xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
  %y = tern.matmul %x, %w : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 128>> -> tensor<1x64xi32>
  return %y : tensor<1x64xi32>
}

// -----

// The squared-ReLU gate elementwise: r = maxnum(gate, 0), (r * r) * up.
// CHECK-LABEL: func @gate
// CHECK-SAME: (%[[G:.*]]: tensor<2x24xf32>, %[[U:.*]]: tensor<2x24xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[G]], %[[U]] : tensor<2x24xf32>, tensor<2x24xf32>)
// CHECK: ^bb0(%[[GI:.*]]: f32, %[[UI:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[R:.*]] = arith.maxnumf %[[GI]], %[[Z]] : f32
// CHECK: %[[SQ:.*]] = arith.mulf %[[R]], %[[R]] : f32
// CHECK: arith.mulf %[[SQ]], %[[UI]] : f32
func.func @gate(%g: tensor<2x24xf32>, %u: tensor<2x24xf32>) -> tensor<2x24xf32> {
  %h = tern.squared_relu_gate %g, %u : tensor<2x24xf32>
  return %h : tensor<2x24xf32>
}
