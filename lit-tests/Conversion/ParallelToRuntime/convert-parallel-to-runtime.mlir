// RUN: tern-opt %s --split-input-file --verify-diagnostics --convert-parallel-to-runtime | FileCheck %s

// A tern.parallel call becomes the runtime's parallel-for over a task that
// rebuilds the memrefs from their aligned pointers; its value is the blocks
// per thread (here 8) and goes to the runtime after the item count, then
// the most items of a block (0: no bound without tern.block).
// CHECK-LABEL: func @caller
// CHECK: %[[N:.*]] = arith.constant 4 : index
// CHECK: %[[ARGS:.*]] = memref.alloca() : memref<2xindex>
// CHECK: %[[P0:.*]] = memref.extract_aligned_pointer_as_index %{{.*}} : memref<4x8xf32> -> index
// CHECK: memref.store %[[P0]], %[[ARGS]][%{{.*}}]
// CHECK: %[[P1:.*]] = memref.extract_aligned_pointer_as_index %{{.*}} : memref<4xf32> -> index
// CHECK: memref.store %[[P1]], %[[ARGS]][%{{.*}}]
// CHECK: %[[PTR:.*]] = llvm.inttoptr
// CHECK: %[[F:.*]] = constant @rows_task : (!llvm.ptr, index, index) -> ()
// CHECK-DAG: %[[BLOCKS:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[NOBOUND:.*]] = arith.constant 0 : index
// CHECK: call @tern_parallel_for(%[[F]], %[[PTR]], %[[N]], %[[BLOCKS]], %[[NOBOUND]]) : ((!llvm.ptr, index, index) -> (), !llvm.ptr, index, index, index) -> ()
// CHECK-NOT: call @rows(
// CHECK: func.func private @rows_task(%[[A:.*]]: !llvm.ptr, %[[B:.*]]: index, %[[E:.*]]: index)
// CHECK: llvm.getelementptr %[[A]][0] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK: llvm.insertvalue
// CHECK: %[[M0:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)> to memref<4x8xf32>
// CHECK: llvm.getelementptr %[[A]][1] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK: %[[M1:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)> to memref<4xf32>
// CHECK: call @rows(%[[M0]], %[[M1]], %[[B]], %[[E]])
// CHECK: func.func private @tern_parallel_for((!llvm.ptr, index, index) -> (), !llvm.ptr, index, index, index)
func.func private @rows(%x: memref<4x8xf32>, %y: memref<4xf32>, %b: index, %e: index)
func.func @caller(%x: memref<4x8xf32>, %y: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  call @rows(%x, %y, %c0, %c4) {tern.parallel = 8 : i64} : (memref<4x8xf32>, memref<4xf32>, index, index) -> ()
  return
}

// -----

// A unit attribute is a static split: one block per thread.
// CHECK-LABEL: func @static_split
// CHECK: %[[ONE:.*]] = arith.constant 1 : index
// CHECK: call @tern_parallel_for(%{{.*}}, %{{.*}}, %{{.*}}, %[[ONE]], %{{.*}})
func.func private @rows(%x: memref<4xf32>, %b: index, %e: index)
func.func @static_split(%x: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  call @rows(%x, %c0, %c4) {tern.parallel} : (memref<4xf32>, index, index) -> ()
  return
}

// -----

func.func private @rows(%x: memref<4xf32>, %b: index, %e: index)
func.func @no_blocks(%x: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  // expected-error @+1 {{tern.parallel = 0: blocks per thread must be 1 to 1024}}
  call @rows(%x, %c0, %c4) {tern.parallel = 0 : i64} : (memref<4xf32>, index, index) -> ()
  return
}

// -----

func.func private @rows(%x: memref<4xf32>, %b: index, %e: index)
func.func @not_a_count(%x: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  // expected-error @+1 {{tern.parallel must be a unit attribute or the blocks per thread (an integer)}}
  call @rows(%x, %c0, %c4) {tern.parallel = "eight"} : (memref<4xf32>, index, index) -> ()
  return
}

// -----

func.func private @rows(%x: memref<?xf32>, %b: index, %e: index)
func.func @dynamic(%x: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  // expected-error @+1 {{tern.parallel call operands must be static, identity-layout memrefs}}
  call @rows(%x, %c0, %c4) {tern.parallel} : (memref<?xf32>, index, index) -> ()
  return
}

// -----

func.func private @rows(%x: memref<4xf32>, %b: index, %e: index)
func.func @offset(%x: memref<4xf32>) {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  // expected-error @+1 {{tern.parallel call must start at 0}}
  call @rows(%x, %c1, %c4) {tern.parallel} : (memref<4xf32>, index, index) -> ()
  return
}

// -----

// tern.block bounds a block's items (a call that streams its weights).
// CHECK-LABEL: func @bounded
// CHECK-DAG: %[[B8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[MOST:.*]] = arith.constant 25 : index
// CHECK: call @tern_parallel_for(%{{.*}}, %{{.*}}, %{{.*}}, %[[B8]], %[[MOST]])
func.func private @rows(%x: memref<4000xf32>, %b: index, %e: index)
func.func @bounded(%x: memref<4000xf32>) {
  %c0 = arith.constant 0 : index
  %c4000 = arith.constant 4000 : index
  call @rows(%x, %c0, %c4000) {tern.block = 25 : i64, tern.parallel = 8 : i64} : (memref<4000xf32>, index, index) -> ()
  return
}

// -----

func.func private @rows(%x: memref<4xf32>, %b: index, %e: index)
func.func @no_items(%x: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  // expected-error @+1 {{tern.block must be the most items of a block (an integer of at least 1)}}
  call @rows(%x, %c0, %c4) {tern.block = 0 : i64, tern.parallel = 8 : i64} : (memref<4xf32>, index, index) -> ()
  return
}
