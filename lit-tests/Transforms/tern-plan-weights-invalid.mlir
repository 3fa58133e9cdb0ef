// RUN: tern-opt %s --split-input-file --tern-plan-weights -verify-diagnostics

// One weight, one layout: the same name in two types is an error.
func.func @two_layouts(%blob: memref<?xi8>) -> (!tern.weights<64x64, #tern.layout<i2, block = 64>>, !tern.weights<64x64>) {
  %w = tern.weight "q" %blob : memref<?xi8> -> !tern.weights<64x64>
  %p = tern.pack %w : !tern.weights<64x64> -> !tern.weights<64x64, #tern.layout<i2, block = 64>>
  // expected-error @+1 {{weight 'q' is used as '!tern.weights<64x64>' here and as '!tern.weights<64x64, #tern.layout<i2, block = 64>>' elsewhere: one weight has one layout}}
  %u = tern.weight "q" %blob : memref<?xi8> -> !tern.weights<64x64>
  return %p, %u : !tern.weights<64x64, #tern.layout<i2, block = 64>>, !tern.weights<64x64>
}

// -----

// Weights placed by hand keep their place; a static blob must hold the
// rest.
func.func @too_small(%blob: memref<1024xi8>) -> (tensor<256xf32>, tensor<16xf32>) {
  %a = tern.weight "a" %blob[0] : memref<1024xi8> -> tensor<256xf32>
  // expected-error @+1 {{has no offset in a planned (static) blob}}
  %b = tern.weight "b" %blob : memref<1024xi8> -> tensor<16xf32>
  return %a, %b : tensor<256xf32>, tensor<16xf32>
}
