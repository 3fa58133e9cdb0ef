// A packing the target does not read for a shape is reported, not dropped
// (the weight keeps the default layout); bad options and databases are
// errors.
// RUN: tern-opt %s '--tern-select-kernels=target=x86-64-v3 packing=base3v' -verify-diagnostics | FileCheck %s
// RUN: not tern-opt %s --tern-select-kernels=target=pdp11 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not tern-opt %s '--tern-select-kernels=packing=tq1' 2>&1 | FileCheck %s --check-prefix=PACKING
// RUN: printf 'nonsense' > %t.json
// RUN: not tern-opt %s '--tern-select-kernels=tuning-db=%t.json' 2>&1 | FileCheck %s --check-prefix=DB
// RUN: printf '%%s' '{"format":"tern-tuning","version":1,"entries":[{"cpu":"znver3","m":1,"n":64,"k":256,"family":"vnni","block":128,"tile_m":1,"tile_n":1}]}' > %t-vnni.json
// RUN: not tern-opt %s '--tern-select-kernels=target=znver3 tuning-db=%t-vnni.json' 2>&1 | FileCheck %s --check-prefix=RUNS
// TARGET: error: target: unknown target 'pdp11': use one of native, x86-64
// PACKING: error: packing: unknown packing 'tq1' (i2, i2x16, base3v, lut2i, lut2, base3)
// DB: error: {{.*}}.json: not JSON
// RUNS: error: {{.*}}-vnni.json: the entry for znver3 1x64x256 uses the vnni kernels, which target 'znver3' cannot run

// CHECK: tern.pack {{.*}} -> !tern.weights<64x256, #tern.layout<i2, block = 128>>
// CHECK: tern.pack {{.*}} -> !tern.weights<64x320, #tern.layout<base3v, block = 320>>
func.func @layer(%blob: memref<?xi8>, %x: tensor<1x256xf32>, %x2: tensor<1x320xf32>, %s: f32) -> (tensor<1x64xf32>, tensor<1x64xf32>) {
  // expected-warning @+1 {{packing base3v is not used for 1 weight of 64x256 ('w'): rows of 256 weights are not whole base3v blocks (multiples of 5); stored as i2 b128}}
  %w = tern.weight "w" %blob : memref<?xi8> -> !tern.weights<64x256>
  %y = tern.bitlinear %x, %w, %s : tensor<1x256xf32>, !tern.weights<64x256>, f32 -> tensor<1x64xf32>
  %w2 = tern.weight "w2" %blob : memref<?xi8> -> !tern.weights<64x320>
  %y2 = tern.bitlinear %x2, %w2, %s : tensor<1x320xf32>, !tern.weights<64x320>, f32 -> tensor<1x64xf32>
  return %y, %y2 : tensor<1x64xf32>, tensor<1x64xf32>
}
