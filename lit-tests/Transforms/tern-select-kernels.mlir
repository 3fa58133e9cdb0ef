// tern-select-kernels: each ternary blob weight's layout (a tern.pack after
// it) and each matmul's kernel, per target, tuning database and requested
// packing. The families, ranks and tiles are rows of the kernel registry
// (docs/kernels.md).
// RUN: tern-opt %s --tern-select-kernels=target=znver5 | FileCheck %s --check-prefix=ZEN5
// RUN: tern-opt %s --tern-select-kernels=target=x86-64-v3 | FileCheck %s --check-prefix=AVX2
// RUN: tern-opt %s --tern-select-kernels=target=alderlake | FileCheck %s --check-prefix=ADL
// RUN: tern-opt %s --tern-select-kernels=target=sapphirerapids | FileCheck %s --check-prefix=SPR
// RUN: tern-opt %s --tern-select-kernels=target=aarch64 | FileCheck %s --check-prefix=NEON
// RUN: tern-opt %s --tern-select-kernels=target=aarch64+sve | FileCheck %s --check-prefix=SVE
// RUN: tern-opt %s --tern-select-kernels=target=x86-64 | FileCheck %s --check-prefix=NONE
// RUN: tern-opt %s '--tern-select-kernels=target=x86-64-v3 packing=lut2i' | FileCheck %s --check-prefix=LUT
// RUN: tern-opt %s '--tern-select-kernels=target=znver5 prefetch=0' | FileCheck %s --check-prefix=NOPF
// RUN: tern-opt %s '--tern-select-kernels=target=znver5 prefetch=0' | FileCheck %s --check-prefix=NOPFL
// RUN: tern-opt %s --tern-select-kernels=target=znver4 | FileCheck %s --check-prefix=ZEN4
// RUN: tern-opt %s '--tern-select-kernels=target=znver5 prefetch=2048' | FileCheck %s --check-prefix=PF2K
// RUN: not tern-opt %s '--tern-select-kernels=target=znver5 prefetch=2000000' 2>&1 | FileCheck %s --check-prefix=PFBIG
// RUN: tern-opt %s '--tern-select-kernels=target=znver5 prefetch-locality=1' | FileCheck %s --check-prefix=L2
// RUN: tern-opt %s '--tern-select-kernels=target=sapphirerapids prefetch-locality=3' | FileCheck %s --check-prefix=SPRL1
// RUN: not tern-opt %s '--tern-select-kernels=target=znver5 prefetch-locality=4' 2>&1 | FileCheck %s --check-prefix=LBAD
// RUN: tern-opt %s '--tern-select-kernels=target=znver4 attention-staged-from=512' | FileCheck %s --check-prefix=STAGED512
// RUN: tern-opt %s '--tern-select-kernels=target=znver4 attention-staged-from=0' | FileCheck %s --check-prefix=UNSTAGED
// RUN: not tern-opt %s '--tern-select-kernels=target=znver4 attention-staged-from=-1' 2>&1 | FileCheck %s --check-prefix=STAGEDBAD
// RUN: printf '%%s' '{"format":"tern-tuning","version":1,"entries":[{"cpu":"x86-64-v3","m":1,"n":64,"k":256,"family":"avx2","packing":"i2","block":256,"tile_m":1,"tile_n":2},{"cpu":"x86-64-v3","m":8,"n":64,"k":256,"family":"avx2","packing":"i2","block":128,"tile_m":4,"tile_n":3}]}' > %t.json
// RUN: tern-opt %s '--tern-select-kernels=target=x86-64-v3 tuning-db=%t.json' | FileCheck %s --check-prefix=DB

// ZEN5: %[[W:.*]] = tern.weight "w" %arg0 : memref<?xi8> -> !tern.weights<64x256>
// 512-bit VNNI without AMX: output columns in lanes (i2x16, one block per
// row), decode tiles of one group of 16 columns, prefill 8x2.
// ZEN5: %[[P:.*]] = tern.pack %[[W]] : !tern.weights<64x256> -> !tern.weights<64x256, #tern.layout<i2x16, block = 256>>
// ZEN5: tern.bitlinear %arg1, %[[P]], %arg3 {kernel = #tern.kernel<"vnni512x", i2x16, block = 256, tile = [1, 1], prefetch = 5120, locality = 3>}
// ZEN5: tern.matmul %arg2, %[[P]] {kernel = #tern.kernel<"vnni512x", i2x16, block = 256, tile = [8, 2], prefetch = 5120, locality = 3>}
// 256-bit VNNI without AVX-512 (AVX-VNNI): output columns in 256-bit
// lanes (vnnix, i2x16), prefill tiles of 6 rows of one group (8 rows: 6,
// then 2).
// ADL: tern.pack {{.*}} -> !tern.weights<64x256, #tern.layout<i2x16, block = 256>>
// ADL: tern.bitlinear {{.*}} {kernel = #tern.kernel<"vnnix", i2x16, block = 256, tile = [1, 1], prefetch = 5120>}
// ADL: tern.matmul {{.*}} {kernel = #tern.kernel<"vnnix", i2x16, block = 256, tile = [6, 1], prefetch = 5120>}
// AVX2: tern.pack {{.*}} -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
// AVX2: tern.bitlinear {{.*}} {kernel = #tern.kernel<"avx2", i2, block = 128, tile = [1, 1], prefetch = 5120>}
// AVX2: tern.matmul {{.*}} {kernel = #tern.kernel<"avx2", i2, block = 128, tile = [8, 1]>}
// NEON: tern.bitlinear {{.*}} {kernel = #tern.kernel<"neon-dotprod", i2, block = 128, tile = [1, 4]>}
// NEON: tern.matmul {{.*}} {kernel = #tern.kernel<"neon-dotprod", i2, block = 128, tile = [8, 1]>}
// SVE: tern.pack {{.*}} -> !tern.weights<64x256, #tern.layout<i2, block = 256>>
// SVE: tern.bitlinear {{.*}} {kernel = #tern.kernel<"sve", i2, block = 256, tile = [1, 4]>}
// Baseline x86-64 runs no family: packed for the reference lowering, no
// kernels.
// NONE: tern.pack {{.*}} -> !tern.weights<64x256, #tern.layout<i2, block = 256>>
// NONE: tern.bitlinear %arg1, %{{.*}}, %arg3 : tensor<1x256xf32>
// NONE: tern.matmul %arg2, %{{.*}} : tensor<8x256xi8>
// LUT: tern.pack {{.*}} -> !tern.weights<64x256, #tern.layout<lut2i, block = 256>>
// LUT: tern.bitlinear {{.*}} {kernel = #tern.kernel<"lut", lut2i, block = 256, tile = [1, 2]>}
// LUT: tern.matmul {{.*}} {kernel = #tern.kernel<"lut", lut2i, block = 256, tile = [2, 2]>}
// The decode entry decides the layout (i2 b256, not AVX2's default 128);
// the prefill entry's family and tile apply where its family reads that
// layout.
// DB: tern.pack {{.*}} -> !tern.weights<64x256, #tern.layout<i2, block = 256>>
// DB: tern.bitlinear {{.*}} {kernel = #tern.kernel<"avx2", i2, block = 256, tile = [1, 2], prefetch = 5120>}
// DB: tern.matmul {{.*}} {kernel = #tern.kernel<"avx2", i2, block = 256, tile = [4, 3]>}
// A weight that is not a blob weight gets neither layout nor kernel; a
// kernel already chosen stays.
// ZEN5: tern.bitlinear %arg1, %arg4, %arg3 :
// ZEN5: tern.bitlinear {{.*}} {kernel = #tern.kernel<"avx2", i2, block = 128, tile = [2, 2]>}
// Decode kernels of families that stream their weights (prefill kernels
// too for vnni512), and the head, prefetch the target's distance (5120
// bytes on x86-64 but Zen 4, none there and on AArch64; the lookup-table
// kernels and amx's tiles take none).
// On AMD Zen 5 (and the other znver) into L1 (locality 3, prefetcht0); elsewhere the
// default (1, prefetcht2, not printed); the prefetch-locality option
// overrides the target's.
// ZEN5: tern.lm_head {{.*}} as native {prefetch = 5120 : i64, prefetch_locality = 3 : i64}
// AVX2: tern.lm_head {{.*}} as native {prefetch = 5120 : i64}
// AVX2-NOT: locality
// L2: tern.bitlinear {{.*}} tile = [1, 1], prefetch = 5120>}
// L2: tern.lm_head {{.*}} as native {prefetch = 5120 : i64}
// L2-NOT: locality
// SPRL1: tern.bitlinear {{.*}} tile = [1, 1], prefetch = 5120, locality = 3>}
// SPRL1: tern.lm_head {{.*}} as native {prefetch = 5120 : i64, prefetch_locality = 3 : i64}
// LBAD: error: prefetch-locality: 4 is not one of LLVM's prefetch hints 0 to 3
// NEON: tern.lm_head {{.*}} as native :
// NEON-NOT: prefetch
// SVE-NOT: prefetch
// LUT-NOT: prefetch = 5120>
// NOPF-NOT: prefetch
// Zen 4 (streamPrefetchRules): the same kernels; one token row (decode)
// does not prefetch, several rows (prefill, batched decode) do.
// ZEN4-LABEL: func.func @layer
// ZEN4: tern.bitlinear %arg1, %[[P:.*]], %arg3 {kernel = #tern.kernel<"vnni512x", i2x16, block = 256, tile = [1, 1]>}
// ZEN4: tern.matmul %arg2, %[[P]] {kernel = #tern.kernel<"vnni512x", i2x16, block = 256, tile = [8, 2], prefetch = 5120, locality = 3>}
// ZEN4: tern.lm_head {{.*}} as native :
// ZEN4-LABEL: func.func @long_rows
// ZEN4: tern.bitlinear {{.*}} {kernel = #tern.kernel<"vnni512x", i2x16, block = 4096, tile = [1, 1]>}
// ZEN4: tern.bitlinear {{.*}} {kernel = #tern.kernel<"vnni512x", i2x16, block = 4160, tile = [1, 1]>}
// ZEN4: tern.matmul {{.*}} {kernel = #tern.kernel<"vnni512x", i2x16, block = 4160, tile = [8, 2], prefetch = 5120, locality = 3>}
// ZEN4-LABEL: func.func @batch_head
// ZEN4: tern.lm_head {{.*}} as native {prefetch = 5120 : i64, prefetch_locality = 3 : i64, tile = array<i64: 2, 4>}
// PF2K: tern.bitlinear {{.*}} tile = [1, 1], prefetch = 2048, locality = 3>}
// PF2K: tern.matmul {{.*}} tile = [8, 2], prefetch = 2048, locality = 3>}
// PF2K: tern.lm_head {{.*}} {prefetch = 2048 : i64, prefetch_locality = 3 : i64}
// PFBIG: error: prefetch: 2000000 bytes is more than 1048576
// AMX-INT8 CPUs: prefill matmuls of at least 16 rows on tiles (four row
// tiles of 16 for 64 rows, three for 40), fewer rows and decode as on other
// AVX512-VNNI CPUs; the same i2 b256 layout for all.
// SPR: tern.bitlinear {{.*}} {kernel = #tern.kernel<"vnni512", i2, block = 256, tile = [1, 1], prefetch = 5120>}
// SPR: tern.matmul {{.*}} {kernel = #tern.kernel<"vnni512", i2, block = 256, tile = [8, 2], prefetch = 5120>}
// SPR-LABEL: func.func @prefill
// SPR: tern.pack {{.*}} -> !tern.weights<64x256, #tern.layout<i2, block = 256>>
// SPR: tern.matmul {{.*}} {kernel = #tern.kernel<"amx", i2, block = 256, tile = [4, 1]>}
// SPR: tern.matmul {{.*}} {kernel = #tern.kernel<"amx", i2, block = 256, tile = [3, 1]>}
// SPR: tern.matmul {{.*}} {kernel = #tern.kernel<"vnni512", i2, block = 256, tile = [8, 2], prefetch = 5120>}
// ZEN5-LABEL: func.func @prefill
// ZEN5: tern.matmul {{.*}} {kernel = #tern.kernel<"vnni512x", i2x16, block = 256, tile = [8, 2], prefetch = 5120, locality = 3>}
func.func @layer(%blob: memref<?xi8>, %x: tensor<1x256xf32>, %q: tensor<8x256xi8>, %s: f32,
                 %arg: !tern.weights<64x256>, %packed: !tern.weights<64x256, #tern.layout<i2, block = 128>>,
    %xn: tensor<1x256xf32>, %emb: tensor<64x256xf16>, %logits: memref<64xf32>)
    -> (tensor<1x64xf32>, tensor<8x64xi32>, tensor<1x64xf32>, tensor<1x64xf32>) {
  %w = tern.weight "w" %blob : memref<?xi8> -> !tern.weights<64x256>
  %y = tern.bitlinear %x, %w, %s : tensor<1x256xf32>, !tern.weights<64x256>, f32 -> tensor<1x64xf32>
  %acc = tern.matmul %q, %w : tensor<8x256xi8>, !tern.weights<64x256> -> tensor<8x64xi32>
  %z = tern.bitlinear %x, %arg, %s : tensor<1x256xf32>, !tern.weights<64x256>, f32 -> tensor<1x64xf32>
  %c = tern.bitlinear %x, %packed, %s {kernel = #tern.kernel<"avx2", i2, block = 128, tile = [2, 2]>} : tensor<1x256xf32>, !tern.weights<64x256, #tern.layout<i2, block = 128>>, f32 -> tensor<1x64xf32>
  tern.lm_head %xn, %emb into %logits as native : tensor<1x256xf32>, tensor<64x256xf16> into memref<64xf32>
  return %y, %acc, %z, %c : tensor<1x64xf32>, tensor<8x64xi32>, tensor<1x64xf32>, tensor<1x64xf32>
}

func.func @prefill(%blob: memref<?xi8>, %q64: tensor<64x256xi8>, %q40: tensor<40x256xi8>, %q15: tensor<15x256xi8>)
    -> (tensor<64x64xi32>, tensor<40x64xi32>, tensor<15x64xi32>) {
  %w = tern.weight "v" %blob : memref<?xi8> -> !tern.weights<64x256>
  %a = tern.matmul %q64, %w : tensor<64x256xi8>, !tern.weights<64x256> -> tensor<64x64xi32>
  %b = tern.matmul %q40, %w : tensor<40x256xi8>, !tern.weights<64x256> -> tensor<40x64xi32>
  %c = tern.matmul %q15, %w : tensor<15x256xi8>, !tern.weights<64x256> -> tensor<15x64xi32>
  return %a, %b, %c : tensor<64x64xi32>, tensor<40x64xi32>, tensor<15x64xi32>
}

// The integer heads' sums (q4, int8 of either token rows: int8 of f32 rows
// is the screened head's scan): the target's first family (decode rank)
// with a multiply-add of byte quads; none on baseline x86-64 (plain vector
// arithmetic).
// ZEN5-LABEL: func.func @q4_head
// ZEN5: tern.lm_head {{.*}} as q4 {dot = "vnni512", prefetch = 5120 : i64, prefetch_locality = 3 : i64}
// SPR-LABEL: func.func @q4_head
// SPR: tern.lm_head {{.*}} as q4 {dot = "vnni512", prefetch = 5120 : i64}
// AVX2-LABEL: func.func @q4_head
// AVX2: tern.lm_head {{.*}} as q4 {dot = "avx2", prefetch = 5120 : i64}
// NEON-LABEL: func.func @q4_head
// NEON: tern.lm_head {{.*}} as q4 {dot = "neon-dotprod"} :
// NONE-LABEL: func.func @q4_head
// NONE: tern.lm_head {{.*}} as q4 {prefetch = 5120 : i64} :
func.func @q4_head(%x: tensor<1x64xi8>, %xs: tensor<1xf32>, %c: tensor<100x32xi8>, %s: tensor<100x2xf16>, %logits: memref<100xf32>) {
  tern.lm_head %x scaled %xs, %c, %s into %logits as q4 : tensor<1x64xi8> scaled tensor<1xf32>, tensor<100x32xi8>, tensor<100x2xf16> into memref<100xf32>
  return
}

// ZEN5-LABEL: func.func @int8_heads
// ZEN5: tern.lm_head {{.*}} as int8 {dot = "vnni512", prefetch = 5120 : i64, prefetch_locality = 3 : i64} : tensor<1x64xi8>
// ZEN5: tern.lm_head {{.*}} as int8 {dot = "vnni512", prefetch = 5120 : i64, prefetch_locality = 3 : i64} : tensor<1x64xf32>
// AVX2-LABEL: func.func @int8_heads
// AVX2: tern.lm_head {{.*}} as int8 {dot = "avx2", prefetch = 5120 : i64} : tensor<1x64xi8>
// AVX2: tern.lm_head {{.*}} as int8 {dot = "avx2", prefetch = 5120 : i64} : tensor<1x64xf32>
// NEON-LABEL: func.func @int8_heads
// NEON: tern.lm_head {{.*}} as int8 {dot = "neon-dotprod"} : tensor<1x64xi8>
// NEON: tern.lm_head {{.*}} as int8 {dot = "neon-dotprod"} : tensor<1x64xf32>
func.func @int8_heads(%x: tensor<1x64xi8>, %xs: tensor<1xf32>, %xf: tensor<1x64xf32>, %c: tensor<100x64xi8>, %s: tensor<100x1xf32>, %logits: memref<100xf32>) {
  tern.lm_head %x scaled %xs, %c, %s into %logits as int8 : tensor<1x64xi8> scaled tensor<1xf32>, tensor<100x64xi8>, tensor<100x1xf32> into memref<100xf32>
  tern.lm_head %xf, %c, %s into %logits as int8 : tensor<1x64xf32>, tensor<100x64xi8>, tensor<100x1xf32> into memref<100xf32>
  return
}

// vnni512x decodes rows of more than 4096 weights two groups at a time
// (each broadcast activation feeds both) where it prefetches the weight
// stream, one group where the hardware prefetchers alone stream it (Zen
// 4's one-row decode, or prefetch=0), shorter rows one group; prefill
// tiles do not change.
// ZEN5-LABEL: func.func @long_rows
// ZEN5: tern.bitlinear {{.*}} {kernel = #tern.kernel<"vnni512x", i2x16, block = 4096, tile = [1, 1], prefetch = 5120, locality = 3>}
// ZEN5: tern.bitlinear {{.*}} {kernel = #tern.kernel<"vnni512x", i2x16, block = 4160, tile = [1, 2], prefetch = 5120, locality = 3>}
// ZEN5: tern.matmul {{.*}} {kernel = #tern.kernel<"vnni512x", i2x16, block = 4160, tile = [8, 2], prefetch = 5120, locality = 3>}
// (Zen 4: above, with @layer.)
// NOPFL-LABEL: func.func @long_rows
// NOPFL: tern.bitlinear {{.*}} {kernel = #tern.kernel<"vnni512x", i2x16, block = 4160, tile = [1, 1]>}
// NOPFL: tern.matmul {{.*}} {kernel = #tern.kernel<"vnni512x", i2x16, block = 4160, tile = [8, 2]>}
func.func @long_rows(%blob: memref<?xi8>, %x4096: tensor<1x4096xf32>, %x: tensor<1x4160xf32>, %q: tensor<8x4160xi8>, %s: f32)
    -> (tensor<1x32xf32>, tensor<1x32xf32>, tensor<8x32xi32>) {
  %short = tern.weight "short" %blob : memref<?xi8> -> !tern.weights<32x4096>
  %long = tern.weight "long" %blob : memref<?xi8> -> !tern.weights<32x4160>
  %a = tern.bitlinear %x4096, %short, %s : tensor<1x4096xf32>, !tern.weights<32x4096>, f32 -> tensor<1x32xf32>
  %b = tern.bitlinear %x, %long, %s : tensor<1x4160xf32>, !tern.weights<32x4160>, f32 -> tensor<1x32xf32>
  %c = tern.matmul %q, %long : tensor<8x4160xi8>, !tern.weights<32x4160> -> tensor<8x32xi32>
  return %a, %b, %c : tensor<1x32xf32>, tensor<1x32xf32>, tensor<8x32xi32>
}

// A float head over several token rows, every one wanted (batched decode):
// the tile of sums half the target's vector registers hold, several
// vocabulary rows only with at least 4 token rows (2 x 4 with 32 registers
// of 64 bytes, 1 x 2 for 2 rows; 1 x 2 with 16 of 32 or NEON's 32 of 16;
// 1 x 1 with SSE's 16 of 16). None where a first row is given (prefill's
// last row) or for the integer heads.
// ZEN5-LABEL: func.func @batch_head
// ZEN5: tern.lm_head {{.*}} as native {prefetch = 5120 : i64, prefetch_locality = 3 : i64, tile = array<i64: 2, 4>}
// ZEN5: tern.lm_head {{.*}} as int8 {dot = "vnni512", prefetch = 5120 : i64, prefetch_locality = 3 : i64} :
// ZEN5: tern.lm_head {{.*}} from {{.*}} as native {prefetch = 5120 : i64, prefetch_locality = 3 : i64} :
// AVX2-LABEL: func.func @batch_head
// AVX2: tern.lm_head {{.*}} as native {prefetch = 5120 : i64, tile = array<i64: 1, 2>}
// NEON-LABEL: func.func @batch_head
// NEON: tern.lm_head {{.*}} as native {tile = array<i64: 1, 2>}
// SVE-LABEL: func.func @batch_head
// SVE: tern.lm_head {{.*}} as native {tile = array<i64: 1, 2>}
// NONE-LABEL: func.func @batch_head
// NONE: tern.lm_head {{.*}} as native {prefetch = 5120 : i64, tile = array<i64: 1, 1>}
func.func @batch_head(%x8: tensor<8x256xf32>, %x2: tensor<2x256xf32>, %emb: tensor<64x256xf16>,
                      %c: tensor<64x256xi8>, %s: tensor<64x1xf32>, %l8: memref<8x64xf32>,
                      %l2: memref<2x64xf32>, %first: index) {
  tern.lm_head %x8, %emb into %l8 as native : tensor<8x256xf32>, tensor<64x256xf16> into memref<8x64xf32>
  tern.lm_head %x2, %c, %s into %l2 as int8 : tensor<2x256xf32>, tensor<64x256xi8>, tensor<64x1xf32> into memref<2x64xf32>
  tern.lm_head %x8, %emb into %l8 from %first as native : tensor<8x256xf32>, tensor<64x256xf16> into memref<8x64xf32>
  return
}

// Decode attention (one row) in stages from 128 positions by default, or
// the option's count; prefill attention (several rows) and a value already
// set are left as they are; 0: never. Every attention op's value cache in
// panels of 32 lanes (tern-select-kernels-value-panel.mlir).
// ZEN4-LABEL: func.func @attention
// ZEN4: tern.attention {{.*}} {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, staged_from = 128 : i64, value_panel = 32 : i64}
// ZEN4: tern.attention {{.*}} {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, value_panel = 32 : i64} :
// ZEN4: tern.attention {{.*}} staged_from = 16 : i64, value_panel = 32 : i64}
// NEON-LABEL: func.func @attention
// NEON: tern.attention {{.*}} staged_from = 128 : i64, value_panel = 32 : i64}
// STAGED512-LABEL: func.func @attention
// STAGED512: tern.attention {{.*}} staged_from = 512 : i64, value_panel = 32 : i64}
// STAGED512: tern.attention {{.*}} num_kv_heads = 2 : i64, value_panel = 32 : i64} :
// STAGED512: tern.attention {{.*}} staged_from = 16 : i64, value_panel = 32 : i64}
// UNSTAGED-LABEL: func.func @attention
// UNSTAGED: tern.attention {{.*}} num_kv_heads = 2 : i64, value_panel = 32 : i64} :
// UNSTAGED: tern.attention {{.*}} num_kv_heads = 2 : i64, value_panel = 32 : i64} :
// UNSTAGED: tern.attention {{.*}} staged_from = 16 : i64, value_panel = 32 : i64}
// STAGEDBAD: attention-staged-from: -1 positions is negative (0: never)
func.func @attention(%q: tensor<1x128xf32>, %k: tensor<1x64xf32>, %v: tensor<1x64xf32>,
                     %q4: tensor<4x128xf32>, %k4: tensor<4x64xf32>, %v4: tensor<4x64xf32>,
                     %kc: memref<2x16x64xf32>, %vc: memref<2x16x64xf32>, %p: index) {
  %a = tern.attention %q, %k, %v into %kc, %vc at %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x128xf32>, tensor<1x64xf32>, tensor<1x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32> -> tensor<1x128xf32>
  %b = tern.attention %q4, %k4, %v4 into %kc, %vc at %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<4x128xf32>, tensor<4x64xf32>, tensor<4x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32> -> tensor<4x128xf32>
  %c = tern.attention %q, %k, %v into %kc, %vc at %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, staged_from = 16 : i64} : tensor<1x128xf32>, tensor<1x64xf32>, tensor<1x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32> -> tensor<1x128xf32>
  return
}
