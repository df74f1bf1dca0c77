/* test_backoff.c: the one backoff (common/backoff.c): bounds, growth, the retry-loop state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sodium.h>

#include "backoff.h"

/* Every delay within [base, max], never above base * 2^(attempt-1). */
static void
test_backoff_bounds(void **state)
{
	static const int64_t bases[] = { 1, 10, 1000, 7777 };
	static const int64_t maxes[] = { 1, 50, 600000, 604800000 };
	static const uint32_t rnds[] = { 0, 1, 12345, 0x7fffffffu, 0xffffffffu };

	(void)state;
	for (size_t b = 0; b < 4; b++)
		for (size_t m = 0; m < 4; m++) {
			int64_t base = bases[b], max = maxes[m] < base ? base : maxes[m];
			for (int64_t a = 1; a <= 60; a++)
				for (size_t r = 0; r < 5; r++) {
					int64_t d = backoff_delay_ms(base, max, a, rnds[r]);
					assert_true(d >= base);
					assert_true(d <= max);
					if (a < 40)
						assert_true(d <= base * ((int64_t)1 << (a - 1)));
				}
		}
}

/* Exponential: the ceiling doubles until max. */
static void
test_backoff_grows(void **state)
{
	(void)state;
	assert_int_equal(backoff_delay_ms(1000, 600000, 1, 0xffffffffu % 1001), 1000);
	assert_true(backoff_delay_ms(1000, 600000, 3, 0) >= 2000);
	assert_true(backoff_delay_ms(1000, 600000, 30, 0) >= 300000);
	assert_int_equal(backoff_delay_ms(1000, 600000, 1000, 300000), 600000);
}

/* The retry-loop state: each failure grows the ceiling, a success starts over. */
static void
test_backoff_state(void **state)
{
	struct backoff	 b;
	int64_t		 d;

	(void)state;
	assert_int_equal(sodium_init() >= 0, 1);
	backoff_init(&b, 100, 5000);
	assert_int_equal(backoff_next(&b), 100);		/* first failure: exactly base */
	d = backoff_next(&b);
	assert_true(d >= 100 && d <= 200);
	for (int i = 0; i < 20; i++)
		d = backoff_next(&b);
	assert_true(d >= 2500 && d <= 5000);			/* at the ceiling, jittered */
	backoff_reset(&b);
	assert_int_equal(backoff_next(&b), 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_bounds),
		cmocka_unit_test(test_backoff_grows),
		cmocka_unit_test(test_backoff_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
