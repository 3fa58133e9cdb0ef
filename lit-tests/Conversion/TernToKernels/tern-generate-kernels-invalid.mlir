// RUN: tern-opt %s --split-input-file --tern-generate-kernels -verify-diagnostics

// SVE kernels read one block per row (block = K).
// expected-error @+1 {{kernel declaration needs tern.block (a block the family reads)}}
func.func private @sve_wrong_block(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = "i2_sve", tern.block = 128 : i64, tern.tile = array<i64: 1, 1>}

// -----

// expected-error @+1 {{kernel declaration needs tern.block}}
func.func private @no_tile(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = "i2_avx2", tern.block = 128 : i64}

// -----

// expected-error @+1 {{kernel declaration needs tern.block}}
func.func private @huge_tile(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = "i2_avx2", tern.block = 128 : i64, tern.tile = array<i64: 1, 16>}

// -----

// expected-error @+1 {{unknown kernel kind 'i2_sse9'}}
func.func private @bad_kind(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = "i2_sse9", tern.block = 128 : i64, tern.tile = array<i64: 1, 1>}

// -----

// expected-error @below {{kernel declaration needs tern.block}}
func.func private @base3v_sve(memref<1x320xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = "base3v_sve", tern.block = 320 : i64, tern.tile = array<i64: 1, 1>}

// -----

// expected-error @below {{unknown kernel kind 'lut2_avx2'}}
func.func private @lut2(memref<1x320xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = "lut2_avx2", tern.block = 320 : i64, tern.tile = array<i64: 1, 1>}
