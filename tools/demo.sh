#!/usr/bin/env bash
# The main job, end to end on a fresh Debian 12 machine:
#  1. install and build Tern (tools/setup.sh);
#  2. make a model: a random BitNet b1.58 of the tiny configuration in
#     models/tiny.json, as a bitnet.cpp-style GGUF (I2_S ternary weights),
#     with the real LLaMA-3 tokenizer when ../shared has it;
#  3. inspect it and generate text from it with the reference forward pass
#     (the model is random, so the text is too: the point is the path);
#  4. compile it to a native executable for this CPU (tern compile) and
#     generate with that: same tokens, bit-identical logits;
#  5. the dialect on its own: a BitNet MLP block folded, decomposed, lowered
#     to LLVM and executed.
# Use your own model instead: MODEL=path/to/model.gguf bash tools/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
BUILD_DIR=${TERN_BUILD_DIR:-build}
TERN="$BUILD_DIR/bin/tern"
SHARED=${TERN_SHARED_DIR:-../shared}
TOKENIZER="$SHARED/testdata/llama3-tokenizer/tokenizer.model"

MODEL=${MODEL:-}
if [ -z "$MODEL" ]; then
  MODEL="$BUILD_DIR/tiny.gguf"
  echo "== 1. synthesize models/tiny.json as $MODEL =="
  if [ -f "$TOKENIZER" ]; then
    "$TERN" synth --config models/tiny.json -o "$MODEL" --tokenizer "$TOKENIZER"
  else
    echo "(no $TOKENIZER: the model gets no tokenizer; prompting with token ids)"
    "$TERN" synth --config models/tiny.json -o "$MODEL"
  fi
fi
echo "== 2. inspect =="
"$TERN" inspect "$MODEL" | head -20
echo "== 3. generate (reference forward pass, greedy) =="
if "$TERN" inspect "$MODEL" | grep -q "^tokenizer:     none"; then
  PROMPT=(--tokens 128000,791,6864,315,9822,374)
else
  PROMPT=(-p "The capital of France is")
fi
"$TERN" run -m "$MODEL" "${PROMPT[@]}" -n 16 -t 2 --dump-logits "$BUILD_DIR/reference.npy"
echo "== 4. compile to a native executable and generate with it =="
EXE="$BUILD_DIR/$(basename "${MODEL%.gguf}")"
"$TERN" compile "$MODEL" -o "$EXE" --ctx 512 --time
"$EXE" "${PROMPT[@]}" -n 16 --dump-logits "$BUILD_DIR/compiled.npy"
cmp "$BUILD_DIR/reference.npy" "$BUILD_DIR/compiled.npy" &&
  echo "compiled and reference logits are bit-identical"

TERN_OPT="$BUILD_DIR/bin/tern-opt"
DIALECT_DEMO=models/demo/bitlinear-layer.mlir
LIBS=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so
echo "== 5. the tern dialect on its own: a BitNet MLP block =="
"$TERN_OPT" "$DIALECT_DEMO" --canonicalize | grep -m2 "tern.constant" | cut -c1-120
"$TERN_OPT" "$DIALECT_DEMO" --canonicalize --tern-decompose-bitlinear | grep -m3 -E "tern\.(quantize_act|matmul|rescale)"
"$TERN_OPT" "$DIALECT_DEMO" --tern-reference-pipeline > "$BUILD_DIR/demo.llvm.mlir"
echo "lowered to $(grep -c . "$BUILD_DIR/demo.llvm.mlir") lines of LLVM dialect; executed:"
/usr/lib/llvm-22/bin/mlir-runner -e main -entry-point-result=void \
  -shared-libs="$LIBS" "$BUILD_DIR/demo.llvm.mlir"
