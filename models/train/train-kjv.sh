#!/usr/bin/env bash
# Trains the model shipped in models/kjv from scratch, in one command:
#
#   bash models/train/train-kjv.sh [OUT_DIR]        # default build/kjv
#   FLOAT=1 bash models/train/train-kjv.sh           # also the float baseline
#
# Installs the recipe's Debian packages and builds Tern (tools/setup.sh),
# then: the corpus (corpus.py), a 3,840-rank byte-level BPE (bpe.py), the
# token ids as Tern's tokenizer produces them, quantization-aware training
# of models/train/kjv.json (train.py), and the exported model written as
# GGUF I2_S and as a packed Hugging Face directory with its tokenizer
# (tern convert). Last, Tern's held-out perplexity of the result.
# Steps and threads: STEPS (default 1100), THREADS (default 1: on two
# cores one PyTorch thread is faster per step than two).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-build/kjv}
STEPS=${STEPS:-1100}
THREADS=${THREADS:-1}
TERN_TRAIN=1 bash tools/setup.sh
TERN=${TERN_BUILD_DIR:-build}/bin/tern
PY=/usr/bin/python3 # Debian's interpreter, which has python3-torch
mkdir -p "$OUT"

echo "== corpus and tokenizer =="
$PY models/train/corpus.py "$OUT"
$PY models/train/bpe.py "$OUT/train.txt" 3840 "$OUT/tokenizer.model"
for part in train heldout; do
  "$TERN" tokenize --ids --tokenizer "$OUT/tokenizer.model" \
    < "$OUT/$part.txt" > "$OUT/$part.ids"
done

echo "== training ($STEPS steps) =="
$PY models/train/train.py models/train/kjv.json "$OUT/train.ids" \
  "$OUT/heldout.ids" "$OUT/ternary" --steps "$STEPS" --threads "$THREADS"
if [ "${FLOAT:-0}" = 1 ]; then
  $PY models/train/train.py models/train/kjv.json "$OUT/train.ids" \
    "$OUT/heldout.ids" "$OUT/float" --steps "$STEPS" --threads "$THREADS" \
    --float
fi

echo "== export =="
"$TERN" convert "$OUT/ternary" --tokenizer "$OUT/tokenizer.model" \
  --name tern-kjv -o "$OUT/kjv.gguf"
"$TERN" convert "$OUT/ternary" --tokenizer "$OUT/tokenizer.model" \
  --format hf-packed -o "$OUT/hf"
echo "== held-out perplexity: the recipe's, then Tern's =="
$PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["heldout_perplexity"])' \
  "$OUT/ternary/train.json"
"$TERN" perplexity "$OUT/kjv.gguf" -f "$OUT/heldout.txt" -c 256
