/*
 * test_pgarray.c: the binary array parameters (common/pgarray.c) byte for byte, as PostgreSQL's
 * array_recv reads them, and the exact epoch-ms to timestamptz conversion at its range limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pgarray.h"

static uint32_t
be32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static void
test_header_and_elements(void **state)
{
	struct pgarray	 a = { 0 };
	static const char want[] = {
		0, 0, 0, 1,  0, 0, 0, 0,  0, 0, 0, 20,  0, 0, 0, 3,  0, 0, 0, 1,	/* int8[3] from 1 */
		0, 0, 0, 8,  0, 0, 0, 0, 0, 0, 1, 2,					/* 258 */
		(char)0xff, (char)0xff, (char)0xff, (char)0xff,				/* NULL */
		0, 0, 0, 8,  (char)0xff, (char)0xff, (char)0xff, (char)0xff,
		(char)0xff, (char)0xff, (char)0xff, (char)0xfe,				/* -2 */
	};

	(void)state;
	pgarray_begin_typed(&a, PGARRAY_INT8, 3);
	pgarray_add_int8(&a, 258);
	pgarray_add_null(&a);
	pgarray_add_int8(&a, -2);
	assert_int_equal(a.len, sizeof(want));
	assert_memory_equal(a.p, want, sizeof(want));
	/* reuse forgets the previous contents; text[] by default */
	pgarray_begin(&a, 2);
	pgarray_add(&a, "ab", 2);
	pgarray_add(&a, "", 0);
	assert_int_equal(be32(a.p + 8), PGARRAY_TEXT);
	assert_int_equal(be32(a.p + 12), 2);
	assert_int_equal(a.len, 20 + 4 + 2 + 4);
	assert_memory_equal(a.p + 24, "ab", 2);
	assert_int_equal(be32(a.p + 26), 0);
	pgarray_free(&a);
}

static void
test_bool_and_float8(void **state)
{
	struct pgarray	 a = { 0 };
	double		 d = 4.41, back;
	uint64_t	 bits;

	(void)state;
	pgarray_begin_typed(&a, PGARRAY_BOOL, 2);
	pgarray_add_bool(&a, true);
	pgarray_add_bool(&a, false);
	assert_int_equal(a.len, 20 + 5 + 5);
	assert_int_equal(be32(a.p + 20), 1);
	assert_int_equal(a.p[24], 1);
	assert_int_equal(a.p[29], 0);
	pgarray_begin_typed(&a, PGARRAY_FLOAT8, 1);
	pgarray_add_float8(&a, d);
	bits = (uint64_t)be32(a.p + 24) << 32 | be32(a.p + 28);
	memcpy(&back, &bits, sizeof(back));
	assert_true(back == d);		/* the exact bits, no decimal round trip */
	pgarray_free(&a);
}

/* microseconds since 2000-01-01, exact, and nothing outside timestamptz's range. */
static void
test_timestamptz_from_ms(void **state)
{
	int64_t	 us;

	(void)state;
	assert_int_equal(pgarray_timestamptz_from_ms(946684800000LL, &us), 0);
	assert_int_equal(us, 0);
	assert_int_equal(pgarray_timestamptz_from_ms(0, &us), 0);
	assert_int_equal(us, -946684800000000LL);
	assert_int_equal(pgarray_timestamptz_from_ms(9007199254740993LL, &us), 0);	/* 2^53 + 1 */
	assert_int_equal(us, (9007199254740993LL - 946684800000LL) * 1000);
	assert_int_equal(pgarray_timestamptz_from_ms(9224318015999999LL, &us), 0);
	assert_int_equal(us, 9223371331199999000LL);
	assert_int_equal(pgarray_timestamptz_from_ms(9224318016000000LL, &us), -1);
	assert_int_equal(pgarray_timestamptz_from_ms(-210866803200000LL, &us), 0);
	assert_int_equal(us, -211813488000000000LL);
	assert_int_equal(pgarray_timestamptz_from_ms(-210866803200001LL, &us), -1);
	assert_int_equal(pgarray_timestamptz_from_ms(INT64_MAX, &us), -1);
	assert_int_equal(pgarray_timestamptz_from_ms(INT64_MIN, &us), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_and_elements),
		cmocka_unit_test(test_bool_and_float8),
		cmocka_unit_test(test_timestamptz_from_ms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
