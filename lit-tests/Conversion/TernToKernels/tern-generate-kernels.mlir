// RUN: tern-opt %s --split-input-file --tern-generate-kernels | FileCheck %s

// A declared 1x64x256 kernel gets its body: the activation row sum, then per
// output (columns [begin, end)) two fully unrolled 128-weight blocks of 4
// vpmaddubsw each, widened by vpmaddwd, reduced, minus the row sum.
// CHECK: func.func private @avx2(%[[A:.*]]: memref<1x256xi8>, %[[W:.*]]: memref<64x64xi8>, %[[O:.*]]: memref<1x64xi32>, %[[BEGIN:.*]]: index, %[[END:.*]]: index)
// CHECK: %[[M:.*]] = arith.constant 0 : index
// CHECK-COUNT-2: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// CHECK: %[[SUM:.*]] = vector.reduction <add>
// CHECK: scf.for %[[N:.*]] = %[[BEGIN]] to %[[END]]
// CHECK: vector.load %[[W]][%[[N]], %{{.*}}] : memref<64x64xi8>, vector<32xi8>
// CHECK: arith.shrui
// CHECK: arith.andi
// CHECK: vector.load %[[A]][%[[M]], %{{.*}}] : memref<1x256xi8>, vector<32xi8>
// CHECK-COUNT-4: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// CHECK-COUNT-4: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// CHECK-NOT: llvm.call_intrinsic
// CHECK: %[[RED:.*]] = vector.reduction <add>
// CHECK: %[[RES:.*]] = arith.subi %[[RED]], %[[SUM]]
// CHECK: memref.store %[[RES]], %[[O]][%[[M]], %[[N]]]
func.func private @avx2(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"avx2", i2, block = 128, tile = [1, 1]>}

// The VNNI family: per output, 2 blocks x 4 bit positions of vpdpbusd
// straight into i32 (8 more for the row sum of 256 activations).
// CHECK: func.func private @vnni(
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// CHECK: vector.reduction <add>
// CHECK: scf.for
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// CHECK-NOT: llvm.call_intrinsic
// CHECK: arith.subi
func.func private @vnni(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnni", i2, block = 128, tile = [1, 1]>}

// The 512-bit VNNI family on weights in blocks of 256: per output, one
// 64-byte step x 4 bit positions of the 512-bit vpdpbusd into 16 i32 lanes
// (4 more for the row sum of 256 activations).
// CHECK: func.func private @vnni512(%[[VA:.*]]: memref<1x256xi8>, %[[VW:.*]]: memref<64x64xi8>,
// CHECK-COUNT-4: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"({{.*}}) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK: scf.for
// CHECK: vector.load %[[VW]]{{.*}} : memref<64x64xi8>, vector<64xi8>
// CHECK-COUNT-4: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT: llvm.call_intrinsic
// CHECK: arith.subi
func.func private @vnni512(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnni512", i2, block = 256, tile = [1, 1]>}

// The NEON dotprod family: per output, 2 blocks x 2 16-byte steps x 4 bit
// positions of sdot on signed values ((byte >> s) & 3) - 1.
// CHECK: func.func private @neon(%[[NA:.*]]: memref<1x256xi8>, %[[NW:.*]]: memref<64x64xi8>, %[[NO:.*]]: memref<1x64xi32>, %{{.*}}: index, %{{.*}}: index)
// CHECK: vector.load %[[NW]]{{.*}} : memref<64x64xi8>, vector<16xi8>
// CHECK: arith.shrui
// CHECK: arith.andi
// CHECK: arith.subi
// CHECK-COUNT-16: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
// CHECK-NOT: llvm.call_intrinsic
// CHECK: vector.reduction <add>
func.func private @neon(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"neon-dotprod", i2, block = 128, tile = [1, 1]>}

// base3v on 512-bit VNNI (block 320, 64 bytes per row): per output one
// 64-byte step whose 5 digit positions come from x = 3^j q (x + x + x) as
// (x >= 86) + (x >= 171), each a vpdpbusd with its 64 activations.
// CHECK: func.func private @base3v_vnni512(%[[BA:.*]]: memref<1x320xi8>, %[[BW:.*]]: memref<64x64xi8>,
// CHECK: scf.for
// CHECK: vector.load %[[BW]]{{.*}} : memref<64x64xi8>, vector<64xi8>
// CHECK: arith.cmpi uge, %{{.*}}, %{{.*}} : vector<64xi8>
// CHECK: arith.extui %{{.*}} : vector<64xi1> to vector<64xi8>
// CHECK-COUNT-5: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT: llvm.call_intrinsic
// CHECK: arith.subi
func.func private @base3v_vnni512(memref<1x320xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnni512", base3v, block = 320, tile = [1, 1]>}

// A decode column of one step in 4 chains (one vpdpbusd per position, each
// from zero, added after the step) and, with prefetch = 128 (rows of 64 bytes: 2
// columns ahead, the last column at most), a prefetch of the same bytes
// after each weight load. vpdpbusd multiplies unsigned bytes exactly, so
// each position's codes are its i2 bit field masked in place (bits 7-6 are
// -64 as i8), code << shift, and its chain is shifted back once at the end.
// CHECK: func.func private @vnni512_prefetch(%[[PA:.*]]: memref<1x256xi8>, %[[PW:.*]]: memref<64x64xi8>,
// CHECK: scf.for %[[PN:.*]] = %{{.*}} to %{{.*}} step
// CHECK: %[[PNEXT:.*]] = arith.addi %[[PN]], %c2 : index
// CHECK: %[[PAHEAD:.*]] = arith.minui %[[PNEXT]], %c63 : index
// CHECK: %[[PBYTES:.*]] = vector.load %[[PW]][%[[PN]], %[[PB:.*]]] : memref<64x64xi8>, vector<64xi8>
// CHECK: memref.prefetch %[[PW]][%[[PAHEAD]], %{{.*}}], read, locality<1>, data : memref<64x64xi8>
// CHECK-NOT: arith.shrui
// CHECK: %[[M0:.*]] = arith.constant dense<-64> : vector<64xi8>
// CHECK-NEXT: %[[F0:.*]] = arith.andi %[[PBYTES]], %[[M0]] : vector<64xi8>
// CHECK: arith.constant dense<48> : vector<64xi8>
// CHECK: arith.constant dense<12> : vector<64xi8>
// CHECK: arith.constant dense<3> : vector<64xi8>
// CHECK-NOT: arith.shrui
// CHECK: %[[C0:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[Z:[a-z0-9_]+]], %[[F0]], %{{.*}})
// CHECK-NEXT: %[[C1:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[Z]], %{{.*}}, %{{.*}})
// CHECK-NEXT: %[[C2:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[Z]], %{{.*}}, %{{.*}})
// CHECK-NEXT: %[[C3:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[Z]], %{{.*}}, %{{.*}})
// CHECK-NEXT: %[[K6:.*]] = arith.constant dense<6> : vector<16xi32>
// CHECK-NEXT: %[[D0:.*]] = arith.shrsi %[[C0]], %[[K6]] : vector<16xi32>
// CHECK-NEXT: %[[K4:.*]] = arith.constant dense<4> : vector<16xi32>
// CHECK-NEXT: %[[D1:.*]] = arith.shrsi %[[C1]], %[[K4]] : vector<16xi32>
// CHECK-NEXT: %[[K2:.*]] = arith.constant dense<2> : vector<16xi32>
// CHECK-NEXT: %[[D2:.*]] = arith.shrsi %[[C2]], %[[K2]] : vector<16xi32>
// CHECK-NEXT: %[[S01:.*]] = arith.addi %[[D0]], %[[D1]] : vector<16xi32>
// CHECK-NEXT: %[[S012:.*]] = arith.addi %[[S01]], %[[D2]] : vector<16xi32>
// CHECK-NEXT: %[[S:.*]] = arith.addi %[[S012]], %[[C3]] : vector<16xi32>
// CHECK-NEXT: vector.reduction <add>, %[[S]]
func.func private @vnni512_prefetch(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnni512", i2, block = 256, tile = [1, 1], prefetch = 128>}

// Over two steps (K = 512) the column runs in 8 chains: every vpdpbusd of
// both steps starts from zero, the two chains of a position are added, then
// shifted back once.
// CHECK: func.func private @vnni512_chains(
// CHECK: scf.for
// CHECK: %[[Z8:.*]] = arith.constant dense<0> : vector<16xi32>
// CHECK-COUNT-4: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[Z8]],
// CHECK-NOT: arith.addi
// CHECK: %[[C4:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[Z8]],
// CHECK-COUNT-3: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[Z8]],
// CHECK-NEXT: %[[P0:.*]] = arith.addi %{{.*}}, %[[C4]] : vector<16xi32>
// CHECK-COUNT-3: arith.addi
// CHECK-NEXT: arith.constant dense<6> : vector<16xi32>
// CHECK-NEXT: arith.shrsi %[[P0]], %{{.*}} : vector<16xi32>
// CHECK-NOT: llvm.call_intrinsic
// CHECK: vector.reduction <add>
func.func private @vnni512_chains(memref<1x512xi8>, memref<64x128xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnni512", i2, block = 256, tile = [1, 1]>}

// A decode row's first 16 activation vectors are loaded once, before the
// loop over columns (and before the row sum, which reuses them), and every
// column multiplies by them: over K = 1280 (20 vectors) the loop loads
// only the last 4.
// CHECK: func.func private @vnni512_held(%[[HA:.*]]: memref<1x1280xi8>,
// CHECK: %[[H0:.*]] = vector.load %[[HA]]
// CHECK-COUNT-15: vector.load %[[HA]]
// CHECK: scf.for
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %{{.*}}, %[[H0]])
// CHECK-COUNT-4: vector.load %[[HA]]
// CHECK-NOT: vector.load %[[HA]]
// CHECK: vector.reduction
func.func private @vnni512_held(memref<1x1280xi8>, memref<64x320xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnni512", i2, block = 256, tile = [1, 1]>}

// With `locality = 3` (the target's on AMD Zen) the same prefetches go
// into L1.
// CHECK: func.func private @vnni512_prefetch_l1(
// CHECK: memref.prefetch %{{.*}}[%{{.*}}, %{{.*}}], read, locality<3>, data : memref<64x64xi8>
func.func private @vnni512_prefetch_l1(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnni512", i2, block = 256, tile = [1, 1], prefetch = 128, locality = 3>}

// Declarations without the marker are left alone.
// CHECK: func.func private @other(memref<1x256xi8>)
func.func private @other(memref<1x256xi8>)

// -----

// A 3x4 tile on 7 rows and K = 128: a loop over the 2 whole tiles of 3
// rows, then the remaining row as a tile of its own; in each, whole tiles of
// 4 columns of [begin, end) (4 weight loads, 3 x 4 = 12 accumulators of 4
// vpdpbusd) and then the remaining columns one at a time.
// CHECK-LABEL: func.func private @tiled(
// CHECK-SAME: %[[BEGIN:[^:]*]]: index, %[[END:[^:]*]]: index)
// CHECK: scf.for %{{.*}} = %c0 to %c6 step %c3 {
// CHECK-COUNT-12: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// CHECK: %[[SPAN:.*]] = arith.subi %[[END]], %[[BEGIN]]
// CHECK: %[[MID:.*]] = arith.addi %[[BEGIN]],
// CHECK: scf.for %{{.*}} = %[[BEGIN]] to %[[MID]] step %c4
// CHECK-COUNT-4: vector.load %{{.*}} : memref<64x32xi8>, vector<32xi8>
// CHECK-COUNT-48: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// CHECK-COUNT-12: memref.store
// CHECK: scf.for %{{.*}} = %[[MID]] to %[[END]] step %c1
// CHECK-COUNT-12: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// CHECK-COUNT-3: memref.store
// CHECK: }
// CHECK: }
// CHECK-COUNT-4: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// CHECK: scf.for %{{.*}} = %[[BEGIN]] to %{{.*}} step %c4
// CHECK-COUNT-16: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// CHECK-COUNT-4: memref.store
// CHECK: scf.for
// CHECK-COUNT-4: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// CHECK-NOT: llvm.call_intrinsic
// CHECK: memref.store
// CHECK: return
func.func private @tiled(memref<7x128xi8>, memref<64x32xi8>, memref<7x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnni", i2, block = 128, tile = [3, 4]>}

// -----

// SVE: a loop stepping by the vector length (vscale x 16 bytes) over the
// 64 bytes of a row, predicated loads, 4 sdot per step on scalable vectors.
// CHECK-LABEL: func.func private @sve(
// CHECK: %[[VS:.*]] = vector.vscale
// CHECK: %[[VL:.*]] = arith.muli %[[VS]], %c16
// CHECK: scf.for %[[Q:.*]] = %c0{{.*}} to %c64 step %[[VL]] iter_args
// CHECK: %[[MASK:.*]] = vector.create_mask %{{.*}} : vector<[16]xi1>
// CHECK: vector.maskedload %{{.*}}[%{{.*}}, %[[Q]]], %[[MASK]], %{{.*}} : memref<64x64xi8>, vector<[16]xi1>, vector<[16]xi8> into vector<[16]xi8>
// CHECK-COUNT-4: llvm.call_intrinsic "llvm.aarch64.sve.sdot.nxv4i32"({{.*}}) : (vector<[4]xi32>, vector<[16]xi8>, vector<[16]xi8>) -> vector<[4]xi32>
// CHECK: scf.yield
// CHECK: vector.reduction <add>, %{{.*}} : vector<[4]xi32> into i32
func.func private @sve(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"sve", i2, block = 256, tile = [1, 1]>}

// -----

// RVV: a loop stepping by the vector length (vscale x 8 bytes) over the 64
// bytes of a row, masked loads; per position the signed ternary values and
// the activations widened to i16, multiplied, widened into i32 lanes.
// CHECK-LABEL: func.func private @rvv(
// CHECK: %[[VS:.*]] = vector.vscale
// CHECK: %[[VL:.*]] = arith.muli %[[VS]], %c8
// CHECK: scf.for %[[Q:.*]] = %c0{{.*}} to %c64 step %[[VL]] iter_args({{.*}}) -> (vector<[8]xi32>)
// CHECK: %[[MASK:.*]] = vector.create_mask %{{.*}} : vector<[8]xi1>
// CHECK: vector.maskedload %{{.*}}[%{{.*}}, %[[Q]]], %[[MASK]], %{{.*}} : memref<64x64xi8>, vector<[8]xi1>, vector<[8]xi8> into vector<[8]xi8>
// CHECK: arith.extsi {{.*}} : vector<[8]xi8> to vector<[8]xi16>
// CHECK: arith.muli {{.*}} : vector<[8]xi16>
// CHECK: arith.extsi {{.*}} : vector<[8]xi16> to vector<[8]xi32>
// CHECK: arith.addi {{.*}} : vector<[8]xi32>
// CHECK: scf.yield
// CHECK: vector.reduction <add>, %{{.*}} : vector<[8]xi32> into i32
// CHECK-NOT: llvm.call_intrinsic
func.func private @rvv(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"rvv", i2, block = 256, tile = [1, 1]>}


// -----

// A lookup-table kernel (lut2i weights, 64 rows = 2 groups of 32, K = 256):
// the activation row's table (128 pairs x 16 entries, low and high bytes),
// then per group of 32 rows, chunks of 32-byte steps: the weight bytes'
// low and high nibbles index vpshufb lookups in the two byte tables, the
// bytes interleave into 16-bit partial sums, and the 16-bit sums widen to
// 32 bits once per chunk (64 steps here: K / 2 pairs / 2 per step).
// CHECK-LABEL: func.func private @lut(
// CHECK-SAME: %[[A:.*]]: memref<1x256xi8>, %[[W:.*]]: memref<64x64xi8>, %[[O:.*]]: memref<1x64xi32>, %[[BEGIN:.*]]: index, %[[END:.*]]: index)
// CHECK: %[[FLAT:.*]] = memref.reinterpret_cast %[[W]] to offset: [0], sizes: [4096], strides: [1]
// CHECK: %[[TABLES:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x4096xi8>
// CHECK: scf.for
// CHECK: memref.load %[[A]]
// CHECK: arith.muli {{.*}} : vector<16xi16>
// CHECK: arith.shrsi {{.*}} : vector<16xi16>
// CHECK: vector.store {{.*}}, %[[TABLES]]
// CHECK: scf.for %[[G:.*]] = %[[BEGIN]] to %[[END]]
// CHECK: scf.for {{.*}} iter_args(
// CHECK: vector.load %[[FLAT]][{{.*}}] : memref<4096xi8>, vector<32xi8>
// CHECK: arith.andi
// CHECK: arith.shrui
// CHECK: vector.load %[[TABLES]]
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.pshuf.b"
// CHECK: vector.shuffle
// CHECK: vector.bitcast {{.*}} : vector<32xi8> to vector<16xi16>
// CHECK: arith.extsi {{.*}} : vector<16xi16> to vector<16xi32>
// CHECK: scf.yield
// CHECK: vector.shuffle
// CHECK: vector.store {{.*}}, %[[O]][{{.*}}] : memref<1x64xi32>, vector<8xi32>
// CHECK: memref.dealloc %[[TABLES]]
func.func private @lut(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"lut", lut2i, block = 256, tile = [1, 1]>}

// -----

// Prefill tiles loop over the reduction, one step per iteration, the
// accumulators carried: a 2x2 vnni512 tile over K = 1024 in 4 blocks of
// 256 loops over the blocks (per step 2 weight loads, 2 x 2 x 4 vpdpbusd);
// in one block of 1024, over the block's 4 steps of 64 bytes. The 2x1
// tile of the remaining column loops too; a decode column does not.
// CHECK-LABEL: func.func private @prefill_blocks(
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c4{{.*}} step %c1{{.*}} iter_args(
// CHECK-COUNT-2: vector.load %{{.*}} : memref<64x256xi8>, vector<64xi8>
// CHECK-COUNT-16: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT: llvm.call_intrinsic
// CHECK: scf.yield
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c4{{.*}} step %c1{{.*}} iter_args(
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT: llvm.call_intrinsic
// CHECK: scf.yield
// CHECK-LABEL: func.func private @prefill_one_block(
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c256{{.*}} step %c64{{.*}} iter_args(
// CHECK-COUNT-16: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-LABEL: func.func private @decode_column(
// CHECK-NOT: iter_args
// CHECK: return
func.func private @prefill_blocks(memref<2x1024xi8>, memref<64x256xi8>, memref<2x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnni512", i2, block = 256, tile = [2, 2]>}
func.func private @prefill_one_block(memref<2x1024xi8>, memref<64x256xi8>, memref<2x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnni512", i2, block = 1024, tile = [2, 2]>}
func.func private @decode_column(memref<1x1024xi8>, memref<64x256xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnni512", i2, block = 256, tile = [1, 1]>}
