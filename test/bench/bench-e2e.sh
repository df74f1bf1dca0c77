#!/bin/sh
# End-to-end latency (a benchmark, not a test): webhook 200 -> calls row
# committed, under a steady open-loop load through the real daemons.
#
# A throwaway cluster with durable settings plus track_commit_timestamp, the
# release dialhook-ingest and dialhook-processor, and test/bench/e2e_paced.py
# sending E2E_RATE signed gen-events webhooks per second for E2E_SECONDS.
# For every event acknowledged `stored`, latency = commit time of the
# processor transaction that marked it processed (pg_xact_commit_timestamp of
# the row version, the same transaction that upserted its calls row) minus the
# wall-clock time its 200 arrived at the client. Prints p50/p90/p99/max and
# both daemons' peak RSS.
#
# Environment: E2E_RATE (default 2000), E2E_SECONDS (default 20),
# E2E_THREADS (default 16), BENCH_PGDIR (default tmp/pg-bench-e2e).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${DIALHOOK_BIN_DIR:-$top/bin}
pgdir=${BENCH_PGDIR:-$top/tmp/pg-bench-e2e}
rate=${E2E_RATE:-2000}
secs=${E2E_SECONDS:-20}
threads=${E2E_THREADS:-16}
work=$top/tmp/bench-e2e
mkdir -p "$work"
ipid=
ppid_=
cleanup() {
	[ -n "$ipid" ] && kill "$ipid" 2>/dev/null
	[ -n "$ppid_" ] && kill "$ppid_" 2>/dev/null
	wait 2>/dev/null
	sh "$top/test/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

hwm() { awk '/VmHWM/ {printf "%.1f MiB", $2 / 1024}' "/proc/$1/status"; }

sh "$top/test/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true
url=$(DIALHOOK_PG_OPTS="-c track_commit_timestamp=on" sh "$top/test/pg.sh" start "$pgdir" | tail -n 1)
DATABASE_URL=$url "$bin/dialhookctl" migrate >/dev/null
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export DATABASE_URL=$url DIALPAD_WEBHOOK_SECRET=bench-secret DIALHOOK_LOG_LEVEL=warn

n=$((rate * secs))
calls=$((n / 4 + 1))
"$bin/dialhookctl" gen-events --out "$work/bodies" --calls "$calls" --seed 7 --shuffle >/dev/null 2>&1
head -n "$n" "$work/bodies" > "$work/bodies.n"

DIALHOOK_LISTEN=127.0.0.1:$port "$bin/dialhook-ingest" 2>"$work/ingest.log" & ipid=$!
DIALHOOK_METRICS_LISTEN=127.0.0.1:$mport "$bin/dialhook-processor" 2>"$work/processor.log" & ppid_=$!
sleep 1
echo "bench-e2e: $n events at $rate/s for ${secs}s, $threads connections"
/usr/bin/python3 "$top/test/bench/e2e_paced.py" "http://127.0.0.1:$port/webhooks/dialpad" \
    "$work/bodies.n" "$rate" "$threads" "$work/acks"
sleep 2
echo "bench-e2e: peak RSS ingest $(hwm $ipid), processor $(hwm $ppid_)"
psql -q "$url" <<SQL
CREATE TEMP TABLE acks (id bigint, t_ack float8);
\copy acks FROM '$work/acks' WITH (DELIMITER ' ')
SELECT count(*) AS acked,
       count(*) FILTER (WHERE e.processed_at IS NULL) AS not_processed,
       round(percentile_cont(0.50) WITHIN GROUP (ORDER BY lat)::numeric, 2) AS p50_ms,
       round(percentile_cont(0.90) WITHIN GROUP (ORDER BY lat)::numeric, 2) AS p90_ms,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY lat)::numeric, 2) AS p99_ms,
       round(max(lat)::numeric, 2) AS max_ms
FROM acks a JOIN webhook_events e USING (id),
     LATERAL (SELECT (extract(epoch FROM pg_xact_commit_timestamp(e.xmin)) - a.t_ack) * 1000 AS lat) l;
SQL
