/*
 * test_batch.c: one batch from claimed events to the write's parameters (processor/batch.c):
 * grouping and merging per call and per recording, the classification of failures (data
 * failures dead at once), the field-error counts, and the binary parameters themselves.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../processor/batch.h"

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Parameter k of the batch as "{a,b,NULL}": int8 and timestamptz as integers (timestamptz in
 * epoch ms), bool as t/f, text and json as the raw bytes. In a static buffer (tests only).
 */
static const char *
show(const struct batch *b, int k)
{
	static char		 out[8192];
	const unsigned char	*p = (const unsigned char *)b->values[k];
	uint32_t		 oid = be32(p + 8), n = be32(p + 12);
	size_t			 o = 0, at = 20;

	assert_int_equal(b->formats[k], 1);
	assert_int_equal(be32(p), 1);
	out[o++] = '{';
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = be32(p + at);

		at += 4;
		if (i > 0)
			out[o++] = ',';
		if (len == UINT32_MAX) {
			o += (size_t)snprintf(out + o, sizeof(out) - o, "NULL");
			continue;
		}
		if (oid == PGARRAY_INT8 || oid == PGARRAY_TIMESTAMPTZ) {
			int64_t v = (int64_t)((uint64_t)be32(p + at) << 32 | be32(p + at + 4));

			if (oid == PGARRAY_TIMESTAMPTZ)
				v = v / 1000 + 946684800000LL;
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%" PRId64, v);
		} else if (oid == PGARRAY_BOOL) {
			out[o++] = p[at] ? 't' : 'f';
		} else {
			memcpy(out + o, p + at, len);
			o += len;
		}
		at += len;
	}
	assert_int_equal(at, (size_t)b->lengths[k]);
	out[o++] = '}';
	out[o] = '\0';
	return out;
}

static void
add(struct batch *b, int64_t id, const char *type, const char *json, int attempts)
{
	batch_add(b, id, "default", type, attempts, json, strlen(json));
}

/* Events group per call; skipped and failed events land in the right parameters. */
static void
test_groups_and_renders(void **state)
{
	struct batch	 b = { 0 };
	char		 err[256];

	(void)state;
	assert_int_equal(batch_init(&b, err, sizeof(err)), 0);
	batch_begin(&b, 8, 4096);
	add(&b, 11, "call.hangup", "{\"call_id\":2,\"state\":\"hangup\",\"event_timestamp\":9,"
	    "\"duration\":5}", 0);
	add(&b, 12, "call.ringing", "{\"call_id\":1,\"state\":\"ringing\",\"event_timestamp\":3,"
	    "\"target\":{\"name\":\"A \\\"q\\\" \\\\ b\"}}", 0);
	add(&b, 13, "call.unknown", "{\"call_id\":1}", 0);
	add(&b, 14, "call.connected", "{\"call_id\":1,\"state\":\"connected\",\"event_timestamp\":4,"
	    "\"date_connected\":4}", 0);
	add(&b, 15, "call.hangup", "{\"state\":\"hangup\"}", 0);
	add(&b, 16, "call.hangup", "{\"state\":\"hangup\"}", 2);
	add(&b, 17, "call.hangup", "not json", 0);
	add(&b, 18, "call.recap_summary", "{\"call_id\":3,\"date_started\":\"x\","
	    "\"event_timestamp\":9007199254740993,\"labels\":[\"a b\"]}", 0);
	batch_finish(&b);
	assert_int_equal(b.n, 8);
	assert_int_equal(b.nrows, 4);
	assert_int_equal(b.nmerged, 3);
	assert_int_equal(b.handled, 4);
	assert_int_equal(b.skipped, 1);
	assert_int_equal(b.failed, 3);
	assert_int_equal(b.dead, 3);			/* data failures: dead at the first attempt */
	assert_int_equal(b.field_error_events, 1);
	assert_int_equal(b.out.field_errors[CC_started_at], 1);
	assert_string_equal(show(&b, BP_CALL_ID), "{1,2,3}");
	assert_string_equal(show(&b, BP_COLS + CC_status), "{active,ended,NULL}");
	assert_string_equal(show(&b, BP_COLS + CC_state), "{connected,hangup,NULL}");
	assert_string_equal(show(&b, BP_COLS + CC_last_event_at), "{4,9,9007199254740993}");
	assert_string_equal(show(&b, BP_COLS + CC_answered_at), "{4,NULL,NULL}");
	assert_string_equal(show(&b, BP_COLS + CC_duration_ms), "{NULL,5,NULL}");
	assert_string_equal(show(&b, BP_COLS + CC_target_name), "{A \"q\" \\ b,NULL,NULL}");
	assert_string_equal(show(&b, BP_COLS + CC_labels), "{NULL,NULL,{\"a b\"}}");
	assert_string_equal(show(&b, BP_COLS + CC_outcome), "{NULL,missed,NULL}");
	assert_string_equal(show(&b, BP_COLS + CC_seen_blocked), "{f,f,f}");
	/* state is the first NEWEST column: the event_timestamp its value came from */
	assert_int_equal(b.newest_col[0], CC_state);
	assert_string_equal(show(&b, BP_NEWEST), "{4,9,NULL}");
	assert_string_equal(show(&b, BP_DONE), "{11,12,13,14,18}");
	assert_string_equal(show(&b, BP_FAIL_ID), "{15,16,17}");
	assert_string_equal(show(&b, BP_FAIL_ERR), "{data: no usable call_id,data: no usable call_id,"
	    "data: payload is not valid JSON}");
	assert_string_equal(show(&b, BP_REC + 2), "{}");
	/* reuse: a second batch forgets the first */
	batch_begin(&b, 2, 100);
	add(&b, 20, "unknown", "{}", 0);
	batch_finish(&b);
	assert_string_equal(show(&b, BP_APP), "{}");
	assert_string_equal(show(&b, BP_DONE), "{20}");
	assert_string_equal(show(&b, BP_FAIL_ID), "{}");
	assert_int_equal(b.field_error_events, 0);
	batch_free(&b);
}

/* Recordings merge per (app, call, url): each other column its greatest value; sorted for locks. */
static void
test_recordings_merge(void **state)
{
	struct batch	 b = { 0 };
	char		 err[256];

	(void)state;
	assert_int_equal(batch_init(&b, err, sizeof(err)), 0);
	batch_begin(&b, 4, 4096);
	add(&b, 1, "call.recording", "{\"call_id\":5,\"recording_url\":[\"https://x.invalid/b\","
	    "\"https://x.invalid/a\"]}", 0);
	add(&b, 2, "call.recording", "{\"call_id\":5,\"recording_details\":[{\"url\":\"https://x.invalid/a\","
	    "\"id\":\"r1\",\"recording_type\":\"callrecording\",\"duration\":1500.5,\"start_time\":77}]}", 0);
	add(&b, 3, "call.voicemail_uploaded", "{\"call_id\":4,\"voicemail_link\":\"https://x.invalid/v\"}",
	    0);
	add(&b, 4, "call.recording", "{\"call_id\":5,\"recording_url\":\"https://x.invalid/a\"}", 0);
	batch_finish(&b);
	assert_int_equal(b.out.nrecs, 3);
	assert_string_equal(show(&b, BP_REC + 1), "{4,5,5}");
	assert_string_equal(show(&b, BP_REC + 2),
	    "{https://x.invalid/v,https://x.invalid/a,https://x.invalid/b}");
	assert_string_equal(show(&b, BP_REC + 3), "{NULL,r1,NULL}");
	assert_string_equal(show(&b, BP_REC + 4), "{voicemail,callrecording,NULL}");
	assert_string_equal(show(&b, BP_REC + 5), "{NULL,1501,NULL}");
	assert_string_equal(show(&b, BP_REC + 6), "{NULL,77,NULL}");
	assert_string_equal(show(&b, BP_COLS + CC_recording_url), "{NULL,https://x.invalid/b}");
	assert_string_equal(show(&b, BP_COLS + CC_voicemail_url), "{https://x.invalid/v,NULL}");
	assert_string_equal(show(&b, BP_COLS + CC_seen_voicemail), "{t,f}");
	batch_free(&b);
}

/* The retry backoff of a failure the database refused (the single-event path). */
static void
test_fail_event(void **state)
{
	struct batch_policy	 pol = { 100, 1000, 3 };
	struct batch_event	 ev = { .id = 1, .attempts = 0 };

	(void)state;
	batch_fail_event(&ev, &pol);
	assert_int_equal(ev.outcome, BATCH_FAILED);
	assert_false(ev.dead);
	assert_true(ev.delay_ms >= 100 && ev.delay_ms <= 1000);
	ev.attempts = 2;
	batch_fail_event(&ev, &pol);
	assert_true(ev.dead);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groups_and_renders),
		cmocka_unit_test(test_recordings_merge),
		cmocka_unit_test(test_fail_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
