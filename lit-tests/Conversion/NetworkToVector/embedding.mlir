// RUN: tern-opt %s --convert-tern-network-to-vector | FileCheck %s

// Per token row: its id, then the table row 8 lanes at a time, widened to
// f32.
// CHECK-LABEL: func @embedding
// CHECK: %[[T:.*]] = bufferization.to_buffer %arg0 read_only : tensor<100x16xf16> to memref<100x16xf16>
// CHECK: %[[K:.*]] = bufferization.to_buffer %arg1 read_only : tensor<2xi64> to memref<2xi64>
// CHECK: scf.for %[[R:.*]] =
// CHECK: %[[ID:.*]] = memref.load %[[K]][%[[R]]] : memref<2xi64>
// CHECK: %[[TOK:.*]] = arith.index_cast %[[ID]] : i64 to index
// CHECK: scf.for %[[I:.*]] =
// CHECK: %[[V:.*]] = vector.load %[[T]][%[[TOK]], %[[I]]] : memref<100x16xf16>, vector<8xf16>
// CHECK: arith.extf %[[V]] : vector<8xf16> to vector<8xf32>
// CHECK: vector.store
func.func @embedding(%t: tensor<100x16xf16>, %tok: tensor<2xi64>) -> tensor<2x16xf32> {
  %x = tern.embedding %t[%tok] : tensor<100x16xf16>, tensor<2xi64> -> tensor<2x16xf32>
  return %x : tensor<2x16xf32>
}
