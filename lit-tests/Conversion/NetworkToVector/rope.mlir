// RUN: tern-opt %s --convert-tern-network-to-vector | FileCheck %s

// rope_table: per row (position pos + r) and frequency i, scalar f64:
// theta^(-2i / D), the angle, cos and sin rounded to f32.
// CHECK-LABEL: func @rope
// CHECK: %[[COS:.*]] = memref.alloca() : memref<1x16xf32>
// CHECK: %[[SIN:.*]] = memref.alloca() : memref<1x16xf32>
// CHECK: scf.for %[[R:.*]] =
// CHECK: arith.addi %arg1, %[[R]]
// CHECK: scf.for %[[I:.*]] =
// CHECK: %[[E:.*]] = arith.divf %{{.*}}, %{{.*}} : f64
// CHECK: %[[F:.*]] = math.powf %{{.*}}, %[[E]] : f64
// CHECK: %[[A:.*]] = arith.mulf %{{.*}}, %[[F]] : f64
// CHECK: math.cos %[[A]] : f64
// CHECK: math.sin %[[A]] : f64
// CHECK: memref.store {{.*}}, %[[COS]][%[[R]], %[[I]]]
// CHECK: memref.store {{.*}}, %[[SIN]][%[[R]], %[[I]]]
// rope: per row and head, 8 lanes of each half: a c - b s and b c + a s.
// CHECK: scf.for
// CHECK: scf.for %[[H:.*]] =
// CHECK: scf.for
// CHECK: vector.load {{.*}} : memref<1x64xf32>, vector<8xf32>
// CHECK: vector.load {{.*}} : memref<1x64xf32>, vector<8xf32>
// CHECK: vector.load {{.*}} : memref<1x16xf32>, vector<8xf32>
// CHECK: vector.load {{.*}} : memref<1x16xf32>, vector<8xf32>
// CHECK: arith.subf {{.*}} : vector<8xf32>
// CHECK: arith.addf {{.*}} : vector<8xf32>
// CHECK-NOT: math.fma
func.func @rope(%x: tensor<1x64xf32>, %pos: index) -> tensor<1x64xf32> {
  %c, %s = tern.rope_table %pos {theta = 5.0e+05 : f32} : tensor<1x16xf32>, tensor<1x16xf32>
  %y = tern.rope %x, %c, %s : tensor<1x64xf32>, tensor<1x16xf32>, tensor<1x16xf32> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}
