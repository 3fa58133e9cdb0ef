// RUN: tern-opt %s --convert-tern-network-to-vector | FileCheck %s

// int8 of f32 token rows, the screened head's scan (runtime/model/
// HeadFormat.h, quantizeScreenRow and screenScanLogit): the op quantizes
// each token row to 15 bits itself, u = 128 d1 + d0, and sums the codes
// times each digit in integers.
// CHECK-LABEL: func @scan
// CHECK: call @tern_head_int8_i8_r1_h672_v100_pf1344_vnni512(%{{.*}}, %{{.*}}, %{{.*}}, %arg3, %{{.*}}, %{{.*}}) {tern.block = 193 : i64, tern.parallel = 8 : i64} : (memref<1x672xf32>, memref<100x672xi8>, memref<100x1xf32>, memref<100xf32>, index, index) -> ()
func.func @scan(%x: tensor<1x672xf32>, %c: tensor<100x672xi8>, %s: tensor<100x1xf32>, %logits: memref<100xf32>) {
  tern.lm_head %x, %c, %s into %logits as int8 {dot = "vnni512", prefetch = 1344 : i64} : tensor<1x672xf32>, tensor<100x672xi8>, tensor<100x1xf32> into memref<100xf32>
  return
}

// CHECK-LABEL: func @scan_signed
// CHECK: call @tern_head_int8_i8_r3_h64_v100_from_avx2(
func.func @scan_signed(%x: tensor<3x64xf32>, %c: tensor<100x64xi8>, %s: tensor<100x1xf32>, %logits: memref<3x100xf32>, %first: index) {
  tern.lm_head %x, %c, %s into %logits from %first as int8 {dot = "avx2"} : tensor<3x64xf32>, tensor<100x64xi8>, tensor<100x1xf32> into memref<3x100xf32>
  return
}

// vpdpbusd multiplies whole unsigned bytes (quadDotFullBytes): offset
// codes. Per call: two digit rows aligned to 64 bytes, the digit sums, xs.
// CHECK-LABEL: func.func private @tern_head_int8_i8_r1_h672_v100_pf1344_vnni512(
// CHECK: %[[D0:.*]] = memref.alloca() {alignment = 64 : i64} : memref<1x672xi8>
// CHECK: %[[D1:.*]] = memref.alloca() {alignment = 64 : i64} : memref<1x672xi8>
// CHECK: %[[SUMS:.*]] = memref.alloca() : memref<1x2xi32>
// CHECK: %[[XS:.*]] = memref.alloca() : memref<1xf32>
// xs = K / max|x| (1 for a zero row).
// CHECK: vector.reduction <maxnumf>
// CHECK: %[[M:.*]] = arith.maxnumf %{{.*}}, %cst : f32
// CHECK: %[[POS:.*]] = arith.cmpf ogt, %[[M]]
// CHECK: %[[Q:.*]] = arith.divf %{{.*}}, %[[M]] : f32
// CHECK: %[[S:.*]] = arith.select %[[POS]], %[[Q]]
// CHECK: memref.store %[[S]], %[[XS]]
// |u| = min(max(roundeven(|x| xs), 0), K), signed; balanced digits
// d0 = ((u + 64) & 127) - 64, d1 = (u - d0) >> 7, their sums kept.
// CHECK: %[[R:.*]] = math.roundeven %{{.*}} : vector<64xf32>
// CHECK: %[[LO:.*]] = arith.maxnumf %[[R]], %{{.*}} : vector<64xf32>
// CHECK: arith.minnumf %[[LO]], %{{.*}} : vector<64xf32>
// CHECK: arith.fptosi
// CHECK: arith.cmpf olt
// CHECK: %[[AND:.*]] = arith.andi %{{.*}} : vector<64xi32>
// CHECK: %[[DIG0:.*]] = arith.subi %[[AND]], %{{.*}} : vector<64xi32>
// CHECK: %[[DIFF:.*]] = arith.subi %{{.*}}, %[[DIG0]] : vector<64xi32>
// CHECK: %[[DIG1:.*]] = arith.shrsi %[[DIFF]], %{{.*}} : vector<64xi32>
// CHECK: vector.reduction <add>, %[[DIG0]] : vector<64xi32> into i32
// CHECK: vector.reduction <add>, %[[DIG1]] : vector<64xi32> into i32
// CHECK: vector.store %{{.*}}, %[[D0]]
// CHECK: vector.store %{{.*}}, %[[D1]]
// Per vocabulary row, steps of 256 columns into 4 accumulators per digit:
// the codes loaded once, xor 0x80, one multiply-add per digit.
// CHECK: scf.for %[[ROW:.*]] = %arg4 to %arg5
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c512 step %c256 iter_args({{.*}}) -> (vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>)
// CHECK: memref.prefetch %arg1
// CHECK: %[[W:.*]] = vector.load %arg1[%[[ROW]], %{{.*}}] : memref<100x672xi8>, vector<64xi8>
// CHECK: %[[OW:.*]] = arith.xori %[[W]], %{{.*}} : vector<64xi8>
// CHECK: %[[X0:.*]] = vector.load %[[D0]]
// CHECK: func.call @tern_quad_dot_vnni512(%{{.*}}, %[[OW]], %[[X0]])
// CHECK: %[[X1:.*]] = vector.load %[[D1]]
// CHECK: func.call @tern_quad_dot_vnni512(%{{.*}}, %[[OW]], %[[X1]])
// CHECK-COUNT-6: func.call @tern_quad_dot_vnni512(
// CHECK: scf.yield
// Two whole chunks, then the 32 columns left widened, then 128 D taken
// back per digit; joined in i64 as 128 S1 + S0, to f32, times the scale,
// times 1 / xs.
// CHECK-COUNT-4: func.call @tern_quad_dot_vnni512(
// CHECK: arith.muli %{{.*}} : vector<32xi32>
// CHECK: %[[D0SUM:.*]] = memref.load %[[SUMS]]
// CHECK: %[[SH:.*]] = arith.shli %[[D0SUM]], %{{.*}} : i32
// CHECK: %[[S0:.*]] = arith.subi %{{.*}}, %[[SH]] : i32
// CHECK: arith.muli %{{.*}} : vector<32xi32>
// CHECK: %[[S1:.*]] = arith.subi %{{.*}}, %{{.*}} : i32
// CHECK-DAG: %[[W1:.*]] = arith.extsi %[[S1]] : i32 to i64
// CHECK-DAG: %[[W0:.*]] = arith.extsi %[[S0]] : i32 to i64
// CHECK: %[[HI:.*]] = arith.shli %[[W1]], %{{.*}} : i64
// CHECK: %[[J:.*]] = arith.addi %[[HI]], %[[W0]] : i64
// CHECK: %[[F:.*]] = arith.sitofp %[[J]] : i64 to f32
// CHECK: %[[SCALE:.*]] = memref.load %arg2[%[[ROW]], %c0{{.*}}] : memref<100x1xf32>
// CHECK: %[[FS:.*]] = arith.mulf %[[F]], %[[SCALE]] : f32
// CHECK: arith.mulf %[[FS]], %{{.*}} : f32
// CHECK: memref.store {{.*}} : memref<100xf32>
// Elsewhere (vpmaddubsw takes unsigned bytes up to 127): digits of |u| and
// a sign mask; the codes signed by the mask, |u|'s digits unsigned.
// CHECK-LABEL: func.func private @tern_head_int8_i8_r3_h64_v100_from_avx2(
// CHECK: %[[A0:.*]] = memref.alloca() {alignment = 64 : i64} : memref<3x64xi8>
// CHECK: %[[A1:.*]] = memref.alloca() {alignment = 64 : i64} : memref<3x64xi8>
// CHECK: %[[SIGN:.*]] = memref.alloca() {alignment = 64 : i64} : memref<3x64xi8>
// CHECK: arith.andi %{{.*}} : vector<64xi32>
// CHECK: arith.shrui %{{.*}} : vector<64xi32>
// CHECK: vector.store %{{.*}}, %[[SIGN]]
// CHECK: %[[CW:.*]] = vector.load %arg1
// CHECK: %[[MASK:.*]] = vector.load %[[SIGN]]
// CHECK: %[[XM:.*]] = arith.xori %[[CW]], %[[MASK]] : vector<64xi8>
// CHECK: %[[SW:.*]] = arith.subi %[[XM]], %[[MASK]] : vector<64xi8>
// CHECK: vector.load %[[A0]]
// CHECK: func.call @tern_quad_dot_avx2(
// CHECK-NOT: memref.load %{{.*}} : memref<3x2xi32>
// CHECK: arith.sitofp %{{.*}} : i64 to f32
