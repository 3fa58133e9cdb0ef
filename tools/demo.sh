#!/usr/bin/env bash
# The main job, end to end on a fresh Debian 12 machine: install and build
# Tern (tools/setup.sh), then take a BitNet-style feed-forward block written
# in the tern dialect (models/demo/bitlinear-layer.mlir), fold its absmean
# weight quantization at compile time, decompose and lower it through the
# reference pipeline to LLVM, and run it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
BUILD_DIR=${TERN_BUILD_DIR:-build}
TERN_OPT="$BUILD_DIR/bin/tern-opt"
MODEL=models/demo/bitlinear-layer.mlir
LIBS=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so

echo "== 1. weights quantized and packed at compile time (canonicalize) =="
"$TERN_OPT" "$MODEL" --canonicalize | grep -m3 "tern.constant" | cut -c1-150
echo "== 2. BitLinear decomposed (tern-decompose-bitlinear) =="
"$TERN_OPT" "$MODEL" --canonicalize --tern-decompose-bitlinear | grep -m3 -E "tern\.(quantize_act|matmul|rescale)"
echo "== 3. lowered to the LLVM dialect (tern-reference-pipeline) =="
"$TERN_OPT" "$MODEL" --tern-reference-pipeline > "$BUILD_DIR/demo.llvm.mlir"
echo "$(grep -c . "$BUILD_DIR/demo.llvm.mlir") lines of LLVM dialect in $BUILD_DIR/demo.llvm.mlir"
echo "== 4. executed: the block's output for two tokens =="
/usr/lib/llvm-22/bin/mlir-runner -e main -entry-point-result=void \
  -shared-libs="$LIBS" "$BUILD_DIR/demo.llvm.mlir"
