/* test_dispatch.c: dispatch table invariants, backoff bounds, batch grouping and rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../processor/batch.h"
#include "../../processor/dispatch.h"
#include "../../processor/retry.h"

static void
test_table_sorted_unique(void **state)
{
	const struct dispatch_entry	*t;
	size_t				 n;
	char				 err[256];

	(void)state;
	assert_int_equal(dispatch_check(err, sizeof(err)), 0);
	t = dispatch_table(&n);
	assert_true(n > 0);
	for (size_t i = 1; i < n; i++)
		assert_true(strcmp(t[i - 1].event_type, t[i].event_type) < 0);
	for (size_t i = 0; i < n; i++) {
		assert_ptr_equal(dispatch_lookup(t[i].event_type), &t[i]);
		assert_non_null(t[i].handler);
	}
}

static void
test_check_catches_bad_tables(void **state)
{
	const struct dispatch_entry unsorted[] = { { "b", handle_ended }, { "a", handle_ended } };
	const struct dispatch_entry dup[] = { { "a", handle_ended }, { "a", handle_active } };
	const struct dispatch_entry empty[] = { { "", handle_ended } };
	const struct dispatch_entry nohandler[] = { { "a", NULL } };
	char err[256];

	(void)state;
	assert_int_equal(dispatch_check_table(unsorted, 2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "row 1"));
	assert_int_equal(dispatch_check_table(dup, 2, err, sizeof(err)), -1);
	assert_int_equal(dispatch_check_table(empty, 1, err, sizeof(err)), -1);
	assert_int_equal(dispatch_check_table(nohandler, 1, err, sizeof(err)), -1);
}

/* Every type the issue names has the handler it names. */
static void
test_issue_types(void **state)
{
	static const struct { const char *type; handler_fn h; } want[] = {
		{ "call.started", handle_active }, { "call.ring", handle_ringing },
		{ "call.ended", handle_ended }, { "call.recording.completed", handle_recording },
		{ "call.calling", handle_ringing }, { "call.ringing", handle_ringing },
		{ "call.preanswer", handle_ringing }, { "call.queued", handle_ringing },
		{ "call.connected", handle_active }, { "call.hold", handle_active },
		{ "call.parked", handle_active }, { "call.merged", handle_active },
		{ "call.takeover", handle_active }, { "call.barge", handle_active },
		{ "call.monitor", handle_active }, { "call.eavesdrop", handle_active },
		{ "call.hangup", handle_ended }, { "call.missed", handle_ended },
		{ "call.voicemail", handle_ended }, { "call.blocked", handle_ended },
		{ "call.recording", handle_recording }, { "call.admin_recording", handle_recording },
		{ "call.voicemail_uploaded", handle_voicemail_uploaded },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct dispatch_entry *d = dispatch_lookup(want[i].type);
		assert_non_null(d);
		assert_ptr_equal(d->handler, want[i].h);
	}
	assert_null(dispatch_lookup("call.postcall"));
	assert_null(dispatch_lookup("sms.inbound"));
	assert_null(dispatch_lookup("unknown"));
	assert_null(dispatch_lookup(""));
	assert_null(dispatch_lookup("call.rin"));
	assert_null(dispatch_lookup("call.ringingx"));
}

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
					int64_t d = retry_delay_ms(base, max, a, rnds[r]);
					assert_true(d >= base);
					assert_true(d <= max);
					/* never more than base * 2^(a-1) */
					if (a < 40)
						assert_true(d <= base * ((int64_t)1 << (a - 1)));
				}
		}
	/* exponential: the ceiling doubles until max */
	assert_int_equal(retry_delay_ms(1000, 600000, 1, 0xffffffffu % 1001), 1000);
	assert_true(retry_delay_ms(1000, 600000, 3, 0) >= 2000);
	assert_true(retry_delay_ms(1000, 600000, 30, 0) >= 300000);
	assert_int_equal(retry_delay_ms(1000, 600000, 1000, 300000), 600000);
}

static void
add(struct batch *b, const struct batch_policy *pol, int64_t id, const char *type, const char *json,
    int attempts)
{
	batch_add(b, pol, id, "default", type, attempts, json, strlen(json));
}

/* Events group per call; skipped and failed events land in the right parameters. */
static void
test_batch_groups_and_renders(void **state)
{
	struct batch		 b = { 0 };
	struct batch_policy	 pol = { 100, 1000, 3 };

	(void)state;
	batch_begin(&b, 8, 4096);
	add(&b, &pol, 11, "call.hangup", "{\"call_id\":2,\"state\":\"hangup\",\"event_timestamp\":9,\"duration\":5}", 0);
	add(&b, &pol, 12, "call.ringing", "{\"call_id\":1,\"state\":\"ringing\",\"event_timestamp\":3,"
	    "\"target\":{\"name\":\"A \\\"q\\\" \\\\ b\"}}", 0);
	add(&b, &pol, 13, "call.postcall", "{\"call_id\":1}", 0);
	add(&b, &pol, 14, "call.connected", "{\"call_id\":1,\"state\":\"connected\",\"event_timestamp\":4,"
	    "\"date_connected\":4}", 0);
	add(&b, &pol, 15, "call.hangup", "{\"state\":\"hangup\"}", 0);
	add(&b, &pol, 16, "call.hangup", "{\"state\":\"hangup\"}", 2);
	add(&b, &pol, 17, "call.hangup", "not json", 0);
	batch_finish(&b);
	assert_int_equal(b.n, 7);
	assert_int_equal(b.nrows, 2);
	assert_int_equal(b.handled, 3);
	assert_int_equal(b.skipped, 1);
	assert_int_equal(b.failed, 3);
	assert_int_equal(b.dead, 1);
	assert_string_equal(b.values[1], "{1,2}");
	assert_string_equal(b.values[2], "{2,3}");
	assert_string_equal(b.values[3], "{\"connected\",\"hangup\"}");
	assert_string_equal(b.values[4], "{4,9}");
	assert_string_equal(b.values[6], "{4,NULL}");
	assert_string_equal(b.values[8], "{NULL,5}");
	assert_string_equal(b.values[14], "{\"A \\\"q\\\" \\\\ b\",NULL}");
	assert_string_equal(b.values[20], "{11,12,13,14}");
	assert_string_equal(b.values[21], "{15,16,17}");
	assert_string_equal(b.values[24], "{f,t,f}");
	assert_non_null(strstr(b.values[22], "call_id"));
	assert_non_null(strstr(b.values[22], "not valid JSON"));
	/* reuse: a second batch forgets the first */
	batch_begin(&b, 2, 100);
	add(&b, &pol, 20, "unknown", "{}", 0);
	batch_finish(&b);
	assert_string_equal(b.values[0], "{}");
	assert_string_equal(b.values[20], "{20}");
	assert_string_equal(b.values[21], "{}");
	batch_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_sorted_unique),
		cmocka_unit_test(test_check_catches_bad_tables),
		cmocka_unit_test(test_issue_types),
		cmocka_unit_test(test_backoff_bounds),
		cmocka_unit_test(test_batch_groups_and_renders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
