#!/bin/bash
# compose-check.sh — `make compose-check`: build the image and run docker-compose.yml for
# real, end to end, as an operator would (issue 14). Not part of `make check`: it needs a
# container engine (root for the harness) and minutes. docs/development.md says when to run it.
#
# Engine: the Docker API named by DOCKER_HOST or a local /var/run/docker.sock (with
# `docker compose` v2, else docker-compose), or else the podman-based harness
# ../shared/tools/containers/compose-harness.sh beside the checkout (or COMPOSE_HARNESS=PATH),
# which is set up and started if needed (and stopped again at the end if this script
# started it).
#
# What it checks, in a compose project of its own (COMPOSE_PROJECT_NAME, default
# dialhook-check) with fresh volumes and its own settings (never the checkout's .env):
# POSTGRES_PASSWORD with '/', '+' and '=' (kept out of DATABASE_URL); `up -d --scale
# ingest=2 --scale processor=2` with DIALHOOK_INGEST_PORTS=0; migrate exits 0 with no
# healthcheck of its own; postgres probed over TCP; every long-running container healthy;
# signed events (`dialhookctl gen-events --expect`) through every replica's published port
# and through the service name; `calls` equal to the expectation; the docs' one-off
# commands (`exec ingest dialhookctl`, a one-shot `docker run --no-healthcheck`, the
# upgrade's `up --no-deps --exit-code-from migrate migrate`); postgres stopped -> /healthz
# stays fast and webhooks are answered {"status":"spooled"} -> postgres started -> the
# spool replays and the rows appear; `stop` -> every container exits 0; `down -v`.
# Prints PASS/FAIL lines and "N passed, N failed"; exits 0 only if nothing failed.
# Outputs: $CHECK_OUT (default tmp/compose-check/ in the checkout).
set -u -o pipefail

TOP=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$TOP" || exit 2
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-dialhook-check}
OUT=$(realpath -m "${CHECK_OUT:-$TOP/tmp/compose-check}")
HOOK=/webhooks/dialpad
SCALE=2
# '/', '+' and '=' as `openssl rand -base64` makes them: the password of issue 14, made unique
export POSTGRES_PASSWORD="Zm9v/YmFy+cXV4==$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')/+="
export DIALPAD_WEBHOOK_SECRET="check-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export DIALHOOK_INGEST_PORTS=0 DIALHOOK_LOG_LEVEL=info
export COMPOSE_DOCKER_CLI_BUILD=0 DOCKER_BUILDKIT=0

npass=0
nfail=0
pass() { echo "PASS $*"; npass=$((npass + 1)); }
fail() { echo "FAIL $*"; nfail=$((nfail + 1)); }
step() { echo; echo "### $*"; }
cleanup_harness() { :; }
finish() {
	echo
	cleanup_harness
	echo "$npass passed, $nfail failed"
	[ "$nfail" = 0 ]
	exit
}

rm -rf "$OUT"
mkdir -p "$OUT" && chmod 777 "$OUT" # the image's non-root user writes --expect files here
: > "$OUT/check.env"                 # compose reads this instead of the checkout's .env

# ------------------------------------------------------------------ the engine

find_harness() {
	local c common
	common=$(git -C "$TOP" rev-parse --path-format=absolute --git-common-dir 2> /dev/null)
	for c in "${COMPOSE_HARNESS:-}" "$TOP/../shared/tools/containers/compose-harness.sh" \
		${common:+"$(dirname "$common")/../shared/tools/containers/compose-harness.sh"}; do
		[ -n "$c" ] && [ -x "$c" ] && { realpath "$c"; return 0; }
	done
	return 1
}

step "engine"
MODE=
if command -v docker > /dev/null && { [ -n "${DOCKER_HOST:-}" ] || [ -S /var/run/docker.sock ]; } \
	&& timeout 20 docker version --format '{{.Server.Version}}' > "$OUT/engine.txt" 2>&1; then
	MODE=docker
	CTR=(docker)
	if timeout 20 docker compose version > /dev/null 2>&1; then DCBIN=(docker compose); else DCBIN=(docker-compose); fi
	xrun() { "$@"; }   # published ports are on this host
	pass "Docker API ${DOCKER_HOST:-unix:///var/run/docker.sock} (server $(cat "$OUT/engine.txt")), ${DCBIN[*]}"
elif H=$(find_harness); then
	MODE=harness
	[ "$(id -u)" = 0 ] || { fail "the podman harness needs root (or set DOCKER_HOST)"; finish; }
	# a first setup writes its apt log before creating the directory for it
	mkdir -p "$(realpath -m "${CTR_DIR:-/tmp/compose-harness}")/logs"
	"$H" status > /dev/null 2>&1 && was_running=1 || was_running=0
	if ! timeout 1800 "$H" setup > "$OUT/harness-setup.log" 2>&1 || ! timeout 300 "$H" start > "$OUT/harness-start.log" 2>&1; then
		fail "harness setup/start: $(tail -3 "$OUT"/harness-s*.log | tr '\n' ' ')"
		finish
	fi
	[ "$was_running" = 1 ] || cleanup_harness() { timeout 300 "$H" stop > "$OUT/harness-stop.log" 2>&1 && echo "(harness stopped again)"; }
	eval "$("$H" env)"
	CTR=(podman)
	DCBIN=(docker-compose)
	xrun() { timeout 300 "$H" exec "$@"; }   # published ports live in the harness namespace
	pass "podman harness $H (DOCKER_HOST=$DOCKER_HOST), docker-compose $(docker-compose version --short 2> /dev/null)"
else
	fail "no Docker API (DOCKER_HOST, /var/run/docker.sock) and no ../shared/tools/containers/compose-harness.sh"
	finish
fi
dc() { timeout 300 "${DCBIN[@]}" --env-file "$OUT/check.env" "$@"; }
ctr() { timeout 120 "${CTR[@]}" "$@"; }

# gen-events from a one-shot container of the image on the host network (the docs' way to
# run the image for a one-off command: without the daemons' HEALTHCHECK), to a published port
gen_port() { # PORT SEED CALLS
	xrun "${CTR[@]}" run --rm --pull never --network host --no-healthcheck -e DIALPAD_WEBHOOK_SECRET \
		-v "$OUT:/out" "$IMAGE" dialhookctl gen-events --url "http://127.0.0.1:$1$HOOK" --calls "$3" \
		--shuffle --duplicates 10% --seed "$2" --expect "/out/expect-$2.jsonl" > "$OUT/gen-$2.log" 2>&1
}
field() { # FILE WHAT: a number from gen-events' summary (2xx, stored, duplicate, other, non-2xx, failed)
	tr '\r' '\n' < "$1" | awk -v w="$2" '
		/^2xx / { gsub(/[(),]/, " "); if (w == "2xx") print $2; for (i = 3; i < NF; i++) if ($i == w) print $(i + 1) }
		/^non-2xx / && w == "non-2xx" { print $2 }
		/^failed / && w == "failed" { print $2 }' | head -1
}
summary() { tr '\r' '\n' < "$1" | grep -E '^(2xx|non-2xx|failed) ' | tr -s ' ' | paste -sd ';' -; }
gen_ok() { # FILE: every event acknowledged with a 2xx
	[ "$(field "$1" non-2xx)" = 0 ] && [ "$(field "$1" failed)" = 0 ] && [ "$(field "$1" 2xx)" -gt 0 ] 2> /dev/null
}

# compare LABEL TIMEOUT_S: calls rows (psql in the postgres service) == the union of the
# --expect files, polled until equal or the timeout (the processors work asynchronously)
compare() {
	local label=$1 deadline=$((SECONDS + $2)) t0=$SECONDS res ok
	cat "$OUT"/expect-*.jsonl > "$OUT/all.expect"
	while :; do
		dc exec -T postgres psql -X -U dialhook -d dialhook -At -c "SELECT json_build_array(
			dialpad_call_id, status, state, direction, external_number, internal_number,
			target_type, target_id, target_name, master_call_id, entry_point_call_id, operator_call_id,
			(extract(epoch FROM started_at) * 1000)::int8, (extract(epoch FROM answered_at) * 1000)::int8,
			(extract(epoch FROM ended_at) * 1000)::int8, duration_ms, recording_url, voicemail_url,
			(extract(epoch FROM last_event_at) * 1000)::int8) FROM calls ORDER BY app_id, dialpad_call_id" \
			> "$OUT/calls.jsonl" 2> "$OUT/psql.err"
		res=$(/usr/bin/python3 - "$OUT/all.expect" "$OUT/calls.jsonl" << 'PY'
import json, sys
# the columns of test/integration/conftest.py (EXPECT_KEYS / CALL_COLS)
K = ["dialpad_call_id", "status", "state", "direction", "external_number", "internal_number",
     "target_type", "target_id", "target_name", "master_call_id", "entry_point_call_id",
     "operator_call_id", "started_at_ms", "answered_at_ms", "ended_at_ms", "duration_ms",
     "recording_url", "voicemail_url", "last_event_at_ms"]
exp = sorted(tuple(json.loads(l)[k] for k in K) for l in open(sys.argv[1]) if l.strip())
got = sorted(tuple(json.loads(l)) for l in open(sys.argv[2]) if l.strip())
print(f"expected {len(exp)} call legs, calls has {len(got)} rows, identical: {exp == got}", end="")
if exp != got:
    d = next(((a, b) for a, b in zip(exp, got) if a != b), None)
    if d: print(f"; first difference: expected {d[0]} got {d[1]}", end="")
sys.exit(0 if exp and exp == got else 1)
PY
		)
		ok=$?
		[ $ok = 0 ] || [ $SECONDS -ge $deadline ] && break
		sleep 2
	done
	if [ $ok = 0 ]; then pass "$label: $res (after $((SECONDS - t0)) s)"; else fail "$label: $res $(head -c 300 "$OUT/psql.err")"; fi
}

spool_files() { dc exec -T ingest sh -c 'ls -A /var/lib/dialhook/spool | grep -c "\.seg$"' 2> /dev/null | tr -d '\r'; }

# ------------------------------------------------------------------ build and up

step "build the image (${DCBIN[*]} build)"
t0=$SECONDS
if [ "$MODE" = harness ]; then
	timeout 1200 "$H" build > "$OUT/build.log" 2>&1   # RUN steps on the host network (harness README)
else
	timeout 1200 "${DCBIN[@]}" --env-file "$OUT/check.env" build > "$OUT/build.log" 2>&1
fi
if [ $? = 0 ]; then pass "image built ($((SECONDS - t0)) s)"; else fail "build: $(tail -5 "$OUT/build.log" | tr '\n' ' ')"; finish; fi

step "fresh start: down -v"
if dc down -v --remove-orphans > "$OUT/down.log" 2>&1; then pass "down -v (project $COMPOSE_PROJECT_NAME)"; else fail "down -v: $(tail -3 "$OUT/down.log")"; fi

step "up -d --scale ingest=$SCALE --scale processor=$SCALE (DIALHOOK_INGEST_PORTS=0)"
t0=$SECONDS
if dc up -d --scale "ingest=$SCALE" --scale "processor=$SCALE" > "$OUT/up.log" 2>&1; then
	pass "up ($((SECONDS - t0)) s)"
else
	fail "up: $(grep -v '^$' "$OUT/up.log" | tail -5 | tr '\n' ' ')"
	dc logs --no-color > "$OUT/logs.txt" 2>&1
	finish
fi
mapfile -t ING < <(dc ps -q ingest)
mapfile -t PROC < <(dc ps -q processor)
PG=$(dc ps -q postgres)
MIG=$(dc ps -q migrate)
if [ ${#ING[@]} = $SCALE ] && [ ${#PROC[@]} = $SCALE ] && [ -n "$PG" ] && [ -n "$MIG" ]; then
	pass "$SCALE ingest, $SCALE processor, postgres and migrate containers"
else
	fail "containers: ingest ${#ING[@]}, processor ${#PROC[@]}, postgres ${PG:-none}, migrate ${MIG:-none}"
	finish
fi
IMAGE=$(ctr inspect --format '{{.Image}}' "${ING[0]}")

step "postgres: TCP healthcheck; migrate: password with '/' and '+', --wait, no healthcheck"
probe=$(ctr inspect --format '{{json .Config.Healthcheck.Test}}' "$PG")
if grep -q -- '-h 127.0.0.1' <<< "$probe"; then pass "postgres healthcheck probes TCP: $probe"; else fail "postgres healthcheck: $probe"; fi
ctr logs "$MIG" > "$OUT/migrate.log" 2>&1
sed 's/^/  /' "$OUT/migrate.log"
mexit=$(ctr inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$MIG")
if [ "$mexit" = "exited 0" ] && grep -q "applied 001_init" "$OUT/migrate.log"; then
	pass "migrate exited 0 with POSTGRES_PASSWORD=${POSTGRES_PASSWORD:0:6}…(with / + =) via PGPASSWORD"
else fail "migrate: $mexit $(tail -2 "$OUT/migrate.log" | tr '\n' ' ')"; fi
mhc=$(ctr inspect --format '{{json .Config.Healthcheck}}' "$MIG")
mstat=$(ctr inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$MIG" 2> /dev/null)
if grep -q '"NONE"' <<< "$mhc" && [ -z "$mstat" ]; then pass "migrate has no healthcheck ($mhc)"; else fail "migrate healthcheck: $mhc status '$mstat'"; fi
url=$(dc exec -T ingest printenv DATABASE_URL | tr -d '\r')
if [ "$url" = "postgresql://dialhook@postgres:5432/dialhook" ]; then pass "DATABASE_URL carries no password: $url"; else fail "DATABASE_URL: $url"; fi

step "wait until healthy (bounded 150 s)"
want=$((1 + 2 * SCALE))
t0=$SECONDS
for _ in $(seq 1 75); do
	n=$(ctr ps -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --filter health=healthy | wc -l)
	[ "$n" -ge "$want" ] && break
	sleep 2
done
ctr ps -a --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME" --format '  {{.Names}} | {{.Status}} | {{.Ports}}'
if [ "$n" -ge "$want" ]; then pass "$n/$want long-running containers healthy after $((SECONDS - t0)) s"; else fail "only $n/$want healthy after $((SECONDS - t0)) s"; fi

step "signed events through every replica's published port (one-shot containers, --no-healthcheck)"
PORTS=()
for i in $(seq 1 $SCALE); do PORTS+=("$(dc port --index "$i" ingest 8080 | tr -d '\r' | sed 's/.*://')"); done
echo "  published ports: ${PORTS[*]}"
seed=101
for i in "${!PORTS[@]}"; do
	gen_port "${PORTS[$i]}" $seed 25
	rc=$?
	if [ $rc = 0 ] && gen_ok "$OUT/gen-$seed.log"; then pass "replica $((i + 1)) (port ${PORTS[$i]}): $(summary "$OUT/gen-$seed.log")"
	else fail "replica $((i + 1)) (port ${PORTS[$i]}): exit $rc $(summary "$OUT/gen-$seed.log") $(tail -2 "$OUT/gen-$seed.log" | tr '\n' ' ')"; fi
	seed=$((seed + 1))
done

step "signed events via the service name, from inside replica 2 (http://ingest:8080)"
dc exec -T --index 2 ingest dialhookctl gen-events --url "http://ingest:8080$HOOK" --calls 15 --shuffle \
	--seed 110 --expect /tmp/check-expect-110.jsonl > "$OUT/gen-110.log" 2>&1
rc=$?
dc exec -T --index 2 ingest cat /tmp/check-expect-110.jsonl > "$OUT/expect-110.jsonl" 2> /dev/null
if [ $rc = 0 ] && gen_ok "$OUT/gen-110.log"; then pass "via ingest:8080: $(summary "$OUT/gen-110.log")"
else fail "via ingest:8080: exit $rc $(summary "$OUT/gen-110.log")"; fi

step "calls == gen-events --expect"
compare "calls == expectation" 90

step "the docs' one-off commands"
if dc exec -T ingest dialhookctl stats > "$OUT/stats.txt" 2>&1; then pass "exec ingest dialhookctl stats: $(grep -c . "$OUT/stats.txt") lines"
else fail "exec ingest dialhookctl stats: $(tail -2 "$OUT/stats.txt")"; fi
net=$(ctr inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "${ING[0]}" | awk '{print $1}')
xrun "${CTR[@]}" run --rm --pull never --no-healthcheck --network "$net" -e PGPASSWORD="$POSTGRES_PASSWORD" \
	-e DATABASE_URL=postgresql://dialhook@postgres:5432/dialhook "$IMAGE" \
	dialhookctl purge --processed-before 30d --dead-too > "$OUT/purge.log" 2>&1
rc=$?
if [ $rc = 0 ]; then pass "one-shot docker run --no-healthcheck --network $net ... dialhookctl purge: $(tail -1 "$OUT/purge.log")"
else fail "one-shot purge: exit $rc $(tail -2 "$OUT/purge.log" | tr '\n' ' ')"; fi
dc up --no-deps --exit-code-from migrate migrate > "$OUT/upgrade-migrate.log" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q "schema is up to date" "$OUT/upgrade-migrate.log"; then
	pass "upgrade step: up --no-deps --exit-code-from migrate migrate: exit 0, schema is up to date"
else fail "upgrade step: exit $rc $(tail -3 "$OUT/upgrade-migrate.log" | tr '\n' ' ')"; fi

# ------------------------------------------------------------------ outage

step "outage: stop postgres; /healthz stays fast, webhooks to both replicas are spooled"
if dc stop postgres > "$OUT/stop-pg.log" 2>&1; then pass "stop postgres"; else fail "stop postgres: $(tail -2 "$OUT/stop-pg.log")"; fi
# the replicas notice, reconnect (resolving "postgres", gone from the network) and keep serving
xrun bash -c 'for r in 1 2 3 4 5 6 7 8 9 10; do for p in "$@"; do
		curl -sS -m 10 -o /dev/null -w "%{http_code} %{time_total}\n" "http://127.0.0.1:$p/healthz"; done; sleep 0.5; done' \
	_ "${PORTS[@]}" > "$OUT/healthz-outage.txt" 2>&1
slow=$(awk '$1 != 200 || $2 > 1.0' "$OUT/healthz-outage.txt" | wc -l)
max=$(awk '{ if ($2 > m) m = $2 } END { print m + 0 }' "$OUT/healthz-outage.txt")
nh=$(grep -c . "$OUT/healthz-outage.txt")
if [ "$nh" -gt 0 ] && [ "$slow" = 0 ]; then pass "/healthz during the outage: $nh probes, all 200, slowest ${max}s"
else fail "/healthz during the outage: $slow of $nh failed or slower than 1 s (slowest ${max}s)"; fi
dc exec -T ingest dialhookctl gen-events --out /tmp/check-bodies-120.txt --calls 4 --seed 120 \
	--expect /tmp/check-expect-120.jsonl > "$OUT/gen-120.log" 2>&1
dc exec -T ingest cat /tmp/check-bodies-120.txt > "$OUT/bodies-120.txt" 2> /dev/null
dc exec -T ingest cat /tmp/check-expect-120.jsonl > "$OUT/expect-120.jsonl" 2> /dev/null
xrun bash -c 'f=$1 hook=$2; shift 2; i=0
	while IFS= read -r body; do
		port=${@:$((i % $# + 1)):1}; i=$((i + 1))
		curl -sS -m 10 -H "Content-Type: application/jwt" --data-binary "$body" "http://127.0.0.1:$port$hook"; echo
	done < "$f"' _ "$OUT/bodies-120.txt" "$HOOK" "${PORTS[@]}" > "$OUT/spooled-answers.txt" 2>&1
nb=$(grep -c . "$OUT/bodies-120.txt")
ns=$(grep -cxF '{"status":"spooled"}' "$OUT/spooled-answers.txt")
if [ "$nb" -gt 0 ] && [ "$ns" = "$nb" ]; then pass "curl to both published ports: $ns/$nb answered {\"status\":\"spooled\"}"
else fail "curl: $ns/$nb spooled; others: $(grep -vxF '{"status":"spooled"}' "$OUT/spooled-answers.txt" | sort | uniq -c | head -3 | tr '\n' ' ')"; fi
seed=121
for i in "${!PORTS[@]}"; do
	gen_port "${PORTS[$i]}" $seed 10
	rc=$?
	n2=$(field "$OUT/gen-$seed.log" 2xx)
	if [ $rc = 0 ] && gen_ok "$OUT/gen-$seed.log" && [ "$(field "$OUT/gen-$seed.log" other)" = "$n2" ]; then
		pass "gen-events to replica $((i + 1)) during the outage: every 2xx a spool answer ($(summary "$OUT/gen-$seed.log"))"
	else fail "gen-events to replica $((i + 1)) during the outage: exit $rc $(summary "$OUT/gen-$seed.log")"; fi
	seed=$((seed + 1))
done
nf=$(spool_files)
if [ "${nf:-0}" -gt 0 ] 2> /dev/null; then pass "the shared spool volume holds $nf segment(s)"; else fail "spool volume: '${nf}' segments"; fi

step "postgres back: the spool replays"
if dc start postgres > "$OUT/start-pg.log" 2>&1; then pass "start postgres"; else fail "start postgres: $(tail -2 "$OUT/start-pg.log")"; fi
t0=$SECONDS
for _ in $(seq 1 60); do
	nf=$(spool_files)
	[ "$nf" = 0 ] && break
	sleep 2
done
if [ "$nf" = 0 ]; then pass "spool drained $((SECONDS - t0)) s after postgres came back"; else fail "spool still holds '$nf' segment(s) after $((SECONDS - t0)) s"; fi
compare "after the replay: calls == expectation (outage events included)" 90

# ------------------------------------------------------------------ stop

step "stop (SIGTERM, stop_grace_period)"
t0=$SECONDS
dc stop > "$OUT/stop.log" 2>&1
rc=$?
took=$((SECONDS - t0))
codes=""
for id in "${ING[@]}" "${PROC[@]}" "$PG"; do
	codes+="$(ctr inspect --format '{{.Name}}={{.State.Status}}/{{.State.ExitCode}}' "$id" | sed 's,^/,,') "
done
echo "  $codes"
if [ $rc = 0 ] && ! tr ' ' '\n' <<< "$codes" | grep . | grep -qvE '=exited/0$'; then pass "stop: every container exited 0 ($took s)"
else fail "stop (exit $rc, $took s): $codes"; fi
dc logs --no-color > "$OUT/logs.txt" 2>&1
if grep -qE 'AddressSanitizer|runtime error|Segmentation' "$OUT/logs.txt"; then fail "crash output in the logs ($OUT/logs.txt)"; fi

step "clean up: down -v"
if dc down -v --remove-orphans > "$OUT/down-end.log" 2>&1; then pass "down -v"; else fail "down -v: $(tail -2 "$OUT/down-end.log")"; fi
finish
