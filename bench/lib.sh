# SPDX-License-Identifier: GPL-3.0-or-later
# bench/lib.sh: shared helpers for bench/compare.sh, scaling.sh and
# vectors.sh: locating (and building) the binaries, generating benchmark
# data once, timing a command with /usr/bin/time -v, and medians.
# Sourced, not run.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
SRC=${SRC:-$ROOT}
BUILD=${BUILD:-$ROOT/build-bench}
DATA=${DATA:-$BENCH_DIR/data}
WEIGHTS=${WEIGHTS:-$ROOT/config/weights/cchi-estimates-ho-letter.csv}
HARMRANK=$BUILD/harmrank
GEN=$BUILD/bench/harmrank-gen
HBENCH=$BUILD/bench/harmrank-bench

# Builds the Release tree in $BUILD when a binary is missing.
ensure_built() {
  if [[ ! -x $HARMRANK || ! -x $GEN || ! -x $HBENCH ]]; then
    # The bench is off by default; the fault hook stays off so the
    # allocation counter is not timed.
    cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
      -DHARMRANK_BUILD_BENCH=ON -DHARMRANK_FAULT_INJECTION=OFF \
      -DHARMRANK_BUILD_TESTS=OFF >/dev/null &&
      cmake --build "$BUILD" -j2 --target harmrank harmrank-gen \
        harmrank-bench >/dev/null || {
      echo "bench: build failed" >&2
      exit 2
    }
  fi
}

# data_file ROWS: prints the path of bench/data/offences-ROWS.csv,
# generating it (core columns, letter codes, default seed) when missing.
data_file() {
  local rows=$1 f="$DATA/offences-$1.csv"
  mkdir -p "$DATA"
  if [[ ! -s $f ]]; then
    echo "bench: generating $f" >&2
    "$GEN" --rows "$rows" --columns core --codes letter -o "$f.tmp" &&
      mv "$f.tmp" "$f" || {
      echo "bench: generator failed" >&2
      exit 3
    }
  fi
  printf '%s\n' "$f"
}

# timed OUTFILE TIMEFILE CMD...: runs CMD with stdout to OUTFILE under
# /usr/bin/time -v (report in TIMEFILE, CMD's stderr in TIMEFILE.stderr);
# echoes "wall_s max_rss_kib". Wall time is taken with bash's microsecond
# clock around the call (time -v rounds to 10 ms); it includes the fork.
timed() {
  local out=$1 tf=$2 t0 t1
  shift 2
  t0=$EPOCHREALTIME
  /usr/bin/time -v -o "$tf" "$@" >"$out" 2>"$tf.stderr" || {
    echo "bench: command failed: $*" >&2
    cat "$tf.stderr" >&2
    return 1
  }
  t1=$EPOCHREALTIME
  awk -F': ' -v t0="$t0" -v t1="$t1" '
    /Maximum resident set size/ { rss = $2 }
    END { printf "%.3f %d\n", t1 - t0, rss }' "$tf"
}

# median of the numbers on standard input (lower middle for even counts).
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

# ratio A B with 2 decimals ("n/a" when B is 0 or empty).
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f\n", a / b }'
}

# Pulls key=value from a RESULT line.
result_field() {
  tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'
}
