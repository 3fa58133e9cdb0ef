// RUN: tern-opt %s --tern-generate-kernels | FileCheck %s

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

// The VNNI family: per output, 2 blocks x 4 bit positions of vpdpbusd
// straight into i32 (8 more for the row sum of 256 activations).
// CHECK: func.func private @tern_kernel_i2_vnni_1x64x256(
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// CHECK: vector.reduction <add>
// CHECK: scf.for
// CHECK-COUNT-8: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// CHECK-NOT: llvm.call_intrinsic
// CHECK: arith.subi
func.func private @tern_kernel_i2_vnni_1x64x256(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = "i2_vnni"}

// The NEON dotprod family: per output, 2 blocks x 2 halves x 4 bit positions
// of sdot on signed values ((byte >> s) & 3) - 1.
// CHECK: func.func private @tern_kernel_i2_neon_dotprod_1x64x256(%[[NA:.*]]: memref<1x256xi8>, %[[NW:.*]]: memref<64x64xi8>, %[[NO:.*]]: memref<1x64xi32>, %{{.*}}: index, %{{.*}}: index)
// CHECK: vector.load %[[NW]]{{.*}} : memref<64x64xi8>, vector<16xi8>
// CHECK: arith.shrui
// CHECK: arith.andi
// CHECK: arith.subi
// CHECK-COUNT-16: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
// CHECK-NOT: llvm.call_intrinsic
// CHECK: vector.reduction <add>
func.func private @tern_kernel_i2_neon_dotprod_1x64x256(memref<1x256xi8>, memref<64x64xi8>, memref<1x64xi32>, index, index) attributes {tern.kernel = "i2_neon-dotprod"}

// Declarations without the marker are left alone.
// CHECK: func.func private @other(memref<1x256xi8>)
func.func private @other(memref<1x256xi8>)
