// RUN: tern-opt %s --convert-tern-to-linalg --tern-fuse-elementwise | FileCheck %s

// The gate and up columns of a fused matmul, each rescaled, then gated:
// one generic reads both accumulator slices (and the row scale once) and
// computes the rescalings and the gate per element, each with the ops'
// own operations.
// CHECK-LABEL: func @gate_up
// CHECK-SAME: (%[[ACC:.*]]: tensor<1x64xi32>, %[[S:.*]]: tensor<1xf32>, %[[BG:.*]]: f32, %[[BU:.*]]: f32)
// CHECK-DAG: %[[AG:.*]] = tensor.extract_slice %[[ACC]][0, 0] [1, 32]
// CHECK-DAG: %[[AU:.*]] = tensor.extract_slice %[[ACC]][0, 32] [1, 32]
// CHECK: %[[H:.*]] = linalg.generic
// CHECK-SAME: ins(%[[AG]], %[[S]], %[[AU]] : tensor<1x32xi32>, tensor<1xf32>, tensor<1x32xi32>)
// CHECK: ^bb0(%[[IG:.*]]: i32, %[[SI:.*]]: f32, %[[IU:.*]]: i32, %{{.*}}: f32):
// CHECK-DAG: %[[FG:.*]] = arith.divf %[[BG]], %[[SI]] : f32
// CHECK-DAG: %[[VG:.*]] = arith.sitofp %[[IG]] : i32 to f32
// CHECK-DAG: %[[G:.*]] = arith.mulf %[[VG]], %[[FG]] : f32
// CHECK-DAG: %[[FU:.*]] = arith.divf %[[BU]], %[[SI]] : f32
// CHECK-DAG: %[[VU:.*]] = arith.sitofp %[[IU]] : i32 to f32
// CHECK-DAG: %[[U:.*]] = arith.mulf %[[VU]], %[[FU]] : f32
// CHECK: %[[R:.*]] = arith.maxnumf %[[G]], %{{.*}} : f32
// CHECK: %[[SQ:.*]] = arith.mulf %[[R]], %[[R]] : f32
// CHECK: %[[Y:.*]] = arith.mulf %[[SQ]], %[[U]] : f32
// CHECK: linalg.yield %[[Y]] : f32
// CHECK-NOT: linalg.generic
// CHECK: return %[[H]]
func.func @gate_up(%acc: tensor<1x64xi32>, %s: tensor<1xf32>, %bg: f32, %bu: f32) -> tensor<1x32xf32> {
  %ag = tensor.extract_slice %acc[0, 0] [1, 32] [1, 1] : tensor<1x64xi32> to tensor<1x32xi32>
  %g = tern.rescale %ag, %s, %bg : tensor<1x32xi32>, tensor<1xf32>, f32 -> tensor<1x32xf32>
  %au = tensor.extract_slice %acc[0, 32] [1, 32] [1, 1] : tensor<1x64xi32> to tensor<1x32xi32>
  %u = tern.rescale %au, %s, %bu : tensor<1x32xi32>, tensor<1xf32>, f32 -> tensor<1x32xf32>
  %h = tern.squared_relu_gate %g, %u : tensor<1x32xf32>
  return %h : tensor<1x32xf32>
}

// A rescaled projection read twice (returned, and gated) is computed once:
// the gate's generic reads its result.
// CHECK-LABEL: func @read_twice
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK: arith.sitofp
// CHECK: %[[H:.*]] = linalg.generic {{.*}} ins(%[[Y]] : tensor<1x32xf32>)
// CHECK-NOT: arith.sitofp
// CHECK: return %[[Y]], %[[H]]
func.func @read_twice(%acc: tensor<1x32xi32>, %s: tensor<1xf32>, %b: f32) -> (tensor<1x32xf32>, tensor<1x32xf32>) {
  %y = tern.rescale %acc, %s, %b : tensor<1x32xi32>, tensor<1xf32>, f32 -> tensor<1x32xf32>
  %h = tern.squared_relu_gate %y, %y : tensor<1x32xf32>
  return %y, %h : tensor<1x32xf32>, tensor<1x32xf32>
}

// A quantization read by the reference matmul (a reduction over k, each
// int8 value read once per output column) stays a generic of its own.
// CHECK-LABEL: func @into_a_reduction
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: math.roundeven
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[Q]], %{{.*}} : tensor<1x64xi8>, tensor<16x64xi8>)
// CHECK-NOT: math.roundeven
func.func @into_a_reduction(%x: tensor<1x64xf32>, %w: !tern.weights<16x64>) -> tensor<1x16xi32> {
  %q, %s = tern.quantize_act %x : tensor<1x64xf32> -> tensor<1x64xi8>, tensor<1xf32>
  %acc = tern.matmul %q, %w : tensor<1x64xi8>, !tern.weights<16x64> -> tensor<1x16xi32>
  return %acc : tensor<1x16xi32>
}
