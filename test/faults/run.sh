#!/bin/sh
# Fault-injection suite (test/faults): real daemons, a throwaway PostgreSQL of
# its own (tmp/pg-faults, so it never collides with the integration cluster),
# faults injected by PID. FAULTS_SCALE=short (make check) or full (make faults).
# Each case prints one "fault case=..." summary line; they are collected in
# tmp/faults-summary.txt and shown at the end.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
export DIALHOOK_TEST_PGDIR="$top/tmp/pg-faults"
export FAULTS_SCALE="${FAULTS_SCALE:-short}"
export FAULTS_SUMMARY="$top/tmp/faults-summary.txt"
mkdir -p "$top/tmp" && : > "$FAULTS_SUMMARY"
trap 'sh "$top/test/pg.sh" stop "$DIALHOOK_TEST_PGDIR" >/dev/null 2>&1 || true' EXIT INT TERM
log="$top/tmp/faults-pytest.log"
cd "$top" && { /usr/bin/python3 -m pytest -p no:cacheprovider -q -ra --durations=0 test/faults "$@"; echo $? > "$log.rc"; } | tee "$log"
rc=$(cat "$log.rc")
echo "fault-injection summary (FAULTS_SCALE=$FAULTS_SCALE):"
cat "$FAULTS_SUMMARY"
# end with pytest's own summary line, which CI reads
tail -n 1 "$log"
exit "$rc"
