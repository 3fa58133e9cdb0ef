// RUN: tern-opt %s --split-input-file --tern-generate-kernels -verify-diagnostics

// SVE kernels read one block per row (block = K).
// expected-error @+1 {{cannot generate kernel #tern.kernel<"sve", i2, block = 128, tile = [1, 1]>: the sve kernels do not read i2 b128 rows of 256 weights}}
func.func private @sve_wrong_block(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"sve", i2, block = 128, tile = [1, 1]>}

// -----

// expected-error @+1 {{kernel declaration needs the signature of convert-tern-to-kernels}}
func.func private @no_range(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>) attributes {tern.kernel = #tern.kernel<"avx2", i2, block = 128, tile = [1, 1]>}

// -----

// expected-error @+1 {{the avx2 kernels do not read lut2i b320}}
func.func private @lut2i_avx2(memref<1x320xi8>, memref<64x80xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"avx2", lut2i, block = 320, tile = [1, 1]>}
