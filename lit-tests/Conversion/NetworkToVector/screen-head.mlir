// RUN: tern-opt %s --convert-tern-network-to-vector | FileCheck %s

// A screened decode head: the int8 head over every row (a tern.parallel
// call), then one call on the calling thread that computes |x| (the head's
// 32-lane dot of x with itself) and max|x|, the row p with the best lower
// bound a - B (B = (bounds[v, 0] |x| + bounds[v, 1] max|x|) + |a| 2^-20;
// 16 rows a vector step, then the rows past the last whole block), p's
// native logit T, and for each other row whose upper bound a + B reaches T
// (every row where |x| is below 2^-60 or not finite) the native logit,
// through the same dot product as the native head; a block of 16 rows
// without such a row is passed over in one step.
// CHECK-LABEL: func @screened
// CHECK: call @tern_head_int8_i8_r1_h64_v100({{.*}}) {tern.block = 1927 : i64, tern.parallel = 8 : i64}
// CHECK: call @tern_screen_head_f16_h64_v100(%{{.*}}, %{{.*}}, %{{.*}}, %arg5) : (memref<1x64xf32>, memref<100x64xf16>, memref<100x2xf32>, memref<100xf32>) -> ()
// CHECK-NOT: tern.parallel
// CHECK: func.func private @tern_screen_head_f16_h64_v100(%[[X:.*]]: memref<1x64xf32>, %[[W:.*]]: memref<100x64xf16>, %[[B:.*]]: memref<100x2xf32>, %[[L:.*]]: memref<100xf32>)
// CHECK: scf.for {{.*}} step %c32 iter_args({{.*}}) -> (vector<32xf32>)
// CHECK: %[[N:.*]] = math.sqrt
// CHECK: %[[LANES:.*]] = scf.for {{.*}} step %c8 iter_args(%[[MAX8:.*]] = %{{.*}}) -> (vector<8xf32>)
// CHECK: %[[XABS:.*]] = math.absf %{{.*}} : vector<8xf32>
// CHECK: arith.maxnumf %[[MAX8]], %[[XABS]] : vector<8xf32>
// CHECK: %[[MX:.*]] = vector.reduction <maxnumf>, %[[LANES]] : vector<8xf32> into f32
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[B]] {{\[\[}}0, 1]] : memref<100x2xf32> into memref<200xf32>
// The 96 rows of whole blocks of 16: per lane the best lower bound and
// the first row with it, in the same operations as one row at a time.
// CHECK: %[[BLOCKS:.*]]:2 = scf.for %[[BV:.*]] = %{{.*}} to %c96 step %c16 iter_args(%[[BL:.*]] = %{{.*}}, %[[BR:.*]] = %{{.*}}) -> (vector<16xf32>, vector<16xi32>)
// CHECK: %[[A16:.*]] = vector.load %[[L]][%[[BV]]] : memref<100xf32>, vector<16xf32>
// CHECK: %[[PAIRS:.*]] = vector.load %[[FLAT]][%{{.*}}] : memref<200xf32>, vector<32xf32>
// CHECK: %[[C16:.*]] = vector.shuffle %[[PAIRS]], %[[PAIRS]] [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]
// CHECK: %[[R16:.*]] = vector.shuffle %[[PAIRS]], %[[PAIRS]] [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31]
// CHECK: %[[N16:.*]] = vector.broadcast %[[N]] : f32 to vector<16xf32>
// CHECK: %[[CN16:.*]] = arith.mulf %[[C16]], %[[N16]] : vector<16xf32>
// CHECK: %[[MX16:.*]] = vector.broadcast %[[MX]] : f32 to vector<16xf32>
// CHECK: %[[RM16:.*]] = arith.mulf %[[R16]], %[[MX16]] : vector<16xf32>
// CHECK: %[[CR16:.*]] = arith.addf %[[CN16]], %[[RM16]] : vector<16xf32>
// CHECK: %[[ABS16:.*]] = math.absf %[[A16]] : vector<16xf32>
// CHECK: %[[REL16:.*]] = arith.mulf %[[ABS16]], %{{.*}} : vector<16xf32>
// CHECK: %[[M16:.*]] = arith.addf %[[CR16]], %[[REL16]] : vector<16xf32>
// CHECK: %[[LOW16:.*]] = arith.subf %[[A16]], %[[M16]] : vector<16xf32>
// CHECK: %[[GT16:.*]] = arith.cmpf ogt, %[[LOW16]], %[[BL]] : vector<16xf32>
// CHECK: arith.select %[[GT16]], %[[LOW16]], %[[BL]] : vector<16xi1>, vector<16xf32>
// CHECK: arith.select %[[GT16]], %{{.*}}, %[[BR]] : vector<16xi1>, vector<16xi32>
// The best lane's value, then the smallest row among the lanes that hold
// it: the first of equals.
// CHECK: %[[TOP:.*]] = vector.reduction <maximumf>, %[[BLOCKS]]#0 : vector<16xf32> into f32
// CHECK: %[[ATTOP:.*]] = arith.cmpf oeq, %[[BLOCKS]]#0, %{{.*}} : vector<16xf32>
// CHECK: %[[PICK:.*]] = arith.select %[[ATTOP]], %[[BLOCKS]]#1, %{{.*}} : vector<16xi1>, vector<16xi32>
// CHECK: %[[FIRST:.*]] = vector.reduction <minsi>, %[[PICK]] : vector<16xi32> into i32
// CHECK: %[[FIRSTROW:.*]] = arith.index_cast %[[FIRST]] : i32 to index
// Rows 96..99 one at a time, from there.
// CHECK: %[[BEST:.*]]:2 = scf.for %[[V:.*]] = %c96{{.*}} to %c100 step %c1 iter_args(%[[ACC:.*]] = %[[TOP]], %[[ACCROW:.*]] = %[[FIRSTROW]]) -> (f32, index)
// CHECK: %[[A:.*]] = memref.load %[[L]]
// CHECK: %[[C:.*]] = memref.load %[[B]][%[[V]], %c0{{.*}}]
// CHECK: %[[R:.*]] = memref.load %[[B]][%[[V]], %c1{{.*}}]
// CHECK: %[[CN:.*]] = arith.mulf %[[C]], %[[N]] : f32
// CHECK: %[[RM:.*]] = arith.mulf %[[R]], %[[MX]] : f32
// CHECK: %[[CR:.*]] = arith.addf %[[CN]], %[[RM]] : f32
// CHECK: %[[ABS:.*]] = math.absf %[[A]] : f32
// CHECK: %[[REL:.*]] = arith.mulf %[[ABS]], %{{.*}} : f32
// CHECK: %[[M:.*]] = arith.addf %[[CR]], %[[REL]] : f32
// CHECK: %[[LOW:.*]] = arith.subf %[[A]], %[[M]] : f32
// CHECK: %[[GT:.*]] = arith.cmpf ogt, %[[LOW]], %[[ACC]] : f32
// CHECK: arith.select %[[GT]], %[[LOW]], %[[ACC]] : f32
// CHECK: arith.select %[[GT]], %[[V]], %[[ACCROW]] : index
// p's native logit is the threshold T, stored as p's logit.
// CHECK: scf.for {{.*}} step %c32{{.*}} iter_args({{.*}}) -> (vector<32xf32>)
// CHECK: vector.load %[[W]][%[[BEST]]#1, %{{.*}}] : memref<100x64xf16>, vector<32xf16>
// CHECK: memref.store %[[T:.*]], %[[L]][%[[BEST]]#1] : memref<100xf32>
// A norm the bounds hold for: at least 2^-60 and finite; otherwise every
// row is a candidate.
// CHECK-DAG: %[[FINITE:.*]] = arith.cmpf olt, %[[N]], %{{.*}} : f32
// CHECK-DAG: %[[NOTTINY:.*]] = arith.cmpf oge, %[[N]], %{{.*}} : f32
// CHECK: %[[HELD:.*]] = arith.andi %[[NOTTINY]], %[[FINITE]] : i1
// The rows that reach it are listed, 256 at a time (a scan that stops at
// the end or when the list is full), then recomputed in list order, each
// row's loads prefetching the same bytes of the next listed row.
// CHECK: %[[LIST:.*]] = memref.alloca() : memref<256xindex>
// CHECK: scf.while (%[[START:.*]] = %{{.*}}) : (index) -> index
// CHECK: arith.cmpi ult, %[[START]], %c100
// CHECK: %[[SCAN:.*]]:2 = scf.while (%[[ROW:.*]] = %{{.*}}, %[[LISTED:.*]] = %{{.*}}) : (index, index) -> (index, index)
// CHECK: arith.cmpi ult, %[[LISTED]], %c256
// CHECK: arith.cmpi ult, %[[ROW]], %c100
// CHECK: arith.andi
// CHECK: ^bb0(%[[R:.*]]: index, %[[N:.*]]: index):
// A row at the start of a whole block (a multiple of 16 below 96): the
// block is passed over where none of its rows is a candidate.
// CHECK: %[[MOD:.*]] = arith.remui %[[R]], %c16
// CHECK: %[[ALIGNED:.*]] = arith.cmpi eq, %[[MOD]], %c0
// CHECK: %[[INBLOCKS:.*]] = arith.cmpi ult, %[[R]], %c96
// CHECK: %[[WHOLE:.*]] = arith.andi %[[ALIGNED]], %[[INBLOCKS]] : i1
// CHECK: %[[PASS:.*]] = scf.if %[[WHOLE]] -> (i1) {
// CHECK: %[[AB:.*]] = vector.load %[[L]][%[[R]]] : memref<100xf32>, vector<16xf32>
// CHECK: %[[HIGHB:.*]] = arith.addf %[[AB]], %{{.*}} : vector<16xf32>
// CHECK: %[[OTHERB:.*]] = arith.cmpi ne, %{{.*}}, %{{.*}} : vector<16xi32>
// CHECK: %[[REACHB:.*]] = arith.cmpf oge, %[[HIGHB]], %{{.*}} : vector<16xf32>
// CHECK: %[[RULEB:.*]] = arith.andi %[[OTHERB]], %[[REACHB]] : vector<16xi1>
// CHECK: %[[ANY:.*]] = vector.reduction <or>, %[[RULEB]] : vector<16xi1> into i1
// CHECK: %[[NOTHELD:.*]] = arith.xori %[[HELD]], %true
// CHECK: %[[SOME:.*]] = arith.ori %[[ANY]], %[[NOTHELD]] : i1
// CHECK: %[[NONE:.*]] = arith.xori %[[SOME]], %true
// CHECK: scf.yield %[[NONE]] : i1
// CHECK: } else {
// CHECK: scf.yield %false : i1
// CHECK: %[[STEP:.*]]:2 = scf.if %[[PASS]] -> (index, index) {
// CHECK: %[[PAST:.*]] = arith.addi %[[R]], %c16
// CHECK: scf.yield %[[PAST]], %[[N]] : index, index
// CHECK: } else {
// CHECK: memref.store %[[R]], %[[LIST]][%[[N]]]
// CHECK: %[[N1:.*]] = arith.addi %[[N]], %c1
// CHECK: %[[A2:.*]] = memref.load %[[L]][%[[R]]]
// CHECK: %[[CR2:.*]] = arith.addf
// CHECK: %[[M2:.*]] = arith.addf %[[CR2]], %{{.*}} : f32
// CHECK: %[[HIGH:.*]] = arith.addf %[[A2]], %[[M2]] : f32
// CHECK-DAG: %[[OTHER:.*]] = arith.cmpi ne, %[[R]], %[[BEST]]#1 : index
// CHECK-DAG: %[[REACHES:.*]] = arith.cmpf oge, %[[HIGH]], %[[T]] : f32
// CHECK: %[[RULE:.*]] = arith.andi %[[OTHER]], %[[REACHES]] : i1
// CHECK: %[[IN:.*]] = arith.select %[[HELD]], %[[RULE]], %true : i1
// CHECK: arith.select %[[IN]], %[[N1]], %[[N]] : index
// CHECK: scf.yield %[[STEP]]#0, %[[STEP]]#1 : index, index
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %[[SCAN]]#1
// CHECK: %[[THIS:.*]] = memref.load %[[LIST]][%[[I]]]
// CHECK: %[[NEXT:.*]] = memref.load %[[LIST]][
// CHECK: memref.prefetch %[[W]][%[[NEXT]], %{{.*}}], read, locality<3>, data
// CHECK: vector.load %[[W]][%[[THIS]], %{{.*}}] : memref<100x64xf16>, vector<32xf16>
// CHECK: arith.extf {{.*}} : vector<32xf16> to vector<32xf32>
// CHECK: memref.store %{{.*}}, %[[L]][%[[THIS]]] : memref<100xf32>
// CHECK: scf.yield %[[SCAN]]#0
func.func @screened(%x: tensor<1x64xf32>, %c: tensor<100x64xi8>, %s: tensor<100x1xf32>,
                    %w: tensor<100x64xf16>, %b: tensor<100x2xf32>, %logits: memref<100xf32>) {
  tern.lm_head %x, %c, %s into %logits as int8 : tensor<1x64xf32>, tensor<100x64xi8>, tensor<100x1xf32> into memref<100xf32>
  tern.screen_head %x, %w, %b into %logits : tensor<1x64xf32>, tensor<100x64xf16>, tensor<100x2xf32> into memref<100xf32>
  return
}
