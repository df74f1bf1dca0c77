#!/bin/sh
# The processor's completion write, measured alone (a benchmark, not a test):
# is it worth a schema where marking an event processed can be a HOT update?
#
# On PostgreSQL 15 an UPDATE of processed_at is never HOT while the partial
# due index's predicate names processed_at. The alternative measured here
# drops that index and keeps the due set in a narrow side table (what a
# solid_queue-style design would do), so the UPDATE can be HOT when the page
# has room (fillfactor). Each variant: 200,000 ~1.1 kB events, then 400
# transactions that mark 500 consecutive ids processed (as the processor's
# batches do, asynchronous commit); rows/s and the HOT share are printed.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
pgdir=${BENCH_PGDIR:-$top/tmp/pg-bench-mark}
work=$top/tmp/bench-mark
mkdir -p "$work"
trap 'sh "$top/test/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true' EXIT INT TERM
url=$(sh "$top/test/pg.sh" start "$pgdir" | tail -n 1)

cat >"$work/setup.sql" <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS ev CASCADE; DROP TABLE IF EXISTS due;
CREATE TABLE ev (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, app_id text NOT NULL DEFAULT 'default',
 event_type text NOT NULL, dedupe_key text NOT NULL, payload json NOT NULL,
 received_at timestamptz NOT NULL DEFAULT now(), processed_at timestamptz, attempts int NOT NULL DEFAULT 0,
 next_attempt_at timestamptz, last_error text, dead_at timestamptz, UNIQUE (app_id, dedupe_key))
 WITH (fillfactor = :ff);
CREATE INDEX ev_recv ON ev (received_at);
\if :dueidx
CREATE INDEX ev_due ON ev (id) WHERE processed_at IS NULL AND dead_at IS NULL;
\endif
CREATE TABLE due (id bigint PRIMARY KEY, next_attempt_at timestamptz);
INSERT INTO ev (event_type, dedupe_key, payload)
SELECT 'call.hangup', 'call:' || g, json_build_object('call_id', 5850000000000000 + g, 'state', 'hangup',
  'pad', repeat('x', 950)) FROM generate_series(1, 200000) g;
INSERT INTO due SELECT id FROM ev;
VACUUM ANALYZE ev; VACUUM ANALYZE due; CHECKPOINT;
SQL
/usr/bin/python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
for name, extra in (("index", ""), ("side", "DELETE FROM due WHERE id BETWEEN {lo} AND {hi}; ")):
    with open(f"{w}/mark_{name}.sql", "w") as f:
        for b in range(400):
            lo, hi = b * 500 + 1, b * 500 + 500
            f.write("BEGIN; SET LOCAL synchronous_commit = off; " + extra.format(lo=lo, hi=hi)
                    + f"UPDATE ev SET processed_at = now() WHERE id BETWEEN {lo} AND {hi}; COMMIT;\n")
PY
run() {	# fillfactor, due index (1) or side table (0), label
	psql -q "$url" -v ff="$1" -v dueidx="$2" -f "$work/setup.sql" >/dev/null
	s=$(date +%s.%N)
	psql -q "$url" -f "$work/mark_$([ "$2" = 1 ] && echo index || echo side).sql" >/dev/null
	e=$(date +%s.%N)
	hot=$(psql -Atq "$url" -c "SELECT n_tup_hot_upd || '/' || n_tup_upd FROM pg_stat_user_tables WHERE relname = 'ev'")
	awk -v s="$s" -v e="$e" -v l="$3" -v h="$hot" 'BEGIN { printf "%-52s %7.0f rows/s  HOT %s\n", l, 200000 / (e - s), h }'
}
echo "bench-mark: marking 200,000 events processed, 500 per transaction (load $(cut -d' ' -f1 /proc/loadavg))"
run 90 1 "partial due index, fillfactor 90 (shipped)"
run 90 0 "side due table, fillfactor 90"
run 50 0 "side due table, fillfactor 50"
