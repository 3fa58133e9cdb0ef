// RUN: tern-opt %s --tern-fuse-rope-attention | FileCheck %s

// Decode: the query and key rotated by the same tables, read by nothing
// else: the attention takes the rows before rotation and the tables, its
// attributes kept, and the tern.rope ops go.
// CHECK-LABEL: func @decode
// CHECK-SAME: (%[[Q:[^:]*]]: tensor<1x128xf32>, %[[K:[^:]*]]: tensor<1x64xf32>, %[[V:[^:]*]]: tensor<1x64xf32>, %[[KC:[^:]*]]: memref<2x16x64xf32>, %[[VC:[^:]*]]: memref<2x16x64xf32>, %[[P:[^:]*]]: index)
// CHECK-NEXT: %[[C:.*]], %[[S:.*]] = tern.rope_table %[[P]]
// CHECK-NOT: tern.rope %
// CHECK-NEXT: %[[A:.*]] = tern.attention %[[Q]], %[[K]], %[[V]] into %[[KC]], %[[VC]] at %[[P]] rope %[[C]], %[[S]] {layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, staged_from = 8 : i64} : tensor<1x128xf32>, tensor<1x64xf32>, tensor<1x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32>, tensor<1x16xf32>, tensor<1x16xf32> -> tensor<1x128xf32>
// CHECK-NEXT: return %[[A]]
func.func @decode(%q: tensor<1x128xf32>, %k: tensor<1x64xf32>, %v: tensor<1x64xf32>, %kc: memref<2x16x64xf32>, %vc: memref<2x16x64xf32>, %p: index) -> tensor<1x128xf32> {
  %c, %s = tern.rope_table %p {theta = 5.0e+05 : f32} : tensor<1x16xf32>, tensor<1x16xf32>
  %qr = tern.rope %q, %c, %s : tensor<1x128xf32>, tensor<1x16xf32>, tensor<1x16xf32> -> tensor<1x128xf32>
  %kr = tern.rope %k, %c, %s : tensor<1x64xf32>, tensor<1x16xf32>, tensor<1x16xf32> -> tensor<1x64xf32>
  %a = tern.attention %qr, %kr, %v into %kc, %vc at %p {layer = 1 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64, staged_from = 8 : i64} : tensor<1x128xf32>, tensor<1x64xf32>, tensor<1x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32> -> tensor<1x128xf32>
  return %a : tensor<1x128xf32>
}

// Prefill rows: left alone (the op rotates one row only).
// CHECK-LABEL: func @rows
// CHECK: %[[QR:[0-9]+]] = tern.rope %
// CHECK: %[[KR:[0-9]+]] = tern.rope %
// CHECK: tern.attention %[[QR]], %[[KR]], %{{.*}} into %{{.*}}, %{{.*}} at %{{[^ ]*}} {
func.func @rows(%q: tensor<2x128xf32>, %k: tensor<2x64xf32>, %v: tensor<2x64xf32>, %kc: memref<2x16x64xf32>, %vc: memref<2x16x64xf32>, %p: index) -> tensor<2x128xf32> {
  %c, %s = tern.rope_table %p {theta = 5.0e+05 : f32} : tensor<2x16xf32>, tensor<2x16xf32>
  %qr = tern.rope %q, %c, %s : tensor<2x128xf32>, tensor<2x16xf32>, tensor<2x16xf32> -> tensor<2x128xf32>
  %kr = tern.rope %k, %c, %s : tensor<2x64xf32>, tensor<2x16xf32>, tensor<2x16xf32> -> tensor<2x64xf32>
  %a = tern.attention %qr, %kr, %v into %kc, %vc at %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<2x128xf32>, tensor<2x64xf32>, tensor<2x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32> -> tensor<2x128xf32>
  return %a : tensor<2x128xf32>
}

// The rotated query is read elsewhere too: left alone.
// CHECK-LABEL: func @query_read_twice
// CHECK: %[[QR:[0-9]+]] = tern.rope %
// CHECK: tern.rope %
// CHECK: tern.attention %[[QR]], {{.*}} at %{{[^ ]*}} {
func.func @query_read_twice(%q: tensor<1x128xf32>, %k: tensor<1x64xf32>, %v: tensor<1x64xf32>, %kc: memref<2x16x64xf32>, %vc: memref<2x16x64xf32>, %p: index) -> (tensor<1x128xf32>, tensor<1x128xf32>) {
  %c, %s = tern.rope_table %p {theta = 5.0e+05 : f32} : tensor<1x16xf32>, tensor<1x16xf32>
  %qr = tern.rope %q, %c, %s : tensor<1x128xf32>, tensor<1x16xf32>, tensor<1x16xf32> -> tensor<1x128xf32>
  %kr = tern.rope %k, %c, %s : tensor<1x64xf32>, tensor<1x16xf32>, tensor<1x16xf32> -> tensor<1x64xf32>
  %a = tern.attention %qr, %kr, %v into %kc, %vc at %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x128xf32>, tensor<1x64xf32>, tensor<1x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32> -> tensor<1x128xf32>
  return %a, %qr : tensor<1x128xf32>, tensor<1x128xf32>
}

// Query and key rotated by different tables: left alone.
// CHECK-LABEL: func @other_tables
// CHECK: tern.attention {{.*}} at %{{[^ ]*}} {
func.func @other_tables(%q: tensor<1x128xf32>, %k: tensor<1x64xf32>, %v: tensor<1x64xf32>, %kc: memref<2x16x64xf32>, %vc: memref<2x16x64xf32>, %p: index, %p2: index) -> tensor<1x128xf32> {
  %c, %s = tern.rope_table %p {theta = 5.0e+05 : f32} : tensor<1x16xf32>, tensor<1x16xf32>
  %c2, %s2 = tern.rope_table %p2 {theta = 5.0e+05 : f32} : tensor<1x16xf32>, tensor<1x16xf32>
  %qr = tern.rope %q, %c, %s : tensor<1x128xf32>, tensor<1x16xf32>, tensor<1x16xf32> -> tensor<1x128xf32>
  %kr = tern.rope %k, %c2, %s2 : tensor<1x64xf32>, tensor<1x16xf32>, tensor<1x16xf32> -> tensor<1x64xf32>
  %a = tern.attention %qr, %kr, %v into %kc, %vc at %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x128xf32>, tensor<1x64xf32>, tensor<1x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32> -> tensor<1x128xf32>
  return %a : tensor<1x128xf32>
}

// The key is not rotated here: left alone.
// CHECK-LABEL: func @key_as_is
// CHECK: %[[QR:[0-9]+]] = tern.rope %
// CHECK: tern.attention %[[QR]], %arg1, {{.*}} at %{{[^ ]*}} {
func.func @key_as_is(%q: tensor<1x128xf32>, %k: tensor<1x64xf32>, %v: tensor<1x64xf32>, %kc: memref<2x16x64xf32>, %vc: memref<2x16x64xf32>, %p: index) -> tensor<1x128xf32> {
  %c, %s = tern.rope_table %p {theta = 5.0e+05 : f32} : tensor<1x16xf32>, tensor<1x16xf32>
  %qr = tern.rope %q, %c, %s : tensor<1x128xf32>, tensor<1x16xf32>, tensor<1x16xf32> -> tensor<1x128xf32>
  %a = tern.attention %qr, %k, %v into %kc, %vc at %p {layer = 0 : i64, num_heads = 4 : i64, num_kv_heads = 2 : i64} : tensor<1x128xf32>, tensor<1x64xf32>, tensor<1x64xf32>, memref<2x16x64xf32>, memref<2x16x64xf32> -> tensor<1x128xf32>
  return %a : tensor<1x128xf32>
}
