// Executes tern.absmean_quantize through the reference lowering on f32 and
// bf16 master weights, and checks it against the compile-time folder.
//
// RUN: tern-opt %s --tern-reference-pipeline \
// RUN: | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_libs \
// RUN: | FileCheck %s

func.func private @printMemrefF32(tensor<*xf32>)
func.func private @printMemrefI32(tensor<*xi32>)

// Shows ternary weights [2, 4] as int32 [4, 2]: an identity activation
// matrix times W^T is W^T.
func.func @show(%w: !tern.weights<2x4>, %beta: f32) {
  %eye = arith.constant dense<[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]> : tensor<4x4xi8>
  %t = tern.matmul %eye, %w : tensor<4x4xi8>, !tern.weights<2x4> -> tensor<4x2xi32>
  %u = tensor.cast %t : tensor<4x2xi32> to tensor<*xi32>
  func.call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  %b = tensor.from_elements %beta : tensor<1xf32>
  %bu = tensor.cast %b : tensor<1xf32> to tensor<*xf32>
  func.call @printMemrefF32(%bu) : (tensor<*xf32>) -> ()
  return
}

func.func @quantize_f32(%m: tensor<2x4xf32>) -> (!tern.weights<2x4>, f32) {
  %w, %b = tern.absmean_quantize %m : tensor<2x4xf32> -> !tern.weights<2x4>
  return %w, %b : !tern.weights<2x4>, f32
}

func.func @quantize_bf16(%m: tensor<2x4xbf16>) -> (!tern.weights<2x4>, f32) {
  %w, %b = tern.absmean_quantize %m : tensor<2x4xbf16> -> !tern.weights<2x4>
  return %w, %b : !tern.weights<2x4>, f32
}

func.func @main() {
  // mean|W| = 8 / 8 = 1: 0.5 -> 0 and -1.5 -> -2 -> -1 (ties to even).
  %m = arith.constant dense<[[0.5, -1.5, 0.0, 2.0], [-1.0, 0.0, 2.0, 1.0]]> : tensor<2x4xf32>
  %w, %b = func.call @quantize_f32(%m) : (tensor<2x4xf32>) -> (!tern.weights<2x4>, f32)
  func.call @show(%w, %b) : (!tern.weights<2x4>, f32) -> ()
  // CHECK: [0,   -1]
  // CHECK: [-1,   0]
  // CHECK: [0,   1]
  // CHECK: [1,   1]
  // CHECK: [1]

  // mean = 0.5: 0.25 -> 0.5 -> 0, 0.75 -> 1.5 -> 2 -> 1.
  %h = arith.constant dense<[[0.25, -0.25, 0.75, -0.75], [-0.25, 0.25, -0.75, 0.75]]> : tensor<2x4xbf16>
  %w2, %b2 = func.call @quantize_bf16(%h) : (tensor<2x4xbf16>) -> (!tern.weights<2x4>, f32)
  func.call @show(%w2, %b2) : (!tern.weights<2x4>, f32) -> ()
  // CHECK: [0,   0]
  // CHECK: [0,   0]
  // CHECK: [1,   -1]
  // CHECK: [-1,   1]
  // CHECK: [0.5]

  // An all-zero tensor takes the 1e-5 floor and quantizes to zeros.
  %z = arith.constant dense<0.0> : tensor<2x4xf32>
  %w3, %b3 = func.call @quantize_f32(%z) : (tensor<2x4xf32>) -> (!tern.weights<2x4>, f32)
  func.call @show(%w3, %b3) : (!tern.weights<2x4>, f32) -> ()
  // CHECK-COUNT-4: [0,   0]
  // CHECK: [1e-05]
  return
}
