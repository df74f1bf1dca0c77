#!/bin/sh
# Throwaway PostgreSQL for `make run`, the tests and the benchmarks.
#
#   test/pg.sh start [DIR]   initdb if needed, start on 127.0.0.1 on a free port,
#                            create database "dialhook", print DATABASE_URL
#   test/pg.sh stop [DIR]    stop it (fine if it is not running) and remove DIR
#   test/pg.sh halt [DIR]    stop it but keep the data (for restart tests)
#   test/pg.sh url [DIR]     print DATABASE_URL of a running cluster
#   test/pg.sh status [DIR]  exit 0 if running
#
# DIR defaults to tmp/pg in the checkout. Durable settings (fsync on,
# synchronous_commit on): the figures we publish are for real commits.
# Extra server options may be passed in DIALHOOK_PG_OPTS ("-c name=value ..."),
# a fixed port in DIALHOOK_PG_FIXED_PORT (restart tests keep their URL).
# As root, the cluster is created and run as the `postgres` user (PostgreSQL
# refuses to run as root). Starting twice prints the running cluster's URL;
# a stale postmaster.pid (its process gone) is removed.
set -eu

cmd=${1:-}
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${2:-$top/tmp/pg}
case $dir in /*) ;; *) dir=$(pwd)/$dir ;; esac
# As root, the cluster must live where the postgres user can reach it. When
# the checkout is not searchable by that user (e.g. it sits under /root), the
# cluster goes to a folder under /tmp named after DIR, which stop removes too.
alt=/tmp/dialhook-pg-$(printf '%s' "$dir" | cksum | cut -d' ' -f1)
if [ -d "$alt/data" ]; then dir=$alt; fi
data=$dir/data

die() { echo "pg.sh: $*" >&2; exit 1; }

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] && [ -x "$bindir/initdb" ] || die "PostgreSQL server not installed (run: make deps)"

# Run a server command as the cluster's owner (from /, which it can always reach).
as_owner() {
	if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

running() {
	[ -f "$data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

port_of() { sed -n 4p "$data/postmaster.pid"; }

url() { echo "postgresql://postgres@127.0.0.1:$(port_of)/dialhook"; }

port_free() {
	# succeeds if nothing accepts connections on 127.0.0.1:$1
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

init_cluster() {
	mkdir -p "$dir"
	if [ "$(id -u)" = 0 ] && ! (cd / && runuser -u postgres -- /bin/true) 2>/dev/null; then
		# Seen in freshly made chroots, whose root folder is mode 0700: no
		# non-root user (postgres included) can run anything until / is searchable.
		echo "pg.sh: / is not searchable by other users (mode $(stat -c %a /)); making it 0755 so postgres can run" >&2
		chmod 0755 /
	fi
	if [ "$(id -u)" = 0 ]; then
		chown postgres "$dir"
		if ! (cd / && runuser -u postgres -- /bin/sh -c 'test -w "$1"' sh "$dir"); then
			echo "pg.sh: $dir is not reachable by the postgres user; using $alt" >&2
			rmdir "$dir" 2>/dev/null || true
			dir=$alt
			data=$dir/data
			mkdir -p "$dir"
			chown postgres "$dir"
		fi
	fi
	as_owner "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
	    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
	cat >>"$data/postgresql.conf" <<-CONF
	# dialhook throwaway cluster: loopback only, durable commits
	listen_addresses = '127.0.0.1'
	unix_socket_directories = ''
	fsync = on
	synchronous_commit = on
	full_page_writes = on
	max_connections = 300
	shared_buffers = 256MB
	max_wal_size = 4GB
	log_min_messages = warning
	log_min_error_statement = panic
	CONF
}

start() {
	if running; then url; return 0; fi
	if [ -f "$data/postmaster.pid" ]; then
		echo "pg.sh: removing stale $data/postmaster.pid" >&2
		rm -f "$data/postmaster.pid"
	fi
	[ -f "$data/PG_VERSION" ] || init_cluster
	tries=0
	while :; do
		port=${DIALHOOK_PG_FIXED_PORT:-$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))}
		tries=$((tries + 1))
		[ $tries -le 50 ] || die "no free port found"
		port_free "$port" || { [ -z "${DIALHOOK_PG_FIXED_PORT:-}" ] || sleep 0.2; continue; }
		if as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
		    -o "-p $port ${DIALHOOK_PG_OPTS:-}" start >/dev/null 2>&1; then
			break
		fi
		[ $tries -lt 5 ] || { tail -n 20 "$dir/server.log" >&2; die "could not start PostgreSQL"; }
	done
	psql="$bindir/psql"
	[ -x "$psql" ] || psql=psql
	if ! "$psql" -qAt -h 127.0.0.1 -p "$port" -U postgres -d postgres \
	    -c "SELECT 1 FROM pg_database WHERE datname = 'dialhook'" | grep -q 1; then
		"$psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE dialhook" >/dev/null
	fi
	url
}

halt() {
	if running; then
		as_owner "$bindir/pg_ctl" -D "$data" -m "${PG_STOP_MODE:-fast}" -w -t 60 stop >/dev/null
	fi
}

case $cmd in
start) start ;;
stop) halt; rm -rf "$dir"; [ "$dir" = "$alt" ] && rm -rf "${2:-$top/tmp/pg}" ;;
halt) halt ;;
url) running || die "not running ($dir)"; url ;;
status) running ;;
*) echo "usage: $0 start|stop|halt|url|status [DIR]" >&2; exit 2 ;;
esac
