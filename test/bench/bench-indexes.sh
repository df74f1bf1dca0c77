#!/bin/sh
# bench-indexes.sh: what migration 002 changes in the per-event index work
# (a benchmark, not a test). Starts a throwaway cluster and runs
# bench_indexes.py: 100,000 events inserted (durably, 500 per commit) and
# marked processed (500 per asynchronous commit) from one backend, schema 001
# alone against 001 + 002, BENCH_ROUNDS rounds (default 4) alternating the
# order, on an ICU en-US database and on the cluster's C.UTF-8 default.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
pgdir=${BENCH_PGDIR:-$top/tmp/pg-bench-indexes}
rounds=${BENCH_ROUNDS:-4}
cleanup() {
	sh "$top/test/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM
url=$(sh "$top/test/pg.sh" start "$pgdir" | tail -n 1)
cd "$top"
echo "bench-indexes: ICU en-US database"
/usr/bin/python3 test/bench/bench_indexes.py "${url%/*}/postgres" "$rounds" icu
echo "bench-indexes: C.UTF-8 database"
/usr/bin/python3 test/bench/bench_indexes.py "${url%/*}/postgres" "$rounds"
echo "command: BENCH_ROUNDS=$rounds sh test/bench/bench-indexes.sh"
