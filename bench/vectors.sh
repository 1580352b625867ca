#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/vectors.sh: the analysts' sweep case. Builds the matrix once and
# times harm_score_many with 1 and with K (default 100) perturbed weight
# vectors, through harmrank-bench --vectors, on bench/data/offences-ROWS.csv
# (default 10M rows). DESIGN.md §9's target is the whole job with 100
# weightings in under 1.5x the time of the job with one.
#
# usage: bench/vectors.sh [ROWS] [K]   (environment: RUNS=3, THREADS=2)
set -euo pipefail
export LC_ALL=C
source "$(dirname "$0")/lib.sh"

ROWS=${1:-10000000}
K=${2:-100}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
ensure_built
CSV=$(data_file "$ROWS")
cat "$CSV" >/dev/null
mkdir -p "$BENCH_DIR/out"
"$HBENCH" --offences "$CSV" --weights "$WEIGHTS" --threads "$THREADS" \
  --top 20 --vectors "$K" --repeat "$RUNS" | tee "$BENCH_DIR/out/vectors-$ROWS.txt"
