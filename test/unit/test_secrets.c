/*
 * test_secrets.c: the secrets file parser and loader, including that no
 * error message ever quotes a secret.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "secrets.h"

/* Asserts that s holds app_id with exactly the key text want. */
static void
assert_secret(const struct secrets *s, const char *app_id, const char *want)
{
	const struct secret	*e = secrets_find(s, app_id);

	if (e == NULL)
		fail_msg("%s not found", app_id);
	assert_string_equal(e->app_id, app_id);
	assert_int_equal(e->len, strlen(want));
	assert_memory_equal(e->key, want, e->len);
	assert_int_equal(e->key[e->len], '\0');
}

static void
test_good(void **state)
{
	static const char	text[] =
	    "# dialhook secrets\n"
	    "app1 secret1\n"
	    "\n"
	    "   \t\n"
	    "   # indented comment\n"
	    "app-2\t  secret two with spaces # and a hash  \r\n"
	    "APP_3 s3\r\n"
	    "  x \tfixture-secret-do-not-use";	/* no final newline */
	struct secrets		*s;
	char			 err[128] = "";

	(void)state;
	s = secrets_parse(text, sizeof(text) - 1, err, sizeof(err));
	assert_non_null(s);
	assert_string_equal(err, "");
	assert_int_equal(secrets_count(s), 4);
	assert_secret(s, "app1", "secret1");
	assert_secret(s, "app-2", "secret two with spaces # and a hash");
	assert_secret(s, "APP_3", "s3");
	assert_secret(s, "x", "fixture-secret-do-not-use");
	assert_null(secrets_find(s, "app"));
	assert_null(secrets_find(s, "app1 "));
	assert_null(secrets_find(s, "APP1"));
	assert_null(secrets_find(s, ""));
	assert_null(secrets_find(s, NULL));
	assert_null(secrets_find(NULL, "app1"));
	secrets_free(s);
	secrets_free(NULL);
	assert_int_equal(secrets_count(NULL), 0);
}

static void
test_empty(void **state)
{
	struct secrets	*s;

	(void)state;
	s = secrets_parse("", 0, NULL, 0);
	assert_non_null(s);
	assert_int_equal(secrets_count(s), 0);
	secrets_free(s);
	s = secrets_parse("# only\n\n", 8, NULL, 0);
	assert_non_null(s);
	assert_int_equal(secrets_count(s), 0);
	secrets_free(s);
}

struct brow {
	const char	*text;
	const char	*err;
	const char	*secret;	/* text that must not be in err */
};

#define A64 "a123456789b123456789c123456789d123456789e123456789f123456789abcd"

static const struct brow brows[] = {
	{ "a topsecret1\nb x\na topsecret2\n",
	    "line 3: duplicate app id (first defined on line 1)", "topsecret" },
	{ "ok s\r\n\r\nok s\r\n",
	    "line 3: duplicate app id (first defined on line 1)", NULL },
	{ "bad.id hunter2\n",
	    "line 1: invalid app id (expected 1 to 64 of A-Z a-z 0-9 _ -)",
	    "hunter2" },
	{ "# c\nok x\nS3cr3t+/=\n",
	    "line 3: invalid app id (expected 1 to 64 of A-Z a-z 0-9 _ -)",
	    "S3cr3t" },
	{ A64 "e hunter2\n",
	    "line 1: invalid app id (expected 1 to 64 of A-Z a-z 0-9 _ -)",
	    "hunter2" },
	{ "ok s\nlonely   \n", "line 2: missing secret", NULL },
	{ "ok s\nlonely\r\n", "line 2: missing secret", NULL },
	{ "\n\n\nlonely", "line 4: missing secret", NULL },
	{ "caf\xc3\xa9 pw12345\n",
	    "line 1: invalid app id (expected 1 to 64 of A-Z a-z 0-9 _ -)",
	    "pw12345" },
};

static void
test_bad_table(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(brows) / sizeof(brows[0]); i++) {
		const struct brow	*r = &brows[i];
		struct secrets		*s;
		char			 err[256] = "";

		s = secrets_parse(r->text, strlen(r->text), err, sizeof(err));
		if (s != NULL)
			fail_msg("row %zu accepted", i);
		if (strcmp(err, r->err) != 0)
			fail_msg("row %zu: err \"%s\" want \"%s\"", i, err,
			    r->err);
		if (r->secret != NULL && strstr(err, r->secret) != NULL)
			fail_msg("row %zu: secret leaked into err", i);
	}
}

static void
test_limits(void **state)
{
	static const char	nul[] = "app s\0cret\n";
	struct secrets		*s;
	char			 err[8];

	(void)state;
	s = secrets_parse(A64 " k\n", sizeof(A64) + 2, NULL, 0);
	assert_non_null(s);
	assert_secret(s, A64, "k");
	secrets_free(s);
	s = secrets_parse(nul, sizeof(nul) - 1, err, sizeof(err));
	assert_null(s);
	assert_string_equal(err, "line 1:");	/* truncated, terminated */
	assert_null(secrets_parse("x", 1, NULL, 0));
	/* text need not be NUL-terminated: only len bytes are read */
	s = secrets_parse("a b\nc d", 3, NULL, 0);
	assert_non_null(s);
	assert_int_equal(secrets_count(s), 1);
	assert_secret(s, "a", "b");
	secrets_free(s);
}

/* Writes data to a new temporary file; returns its malloc'd path. */
static char *
temp_file(const void *data, size_t n)
{
	char	*path = strdup("/tmp/test_secrets.XXXXXX");
	int	 fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
	return path;
}

static void
test_load(void **state)
{
	static const char	 good[] = "app1 one\napp2 two\n";
	static const char	 bad[] = "app1 one\napp1 hunter2\n";
	struct secrets		*s;
	char			 err[512], want[512], *path, *big;

	(void)state;
	path = temp_file(good, sizeof(good) - 1);
	s = secrets_load(path, err, sizeof(err));
	assert_non_null(s);
	assert_secret(s, "app2", "two");
	secrets_free(s);
	unlink(path);
	free(path);

	path = temp_file(bad, sizeof(bad) - 1);
	assert_null(secrets_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: line 2: duplicate app id "
	    "(first defined on line 1)", path);
	assert_string_equal(err, want);
	assert_null(strstr(err, "hunter2"));
	unlink(path);
	free(path);

	assert_null(secrets_load("/nonexistent/dialhook/secrets", err,
	    sizeof(err)));
	snprintf(want, sizeof(want), "could not open secrets file "
	    "\"/nonexistent/dialhook/secrets\": %s", strerror(ENOENT));
	assert_string_equal(err, want);

	assert_null(secrets_load("/tmp", err, sizeof(err)));
	snprintf(want, sizeof(want), "could not read secrets file \"/tmp\": %s",
	    strerror(EISDIR));
	assert_string_equal(err, want);

	/* issue 12: readable (or writable) by group or others: refused, naming file and mode */
	path = temp_file(good, sizeof(good) - 1);
	for (size_t i = 0; i < 4; i++) {
		static const mode_t modes[] = { 0644, 0640, 0604, 0620 };

		assert_int_equal(chmod(path, modes[i]), 0);
		assert_null(secrets_load(path, err, sizeof(err)));
		snprintf(want, sizeof(want), "secrets file \"%s\" has mode %04o: it is accessible by "
		    "group or others; make it 0600 or 0400 (chmod go= FILE)", path, (unsigned)modes[i]);
		assert_string_equal(err, want);
	}
	assert_int_equal(chmod(path, 0400), 0);
	s = secrets_load(path, err, sizeof(err));
	assert_non_null(s);
	secrets_free(s);
	unlink(path);
	free(path);

	big = malloc(SECRETS_MAX_FILE + 10);
	assert_non_null(big);
	memset(big, '#', SECRETS_MAX_FILE + 10);
	path = temp_file(big, SECRETS_MAX_FILE + 10);
	assert_null(secrets_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "could not read secrets file \"%s\": %s",
	    path, strerror(EFBIG));
	assert_string_equal(err, want);
	unlink(path);
	free(path);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_bad_table),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_load),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
