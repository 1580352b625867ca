#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/sortorder.sh: does peak memory follow the rows inside the window
# whatever the file's order? Many exports come sorted by date, and with
# as_of = latest the window's end is only known at the end of the file.
# Makes (once) two copies of bench/data/offences-ROWS.csv sorted by
# offence_date, oldest first and newest first, then runs
# `harmrank score --top 20` RUNS times (default 3) on each of the three
# files, interleaved, under /usr/bin/time -v, and prints median wall time
# and peak RSS with their ratios to the unsorted file's. Checks that the
# three top 20s are identical (the order of the rows must not change the
# list).
#
# usage: bench/sortorder.sh ROWS       (environment: RUNS=3, THREADS=2)
set -euo pipefail
export LC_ALL=C
source "$(dirname "$0")/lib.sh"

ROWS=${1:?usage: bench/sortorder.sh ROWS}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
ensure_built
CSV=$(data_file "$ROWS")
OUT=$BENCH_DIR/out/sortorder-$ROWS
rm -rf "$OUT"
mkdir -p "$OUT"

# The sorted copies: header first, rows by the date column (4th in the
# generator's core columns), ties in the original order (sort -s).
col=$(head -1 "$CSV" | tr ',' '\n' | grep -n '^offence_date$' | cut -d: -f1)
[[ -n $col ]] || {
  echo "sortorder: no offence_date column in $CSV" >&2
  exit 2
}
for order in asc desc; do
  f="$DATA/offences-$ROWS-$order.csv"
  if [[ ! -s $f ]]; then
    echo "sortorder: writing $f" >&2
    flag=""
    [[ $order == desc ]] && flag=r
    { head -1 "$CSV"; tail -n +2 "$CSV" | sort -s -t, -k"$col","$col$flag"; } \
      >"$f.tmp" && mv "$f.tmp" "$f"
  fi
done
FILES=("$CSV" "$DATA/offences-$ROWS-asc.csv" "$DATA/offences-$ROWS-desc.csv")
NAMES=(unsorted oldest_first newest_first)
for f in "${FILES[@]}"; do cat "$f" >/dev/null; done

echo "harmrank peak memory by file order: $ROWS rows, threads $THREADS, $RUNS runs"
for ((run = 1; run <= RUNS; run++)); do
  for i in 0 1 2; do
    read -r wall rss < <(timed "$OUT/${NAMES[i]}-$run.csv" \
      "$OUT/${NAMES[i]}-$run.time" "$HARMRANK" score --offences "${FILES[i]}" \
      --weights "$WEIGHTS" --threads "$THREADS" --top 20 -q -o -)
    echo "$wall" >>"$OUT/${NAMES[i]}.wall"
    echo "$rss" >>"$OUT/${NAMES[i]}.rss"
    sed -n '2,21p' "$OUT/${NAMES[i]}-$run.csv" | cut -d, -f1-3 \
      >"$OUT/${NAMES[i]}-$run.top"
  done
done

status=0
for f in "$OUT"/*.top; do
  if ! cmp -s "$OUT/unsorted-1.top" "$f"; then
    echo "MISMATCH: $(basename "$f") differs from the unsorted file's top 20"
    status=1
  fi
done
((status == 0)) && echo "top 20 identical in all $((3 * RUNS)) runs"

printf '%-14s %9s %11s %12s %12s\n' file wall_s rss_MiB wall_ratio rss_ratio
uw=$(median <"$OUT/unsorted.wall") ur=$(median <"$OUT/unsorted.rss")
line="RESULT sortorder rows=$ROWS runs=$RUNS threads=$THREADS"
for name in "${NAMES[@]}"; do
  w=$(median <"$OUT/$name.wall") r=$(median <"$OUT/$name.rss")
  printf '%-14s %9s %11s %12s %12s\n' "$name" "$w" \
    "$(awk -v k="$r" 'BEGIN { printf "%.1f", k / 1024 }')" \
    "$(ratio "$w" "$uw")" "$(ratio "$r" "$ur")"
  line+=" ${name}_wall_s=$w ${name}_rss_kib=$r"
done
echo "$line identical=$((status == 0))"
exit $status
