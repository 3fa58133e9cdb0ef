// The AVX2 i2 kernel and the reference lowering compute the same exact
// int32 products, on a weight read from a blob by tern.weight. Row 0 of the
// weights is byte 0x96 everywhere: codes (2, 1, 1, 2) at shifts 6, 4, 2, 0,
// so t = +1 for k in [0, 32) and [96, 128), 0 elsewhere; row 1 is byte 0x00:
// t = -1 everywhere. With a[k] = k - 64:
//   row 0: (496 - 2048) + (3568 - 2048) = -32;   row 1: -(8128 - 8192) = 64.
// Row 1 of the activations (a = 127 everywhere, the extreme code) gives
// 127 * 64 = 8128 and -127 * 128 = -16256.
//
// RUN: tern-opt %s --tern-reference-pipeline \
// RUN: | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_libs \
// RUN: | FileCheck %s
// RUN: %if host-avx2 %{ tern-opt %s '--tern-compile-pipeline=target=x86-64-v3' \
// RUN: | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_libs \
// RUN: | FileCheck %s %}
// RUN: tern-opt %s '--tern-selection-pipeline=target=x86-64-v3' --convert-tern-to-kernels | FileCheck %s --check-prefix=IR
// IR: call @tern_kernel_i2_avx2_2x2x128_b128_t2x1

!W = !tern.weights<2x128, #tern.layout<i2, block = 128>>

memref.global "private" constant @blob : memref<64xi8> = dense<[
  -106, -106, -106, -106, -106, -106, -106, -106, -106, -106, -106, -106, -106, -106, -106, -106,
  -106, -106, -106, -106, -106, -106, -106, -106, -106, -106, -106, -106, -106, -106, -106, -106,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]>

func.func private @printMemrefI32(tensor<*xi32>)

func.func @main() {
  %blob = memref.get_global @blob : memref<64xi8>
  %w = tern.weight "w" %blob[0] : memref<64xi8> -> !W
  %c64 = arith.constant 64 : i32
  %a = tensor.generate {
  ^bb0(%i: index, %k: index):
    %ki = arith.index_cast %k : index to i32
    %v = arith.subi %ki, %c64 : i32
    %c0 = arith.constant 0 : index
    %is0 = arith.cmpi eq, %i, %c0 : index
    %c127 = arith.constant 127 : i32
    %sel = arith.select %is0, %v, %c127 : i32
    %t = arith.trunci %sel : i32 to i8
    tensor.yield %t : i8
  } : tensor<2x128xi8>
  %acc = tern.matmul %a, %w : tensor<2x128xi8>, !W -> tensor<2x2xi32>
  %u = tensor.cast %acc : tensor<2x2xi32> to tensor<*xi32>
  // CHECK: [-32,   64]
  // CHECK: [8128,   -16256]
  func.call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}
