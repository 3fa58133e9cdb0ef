// RUN: tern-opt %s --split-input-file --tern-generate-kernels | FileCheck %s

// vnni512x on i2x16 (2 groups of 16 columns, K = 256: 16 chunks of 64
// bytes per group), a 2x2 prefill tile: the weights as one flat byte
// stream, the row sums first, then per chunk each group's 64 bytes loaded
// once, each bit position shifted down (the top one needs no mask) and
// masked, 4 activations of each row broadcast to every lane, one vpdpbusd
// per (row, group); after the loop each accumulator minus its row's sum is
// stored as a whole vector of 16 columns: no lane sums.
// CHECK-LABEL: func.func private @lane_prefill(
// CHECK-SAME: %[[A:[^:]*]]: memref<2x256xi8>, %[[W:[^:]*]]: memref<32x64xi8>, %[[O:[^:]*]]: memref<2x32xi32>
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[W]] {{\[\[}}0, 1]] : memref<32x64xi8> into memref<2048xi8>
// CHECK: %[[S0:.*]] = vector.reduction <add>
// CHECK: %[[S1:.*]] = vector.reduction <add>
// CHECK: scf.for %[[G:.*]] = %{{.*}} to %{{.*}} step %c2
// CHECK: %[[ACC:.*]]:4 = scf.for %[[C:.*]] = %{{.*}} to %c16 step %c1{{.*}} iter_args
// CHECK: %[[B0:.*]] = vector.load %[[FLAT]][%{{.*}}] : memref<2048xi8>, vector<64xi8>
// CHECK: %[[B1:.*]] = vector.load %[[FLAT]][%{{.*}}] : memref<2048xi8>, vector<64xi8>
// CHECK: %[[TOP:.*]] = arith.shrui %[[B0]], %{{.*}} : vector<64xi8>
// CHECK-NOT: arith.andi %[[TOP]]
// CHECK: %[[Q:.*]] = vector.load %[[A]][%{{.*}}, %{{.*}}] : memref<2x256xi8>, vector<4xi8>
// CHECK: %[[Q32:.*]] = vector.bitcast %[[Q]] : vector<4xi8> to vector<1xi32>
// CHECK: %[[E:.*]] = vector.extract %[[Q32]][0]
// CHECK: %[[BC:.*]] = vector.broadcast %[[E]] : i32 to vector<16xi32>
// CHECK: %[[X:.*]] = vector.bitcast %[[BC]] : vector<16xi32> to vector<64xi8>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[TOP]], %[[X]])
// CHECK-COUNT-3: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: arith.shrui %[[B0]]
// CHECK: arith.andi
// CHECK-COUNT-12: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT: llvm.call_intrinsic
// CHECK: scf.yield
// CHECK: %[[R0:.*]] = vector.broadcast %[[S0]] : i32 to vector<16xi32>
// CHECK: %[[D0:.*]] = arith.subi %[[ACC]]#0, %[[R0]] : vector<16xi32>
// CHECK: vector.store %[[D0]], %[[O]][%{{.*}}, %{{.*}}] : memref<2x32xi32>, vector<16xi32>
// CHECK-COUNT-3: vector.store
// CHECK-NOT: vector.reduction
// CHECK: return
func.func private @lane_prefill(memref<2x256xi8>, memref<32x64xi8>, memref<2x32xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnni512x", i2x16, block = 256, tile = [2, 2]>}

// -----

// Decode (one row), 2 groups, prefetching 128 bytes ahead: each position
// masked in place (bytes & (3 << shift), no shift) into accumulators of
// its own per group, two chains each taking alternate chunks (16 in all),
// 4 chunks per loop step; each weight load prefetches 128 bytes on in its
// group or, past the group's end, in the group after the tile (2 groups
// on: + 1024), at most the last chunk (2048 - 64); after the loop each
// position's two chains added, shifted right by its shift (6, 4, 2), and
// the positions added.
// CHECK-LABEL: func.func private @lane_decode(
// CHECK: %[[FLAT:.*]] = memref.collapse_shape
// CHECK: %[[ACC:.*]]:16 = scf.for %{{.*}} = %{{.*}} to %c16 step %c4 iter_args
// CHECK: %[[B:.*]] = vector.load %[[FLAT]]
// CHECK: %[[PAST:.*]] = arith.cmpi uge, %{{.*}}, %c1024
// CHECK: arith.select %[[PAST]], %c1024{{.*}}, %c0
// CHECK: %[[AT:.*]] = arith.minui %{{.*}}, %c1984
// CHECK: memref.prefetch %[[FLAT]][%[[AT]]], read, locality<1>, data
// CHECK: arith.constant dense<-64> : vector<64xi8>
// CHECK-NOT: arith.shrui
// CHECK: arith.andi %[[B]]
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK: scf.yield
// CHECK: %[[P0:.*]] = arith.addi %[[ACC]]#0, %[[ACC]]#4 : vector<16xi32>
// CHECK: arith.shrsi %[[P0]], %{{.*}} : vector<16xi32>
// CHECK: arith.addi %[[ACC]]#1, %[[ACC]]#5
// CHECK: arith.shrsi
// CHECK: arith.addi %[[ACC]]#2, %[[ACC]]#6
// CHECK: arith.shrsi
// CHECK: %[[P3:.*]] = arith.addi %[[ACC]]#3, %[[ACC]]#7
// CHECK-NOT: arith.shrsi %[[P3]]
// CHECK: vector.store
// CHECK: arith.addi %[[ACC]]#8, %[[ACC]]#12
// CHECK: vector.store
func.func private @lane_decode(memref<1x256xi8>, memref<32x64xi8>, memref<1x32xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnni512x", i2x16, block = 256, tile = [1, 2], prefetch = 128>}

// -----

// vnnix: 256-bit vectors take each 64-byte chunk in two halves of 8
// columns (rows 0-7 at the chunk's byte 0, rows 8-15 at byte 32), both
// multiplied by the same broadcast activations; a 2x1 tile keeps 4
// accumulators (2 rows x 2 halves) and stores each as 8 columns, the
// second half at column 8.
// CHECK-LABEL: func.func private @lane_prefill_256(
// CHECK-SAME: %[[A:[^:]*]]: memref<2x256xi8>, %[[W:[^:]*]]: memref<16x64xi8>, %[[O:[^:]*]]: memref<2x16xi32>
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[W]] {{\[\[}}0, 1]] : memref<16x64xi8> into memref<1024xi8>
// CHECK: %[[ACC:.*]]:4 = scf.for %[[C:.*]] = %{{.*}} to %c16 step %c1{{.*}} iter_args
// CHECK: %[[AT:.*]] = arith.muli %[[C]], %c64
// CHECK: %[[L0:.*]] = arith.addi %{{.*}}, %[[AT]]
// CHECK: %[[H0:.*]] = vector.load %[[FLAT]][%[[L0]]] : memref<1024xi8>, vector<32xi8>
// CHECK: %[[AT1:.*]] = arith.addi %[[AT]], %c32
// CHECK: %[[L1:.*]] = arith.addi %{{.*}}, %[[AT1]]
// CHECK: %[[H1:.*]] = vector.load %[[FLAT]][%[[L1]]] : memref<1024xi8>, vector<32xi8>
// CHECK: %[[T0:.*]] = arith.shrui %[[H0]], %{{.*}} : vector<32xi8>
// CHECK: %[[T1:.*]] = arith.shrui %[[H1]], %{{.*}} : vector<32xi8>
// CHECK: %[[BC:.*]] = vector.broadcast %{{.*}} : i32 to vector<8xi32>
// CHECK: %[[X:.*]] = vector.bitcast %[[BC]] : vector<8xi32> to vector<32xi8>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%{{.*}}, %[[T0]], %[[X]])
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%{{.*}}, %[[T1]], %[[X]])
// CHECK-COUNT-14: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// CHECK-NOT: llvm.call_intrinsic
// CHECK: scf.yield
// CHECK: %[[D0:.*]] = arith.subi %[[ACC]]#0, %{{.*}} : vector<8xi32>
// CHECK: vector.store %[[D0]], %[[O]][%{{.*}}, %{{.*}}] : memref<2x16xi32>, vector<8xi32>
// CHECK: %[[D1:.*]] = arith.subi %[[ACC]]#1, %{{.*}} : vector<8xi32>
// CHECK: %[[COL8:.*]] = arith.addi %{{.*}}, %c8
// CHECK: vector.store %[[D1]], %[[O]][%{{.*}}, %[[COL8]]] : memref<2x16xi32>, vector<8xi32>
// CHECK-COUNT-2: vector.store
// CHECK-NOT: vector.reduction
// CHECK: return
func.func private @lane_prefill_256(memref<2x256xi8>, memref<16x64xi8>, memref<2x16xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnnix", i2x16, block = 256, tile = [2, 1]>}
