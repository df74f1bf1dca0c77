#!/bin/sh
# Integration tests (pytest from Debian, real daemons, a throwaway PostgreSQL
# started by test/integration/conftest.py). The trap stops that cluster even
# if pytest itself is killed. DIALHOOK_BIN_DIR selects the build under test.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export DIALHOOK_TEST_PGDIR="$top/tmp/pg-test"
trap 'sh "$top/test/pg.sh" stop "$DIALHOOK_TEST_PGDIR" >/dev/null 2>&1 || true' EXIT INT TERM
cd "$top" && /usr/bin/python3 -m pytest -p no:cacheprovider -q -ra test/integration "$@"
