#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/ab.sh: two harmrank binaries on the same job, interleaved (A, B,
# A, B, ...) so that both see the same minutes of a shared, noisy machine:
# `score --top TOP` on bench/data/offences-ROWS.csv, RUNS times each.
# Checks first that both write the same scores.csv and rejects.csv, then
# prints the medians of wall, CPU (user + system) and system time, the
# fastest wall, and the page faults and peak RSS of the last run, with
# B's change against A.
#
# usage: bench/ab.sh BIN_A BIN_B [ROWS]
#        (environment: RUNS=11, THREADS=2, TOP=20, CSV=another file)
set -euo pipefail
export LC_ALL=C
source "$(dirname "$0")/lib.sh"

A=${1:?usage: bench/ab.sh BIN_A BIN_B [ROWS]}
B=${2:?usage: bench/ab.sh BIN_A BIN_B [ROWS]}
ROWS=${3:-10000000}
RUNS=${RUNS:-11}
THREADS=${THREADS:-2}
TOP=${TOP:-20}
for bin in "$A" "$B"; do
  [[ -x $bin ]] || {
    echo "bench/ab.sh: $bin is not an executable" >&2
    exit 2
  }
done
if [[ -z ${CSV:-} ]]; then
  ensure_built
  CSV=$(data_file "$ROWS")
fi
OUT=$BENCH_DIR/out/ab
rm -rf "$OUT"
mkdir -p "$OUT"
cat "$CSV" >/dev/null # the page cache, for both

run() { # run NAME BIN RUN
  /usr/bin/time -f "%e %U %S %R %M" -o "$OUT/$1-$3.time" "$2" score \
    --offences "$CSV" --weights "$WEIGHTS" --threads "$THREADS" \
    --top "$TOP" -o "$OUT/$1-scores.csv" --rejects "$OUT/$1-rejects.csv" \
    -q
}

echo "A: $A"
echo "B: $B"
echo "$CSV, threads $THREADS, --top $TOP, $RUNS runs each, interleaved"
for ((r = 1; r <= RUNS; r++)); do
  run A "$A" "$r"
  run B "$B" "$r"
  if ((r == 1)); then
    for f in scores rejects; do
      cmp -s "$OUT/A-$f.csv" "$OUT/B-$f.csv" || {
        echo "bench/ab.sh: A and B write different $f.csv" >&2
        exit 1
      }
    done
    echo "scores.csv and rejects.csv identical"
  fi
done

# col N of every run's time file for X, one per line.
col() { cat "$OUT/$1"-*.time | awk -v c="$2" '{ print $c }'; }
cpu() { cat "$OUT/$1"-*.time | awk '{ printf "%.2f\n", $2 + $3 }'; }
min() { sort -g | head -1; }
last() { awk -v c="$2" '{ v = $c } END { print v }' "$OUT/$1-$RUNS.time"; }

printf '%-22s %12s %12s %9s\n' "" A B "B vs A"
line() { # line LABEL A B
  printf '%-22s %12s %12s %8s%%\n' "$1" "$2" "$3" \
    "$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%+.1f", (a > 0 ? 100 * (b - a) / a : 0) }')"
}
line "wall, median (s)" "$(col A 1 | median)" "$(col B 1 | median)"
line "wall, fastest (s)" "$(col A 1 | min)" "$(col B 1 | min)"
line "CPU, median (s)" "$(cpu A | median)" "$(cpu B | median)"
line "system, median (s)" "$(col A 3 | median)" "$(col B 3 | median)"
line "page faults" "$(last A 4)" "$(last B 4)"
line "peak RSS (KiB)" "$(last A 5)" "$(last B 5)"
