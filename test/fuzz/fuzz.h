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

#include <stdbool.h>
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

/*
 * Defines LLVMFuzzerInitialize as libsodium's one-time setup (the file must
 * include <sodium.h>); every target that reaches libsodium uses it.
 */
#define FUZZ_INIT_SODIUM()						\
int									\
LLVMFuzzerInitialize(int *argc, char ***argv)				\
{									\
	(void)argc;							\
	(void)argv;							\
	if (sodium_init() < 0)						\
		abort();						\
	return 0;							\
}

/*
 * Copies validated JSON text p[0..n) into out (at least n bytes) without its
 * insignificant whitespace; returns the length written.
 */
static inline size_t
fuzz_minify(const char *p, size_t n, char *out)
{
	size_t	i, o = 0;
	bool	in_str = false;

	for (i = 0; i < n; i++) {
		if (in_str) {
			out[o++] = p[i];
			if (p[i] == '\\')
				out[o++] = p[++i];
			else if (p[i] == '"')
				in_str = false;
		} else if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') {
			in_str = p[i] == '"';
			out[o++] = p[i];
		}
	}
	return o;
}

#endif
