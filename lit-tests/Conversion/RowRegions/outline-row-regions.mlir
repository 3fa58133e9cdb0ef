// RUN: tern-opt %s --tern-outline-row-regions | FileCheck %s
// RUN: tern-opt %s --tern-outline-row-regions | tern-opt | FileCheck %s --check-prefix=VALID

// VALID: func.func @layer

// A layer's norm and quantization (one run), its matmul (uses the run:
// stays, and ends it), then the rescale and residual add with a weight
// scale (a second run; the rope_table between them uses none of the run
// and stays before the call).
// CHECK-LABEL: func.func @layer(
// CHECK-SAME: %[[X:[^:]*]]: tensor<4x32xf32>, %[[W:[^:]*]]: tensor<32xf32>
// CHECK-NOT: tern.rms_norm
// CHECK-DAG: %[[XB:.*]] = bufferization.to_buffer %[[X]] read_only : tensor<4x32xf32> to memref<4x32xf32>
// CHECK-DAG: %[[WB:.*]] = bufferization.to_buffer %[[W]] read_only : tensor<32xf32> to memref<32xf32>
// CHECK-DAG: %[[QB:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x32xi8>
// CHECK-DAG: %[[SB:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
// CHECK: call @layer_rows0(%[[XB]], %[[WB]], %[[QB]], %[[SB]], %{{.*}}, %{{.*}}) {tern.parallel = 8 : i64}
// CHECK: %[[Q:.*]] = bufferization.to_tensor %[[QB]] restrict writable : memref<4x32xi8> to tensor<4x32xi8>
// CHECK: %[[S:.*]] = bufferization.to_tensor %[[SB]] restrict writable : memref<4xf32> to tensor<4xf32>
// CHECK: %[[ACC:.*]] = tern.matmul %[[Q]]
// CHECK: tern.rope_table
// CHECK: %[[BETA:.*]] = memref.alloca() : memref<1xf32>
// CHECK: memref.store %[[B:.*]], %[[BETA]][%{{.*}}] : memref<1xf32>
// CHECK: call @layer_rows1(%{{.*}}, %{{.*}}, %{{.*}}, %[[BETA]], %{{.*}}, %{{.*}}, %{{.*}}) {tern.parallel = 8 : i64}
// CHECK-NOT: tern.rescale
// CHECK: return
func.func @layer(%x: tensor<4x32xf32>, %w: tensor<32xf32>,
                 %wq: !tern.weights<32x32>, %beta: f32, %pos: index)
    -> (tensor<4x32xf32>, tensor<4x16xf32>) {
  %n = tern.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<4x32xf32>, tensor<32xf32> -> tensor<4x32xf32>
  %q, %s = tern.quantize_act %n : tensor<4x32xf32> -> tensor<4x32xi8>, tensor<4xf32>
  %acc = tern.matmul %q, %wq : tensor<4x32xi8>, !tern.weights<32x32> -> tensor<4x32xi32>
  %y = tern.rescale %acc, %s, %beta : tensor<4x32xi32>, tensor<4xf32>, f32 -> tensor<4x32xf32>
  %cos, %sin = tern.rope_table %pos {theta = 5.0e+05 : f32} : tensor<4x8xf32>, tensor<4x8xf32>
  %r = arith.addf %x, %y : tensor<4x32xf32>
  %h = tensor.extract_slice %r[0, 16] [4, 16] [1, 1] : tensor<4x32xf32> to tensor<4x16xf32>
  %k = tern.rope %h, %cos, %sin : tensor<4x16xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x16xf32>
  return %r, %k : tensor<4x32xf32>, tensor<4x16xf32>
}

// The same run in another function (another layer's weights): the row
// function built for @layer serves it.
// CHECK-LABEL: func.func @other_layer(
// CHECK: call @layer_rows0({{.*}}) {tern.parallel = 8 : i64}
func.func @other_layer(%x: tensor<4x32xf32>, %w: tensor<32xf32>,
                       %wq: !tern.weights<32x32>) -> (tensor<4x32xi32>, tensor<4xf32>) {
  %n = tern.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<4x32xf32>, tensor<32xf32> -> tensor<4x32xf32>
  %q, %s = tern.quantize_act %n : tensor<4x32xf32> -> tensor<4x32xi8>, tensor<4xf32>
  %acc = tern.matmul %q, %wq : tensor<4x32xi8>, !tern.weights<32x32> -> tensor<4x32xi32>
  return %acc, %s : tensor<4x32xi32>, tensor<4xf32>
}

// One row (decode): left as it is.
// CHECK-LABEL: func.func @one_row(
// CHECK-NOT: call
// CHECK: tern.rms_norm
// CHECK: tern.quantize_act
func.func @one_row(%x: tensor<1x16xf32>, %w: tensor<16xf32>,
                   %wq: !tern.weights<16x16>) -> tensor<1x16xi32> {
  %n = tern.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<1x16xf32>, tensor<16xf32> -> tensor<1x16xf32>
  %q, %s = tern.quantize_act %n : tensor<1x16xf32> -> tensor<1x16xi8>, tensor<1xf32>
  %acc = tern.matmul %q, %wq : tensor<1x16xi8>, !tern.weights<16x16> -> tensor<1x16xi32>
  return %acc : tensor<1x16xi32>
}

// The gated squared ReLU reads gate and up by row (RowWiseOpInterface);
// with the quantization after it, one run whose row function reads both
// rows where they are (both ops lower through linalg, which reads strided
// rows).
// CHECK-LABEL: func.func @gate(
// CHECK-NOT: tern.squared_relu_gate
// CHECK: call @gate_rows0(
// CHECK-NOT: tern.quantize_act
// CHECK: return
func.func @gate(%g: tensor<2x16xf32>, %u: tensor<2x16xf32>)
    -> (tensor<2x16xi8>, tensor<2xf32>) {
  %h = tern.squared_relu_gate %g, %u : tensor<2x16xf32>
  %q, %s = tern.quantize_act %h : tensor<2x16xf32> -> tensor<2x16xi8>, tensor<2xf32>
  return %q, %s : tensor<2x16xi8>, tensor<2xf32>
}

// An op with side effects between row-wise ops ends the run: two calls.
// CHECK-LABEL: func.func @two_runs(
// CHECK: call @two_runs_rows0(
// CHECK: bufferization.materialize_in_destination
// CHECK: call @two_runs_rows1(
func.func @two_runs(%x: tensor<2x16xf32>, %w: tensor<16xf32>,
                    %out: memref<2x16xf32>) -> tensor<2x16xf32> {
  %a = tern.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<2x16xf32>, tensor<16xf32> -> tensor<2x16xf32>
  bufferization.materialize_in_destination %x in restrict writable %out : (tensor<2x16xf32>, memref<2x16xf32>) -> ()
  %b = arith.addf %a, %x : tensor<2x16xf32>
  return %b : tensor<2x16xf32>
}

// The row function: row r of each row input (copied into a one-row buffer
// where a network op, here rms_norm, reads it), the ops on one row, row r
// of each output written; the range function loops it over [begin, end).
// CHECK-LABEL: func.func private @layer_rows0_row(
// CHECK-SAME: %[[RX:[^:]*]]: memref<4x32xf32>, %[[RW:[^:]*]]: memref<32xf32>, %[[RQ:[^:]*]]: memref<4x32xi8>, %[[RS:[^:]*]]: memref<4xf32>, %[[R:[^:]*]]: index)
// CHECK: %[[SUB:.*]] = memref.subview %[[RX]][%[[R]], 0] [1, 32] [1, 1]
// CHECK: %[[ROW:.*]] = memref.alloca() {alignment = 64 : i64} : memref<1x32xf32>
// CHECK: memref.copy %[[SUB]], %[[ROW]]
// CHECK: %[[T:.*]] = bufferization.to_tensor %[[ROW]] restrict : memref<1x32xf32> to tensor<1x32xf32>
// CHECK: %[[WT:.*]] = bufferization.to_tensor %[[RW]] restrict : memref<32xf32> to tensor<32xf32>
// CHECK: %[[N:.*]] = tern.rms_norm %[[T]], %[[WT]] {epsilon = 9.99999974E-6 : f32} : tensor<1x32xf32>, tensor<32xf32> -> tensor<1x32xf32>
// CHECK: %[[OQ:.*]], %[[OS:.*]] = tern.quantize_act %[[N]] : tensor<1x32xf32> -> tensor<1x32xi8>, tensor<1xf32>
// CHECK: %[[DQ:.*]] = memref.subview %[[RQ]][%[[R]], 0] [1, 32] [1, 1]
// CHECK: bufferization.materialize_in_destination %[[OQ]] in restrict writable %[[DQ]]
// CHECK: %[[DS:.*]] = memref.subview %[[RS]][%[[R]]] [1] [1]
// CHECK: bufferization.materialize_in_destination %[[OS]] in restrict writable %[[DS]]
// CHECK-LABEL: func.func private @layer_rows0(
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK: func.call @layer_rows0_row(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[I]])

// The second run: the accumulators, row scales and residual read where
// they are (rescale and addf lower through linalg, which reads strided
// rows), the RoPE tables copied (tern.rope reads them); the scalar weight
// scale loaded from its buffer; a column slice of one row.
// CHECK-LABEL: func.func private @layer_rows1_row(
// CHECK: %[[ACCROW:.*]] = memref.subview %arg0[%{{.*}}, 0] [1, 32] [1, 1]
// CHECK-NEXT: bufferization.to_tensor %[[ACCROW]] restrict : memref<1x32xi32, strided<[32, 1], offset: ?>> to tensor<1x32xi32>
// CHECK-NEXT: %[[SROW:.*]] = memref.subview %arg1[%{{.*}}] [1] [1]
// CHECK-NEXT: bufferization.to_tensor %[[SROW]] restrict
// CHECK-COUNT-2: memref.copy
// CHECK-NOT: memref.copy
// CHECK: %[[SC:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<1xf32>
// CHECK: tern.rescale %{{.*}}, %{{.*}}, %[[SC]] : tensor<1x32xi32>, tensor<1xf32>, f32 -> tensor<1x32xf32>
// CHECK: arith.addf {{.*}} : tensor<1x32xf32>
// CHECK: tensor.extract_slice %{{.*}}[0, 16] [1, 16] [1, 1] : tensor<1x32xf32> to tensor<1x16xf32>
// CHECK: tern.rope {{.*}} : tensor<1x16xf32>, tensor<1x8xf32>, tensor<1x8xf32> -> tensor<1x16xf32>
// CHECK-NOT: func.func private @other_layer_rows

// CHECK-LABEL: func.func private @gate_rows0_row(
// CHECK-SAME: %[[GX:[^:]*]]: memref<2x16xf32>, %[[UX:[^:]*]]: memref<2x16xf32>
// CHECK-NOT: memref.copy
// CHECK: memref.subview %[[GX]][%{{.*}}, 0] [1, 16] [1, 1]
// CHECK-NOT: memref.copy
// CHECK: memref.subview %[[UX]][%{{.*}}, 0] [1, 16] [1, 1]
// CHECK-NOT: memref.copy
// CHECK: tern.squared_relu_gate %{{.*}}, %{{.*}} : tensor<1x16xf32>
// CHECK: tern.quantize_act %{{.*}} : tensor<1x16xf32> -> tensor<1x16xi8>, tensor<1xf32>
