#!/bin/sh
# make run: a throwaway PostgreSQL, the schema, and both daemons in the
# foreground with their logs interleaved. Ctrl-C stops everything it started.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/bin
pgdir=$top/tmp/pg-run
pids=
cleanup() {
	trap - EXIT INT TERM
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	sh "$top/test/pg.sh" stop "$pgdir" >/dev/null 2>&1
	echo "make run: stopped"
}
trap cleanup EXIT INT TERM

DATABASE_URL=$(sh "$top/test/pg.sh" start "$pgdir") || exit 1
export DATABASE_URL
"$bin/dialhookctl" migrate || exit 1
export DIALHOOK_LISTEN=${DIALHOOK_LISTEN:-127.0.0.1:8080}
export DIALHOOK_METRICS_LISTEN=${DIALHOOK_METRICS_LISTEN:-127.0.0.1:9090}
secret_note=
if [ -z "${DIALPAD_WEBHOOK_SECRET:-}" ]; then
	export DIALPAD_WEBHOOK_SECRET=dev-secret-change-me
	secret_note=" (a development secret; set DIALPAD_WEBHOOK_SECRET for your own)"
fi

if [ -x "$bin/dialhook-ingest" ]; then
	"$bin/dialhook-ingest" & pids="$pids $!"
fi
if [ -x "$bin/dialhook-processor" ]; then
	"$bin/dialhook-processor" & pids="$pids $!"
fi
sleep 0.5
cat <<MSG

  dialhook is running.
    database:     $DATABASE_URL
    webhook URL:  http://$DIALHOOK_LISTEN/webhooks/dialpad
    metrics:      http://$DIALHOOK_LISTEN/metrics  http://$DIALHOOK_METRICS_LISTEN/metrics
    secret:       DIALPAD_WEBHOOK_SECRET=$DIALPAD_WEBHOOK_SECRET$secret_note

  Send a realistic signed test call (in another terminal):
    DIALPAD_WEBHOOK_SECRET=$DIALPAD_WEBHOOK_SECRET $bin/dialhookctl gen-events --url http://$DIALHOOK_LISTEN/webhooks/dialpad --calls 1
  Then look:  DATABASE_URL=$DATABASE_URL $bin/dialhookctl stats

  Ctrl-C stops everything.

MSG
wait
