#!/usr/bin/env bash
# The main job, end to end on a fresh Debian 12 machine:
#  1. install and build Tern (tools/setup.sh);
#  2. inspect the model Tern ships: a small BitNet b1.58 trained by the
#     project's recipe on the King James Bible (models/kjv, model card in
#     models/kjv/README.md);
#  3. generate from a few prompts with the reference forward pass;
#  4. compile it to a native executable for this CPU (tern compile) and
#     generate with that: the same tokens, bit-identical logits;
#  5. score held-out text (tern perplexity), reference and executable;
#  6. the dialect on its own: a BitNet MLP block folded, decomposed, lowered
#     to LLVM and executed.
# Use your own model instead: MODEL=path/to/model.gguf bash tools/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
BUILD_DIR=${TERN_BUILD_DIR:-build}
TERN="$BUILD_DIR/bin/tern"
MODEL=${MODEL:-models/kjv/kjv.gguf}
PROMPTS=("In the beginning" "And Jesus said unto them," "The LORD is my shepherd;")
HELDOUT=models/kjv/heldout.txt

echo "== 1. the model: $MODEL =="
"$TERN" inspect "$MODEL" | head -12
echo
echo "== 2. generate with the reference forward pass (sampling, seed 7) =="
for p in "${PROMPTS[@]}"; do
  echo "> $p"
  "$TERN" run -m "$MODEL" -p "$p" -n 40 --temp 0.7 --seed 7 -t 2 2>/dev/null
  echo
done
echo "greedy, with every position's logits saved:"
"$TERN" run -m "$MODEL" -p "${PROMPTS[0]}" -n 24 -t 2 \
  --dump-logits "$BUILD_DIR/reference.npy"
echo
echo "== 3. compile to a native executable and generate with it =="
EXE="$BUILD_DIR/$(basename "${MODEL%.gguf}")"
"$TERN" compile "$MODEL" -o "$EXE" --time
for p in "${PROMPTS[@]}"; do
  echo "> $p"
  "$EXE" -p "$p" -n 40 --temp 0.7 --seed 7 2>/dev/null
  echo
done
"$EXE" -p "${PROMPTS[0]}" -n 24 --quiet --dump-logits "$BUILD_DIR/compiled.npy" >/dev/null
cmp "$BUILD_DIR/reference.npy" "$BUILD_DIR/compiled.npy" &&
  echo "compiled and reference logits are bit-identical"

if [ "$MODEL" = models/kjv/kjv.gguf ]; then
  echo
  echo "== 4. held-out perplexity (chapters the model never saw; 8 chunks of 256 tokens) =="
  "$TERN" perplexity "$MODEL" -f "$HELDOUT" -c 256 --chunks 8 -t 2 2>/dev/null
  "$EXE" perplexity -f "$HELDOUT" -c 256 --chunks 8 2>/dev/null
fi

TERN_OPT="$BUILD_DIR/bin/tern-opt"
DIALECT_DEMO=models/demo/bitlinear-layer.mlir
LIBS=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so
echo
echo "== 5. the tern dialect on its own: a BitNet MLP block =="
"$TERN_OPT" "$DIALECT_DEMO" --canonicalize | grep -m2 "tern.constant" | cut -c1-120
"$TERN_OPT" "$DIALECT_DEMO" --canonicalize --tern-decompose-bitlinear | grep -m3 -E "tern\.(quantize_act|matmul|rescale)"
"$TERN_OPT" "$DIALECT_DEMO" --tern-reference-pipeline > "$BUILD_DIR/demo.llvm.mlir"
echo "lowered to $(grep -c . "$BUILD_DIR/demo.llvm.mlir") lines of LLVM dialect; executed:"
/usr/lib/llvm-22/bin/mlir-runner -e main -entry-point-result=void \
  -shared-libs="$LIBS" "$BUILD_DIR/demo.llvm.mlir"
