// RUN: tern-opt %s --tern-generate-kernels | FileCheck %s
// RUN: tern-opt %s --tern-generate-kernels --convert-scf-to-cf --convert-to-llvm | FileCheck %s --check-prefix=LLVM

// The amx family on 20 activation rows (a row tile of 16 and one of 4) and
// tile [2, 1] (both row tiles against 16 columns at a time), K = 256 (one
// i2 block of 4 positions of 64):
//   - the activations transposed into VNNI order in one heap buffer, seen
//     as 4-byte words by the transpose and as bytes by the tile loads, and
//     each row summed;
//   - per 16 columns (loads clamped to end - 1): two accumulators, 16 x 16
//     and 16 x 4; per block, each column's 64 bytes decoded into the 4
//     positions' codes in a stack buffer, then per position one A tile of
//     codes and, per row tile, one B tile (16 x 64 bytes, 16 x 16 for the
//     4 rows) into tdpbusd (codes zero-extended, activations signed);
//   - each accumulator stored to a 16 x 16 buffer, written transposed into
//     the output minus the row sums for the columns before `end`.
// CHECK-LABEL: func.func private @amx(
// CHECK-SAME: %[[A:.*]]: memref<20x256xi8>, %[[W:.*]]: memref<64x64xi8>, %[[O:.*]]: memref<20x64xi32>, %[[BEGIN:.*]]: index, %[[END:.*]]: index)
// CHECK: %[[BUF:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8192xi8>
// CHECK: %[[VNNI:.*]] = memref.view %[[BUF]][%{{.*}}][] : memref<8192xi8> to memref<2x4x16x64xi8>
// CHECK: %[[WORDS:.*]] = memref.view %[[BUF]][%{{.*}}][] : memref<8192xi8> to memref<2x4x16x16xi32>
// CHECK: %[[SUMS:.*]] = memref.alloca() : memref<20xi32>
// CHECK: %[[CODES:.*]] = memref.alloca() {alignment = 64 : i64} : memref<1x4x16x64xi8>
// CHECK: %[[C:.*]] = memref.alloca() {alignment = 64 : i64} : memref<16x16xi32>
// CHECK: scf.for %[[S:.*]] = {{.*}} {
// CHECK: vector.load %[[A]][{{.*}}] : memref<20x256xi8>, vector<64xi8>
// CHECK: vector.reduction <add>
// CHECK: vector.bitcast {{.*}} : vector<64xi8> to vector<16xi32>
// CHECK-COUNT-16: memref.store {{.*}}, %[[WORDS]][{{.*}}, %[[S]], {{.*}}] : memref<2x4x16x16xi32>
// CHECK: scf.for %[[N:.*]] = %[[BEGIN]] to %[[END]] step %{{.*}} {
// CHECK: %[[LAST:.*]] = arith.subi %[[END]], %{{.*}} : index
// CHECK: arith.minui {{.*}}, %[[LAST]] : index
// CHECK: %[[Z0:.*]] = amx.tile_zero : !amx.tile<16x16xi32>
// CHECK: %[[Z1:.*]] = amx.tile_zero : !amx.tile<16x4xi32>
// CHECK: %[[SUM:.*]]:2 = scf.for {{.*}} iter_args(%[[ACC0:.*]] = %[[Z0]], %[[ACC1:.*]] = %[[Z1]]) -> (!amx.tile<16x16xi32>, !amx.tile<16x4xi32>) {
// CHECK: vector.load %[[W]][{{.*}}] : memref<64x64xi8>, vector<64xi8>
// CHECK: arith.shrui
// CHECK: arith.andi
// CHECK: vector.store {{.*}}, %[[CODES]][{{.*}}] : memref<1x4x16x64xi8>, vector<64xi8>
// CHECK: %[[LHS:.*]] = amx.tile_load %[[CODES]][{{.*}}] : memref<1x4x16x64xi8> into !amx.tile<16x64xi8>
// CHECK: %[[RHS0:.*]] = amx.tile_load %[[VNNI]][{{.*}}] : memref<2x4x16x64xi8> into !amx.tile<16x64xi8>
// CHECK: %[[P0:.*]] = amx.tile_muli %[[LHS]] zext, %[[RHS0]], %[[ACC0]] : !amx.tile<16x64xi8>, !amx.tile<16x64xi8>, !amx.tile<16x16xi32>
// CHECK: %[[RHS1:.*]] = amx.tile_load %[[VNNI]][{{.*}}] : memref<2x4x16x64xi8> into !amx.tile<16x16xi8>
// CHECK: %[[P1:.*]] = amx.tile_muli %[[LHS]] zext, %[[RHS1]], %[[ACC1]] : !amx.tile<16x64xi8>, !amx.tile<16x16xi8>, !amx.tile<16x4xi32>
// CHECK-COUNT-3: amx.tile_muli {{.*}} : !amx.tile<16x64xi8>, !amx.tile<16x64xi8>, !amx.tile<16x16xi32>
// CHECK: scf.yield
// CHECK: amx.tile_store %[[C]][{{.*}}], %[[SUM]]#0 : memref<16x16xi32>, !amx.tile<16x16xi32>
// CHECK: %[[COL:.*]] = arith.addi %[[N]], %{{.*}} : index
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[COL]], %[[END]] : index
// CHECK: scf.if %[[IN]] {
// CHECK: %[[V:.*]] = memref.load %[[C]][{{.*}}] : memref<16x16xi32>
// CHECK: %[[RS:.*]] = memref.load %[[SUMS]][{{.*}}] : memref<20xi32>
// CHECK: %[[D:.*]] = arith.subi %[[V]], %[[RS]] : i32
// CHECK: memref.store %[[D]], %[[O]][{{.*}}, %[[COL]]] : memref<20x64xi32>
// CHECK: amx.tile_store %[[C]][{{.*}}], %[[SUM]]#1 : memref<16x16xi32>, !amx.tile<16x4xi32>
// CHECK: memref.dealloc %[[BUF]]
// LLVM-COUNT-8: llvm.call_intrinsic "llvm.x86.tdpbusd.internal"
func.func private @amx(memref<20x256xi8>, memref<64x64xi8>, memref<20x64xi32>, index, index) attributes {tern.kernel = #tern.kernel<"amx", i2, block = 256, tile = [2, 1]>}
