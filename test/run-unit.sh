#!/bin/sh
# Run every cmocka unit-test binary given as an argument; print one summary
# line "N passed, N failed" over all of them; exit non-zero on any failure.
set -u
pass=0
fail=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E '^\[  (FAILED|PASSED)|^\[ +ERROR|ERROR:|runtime error' >&2 || true
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0}))
	if [ $rc -ne 0 ] && [ "${f:-0}" = 0 ]; then
		printf '%s\n' "$out" | tail -n 20 >&2
		echo "unit: $t exited $rc" >&2
		fail=$((fail + 1))
	fi
done
echo "unit tests: $pass passed, $fail failed"
[ $fail -eq 0 ]
