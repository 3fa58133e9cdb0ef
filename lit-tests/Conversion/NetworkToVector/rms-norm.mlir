// RUN: tern-opt %s --convert-tern-network-to-vector | FileCheck %s

// Per row: squares summed in f64 in 8 lanes (vector<8xf64>), the lane tree
// ((p0 + p4) + (p2 + p6)) + ((p1 + p5) + (p3 + p7)), the mean in f64 then
// f32, 1 / sqrt(mean + eps), then (x * rs) * w 8 lanes at a time into a new
// buffer.
// CHECK-LABEL: func @rms_norm
// CHECK: %[[X:.*]] = bufferization.to_buffer %arg0 read_only : tensor<2x16xf32> to memref<2x16xf32>
// CHECK: %[[W:.*]] = bufferization.to_buffer %arg1 read_only : tensor<16xf32> to memref<16xf32>
// CHECK: %[[OUT:.*]] = memref.alloca() : memref<2x16xf32>
// CHECK: scf.for %[[R:.*]] =
// CHECK: %[[SUM:.*]] = scf.for {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (vector<8xf64>)
// CHECK: %[[V:.*]] = vector.load %[[X]][%[[R]], %{{.*}}] : memref<2x16xf32>, vector<8xf32>
// CHECK: %[[D:.*]] = arith.extf %[[V]] : vector<8xf32> to vector<8xf64>
// CHECK: arith.mulf %[[D]], %[[D]] : vector<8xf64>
// CHECK-DAG: vector.extract %[[SUM]][0]
// CHECK-DAG: vector.extract %[[SUM]][1]
// CHECK-DAG: vector.extract %[[SUM]][2]
// CHECK-DAG: vector.extract %[[SUM]][3]
// CHECK-DAG: vector.extract %[[SUM]][4]
// CHECK-DAG: vector.extract %[[SUM]][5]
// CHECK-DAG: vector.extract %[[SUM]][6]
// CHECK-DAG: vector.extract %[[SUM]][7]
// CHECK: arith.divf {{.*}} : f64
// CHECK: arith.truncf {{.*}} : f64 to f32
// CHECK: %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK: math.sqrt
// CHECK: scf.for
// CHECK-DAG: vector.load %[[W]]
// CHECK-DAG: arith.mulf {{.*}} : vector<8xf32>
// CHECK: vector.store {{.*}}, %[[OUT]]
// CHECK: %[[Y:.*]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<2x16xf32> to tensor<2x16xf32>
// CHECK: return %[[Y]]
func.func @rms_norm(%x: tensor<2x16xf32>, %w: tensor<16xf32>) -> tensor<2x16xf32> {
  %y = tern.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<2x16xf32>, tensor<16xf32> -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// Results over 256 KiB go to the heap.
// CHECK-LABEL: func @wide
// CHECK: memref.alloc() : memref<32x6912xf32>
func.func @wide(%x: tensor<32x6912xf32>, %w: tensor<6912xf32>) -> tensor<32x6912xf32> {
  %y = tern.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<32x6912xf32>, tensor<6912xf32> -> tensor<32x6912xf32>
  return %y : tensor<32x6912xf32>
}
