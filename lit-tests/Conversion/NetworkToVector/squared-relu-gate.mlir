// RUN: tern-opt %s --convert-tern-network-to-vector | FileCheck %s

// r = max(gate, 0), y = (r * r) * up, 8 lanes at a time.
// CHECK-LABEL: func @gate
// CHECK: %[[Z:.*]] = vector.broadcast %{{.*}} : f32 to vector<8xf32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[G:.*]] = vector.load {{.*}} : memref<2x24xf32>, vector<8xf32>
// CHECK: %[[RL:.*]] = arith.maxnumf %[[G]], %[[Z]] : vector<8xf32>
// CHECK: %[[U:.*]] = vector.load {{.*}} : memref<2x24xf32>, vector<8xf32>
// CHECK: %[[SQ:.*]] = arith.mulf %[[RL]], %[[RL]] : vector<8xf32>
// CHECK: arith.mulf %[[SQ]], %[[U]] : vector<8xf32>
func.func @gate(%g: tensor<2x24xf32>, %u: tensor<2x24xf32>) -> tensor<2x24xf32> {
  %h = tern.squared_relu_gate %g, %u : tensor<2x24xf32>
  return %h : tensor<2x24xf32>
}
