#!/bin/sh
# Build and run the libFuzzer targets (clang, ASan+UBSan).
#
#   test/fuzz/run.sh check   every target over its seed corpus, then a short
#                            random run each (FUZZ_CHECK_SECONDS, default 8),
#                            two targets at a time; the corpus is not changed.
#                            Used by `make check` (make fuzz-check).
#   test/fuzz/run.sh fuzz    each target for FUZZ_SECONDS (default 60) with
#                            test/fuzz/corpus/<name>/ as its working corpus
#                            (new inputs are added there); crashes are saved
#                            as test/fuzz/crashes/<name>-crash-<sha1>.
#   test/fuzz/run.sh build   only build.
# FUZZ_TARGETS="jwt json" limits any mode to those targets.
#
# A target is test/fuzz/fuzz_<name>.c; its header comment lists what it is
# compiled with ("fuzz-sources: ..." and optionally "fuzz-pkgs: ...").
# Adding such a file and test/fuzz/corpus/<name>/ is all a new target needs.
# Binaries: build/fuzz/fuzz_<name>. Exit status non-zero on any failure.
set -u

cd "$(dirname "$0")/../.." || exit 1
mode=${1:-check}
out=build/fuzz
CLANG=${CLANG:-clang}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_CHECK_SECONDS=${FUZZ_CHECK_SECONDS:-8}
# make check's random run is seeded, so it replays the same mutations on every
# machine (a CI run is reproducible and does not flake on a lucky find); make fuzz
# is the exploratory run with fresh randomness.
FUZZ_CHECK_SEED=${FUZZ_CHECK_SEED:-1}
FLAGS="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1
       -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=all -Wall -Wextra -Wno-unused-parameter
       -Icommon -Itest/fuzz"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

case $mode in
check | fuzz | build) ;;
*)
	echo "usage: $0 check|fuzz|build" >&2
	exit 2
	;;
esac

command -v "$CLANG" >/dev/null 2>&1 || {
	echo "fuzz: $CLANG not found (make deps installs clang and libclang-rt-14-dev)" >&2
	exit 1
}

targets=${FUZZ_TARGETS:-$(for f in test/fuzz/fuzz_*.c; do
	[ -e "$f" ] && basename "$f" .c | sed 's/^fuzz_//'
done)}
[ -n "$targets" ] || {
	echo "fuzz: no targets in test/fuzz/" >&2
	exit 1
}

# The value of "fuzz-<what>:" in the header comment of target file $1.
field() {
	sed -n "s/^[ /*]*fuzz-$2:[ 	]*//p" "$1" | head -n 1
}

# Builds target $1 unless its binary is newer than everything it uses.
build() {
	src=test/fuzz/fuzz_$1.c
	bin=$out/fuzz_$1
	[ -f "$src" ] || {
		echo "fuzz: no $src" >&2
		return 1
	}
	srcs=$(field "$src" sources)
	pkgs=$(field "$src" pkgs)
	pkgs=${pkgs:-libcjson libsodium}
	# shellcheck disable=SC2086 # $srcs is a list
	if [ -x "$bin" ] && [ -z "$(find "$src" test/fuzz/fuzz.h common/*.h $srcs \
	    test/fuzz/run.sh -newer "$bin" 2>/dev/null)" ]; then
		return 0
	fi
	mkdir -p "$out"
	echo "fuzz: building $bin"
	# shellcheck disable=SC2086,SC2046 # word lists on purpose
	$CLANG $FLAGS -o "$bin.tmp" "$src" $srcs $(pkg-config --cflags --libs $pkgs) -lm &&
		mv "$bin.tmp" "$bin"
}

# Runs target $1 in the current mode; output in $out/log/$1.log.
run_one() {
	t=$1
	bin=$out/fuzz_$t
	corpus=test/fuzz/corpus/$t
	log=$out/log/$t.log
	dict=
	[ -f "test/fuzz/fuzz_$t.dict" ] && dict="-dict=test/fuzz/fuzz_$t.dict"
	mkdir -p "$corpus" "$out/log" test/fuzz/crashes
	start=$(date +%s)
	if [ "$mode" = check ]; then
		# 1. every seed once (regression inputs included); 2. a random
		# run that grows a scratch corpus, never the committed one.
		rm -rf "$out/work/$t" && mkdir -p "$out/work/$t"
		# shellcheck disable=SC2086
		"$bin" -runs=0 -artifact_prefix="test/fuzz/crashes/$t-" \
			"$corpus" >"$log" 2>&1 &&
			"$bin" -max_total_time="$FUZZ_CHECK_SECONDS" -seed="$FUZZ_CHECK_SEED" -timeout=10 $dict \
				-artifact_prefix="test/fuzz/crashes/$t-" \
				"$out/work/$t" "$corpus" >>"$log" 2>&1
	else
		# shellcheck disable=SC2086
		"$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 $dict \
			-artifact_prefix="test/fuzz/crashes/$t-" "$corpus" >"$log" 2>&1
	fi
	rc=$?
	secs=$(($(date +%s) - start))
	if [ $rc -eq 0 ]; then
		echo "fuzz: $t ok (${secs}s$(grep -q 'Done [0-9]* runs' "$log" &&
			sed -n 's/.*Done \([0-9]*\) runs.*/, \1 runs/p' "$log" | tail -n 1))"
	else
		grep -E 'ERROR: |runtime error|invariant failed|SUMMARY|Test unit written' "$log" >&2
		echo "fuzz: $t FAILED (exit $rc, ${secs}s; log $log)" >&2
	fi
	return $rc
}

fail=0
for t in $targets; do
	build "$t" || {
		echo "fuzz: build of $t failed" >&2
		fail=1
	}
done
[ $fail -eq 0 ] || exit 1
[ "$mode" = build ] && exit 0

# Two targets at a time (the machines have two cores); each status in a file.
rm -rf "$out/status" && mkdir -p "$out/status"
# shellcheck disable=SC2086 # one word per target
set -- $targets
while [ $# -gt 0 ]; do
	(run_one "$1"; echo $? >"$out/status/$1") &
	if [ $# -gt 1 ]; then
		(run_one "$2"; echo $? >"$out/status/$2") &
		shift
	fi
	shift
	wait
done
for t in $targets; do
	[ "$(cat "$out/status/$t" 2>/dev/null)" = 0 ] || fail=1
done
if [ $fail -ne 0 ]; then
	echo "fuzz: FAILED; crash inputs (if any) are in test/fuzz/crashes/" >&2
	exit 1
fi
echo "fuzz: all targets passed ($mode)"
