#!/usr/bin/env bash
# Builds Tern's libFuzzer targets (fuzz/; clang-22 with AddressSanitizer,
# UBSan and libFuzzer) and runs each over its seeds (written by the
# project's own writers, tern_fuzz_seeds) and its regression corpus
# (fuzz/corpus/<target>), for FUZZ_SECONDS each. A finding stops the script
# with the reproducer's path.
#
#   bash tools/fuzz.sh                     # every target, 20 s each
#   FUZZ_SECONDS=600 bash tools/fuzz.sh    # 10 minutes each
#   bash tools/fuzz.sh gguf payload        # only these targets
#
# Builds: $TERN_FUZZ_BUILD (default build-fuzz: the runtime's targets, no
# compiler) and $TERN_FUZZ_COMPILER_BUILD (default build-fuzz-compiler: the
# tuning-file reader, which needs the compiler's registries). New inputs
# the fuzzers find go to $BUILD/fuzz-work/<target>, not into the source tree.
# Targets whose readers take a path write each input to a file in $TMPDIR
# (fuzz/FuzzInput.h): a directory of this run's own, removed when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-20}
BUILD=${TERN_FUZZ_BUILD:-build-fuzz}
CBUILD=${TERN_FUZZ_COMPILER_BUILD:-build-fuzz-compiler}
RUNTIME_TARGETS=(gguf safetensors hf_config tokenizer_files encode payload)
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then TARGETS=("${RUNTIME_TARGETS[@]}" tuning_db); fi

configure() { # dir, extra cmake args...
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    CC=clang-22 CXX=clang++-22 cmake -S . -B "$dir" -G Ninja \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTERN_ENABLE_SANITIZERS=ON \
      -DTERN_ENABLE_FUZZERS=ON -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
      "$@" >/dev/null
  fi
}
needs_compiler=0
for t in "${TARGETS[@]}"; do [ "$t" = tuning_db ] && needs_compiler=1; done
configure "$BUILD" -DTERN_ENABLE_COMPILER=OFF
cmake --build "$BUILD" --target tern_fuzz_seeds \
  $(for t in "${TARGETS[@]}"; do [ "$t" != tuning_db ] && echo "tern_fuzz_$t"; done)
if [ $needs_compiler = 1 ]; then
  configure "$CBUILD" -DTERN_ENABLE_TESTS=OFF
  cmake --build "$CBUILD" --target tern_fuzz_tuning_db
fi

seeds="$BUILD/fuzz-seeds"
rm -rf "$seeds"
"$BUILD/bin/tern_fuzz_seeds" "$seeds"
mkdir -p "$seeds/tuning_db"

TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/tern-fuzz.XXXXXX")
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT

status=0
for t in "${TARGETS[@]}"; do
  bin="$BUILD/bin/tern_fuzz_$t"
  [ "$t" = tuning_db ] && bin="$CBUILD/bin/tern_fuzz_$t"
  work="$BUILD/fuzz-work/$t"
  mkdir -p "$work" "$BUILD/fuzz-crashes"
  log="$BUILD/fuzz-work/$t.log"
  echo "fuzz: $t for ${SECONDS_EACH} s"
  if ! "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$BUILD/fuzz-crashes/$t-" \
      "$work" "fuzz/corpus/$t" "$seeds/$t" >"$log" 2>&1; then
    echo "fuzz: $t found a problem; log: $log"
    grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -5 || true
    status=1
  fi
  # One line per target: executions, their rate and the edges covered.
  grep -E "^stat::number_of_executed_units|^stat::average_exec_per_sec" "$log" |
    tr '\n' ' ' | sed "s/^/fuzz: $t: /"
  echo " $(grep -oE 'cov: [0-9]+' "$log" | tail -1)"
done
exit $status
