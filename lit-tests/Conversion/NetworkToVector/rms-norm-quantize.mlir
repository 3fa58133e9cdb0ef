// RUN: tern-opt %s --split-input-file --convert-tern-network-to-vector | FileCheck %s

// Per row: the sum of squares as tern.rms_norm computes it, then the
// absmax of (x * rs) * w from the 1e-5 floor, 64 lanes at a time over the
// first 128 values and 8 over the last 8, s = 127 / absmax, and the int8
// values computed again from x and w, 32 lanes at a time, each 64 stored
// together: only q (64-byte aligned) and s are written.
// CHECK-LABEL: func @rms_norm_quantize
// CHECK: %[[X:.*]] = bufferization.to_buffer %arg0 read_only : tensor<2x136xf32> to memref<2x136xf32>
// CHECK: %[[W:.*]] = bufferization.to_buffer %arg1 read_only : tensor<136xf32> to memref<136xf32>
// CHECK: %[[Q:.*]] = memref.alloca() {alignment = 64 : i64} : memref<2x136xi8>
// CHECK: %[[S:.*]] = memref.alloca() : memref<2xf32>
// CHECK-NOT: memref<2x136xf32>
// CHECK: scf.for %[[R:.*]] =
// CHECK: scf.for {{.*}} -> (vector<8xf64>)
// CHECK: math.sqrt
// CHECK: %[[M64:.*]] = scf.for {{.*}} -> (vector<64xf32>)
// CHECK: vector.load %[[X]][%[[R]], %{{.*}}] : memref<2x136xf32>, vector<64xf32>
// CHECK: vector.load %[[W]][%{{.*}}] : memref<136xf32>, vector<64xf32>
// CHECK: math.absf {{.*}} : vector<64xf32>
// CHECK: arith.maximumf {{.*}} : vector<64xf32>
// CHECK: vector.reduction <maximumf>, %[[M64]] : vector<64xf32> into f32
// CHECK: %[[M8:.*]] = scf.for {{.*}} -> (vector<8xf32>)
// CHECK: vector.reduction <maximumf>, %[[M8]] : vector<8xf32> into f32
// CHECK: %[[SC:.*]] = arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: memref.store %[[SC]], %[[S]][%[[R]]] : memref<2xf32>
// CHECK: scf.for
// CHECK: math.roundeven {{.*}} : vector<32xf32>
// CHECK: arith.maximumf {{.*}} : vector<32xf32>
// CHECK: arith.minimumf {{.*}} : vector<32xf32>
// CHECK: %[[N0:.*]] = arith.fptosi {{.*}} : vector<32xf32> to vector<32xi32>
// CHECK: %[[L:.*]] = arith.trunci %[[N0]] : vector<32xi32> to vector<32xi8>
// CHECK: math.roundeven {{.*}} : vector<32xf32>
// CHECK: %[[H:.*]] = arith.trunci {{.*}} : vector<32xi32> to vector<32xi8>
// CHECK: %[[I:.*]] = vector.shuffle %[[L]], %[[H]] [0, 1, 2, {{.*}}, 62, 63] : vector<32xi8>, vector<32xi8>
// CHECK: vector.store %[[I]], %[[Q]][%[[R]], %{{.*}}] : memref<2x136xi8>, vector<64xi8>
// CHECK: scf.for
// CHECK: arith.fptosi {{.*}} : vector<8xf32> to vector<8xi32>
// CHECK: arith.trunci {{.*}} : vector<8xi32> to vector<8xi8>
// CHECK: vector.store {{.*}}, %[[Q]][%[[R]], %{{.*}}] : memref<2x136xi8>, vector<8xi8>
func.func @rms_norm_quantize(%x: tensor<2x136xf32>, %w: tensor<136xf32>) -> (tensor<2x136xi8>, tensor<2xf32>) {
  %q, %s = tern.rms_norm_quantize %x, %w {epsilon = 1.0e-05 : f32} : tensor<2x136xf32>, tensor<136xf32> -> tensor<2x136xi8>, tensor<2xf32>
  return %q, %s : tensor<2x136xi8>, tensor<2xf32>
}

// -----

// One row (decode): the same code in a function of its own, named by the
// row's length and epsilon's bits and marked as a row prologue with two
// outputs, called with the row, the weight and the two new buffers; two
// norms of the same length and epsilon share it.
// CHECK-LABEL: func @rms_norm_quantize_row
// CHECK: %[[X:.*]] = bufferization.to_buffer %arg0 read_only : tensor<1x136xf32> to memref<1x136xf32>
// CHECK: %[[W:.*]] = bufferization.to_buffer %arg1 read_only : tensor<136xf32> to memref<136xf32>
// CHECK: %[[Q:.*]] = memref.alloca() {alignment = 64 : i64} : memref<1x136xi8>
// CHECK: %[[S:.*]] = memref.alloca() : memref<1xf32>
// CHECK-NOT: scf.for
// CHECK: call @tern_rms_norm_quantize_n136_eps3727c5ac(%[[X]], %[[W]], %[[Q]], %[[S]]) : (memref<1x136xf32>, memref<136xf32>, memref<1x136xi8>, memref<1xf32>) -> ()
// CHECK: call @tern_rms_norm_quantize_n136_eps3727c5ac(
// CHECK-LABEL: func.func private @tern_rms_norm_quantize_n136_eps3727c5ac(
// CHECK-SAME: attributes {tern.row_prologue = 2 : i64}
// CHECK: scf.for {{.*}} -> (vector<8xf64>)
// CHECK: math.sqrt
// CHECK: vector.reduction <maximumf>
// CHECK: memref.store
// CHECK: math.roundeven
// CHECK: vector.store {{.*}} : memref<1x136xi8>, vector<64xi8>
// CHECK: return
// CHECK-NOT: func.func private @tern_rms_norm_quantize
func.func @rms_norm_quantize_row(%x: tensor<1x136xf32>, %w: tensor<136xf32>) -> (tensor<1x136xi8>, tensor<1xf32>, tensor<1x136xi8>, tensor<1xf32>) {
  %q, %s = tern.rms_norm_quantize %x, %w {epsilon = 1.0e-05 : f32} : tensor<1x136xf32>, tensor<136xf32> -> tensor<1x136xi8>, tensor<1xf32>
  %q2, %s2 = tern.rms_norm_quantize %x, %w {epsilon = 1.0e-05 : f32} : tensor<1x136xf32>, tensor<136xf32> -> tensor<1x136xi8>, tensor<1xf32>
  return %q, %s, %q2, %s2 : tensor<1x136xi8>, tensor<1xf32>, tensor<1x136xi8>, tensor<1xf32>
}
