// Every folder of the tern dialect.
// RUN: tern-opt %s -canonicalize -split-input-file | FileCheck %s

// absmean_quantize of a constant is done at compile time:
// mean|W| = (0.5 + 1.5 + 0 + 2 + 1 + 0 + 2 + 1) / 8 = 1, ties go to even.
// CHECK-LABEL: func @fold_absmean
// CHECK-DAG: %[[W:.*]] = tern.constant dense<{{\[\[}}0, -1, 0, 1], [-1, 0, 1, 1]]> : tensor<2x4xi8> -> !tern.weights<2x4>
// CHECK-DAG: %[[B:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NOT: tern.absmean_quantize
// CHECK: return %[[W]], %[[B]]
func.func @fold_absmean() -> (!tern.weights<2x4>, f32) {
  %m = arith.constant dense<[[0.5, -1.5, 0.0, 2.0], [-1.0, 0.0, 2.0, 1.0]]> : tensor<2x4xf32>
  %w, %b = tern.absmean_quantize %m : tensor<2x4xf32> -> !tern.weights<2x4>
  return %w, %b : !tern.weights<2x4>, f32
}

// -----

// bf16 master weights, and a packed result type: the constant keeps the
// logical values and takes the requested layout.
// mean = (4 * 0.25 + 4 * 0.75) / 8 = 0.5; 0.25 / 0.5 = 0.5 -> 0 (tie to even),
// 0.75 / 0.5 = 1.5 -> 2 -> 1.
// CHECK-LABEL: func @fold_absmean_bf16_packed
// CHECK-DAG: tern.constant dense<{{\[\[}}0, 0, 1, -1, 0, 0, 1, -1]]> : tensor<1x8xi8> -> !tern.weights<1x8, #tern.layout<lut2, block = 4>>
// CHECK-DAG: arith.constant 5.000000e-01 : f32
func.func @fold_absmean_bf16_packed() -> (!tern.weights<1x8, #tern.layout<lut2, block = 4>>, f32) {
  %m = arith.constant dense<[[0.25, -0.25, 0.75, -0.75, 0.25, -0.25, 0.75, -0.75]]> : tensor<1x8xbf16>
  %w, %b = tern.absmean_quantize %m : tensor<1x8xbf16> -> !tern.weights<1x8, #tern.layout<lut2, block = 4>>
  return %w, %b : !tern.weights<1x8, #tern.layout<lut2, block = 4>>, f32
}

// -----

// Row 0 has absmax 127 (s = 1): the codes are the rounded inputs, ties to even.
// Row 1 has absmax 2 (s = 63.5): -1 * 63.5 = -63.5 -> -64.
// CHECK-LABEL: func @fold_quantize_act
// CHECK-DAG: arith.constant dense<{{\[\[}}127, 0, 2, 0, -2, 4, -126, 1], [127, -64, 1, 0, 0, 0, 0, -127]]> : tensor<2x8xi8>
// CHECK-DAG: arith.constant dense<[1.000000e+00, 6.350000e+01]> : tensor<2xf32>
// CHECK-NOT: tern.quantize_act
func.func @fold_quantize_act() -> (tensor<2x8xi8>, tensor<2xf32>) {
  %x = arith.constant dense<[[127.0, 0.5, 2.5, -0.5, -1.5, 3.5, -126.5, 1.49],
                             [2.0, -1.0, 0.01, 0.0, 0.0, 0.0, 0.0, -2.0]]> : tensor<2x8xf32>
  %q, %s = tern.quantize_act %x : tensor<2x8xf32> -> tensor<2x8xi8>, tensor<2xf32>
  return %q, %s : tensor<2x8xi8>, tensor<2xf32>
}

// -----

// CHECK-LABEL: func @fold_matmul
// CHECK: %[[C:.*]] = arith.constant dense<{{\[\[}}-6, 133], [0, 1]]> : tensor<2x2xi32>
// CHECK-NOT: tern.matmul
// CHECK: return %[[C]]
func.func @fold_matmul() -> tensor<2x2xi32> {
  %a = arith.constant dense<[[127, -128, 5], [1, 2, 3]]> : tensor<2x3xi8>
  %w = tern.constant dense<[[1, 1, -1], [0, -1, 1]]> : tensor<2x3xi8> -> !tern.weights<2x3>
  %acc = tern.matmul %a, %w : tensor<2x3xi8>, !tern.weights<2x3> -> tensor<2x2xi32>
  return %acc : tensor<2x2xi32>
}

// -----

// A matmul with a non-constant operand stays.
// CHECK-LABEL: func @no_fold_matmul
// CHECK: tern.matmul
func.func @no_fold_matmul(%a: tensor<2x3xi8>) -> tensor<2x2xi32> {
  %w = tern.constant dense<[[1, 1, -1], [0, -1, 1]]> : tensor<2x3xi8> -> !tern.weights<2x3>
  %acc = tern.matmul %a, %w : tensor<2x3xi8>, !tern.weights<2x3> -> tensor<2x2xi32>
  return %acc : tensor<2x2xi32>
}

// -----

// CHECK-LABEL: func @fold_pack_constant
// CHECK: %[[C:.*]] = tern.constant dense<{{\[\[}}1, 0, -1, 1]]> : tensor<1x4xi8> -> !tern.weights<1x4, #tern.layout<i2, block = 4>>
// CHECK-NOT: tern.pack
// CHECK: return %[[C]]
func.func @fold_pack_constant() -> !tern.weights<1x4, #tern.layout<i2, block = 4>> {
  %w = tern.constant dense<[[1, 0, -1, 1]]> : tensor<1x4xi8> -> !tern.weights<1x4>
  %p = tern.pack %w : !tern.weights<1x4> -> !tern.weights<1x4, #tern.layout<i2, block = 4>>
  return %p : !tern.weights<1x4, #tern.layout<i2, block = 4>>
}

// -----

// CHECK-LABEL: func @fold_unpack_constant
// CHECK: %[[C:.*]] = tern.constant dense<{{\[\[}}1, 0, -1, 1, 0]]> : tensor<1x5xi8> -> !tern.weights<1x5>
// CHECK-NOT: tern.unpack
// CHECK: return %[[C]]
func.func @fold_unpack_constant() -> !tern.weights<1x5> {
  %p = tern.constant dense<[[1, 0, -1, 1, 0]]> : tensor<1x5xi8> -> !tern.weights<1x5, #tern.layout<base3, block = 5>>
  %w = tern.unpack %p : !tern.weights<1x5, #tern.layout<base3, block = 5>> -> !tern.weights<1x5>
  return %w : !tern.weights<1x5>
}

// -----

// CHECK-LABEL: func @fold_unpack_of_pack
// CHECK-SAME: (%[[ARG:.*]]: !tern.weights<8x16>)
// CHECK-NEXT: return %[[ARG]]
func.func @fold_unpack_of_pack(%w: !tern.weights<8x16>) -> !tern.weights<8x16> {
  %p = tern.pack %w : !tern.weights<8x16> -> !tern.weights<8x16, #tern.layout<lut2, block = 8>>
  %u = tern.unpack %p : !tern.weights<8x16, #tern.layout<lut2, block = 8>> -> !tern.weights<8x16>
  return %u : !tern.weights<8x16>
}

// -----

// CHECK-LABEL: func @fold_pack_of_unpack
// CHECK-SAME: (%[[ARG:.*]]: !tern.weights<8x16, #tern.layout<i2, block = 16>>)
// CHECK-NEXT: return %[[ARG]]
func.func @fold_pack_of_unpack(%p: !tern.weights<8x16, #tern.layout<i2, block = 16>>)
    -> !tern.weights<8x16, #tern.layout<i2, block = 16>> {
  %u = tern.unpack %p : !tern.weights<8x16, #tern.layout<i2, block = 16>> -> !tern.weights<8x16>
  %q = tern.pack %u : !tern.weights<8x16> -> !tern.weights<8x16, #tern.layout<i2, block = 16>>
  return %q : !tern.weights<8x16, #tern.layout<i2, block = 16>>
}

// -----

// Repacking into another layout is a real change of layout: it stays.
// CHECK-LABEL: func @no_fold_relayout
// CHECK: tern.unpack
// CHECK: tern.pack
func.func @no_fold_relayout(%p: !tern.weights<8x16, #tern.layout<i2, block = 16>>)
    -> !tern.weights<8x16, #tern.layout<base3, block = 16>> {
  %u = tern.unpack %p : !tern.weights<8x16, #tern.layout<i2, block = 16>> -> !tern.weights<8x16>
  %q = tern.pack %u : !tern.weights<8x16> -> !tern.weights<8x16, #tern.layout<base3, block = 16>>
  return %q : !tern.weights<8x16, #tern.layout<base3, block = 16>>
}
