#!/bin/sh
# Install what dialhook needs to build and test, with apt-get, only if missing.
#   test/deps.sh          build + test dependencies (make run, make check)
#   test/deps.sh bench    also the benchmark tools (wrk, gnuplot)
#   test/deps.sh fuzz     also clang for libFuzzer
# Quiet and quick when everything is there.
set -eu

pkgs="build-essential pkg-config libevent-dev libpq-dev libcjson-dev libsodium-dev
      libcmocka-dev postgresql postgresql-client python3 python3-pytest python3-psycopg2 python3-yaml docker-compose
      procps iproute2 clang libclang-rt-14-dev"
case "${1:-}" in
bench) pkgs="$pkgs wrk gnuplot-nox curl linux-perf time" ;;
esac

missing=
for p in $pkgs; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case $st in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run 'make deps' as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/tmp/dialhook-deps.log 2>&1 || {
	tail -n 30 /tmp/dialhook-deps.log >&2
	echo "deps: apt-get install failed (log: /tmp/dialhook-deps.log)" >&2
	exit 1
}
