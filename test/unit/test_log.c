/* test_log.c: log lines, in text and JSON, stay one parseable line whatever the values hold. */
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
	assert_true(n > 0);
	close(fd);
	unlink(path);
	return buf;
}

static void
emit_libpq_error(void)
{
	log_warn("could not store batch|rows=%d error=\"%s\" conn=%d", 3,
	    "relation \"webhook_events\" does not exist", 2);
}

static void
test_json_values_with_quotes(void **state)
{
	char	*out;
	cJSON	*j;

	(void)state;
	log_setup("test", LOG_LEVEL_DEBUG, true);
	out = capture(emit_libpq_error);
	assert_non_null(strchr(out, '\n'));
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);	/* one line */
	j = cJSON_Parse(out);
	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItem(j, "msg")->valuestring, "could not store batch");
	assert_string_equal(cJSON_GetObjectItem(j, "error")->valuestring,
	    "relation \"webhook_events\" does not exist");
	assert_string_equal(cJSON_GetObjectItem(j, "rows")->valuestring, "3");
	assert_string_equal(cJSON_GetObjectItem(j, "conn")->valuestring, "2");
	assert_string_equal(cJSON_GetObjectItem(j, "level")->valuestring, "warn");
	cJSON_Delete(j);
	free(out);
}

static void
test_text_format(void **state)
{
	char	*out;

	(void)state;
	log_setup("test", LOG_LEVEL_INFO, false);
	out = capture(emit_libpq_error);
	assert_non_null(strstr(out, " level=warn comp=test msg=\"could not store batch\" rows=3 error="));
	free(out);
}

static void
emit_debug(void)
{
	log_debug("hidden|x=1");
	log_info("shown|x=2");
}

static void
test_level_filter(void **state)
{
	char	*out;

	(void)state;
	log_setup("test", LOG_LEVEL_INFO, false);
	out = capture(emit_debug);
	assert_null(strstr(out, "hidden"));
	assert_non_null(strstr(out, "shown"));
	free(out);
}

static void
test_escape(void **state)
{
	char	 buf[64];
	const char evil[] = "a\nlevel=error msg=\"forged\"\x7f";

	(void)state;
	log_escape(buf, sizeof(buf), evil, sizeof(evil) - 1);
	assert_null(strchr(buf, '\n'));
	assert_null(strchr(buf, '"'));
	assert_non_null(strstr(buf, "\\u000a"));
	log_escape(buf, 8, evil, sizeof(evil) - 1);	/* truncates, terminates */
	assert_true(strlen(buf) < 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_values_with_quotes),
		cmocka_unit_test(test_text_format),
		cmocka_unit_test(test_level_filter),
		cmocka_unit_test(test_escape),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
