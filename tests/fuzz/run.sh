#!/usr/bin/env bash
# Builds every libFuzzer target in tests/fuzz with clang (ASan + UBSan) and
# runs each for a fixed budget from its seed corpus; fails on any crash,
# leak or undefined behaviour.
#   run.sh OUT_DIR SECONDS_EACH
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:?output directory}
SECONDS_EACH=${2:-10}
CXX=${EVENTLY_FUZZ_CXX:-clang++}
command -v "$CXX" >/dev/null || { echo "run.sh: $CXX not found (install clang)" >&2; exit 1; }
mkdir -p "$OUT"
FLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=undefined -I"$ROOT/shared/include"
       $(pkg-config --cflags libcjson libsodium libpqxx))
LIBS=($(pkg-config --libs libcjson libsodium libpqxx))
# The shared sources the targets reach (built once, with the sanitizers).
SOURCES=(accounts auth config cursor db errors json request time validate)
objs=()
for s in "${SOURCES[@]}"; do
  o=$OUT/$s.o
  if [ ! -f "$o" ] || [ "$ROOT/shared/src/$s.cpp" -nt "$o" ] || [ -n "$(find "$ROOT/shared/include" -newer "$o" -print -quit)" ]; then
    "$CXX" "${FLAGS[@]/-fsanitize=fuzzer,/-fsanitize=fuzzer-no-link,}" -c "$ROOT/shared/src/$s.cpp" -o "$o"
  fi
  objs+=("$o")
done
status=0
for src in "$ROOT"/tests/fuzz/fuzz_*.cpp; do
  name=$(basename "$src" .cpp)
  "$CXX" "${FLAGS[@]}" "$src" "${objs[@]}" "${LIBS[@]}" -o "$OUT/$name"
  # The seed corpus stays as committed; new inputs go to a scratch copy.
  rm -rf "$OUT/$name-corpus"
  mkdir -p "$OUT/$name-corpus"
  cp "$ROOT/tests/fuzz/corpus/${name#fuzz_}"/* "$OUT/$name-corpus/" 2>/dev/null || true
  echo "fuzz: $name for ${SECONDS_EACH}s"
  if ! UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
      "$OUT/$name" -max_total_time="$SECONDS_EACH" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$OUT/$name-" -print_final_stats=1 "$OUT/$name-corpus" >"$OUT/$name.log" 2>&1; then
    echo "fuzz: $name FAILED (see $OUT/$name.log and $OUT/$name-crash-*)" >&2
    tail -n 40 "$OUT/$name.log" >&2
    status=1
  else
    grep -E '^stat::number_of_executed_units' "$OUT/$name.log" | sed "s/^/fuzz: $name /" || true
  fi
done
exit "$status"
