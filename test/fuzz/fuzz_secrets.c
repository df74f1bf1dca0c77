/*
 * fuzz_secrets.c: libFuzzer target for secrets_parse() (common/secrets.c).
 *
 * fuzz-sources: common/secrets.c common/util.c
 *
 * The input is a secrets file. It is parsed by secrets_parse() and by a
 * small model of the format in secrets.h written here; checked:
 *   - both accept or both refuse the file, and a refusal names the same
 *     line ("line N: ...");
 *   - on success the table has the model's entries: same count, and
 *     secrets_find() of each app id gives its exact key bytes, then a NUL;
 *   - an error message, digits aside, is one of the fixed messages of
 *     secrets.c, so it can quote no byte of the file (a secret cannot leak
 *     into a log); it is NUL-terminated inside any errlen, and errlen 0
 *     leaves the buffer alone.
 * The fixed messages below must follow secrets.c when its wording changes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "secrets.h"

/* secrets.c's messages with every digit removed. */
static const char *const messages[] = {
	"line : invalid app id (expected  to  of A-Z a-z - _ -)",
	"line : missing secret",
	"line : secret contains a NUL byte",
	"line : duplicate app id (first defined on line )",
	"line : out of memory",
	"out of memory",
};

/* One entry of the model. */
struct model_entry {
	const char	*id, *key;
	size_t		 idn, keyn;
};

/* What the model makes of a file. */
struct model {
	struct model_entry	*e;
	size_t			 n;
	size_t			 bad_line;	/* 0 if the file is valid */
};

FUZZ_INIT_SODIUM()

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool
id_ok(const char *p, size_t n)
{
	size_t	i;

	if (n == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789_-", p[i]) == NULL || p[i] == '\0')
			return false;
	return true;
}

/* Applies the rules of secrets.h to one line; false if it is refused. */
static bool
model_line(struct model *m, const char *p, size_t n)
{
	size_t	b = 0, idn = 0, k, i;

	while (n > 0 && (blank(p[n - 1]) || p[n - 1] == '\r'))
		n--;
	while (b < n && blank(p[b]))
		b++;
	if (b == n || p[b] == '#')
		return true;
	while (b + idn < n && !blank(p[b + idn]))
		idn++;
	for (k = b + idn; k < n && blank(p[k]); k++)
		;
	if (!id_ok(p + b, idn) || k == n || memchr(p + k, '\0', n - k))
		return false;
	for (i = 0; i < m->n; i++)
		if (m->e[i].idn == idn && memcmp(m->e[i].id, p + b, idn) == 0)
			return false;
	m->e[m->n++] = (struct model_entry){ p + b, p + k, idn, n - k };
	return true;
}

static void
model_parse(struct model *m, const char *p, size_t len)
{
	size_t	pos = 0, line = 0;

	m->e = calloc(len + 1, sizeof(*m->e));
	FUZZ_ASSERT(m->e != NULL);
	m->n = 0;
	m->bad_line = 0;
	while (pos < len) {
		const char	*nl = memchr(p + pos, '\n', len - pos);
		size_t		 n = nl ? (size_t)(nl - (p + pos)) : len - pos;

		line++;
		if (!model_line(m, p + pos, n)) {
			m->bad_line = line;
			return;
		}
		pos += n + (nl ? 1 : 0);
	}
}

/* Checks an error message: known text, right line, no input bytes. */
static void
check_err(const char *err, size_t line)
{
	char	stripped[256];
	size_t	i, o = 0;
	bool	known = false;

	FUZZ_ASSERT(strnlen(err, 256) < 256);
	FUZZ_ASSERT(strncmp(err, "line ", 5) == 0 &&
	    strtoul(err + 5, NULL, 10) == line);
	for (i = 0; err[i] != '\0'; i++)
		if (err[i] < '0' || err[i] > '9')
			stripped[o++] = err[i];
	stripped[o] = '\0';
	for (i = 0; i < sizeof(messages) / sizeof(messages[0]); i++)
		known = known || strcmp(stripped, messages[i]) == 0;
	if (!known)
		fprintf(stderr, "unexpected message: %s\n", err);
	FUZZ_ASSERT(known);
}

static void
check_table(const struct secrets *s, const struct model *m)
{
	const struct secret	*e;
	char			 id[65];
	size_t			 i;

	FUZZ_ASSERT(secrets_count(s) == m->n);
	for (i = 0; i < m->n; i++) {
		memcpy(id, m->e[i].id, m->e[i].idn);
		id[m->e[i].idn] = '\0';
		e = secrets_find(s, id);
		FUZZ_ASSERT(e != NULL && strcmp(e->app_id, id) == 0);
		FUZZ_ASSERT(e->len == m->e[i].keyn &&
		    memcmp(e->key, m->e[i].key, e->len) == 0 &&
		    e->key[e->len] == '\0');
	}
	FUZZ_ASSERT(secrets_find(s, NULL) == NULL);
	if (m->n == 0)
		FUZZ_ASSERT(secrets_find(s, "app") == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p = (const char *)data;
	struct secrets	*s;
	struct model	 m;
	char		 err[256], small[16];
	size_t		 smalllen = size % sizeof(small);

	model_parse(&m, p, size);
	memset(err, 0xAA, sizeof(err));
	s = secrets_parse(p, size, err, sizeof(err));
	FUZZ_ASSERT((s != NULL) == (m.bad_line == 0));
	if (s != NULL)
		check_table(s, &m);
	else
		check_err(err, m.bad_line);
	secrets_free(s);

	/* A short or empty error buffer: truncated and terminated, or untouched. */
	memset(small, 0xAA, sizeof(small));
	s = secrets_parse(p, size, small, smalllen);
	FUZZ_ASSERT((s != NULL) == (m.bad_line == 0));
	if (s == NULL && smalllen > 0)
		FUZZ_ASSERT(strnlen(small, smalllen) < smalllen &&
		    strncmp(small, err, smalllen - 1) == 0);
	if (s == NULL && smalllen == 0)
		FUZZ_ASSERT((unsigned char)small[0] == 0xAA);
	secrets_free(s);
	s = secrets_parse(p, size, NULL, 0);
	FUZZ_ASSERT((s != NULL) == (m.bad_line == 0));
	secrets_free(s);
	free(m.e);
	return 0;
}
