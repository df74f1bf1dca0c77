#!/bin/sh
# make bench-plots: sweeps and PNG charts for docs/benchmarks.md (benchmarks, not tests).
#
#   test/bench/bench-plots.sh ingest      ingest req/s and p99 against client connections
#   test/bench/bench-plots.sh processor   processor drain rate against batch size
#   test/bench/bench-plots.sh             both
#   test/bench/bench-plots.sh plot        only redraw the charts from tmp/bench-plots/*.dat
#
# Ingest: runs test/bench/bench-ingest.sh once per connection count in
# BENCH_SWEEP_CONNS (default "8 16 32 64 128"), each BENCH_DURATION seconds
# (default 6) with BENCH_EVENTS distinct events (default 100000, enough for
# ~16k req/s over 6 s). The events are signed once by the first run and reused
# by the others (BENCH_REUSE_BODIES=1); the PostgreSQL ceiling is skipped
# (BENCH_CEILING=0: it does not depend on the connection count; make
# bench-ingest measures it). Every run still starts a fresh database and checks
# that every 200 has its row.
#
# Processor: runs test/bench/bench-processor.sh once per batch size in
# BENCH_SWEEP_BATCHES (default "50 100 250 500 1000 2000") with N_CALLS from
# BENCH_SWEEP_CALLS (default 25000 calls = 100,000 events, half of the
# 200,000 of make bench-processor, to keep the sweep short).
#
# Data: tmp/bench-plots/ingest.dat and processor.dat (whitespace-separated,
# a header line starting with #, the 1-minute load average before and after
# each point), the raw output of every run in tmp/bench-plots/*.log.
# Charts (gnuplot, pngcairo): docs/img/bench-ingest.png and
# docs/img/bench-processor.png (BENCH_IMG_DIR to write them elsewhere).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
what=${1:-all}
out=$top/tmp/bench-plots
img=${BENCH_IMG_DIR:-$top/docs/img}
mkdir -p "$out" "$img"
load1() { cut -d' ' -f1 /proc/loadavg; }
# min-max of column $1 of a .dat file; gnuplot xtics at the swept values
loadrange() { awk -v c="$1" '!/^#/ { if (m == "" || $c + 0 < m) m = $c + 0; if ($c + 0 > M) M = $c + 0 } END { print m "-" M }' "$2"; }
xtics() { awk '!/^#/ { printf "%s\"%s\" %s", (n++ ? ", " : ""), $1, $1 }' "$1"; }
machine="$(nproc) cores, PostgreSQL $(pg_config --version 2>/dev/null | awk '{print $2}' || echo '?'), fsync=on"

sweep_ingest() {
	conns_list=${BENCH_SWEEP_CONNS:-8 16 32 64 128}
	dur=${BENCH_DURATION:-6}
	nev=${BENCH_EVENTS:-100000}
	dat=$out/ingest.dat
	echo "# conns rps p50_ms p99_ms non200 load1_before load1_after   (BENCH_DURATION=$dur BENCH_EVENTS=$nev; $(date -u +%Y-%m-%dT%H:%MZ))" >"$dat"
	for c in $conns_list; do
		lb=$(load1)
		echo "bench-plots: ingest, $c connections (load $lb) ..."
		BENCH_CONNS=$c BENCH_DURATION=$dur BENCH_EVENTS=$nev BENCH_CEILING=0 BENCH_REUSE_BODIES=1 \
		    sh "$top/test/bench/bench-ingest.sh" >"$out/ingest-c$c.log" 2>&1 ||
			{ tail -n 20 "$out/ingest-c$c.log" >&2; echo "bench-plots: ingest run failed ($c connections)" >&2; exit 1; }
		la=$(load1)
		line=$(grep '^wrk: ' "$out/ingest-c$c.log")
		echo "  $line"
		echo "$line" | awk -v c="$c" -v lb="$lb" -v la="$la" '{
			for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			print c, v["rps"], v["p50_ms"], v["p99_ms"], v["non200"], lb, la }' >>"$dat"
	done
	plot_ingest
}

plot_ingest() {
	dat=$out/ingest.dat
	dur=$(sed -n '1s/.*BENCH_DURATION=\([0-9]*\).*/\1/p' "$dat")
	loads=$(loadrange 6 "$dat")
	xt=$(xtics "$dat")
	gnuplot <<GP
set terminal pngcairo noenhanced size 900,520 font ",10"
set output "$img/bench-ingest.png"
set title "dialhook-ingest: signed webhooks/s and p99 vs wrk connections\n($machine; ${dur} s runs; 1-min load avg before runs $loads)"
set xlabel "client connections (wrk -t2)"
set logscale x 2
set autoscale xfix
set offsets graph 0.04, graph 0.04, 0, 0
set xtics ($xt)
set ylabel "requests/s"
set y2label "p99 latency (ms)"
set yrange [0:*]
set y2range [0:*]
set ytics nomirror
set y2tics
set grid
set key top left
plot "$dat" using 1:2 axis x1y1 with linespoints lw 2 pt 7 title "req/s", \
     "$dat" using 1:4 axis x1y2 with linespoints lw 2 pt 5 dt 2 title "p99 (ms, right axis)", \
     "$dat" using 1:3 axis x1y2 with linespoints lw 1 pt 4 dt 3 title "p50 (ms, right axis)"
GP
	echo "bench-plots: wrote $dat and $img/bench-ingest.png"
}

sweep_processor() {
	batches=${BENCH_SWEEP_BATCHES:-50 100 250 500 1000 2000}
	ncalls=${BENCH_SWEEP_CALLS:-25000}
	dat=$out/processor.dat
	echo "# batch_size events_per_s pg_share_pct avg_batch_ms load1_before load1_after   (N_CALLS=$ncalls, $((ncalls * 4)) events; $(date -u +%Y-%m-%dT%H:%MZ))" >"$dat"
	for b in $batches; do
		lb=$(load1)
		echo "bench-plots: processor, batch size $b (load $lb) ..."
		N_CALLS=$ncalls BENCH_BATCH_SIZE=$b sh "$top/test/bench/bench-processor.sh" >"$out/processor-b$b.log" 2>&1 ||
			{ tail -n 20 "$out/processor-b$b.log" >&2; echo "bench-plots: processor run failed (batch $b)" >&2; exit 1; }
		la=$(load1)
		grep -E '^(drained|batch time):' "$out/processor-b$b.log" | sed 's/^/  /'
		awk -v b="$b" -v lb="$lb" -v la="$la" '
			/^drained:/ { for (i = 1; i <= NF; i++) if ($i == "events/s") r = $(i - 1) }
			/^batch time:/ { pg = $3; sub(/%/, "", pg); ms = $(NF - 3); sub(/\(/, "", ms) }
			END { print b, r, pg, ms, lb, la }' "$out/processor-b$b.log" >>"$dat"
	done
	plot_processor
}

plot_processor() {
	dat=$out/processor.dat
	nev=$(sed -n '1s/.*N_CALLS=[0-9]*, \([0-9]*\) events.*/\1/p' "$dat")
	loads=$(loadrange 5 "$dat")
	xt=$(xtics "$dat")
	gnuplot <<GP
set terminal pngcairo noenhanced size 900,520 font ",10"
set output "$img/bench-processor.png"
set title "dialhook-processor --once: drain rate vs DIALHOOK_BATCH_SIZE\n($machine; $nev shuffled events; 1-min load avg before runs $loads)"
set xlabel "batch size (events per claim/commit)"
set logscale x
set autoscale xfix
set offsets graph 0.04, graph 0.04, 0, 0
set xtics ($xt)
set ylabel "events/s"
set y2label "share of batch time in PostgreSQL (%)"
set yrange [0:*]
set y2range [0:100]
set ytics nomirror
set y2tics
set grid
set key bottom right
plot "$dat" using 1:2 axis x1y1 with linespoints lw 2 pt 7 title "events/s", \
     "$dat" using 1:3 axis x1y2 with linespoints lw 1 pt 5 dt 2 title "% of batch time in PostgreSQL (right axis)"
GP
	echo "bench-plots: wrote $dat and $img/bench-processor.png"
}

case $what in
ingest) sweep_ingest ;;
processor) sweep_processor ;;
all) sweep_ingest; sweep_processor ;;
plot) plot_ingest; plot_processor ;;
*) echo "usage: $0 [ingest|processor|all|plot]" >&2; exit 2 ;;
esac
