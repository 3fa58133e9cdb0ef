// Executes BitLinear layers through the reference lowering and checks the
// numbers: round-half-to-even activation codes, exact int32 accumulators,
// scales, and the same results from every packed layout (packed at compile
// time by the C++ packer or at run time by the lowered tern.pack).
//
// RUN: tern-opt %s --tern-reference-pipeline \
// RUN: | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_libs \
// RUN: | FileCheck %s

!W = !tern.weights<3x8>
!I2 = !tern.weights<3x8, #tern.layout<i2, block = 8>>
!LUT = !tern.weights<3x8, #tern.layout<lut2, block = 4>>
!B3 = !tern.weights<3x8, #tern.layout<base3, block = 8>>

func.func private @printMemrefF32(tensor<*xf32>)
func.func private @printMemrefI32(tensor<*xi32>)

// Weights arrive as arguments so that nothing folds at compile time: these
// functions exercise the lowering, not the folders.
func.func @codes(%x: tensor<2x8xf32>) -> (tensor<2x8xi32>, tensor<2xf32>) {
  %q, %s = tern.quantize_act %x : tensor<2x8xf32> -> tensor<2x8xi8>, tensor<2xf32>
  // Widen for printing: the runner has no i8 printer.
  %e = tensor.empty() : tensor<2x8xi32>
  %w = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%q : tensor<2x8xi8>) outs(%e : tensor<2x8xi32>) {
  ^bb0(%v: i8, %o: i32):
    %x32 = arith.extsi %v : i8 to i32
    linalg.yield %x32 : i32
  } -> tensor<2x8xi32>
  return %w, %s : tensor<2x8xi32>, tensor<2xf32>
}

func.func @accumulate(%x: tensor<2x8xf32>, %w: !W) -> tensor<2x3xi32> {
  %q, %s = tern.quantize_act %x : tensor<2x8xf32> -> tensor<2x8xi8>, tensor<2xf32>
  %acc = tern.matmul %q, %w : tensor<2x8xi8>, !W -> tensor<2x3xi32>
  return %acc : tensor<2x3xi32>
}

func.func @layer(%x: tensor<2x8xf32>, %w: !W, %b: f32) -> tensor<2x3xf32> {
  %y = tern.bitlinear %x, %w, %b : tensor<2x8xf32>, !W, f32 -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
func.func @layer_i2(%x: tensor<2x8xf32>, %w: !I2, %b: f32) -> tensor<2x3xf32> {
  %y = tern.bitlinear %x, %w, %b : tensor<2x8xf32>, !I2, f32 -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
func.func @layer_lut2(%x: tensor<2x8xf32>, %w: !LUT, %b: f32) -> tensor<2x3xf32> {
  %y = tern.bitlinear %x, %w, %b : tensor<2x8xf32>, !LUT, f32 -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
func.func @layer_base3(%x: tensor<2x8xf32>, %w: !B3, %b: f32) -> tensor<2x3xf32> {
  %y = tern.bitlinear %x, %w, %b : tensor<2x8xf32>, !B3, f32 -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
// Run-time packing by the lowered tern.pack, then the packed layer.
func.func @repack_all(%x: tensor<2x8xf32>, %w: !W, %b: f32) {
  %p1 = tern.pack %w : !W -> !I2
  %y1 = func.call @layer_i2(%x, %p1, %b) : (tensor<2x8xf32>, !I2, f32) -> tensor<2x3xf32>
  %u1 = tensor.cast %y1 : tensor<2x3xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u1) : (tensor<*xf32>) -> ()
  %p2 = tern.pack %w : !W -> !LUT
  %y2 = func.call @layer_lut2(%x, %p2, %b) : (tensor<2x8xf32>, !LUT, f32) -> tensor<2x3xf32>
  %u2 = tensor.cast %y2 : tensor<2x3xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u2) : (tensor<*xf32>) -> ()
  %p3 = tern.pack %w : !W -> !B3
  %y3 = func.call @layer_base3(%x, %p3, %b) : (tensor<2x8xf32>, !B3, f32) -> tensor<2x3xf32>
  %u3 = tensor.cast %y3 : tensor<2x3xf32> to tensor<*xf32>
  func.call @printMemrefF32(%u3) : (tensor<*xf32>) -> ()
  return
}

func.func @main() {
  // Row 0: absmax 127, so s = 1 and the codes are the rounded inputs.
  // Row 1: absmax 2, s = 63.5: -63.5 -> -64, 31.75 -> 32, -47.625 -> -48.
  %x = arith.constant dense<[[127.0, 0.5, 2.5, -0.5, -1.5, 3.5, -126.5, 1.49],
                             [2.0, -1.0, 0.01, 0.5, 0.0, 0.0, 0.0, -0.75]]> : tensor<2x8xf32>
  %w = tern.constant dense<[[0, 1, 1, 1, 1, 1, 1, 0],
                            [1, 0, 0, 0, 0, 0, 0, -1],
                            [0, 1, -1, 1, -1, 1, 0, 0]]> : tensor<3x8xi8> -> !W
  %b = arith.constant 0.5 : f32

  %q, %s = func.call @codes(%x) : (tensor<2x8xf32>) -> (tensor<2x8xi32>, tensor<2xf32>)
  %qu = tensor.cast %q : tensor<2x8xi32> to tensor<*xi32>
  func.call @printMemrefI32(%qu) : (tensor<*xi32>) -> ()
  // CHECK: [127,   0,   2,   0,   -2,   4,   -126,   1]
  // CHECK: [127,   -64,   1,   32,   0,   0,   0,   -48]
  %su = tensor.cast %s : tensor<2xf32> to tensor<*xf32>
  func.call @printMemrefF32(%su) : (tensor<*xf32>) -> ()
  // CHECK: [1,  63.5]

  %acc = func.call @accumulate(%x, %w) : (tensor<2x8xf32>, !W) -> tensor<2x3xi32>
  %au = tensor.cast %acc : tensor<2x3xi32> to tensor<*xi32>
  func.call @printMemrefI32(%au) : (tensor<*xi32>) -> ()
  // CHECK: [-122,   126,   4]
  // CHECK: [-31,   175,   -33]

  // y = acc * (0.5 / s): row 0 halves, row 1 multiplies by 0.5 / 63.5.
  %y = func.call @layer(%x, %w, %b) : (tensor<2x8xf32>, !W, f32) -> tensor<2x3xf32>
  %yu = tensor.cast %y : tensor<2x3xf32> to tensor<*xf32>
  func.call @printMemrefF32(%yu) : (tensor<*xf32>) -> ()
  // CHECK: [-61,   63,   2]
  // CHECK: [-0.244094,   1.37795,   -0.259843]

  // Compile-time packed constants (C++ packer, lowered tern.unpack).
  %c1 = tern.constant dense<[[0, 1, 1, 1, 1, 1, 1, 0], [1, 0, 0, 0, 0, 0, 0, -1],
                             [0, 1, -1, 1, -1, 1, 0, 0]]> : tensor<3x8xi8> -> !I2
  %y1 = func.call @layer_i2(%x, %c1, %b) : (tensor<2x8xf32>, !I2, f32) -> tensor<2x3xf32>
  %y1u = tensor.cast %y1 : tensor<2x3xf32> to tensor<*xf32>
  func.call @printMemrefF32(%y1u) : (tensor<*xf32>) -> ()
  // CHECK: [-61,   63,   2]
  // CHECK: [-0.244094,   1.37795,   -0.259843]
  %c2 = tern.constant dense<[[0, 1, 1, 1, 1, 1, 1, 0], [1, 0, 0, 0, 0, 0, 0, -1],
                             [0, 1, -1, 1, -1, 1, 0, 0]]> : tensor<3x8xi8> -> !LUT
  %y2 = func.call @layer_lut2(%x, %c2, %b) : (tensor<2x8xf32>, !LUT, f32) -> tensor<2x3xf32>
  %y2u = tensor.cast %y2 : tensor<2x3xf32> to tensor<*xf32>
  func.call @printMemrefF32(%y2u) : (tensor<*xf32>) -> ()
  // CHECK: [-61,   63,   2]
  // CHECK: [-0.244094,   1.37795,   -0.259843]
  %c3 = tern.constant dense<[[0, 1, 1, 1, 1, 1, 1, 0], [1, 0, 0, 0, 0, 0, 0, -1],
                             [0, 1, -1, 1, -1, 1, 0, 0]]> : tensor<3x8xi8> -> !B3
  %y3 = func.call @layer_base3(%x, %c3, %b) : (tensor<2x8xf32>, !B3, f32) -> tensor<2x3xf32>
  %y3u = tensor.cast %y3 : tensor<2x3xf32> to tensor<*xf32>
  func.call @printMemrefF32(%y3u) : (tensor<*xf32>) -> ()
  // CHECK: [-61,   63,   2]
  // CHECK: [-0.244094,   1.37795,   -0.259843]

  // Run-time packing in all three layouts.
  func.call @repack_all(%x, %w, %b) : (tensor<2x8xf32>, !W, f32) -> ()
  // CHECK-COUNT-3: [-0.244094,   1.37795,   -0.259843]
  return
}
