#!/bin/sh
# make bench-processor: drain rate of dialhook-processor (a benchmark, not a test).
#
# Queues N_CALLS calls x 4 Dialpad-native events (ringing, connected, hangup,
# recording; ~0.9 kB payloads like the F1-F4 fixtures), shuffled, with plain
# SQL into a fresh database on a throwaway cluster, then runs
# `dialhook-processor --once` and reports: time to drain, events/s, peak RSS
# (VmHWM), and the share of batch time spent waiting on PostgreSQL versus in
# the processor (from the per-batch log lines). Checks the result: every
# event processed, one calls row per call, all 'ended' with a recording
# (state 'hangup'; 'recording' for builds before 003, where a post-call step
# still moved it).
#
# Environment: N_CALLS (default 50000), BENCH_BATCH_SIZE (default 500),
# BENCH_PROCESSORS (processes draining side by side, default 1),
# BENCH_SETUP_SQL (extra SQL run after migrating, to measure schema
# alternatives), BENCH_CREATEDB_OPTS (appended to CREATE DATABASE, e.g.
# "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
# for a linguistic default collation like the official postgres image's),
# BENCH_PGDIR (default tmp/pg-bench-proc), BENCH_KEEP=1 keeps the cluster.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${DIALHOOK_BIN_DIR:-$top/bin}
pgdir=${BENCH_PGDIR:-$top/tmp/pg-bench-proc}
ncalls=${N_CALLS:-50000}
batch=${BENCH_BATCH_SIZE:-500}
log=$top/tmp/bench-processor.log
mkdir -p "$top/tmp"

cleanup() {
	[ "${BENCH_KEEP:-0}" = 1 ] || sh "$top/test/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

url=$(sh "$top/test/pg.sh" start "$pgdir" | tail -n 1)
admin=${url%/*}/postgres
db=${url%/*}/bench_proc
psql -q "$admin" -c "DROP DATABASE IF EXISTS bench_proc" -c "CREATE DATABASE bench_proc ${BENCH_CREATEDB_OPTS:-}" >/dev/null
DATABASE_URL=$db "$bin/dialhookctl" migrate >/dev/null
[ -z "${BENCH_SETUP_SQL:-}" ] || psql -q -v ON_ERROR_STOP=1 "$db" -c "$BENCH_SETUP_SQL"
nproc_=${BENCH_PROCESSORS:-1}

echo "bench-processor: queueing $ncalls calls x 4 events ..."
psql -q -v ON_ERROR_STOP=1 "$db" <<SQL
INSERT INTO webhook_events (event_type, dedupe_key, payload)
SELECT 'call.' || st, 'call:' || cid || ':' || st || ':' || ts,
  format('{"call_id":%s,"master_call_id":null,"entry_point_call_id":null,"operator_call_id":null,'
    '"state":"%s","direction":"inbound","external_number":"+1415%s","internal_number":"+14155550100",'
    '"contact":{"id":6100000000000001,"type":"local","name":"(415) 555-0123","phone":"+14155550123","email":""},'
    '"target":{"id":5200000000000001,"type":"user","name":"Ana Ortiz","email":"ana@example.com","phone":"+14155550100","office_id":5100000000000001},'
    '"entry_point_target":{},"proxy_target":{},"group_id":null,"is_transferred":false,"is_internal":false,'
    '"date_started":%s,"date_first_rang":%s,"date_rang":null,"date_queued":null,"date_connected":%s,"date_ended":%s,'
    '"duration":%s,"total_duration":null,"talk_time":null,"hold_time":null,"was_recorded":%s,"recording_details":%s,'
    '"call_recording_ids":[],"voicemail_link":null,"voicemail_recording_id":null,"transcription_text":null,'
    '"labels":[],"mos_score":null,"csat_score":null,"routing_breadcrumbs":[],"event_timestamp":%s}',
    cid, st, lpad((cid % 10000000)::text, 7, '0'), t0, t0 + 400,
    CASE WHEN k >= 2 THEN (t0 + 8300)::text ELSE 'null' END,
    CASE WHEN k >= 3 THEN (t0 + 188300)::text ELSE 'null' END,
    CASE WHEN k >= 3 THEN '180000.0' ELSE 'null' END,
    CASE WHEN k >= 3 THEN 'true' ELSE 'false' END,
    CASE WHEN k = 4 THEN '[{"id":"48' || cid || '","recording_type":"callrecording","url":"https://dialpad.example.invalid/recordings/' || cid || '.mp3","duration":179500,"start_time":' || (t0 + 8800) || '}]' ELSE '[]' END,
    ts)::json
FROM (SELECT 5850000000000000 + c AS cid, 1767261600000 + c * 1000 AS t0, k,
             (ARRAY['ringing','connected','hangup','recording'])[k] AS st,
             1767261600000 + c * 1000 + (ARRAY[912, 8701, 189055, 250230])[k] AS ts
      FROM generate_series(1, $ncalls) c, generate_series(1, 4) k) s
ORDER BY random();
VACUUM ANALYZE webhook_events;
CHECKPOINT;
SQL
n=$(psql -Atq "$db" -c "SELECT count(*) FROM webhook_events")
avg=$(psql -Atq "$db" -c "SELECT round(avg(octet_length(payload::text))) FROM webhook_events")
echo "bench-processor: $n events queued (avg payload $avg bytes); draining with batch size $batch"

start=$(date +%s.%N)
pids=
for k in $(seq 1 "$nproc_"); do
	DATABASE_URL=$db DIALHOOK_BATCH_SIZE=$batch DIALHOOK_METRICS_LISTEN=127.0.0.1:$((19090 + k)) \
	    /usr/bin/time -f "%M %e %U %S" -o "$top/tmp/bench-processor.time.$k" \
	    "$bin/dialhook-processor" --once >"$log.$k" 2>&1 &
	pids="$pids $!"
done
for p in $pids; do wait "$p"; done
end=$(date +%s.%N)
cat "$log".* >"$log"
# peak RSS of the largest process; CPU summed over all of them
read -r maxrss_kb utime stime <<EOT
$(cat "$top"/tmp/bench-processor.time.* | awk '{ if ($1 > m) m = $1; u += $3; s += $4 } END { print m, u, s }')
EOT
rm -f "$top"/tmp/bench-processor.time.* "$log".*
left=$(psql -Atq "$db" -c "SELECT count(*) FROM webhook_events WHERE processed_at IS NULL")
hot=$(psql -Atq "$db" -c "SELECT string_agg(relname || ' ' || n_tup_hot_upd || '/' || n_tup_upd, ', ' ORDER BY relname) FROM pg_stat_user_tables WHERE relname IN ('calls', 'webhook_events')")
check=$(psql -Atq "$db" -c "SELECT count(*) || ' rows, ' || count(*) FILTER (WHERE status = 'ended' AND recording_url IS NOT NULL AND answered_at IS NOT NULL AND state IN ('hangup', 'recording')) || ' complete' FROM calls")
awk -v n="$n" -v s="$start" -v e="$end" -v rss="$maxrss_kb" -v ut="$utime" -v st="$stime" -v left="$left" -v chk="$check" -v hot="$hot" '
/msg="batch committed"/ {
	for (i = 1; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == "took_ms") took += kv[2]
		if (kv[1] == "db_ms") db += kv[2]
	}
	batches++
}
END {
	t = e - s
	printf "drained:        %d events in %.2f s = %.0f events/s (%d batches, %d left)\n", n, t, n / t, batches, left
	printf "calls:          %s\n", chk
	printf "HOT updates:    %s\n", hot
	printf "peak RSS:       %.1f MiB (VmHWM)\n", rss / 1024
	printf "processor CPU:  %.2f s user + %.2f s sys\n", ut, st
	if (took > 0)
		printf "batch time:     %.0f%% waiting on PostgreSQL, %.0f%% in the processor (%.1f ms avg batch)\n", 100 * db / took, 100 * (took - db) / took, took / batches
}' "$log"
echo "command: N_CALLS=$ncalls BENCH_BATCH_SIZE=$batch BENCH_PROCESSORS=$nproc_ make bench-processor   (log: tmp/bench-processor.log)"
[ "$left" = 0 ]
