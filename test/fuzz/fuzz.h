/*
 * fuzz.h: helpers shared by the libFuzzer targets in test/fuzz/.
 *
 * A target is one file test/fuzz/fuzz_<name>.c defining
 * LLVMFuzzerTestOneInput (and usually LLVMFuzzerInitialize). Its header
 * comment names the sources it is compiled with, one line each:
 *
 *     fuzz-sources: common/json.c common/event.c
 *     fuzz-pkgs: libcjson libsodium            (optional; this is the default)
 *
 * test/fuzz/run.sh reads those lines; the seed corpus lives in
 * test/fuzz/corpus/<name>/ and an optional dictionary in fuzz_<name>.dict.
 */
#ifndef DH_FUZZ_H
#define DH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test: abort (a libFuzzer crash) if false. */
#define FUZZ_ASSERT(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

#endif
