/* test_handlers.c: each handler's extraction on the call fixtures F1-F8 (dialpad-webhooks.md §7), and the merge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../processor/callrow.h"
#include "../../processor/dispatch.h"
#include "../../processor/handlers.h"
#include "json.h"

static const char F1[] =
    "{\"call_id\":5850000000000001,\"master_call_id\":null,\"entry_point_call_id\":null,\"operator_call_id\":null,"
    "\"state\":\"ringing\",\"direction\":\"inbound\",\"external_number\":\"+14155550123\",\"internal_number\":\"+14155550100\","
    "\"contact\":{\"id\":6100000000000001,\"type\":\"local\",\"name\":\"(415) 555-0123\",\"phone\":\"+14155550123\",\"email\":\"\"},"
    "\"target\":{\"id\":5200000000000001,\"type\":\"user\",\"name\":\"Ana Ortiz\",\"email\":\"ana@example.com\",\"phone\":\"+14155550100\",\"office_id\":5100000000000001},"
    "\"entry_point_target\":{},\"proxy_target\":{},\"group_id\":null,\"is_transferred\":false,\"is_internal\":false,"
    "\"date_started\":1767261600000,\"date_first_rang\":1767261600400,\"date_rang\":null,\"date_queued\":null,"
    "\"date_connected\":null,\"date_ended\":null,\"duration\":null,\"total_duration\":null,\"talk_time\":null,\"hold_time\":null,"
    "\"was_recorded\":false,\"recording_details\":[],\"call_recording_ids\":[],\"voicemail_link\":null,\"voicemail_recording_id\":null,"
    "\"transcription_text\":null,\"labels\":[],\"mos_score\":null,\"csat_score\":null,\"routing_breadcrumbs\":[],"
    "\"event_timestamp\":1767261600912}";
static const char F2[] =
    "{\"call_id\":5850000000000001,\"state\":\"connected\",\"direction\":\"inbound\",\"external_number\":\"+14155550123\","
    "\"internal_number\":\"+14155550100\",\"contact\":{\"id\":6100000000000001,\"type\":\"local\",\"name\":\"(415) 555-0123\",\"phone\":\"+14155550123\",\"email\":\"\"},"
    "\"target\":{\"id\":5200000000000001,\"type\":\"user\",\"name\":\"Ana Ortiz\",\"email\":\"ana@example.com\",\"phone\":\"+14155550100\"},"
    "\"master_call_id\":null,\"entry_point_call_id\":null,\"operator_call_id\":null,\"date_started\":1767261600000,"
    "\"date_first_rang\":1767261600400,\"date_rang\":null,\"date_connected\":1767261608300,\"date_ended\":null,\"duration\":null,"
    "\"total_duration\":null,\"was_recorded\":false,\"recording_details\":[],\"event_timestamp\":1767261608701}";
static const char F3[] =
    "{\"call_id\":5850000000000001,\"state\":\"hangup\",\"direction\":\"inbound\",\"external_number\":\"+14155550123\","
    "\"internal_number\":\"+14155550100\",\"contact\":{\"id\":6100000000000001,\"type\":\"local\",\"name\":\"(415) 555-0123\",\"phone\":\"+14155550123\",\"email\":\"\"},"
    "\"target\":{\"id\":5200000000000001,\"type\":\"user\",\"name\":\"Ana Ortiz\",\"email\":\"ana@example.com\",\"phone\":\"+14155550100\"},"
    "\"master_call_id\":null,\"entry_point_call_id\":null,\"operator_call_id\":null,\"date_started\":1767261600000,"
    "\"date_rang\":null,\"date_connected\":1767261608300,\"date_ended\":1767261788300,\"duration\":180000.0,"
    "\"total_duration\":188300.0,\"talk_time\":180000,\"hold_time\":0,\"mos_score\":4.41,\"was_recorded\":true,"
    "\"recording_details\":[],\"labels\":[],\"is_transferred\":false,\"event_timestamp\":1767261789055}";
static const char F4[] =
    "{\"call_id\":5850000000000001,\"state\":\"recording\",\"direction\":\"inbound\",\"external_number\":\"+14155550123\","
    "\"internal_number\":\"+14155550100\",\"date_started\":1767261600000,\"date_connected\":1767261608300,"
    "\"date_ended\":1767261788300,\"duration\":180000.0,\"total_duration\":188300.0,\"was_recorded\":true,"
    "\"recording_details\":[{\"id\":\"4800000000000001\",\"recording_type\":\"callrecording\","
    "\"url\":\"https://dialpad.example.invalid/recordings/4800000000000001.mp3\",\"duration\":179500,\"start_time\":1767261608800}],"
    "\"call_recording_ids\":[\"4800000000000001\"],\"event_timestamp\":1767261850230}";
static const char F5[] =
    "{\"call_id\":5850000000000002,\"state\":\"calling\",\"direction\":\"outbound\",\"external_number\":\"+12125550188\","
    "\"internal_number\":\"+14155550100\",\"contact\":{\"id\":6100000000000002,\"type\":\"local\",\"name\":\"(212) 555-0188\",\"phone\":\"+12125550188\",\"email\":\"\"},"
    "\"target\":{\"id\":5200000000000001,\"type\":\"user\",\"name\":\"Ana Ortiz\",\"email\":\"ana@example.com\",\"phone\":\"+14155550100\"},"
    "\"proxy_target\":{},\"date_started\":1767265200000,\"date_rang\":null,\"date_connected\":null,\"date_ended\":null,"
    "\"duration\":null,\"total_duration\":null,\"event_timestamp\":1767265200150}";
static const char F6[] =
    "{\"call_id\":5850000000000002,\"state\":\"hangup\",\"direction\":\"outbound\",\"external_number\":\"+12125550188\","
    "\"internal_number\":\"+14155550100\",\"contact\":{\"id\":6100000000000002,\"type\":\"local\",\"name\":\"(212) 555-0188\",\"phone\":\"+12125550188\",\"email\":\"\"},"
    "\"target\":{\"id\":5200000000000001,\"type\":\"user\",\"name\":\"Ana Ortiz\",\"email\":\"ana@example.com\",\"phone\":\"+14155550100\"},"
    "\"master_call_id\":null,\"entry_point_call_id\":null,\"operator_call_id\":null,\"proxy_target\":{},"
    "\"date_started\":1767265200000,\"date_rang\":null,\"date_connected\":1767265209000,\"date_ended\":1767265304000,"
    "\"duration\":95000.0,\"total_duration\":104000.0,\"talk_time\":95000,\"hold_time\":0,\"mos_score\":4.3,"
    "\"was_recorded\":false,\"recording_details\":[],\"event_timestamp\":1767265304820}";
static const char F7[] =
    "{\"call_id\":5850000000000003,\"state\":\"hangup\",\"direction\":\"inbound\",\"external_number\":\"+13105550147\","
    "\"internal_number\":\"+14155550100\",\"contact\":{\"id\":6100000000000003,\"type\":\"local\",\"name\":\"(310) 555-0147\",\"phone\":\"+13105550147\",\"email\":\"\"},"
    "\"target\":{\"id\":5200000000000001,\"type\":\"user\",\"name\":\"Ana Ortiz\",\"email\":\"ana@example.com\",\"phone\":\"+14155550100\"},"
    "\"date_started\":1767268800000,\"date_first_rang\":1767268800350,\"date_rang\":null,\"date_connected\":null,"
    "\"date_ended\":1767268825350,\"duration\":0,\"total_duration\":25350.0,\"talk_time\":0,\"hold_time\":0,"
    "\"was_recorded\":false,\"recording_details\":[],\"voicemail_link\":null,\"event_timestamp\":1767268826004}";
static const char F8[] =
    "{\"call_id\":5850000000000004,\"state\":\"voicemail_uploaded\",\"direction\":\"inbound\",\"external_number\":\"+16505550166\","
    "\"internal_number\":\"+14155550100\",\"contact\":{\"id\":6100000000000004,\"type\":\"local\",\"name\":\"(650) 555-0166\",\"phone\":\"+16505550166\",\"email\":\"\"},"
    "\"target\":{\"id\":5200000000000001,\"type\":\"user\",\"name\":\"Ana Ortiz\",\"email\":\"ana@example.com\",\"phone\":\"+14155550100\"},"
    "\"date_started\":1767272400000,\"date_connected\":null,\"date_ended\":1767272462000,\"duration\":0,\"total_duration\":62000.0,"
    "\"was_recorded\":false,\"voicemail_recording_id\":\"4900000000000004\","
    "\"voicemail_link\":\"https://dialpad.example.invalid/secureblob/voicemail/4900000000000004\","
    "\"recording_details\":[{\"id\":\"4900000000000004\",\"recording_type\":\"voicemail\","
    "\"url\":\"https://dialpad.example.invalid/secureblob/voicemail/4900000000000004\",\"duration\":31000,\"start_time\":1767272430000}],"
    "\"transcription_text\":null,\"event_timestamp\":1767272470511}";

static struct arena arena;

/* Run the dispatch table's handler for type on json; returns the handler's verdict. */
static enum handler_result
run(const char *type, const char *json, struct call_row *row, char *err, size_t errlen)
{
	const struct dispatch_entry	*d = dispatch_lookup(type);
	struct json_span		 root;
	struct handler_input		 in = { type, "default", &root };

	assert_non_null(d);
	assert_int_equal(json_root(json, strlen(json), &root), 0);
	return d->handler(&in, row, &arena, err, errlen);
}

static struct call_row
ok(const char *type, const char *json)
{
	struct call_row	 row;
	char		 err[200] = "";

	assert_int_equal(run(type, json, &row, err, sizeof(err)), HANDLER_OK);
	return row;
}

#define assert_opt(o, val) do { assert_true((o).set); assert_int_equal((o).v, (val)); } while (0)
#define assert_unset(o) assert_false((o).set)

/* The fields every event of the F1-F4 leg carries. */
static void
check_leg1(const struct call_row *r)
{
	assert_int_equal(r->call_id, 5850000000000001LL);
	assert_string_equal(r->app_id, "default");
	assert_string_equal(r->direction, "inbound");
	assert_string_equal(r->external_number, "+14155550123");
	assert_string_equal(r->internal_number, "+14155550100");
	assert_opt(r->started_ms, 1767261600000LL);
	assert_unset(r->master_call_id);
	assert_unset(r->entry_point_call_id);
	assert_unset(r->operator_call_id);
}

static void
test_f1_ringing(void **state)
{
	struct call_row r = ok("call.ringing", F1);

	(void)state;
	check_leg1(&r);
	assert_int_equal(r.status, CALL_STATUS_RINGING);
	assert_string_equal(r.state, "ringing");
	assert_opt(r.event_ts, 1767261600912LL);
	assert_unset(r.answered_ms);
	assert_unset(r.ended_ms);
	assert_unset(r.duration_ms);
	assert_string_equal(r.target_type, "user");
	assert_opt(r.target_id, 5200000000000001LL);
	assert_string_equal(r.target_name, "Ana Ortiz");
	assert_null(r.recording_url);
	assert_null(r.voicemail_url);
}

static void
test_f2_connected(void **state)
{
	struct call_row r = ok("call.connected", F2);

	(void)state;
	check_leg1(&r);
	assert_int_equal(r.status, CALL_STATUS_ACTIVE);
	assert_string_equal(r.state, "connected");
	assert_opt(r.answered_ms, 1767261608300LL);
	assert_opt(r.event_ts, 1767261608701LL);
	assert_unset(r.ended_ms);
}

static void
test_f3_hangup(void **state)
{
	struct call_row r = ok("call.hangup", F3);

	(void)state;
	check_leg1(&r);
	assert_int_equal(r.status, CALL_STATUS_ENDED);
	assert_string_equal(r.state, "hangup");
	assert_opt(r.answered_ms, 1767261608300LL);
	assert_opt(r.ended_ms, 1767261788300LL);
	assert_opt(r.duration_ms, 180000);
	assert_opt(r.event_ts, 1767261789055LL);
	assert_null(r.recording_url);
}

static void
test_f4_recording(void **state)
{
	struct call_row r = ok("call.recording", F4);

	(void)state;
	check_leg1(&r);
	/* no status of its own, but its date_ended says the leg ended */
	assert_int_equal(r.status, CALL_STATUS_ENDED);
	assert_string_equal(r.recording_url, "https://dialpad.example.invalid/recordings/4800000000000001.mp3");
	assert_null(r.voicemail_url);
	assert_opt(r.event_ts, 1767261850230LL);
	assert_null(r.target_type);
	assert_unset(r.target_id);
}

static void
test_f5_calling(void **state)
{
	struct call_row r = ok("call.calling", F5);

	(void)state;
	assert_int_equal(r.call_id, 5850000000000002LL);
	assert_int_equal(r.status, CALL_STATUS_RINGING);
	assert_string_equal(r.state, "calling");
	assert_string_equal(r.direction, "outbound");
	assert_string_equal(r.external_number, "+12125550188");
	assert_opt(r.started_ms, 1767265200000LL);
	assert_opt(r.event_ts, 1767265200150LL);
	assert_unset(r.answered_ms);
	assert_unset(r.duration_ms);
}

static void
test_f6_hangup_outbound(void **state)
{
	struct call_row r = ok("call.hangup", F6);

	(void)state;
	assert_int_equal(r.call_id, 5850000000000002LL);
	assert_int_equal(r.status, CALL_STATUS_ENDED);
	assert_opt(r.answered_ms, 1767265209000LL);
	assert_opt(r.ended_ms, 1767265304000LL);
	assert_opt(r.duration_ms, 95000);
	assert_string_equal(r.direction, "outbound");
}

static void
test_f7_missed(void **state)
{
	struct call_row r = ok("call.hangup", F7);

	(void)state;
	assert_int_equal(r.call_id, 5850000000000003LL);
	assert_int_equal(r.status, CALL_STATUS_ENDED);
	assert_unset(r.answered_ms);
	assert_opt(r.ended_ms, 1767268825350LL);
	assert_opt(r.duration_ms, 0);
	assert_null(r.voicemail_url);
}

static void
test_f8_voicemail_uploaded(void **state)
{
	struct call_row r = ok("call.voicemail_uploaded", F8);

	(void)state;
	assert_int_equal(r.call_id, 5850000000000004LL);
	assert_int_equal(r.status, CALL_STATUS_ENDED);
	assert_string_equal(r.state, "voicemail_uploaded");
	assert_string_equal(r.voicemail_url, "https://dialpad.example.invalid/secureblob/voicemail/4900000000000004");
	assert_null(r.recording_url);
	assert_unset(r.answered_ms);
	assert_opt(r.duration_ms, 0);
}

/* Every fixture through every handler family it could reach: always the same identity fields. */
static void
test_every_family_on_every_fixture(void **state)
{
	static const char *const fx[] = { F1, F2, F3, F4, F5, F6, F7, F8 };
	static const char *const types[] = { "call.started", "call.ring", "call.ringing", "call.hold",
		"call.hangup", "call.recording.completed", "call.admin_recording", "call.voicemail_uploaded" };

	(void)state;
	for (size_t i = 0; i < 8; i++)
		for (size_t t = 0; t < 8; t++) {
			struct call_row r = ok(types[t], fx[i]);
			assert_true(r.call_id >= 5850000000000001LL && r.call_id <= 5850000000000004LL);
			/* the status a family adds, or (recordings) only what the dates say */
			assert_true(r.status <= CALL_STATUS_ENDED);
			if (t < 5)
				assert_true(r.status >= CALL_STATUS_RINGING);
			assert_non_null(r.state);
			assert_non_null(r.direction);
		}
}

/* Original-design types take their state from the type when the payload has none. */
static void
test_original_design_types(void **state)
{
	struct call_row r;

	(void)state;
	r = ok("call.started", "{\"call_id\":7,\"event_timestamp\":1}");
	assert_int_equal(r.status, CALL_STATUS_ACTIVE);
	assert_string_equal(r.state, "started");
	r = ok("call.ring", "{\"call_id\":\"7\"}");
	assert_int_equal(r.status, CALL_STATUS_RINGING);
	assert_string_equal(r.state, "ring");
	assert_unset(r.event_ts);
	r = ok("call.ended", "{\"call_id\":7,\"date_ended\":5,\"duration\":11989.972}");
	assert_int_equal(r.status, CALL_STATUS_ENDED);
	assert_opt(r.duration_ms, 11990);
	r = ok("call.recording.completed", "{\"call_id\":7,\"recording_url\":\"https://x.invalid/r\"}");
	assert_string_equal(r.recording_url, "https://x.invalid/r");
	assert_string_equal(r.state, "recording.completed");
}

/* ids are exact int64, from numbers or strings, never through a double. */
static void
test_ids_exact(void **state)
{
	struct call_row r;

	(void)state;
	r = ok("call.hangup", "{\"call_id\":\"9223372036854775807\",\"master_call_id\":9007199254740993,"
	    "\"operator_call_id\":\"5850000000000099\",\"target\":{\"id\":\"9007199254740995\"}}");
	assert_int_equal(r.call_id, INT64_MAX);
	assert_opt(r.master_call_id, 9007199254740993LL);
	assert_opt(r.operator_call_id, 5850000000000099LL);
	assert_opt(r.target_id, 9007199254740995LL);
	r = ok("call.hangup", "{\"call_id\":5850000000000001.0}");
	assert_int_equal(r.call_id, 5850000000000001LL);
}

/* Same member semantics as json_member: last duplicate wins, escaped names match. */
static void
test_member_semantics(void **state)
{
	struct call_row r;

	(void)state;
	r = ok("call.hangup", "{\"call_id\":1,\"state\":\"a\",\"call_id\":2, \"nested\":{\"call_id\":9,\"s\":\"}\"}}");
	assert_int_equal(r.call_id, 2);
	r = ok("call.hangup", "{\"call\\u005fid\":3,\"direction\":\"in\\\"x\"}");
	assert_int_equal(r.call_id, 3);
	assert_string_equal(r.direction, "in\"x");
	r = ok("call.hangup", " { \"call_id\" : 4 , \"x\\u0041\" : [1,{\"call_id\":8}] , \"date_ended\" : 7 } ");
	assert_int_equal(r.call_id, 4);
	assert_opt(r.ended_ms, 7);
}

static void
test_rejects(void **state)
{
	static const char *const bad[] = {
		"{\"state\":\"hangup\"}",
		"{\"call_id\":null}",
		"{\"call_id\":1.5}",
		"{\"call_id\":\"12a\"}",
		"{\"call_id\":1e3}",
		"{\"call_id\":true}",
		"{\"call_id\":99999999999999999999}",
		"{\"call_id\":1,\"date_started\":\"yesterday\"}",
		"{\"call_id\":1,\"event_timestamp\":{}}",
		"{\"call_id\":1,\"target\":[]}",
		"{\"call_id\":1,\"target\":{\"id\":\"x\"}}",
		"{\"call_id\":1,\"duration\":-1}",
		"{\"call_id\":1,\"direction\":5}",
		"{\"call_id\":1,\"state\":7}",
		"{\"call_id\":1,\"recording_details\":{}}",
		"{\"call_id\":1,\"recording_details\":[3]}",
		"[1,2]",
	};
	struct call_row	 r;
	char		 err[200];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(run("call.hangup", bad[i], &r, err, sizeof(err)), HANDLER_REJECT);
		assert_true(err[0] != '\0');
	}
}

/* Any permutation (and duplication) of F1-F4 merges to the same row. */
static void
test_merge_permutations(void **state)
{
	const char	*fx[] = { F1, F2, F3, F4 };
	const char	*types[] = { "call.ringing", "call.connected", "call.hangup", "call.recording" };
	struct call_row	 rows[4], ref, acc;
	int		 perm[4] = { 0, 1, 2, 3 };

	(void)state;
	for (int i = 0; i < 4; i++)
		rows[i] = ok(types[i], fx[i]);
	ref = rows[0];
	for (int i = 1; i < 4; i++)
		call_row_merge(&ref, &rows[i]);
	assert_int_equal(ref.status, CALL_STATUS_ENDED);
	assert_string_equal(ref.state, "recording");
	assert_opt(ref.event_ts, 1767261850230LL);
	assert_opt(ref.answered_ms, 1767261608300LL);
	assert_opt(ref.duration_ms, 180000);
	assert_string_equal(ref.target_name, "Ana Ortiz");
	assert_non_null(ref.recording_url);
	/* all 24 orders, each with the first event repeated at the end */
	for (int n = 0; n < 24; n++) {
		int k = n, pool[4] = { 0, 1, 2, 3 }, left = 4;
		for (int i = 0; i < 4; i++) {
			int j = k % left;
			k /= left;
			perm[i] = pool[j];
			memmove(&pool[j], &pool[j + 1], (size_t)(left - j - 1) * sizeof(int));
			left--;
		}
		acc = rows[perm[0]];
		for (int i = 1; i < 4; i++)
			call_row_merge(&acc, &rows[perm[i]]);
		call_row_merge(&acc, &rows[perm[0]]);
		assert_true(call_row_equal(&acc, &ref));
	}
}

/* Equal timestamps: the greater state name wins, whichever comes first. */
static void
test_merge_state_tie(void **state)
{
	struct call_row a = ok("call.hangup", "{\"call_id\":1,\"state\":\"hangup\",\"event_timestamp\":5}");
	struct call_row b = ok("call.voicemail", "{\"call_id\":1,\"state\":\"voicemail\",\"event_timestamp\":5}");
	struct call_row x = a, y = b;

	(void)state;
	call_row_merge(&x, &b);
	call_row_merge(&y, &a);
	assert_string_equal(x.state, "voicemail");
	assert_true(call_row_equal(&x, &y));
}

static int
setup(void **state)
{
	(void)state;
	arena_reset(&arena, 1 << 20);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	arena_free(&arena);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_f1_ringing),
		cmocka_unit_test(test_f2_connected),
		cmocka_unit_test(test_f3_hangup),
		cmocka_unit_test(test_f4_recording),
		cmocka_unit_test(test_f5_calling),
		cmocka_unit_test(test_f6_hangup_outbound),
		cmocka_unit_test(test_f7_missed),
		cmocka_unit_test(test_f8_voicemail_uploaded),
		cmocka_unit_test(test_every_family_on_every_fixture),
		cmocka_unit_test(test_original_design_types),
		cmocka_unit_test(test_ids_exact),
		cmocka_unit_test(test_member_semantics),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_merge_permutations),
		cmocka_unit_test(test_merge_state_tie),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
