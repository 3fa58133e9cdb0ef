#!/usr/bin/env bash
# Default against tuned kernels on this CPU, for docs/performance.md:
# synthesizes a model, tunes its matmul shapes, compiles it twice (default
# choices, --tuning-db), and runs both executables alternately on a
# 128-token prompt plus 32 generated tokens.
#
#   tools/bench-tuned.sh [CONFIG] [WORKDIR]
#   (env: BUDGET=300 seconds of tuning, THREADS=2, REPS=3, TERN=build/bin/tern)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
config=$(realpath "${1:-$root/models/bitnet-b1.58-2B4T.json}")
work=${2:-$root/build/bench-tuned}
tern=${TERN:-$root/build/bin/tern}
budget=${BUDGET:-300}
threads=${THREADS:-2}
reps=${REPS:-3}
mkdir -p "$work"
cd "$work"
[ -f model.gguf ] || "$tern" synth --config "$config" -o model.gguf \
  --tokenizer "$root/../shared/testdata/llama3-tokenizer/tokenizer.model"
/usr/bin/time -f "tern tune: %e s" "$tern" tune model.gguf -o tuning.json \
  --budget "$budget" 2> tune.log
tail -1 tune.log
"$tern" compile model.gguf -o default --ctx 4096 --time 2>&1 | sed 's/^/default: /'
"$tern" compile model.gguf -o tuned --ctx 4096 --tuning-db tuning.json
python3 - tuning.json <<'PY'
import json, sys
for e in json.load(open(sys.argv[1]))["entries"]:
    print("%5dx%5dx%5d  %-6s block %5d tile %dx%d  %9.1f us  default %9.1f us  x%.2f" % (
        e["m"], e["n"], e["k"], e["family"], e["block"], e["tile_m"], e["tile_n"],
        e["seconds"] * 1e6, e["default_seconds"] * 1e6,
        e["default_seconds"] / e["seconds"]))
PY
# Executables just written by tern compile map their weights from freshly
# written page-cache pages, which decode measurably slower than the same
# file read back from disk (docs/performance.md): drop the page cache when
# allowed, else run copies.
if [ -w /proc/sys/vm/drop_caches ]; then
  sync && echo 1 > /proc/sys/vm/drop_caches
else
  for exe in default tuned; do cp $exe $exe.run && mv $exe.run $exe; done
fi
# 128 ordinary token ids after <|begin_of_text|>.
tokens=$(python3 -c "print(','.join(['128000'] + [str(1000 + i * 7919 % 100000) for i in range(1, 128)]))")
for ((r = 0; r < reps; r++)); do
  for exe in default tuned; do
    ./$exe --tokens "$tokens" -n 32 -t "$threads" --ignore-eos 2>&1 >/dev/null |
      grep 'tokens/s' | sed "s/^/$exe: /"
  done
done
