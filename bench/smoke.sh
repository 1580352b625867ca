#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/smoke.sh HARMRANK HARMRANK_BENCH OFFENCES WEIGHTS: the bench runs
# the same job as `harmrank score` (one run object, the same defaults).
# Its checksummed top 20 ("rank,offender_id,harm") must equal the first
# three columns of the command's scores.csv, at 1 and 2 threads, and a
# repeated run must verify against its own checksum.
set -euo pipefail
hr=$1 hb=$2 offences=$3 weights=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$hr" score --offences "$offences" --weights "$weights" --top 20 -q \
  -o "$tmp/scores.csv" --rejects "$tmp/rejects.csv"
tail -n +2 "$tmp/scores.csv" | cut -d, -f1-3 >"$tmp/want"
[[ $(wc -l <"$tmp/want") -eq 20 ]] || { echo "expected 20 ranked rows"; exit 1; }
for t in 1 2; do
  "$hb" --offences "$offences" --weights "$weights" --threads "$t" --top 20 \
    --repeat 2 --top-out "$tmp/got-$t" >"$tmp/out-$t"
  diff -u "$tmp/want" "$tmp/got-$t"
done
sum=$(sed -n 's/.* checksum=\([0-9a-f]*\)$/\1/p' "$tmp/out-1")
[[ ${#sum} -eq 16 ]] || { echo "no checksum in the bench's RESULT line"; exit 1; }
"$hb" --offences "$offences" --weights "$weights" --threads 2 --verify "$sum" \
  >/dev/null 2>&1
if "$hb" --offences "$offences" --weights "$weights" --verify 0000000000000000 \
  >/dev/null 2>&1; then
  echo "--verify accepted a wrong checksum"
  exit 1
fi
echo "bench smoke: ok"
