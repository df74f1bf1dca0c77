/*
 * test_log.c: a log line, in text and in JSON, is one parseable line whose
 * pairs are exactly the ones passed, whatever the values hold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <cmocka.h>

#include "log.h"

/* Values a client or libpq could hand us: quotes, fake pairs, separators, controls. */
static const char hostile_msg[] = "could not store | batch \"x\" k=v";
static const char hostile_val[] = "relation \"webhook_events\" k=forged\" level=error|x\n\tend\x7f\\";

static const struct log_kv hostile_kv[] = {
	LOG_S("reason", hostile_val),
	LOG_I("rows", -3),
	LOG_U("conn", UINT64_C(18446744073709551615)),
	LOG_F("took_ms", 1.25),
	LOG_B("dead", true),
	LOG_SN("app", "acme-not-this", 4),
	LOG_S("empty", ""),
	LOG_S("null", NULL),
	LOG_END,
};

static size_t
render(char *buf, size_t len, bool json, const char *msg, const struct log_kv *kv)
{
	log_setup("test", LOG_LEVEL_DEBUG, json);
	return log_render(buf, len, "2026-12-07T12:00:00.000Z", LOG_LEVEL_WARN, msg, kv);
}

static void
assert_member(cJSON *j, const char *key, const char *want)
{
	cJSON	*m = cJSON_GetObjectItemCaseSensitive(j, key);

	assert_non_null(m);
	assert_true(cJSON_IsString(m));
	assert_string_equal(m->valuestring, want);
}

static void
test_json_hostile(void **state)
{
	char	 buf[4096];
	cJSON	*j;

	(void)state;
	render(buf, sizeof(buf), true, hostile_msg, hostile_kv);
	assert_null(strchr(buf, '\n'));
	assert_non_null(j = cJSON_Parse(buf));
	assert_int_equal(cJSON_GetArraySize(j), 4 + 8);		/* ts level comp msg + 8 pairs */
	assert_member(j, "msg", hostile_msg);
	assert_member(j, "level", "warn");
	assert_member(j, "comp", "test");
	/* bytes >= 0x7f are escaped as \u00NN, so the DEL comes back as U+007F */
	assert_member(j, "reason", hostile_val);
	assert_member(j, "rows", "-3");
	assert_member(j, "conn", "18446744073709551615");
	assert_member(j, "took_ms", "1.2");
	assert_member(j, "dead", "true");
	assert_member(j, "app", "acme");
	assert_member(j, "empty", "");
	assert_member(j, "null", "");
	assert_null(cJSON_GetObjectItemCaseSensitive(j, "k"));
	cJSON_Delete(j);
}

/*
 * A minimal logfmt reader: key=bare or key="escaped". Returns the number of
 * pairs read into keys/vals (each malloc'd), -1 on a syntax error.
 */
static int
logfmt_parse(const char *p, char **keys, char **vals, int max)
{
	int	 n = 0;

	while (*p) {
		const char	*k = p, *eq = strchr(p, '=');
		char		*v, *o;

		if (eq == NULL || n == max)
			return -1;
		keys[n] = strndup(k, (size_t)(eq - k));
		v = o = calloc(1, strlen(eq) + 1);
		p = eq + 1;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1] == 'u') {
					*o++ = (char)strtol((char[]){ p[4], p[5], 0 }, NULL, 16);
					p += 5;
				} else if (*p == '\\')
					*o++ = *++p;
				else
					*o++ = *p;
			}
			if (*p++ != '"')
				return -1;
		} else
			while (*p && *p != ' ')
				*o++ = *p++;
		vals[n++] = v;
		if (*p == ' ')
			p++;
		else if (*p)
			return -1;
	}
	return n;
}

static void
test_text_hostile(void **state)
{
	char	 buf[4096], *keys[32], *vals[32];
	int	 n;
	static const char *const want_keys[] = { "ts", "level", "comp", "msg", "reason", "rows", "conn",
		"took_ms", "dead", "app", "empty", "null" };

	(void)state;
	render(buf, sizeof(buf), false, hostile_msg, hostile_kv);
	assert_null(strchr(buf, '\n'));
	assert_non_null(strstr(buf, " level=warn comp=test msg=\"could not store | batch "));
	assert_non_null(strstr(buf, " rows=-3 conn=18446744073709551615 took_ms=1.2 dead=true app=acme"));
	n = logfmt_parse(buf, keys, vals, 32);
	assert_int_equal(n, 12);
	for (int i = 0; i < n; i++)
		assert_string_equal(keys[i], want_keys[i]);
	assert_string_equal(vals[3], hostile_msg);
	assert_string_equal(vals[4], hostile_val);
	assert_string_equal(vals[10], "");
	for (int i = 0; i < n; i++)
		free(keys[i]), free(vals[i]);
}

/* A line too long for the buffer is cut inside a value and still parses. */
static void
test_cut(void **state)
{
	char		 buf[256], big[2048], *keys[8], *vals[8];
	cJSON		*j;
	const char	*r;
	size_t		 n;

	(void)state;
	memset(big, '"', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int json = 0; json < 2; json++) {
		const struct log_kv kv[] = { LOG_I("a", 1), LOG_S("big", big), LOG_I("after", 2), LOG_END };

		n = render(buf, sizeof(buf), json, "m", kv);
		assert_true(n < sizeof(buf));
		assert_int_equal(strlen(buf), n);
		if (json) {
			assert_non_null(j = cJSON_Parse(buf));
			r = cJSON_GetObjectItemCaseSensitive(j, "big")->valuestring;
			assert_true(strlen(r) > 50 && strcmp(r + strlen(r) - 3, "...") == 0);
			assert_null(cJSON_GetObjectItemCaseSensitive(j, "after"));
			cJSON_Delete(j);
		} else {
			int np = logfmt_parse(buf, keys, vals, 8);

			assert_int_equal(np, 6);
			assert_string_equal(keys[5], "big");
			for (int i = 0; i < np; i++)
				free(keys[i]), free(vals[i]);
		}
	}
}

/* Run fn with stderr redirected to a temp file; return what it wrote (malloc'd). */
static char *
capture(void (*fn)(void))
{
	char	 path[] = "/tmp/dialhook-logtest-XXXXXX";
	int	 fd = mkstemp(path), saved = dup(STDERR_FILENO);
	char	*buf = calloc(1, 65536);
	ssize_t	 n;

	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, 65535);
	assert_true(n >= 0);
	close(fd);
	unlink(path);
	return buf;
}

static void
emit_levels(void)
{
	log_debug("hidden", LOG_I("x", 1));
	log_info("shown");
	log_warn("also shown", LOG_S("y", "2"));
}

static void
test_level_filter_and_lines(void **state)
{
	char	*out;

	(void)state;
	log_setup("test", LOG_LEVEL_INFO, false);
	out = capture(emit_levels);
	assert_null(strstr(out, "hidden"));
	assert_non_null(strstr(out, "msg=\"shown\"\n"));
	assert_non_null(strstr(out, "msg=\"also shown\" y=2\n"));
	free(out);
}

static void
test_level_parse(void **state)
{
	enum log_level	 l;

	(void)state;
	assert_int_equal(log_level_parse("warning", &l), 0);
	assert_int_equal(l, LOG_LEVEL_WARN);
	assert_int_equal(log_level_parse("debug", &l), 0);
	assert_int_equal(l, LOG_LEVEL_DEBUG);
	assert_int_equal(log_level_parse("loud", &l), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_hostile),
		cmocka_unit_test(test_text_hostile),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_level_filter_and_lines),
		cmocka_unit_test(test_level_parse),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
