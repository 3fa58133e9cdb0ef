// RUN: tern-opt %s --convert-tern-network-to-vector | FileCheck %s

// A screened decode head: the int8 head over every row (a tern.parallel
// call), then one serial call that computes |x| (the head's 32-lane dot of
// x with itself) and max|x|, the row p with the best lower bound a - B
// (B = (bounds[v, 0] |x| + bounds[v, 1] max|x|) + |a| 2^-20), p's native
// logit T, and for each other row whose upper bound a + B reaches T (every
// row where |x| is below 2^-60 or not finite) the native logit, through the
// same dot product as the native head.
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
// CHECK: %[[BEST:.*]]:2 = scf.for %[[V:.*]] = {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}, %[[ACCROW:.*]] = %{{.*}}) -> (f32, index)
// CHECK: %[[A:.*]] = memref.load %[[L]]
// CHECK: %[[C:.*]] = memref.load %[[B]][%[[V]], %c0{{.*}}]
// CHECK: %[[CN:.*]] = arith.mulf %[[C]], %[[N]] : f32
// CHECK: %[[R:.*]] = memref.load %[[B]][%[[V]], %c1{{.*}}]
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
