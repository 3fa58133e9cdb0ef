// RUN: tern-opt %s --split-input-file --tern-outline-column-epilogues | FileCheck %s
// RUN: tern-opt %s --split-input-file --tern-outline-column-epilogues | tern-opt --split-input-file --convert-parallel-to-runtime | FileCheck %s --check-prefix=RUNTIME

#map = affine_map<(d0, d1) -> (d0, d1)>
#scale = affine_map<(d0, d1) -> (d0)>

// A residual addition of rescaled sums: the kernel and the addition run in
// one range function over the kernel's 8 units of 16 columns, the addition
// on the columns [16 begin, 16 end) of the residual, the sums and the output
// (clamped to its 128 columns); the scale is passed whole, the weight scale
// (an f32 constant) in a buffer of scalars, so that another layer's
// function with another weight scale is the same one (@residual2 calls
// it). The call keeps the kernel call's split.
// CHECK-LABEL: func.func @residual(
// CHECK-SAME: %[[A:[^:]*]]: memref<1x128xi8>, %[[W:[^:]*]]: memref<128x32xi8>, %[[X:[^:]*]]: memref<1x128xf32>, %[[S:[^:]*]]: memref<1xf32>
// CHECK: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: %[[SUMS:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x128xi32>
// CHECK: %[[Y:.*]] = memref.alloc() {alignment = 64 : i64} : memref<1x128xf32>
// CHECK: %[[SC:.*]] = memref.alloca() : memref<1xf32>
// CHECK: memref.store %[[HALF]], %[[SC]][%{{.*}}] : memref<1xf32>
// CHECK: call @residual_cols(%[[A]], %[[W]], %[[SUMS]], %[[X]], %[[S]], %[[Y]], %[[SC]], %{{.*}}, %{{.*}}) {tern.block = 4 : i64, tern.parallel = 8 : i64}
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
// CHECK-LABEL: func.func private @residual_cols(
// CHECK-SAME: %[[A:[^:]*]]: memref<1x128xi8>, %[[W:[^:]*]]: memref<128x32xi8>, %[[SUMS:[^:]*]]: memref<1x128xi32>, %[[X:[^:]*]]: memref<1x128xf32>, %[[S:[^:]*]]: memref<1xf32>, %[[Y:[^:]*]]: memref<1x128xf32>, %[[SCALARS:[^:]*]]: memref<1xf32>, %[[B:[^:]*]]: index, %[[E:[^:]*]]: index)
// CHECK: %[[BETA:.*]] = memref.load %[[SCALARS]][%{{.*}}] : memref<1xf32>
// CHECK: call @kernel_1x128x128(%[[A]], %[[W]], %[[SUMS]], %[[B]], %[[E]])
// CHECK-DAG: %[[FROM:.*]] = arith.muli %[[B]], %[[UNIT:.*]] : index
// CHECK-DAG: %[[TO:.*]] = arith.muli %[[E]], %[[UNIT]] : index
// CHECK: %[[LO:.*]] = arith.minsi
// CHECK: %[[HI:.*]] = arith.minsi
// CHECK: %[[WIDTH:.*]] = arith.subi %[[HI]], %[[LO]] : index
// CHECK: %[[LOCAL:.*]] = arith.subi %[[LO]], %{{.*}} : index
// CHECK-DAG: %[[XS:.*]] = memref.subview %[[X]][0, %[[LOCAL]]] [1, %[[WIDTH]]] [1, 1]
// CHECK-DAG: %[[SS:.*]] = memref.subview %[[SUMS]][0, %[[LO]]] [1, %[[WIDTH]]] [1, 1]
// CHECK-DAG: %[[YS:.*]] = memref.subview %[[Y]][0, %[[LOCAL]]] [1, %[[WIDTH]]] [1, 1]
// CHECK: linalg.generic {{.*}} ins(%[[XS]], %[[SS]], %[[S]] : {{.*}}) outs(%[[YS]] :
// CHECK: arith.divf %[[BETA]]
// CHECK: arith.addf
// CHECK: return
// CHECK-LABEL: func.func @residual2(
// CHECK: %[[QUARTER:.*]] = arith.constant 2.500000e-01 : f32
// CHECK: memref.store %[[QUARTER]]
// CHECK: call @residual_cols(
// CHECK-NOT: func.func private @residual{{.*}}_cols
// RUNTIME-LABEL: func.func @residual(
// RUNTIME: call @tern_parallel_for
// RUNTIME: func.func private @residual_cols_task(
func.func private @kernel_1x128x128(memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnni512x", i2x16, block = 128, tile = [1, 1]>}
func.func @residual(%a: memref<1x128xi8>, %w: memref<128x32xi8>, %x: memref<1x128xf32>, %s: memref<1xf32>) -> memref<1x128xf32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %beta = arith.constant 5.000000e-01 : f32
  %sums = memref.alloc() {alignment = 64 : i64} : memref<1x128xi32>
  call @kernel_1x128x128(%a, %w, %sums, %c0, %c8) {tern.block = 4 : i64, tern.parallel = 8 : i64} : (memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) -> ()
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x128xf32>
  linalg.generic {indexing_maps = [#map, #map, #scale, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sums, %s : memref<1x128xf32>, memref<1x128xi32>, memref<1xf32>) outs(%y : memref<1x128xf32>) {
  ^bb0(%in: f32, %acc: i32, %sc: f32, %out: f32):
    %0 = arith.divf %beta, %sc : f32
    %1 = arith.sitofp %acc : i32 to f32
    %2 = arith.mulf %1, %0 : f32
    %3 = arith.addf %in, %2 : f32
    linalg.yield %3 : f32
  }
  return %y : memref<1x128xf32>
}
func.func @residual2(%a: memref<1x128xi8>, %w: memref<128x32xi8>, %x: memref<1x128xf32>, %s: memref<1xf32>) -> memref<1x128xf32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %beta = arith.constant 2.500000e-01 : f32
  %sums = memref.alloc() {alignment = 64 : i64} : memref<1x128xi32>
  call @kernel_1x128x128(%a, %w, %sums, %c0, %c8) {tern.block = 4 : i64, tern.parallel = 8 : i64} : (memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) -> ()
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x128xf32>
  linalg.generic {indexing_maps = [#map, #map, #scale, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sums, %s : memref<1x128xf32>, memref<1x128xi32>, memref<1xf32>) outs(%y : memref<1x128xf32>) {
  ^bb0(%in: f32, %acc: i32, %sc: f32, %out: f32):
    %0 = arith.divf %beta, %sc : f32
    %1 = arith.sitofp %acc : i32 to f32
    %2 = arith.mulf %1, %0 : f32
    %3 = arith.addf %in, %2 : f32
    linalg.yield %3 : f32
  }
  return %y : memref<1x128xf32>
}

// -----

#map = affine_map<(d0, d1) -> (d0, d1)>
#scale = affine_map<(d0, d1) -> (d0)>

// Gate and up of a fused matmul: one generic reads two slices of its width.
// The range is over its 64 columns (4 units of 16), the kernel runs on the
// units of each slice (shifted by 4 for up), and a block holds as many
// units of each slice as the kernel call's blocks held.
// CHECK-LABEL: func.func @gate(
// CHECK: call @gate_cols(%{{.*}}, %{{.*}}, %[[SUMS:[^,]*]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) {tern.block = 7 : i64, tern.parallel = 8 : i64}
// CHECK-NOT: memref.subview
// CHECK-NOT: linalg.generic
// CHECK-LABEL: func.func private @gate_cols(
// CHECK-SAME: %[[SUMS:[^:]*]]: memref<1x128xi32>, %[[S:[^:]*]]: memref<1xf32>, %[[H:[^:]*]]: memref<1x64xf32>, %{{[^:]*}}: memref<1xf32>, %[[B:[^:]*]]: index, %[[E:[^:]*]]: index)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[E0:.*]] = arith.addi %[[E]], %[[C0]]
// CHECK: %[[B0:.*]] = arith.addi %[[B]], %[[C0]]
// CHECK: call @kernel_1x128x128(%{{.*}}, %{{.*}}, %[[SUMS]], %[[B0]], %[[E0]])
// CHECK: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[E1:.*]] = arith.addi %[[E]], %[[C4]]
// CHECK: %[[B1:.*]] = arith.addi %[[B]], %[[C4]]
// CHECK: call @kernel_1x128x128(%{{.*}}, %{{.*}}, %[[SUMS]], %[[B1]], %[[E1]])
// CHECK: %[[FIRST:.*]] = arith.muli %[[B]], %[[C16:.*]] : index
// CHECK: %[[N:.*]] = arith.subi %[[E]], %[[B]]
// CHECK: %[[WIDTH:.*]] = arith.muli %[[N]], %[[C16]]
// CHECK: %[[G0:.*]] = arith.addi %[[FIRST]], %{{.*}}
// CHECK: %[[GS:.*]] = memref.subview %[[SUMS]][0, %[[G0]]] [1, %[[WIDTH]]] [1, 1]
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[U0:.*]] = arith.addi %[[FIRST]], %[[C64]]
// CHECK: %[[US:.*]] = memref.subview %[[SUMS]][0, %[[U0]]] [1, %[[WIDTH]]] [1, 1]
// CHECK: %[[HS:.*]] = memref.subview %[[H]][0, %[[FIRST]]] [1, %[[WIDTH]]] [1, 1]
// CHECK: linalg.generic {{.*}} ins(%[[GS]], %[[S]], %[[US]] : {{.*}}) outs(%[[HS]] :
// CHECK: arith.maxnumf
func.func private @kernel_1x128x128(memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnni512x", i2x16, block = 128, tile = [1, 1]>}
func.func @gate(%a: memref<1x128xi8>, %w: memref<128x32xi8>, %s: memref<1xf32>) -> memref<1x64xf32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.000000e+00 : f32
  %sums = memref.alloc() {alignment = 64 : i64} : memref<1x128xi32>
  call @kernel_1x128x128(%a, %w, %sums, %c0, %c8) {tern.block = 7 : i64, tern.parallel = 8 : i64} : (memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) -> ()
  %g = memref.subview %sums[0, 0] [1, 64] [1, 1] : memref<1x128xi32> to memref<1x64xi32, strided<[128, 1]>>
  %u = memref.subview %sums[0, 64] [1, 64] [1, 1] : memref<1x128xi32> to memref<1x64xi32, strided<[128, 1], offset: 64>>
  %h = memref.alloc() {alignment = 64 : i64} : memref<1x64xf32>
  linalg.generic {indexing_maps = [#map, #scale, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%g, %s, %u : memref<1x64xi32, strided<[128, 1]>>, memref<1xf32>, memref<1x64xi32, strided<[128, 1], offset: 64>>) outs(%h : memref<1x64xf32>) {
  ^bb0(%gi: i32, %sc: f32, %ui: i32, %out: f32):
    %0 = arith.sitofp %gi : i32 to f32
    %1 = arith.sitofp %ui : i32 to f32
    %2 = arith.maxnumf %0, %zero : f32
    %3 = arith.mulf %2, %2 : f32
    %4 = arith.mulf %3, %1 : f32
    linalg.yield %4 : f32
  }
  return %h : memref<1x64xf32>
}

// -----

#map = affine_map<(d0, d1) -> (d0, d1)>
#scale = affine_map<(d0, d1) -> (d0)>

// q and k of a fused matmul, each rescaled by its own generic (run in block
// order on each range, each into its own buffer): the range is
// the kernel's, and each generic computes the part of its slice that the
// range covers (k: columns 96 to 128, so [16 begin, 16 end) clamped to
// [96, 128], minus 96 in its own output).
// CHECK-LABEL: func.func @qk(
// CHECK: call @qk_cols(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[Q:[^,]*]], %[[K:[^,]*]], %{{.*}}, %{{.*}}) {tern.parallel = 8 : i64}
// CHECK: return %[[Q]], %[[K]]
// CHECK-LABEL: func.func private @qk_cols(
// CHECK: call @kernel_1x128x128(
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : memref<1x?xf32, strided<[96, 1], offset: ?>>)
// CHECK-DAG: arith.constant 96 : index
// CHECK-DAG: arith.constant 128 : index
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : memref<1x?xf32, strided<[32, 1], offset: ?>>)
// CHECK: return
func.func private @kernel_1x128x128(memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnni512x", i2x16, block = 128, tile = [1, 1]>}
func.func @qk(%a: memref<1x128xi8>, %w: memref<128x32xi8>, %s: memref<1xf32>) -> (memref<1x96xf32>, memref<1x32xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %sums = memref.alloc() {alignment = 64 : i64} : memref<1x128xi32>
  call @kernel_1x128x128(%a, %w, %sums, %c0, %c8) {tern.parallel = 8 : i64} : (memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) -> ()
  %qs = memref.subview %sums[0, 0] [1, 96] [1, 1] : memref<1x128xi32> to memref<1x96xi32, strided<[128, 1]>>
  %q = memref.alloc() {alignment = 64 : i64} : memref<1x96xf32>
  linalg.generic {indexing_maps = [#map, #scale, #map], iterator_types = ["parallel", "parallel"]}
      ins(%qs, %s : memref<1x96xi32, strided<[128, 1]>>, memref<1xf32>) outs(%q : memref<1x96xf32>) {
  ^bb0(%acc: i32, %sc: f32, %out: f32):
    %0 = arith.sitofp %acc : i32 to f32
    %1 = arith.mulf %0, %sc : f32
    linalg.yield %1 : f32
  }
  %ks = memref.subview %sums[0, 96] [1, 32] [1, 1] : memref<1x128xi32> to memref<1x32xi32, strided<[128, 1], offset: 96>>
  %k = memref.alloc() {alignment = 64 : i64} : memref<1x32xf32>
  linalg.generic {indexing_maps = [#map, #scale, #map], iterator_types = ["parallel", "parallel"]}
      ins(%ks, %s : memref<1x32xi32, strided<[128, 1], offset: 96>>, memref<1xf32>) outs(%k : memref<1x32xf32>) {
  ^bb0(%acc: i32, %sc: f32, %out: f32):
    %0 = arith.sitofp %acc : i32 to f32
    %1 = arith.mulf %0, %sc : f32
    linalg.yield %1 : f32
  }
  return %q, %k : memref<1x96xf32>, memref<1x32xf32>
}

// -----

#map = affine_map<(d0, d1) -> (d0, d1)>

// Left alone: a store between the call and the generic (the generic could
// not move before it), sums read by something else, a generic input
// written after the call, a generic reading another's output, two rows, a
// call of a function that is not a kernel, one generic reading two slices
// that overlap (blocks would write the same sums), two generics writing
// one buffer (their order on each range would matter).
// CHECK-LABEL: func.func @store_between(
// CHECK-NOT: _cols
// CHECK: call @kernel_1x128x128(
// CHECK: memref.store
// CHECK: linalg.generic
// CHECK-LABEL: func.func @other_reader(
// CHECK-NOT: _cols
// CHECK: call @kernel_1x128x128(
// CHECK: linalg.generic
// CHECK: memref.copy
// CHECK-LABEL: func.func @input_after(
// CHECK-NOT: _cols
// CHECK: call @kernel_1x128x128(
// CHECK: linalg.generic
// CHECK-LABEL: func.func @chained(
// CHECK-NOT: _cols
// CHECK: call @kernel_1x128x128(
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK-LABEL: func.func @two_rows(
// CHECK-NOT: _cols
// CHECK: call @kernel_2x128x128(
// CHECK: linalg.generic
// CHECK-LABEL: func.func @not_kernel(
// CHECK-NOT: _cols
// CHECK: call @plain(
// CHECK: linalg.generic
// CHECK-LABEL: func.func @overlapping(
// CHECK-NOT: _cols
// CHECK: call @kernel_1x128x128(
// CHECK: linalg.generic
// CHECK-LABEL: func.func @shared_output(
// CHECK-NOT: _cols
// CHECK: call @kernel_1x128x128(
// CHECK: linalg.generic
// CHECK-NOT: _cols
func.func private @kernel_1x128x128(memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnni512x", i2x16, block = 128, tile = [1, 1]>}
func.func private @kernel_2x128x128(memref<2x128xi8>, memref<128x32xi8>, memref<2x128xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnni512x", i2x16, block = 128, tile = [1, 1]>}
func.func private @plain(memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index)
func.func @store_between(%a: memref<1x128xi8>, %w: memref<128x32xi8>, %x: memref<1x128xf32>, %v: f32) -> memref<1x128xf32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %sums = memref.alloc() {alignment = 64 : i64} : memref<1x128xi32>
  call @kernel_1x128x128(%a, %w, %sums, %c0, %c8) {tern.parallel = 8 : i64} : (memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) -> ()
  memref.store %v, %x[%c0, %c0] : memref<1x128xf32>
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x128xf32>
  linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sums : memref<1x128xf32>, memref<1x128xi32>) outs(%y : memref<1x128xf32>) {
  ^bb0(%in: f32, %acc: i32, %out: f32):
    %0 = arith.sitofp %acc : i32 to f32
    %1 = arith.addf %in, %0 : f32
    linalg.yield %1 : f32
  }
  return %y : memref<1x128xf32>
}
func.func @other_reader(%a: memref<1x128xi8>, %w: memref<128x32xi8>, %copy: memref<1x128xi32>) -> memref<1x128xf32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %sums = memref.alloc() {alignment = 64 : i64} : memref<1x128xi32>
  call @kernel_1x128x128(%a, %w, %sums, %c0, %c8) {tern.parallel = 8 : i64} : (memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) -> ()
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x128xf32>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%sums : memref<1x128xi32>) outs(%y : memref<1x128xf32>) {
  ^bb0(%acc: i32, %out: f32):
    %0 = arith.sitofp %acc : i32 to f32
    linalg.yield %0 : f32
  }
  memref.copy %sums, %copy : memref<1x128xi32> to memref<1x128xi32>
  return %y : memref<1x128xf32>
}
func.func @input_after(%a: memref<1x128xi8>, %w: memref<128x32xi8>) -> memref<1x128xf32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %sums = memref.alloc() {alignment = 64 : i64} : memref<1x128xi32>
  call @kernel_1x128x128(%a, %w, %sums, %c0, %c8) {tern.parallel = 8 : i64} : (memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) -> ()
  %x = memref.alloc() {alignment = 64 : i64} : memref<1x128xf32>
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x128xf32>
  linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sums : memref<1x128xf32>, memref<1x128xi32>) outs(%y : memref<1x128xf32>) {
  ^bb0(%in: f32, %acc: i32, %out: f32):
    %0 = arith.sitofp %acc : i32 to f32
    %1 = arith.addf %in, %0 : f32
    linalg.yield %1 : f32
  }
  return %y : memref<1x128xf32>
}
func.func @chained(%a: memref<1x128xi8>, %w: memref<128x32xi8>) -> memref<1x64xf32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %sums = memref.alloc() {alignment = 64 : i64} : memref<1x128xi32>
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x64xf32>
  %z = memref.alloc() {alignment = 64 : i64} : memref<1x64xf32>
  call @kernel_1x128x128(%a, %w, %sums, %c0, %c8) {tern.parallel = 8 : i64} : (memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) -> ()
  %lo = memref.subview %sums[0, 0] [1, 64] [1, 1] : memref<1x128xi32> to memref<1x64xi32, strided<[128, 1]>>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%lo : memref<1x64xi32, strided<[128, 1]>>) outs(%y : memref<1x64xf32>) {
  ^bb0(%acc: i32, %out: f32):
    %0 = arith.sitofp %acc : i32 to f32
    linalg.yield %0 : f32
  }
  %hi = memref.subview %sums[0, 64] [1, 64] [1, 1] : memref<1x128xi32> to memref<1x64xi32, strided<[128, 1], offset: 64>>
  linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%hi, %y : memref<1x64xi32, strided<[128, 1], offset: 64>>, memref<1x64xf32>) outs(%z : memref<1x64xf32>) {
  ^bb0(%acc: i32, %in: f32, %out: f32):
    %0 = arith.sitofp %acc : i32 to f32
    %1 = arith.addf %in, %0 : f32
    linalg.yield %1 : f32
  }
  return %z : memref<1x64xf32>
}
func.func @two_rows(%a: memref<2x128xi8>, %w: memref<128x32xi8>) -> memref<2x128xf32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %sums = memref.alloc() {alignment = 64 : i64} : memref<2x128xi32>
  call @kernel_2x128x128(%a, %w, %sums, %c0, %c8) {tern.parallel = 8 : i64} : (memref<2x128xi8>, memref<128x32xi8>, memref<2x128xi32>, index, index) -> ()
  %y = memref.alloc() {alignment = 64 : i64} : memref<2x128xf32>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%sums : memref<2x128xi32>) outs(%y : memref<2x128xf32>) {
  ^bb0(%acc: i32, %out: f32):
    %0 = arith.sitofp %acc : i32 to f32
    linalg.yield %0 : f32
  }
  return %y : memref<2x128xf32>
}
func.func @not_kernel(%a: memref<1x128xi8>, %w: memref<128x32xi8>) -> memref<1x128xf32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %sums = memref.alloc() {alignment = 64 : i64} : memref<1x128xi32>
  call @plain(%a, %w, %sums, %c0, %c8) {tern.parallel = 8 : i64} : (memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) -> ()
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x128xf32>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%sums : memref<1x128xi32>) outs(%y : memref<1x128xf32>) {
  ^bb0(%acc: i32, %out: f32):
    %0 = arith.sitofp %acc : i32 to f32
    linalg.yield %0 : f32
  }
  return %y : memref<1x128xf32>
}
func.func @overlapping(%a: memref<1x128xi8>, %w: memref<128x32xi8>) -> memref<1x64xf32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %sums = memref.alloc() {alignment = 64 : i64} : memref<1x128xi32>
  call @kernel_1x128x128(%a, %w, %sums, %c0, %c8) {tern.parallel = 8 : i64} : (memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) -> ()
  %lo = memref.subview %sums[0, 0] [1, 64] [1, 1] : memref<1x128xi32> to memref<1x64xi32, strided<[128, 1]>>
  %mid = memref.subview %sums[0, 32] [1, 64] [1, 1] : memref<1x128xi32> to memref<1x64xi32, strided<[128, 1], offset: 32>>
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x64xf32>
  linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%lo, %mid : memref<1x64xi32, strided<[128, 1]>>, memref<1x64xi32, strided<[128, 1], offset: 32>>) outs(%y : memref<1x64xf32>) {
  ^bb0(%x0: i32, %x1: i32, %out: f32):
    %0 = arith.addi %x0, %x1 : i32
    %1 = arith.sitofp %0 : i32 to f32
    linalg.yield %1 : f32
  }
  return %y : memref<1x64xf32>
}
func.func @shared_output(%a: memref<1x128xi8>, %w: memref<128x32xi8>) -> memref<1x64xf32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %sums = memref.alloc() {alignment = 64 : i64} : memref<1x128xi32>
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x64xf32>
  call @kernel_1x128x128(%a, %w, %sums, %c0, %c8) {tern.parallel = 8 : i64} : (memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) -> ()
  %lo = memref.subview %sums[0, 0] [1, 64] [1, 1] : memref<1x128xi32> to memref<1x64xi32, strided<[128, 1]>>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%lo : memref<1x64xi32, strided<[128, 1]>>) outs(%y : memref<1x64xf32>) {
  ^bb0(%acc: i32, %out: f32):
    %0 = arith.sitofp %acc : i32 to f32
    linalg.yield %0 : f32
  }
  %hi = memref.subview %sums[0, 64] [1, 64] [1, 1] : memref<1x128xi32> to memref<1x64xi32, strided<[128, 1], offset: 64>>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%hi : memref<1x64xi32, strided<[128, 1], offset: 64>>) outs(%y : memref<1x64xf32>) {
  ^bb0(%acc: i32, %out: f32):
    %0 = arith.sitofp %acc : i32 to f32
    linalg.yield %0 : f32
  }
  return %y : memref<1x64xf32>
}

// -----

#map = affine_map<(d0, d1) -> (d0, d1)>
#scale = affine_map<(d0, d1) -> (d0)>

// An output that the function only copies into its own argument at the end
// (decode's residual row after down) is written into that argument by the
// range function, without the copy, where every call of the function
// passes that argument a buffer of its own and nothing after the call reads
// it: @in_place. Left with the copy: a public function (@public), a caller
// passing its own argument (@from_argument, called by @entry_argument), the
// same buffer for two arguments (@twice, called by @entry_twice), and the
// argument read after the call (@read_after).
// CHECK-LABEL: func.func private @in_place(
// CHECK-SAME: %[[X:[^:]*]]: memref<1x128xf32>, %[[S:[^:]*]]: memref<1xf32>, %[[OUT:[^:]*]]: memref<1x128xf32>
// CHECK: call @in_place_cols(%{{.*}}, %{{.*}}, %{{.*}}, %[[X]], %[[S]], %[[OUT]], %{{.*}}, %{{.*}}, %{{.*}})
// CHECK-NOT: memref.copy
// CHECK: return
// CHECK-LABEL: func.func @entry(
// CHECK: %[[BUF:.*]] = memref.alloca() : memref<1x128xf32>
// CHECK: call @in_place(%{{.*}}, %{{.*}}, %[[BUF]])
// CHECK-LABEL: func.func @public(
// CHECK: call @in_place_cols(
// CHECK: memref.copy
// CHECK-LABEL: func.func private @from_argument(
// CHECK: call @in_place_cols(
// CHECK: memref.copy
// CHECK-LABEL: func.func private @twice(
// CHECK: call @in_place_cols(
// CHECK: memref.copy
// CHECK-LABEL: func.func private @read_after(
// CHECK: call @in_place_cols(
// CHECK: memref.load
// CHECK: memref.copy
func.func private @kernel_1x128x128(memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) attributes {tern.kernel = #tern.kernel<"vnni512x", i2x16, block = 128, tile = [1, 1]>}
func.func private @in_place(%x: memref<1x128xf32>, %s: memref<1xf32>, %out: memref<1x128xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %beta = arith.constant 5.000000e-01 : f32
  %a = memref.alloc() {alignment = 64 : i64} : memref<1x128xi8>
  %w = memref.alloc() {alignment = 64 : i64} : memref<128x32xi8>
  %sums = memref.alloc() {alignment = 64 : i64} : memref<1x128xi32>
  call @kernel_1x128x128(%a, %w, %sums, %c0, %c8) {tern.block = 4 : i64, tern.parallel = 8 : i64} : (memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) -> ()
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x128xf32>
  linalg.generic {indexing_maps = [#map, #map, #scale, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sums, %s : memref<1x128xf32>, memref<1x128xi32>, memref<1xf32>) outs(%y : memref<1x128xf32>) {
  ^bb0(%in: f32, %acc: i32, %sc: f32, %o: f32):
    %0 = arith.divf %beta, %sc : f32
    %1 = arith.sitofp %acc : i32 to f32
    %2 = arith.mulf %1, %0 : f32
    %3 = arith.addf %in, %2 : f32
    linalg.yield %3 : f32
  }
  memref.copy %y, %out : memref<1x128xf32> to memref<1x128xf32>
  return
}
func.func @entry(%x: memref<1x128xf32>, %s: memref<1xf32>) {
  %buf = memref.alloca() : memref<1x128xf32>
  call @in_place(%x, %s, %buf) : (memref<1x128xf32>, memref<1xf32>, memref<1x128xf32>) -> ()
  return
}
func.func @public(%x: memref<1x128xf32>, %s: memref<1xf32>, %out: memref<1x128xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %beta = arith.constant 5.000000e-01 : f32
  %a = memref.alloc() {alignment = 64 : i64} : memref<1x128xi8>
  %w = memref.alloc() {alignment = 64 : i64} : memref<128x32xi8>
  %sums = memref.alloc() {alignment = 64 : i64} : memref<1x128xi32>
  call @kernel_1x128x128(%a, %w, %sums, %c0, %c8) {tern.block = 4 : i64, tern.parallel = 8 : i64} : (memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) -> ()
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x128xf32>
  linalg.generic {indexing_maps = [#map, #map, #scale, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sums, %s : memref<1x128xf32>, memref<1x128xi32>, memref<1xf32>) outs(%y : memref<1x128xf32>) {
  ^bb0(%in: f32, %acc: i32, %sc: f32, %o: f32):
    %0 = arith.divf %beta, %sc : f32
    %1 = arith.sitofp %acc : i32 to f32
    %2 = arith.mulf %1, %0 : f32
    %3 = arith.addf %in, %2 : f32
    linalg.yield %3 : f32
  }
  memref.copy %y, %out : memref<1x128xf32> to memref<1x128xf32>
  return
}
func.func private @from_argument(%x: memref<1x128xf32>, %s: memref<1xf32>, %out: memref<1x128xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %beta = arith.constant 5.000000e-01 : f32
  %a = memref.alloc() {alignment = 64 : i64} : memref<1x128xi8>
  %w = memref.alloc() {alignment = 64 : i64} : memref<128x32xi8>
  %sums = memref.alloc() {alignment = 64 : i64} : memref<1x128xi32>
  call @kernel_1x128x128(%a, %w, %sums, %c0, %c8) {tern.block = 4 : i64, tern.parallel = 8 : i64} : (memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) -> ()
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x128xf32>
  linalg.generic {indexing_maps = [#map, #map, #scale, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sums, %s : memref<1x128xf32>, memref<1x128xi32>, memref<1xf32>) outs(%y : memref<1x128xf32>) {
  ^bb0(%in: f32, %acc: i32, %sc: f32, %o: f32):
    %0 = arith.divf %beta, %sc : f32
    %1 = arith.sitofp %acc : i32 to f32
    %2 = arith.mulf %1, %0 : f32
    %3 = arith.addf %in, %2 : f32
    linalg.yield %3 : f32
  }
  memref.copy %y, %out : memref<1x128xf32> to memref<1x128xf32>
  return
}
func.func @entry_argument(%x: memref<1x128xf32>, %s: memref<1xf32>, %out: memref<1x128xf32>) {
  call @from_argument(%x, %s, %out) : (memref<1x128xf32>, memref<1xf32>, memref<1x128xf32>) -> ()
  return
}
func.func private @twice(%x: memref<1x128xf32>, %s: memref<1xf32>, %out: memref<1x128xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %beta = arith.constant 5.000000e-01 : f32
  %a = memref.alloc() {alignment = 64 : i64} : memref<1x128xi8>
  %w = memref.alloc() {alignment = 64 : i64} : memref<128x32xi8>
  %sums = memref.alloc() {alignment = 64 : i64} : memref<1x128xi32>
  call @kernel_1x128x128(%a, %w, %sums, %c0, %c8) {tern.block = 4 : i64, tern.parallel = 8 : i64} : (memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) -> ()
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x128xf32>
  linalg.generic {indexing_maps = [#map, #map, #scale, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sums, %s : memref<1x128xf32>, memref<1x128xi32>, memref<1xf32>) outs(%y : memref<1x128xf32>) {
  ^bb0(%in: f32, %acc: i32, %sc: f32, %o: f32):
    %0 = arith.divf %beta, %sc : f32
    %1 = arith.sitofp %acc : i32 to f32
    %2 = arith.mulf %1, %0 : f32
    %3 = arith.addf %in, %2 : f32
    linalg.yield %3 : f32
  }
  memref.copy %y, %out : memref<1x128xf32> to memref<1x128xf32>
  return
}
func.func @entry_twice(%s: memref<1xf32>) {
  %buf = memref.alloca() : memref<1x128xf32>
  call @twice(%buf, %s, %buf) : (memref<1x128xf32>, memref<1xf32>, memref<1x128xf32>) -> ()
  return
}
func.func private @read_after(%x: memref<1x128xf32>, %s: memref<1xf32>, %out: memref<1x128xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %beta = arith.constant 5.000000e-01 : f32
  %a = memref.alloc() {alignment = 64 : i64} : memref<1x128xi8>
  %w = memref.alloc() {alignment = 64 : i64} : memref<128x32xi8>
  %sums = memref.alloc() {alignment = 64 : i64} : memref<1x128xi32>
  call @kernel_1x128x128(%a, %w, %sums, %c0, %c8) {tern.block = 4 : i64, tern.parallel = 8 : i64} : (memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) -> ()
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x128xf32>
  linalg.generic {indexing_maps = [#map, #map, #scale, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sums, %s : memref<1x128xf32>, memref<1x128xi32>, memref<1xf32>) outs(%y : memref<1x128xf32>) {
  ^bb0(%in: f32, %acc: i32, %sc: f32, %o: f32):
    %0 = arith.divf %beta, %sc : f32
    %1 = arith.sitofp %acc : i32 to f32
    %2 = arith.mulf %1, %0 : f32
    %3 = arith.addf %in, %2 : f32
    linalg.yield %3 : f32
  }
  %old = memref.load %out[%c0, %c0] : memref<1x128xf32>
  memref.copy %y, %out : memref<1x128xf32> to memref<1x128xf32>
  return %old : f32
}
func.func @entry_read_after(%x: memref<1x128xf32>, %s: memref<1xf32>) -> f32 {
  %buf = memref.alloca() : memref<1x128xf32>
  %r = call @read_after(%x, %s, %buf) : (memref<1x128xf32>, memref<1xf32>, memref<1x128xf32>) -> f32
  return %r : f32
}

// Also left with the copy: a view of the argument taken before the call
// and read after it (@view_after), and a caller that passes a view of the
// buffer as another argument (@viewed, called by @entry_viewed).
// CHECK-LABEL: func.func private @view_after(
// CHECK: call @in_place_cols(
// CHECK: memref.load
// CHECK: memref.copy
// CHECK-LABEL: func.func private @viewed(
// CHECK: call @in_place_cols(
// CHECK: memref.copy
func.func private @view_after(%x: memref<1x128xf32>, %s: memref<1xf32>, %out: memref<1x128xf32>) -> f32 {
  %part = memref.subview %out[0, 0] [1, 16] [1, 1] : memref<1x128xf32> to memref<1x16xf32, strided<[128, 1]>>
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %beta = arith.constant 5.000000e-01 : f32
  %a = memref.alloc() {alignment = 64 : i64} : memref<1x128xi8>
  %w = memref.alloc() {alignment = 64 : i64} : memref<128x32xi8>
  %sums = memref.alloc() {alignment = 64 : i64} : memref<1x128xi32>
  call @kernel_1x128x128(%a, %w, %sums, %c0, %c8) {tern.block = 4 : i64, tern.parallel = 8 : i64} : (memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) -> ()
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x128xf32>
  linalg.generic {indexing_maps = [#map, #map, #scale, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sums, %s : memref<1x128xf32>, memref<1x128xi32>, memref<1xf32>) outs(%y : memref<1x128xf32>) {
  ^bb0(%in: f32, %acc: i32, %sc: f32, %o: f32):
    %0 = arith.divf %beta, %sc : f32
    %1 = arith.sitofp %acc : i32 to f32
    %2 = arith.mulf %1, %0 : f32
    %3 = arith.addf %in, %2 : f32
    linalg.yield %3 : f32
  }
  %c1 = arith.constant 1 : index
  %old = memref.load %part[%c0, %c1] : memref<1x16xf32, strided<[128, 1]>>
  memref.copy %y, %out : memref<1x128xf32> to memref<1x128xf32>
  return %old : f32
}
func.func @entry_view_after(%x: memref<1x128xf32>, %s: memref<1xf32>) -> f32 {
  %buf = memref.alloca() : memref<1x128xf32>
  %r = call @view_after(%x, %s, %buf) : (memref<1x128xf32>, memref<1xf32>, memref<1x128xf32>) -> f32
  return %r : f32
}
func.func private @viewed(%x: memref<1x128xf32, strided<[128, 1]>>, %s: memref<1xf32>, %out: memref<1x128xf32>) {
  %xc = memref.alloc() {alignment = 64 : i64} : memref<1x128xf32>
  memref.copy %x, %xc : memref<1x128xf32, strided<[128, 1]>> to memref<1x128xf32>
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %beta = arith.constant 5.000000e-01 : f32
  %a = memref.alloc() {alignment = 64 : i64} : memref<1x128xi8>
  %w = memref.alloc() {alignment = 64 : i64} : memref<128x32xi8>
  %sums = memref.alloc() {alignment = 64 : i64} : memref<1x128xi32>
  call @kernel_1x128x128(%a, %w, %sums, %c0, %c8) {tern.block = 4 : i64, tern.parallel = 8 : i64} : (memref<1x128xi8>, memref<128x32xi8>, memref<1x128xi32>, index, index) -> ()
  %y = memref.alloc() {alignment = 64 : i64} : memref<1x128xf32>
  linalg.generic {indexing_maps = [#map, #map, #scale, #map], iterator_types = ["parallel", "parallel"]}
      ins(%xc, %sums, %s : memref<1x128xf32>, memref<1x128xi32>, memref<1xf32>) outs(%y : memref<1x128xf32>) {
  ^bb0(%in: f32, %acc: i32, %sc: f32, %o: f32):
    %0 = arith.divf %beta, %sc : f32
    %1 = arith.sitofp %acc : i32 to f32
    %2 = arith.mulf %1, %0 : f32
    %3 = arith.addf %in, %2 : f32
    linalg.yield %3 : f32
  }
  memref.copy %y, %out : memref<1x128xf32> to memref<1x128xf32>
  return
}
func.func @entry_viewed(%s: memref<1xf32>) {
  %buf = memref.alloca() : memref<1x128xf32>
  %v = memref.subview %buf[0, 0] [1, 128] [1, 1] : memref<1x128xf32> to memref<1x128xf32, strided<[128, 1]>>
  call @viewed(%v, %s, %buf) : (memref<1x128xf32, strided<[128, 1]>>, memref<1xf32>, memref<1x128xf32>) -> ()
  return
}
