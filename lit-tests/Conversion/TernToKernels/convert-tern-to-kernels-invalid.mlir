// RUN: tern-opt %s --split-input-file --convert-tern-to-kernels -verify-diagnostics

// A kernel config someone chose is never ignored: a family that cannot read
// the weights' layout is an error, not a silent fallback.
func.func @wrong_layout(%blob: memref<8192xi8>, %q: tensor<1x256xi8>) -> tensor<1x64xi32> {
  %w = tern.weight "w" %blob[0] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
  // expected-error @+1 {{the sve kernels cannot read these weights}}
  %acc = tern.matmul %q, %w {tern.kernel_config = {family = "sve"}} : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 128>> -> tensor<1x64xi32>
  return %acc : tensor<1x64xi32>
}

// -----

func.func @unknown_family(%blob: memref<8192xi8>, %q: tensor<1x256xi8>) -> tensor<1x64xi32> {
  %w = tern.weight "w" %blob[0] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
  // expected-error @+1 {{tern.kernel_config: family must be one of avx2, vnni, vnni512, neon-dotprod, sve, lut, lut512 or neon-lut}}
  %acc = tern.matmul %q, %w {tern.kernel_config = {family = "amx"}} : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 128>> -> tensor<1x64xi32>
  return %acc : tensor<1x64xi32>
}

// -----

func.func @bad_tile(%blob: memref<8192xi8>, %q: tensor<1x256xi8>) -> tensor<1x64xi32> {
  %w = tern.weight "w" %blob[0] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
  // expected-error @+1 {{tern.kernel_config: tile_m must be an integer in [1, 8]}}
  %acc = tern.matmul %q, %w {tern.kernel_config = {tile_m = 0 : i64}} : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 128>> -> tensor<1x64xi32>
  return %acc : tensor<1x64xi32>
}

// -----

func.func @unknown_key(%blob: memref<8192xi8>, %q: tensor<1x256xi8>) -> tensor<1x64xi32> {
  %w = tern.weight "w" %blob[0] : memref<8192xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
  // expected-error @+1 {{tern.kernel_config: unknown key 'unroll' (expected family, tile_m, tile_n)}}
  %acc = tern.matmul %q, %w {tern.kernel_config = {unroll = 2 : i64}} : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 128>> -> tensor<1x64xi32>
  return %acc : tensor<1x64xi32>
}
