// RUN: tern-opt %s --tern-generate-x86-kernels | FileCheck %s

// A declared 1x64x256 kernel gets its body: the activation row sum, then per
// output (columns [begin, end)) two fully unrolled 128-weight blocks of 4 vpmaddubsw each, widened
// by vpmaddwd, reduced, minus the row sum.
// CHECK: func.func private @tern_kernel_i2_avx2_1x64x256(%[[A:.*]]: memref<1x256xi8>, %[[W:.*]]: memref<64x64xi8>, %[[O:.*]]: memref<1x64xi32>, %[[BEGIN:.*]]: index, %[[END:.*]]: index)
// CHECK: scf.for %[[M:.*]] =
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
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
func.func private @tern_kernel_i2_avx2_1x64x256(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = "i2_avx2"}

// Declarations without the marker are left alone.
// CHECK: func.func private @other(memref<1x256xi8>)
func.func private @other(memref<1x256xi8>)
