// Every verifier message of the tern dialect.
// RUN: tern-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{ternary weights must have shape [N, K], got rank 3}}
func.func @rank3(%w: !tern.weights<2x3x4>)

// -----

// expected-error @+1 {{ternary weights need positive dimensions, got 0x4}}
func.func @zero_dim(%w: !tern.weights<0x4>)

// -----

// expected-error @+1 {{layout does not fit weights 4x6: row length 6 is not a positive multiple of the i2 block size 4}}
func.func @k_not_multiple(%w: !tern.weights<4x6, #tern.layout<i2, block = 4>>)

// -----

// expected-error @+1 {{i2 layout needs a block size divisible by 4, got 6}}
func.func @bad_i2_block(%w: !tern.weights<4x12, #tern.layout<i2, block = 6>>)

// -----

// expected-error @+1 {{lut2 layout needs a positive block size, got 0}}
func.func @zero_block(%w: !tern.weights<4x12, #tern.layout<lut2, block = 0>>)

// -----

// expected-error @+1 {{layout does not fit weights 48x8: lut2i layout packs rows in groups of 32, got 48 rows}}
func.func @lut2i_rows(%w: !tern.weights<48x8, #tern.layout<lut2i, block = 8>>)

// -----

// expected-error @+2 {{unknown packing 'i3' (expected one of i2, i2x16, base3v, lut2i, lut2, base3)}}
// expected-error @+1 {{failed to parse Tern_LayoutAttr parameter 'packing'}}
func.func @unknown_kind(%w: !tern.weights<4x12, #tern.layout<i3, block = 4>>)

// -----

func.func @constant_shape() {
  // expected-error @+1 {{'tern.constant' op value shape [2, 3] does not match weights shape [2, 4]}}
  %w = tern.constant dense<0> : tensor<2x3xi8> -> !tern.weights<2x4>
  return
}

// -----

func.func @constant_value() {
  // expected-error @+1 {{'tern.constant' op value element [1, 0] is 2; ternary weights must be -1, 0 or 1}}
  %w = tern.constant dense<[[1, 0], [2, 0]]> : tensor<2x2xi8> -> !tern.weights<2x2>
  return
}

// -----

func.func @absmean_rank(%x: tensor<8xf32>) {
  // expected-error @+1 {{'tern.absmean_quantize' op expects input to have rank 2, got 1}}
  %w, %b = tern.absmean_quantize %x : tensor<8xf32> -> !tern.weights<1x8>
  return
}

// -----

func.func @absmean_shape(%x: tensor<4x6xf32>) {
  // expected-error @+1 {{'tern.absmean_quantize' op expects input to have the weights' shape [4, 8], got [4, 6]}}
  %w, %b = tern.absmean_quantize %x : tensor<4x6xf32> -> !tern.weights<4x8>
  return
}

// -----

func.func @absmean_dynamic(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'tern.absmean_quantize' op expects input to have a static shape, got 'tensor<?x8xf32>'}}
  %w, %b = tern.absmean_quantize %x : tensor<?x8xf32> -> !tern.weights<4x8>
  return
}

// -----

func.func @absmean_int(%x: tensor<4x8xi8>) {
  // expected-error @+1 {{'tern.absmean_quantize' op operand #0 must be ranked tensor of floating-point values}}
  %w, %b = tern.absmean_quantize %x : tensor<4x8xi8> -> !tern.weights<4x8>
  return
}

// -----

func.func @quantize_act_output(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'tern.quantize_act' op expects output to have the input's shape [2, 8], got [2, 4]}}
  %q, %s = tern.quantize_act %x : tensor<2x8xf32> -> tensor<2x4xi8>, tensor<2xf32>
  return
}

// -----

func.func @quantize_act_scale(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'tern.quantize_act' op expects scale to have one entry per input row, shape [2], got [8]}}
  %q, %s = tern.quantize_act %x : tensor<2x8xf32> -> tensor<2x8xi8>, tensor<8xf32>
  return
}

// -----

func.func @quantize_act_rank(%x: tensor<2x2x8xf32>) {
  // expected-error @+1 {{'tern.quantize_act' op expects input to have rank 2, got 3}}
  %q, %s = tern.quantize_act %x : tensor<2x2x8xf32> -> tensor<2x2x8xi8>, tensor<2xf32>
  return
}

// -----

func.func @quantize_act_f16(%x: tensor<2x8xf16>) {
  // expected-error @+1 {{'tern.quantize_act' op operand #0 must be ranked tensor of 32-bit float values}}
  %q, %s = tern.quantize_act %x : tensor<2x8xf16> -> tensor<2x8xi8>, tensor<2xf32>
  return
}

// -----

func.func @matmul_k(%q: tensor<2x8xi8>, %w: !tern.weights<4x16>) {
  // expected-error @+1 {{'tern.matmul' op lhs has K = 8 columns but the weights [N, K] have K = 16}}
  %acc = tern.matmul %q, %w : tensor<2x8xi8>, !tern.weights<4x16> -> tensor<2x4xi32>
  return
}

// -----

func.func @matmul_result(%q: tensor<2x8xi8>, %w: !tern.weights<4x8>) {
  // expected-error @+1 {{'tern.matmul' op expects result to have shape [2, 4], got [2, 5]}}
  %acc = tern.matmul %q, %w : tensor<2x8xi8>, !tern.weights<4x8> -> tensor<2x5xi32>
  return
}

// -----

func.func @matmul_lhs_rank(%q: tensor<8xi8>, %w: !tern.weights<4x8>) {
  // expected-error @+1 {{'tern.matmul' op expects lhs to have rank 2, got 1}}
  %acc = tern.matmul %q, %w : tensor<8xi8>, !tern.weights<4x8> -> tensor<1x4xi32>
  return
}

// -----

func.func @matmul_lhs_type(%q: tensor<2x8xi32>, %w: !tern.weights<4x8>) {
  // expected-error @+1 {{'tern.matmul' op operand #0 must be ranked tensor of 8-bit signless integer values}}
  %acc = tern.matmul %q, %w : tensor<2x8xi32>, !tern.weights<4x8> -> tensor<2x4xi32>
  return
}

// -----

func.func @rescale_scale(%acc: tensor<2x4xi32>, %s: tensor<4xf32>, %b: f32) {
  // expected-error @+1 {{'tern.rescale' op expects act_scale to have one entry per acc row, shape [2], got [4]}}
  %y = tern.rescale %acc, %s, %b : tensor<2x4xi32>, tensor<4xf32>, f32 -> tensor<2x4xf32>
  return
}

// -----

func.func @rescale_result(%acc: tensor<2x4xi32>, %s: tensor<2xf32>, %b: f32) {
  // expected-error @+1 {{'tern.rescale' op expects result to have acc's shape [2, 4], got [4, 2]}}
  %y = tern.rescale %acc, %s, %b : tensor<2x4xi32>, tensor<2xf32>, f32 -> tensor<4x2xf32>
  return
}

// -----

func.func @rescale_rank(%acc: tensor<4xi32>, %s: tensor<1xf32>, %b: f32) {
  // expected-error @+1 {{'tern.rescale' op expects acc to have rank 2, got 1}}
  %y = tern.rescale %acc, %s, %b : tensor<4xi32>, tensor<1xf32>, f32 -> tensor<1x4xf32>
  return
}

// -----

func.func @bitlinear_k(%x: tensor<1x32xf32>, %w: !tern.weights<4x64>, %b: f32) {
  // expected-error @+1 {{'tern.bitlinear' op input has K = 32 features but the weights [N, K] have K = 64}}
  %y = tern.bitlinear %x, %w, %b : tensor<1x32xf32>, !tern.weights<4x64>, f32 -> tensor<1x4xf32>
  return
}

// -----

func.func @bitlinear_result(%x: tensor<1x64xf32>, %w: !tern.weights<4x64>, %b: f32) {
  // expected-error @+1 {{'tern.bitlinear' op expects result to have shape [1, 4], got [1, 64]}}
  %y = tern.bitlinear %x, %w, %b : tensor<1x64xf32>, !tern.weights<4x64>, f32 -> tensor<1x64xf32>
  return
}

// -----

func.func @bitlinear_rank(%x: tensor<64xf32>, %w: !tern.weights<4x64>, %b: f32) {
  // expected-error @+1 {{'tern.bitlinear' op expects input to have rank 2, got 1}}
  %y = tern.bitlinear %x, %w, %b : tensor<64xf32>, !tern.weights<4x64>, f32 -> tensor<1x4xf32>
  return
}

// -----

func.func @pack_shape(%w: !tern.weights<4x8>) {
  // expected-error @+1 {{'tern.pack' op cannot change the shape of the weights: [4, 8] vs [4, 16]}}
  %p = tern.pack %w : !tern.weights<4x8> -> !tern.weights<4x16, #tern.layout<i2, block = 8>>
  return
}

// -----

func.func @pack_packed_source(%w: !tern.weights<4x8, #tern.layout<lut2, block = 8>>) {
  // expected-error @+1 {{'tern.pack' op expects the source to be unpacked, got '!tern.weights<4x8, #tern.layout<lut2, block = 8>>'}}
  %p = tern.pack %w : !tern.weights<4x8, #tern.layout<lut2, block = 8>> -> !tern.weights<4x8, #tern.layout<i2, block = 8>>
  return
}

// -----

func.func @pack_no_layout(%w: !tern.weights<4x8>) {
  // expected-error @+1 {{'tern.pack' op expects the result to carry a #tern.layout, got '!tern.weights<4x8>'}}
  %p = tern.pack %w : !tern.weights<4x8> -> !tern.weights<4x8>
  return
}

// -----

func.func @unpack_unpacked(%w: !tern.weights<4x8>) {
  // expected-error @+1 {{'tern.unpack' op expects the source to carry a #tern.layout, got '!tern.weights<4x8>'}}
  %p = tern.unpack %w : !tern.weights<4x8> -> !tern.weights<4x8>
  return
}

// -----

func.func @unpack_to_packed(%w: !tern.weights<4x8, #tern.layout<i2, block = 8>>) {
  // expected-error @+1 {{'tern.unpack' op expects the result to be unpacked, got '!tern.weights<4x8, #tern.layout<base3, block = 8>>'}}
  %p = tern.unpack %w : !tern.weights<4x8, #tern.layout<i2, block = 8>> -> !tern.weights<4x8, #tern.layout<base3, block = 8>>
  return
}

// -----

func.func @unpack_shape(%w: !tern.weights<4x8, #tern.layout<i2, block = 8>>) {
  // expected-error @+1 {{'tern.unpack' op cannot change the shape of the weights: [4, 8] vs [8, 8]}}
  %p = tern.unpack %w : !tern.weights<4x8, #tern.layout<i2, block = 8>> -> !tern.weights<8x8>
  return
}

// -----

func.func @weight_past_blob(%blob: memref<4159xi8>) {
  // expected-error @+1 {{'tern.weight' op weight 'w' needs bytes [64, 4160) but the blob has 4159}}
  %w = tern.weight "w" %blob[64] : memref<4159xi8> -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
  return
}

// -----

func.func @weight_unnamed(%blob: memref<64xi8>) {
  // expected-error @+1 {{'tern.weight' op needs a non-empty weight name}}
  %w = tern.weight "" %blob[0] : memref<64xi8> -> !tern.weights<2x4>
  return
}

// -----

func.func @weight_negative_offset(%blob: memref<64xi8>) {
  // expected-error @+1 {{'tern.weight' op attribute 'offset' failed to satisfy constraint}}
  %w = tern.weight "w" %blob[-1] : memref<64xi8> -> !tern.weights<2x4>
  return
}

// -----

// #tern.kernel: the family must be a row of the kernel registry, reading
// the packing and block; tiles of 1 to 8.
// expected-error @+1 {{unknown kernel family 'sse9' (expected one of amx, vnni512x, vnni512, vnnix, vnni, avx2, sve, neon-dotprod, lut512, lut, neon-lut}}
func.func private @unknown_family() attributes {k = #tern.kernel<"sse9", i2, block = 128, tile = [1, 1]>}

// -----

// expected-error @+1 {{the avx2 kernels do not read i2 b64}}
func.func private @block_not_read() attributes {k = #tern.kernel<"avx2", i2, block = 64, tile = [1, 1]>}

// -----

// expected-error @+1 {{tile [1, 9] is out of range: each side must be in [1, 8]}}
func.func private @huge_tile() attributes {k = #tern.kernel<"avx2", i2, block = 128, tile = [1, 9]>}

// -----

// A prefetch distance: 0 to 1 MiB, for families whose kernels stream.
// expected-error @+1 {{prefetch 2097152 is out of range: bytes in [0, 1048576]}}
func.func private @huge_prefetch() attributes {k = #tern.kernel<"avx2", i2, block = 128, tile = [1, 1], prefetch = 2097152>}

// -----

// expected-error @+1 {{locality 4 is out of range: LLVM's prefetch hints 0 to 3}}
func.func private @bad_locality() attributes {k = #tern.kernel<"avx2", i2, block = 128, tile = [1, 1], prefetch = 4096, locality = 4>}

// -----

// expected-error @+1 {{locality 3 needs a prefetch distance}}
func.func private @locality_alone() attributes {k = #tern.kernel<"avx2", i2, block = 128, tile = [1, 1], prefetch = 0, locality = 3>}

// -----

// expected-error @+1 {{the lut kernels do not prefetch (prefetch = 4096)}}
func.func private @lut_prefetch() attributes {k = #tern.kernel<"lut", lut2i, block = 256, tile = [1, 2], prefetch = 4096>}

// -----

func.func @head_prefetch(%h: tensor<1x64xf32>, %emb: tensor<128x64xf16>, %logits: memref<128xf32>) {
  // expected-error @+1 {{'tern.lm_head' op attribute 'prefetch' failed to satisfy constraint}}
  tern.lm_head %h, %emb into %logits as native {prefetch = -1 : i64} : tensor<1x64xf32>, tensor<128x64xf16> into memref<128xf32>
  return
}

// -----

// expected-error @+1 {{base3v layout needs a block size divisible by 5, got 128}}
func.func private @bad_block() attributes {k = #tern.kernel<"avx2", base3v, block = 128, tile = [1, 1]>}

// -----

// A matmul's kernel must read its weights as they are stored.
func.func @kernel_layout(%q: tensor<1x256xi8>, %w: !tern.weights<64x256, #tern.layout<i2, block = 256>>) -> tensor<1x64xi32> {
  // expected-error @+1 {{'tern.matmul' op kernel #tern.kernel<"avx2", i2, block = 128, tile = [1, 1]> reads weights in the layout i2 b128, but the weights are '!tern.weights<64x256, #tern.layout<i2, block = 256>>'}}
  %a = tern.matmul %q, %w {kernel = #tern.kernel<"avx2", i2, block = 128, tile = [1, 1]>} : tensor<1x256xi8>, !tern.weights<64x256, #tern.layout<i2, block = 256>> -> tensor<1x64xi32>
  return %a : tensor<1x64xi32>
}

// -----

func.func @kernel_unpacked(%x: tensor<1x256xf32>, %w: !tern.weights<64x256>, %s: f32) -> tensor<1x64xf32> {
  // expected-error @+1 {{'tern.bitlinear' op kernel #tern.kernel<"avx2", i2, block = 128, tile = [1, 1]> reads weights in the layout i2 b128, but the weights are '!tern.weights<64x256>'}}
  %y = tern.bitlinear %x, %w, %s {kernel = #tern.kernel<"avx2", i2, block = 128, tile = [1, 1]>} : tensor<1x256xf32>, !tern.weights<64x256>, f32 -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

// tern.weight: a planned blob must hold the weight; an unplanned weight has
// no offset in a static blob.
func.func @weight_outside(%blob: memref<1024xi8>) {
  // expected-error @+1 {{'tern.weight' op weight 'w' needs bytes [512, 1536) but the blob has 1024}}
  %w = tern.weight "w" %blob[512] : memref<1024xi8> -> tensor<256xf32>
  return
}

// -----

func.func @weight_unplaced(%blob: memref<1024xi8>) {
  // expected-error @+1 {{'tern.weight' op weight 'w' has no offset in a planned (static) blob}}
  %w = tern.weight "w" %blob : memref<1024xi8> -> tensor<256xf32>
  return
}

// -----

func.func @weight_type(%blob: memref<?xi8>) {
  // expected-error @+1 {{'tern.weight' op result #0 must be ternary weights or statically shaped tensor of 32-bit float or 16-bit float or bfloat16 type or 8-bit signless integer values, but got 'tensor<4xi32>'}}
  %w = tern.weight "w" %blob : memref<?xi8> -> tensor<4xi32>
  return
}

// -----

func.func @embedding_shape(%t: tensor<100x64xf16>, %tok: tensor<2xi64>) {
  // expected-error @+1 {{'tern.embedding' op expects result [tokens, table columns] = [2, 64], got [2, 32]}}
  %x = tern.embedding %t[%tok] : tensor<100x64xf16>, tensor<2xi64> -> tensor<2x32xf32>
  return
}

// -----

func.func @rms_norm_weight(%x: tensor<1x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{'tern.rms_norm' op expects weight to have one entry per input column, shape [64], got [32]}}
  %y = tern.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<1x64xf32>, tensor<32xf32> -> tensor<1x64xf32>
  return
}

// -----

func.func @rms_norm_lanes(%x: tensor<1x12xf32>, %w: tensor<12xf32>) {
  // expected-error @+1 {{'tern.rms_norm' op needs rows of a multiple of 8 values (its sum runs in 8 lanes), got 12}}
  %y = tern.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<1x12xf32>, tensor<12xf32> -> tensor<1x12xf32>
  return
}

// -----

func.func @rms_norm_quantize_weight(%x: tensor<1x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{'tern.rms_norm_quantize' op expects weight to have one entry per input column, shape [64], got [32]}}
  %q, %s = tern.rms_norm_quantize %x, %w {epsilon = 1.0e-05 : f32} : tensor<1x64xf32>, tensor<32xf32> -> tensor<1x64xi8>, tensor<1xf32>
  return
}

// -----

func.func @rms_norm_quantize_lanes(%x: tensor<1x12xf32>, %w: tensor<12xf32>) {
  // expected-error @+1 {{'tern.rms_norm_quantize' op needs rows of a multiple of 8 values (its sum runs in 8 lanes), got 12}}
  %q, %s = tern.rms_norm_quantize %x, %w {epsilon = 1.0e-05 : f32} : tensor<1x12xf32>, tensor<12xf32> -> tensor<1x12xi8>, tensor<1xf32>
  return
}

// -----

func.func @rms_norm_quantize_output(%x: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'tern.rms_norm_quantize' op expects output to have the input's shape [2, 64], got [1, 64]}}
  %q, %s = tern.rms_norm_quantize %x, %w {epsilon = 1.0e-05 : f32} : tensor<2x64xf32>, tensor<64xf32> -> tensor<1x64xi8>, tensor<2xf32>
  return
}

// -----

func.func @rms_norm_quantize_scale(%x: tensor<2x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'tern.rms_norm_quantize' op expects scale to have one entry per input row, shape [2], got [1]}}
  %q, %s = tern.rms_norm_quantize %x, %w {epsilon = 1.0e-05 : f32} : tensor<2x64xf32>, tensor<64xf32> -> tensor<2x64xi8>, tensor<1xf32>
  return
}

// -----

func.func @rms_norm_quantize_epsilon(%x: tensor<1x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'tern.rms_norm_quantize' op needs a non-negative epsilon}}
  %q, %s = tern.rms_norm_quantize %x, %w {epsilon = -1.0 : f32} : tensor<1x64xf32>, tensor<64xf32> -> tensor<1x64xi8>, tensor<1xf32>
  return
}

// -----

func.func @rope_table_half(%p: index) {
  // expected-error @+1 {{'tern.rope_table' op needs half a head dimension that is a multiple of 8, got 12}}
  %c, %s = tern.rope_table %p {theta = 1.0e+04 : f32} : tensor<1x12xf32>, tensor<1x12xf32>
  return
}

// -----

func.func @rope_heads(%x: tensor<1x100xf32>, %c: tensor<1x16xf32>, %s: tensor<1x16xf32>) {
  // expected-error @+1 {{'tern.rope' op needs rows of whole heads of 32 values (half a multiple of 8), got rows of 100}}
  %y = tern.rope %x, %c, %s : tensor<1x100xf32>, tensor<1x16xf32>, tensor<1x16xf32> -> tensor<1x100xf32>
  return
}

// -----

func.func @rope_rows(%x: tensor<2x64xf32>, %c: tensor<1x16xf32>, %s: tensor<1x16xf32>) {
  // expected-error @+1 {{'tern.rope' op has 2 input rows but tables for 1}}
  %y = tern.rope %x, %c, %s : tensor<2x64xf32>, tensor<1x16xf32>, tensor<1x16xf32> -> tensor<2x64xf32>
  return
}

// -----

func.func @attention_groups(%q: tensor<1x96xf32>, %k: tensor<1x64xf32>, %v: tensor<1x64xf32>, %kc: memref<2x16x64xf32>, %vc: memref<2x16x64xf32>, %p: index) {
  // expected-error @+1 {{'tern.attention' op 3 query heads are not a multiple of 2 kv heads}}
  %a = tern.attention %q, %k, %v into %kc, %vc at %p {layer = 0 : i64, num_heads = 3 : i64, num_kv_heads = 2 : i64} : tensor<1x96xf32>, tensor<1x64xf32>, tensor<1x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32> -> tensor<1x96xf32>
  return
}

// -----

func.func @attention_layer(%q: tensor<1x128xf32>, %k: tensor<1x64xf32>, %v: tensor<1x64xf32>, %kc: memref<2x16x64xf32>, %vc: memref<2x16x64xf32>, %p: index) {
  // expected-error @+1 {{'tern.attention' op layer 2 is outside the 2-layer cache}}
  %a = tern.attention %q, %k, %v into %kc, %vc at %p {layer = 2 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x128xf32>, tensor<1x64xf32>, tensor<1x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32> -> tensor<1x128xf32>
  return
}

// -----

func.func @attention_cache(%q: tensor<1x128xf32>, %k: tensor<1x64xf32>, %v: tensor<1x64xf32>, %kc: memref<2x16x32xf32>, %vc: memref<2x16x32xf32>, %p: index) {
  // expected-error @+1 {{'tern.attention' op expects cache rows of 64 values, got 32}}
  %a = tern.attention %q, %k, %v into %kc, %vc at %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x128xf32>, tensor<1x64xf32>, tensor<1x64xf32>, memref<2x16x32xf32>, memref<2x16x32xf32> -> tensor<1x128xf32>
  return
}

// -----

func.func @attention_staged_rows(%q: tensor<2x128xf32>, %k: tensor<2x64xf32>, %v: tensor<2x64xf32>, %kc: memref<2x16x64xf32>, %vc: memref<2x16x64xf32>, %p: index) {
  // expected-error @+1 {{'tern.attention' op staged_from applies to one row, not 2}}
  %a = tern.attention %q, %k, %v into %kc, %vc at %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, staged_from = 64 : i64} : tensor<2x128xf32>, tensor<2x64xf32>, tensor<2x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32> -> tensor<2x128xf32>
  return
}

// -----

func.func @attention_rope_rows(%q: tensor<2x128xf32>, %k: tensor<2x64xf32>, %v: tensor<2x64xf32>, %kc: memref<2x16x64xf32>, %vc: memref<2x16x64xf32>, %p: index, %c: tensor<1x16xf32>) {
  // expected-error @+1 {{'tern.attention' op rotates one row, not 2}}
  %a = tern.attention %q, %k, %v into %kc, %vc at %p rope %c, %c {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<2x128xf32>, tensor<2x64xf32>, tensor<2x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32>, tensor<1x16xf32>, tensor<1x16xf32> -> tensor<2x128xf32>
  return
}

// -----

func.func @attention_rope_tables(%q: tensor<1x128xf32>, %k: tensor<1x64xf32>, %v: tensor<1x64xf32>, %kc: memref<2x16x64xf32>, %vc: memref<2x16x64xf32>, %p: index, %c: tensor<1x16xf32>, %s: tensor<1x32xf32>) {
  // expected-error @+1 {{'tern.attention' op expects sin to be one row of half a head [1, 16], got [1, 32]}}
  %a = tern.attention %q, %k, %v into %kc, %vc at %p rope %c, %s {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x128xf32>, tensor<1x64xf32>, tensor<1x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32>, tensor<1x16xf32>, tensor<1x32xf32> -> tensor<1x128xf32>
  return
}

// -----

func.func @attention_rope_one_table(%q: tensor<1x128xf32>, %k: tensor<1x64xf32>, %v: tensor<1x64xf32>, %kc: memref<2x16x64xf32>, %vc: memref<2x16x64xf32>, %p: index, %c: tensor<1x16xf32>) {
  // expected-error @+1 {{'tern.attention' op needs both rope tables or neither}}
  %a = "tern.attention"(%q, %k, %v, %kc, %vc, %p, %c) <{layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 0>}> : (tensor<1x128xf32>, tensor<1x64xf32>, tensor<1x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32>, index, tensor<1x16xf32>) -> tensor<1x128xf32>
  return
}

// -----

func.func @attention_staged_zero(%q: tensor<1x128xf32>, %k: tensor<1x64xf32>, %v: tensor<1x64xf32>, %kc: memref<2x16x64xf32>, %vc: memref<2x16x64xf32>, %p: index) {
  // expected-error @+1 {{'tern.attention' op attribute 'staged_from' failed to satisfy constraint}}
  %a = tern.attention %q, %k, %v into %kc, %vc at %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, staged_from = 0 : i64} : tensor<1x128xf32>, tensor<1x64xf32>, tensor<1x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32> -> tensor<1x128xf32>
  return
}

// -----

func.func @attention_value_panel_lanes(%q: tensor<1x128xf32>, %k: tensor<1x64xf32>, %v: tensor<1x64xf32>, %kc: memref<2x16x64xf32>, %vc: memref<2x16x64xf32>, %p: index) {
  // expected-error @+1 {{'tern.attention' op value_panel 8 must be a multiple of 16 that divides the head width 32}}
  %a = tern.attention %q, %k, %v into %kc, %vc at %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, value_panel = 8 : i64} : tensor<1x128xf32>, tensor<1x64xf32>, tensor<1x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32> -> tensor<1x128xf32>
  return
}

// -----

func.func @attention_value_panel_head(%q: tensor<1x128xf32>, %k: tensor<1x64xf32>, %v: tensor<1x64xf32>, %kc: memref<2x16x64xf32>, %vc: memref<2x16x64xf32>, %p: index) {
  // expected-error @+1 {{'tern.attention' op value_panel 64 must be a multiple of 16 that divides the head width 32}}
  %a = tern.attention %q, %k, %v into %kc, %vc at %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, value_panel = 64 : i64} : tensor<1x128xf32>, tensor<1x64xf32>, tensor<1x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32> -> tensor<1x128xf32>
  return
}

// -----

func.func @batch_attention_value_panel(%q: tensor<2x128xf32>, %k: tensor<2x64xf32>, %v: tensor<2x64xf32>, %kc: memref<4x2x16x64xf32>, %vc: memref<4x2x16x64xf32>, %p: tensor<2xi64>, %s: tensor<2xi64>) {
  // expected-error @+1 {{'tern.batch_attention' op value_panel 48 must be a multiple of 16 that divides the head width 32}}
  %a = tern.batch_attention %q, %k, %v into %kc, %vc at %p slots %s {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, value_panel = 48 : i64} : tensor<2x128xf32>, tensor<2x64xf32>, tensor<2x64xf32>, memref<4x2x16x64xf32>, memref<4x2x16x64xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<2x128xf32>
  return
}

// -----

func.func @gate_lanes(%g: tensor<1x12xf32>, %u: tensor<1x12xf32>) {
  // expected-error @+1 {{'tern.squared_relu_gate' op needs rows of a multiple of 8 values, got 12}}
  %h = tern.squared_relu_gate %g, %u : tensor<1x12xf32>
  return
}

// -----

func.func @head_scales(%x: tensor<1x64xf32>, %w: tensor<100x64xi8>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op int8 needs scales}}
  tern.lm_head %x, %w into %l as int8 : tensor<1x64xf32>, tensor<100x64xi8> into memref<100xf32>
  return
}

// -----

func.func @head_q4_shape(%x: tensor<1x64xf32>, %w: tensor<100x64xi8>, %s: tensor<100x2xf16>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op expects weights of shape [100, 32], got [100, 64]}}
  tern.lm_head %x, %w, %s into %l as q4 : tensor<1x64xf32>, tensor<100x64xi8>, tensor<100x2xf16> into memref<100xf32>
  return
}

// -----

func.func @head_q4_f32_scales(%x: tensor<1x64xi8>, %xs: tensor<1xf32>, %w: tensor<100x32xi8>, %s: tensor<100x2xf32>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op q4 needs f16 scales, got 'f32'}}
  tern.lm_head %x scaled %xs, %w, %s into %l as q4 : tensor<1x64xi8> scaled tensor<1xf32>, tensor<100x32xi8>, tensor<100x2xf32> into memref<100xf32>
  return
}

// -----

func.func @head_int8_f16_scales(%x: tensor<1x64xf32>, %w: tensor<100x64xi8>, %s: tensor<100x1xf16>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op int8 needs f32 scales, got 'f16'}}
  tern.lm_head %x, %w, %s into %l as int8 : tensor<1x64xf32>, tensor<100x64xi8>, tensor<100x1xf16> into memref<100xf32>
  return
}

// -----

func.func @head_q4_float_rows(%x: tensor<1x64xf32>, %w: tensor<100x32xi8>, %s: tensor<100x2xf16>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op q4 needs i8 token rows, got 'f32'}}
  tern.lm_head %x, %w, %s into %l as q4 : tensor<1x64xf32>, tensor<100x32xi8>, tensor<100x2xf16> into memref<100xf32>
  return
}

// -----

func.func @head_q4_no_row_scales(%x: tensor<1x64xi8>, %w: tensor<100x32xi8>, %s: tensor<100x2xf16>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op q4 needs the token rows' scales}}
  tern.lm_head %x, %w, %s into %l as q4 : tensor<1x64xi8>, tensor<100x32xi8>, tensor<100x2xf16> into memref<100xf32>
  return
}

// -----

func.func @head_q4_row_scales_shape(%x: tensor<2x64xi8>, %xs: tensor<1xf32>, %w: tensor<100x32xi8>, %s: tensor<100x2xf16>, %l: memref<2x100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op expects token row scales of shape [2], got [1]}}
  tern.lm_head %x scaled %xs, %w, %s into %l as q4 : tensor<2x64xi8> scaled tensor<1xf32>, tensor<100x32xi8>, tensor<100x2xf16> into memref<2x100xf32>
  return
}

// -----

func.func @head_int8_row_scales(%x: tensor<1x64xf32>, %xs: tensor<1xf32>, %w: tensor<100x64xi8>, %s: tensor<100x1xf32>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op int8 takes no token row scales}}
  tern.lm_head %x scaled %xs, %w, %s into %l as int8 : tensor<1x64xf32> scaled tensor<1xf32>, tensor<100x64xi8>, tensor<100x1xf32> into memref<100xf32>
  return
}

// -----

func.func @head_int8_rows_without_scales(%x: tensor<1x64xi8>, %w: tensor<100x64xi8>, %s: tensor<100x1xf32>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op int8 needs the token rows' scales}}
  tern.lm_head %x, %w, %s into %l as int8 : tensor<1x64xi8>, tensor<100x64xi8>, tensor<100x1xf32> into memref<100xf32>
  return
}

// -----

func.func @head_int8_rows_too_long(%x: tensor<1x132112xi8>, %xs: tensor<1xf32>, %w: tensor<100x132112xi8>, %s: tensor<100x1xf32>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op int8 sums rows of at most 132104 columns in i32, got 132112}}
  tern.lm_head %x scaled %xs, %w, %s into %l as int8 : tensor<1x132112xi8> scaled tensor<1xf32>, tensor<100x132112xi8>, tensor<100x1xf32> into memref<100xf32>
  return
}

// -----

func.func @head_native_i8_rows(%x: tensor<1x64xi8>, %w: tensor<100x64xf16>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op native needs f32 token rows, got 'i8'}}
  tern.lm_head %x, %w into %l as native : tensor<1x64xi8>, tensor<100x64xf16> into memref<100xf32>
  return
}

// -----

func.func @head_dot_native(%x: tensor<1x64xf32>, %w: tensor<100x64xf16>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op dot = "vnni512" applies to the integer heads only (q4, int8)}}
  tern.lm_head %x, %w into %l as native {dot = "vnni512"} : tensor<1x64xf32>, tensor<100x64xf16> into memref<100xf32>
  return
}

// -----

// The screened head's scan sums each digit of its token rows in i32 too.
func.func @head_scan_rows_too_long(%x: tensor<1x132112xf32>, %w: tensor<100x132112xi8>, %s: tensor<100x1xf32>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op int8 sums rows of at most 132104 columns in i32, got 132112}}
  tern.lm_head %x, %w, %s into %l as int8 : tensor<1x132112xf32>, tensor<100x132112xi8>, tensor<100x1xf32> into memref<100xf32>
  return
}

// -----

func.func @head_scan_tile(%x: tensor<2x64xf32>, %w: tensor<100x64xi8>, %s: tensor<100x1xf32>, %l: memref<2x100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op tile applies to the native head only}}
  tern.lm_head %x, %w, %s into %l as int8 {tile = array<i64: 1, 2>} : tensor<2x64xf32>, tensor<100x64xi8>, tensor<100x1xf32> into memref<2x100xf32>
  return
}

// -----

func.func @head_dot_unknown(%x: tensor<1x64xi8>, %xs: tensor<1xf32>, %w: tensor<100x32xi8>, %s: tensor<100x2xf16>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op unknown kernel family 'vnni1024'}}
  tern.lm_head %x scaled %xs, %w, %s into %l as q4 {dot = "vnni1024"} : tensor<1x64xi8> scaled tensor<1xf32>, tensor<100x32xi8>, tensor<100x2xf16> into memref<100xf32>
  return
}

// -----

func.func @head_dot_without_quads(%x: tensor<1x64xi8>, %xs: tensor<1xf32>, %w: tensor<100x32xi8>, %s: tensor<100x2xf16>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op the lut family has no multiply-add of byte quads for the integer heads}}
  tern.lm_head %x scaled %xs, %w, %s into %l as q4 {dot = "lut"} : tensor<1x64xi8> scaled tensor<1xf32>, tensor<100x32xi8>, tensor<100x2xf16> into memref<100xf32>
  return
}

// -----

func.func @head_native_codes(%x: tensor<1x64xf32>, %w: tensor<100x64xi8>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op native needs float weights, got 'i8'}}
  tern.lm_head %x, %w into %l as native : tensor<1x64xf32>, tensor<100x64xi8> into memref<100xf32>
  return
}

// -----

func.func @head_logits(%x: tensor<2x64xf32>, %w: tensor<100x64xf16>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op expects logits [2, 100], got 'memref<100xf32>'}}
  tern.lm_head %x, %w into %l as native : tensor<2x64xf32>, tensor<100x64xf16> into memref<100xf32>
  return
}

// -----

func.func @batch_attention_rows(%q: tensor<2x128xf32>, %k: tensor<2x64xf32>, %v: tensor<2x64xf32>, %kc: memref<4x2x16x64xf32>, %vc: memref<4x2x16x64xf32>, %p: tensor<3xi64>, %s: tensor<2xi64>) {
  // expected-error @+1 {{'tern.batch_attention' op needs key rows, positions and slots for each of 2 query rows}}
  %a = tern.batch_attention %q, %k, %v into %kc, %vc at %p slots %s {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<2x128xf32>, tensor<2x64xf32>, tensor<2x64xf32>, memref<4x2x16x64xf32>, memref<4x2x16x64xf32>, tensor<3xi64>, tensor<2xi64> -> tensor<2x128xf32>
  return
}

// -----

func.func @batch_attention_layer(%q: tensor<2x128xf32>, %k: tensor<2x64xf32>, %v: tensor<2x64xf32>, %kc: memref<4x2x16x64xf32>, %vc: memref<4x2x16x64xf32>, %p: tensor<2xi64>, %s: tensor<2xi64>) {
  // expected-error @+1 {{'tern.batch_attention' op layer 2 is outside the 2-layer cache}}
  %a = tern.batch_attention %q, %k, %v into %kc, %vc at %p slots %s {layer = 2 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<2x128xf32>, tensor<2x64xf32>, tensor<2x64xf32>, memref<4x2x16x64xf32>, memref<4x2x16x64xf32>, tensor<2xi64>, tensor<2xi64> -> tensor<2x128xf32>
  return
}

// -----

func.func @rope_rows_count(%p: tensor<3xi64>) {
  // expected-error @+1 {{'tern.rope_table_rows' op needs one position per row (2)}}
  %c, %s = tern.rope_table_rows %p {theta = 5.0e+05 : f32} : tensor<3xi64> -> tensor<2x8xf32>, tensor<2x8xf32>
  return
}

// -----

func.func @screen_rows(%x: tensor<2x64xf32>, %w: tensor<100x64xf16>, %b: tensor<100x2xf32>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.screen_head' op screens one token row, got 2}}
  tern.screen_head %x, %w, %b into %l : tensor<2x64xf32>, tensor<100x64xf16>, tensor<100x2xf32> into memref<100xf32>
  return
}

// -----

func.func @screen_bounds(%x: tensor<1x64xf32>, %w: tensor<100x64xf16>, %b: tensor<99x2xf32>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.screen_head' op expects bounds of shape [100, 2], got [99, 2]}}
  tern.screen_head %x, %w, %b into %l : tensor<1x64xf32>, tensor<100x64xf16>, tensor<99x2xf32> into memref<100xf32>
  return
}

// -----

func.func @screen_weights(%x: tensor<1x64xf32>, %w: tensor<100x32xf16>, %b: tensor<100x2xf32>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.screen_head' op expects weights of shape [100, 64], got [100, 32]}}
  tern.screen_head %x, %w, %b into %l : tensor<1x64xf32>, tensor<100x32xf16>, tensor<100x2xf32> into memref<100xf32>
  return
}

// -----

func.func @screen_logits(%x: tensor<1x64xf32>, %w: tensor<100x64xf16>, %b: tensor<100x2xf32>, %l: memref<1x100xf32>) {
  // expected-error @+1 {{'tern.screen_head' op expects logits [100], got 'memref<1x100xf32>'}}
  tern.screen_head %x, %w, %b into %l : tensor<1x64xf32>, tensor<100x64xf16>, tensor<100x2xf32> into memref<1x100xf32>
  return
}

// -----

func.func @screen_min_norm(%x: tensor<1x64xf32>, %w: tensor<100x64xf16>, %b: tensor<100x2xf32>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.screen_head' op expects a positive finite min_norm, got -1}}
  tern.screen_head %x, %w, %b into %l {min_norm = -1.0 : f32} : tensor<1x64xf32>, tensor<100x64xf16>, tensor<100x2xf32> into memref<100xf32>
  return
}

// -----

func.func @screen_min_norm_zero(%x: tensor<1x64xf32>, %w: tensor<100x64xf16>, %b: tensor<100x2xf32>, %l: memref<100xf32>) {
  // expected-error @+1 {{'tern.screen_head' op expects a positive finite min_norm, got 0}}
  tern.screen_head %x, %w, %b into %l {min_norm = 0.0 : f32} : tensor<1x64xf32>, tensor<100x64xf16>, tensor<100x2xf32> into memref<100xf32>
  return
}

// -----

func.func @head_tile_size(%x: tensor<4x64xf32>, %w: tensor<100x64xf16>, %l: memref<4x100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op tile needs 2 sizes from 1 to 16 (vocabulary rows, token rows), got [2, 0]}}
  tern.lm_head %x, %w into %l as native {tile = array<i64: 2, 0>} : tensor<4x64xf32>, tensor<100x64xf16> into memref<4x100xf32>
  return
}

// -----

func.func @head_tile_q4(%x: tensor<4x64xi8>, %xs: tensor<4xf32>, %w: tensor<100x32xi8>, %s: tensor<100x2xf16>, %l: memref<4x100xf32>) {
  // expected-error @+1 {{'tern.lm_head' op tile applies to the native head only}}
  tern.lm_head %x scaled %xs, %w, %s into %l as q4 {tile = array<i64: 2, 4>} : tensor<4x64xi8> scaled tensor<4xf32>, tensor<100x32xi8>, tensor<100x2xf16> into memref<4x100xf32>
  return
}
