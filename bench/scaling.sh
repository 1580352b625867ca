#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/scaling.sh: is harmrank's cost linear in rows, and is its memory
# bounded by subjects rather than file size? For 1M and 10M rows (and 100M
# with --big, about 6 GB of CSV) it runs `harmrank score --top 20` RUNS
# times (default 3) under /usr/bin/time -v and harmrank-bench once per size
# for the stage split, then prints median wall, peak RSS, ns per row and
# the time ratio against the smallest size divided by the row ratio
# (1.00 = perfectly linear).
#
# usage: bench/scaling.sh [--big]        (environment: RUNS=3, THREADS=2)
set -euo pipefail
export LC_ALL=C
source "$(dirname "$0")/lib.sh"

SIZES=(1000000 10000000)
[[ ${1:-} == --big ]] && SIZES+=(100000000)
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
ensure_built
OUT=$BENCH_DIR/out/scaling
rm -rf "$OUT"
mkdir -p "$OUT"

echo "harmrank scaling, threads $THREADS, $RUNS runs per size (medians)"
printf '%12s %9s %9s %10s %9s %11s %9s %s\n' rows csv_MiB wall_s rss_MiB \
  ns_per_row rows_per_s linearity "read/aggregate/score_rank/cohort s (bench)"
base_rows="" base_wall=""
for rows in "${SIZES[@]}"; do
  csv=$(data_file "$rows")
  cat "$csv" >/dev/null
  : >"$OUT/$rows.wall"
  : >"$OUT/$rows.rss"
  for ((run = 1; run <= RUNS; run++)); do
    read -r wall rss < <(timed "$OUT/$rows-$run.csv" "$OUT/$rows-$run.time" \
      "$HARMRANK" score --offences "$csv" --weights "$WEIGHTS" \
      --threads "$THREADS" --top 20 --rejects "$OUT/rejects.csv" -o -)
    echo "$wall" >>"$OUT/$rows.wall"
    echo "$rss" >>"$OUT/$rows.rss"
  done
  w=$(median <"$OUT/$rows.wall") r=$(median <"$OUT/$rows.rss")
  res=$("$HBENCH" --offences "$csv" --weights "$WEIGHTS" --threads "$THREADS" \
    --top 20 | grep '^RESULT')
  echo "$res" >"$OUT/$rows.bench"
  split=$(printf "%s/%s/%s/%s" "$(result_field "$res" read_s)" \
    "$(result_field "$res" aggregate_s)" "$(result_field "$res" score_rank_s)" \
    "$(result_field "$res" cohort_s)")
  if [[ -z $base_rows ]]; then
    base_rows=$rows base_wall=$w
  fi
  lin=$(awk -v w="$w" -v bw="$base_wall" -v r="$rows" -v br="$base_rows" \
    'BEGIN { printf "%.2f", (w / bw) / (r / br) }')
  printf '%12s %9.0f %9s %10.1f %9.0f %11.0f %9s %s\n' "$rows" \
    "$(awk -v b="$(stat -c %s "$csv")" 'BEGIN { print b / 1048576 }')" "$w" \
    "$(awk -v k="$r" 'BEGIN { print k / 1024 }')" \
    "$(awk -v w="$w" -v n="$rows" 'BEGIN { print w * 1e9 / n }')" \
    "$(awk -v w="$w" -v n="$rows" 'BEGIN { print n / w }')" "$lin" "$split"
  echo "RESULT scaling rows=$rows threads=$THREADS runs=$RUNS wall_s=$w rss_kib=$r linearity=$lin subjects=$(result_field "$res" subjects) nnz=$(result_field "$res" nnz)" >>"$OUT/results"
done
cat "$OUT/results"
