// RUN: tern-opt %s --split-input-file --tern-outline-row-prologues | FileCheck %s
// RUN: tern-opt %s --split-input-file --tern-outline-row-prologues --convert-parallel-to-runtime | FileCheck %s --check-prefix=RUNTIME

// The norm's outputs feed only the parallel call: the call site passes the
// norm's inputs instead, and the wrapper asks the runtime for the thread's
// buffer (256 bytes of q, then the scale at byte 256: 320 in all),
// computes q and s there on the thread's first block, and calls the range
// function with them on [begin, end). The second layer's call uses the
// same wrapper.
// CHECK-LABEL: func.func @layer(
// CHECK-SAME: %[[X:[^:]*]]: memref<1x256xf32>, %[[G:[^:]*]]: memref<256xf32>, %[[W:[^:]*]]: memref<512x64xi8>, %[[Y:[^:]*]]: memref<1x512xf32>
// CHECK-NOT: memref<1x256xi8>
// CHECK-NOT: call @norm
// CHECK: call @cols_prologue(%[[W]], %[[Y]], %[[X]], %[[G]], %{{.*}}, %{{.*}}) {tern.block = 128 : i64, tern.parallel = 8 : i64} : (memref<512x64xi8>, memref<1x512xf32>, memref<1x256xf32>, memref<256xf32>, index, index) -> ()
// CHECK: call @cols_prologue(
// CHECK: return
// CHECK-LABEL: func.func private @cols_prologue(
// CHECK-SAME: %[[W:[^:]*]]: memref<512x64xi8>, %[[Y:[^:]*]]: memref<1x512xf32>, %[[X:[^:]*]]: memref<1x256xf32>, %[[G:[^:]*]]: memref<256xf32>, %[[B:[^:]*]]: index, %[[E:[^:]*]]: index)
// CHECK: %[[FLAG:.*]] = memref.alloca() : memref<1xi64>
// CHECK: %[[BYTES:.*]] = arith.constant 320 : i64
// CHECK: %[[P:.*]] = call @tern_region_scratch(%[[BYTES]], %{{.*}}) : (i64, !llvm.ptr) -> !llvm.ptr
// CHECK: llvm.getelementptr %[[P]][0] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: %[[Q:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<1x256xi8>
// CHECK: llvm.getelementptr %[[P]][256] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: %[[S:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<1xf32>
// CHECK: %[[FIRST:.*]] = memref.load %[[FLAG]]
// CHECK: %[[FRESH:.*]] = arith.cmpi ne, %[[FIRST]]
// CHECK: scf.if %[[FRESH]] {
// CHECK-NEXT: func.call @norm(%[[X]], %[[G]], %[[Q]], %[[S]])
// CHECK: }
// CHECK: call @cols(%[[Q]], %[[W]], %[[S]], %[[Y]], %[[B]], %[[E]])
// CHECK-NOT: func.func private @cols_prologue_1
// CHECK: func.func private @tern_region_scratch(i64, !llvm.ptr) -> !llvm.ptr
// RUNTIME-LABEL: func.func @layer(
// RUNTIME-NOT: call @norm
// RUNTIME: call @tern_parallel_for
// RUNTIME: call @tern_parallel_for
// RUNTIME: func.func private @cols_prologue_task(
func.func private @norm(memref<1x256xf32>, memref<256xf32>, memref<1x256xi8>, memref<1xf32>) attributes {tern.row_prologue = 2 : i64}
func.func private @cols(memref<1x256xi8>, memref<512x64xi8>, memref<1xf32>, memref<1x512xf32>, index, index)
func.func @layer(%x: memref<1x256xf32>, %g: memref<256xf32>, %w: memref<512x64xi8>, %y: memref<1x512xf32>) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %q = memref.alloca() {alignment = 64 : i64} : memref<1x256xi8>
  %s = memref.alloca() : memref<1xf32>
  call @norm(%x, %g, %q, %s) : (memref<1x256xf32>, memref<256xf32>, memref<1x256xi8>, memref<1xf32>) -> ()
  %sums = memref.alloca() {alignment = 64 : i64} : memref<1x512xi32>
  call @cols(%q, %w, %s, %y, %c0, %c32) {tern.block = 128 : i64, tern.parallel = 8 : i64} : (memref<1x256xi8>, memref<512x64xi8>, memref<1xf32>, memref<1x512xf32>, index, index) -> ()
  %q2 = memref.alloca() {alignment = 64 : i64} : memref<1x256xi8>
  %s2 = memref.alloca() : memref<1xf32>
  call @norm(%x, %g, %q2, %s2) : (memref<1x256xf32>, memref<256xf32>, memref<1x256xi8>, memref<1xf32>) -> ()
  call @cols(%q2, %w, %s2, %y, %c0, %c32) {tern.block = 128 : i64, tern.parallel = 8 : i64} : (memref<1x256xi8>, memref<512x64xi8>, memref<1xf32>, memref<1x512xf32>, index, index) -> ()
  return
}

// -----

// Left alone: the quantized row is read again after the parallel call.
// CHECK-LABEL: func.func @read_again(
// CHECK: call @norm(
// CHECK: call @cols(
// CHECK: memref.copy
// CHECK-NOT: tern_region_scratch
func.func private @norm(memref<1x256xf32>, memref<256xf32>, memref<1x256xi8>, memref<1xf32>) attributes {tern.row_prologue = 2 : i64}
func.func private @cols(memref<1x256xi8>, memref<1xf32>, index, index)
func.func @read_again(%x: memref<1x256xf32>, %g: memref<256xf32>, %keep: memref<1x256xi8>) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %q = memref.alloca() {alignment = 64 : i64} : memref<1x256xi8>
  %s = memref.alloca() : memref<1xf32>
  call @norm(%x, %g, %q, %s) : (memref<1x256xf32>, memref<256xf32>, memref<1x256xi8>, memref<1xf32>) -> ()
  call @cols(%q, %s, %c0, %c32) {tern.parallel = 8 : i64} : (memref<1x256xi8>, memref<1xf32>, index, index) -> ()
  memref.copy %q, %keep : memref<1x256xi8> to memref<1x256xi8>
  return
}

// -----

// Left alone: the norm's input is written (through a view) between the
// norm and the parallel call, which would then normalize another row.
// CHECK-LABEL: func.func @input_written(
// CHECK: call @norm(
// CHECK: memref.store
// CHECK: call @cols(
// CHECK-NOT: tern_region_scratch
func.func private @norm(memref<1x256xf32>, memref<256xf32>, memref<1x256xi8>, memref<1xf32>) attributes {tern.row_prologue = 2 : i64}
func.func private @cols(memref<1x256xi8>, memref<1xf32>, index, index)
func.func @input_written(%x: memref<1x256xf32>, %g: memref<256xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %q = memref.alloca() {alignment = 64 : i64} : memref<1x256xi8>
  %s = memref.alloca() : memref<1xf32>
  call @norm(%x, %g, %q, %s) : (memref<1x256xf32>, memref<256xf32>, memref<1x256xi8>, memref<1xf32>) -> ()
  %part = memref.subview %x[0, 0] [1, 8] [1, 1] : memref<1x256xf32> to memref<1x8xf32, strided<[256, 1]>>
  memref.store %v, %part[%c0, %c0] : memref<1x8xf32, strided<[256, 1]>>
  call @cols(%q, %s, %c0, %c32) {tern.parallel = 8 : i64} : (memref<1x256xi8>, memref<1xf32>, index, index) -> ()
  return
}

// -----

// Left alone: a call between the two (it could write anything), and a
// reader that is not a parallel call.
// CHECK-LABEL: func.func @call_between(
// CHECK: call @norm(
// CHECK: call @other(
// CHECK: call @cols(
// CHECK-LABEL: func.func @serial_reader(
// CHECK: call @norm(
// CHECK: call @cols(
// CHECK-NOT: tern_region_scratch
func.func private @norm(memref<1x256xf32>, memref<256xf32>, memref<1x256xi8>, memref<1xf32>) attributes {tern.row_prologue = 2 : i64}
func.func private @cols(memref<1x256xi8>, memref<1xf32>, index, index)
func.func private @other(memref<1x256xf32>)
func.func @call_between(%x: memref<1x256xf32>, %g: memref<256xf32>) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %q = memref.alloca() {alignment = 64 : i64} : memref<1x256xi8>
  %s = memref.alloca() : memref<1xf32>
  call @norm(%x, %g, %q, %s) : (memref<1x256xf32>, memref<256xf32>, memref<1x256xi8>, memref<1xf32>) -> ()
  call @other(%x) : (memref<1x256xf32>) -> ()
  call @cols(%q, %s, %c0, %c32) {tern.parallel = 8 : i64} : (memref<1x256xi8>, memref<1xf32>, index, index) -> ()
  return
}
func.func @serial_reader(%x: memref<1x256xf32>, %g: memref<256xf32>) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %q = memref.alloca() {alignment = 64 : i64} : memref<1x256xi8>
  %s = memref.alloca() : memref<1xf32>
  call @norm(%x, %g, %q, %s) : (memref<1x256xf32>, memref<256xf32>, memref<1x256xi8>, memref<1xf32>) -> ()
  call @cols(%q, %s, %c0, %c32) : (memref<1x256xi8>, memref<1xf32>, index, index) -> ()
  return
}

// -----

// Two prologues feed one parallel call: the one right before it moves into
// the wrapper; the other, with a call between it and the parallel call,
// stays, its outputs passed on.
// CHECK-LABEL: func.func @two_prologues(
// CHECK-SAME: %[[X:[^:]*]]: memref<1x256xf32>, %[[Y:[^:]*]]: memref<1x256xf32>, %[[G:[^:]*]]: memref<256xf32>)
// CHECK: %[[Q:.*]] = memref.alloca() {alignment = 64 : i64} : memref<1x256xi8>
// CHECK: %[[S:.*]] = memref.alloca() : memref<1xf32>
// CHECK: call @norm(%[[X]], %[[G]], %[[Q]], %[[S]])
// CHECK-NEXT: call @cols2_prologue(%[[Q]], %[[S]], %[[Y]], %[[G]], %{{.*}}, %{{.*}}) {tern.parallel = 8 : i64}
// CHECK-NEXT: return
func.func private @norm(memref<1x256xf32>, memref<256xf32>, memref<1x256xi8>, memref<1xf32>) attributes {tern.row_prologue = 2 : i64}
func.func private @cols2(memref<1x256xi8>, memref<1xf32>, memref<1x256xi8>, memref<1xf32>, index, index)
func.func @two_prologues(%x: memref<1x256xf32>, %y: memref<1x256xf32>, %g: memref<256xf32>) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %q = memref.alloca() {alignment = 64 : i64} : memref<1x256xi8>
  %s = memref.alloca() : memref<1xf32>
  call @norm(%x, %g, %q, %s) : (memref<1x256xf32>, memref<256xf32>, memref<1x256xi8>, memref<1xf32>) -> ()
  %q2 = memref.alloca() {alignment = 64 : i64} : memref<1x256xi8>
  %s2 = memref.alloca() : memref<1xf32>
  call @norm(%y, %g, %q2, %s2) : (memref<1x256xf32>, memref<256xf32>, memref<1x256xi8>, memref<1xf32>) -> ()
  call @cols2(%q, %s, %q2, %s2, %c0, %c32) {tern.parallel = 8 : i64} : (memref<1x256xi8>, memref<1xf32>, memref<1x256xi8>, memref<1xf32>, index, index) -> ()
  return
}
