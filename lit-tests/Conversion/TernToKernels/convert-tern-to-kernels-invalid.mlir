// RUN: tern-opt %s --split-input-file --convert-tern-to-kernels -verify-diagnostics

// A kernel someone chose is never ignored: one that cannot compute the
// matmul is an error, not a silent fallback to the reference lowering.
func.func @not_a_blob_weight(%w: !tern.weights<64x256, #tern.layout<i2, block = 128>>, %q: tensor<1x256xi8>) -> tensor<1x64xi32> {
  // expected-error @+1 {{cannot use kernel #tern.kernel<"avx2", i2, block = 128, tile = [1, 1]>: its weights must be a planned tern.weight in the blob (tern-plan-weights)}}
  %acc = tern.matmul %q, %w {kernel = #tern.kernel<"avx2", i2, block = 128, tile = [1, 1]>} : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 128>> -> tensor<1x64xi32>
  return %acc : tensor<1x64xi32>
}

// -----

func.func @unplanned(%blob: memref<?xi8>, %q: tensor<1x256xi8>) -> tensor<1x64xi32> {
  %w = tern.weight "w" %blob : memref<?xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
  // expected-error @+1 {{its weights must be a planned tern.weight in the blob}}
  %acc = tern.matmul %q, %w {kernel = #tern.kernel<"avx2", i2, block = 128, tile = [1, 1]>} : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 128>> -> tensor<1x64xi32>
  return %acc : tensor<1x64xi32>
}

// -----

// sve reads one block per row: fine as an attribute (K = 128 rows would
// be), not for these rows of 256.
func.func @wrong_k(%blob: memref<8192xi8>, %q: tensor<1x256xi8>) -> tensor<1x64xi32> {
  %w = tern.weight "w" %blob[0] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
  // expected-error @+1 {{the sve kernels do not read i2 b128 rows of 256 weights}}
  %acc = tern.matmul %q, %w {kernel = #tern.kernel<"sve", i2, block = 128, tile = [1, 1]>} : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 128>> -> tensor<1x64xi32>
  return %acc : tensor<1x64xi32>
}
