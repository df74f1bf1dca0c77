/* test_strbuf.c: the growing string (common/strbuf.c) stays terminated and exact as it grows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strbuf.h"

static void
test_grows_and_terminates(void **state)
{
	struct strbuf	 b = { 0 };
	char		 want[3001];

	(void)state;
	assert_null(b.p);
	strbuf_puts(&b, "");
	assert_non_null(b.p);
	assert_string_equal(b.p, "");
	for (int i = 0; i < 1000; i++)
		strbuf_printf(&b, "%03d", i % 1000);
	for (int i = 0; i < 1000; i++)
		memcpy(want + 3 * i, (char[4]){ (char)('0' + i / 100), (char)('0' + i / 10 % 10),
		    (char)('0' + i % 10), 0 }, 3);
	want[3000] = '\0';
	assert_int_equal(b.len, 3000);
	assert_string_equal(b.p, want);
	strbuf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.p, "");
	strbuf_free(&b);
	assert_null(b.p);
}

/* One printf longer than the on-stack attempt, and bytes after a NUL kept by append. */
static void
test_long_printf_and_append(void **state)
{
	struct strbuf	 b = { 0 };
	char		 big[1000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strbuf_printf(&b, "<%s>", big);
	assert_int_equal(b.len, 1001);
	assert_int_equal(b.p[0], '<');
	assert_int_equal(b.p[1000], '>');
	assert_int_equal(b.p[1001], '\0');
	strbuf_append(&b, "a\0b", 3);
	assert_int_equal(b.len, 1004);
	assert_memory_equal(b.p + 1001, "a\0b", 4);
	strbuf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grows_and_terminates),
		cmocka_unit_test(test_long_printf_and_append),
	};

	return cmocka_run_group_tests_name("strbuf", tests, NULL, NULL);
}
