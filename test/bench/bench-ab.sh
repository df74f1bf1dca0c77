#!/bin/sh
# bench-ab.sh: interleaved A/B runs of bench-processor.sh (a benchmark, not a test).
#
#   sh test/bench/bench-ab.sh ROUNDS LABEL=BINDIR[:SETUP_SQL] LABEL=BINDIR[:SETUP_SQL] ...
#
# Runs every variant once per round, so that a slow minute on a shared
# machine hits all of them alike. Odd rounds go in the order given, even
# rounds in reverse, and each run starts after a `sync`, so that no variant
# always runs while the kernel is still writing back the ~0.5 GB cluster
# the previous run dropped. Prints one line per run: label,
# events/s, average batch and its claim/write/commit steps (ms, from the
# per-batch log lines), and whether the result check passed. BINDIR is a
# release build (e.g. a `git worktree` of the old commit); SETUP_SQL is
# passed as BENCH_SETUP_SQL. Every other BENCH_* variable applies to all runs.
# Claim an improvement from the medians of several rounds, never from one run:
# run-to-run noise on our 2-core VM is up to ±20% (docs/benchmarks.md).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -ge 2 ] || { echo "usage: $0 ROUNDS LABEL=BINDIR[:SETUP_SQL] ..." >&2; exit 2; }
rounds=$1
shift
log=$top/tmp/bench-processor.log
i=0
while [ "$i" -lt "$rounds" ]; do
	i=$((i + 1))
	order=
	for spec in "$@"; do
		if [ $((i % 2)) = 1 ]; then order="$order
$spec"; else order="$spec
$order"; fi
	done
	echo "$order" | while IFS= read -r spec; do
		[ -n "$spec" ] || continue
		sync
		sleep 2
		label=${spec%%=*}
		rest=${spec#*=}
		bindir=${rest%%:*}
		setup=
		[ "$rest" = "$bindir" ] || setup=${rest#*:}
		if out=$(DIALHOOK_BIN_DIR=$bindir BENCH_SETUP_SQL=$setup sh "$top/test/bench/bench-processor.sh" 2>&1); then
			ok=ok
		else
			ok=FAILED
		fi
		rate=$(echo "$out" | sed -n 's/^drained:.*= \([0-9]*\) events\/s.*/\1/p')
		steps=$(awk '/msg="batch committed"/ {
			for (f = 1; f <= NF; f++) { split($f, kv, "="); s[kv[1]] += kv[2] }
			n++
		} END { if (n) printf "batch %.1f claim %.1f write %.1f commit %.1f",
			s["took_ms"] / n, s["claim_ms"] / n, s["write_ms"] / n, s["commit_ms"] / n }' "$log")
		echo "round $i $label ${rate:-?} events/s $steps $ok"
	done
done
