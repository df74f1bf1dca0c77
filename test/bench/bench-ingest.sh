#!/bin/sh
# make bench-ingest: throughput and latency of dialhook-ingest (a benchmark, not a test).
#
# Starts a throwaway PostgreSQL with durable settings (test/pg.sh: fsync on,
# synchronous_commit on), pre-signs N distinct realistic Dialpad call events
# (F1-style ~1.2 kB payloads, states ringing/connected/hangup/recording, HS256
# JWTs), runs the release daemon and wrk (64 connections, 2 threads, a Lua
# script that POSTs each body once), then reports requests/s, p50/p99, the
# daemon's peak RSS (VmHWM), and checks that every 200 has its row. Finally
# it measures PostgreSQL's own ceiling on the same machine in the same run:
# the same rows inserted with the same INSERT ... ON CONFLICT statement in
# 1000-row multi-row batches by 2 psql sessions into a fresh database.
#
# Environment: BENCH_EVENTS (default 400000), BENCH_DURATION (seconds, 10),
# BENCH_CONNS (64), BENCH_THREADS (2), BENCH_DB_CONNECTIONS (ingest pool, 4),
# BENCH_PGDIR (tmp/pg-bench-ingest), BENCH_KEEP=1 keeps the cluster.
# For sweeps (test/bench/bench-plots.sh): BENCH_REUSE_BODIES=1 reuses the
# bodies signed by an earlier run with the same BENCH_EVENTS and BENCH_THREADS
# (signing in Python is the slow part), BENCH_CEILING=0 skips the ceiling.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${DIALHOOK_BIN_DIR:-$top/bin}
pgdir=${BENCH_PGDIR:-$top/tmp/pg-bench-ingest}
nev=${BENCH_EVENTS:-400000}
dur=${BENCH_DURATION:-10}
conns=${BENCH_CONNS:-64}
threads=${BENCH_THREADS:-2}
dbconns=${BENCH_DB_CONNECTIONS:-4}
work=$top/tmp/bench-ingest
secret=bench-secret-not-for-production
mkdir -p "$work"
pid=

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	[ "${BENCH_KEEP:-0}" = 1 ] || sh "$top/test/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

url=$(sh "$top/test/pg.sh" start "$pgdir" | tail -n 1)
admin=${url%/*}/postgres
db=${url%/*}/bench_ingest
ceil_db=${url%/*}/bench_ceiling
psql -q "$admin" -c "DROP DATABASE IF EXISTS bench_ingest" -c "CREATE DATABASE bench_ingest" \
    -c "DROP DATABASE IF EXISTS bench_ceiling" -c "CREATE DATABASE bench_ceiling" >/dev/null
DATABASE_URL=$db "$bin/dialhookctl" migrate >/dev/null
DATABASE_URL=$ceil_db "$bin/dialhookctl" migrate >/dev/null

if [ "${BENCH_REUSE_BODIES:-0}" = 1 ] && [ "$(cat "$work/bodies.key" 2>/dev/null)" = "$nev $threads" ]; then
	echo "bench-ingest: reusing $nev signed events from $work"
else
rm -f "$work/bodies.key"
echo "bench-ingest: signing $nev distinct events ..."
/usr/bin/python3 - "$work" "$nev" "$threads" "$secret" <<'PY'
import base64, hashlib, hmac, json, sys
work, n, nthreads, secret = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].encode()
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=")
hdr = b64(b'{"alg":"HS256","typ":"JWT"}')
states = ["ringing", "connected", "hangup", "recording"]
outs = [open(f"{work}/bodies.{t}", "wb") for t in range(nthreads)]
ceil = [open(f"{work}/ceiling.{k}.sql", "w") for k in range(2)]
rows = []
def flush(k):
    global rows
    if rows:
        ceil[k].write("INSERT INTO webhook_events (app_id, event_type, dedupe_key, payload) VALUES\n"
                      + ",\n".join(rows) + "\nON CONFLICT (app_id, dedupe_key) DO NOTHING;\n")
        rows = []
for i in range(n):
    c, k = divmod(i, 4)
    cid, t0 = 5850000000000000 + c, 1767261600000 + c * 1000
    st = states[k]
    ts = t0 + [912, 8701, 189055, 250230][k]
    ev = {"call_id": cid, "master_call_id": None, "entry_point_call_id": None, "operator_call_id": None,
          "state": st, "direction": "inbound", "external_number": "+1415%07d" % (c % 10000000),
          "internal_number": "+14155550100",
          "contact": {"id": 6100000000000001, "type": "local", "name": "(415) 555-0123",
                      "phone": "+14155550123", "email": ""},
          "target": {"id": 5200000000000001, "type": "user", "name": "Ana Ortiz", "email": "ana@example.com",
                     "phone": "+14155550100", "office_id": 5100000000000001},
          "entry_point_target": {}, "proxy_target": {}, "group_id": None, "is_transferred": False,
          "is_internal": False, "date_started": t0, "date_first_rang": t0 + 400, "date_rang": None,
          "date_queued": None, "date_connected": t0 + 8300 if k >= 1 else None,
          "date_ended": t0 + 188300 if k >= 2 else None, "duration": 180000.0 if k >= 2 else None,
          "total_duration": 188300.0 if k >= 2 else None, "talk_time": None, "hold_time": None,
          "was_recorded": k >= 2, "recording_details": [], "call_recording_ids": [],
          "voicemail_link": None, "voicemail_recording_id": None, "transcription_text": None,
          "labels": [], "mos_score": None, "csat_score": None, "routing_breadcrumbs": [],
          "event_timestamp": ts}
    claims = json.dumps(ev, separators=(",", ":"))
    p = b64(claims.encode())
    sig = b64(hmac.new(secret, hdr + b"." + p, hashlib.sha256).digest())
    outs[i % nthreads].write(hdr + b"." + p + b"." + sig + b"\n")
    rows.append("('default','call.%s','call:%d:%s:%d','%s')" % (st, cid, st, ts, claims.replace("'", "''")))
    if len(rows) == 1000:
        flush(i // 1000 % 2)
flush(0)
for f in outs + ceil:
    f.close()
print(f"bench-ingest: payload {len(claims)} bytes, JWT {len(hdr) + len(p) + len(sig) + 2} bytes")
PY
echo "$nev $threads" >"$work/bodies.key"
fi
psql -q "$admin" -c "CHECKPOINT" >/dev/null

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DATABASE_URL=$db DIALPAD_WEBHOOK_SECRET=$secret DIALHOOK_LISTEN=127.0.0.1:$port \
    DIALHOOK_DB_CONNECTIONS=$dbconns DIALHOOK_LOG_LEVEL=warn \
    "$bin/dialhook-ingest" >"$work/ingest.log" 2>&1 &
pid=$!
i=0
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$work/ingest.log"; echo "ingest did not become ready" >&2; exit 1; }
	sleep 0.1
done

cmd="wrk -t$threads -c$conns -d${dur}s --latency -s test/bench/ingest.lua http://127.0.0.1:$port"
echo "bench-ingest: $cmd"
BENCH_BODIES=$work/bodies BENCH_OK=$work/ok.txt wrk -t"$threads" -c"$conns" -d"${dur}s" --timeout 10s \
    -s "$top/test/bench/ingest.lua" "http://127.0.0.1:$port" >"$work/wrk.txt"
result=$(grep '^RESULT' "$work/wrk.txt")
rss_kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
cpu_ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
curl -s "http://127.0.0.1:$port/metrics" >"$work/metrics.txt"
kill -TERM "$pid"
wait "$pid" || { echo "ingest exited non-zero" >&2; exit 1; }
pid=

echo "bench-ingest: checking that every 200 has its row ..."
/usr/bin/python3 - "$db" "$work/ok.txt" <<'PY'
import json, sys, psycopg2
db, okfile = sys.argv[1], sys.argv[2]
stored = dup = 0
ids = []
for line in open(okfile):
    doc = json.loads(line)
    if doc["status"] == "stored":
        ids.append(doc["id"])
    else:
        dup += 1
c = psycopg2.connect(db)
cur = c.cursor()
cur.execute("SELECT id FROM webhook_events")
have = {r[0] for r in cur.fetchall()}
missing = [i for i in ids if i not in have]
print(f"CHECK ok_stored={len(ids)} ok_duplicate={dup} rows={len(have)} missing={len(missing)}")
sys.exit(1 if missing or len(set(ids)) != len(ids) else 0)
PY

ceiling=
if [ "${BENCH_CEILING:-1}" != 0 ]; then
nrows=$(cat "$work"/ceiling.*.sql | grep -c "^('default'" || true)
echo "bench-ingest: PostgreSQL ceiling: $nrows rows, 1000-row INSERTs, 2 psql sessions ..."
t0=$(date +%s.%N)
psql -q -v ON_ERROR_STOP=1 "$ceil_db" -f "$work/ceiling.0.sql" >/dev/null &
p0=$!
psql -q -v ON_ERROR_STOP=1 "$ceil_db" -f "$work/ceiling.1.sql" >/dev/null
wait $p0
t1=$(date +%s.%N)
ceiling=$(echo "$nrows $t0 $t1" | awk '{ printf "%.0f", $1 / ($3 - $2) }')
fi

echo
echo "== bench-ingest results =="
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB; PostgreSQL $(psql -XAtq "$admin" -c 'SHOW server_version'); fsync=on synchronous_commit=on"
echo "command: make bench-ingest   ($cmd)"
echo "$result" | sed 's/^RESULT /wrk: /'
echo "ingest peak RSS (VmHWM): $((rss_kb / 1024)) MiB ($rss_kb kB)"
nreq=$(echo "$result" | sed -n 's/.*requests=\([0-9]*\).*/\1/p')
echo "ingest CPU: $(awk -v t="$cpu_ticks" -v hz="$(getconf CLK_TCK)" -v n="$nreq" 'BEGIN { printf "%.1f s user+sys, %.0f us per request", t / hz, 1e6 * t / hz / n }')"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) (other jobs on this box compete for the 2 cores and the disk)"
grep -E '^dialhook_ingest_(batch_size|commit_seconds)_(sum|count)' "$work/metrics.txt" | tr '\n' ' '; echo
rps=$(echo "$result" | sed -n 's/.* rps=\([0-9]*\).*/\1/p')
if [ -n "$ceiling" ]; then
	echo "PostgreSQL ceiling: $ceiling rows/s; ingest reached $(awk -v a="$rps" -v b="$ceiling" 'BEGIN { printf "%.0f", 100 * a / b }')% of it"
fi
