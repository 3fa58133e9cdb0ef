// RUN: tern-opt %s --tern-plan-weights | FileCheck %s

// Packs of unplanned weights fold into the weights; every distinct weight
// gets one 64-byte-aligned place in first-use order (the two functions share
// "q"), and the blob its static size.
// CHECK: module attributes {tern.blob_size = 2240 : i64}
// CHECK-LABEL: func @decode(%arg0: memref<2240xi8>
// CHECK: tern.weight "q" %arg0[0] : memref<2240xi8> -> !tern.weights<64x64, #tern.layout<i2, block = 64>>
// CHECK: tern.weight "n" %arg0[1024] : memref<2240xi8> -> tensor<64xf32>
// CHECK-NOT: tern.pack
// CHECK-LABEL: func @prefill(%arg0: memref<2240xi8>
// CHECK: tern.weight "q" %arg0[0] : memref<2240xi8>
// CHECK: tern.weight "e" %arg0[1280] : memref<2240xi8> -> tensor<30x16xf16>
// CHECK: call @layer(%arg0) : (memref<2240xi8>) -> ()
// CHECK-LABEL: func private @layer(%arg0: memref<2240xi8>)
func.func @decode(%blob: memref<?xi8>) -> (!tern.weights<64x64, #tern.layout<i2, block = 64>>, tensor<64xf32>) {
  %w = tern.weight "q" %blob : memref<?xi8> -> !tern.weights<64x64>
  %p = tern.pack %w : !tern.weights<64x64> -> !tern.weights<64x64, #tern.layout<i2, block = 64>>
  %n = tern.weight "n" %blob : memref<?xi8> -> tensor<64xf32>
  return %p, %n : !tern.weights<64x64, #tern.layout<i2, block = 64>>, tensor<64xf32>
}
func.func @prefill(%blob: memref<?xi8>) -> (!tern.weights<64x64, #tern.layout<i2, block = 64>>, tensor<30x16xf16>) {
  %w = tern.weight "q" %blob : memref<?xi8> -> !tern.weights<64x64>
  %p = tern.pack %w : !tern.weights<64x64> -> !tern.weights<64x64, #tern.layout<i2, block = 64>>
  %e = tern.weight "e" %blob : memref<?xi8> -> tensor<30x16xf16>
  call @layer(%blob) : (memref<?xi8>) -> ()
  return %p, %e : !tern.weights<64x64, #tern.layout<i2, block = 64>>, tensor<30x16xf16>
}
func.func private @layer(%blob: memref<?xi8>) {
  return
}

