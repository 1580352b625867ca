#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/compare.sh: harmrank against DuckDB on the reference job (CSV on
# disk -> harm per offender over 365 days -> top 20), side by side in one
# run. Generates (or reuses) bench/data/offences-ROWS.csv, then RUNS times
# (default 3), interleaved: `harmrank score --top 20 -o -` with 2 and with 1
# threads under /usr/bin/time -v, bench/duckdb/compare.mjs (2 threads) on
# the same job, and compare.mjs --plain: the plain GROUP BY most analysts
# would write (as_of given as harmrank found it, no dedupe, fewer checks).
# Checks that every top 20 (offender id and harm to 4 decimals) of the
# same job is identical (the plain query's is compared and reported, not
# required: it counts duplicate rows) and prints medians of wall time and
# peak RSS with their ratios.
#
# usage: bench/compare.sh ROWS        (environment: RUNS=3, BUILD, WEIGHTS)
set -euo pipefail
export LC_ALL=C
source "$(dirname "$0")/lib.sh"

ROWS=${1:?usage: bench/compare.sh ROWS}
RUNS=${RUNS:-3}
ensure_built
CSV=$(data_file "$ROWS")
OUT=$BENCH_DIR/out/compare-$ROWS
rm -rf "$OUT"
mkdir -p "$OUT"

# Warm the page cache so every contender reads the file from memory.
cat "$CSV" >/dev/null

have_duck=1
echo "harmrank vs DuckDB: $CSV ($(du -h "$CSV" | cut -f1), $ROWS rows), $RUNS runs"
printf '%-4s %-16s %9s %11s %s\n' run engine wall_s rss_MiB note

# top20 FILE: "rank,offender_id,harm" of the 20 data rows of scores.csv.
top20() { sed -n '2,21p' "$1" | cut -d, -f1-3; }

for ((run = 1; run <= RUNS; run++)); do
  for t in 2 1; do
    read -r wall rss < <(timed "$OUT/h$t-$run.csv" "$OUT/h$t-$run.time" \
      "$HARMRANK" score --offences "$CSV" --weights "$WEIGHTS" \
      --threads "$t" --top 20 --rejects "$OUT/rejects.csv" -o -)
    echo "$wall" >>"$OUT/h$t.wall"
    echo "$rss" >>"$OUT/h$t.rss"
    top20 "$OUT/h$t-$run.csv" >"$OUT/h$t-$run.top"
    as_of=$(sed -n 's/^window: \([0-9-]*\),.*/\1/p' "$OUT/h$t-$run.time.stderr")
    printf '%-4s %-16s %9.3f %11.1f\n' "$run" "harmrank t=$t" "$wall" \
      "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
  done
  if ((have_duck)); then
    read -r wall rss < <(timed "$OUT/duck-$run.out" "$OUT/duck-$run.time" \
      node "$BENCH_DIR/duckdb/compare.mjs" --offences "$CSV" \
      --weights "$WEIGHTS" --threads 2 --top 20)
    if grep -q '^DuckDB not available' "$OUT/duck-$run.out"; then
      echo "DuckDB not available: comparing harmrank thread counts only"
      have_duck=0
    else
      res=$(grep '^RESULT' "$OUT/duck-$run.out")
      q=$(result_field "$res" query_s)
      base=$(result_field "$res" node_baseline_rss_kib)
      echo "$wall" >>"$OUT/duck.wall"
      echo "$rss" >>"$OUT/duck.rss"
      echo "$q" >>"$OUT/duck.query"
      echo $((rss - base)) >>"$OUT/duck.rss_engine"
      grep -v '^RESULT' "$OUT/duck-$run.out" | head -20 >"$OUT/duck-$run.top"
      printf '%-4s %-16s %9.3f %11.1f %s\n' "$run" "duckdb (node)" "$wall" \
        "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" \
        "query ${q}s in-process; node alone $((base / 1024)) MiB"
      read -r wall rss < <(timed "$OUT/plain-$run.out" "$OUT/plain-$run.time" \
        node "$BENCH_DIR/duckdb/compare.mjs" --offences "$CSV" \
        --weights "$WEIGHTS" --threads 2 --top 20 --plain --as-of "$as_of")
      res=$(grep '^RESULT' "$OUT/plain-$run.out")
      q=$(result_field "$res" query_s)
      base=$(result_field "$res" node_baseline_rss_kib)
      echo "$wall" >>"$OUT/plain.wall"
      echo "$rss" >>"$OUT/plain.rss"
      echo "$q" >>"$OUT/plain.query"
      echo $((rss - base)) >>"$OUT/plain.rss_engine"
      grep -v '^RESULT' "$OUT/plain-$run.out" | head -20 >"$OUT/plain-$run.ptop"
      printf '%-4s %-16s %9.3f %11.1f %s\n' "$run" "duckdb plain" "$wall" \
        "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" \
        "query ${q}s in-process; GROUP BY, as_of $as_of given, no dedupe"
    fi
  fi
done

# Every top 20 must be the same list.
status=0
ref="$OUT/h2-1.top"
for f in "$OUT"/*.top; do
  if ! cmp -s "$ref" "$f"; then
    echo "MISMATCH: $(basename "$f") differs from h2-1.top:"
    diff "$ref" "$f" | head -20 || true
    status=1
  fi
done
if ((status == 0)); then
  n=$(ls "$OUT"/*.top | wc -l)
  echo "top 20 identical across all $n runs (harmrank t=2, t=1$( ((have_duck)) && echo ", DuckDB"))"
fi
plain_same=n/a
if ((have_duck)); then
  plain_same=1
  for f in "$OUT"/*.ptop; do
    cmp -s "$ref" "$f" || plain_same=0
  done
  if ((plain_same)); then
    echo "plain GROUP BY top 20 also identical"
  else
    echo "plain GROUP BY top 20 differs from harmrank's (it counts duplicate" \
      "rows and checks less):"
    diff "$ref" "$OUT/plain-1.ptop" | head -10 || true
  fi
fi

h2w=$(median <"$OUT/h2.wall") h2r=$(median <"$OUT/h2.rss")
h1w=$(median <"$OUT/h1.wall") h1r=$(median <"$OUT/h1.rss")
echo
echo "medians of $RUNS runs ($ROWS rows)"
printf '%-28s %9s %11s\n' engine wall_s rss_MiB
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
printf '%-28s %9s %11s\n' "harmrank --threads 2" "$h2w" "$(mib "$h2r")"
printf '%-28s %9s %11s\n' "harmrank --threads 1" "$h1w" "$(mib "$h1r")"
line="RESULT compare rows=$ROWS runs=$RUNS h2_wall_s=$h2w h2_rss_kib=$h2r h1_wall_s=$h1w h1_rss_kib=$h1r"
if ((have_duck)); then
  dw=$(median <"$OUT/duck.wall") dr=$(median <"$OUT/duck.rss")
  dq=$(median <"$OUT/duck.query") de=$(median <"$OUT/duck.rss_engine")
  printf '%-28s %9s %11s\n' "duckdb process (node)" "$dw" "$(mib "$dr")"
  printf '%-28s %9s %11s\n' "duckdb engine (query; -node)" "$dq" "$(mib "$de")"
  pw=$(median <"$OUT/plain.wall") pr=$(median <"$OUT/plain.rss")
  pq=$(median <"$OUT/plain.query") pe=$(median <"$OUT/plain.rss_engine")
  printf '%-28s %9s %11s\n' "duckdb plain GROUP BY (node)" "$pw" "$(mib "$pr")"
  printf '%-28s %9s %11s\n' "duckdb plain engine (-node)" "$pq" "$(mib "$pe")"
  echo
  echo "DuckDB / harmrank t=2 (higher = harmrank better):"
  echo "  same job  wall:   process $(ratio "$dw" "$h2w")x   engine-only $(ratio "$dq" "$h2w")x   (target >= 3)"
  echo "            memory: process $(ratio "$dr" "$h2r")x   engine-only $(ratio "$de" "$h2r")x   (target >= 4)"
  echo "  plain     wall:   process $(ratio "$pw" "$h2w")x   engine-only $(ratio "$pq" "$h2w")x   (target >= 2.5)"
  echo "            memory: process $(ratio "$pr" "$h2r")x   engine-only $(ratio "$pe" "$h2r")x   (target >= 3)"
  line+=" duck_wall_s=$dw duck_rss_kib=$dr duck_query_s=$dq duck_engine_rss_kib=$de"
  line+=" wall_ratio_engine=$(ratio "$dq" "$h2w") mem_ratio_engine=$(ratio "$de" "$h2r")"
  line+=" wall_ratio_process=$(ratio "$dw" "$h2w") mem_ratio_process=$(ratio "$dr" "$h2r")"
  line+=" plain_wall_s=$pw plain_rss_kib=$pr plain_query_s=$pq plain_engine_rss_kib=$pe"
  line+=" plain_wall_ratio_engine=$(ratio "$pq" "$h2w") plain_mem_ratio_engine=$(ratio "$pe" "$h2r")"
fi
echo "  harmrank t=1 / t=2 wall: $(ratio "$h1w" "$h2w")x   (target >= 1.6)"
echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$line identical=$((status == 0)) plain_identical=$plain_same"
exit $status
