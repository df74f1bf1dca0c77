/*
 * test_handlers.c: extraction of call events (handlers.c) on realistic fixtures, the wrong-typed
 * fields it ignores and counts, the data failures it refuses, and the table-driven merge
 * (callrow.c). F1-F8 are dialpad-webhooks.md section 7's fixtures; F9-F14 add the fields and
 * post-call states of issue 11 (a call-center agent leg with every field, a recap that heals a
 * lost hangup, three recordings on one leg, a voicemail transcript, a survey).
 */
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
    "{\"call_id\":5850000000000001,\"master_call_id\":null,\"entry_point_call_id\":null,"
    "\"operator_call_id\":null,\"state\":\"ringing\",\"direction\":\"inbound\","
    "\"external_number\":\"+14155550123\",\"internal_number\":\"+14155550100\","
    "\"contact\":{\"id\":6100000000000001,\"type\":\"local\",\"name\":\"(415) 555-0123\","
    "\"phone\":\"+14155550123\",\"email\":\"\"},\"target\":{\"id\":5200000000000001,"
    "\"type\":\"user\",\"name\":\"Ana Ortiz\",\"email\":\"ana@example.com\","
    "\"phone\":\"+14155550100\",\"office_id\":5100000000000001},\"entry_point_target\":{},"
    "\"proxy_target\":{},\"group_id\":null,\"is_transferred\":false,\"is_internal\":false,"
    "\"date_started\":1767261600000,\"date_first_rang\":1767261600400,\"date_rang\":null,"
    "\"date_queued\":null,\"date_connected\":null,\"date_ended\":null,\"duration\":null,"
    "\"total_duration\":null,\"talk_time\":null,\"hold_time\":null,\"was_recorded\":false,"
    "\"recording_details\":[],\"call_recording_ids\":[],\"voicemail_link\":null,"
    "\"voicemail_recording_id\":null,\"transcription_text\":null,\"labels\":[],"
    "\"mos_score\":null,\"csat_score\":null,\"routing_breadcrumbs\":[],"
    "\"event_timestamp\":1767261600912}";

static const char F2[] =
    "{\"call_id\":5850000000000001,\"state\":\"connected\",\"direction\":\"inbound\","
    "\"external_number\":\"+14155550123\",\"internal_number\":\"+14155550100\","
    "\"contact\":{\"id\":6100000000000001,\"type\":\"local\",\"name\":\"(415) 555-0123\","
    "\"phone\":\"+14155550123\",\"email\":\"\"},\"target\":{\"id\":5200000000000001,"
    "\"type\":\"user\",\"name\":\"Ana Ortiz\",\"email\":\"ana@example.com\","
    "\"phone\":\"+14155550100\"},\"master_call_id\":null,\"entry_point_call_id\":null,"
    "\"operator_call_id\":null,\"date_started\":1767261600000,\"date_first_rang\":1767261600400,"
    "\"date_rang\":null,\"date_connected\":1767261608300,\"date_ended\":null,\"duration\":null,"
    "\"total_duration\":null,\"was_recorded\":false,\"recording_details\":[],"
    "\"event_timestamp\":1767261608701}";

static const char F3[] =
    "{\"call_id\":5850000000000001,\"state\":\"hangup\",\"direction\":\"inbound\","
    "\"external_number\":\"+14155550123\",\"internal_number\":\"+14155550100\","
    "\"contact\":{\"id\":6100000000000001,\"type\":\"local\",\"name\":\"(415) 555-0123\","
    "\"phone\":\"+14155550123\",\"email\":\"\"},\"target\":{\"id\":5200000000000001,"
    "\"type\":\"user\",\"name\":\"Ana Ortiz\",\"email\":\"ana@example.com\","
    "\"phone\":\"+14155550100\"},\"master_call_id\":null,\"entry_point_call_id\":null,"
    "\"operator_call_id\":null,\"date_started\":1767261600000,\"date_rang\":null,"
    "\"date_connected\":1767261608300,\"date_ended\":1767261788300,\"duration\":180000.0,"
    "\"total_duration\":188300.0,\"talk_time\":180000,\"hold_time\":0,\"mos_score\":4.41,"
    "\"was_recorded\":true,\"recording_details\":[],\"labels\":[],\"is_transferred\":false,"
    "\"event_timestamp\":1767261789055}";

static const char F4[] =
    "{\"call_id\":5850000000000001,\"state\":\"recording\",\"direction\":\"inbound\","
    "\"external_number\":\"+14155550123\",\"internal_number\":\"+14155550100\","
    "\"date_started\":1767261600000,\"date_connected\":1767261608300,"
    "\"date_ended\":1767261788300,\"duration\":180000.0,\"total_duration\":188300.0,"
    "\"was_recorded\":true,\"recording_details\":[{\"id\":\"4800000000000001\","
    "\"recording_type\":\"callrecording\","
    "\"url\":\"https://dialpad.example.invalid/recordings/4800000000000001.mp3\","
    "\"duration\":179500,\"start_time\":1767261608800}],"
    "\"call_recording_ids\":[\"4800000000000001\"],\"event_timestamp\":1767261850230}";

static const char F5[] =
    "{\"call_id\":5850000000000002,\"state\":\"calling\",\"direction\":\"outbound\","
    "\"external_number\":\"+12125550188\",\"internal_number\":\"+14155550100\","
    "\"contact\":{\"id\":6100000000000002,\"type\":\"local\",\"name\":\"(212) 555-0188\","
    "\"phone\":\"+12125550188\",\"email\":\"\"},\"target\":{\"id\":5200000000000001,"
    "\"type\":\"user\",\"name\":\"Ana Ortiz\",\"email\":\"ana@example.com\","
    "\"phone\":\"+14155550100\"},\"proxy_target\":{},\"date_started\":1767265200000,"
    "\"date_rang\":null,\"date_connected\":null,\"date_ended\":null,\"duration\":null,"
    "\"total_duration\":null,\"event_timestamp\":1767265200150}";

static const char F6[] =
    "{\"call_id\":5850000000000002,\"state\":\"hangup\",\"direction\":\"outbound\","
    "\"external_number\":\"+12125550188\",\"internal_number\":\"+14155550100\","
    "\"contact\":{\"id\":6100000000000002,\"type\":\"local\",\"name\":\"(212) 555-0188\","
    "\"phone\":\"+12125550188\",\"email\":\"\"},\"target\":{\"id\":5200000000000001,"
    "\"type\":\"user\",\"name\":\"Ana Ortiz\",\"email\":\"ana@example.com\","
    "\"phone\":\"+14155550100\"},\"master_call_id\":null,\"entry_point_call_id\":null,"
    "\"operator_call_id\":null,\"proxy_target\":{},\"date_started\":1767265200000,"
    "\"date_rang\":null,\"date_connected\":1767265209000,\"date_ended\":1767265304000,"
    "\"duration\":95000.0,\"total_duration\":104000.0,\"talk_time\":95000,\"hold_time\":0,"
    "\"mos_score\":4.3,\"was_recorded\":false,\"recording_details\":[],"
    "\"event_timestamp\":1767265304820}";

static const char F7[] =
    "{\"call_id\":5850000000000003,\"state\":\"hangup\",\"direction\":\"inbound\","
    "\"external_number\":\"+13105550147\",\"internal_number\":\"+14155550100\","
    "\"contact\":{\"id\":6100000000000003,\"type\":\"local\",\"name\":\"(310) 555-0147\","
    "\"phone\":\"+13105550147\",\"email\":\"\"},\"target\":{\"id\":5200000000000001,"
    "\"type\":\"user\",\"name\":\"Ana Ortiz\",\"email\":\"ana@example.com\","
    "\"phone\":\"+14155550100\"},\"date_started\":1767268800000,"
    "\"date_first_rang\":1767268800350,\"date_rang\":null,\"date_connected\":null,"
    "\"date_ended\":1767268825350,\"duration\":0,\"total_duration\":25350.0,\"talk_time\":0,"
    "\"hold_time\":0,\"was_recorded\":false,\"recording_details\":[],\"voicemail_link\":null,"
    "\"event_timestamp\":1767268826004}";

static const char F8[] =
    "{\"call_id\":5850000000000004,\"state\":\"voicemail_uploaded\",\"direction\":\"inbound\","
    "\"external_number\":\"+16505550166\",\"internal_number\":\"+14155550100\","
    "\"contact\":{\"id\":6100000000000004,\"type\":\"local\",\"name\":\"(650) 555-0166\","
    "\"phone\":\"+16505550166\",\"email\":\"\"},\"target\":{\"id\":5200000000000001,"
    "\"type\":\"user\",\"name\":\"Ana Ortiz\",\"email\":\"ana@example.com\","
    "\"phone\":\"+14155550100\"},\"date_started\":1767272400000,\"date_connected\":null,"
    "\"date_ended\":1767272462000,\"duration\":0,\"total_duration\":62000.0,"
    "\"was_recorded\":false,\"voicemail_recording_id\":\"4900000000000004\","
    "\"voicemail_link\":\"https://dialpad.example.invalid/secureblob/voicemail/4900000000000004\","
    "\"recording_details\":[{\"id\":\"4900000000000004\",\"recording_type\":\"voicemail\","
    "\"url\":\"https://dialpad.example.invalid/secureblob/voicemail/4900000000000004\","
    "\"duration\":31000,\"start_time\":1767272430000}],\"transcription_text\":null,"
    "\"event_timestamp\":1767272470511}";
static const char F9[] =
    "{\"call_id\":5850000000000011,\"master_call_id\":null,"
    "\"entry_point_call_id\":5850000000000010,\"operator_call_id\":null,\"state\":\"hangup\","
    "\"direction\":\"inbound\",\"external_number\":\"+14155550123\","
    "\"internal_number\":\"+14155550100\","
    "\"contact\":{\"id\":\"https://contacts.example.invalid/c/61\",\"type\":\"local\","
    "\"name\":\"Caller \\\"One\\\"\",\"phone\":\"+14155550123\","
    "\"email\":\"caller@example.com\"},\"target\":{\"id\":5200000000000001,\"type\":\"user\","
    "\"name\":\"Ana Ortiz\",\"email\":\"ana@example.com\",\"phone\":\"+14155550101\","
    "\"office_id\":\"5100000000000001\"},\"group_id\":\"CallCenter:5300000000000001\","
    "\"is_transferred\":true,\"is_internal\":false,\"was_recorded\":true,"
    "\"date_started\":1767261600000,\"date_rang\":1767261600200,"
    "\"date_first_rang\":1767261600400,\"date_queued\":1767261600300,"
    "\"date_connected\":1767261608300,\"date_ended\":1767261788300,\"duration\":180000.4,"
    "\"total_duration\":188300.6,\"talk_time\":179000,\"hold_time\":1000.5,\"labels\":[\"vip\","
    "\"needs follow-up\"],\"mos_score\":4.41,\"csat_score\":\"5\",\"transcription_text\":null,"
    "\"custom_data\":{\"crm\":\"A-17\",\"n\":[1,2]},\"recording_details\":[],"
    "\"event_timestamp\":1767261789055}";

static const char F10[] =
    "{\"call_id\":5850000000000011,\"state\":\"recap_summary\",\"direction\":\"inbound\","
    "\"external_number\":\"+14155550123\",\"internal_number\":\"+14155550100\","
    "\"date_started\":1767261600000,\"date_connected\":1767261608300,"
    "\"date_ended\":1767261788300,"
    "\"recap_summary\":\"Caller asked to move the appointment to Friday.\","
    "\"recap_outcome\":\"resolved\",\"recap_action_items\":[\"send confirmation\","
    "\"update CRM\"],\"recap_purposes\":[{\"purpose\":\"scheduling\"}],"
    "\"event_timestamp\":1767262000000}";

static const char F11[] =
    "{\"call_id\":5850000000000011,\"state\":\"recording\",\"date_started\":1767261600000,"
    "\"date_ended\":1767261788300,\"recording_details\":[{\"id\":\"4800000000000001\","
    "\"recording_type\":\"callrecording\",\"url\":\"https://dialpad.example.invalid/r/1a.mp3\","
    "\"duration\":60000.4,\"start_time\":1767261608800},{\"id\":4800000000000002,"
    "\"recording_type\":\"callrecording\",\"url\":\"https://dialpad.example.invalid/r/1b.mp3\","
    "\"duration\":119000,\"start_time\":1767261668800},{\"id\":\"4800000000000003\","
    "\"recording_type\":\"admincallrecording\","
    "\"url\":\"https://dialpad.example.invalid/r/1c.mp3\",\"duration\":179000,"
    "\"start_time\":1767261608900},{\"id\":\"x\",\"recording_type\":\"callrecording\","
    "\"url\":\"\"}],\"recording_url\":[\"https://dialpad.example.invalid/r/1a.mp3\","
    "\"https://dialpad.example.invalid/legacy.mp3\"],\"event_timestamp\":1767261850230}";

static const char F12[] =
    "{\"call_id\":5850000000000004,\"state\":\"transcription\",\"date_started\":1767272400000,"
    "\"date_ended\":1767272462000,\"transcription_text\":\"Hi, it's Sam, please call me back.\","
    "\"voicemail_link\":\"https://dialpad.example.invalid/secureblob/voicemail/4900000000000004\","
    "\"event_timestamp\":1767272530000}";

static const char F13[] =
    "{\"call_id\":5850000000000011,\"state\":\"queued\",\"direction\":\"inbound\","
    "\"external_number\":\"+14155550123\",\"internal_number\":\"+14155550100\","
    "\"target\":{\"id\":5200000000000009,\"type\":\"user\",\"name\":\"Bo Lee\"},"
    "\"date_started\":1767261600000,\"date_queued\":1767261600300,"
    "\"event_timestamp\":1767261600500}";

static const char F14[] =
    "{\"call_id\":5850000000000011,\"state\":\"csat\",\"csat_score\":4,\"labels\":[\"vip\"],"
    "\"date_ended\":1767261788300,\"event_timestamp\":1767262100000}";

static struct arena		arena;
static struct payload_map	map;
static struct handler_output	out;

/* Run the dispatch table's handler for type on json; returns the handler's verdict. */
static enum handler_result
run(const char *type, const char *json, struct call_row *row, char *err, size_t errlen)
{
	const struct dispatch_entry	*d = dispatch_lookup(type);
	struct json_span		 root;
	struct handler_input		 in;

	assert_non_null(d);
	assert_int_equal(json_root(json, strlen(json), &root), 0);
	in = (struct handler_input){ type, "default", &root, &map, d->klass, d->flags };
	out.row = row;
	out.nrecs = 0;
	memset(out.field_errors, 0, sizeof(out.field_errors));
	return d->handler(&in, &out, &arena, err, errlen);
}

static struct call_row
ok(const char *type, const char *json)
{
	struct call_row	 row;
	char		 err[200] = "";

	assert_int_equal(run(type, json, &row, err, sizeof(err)), HANDLER_OK);
	return row;
}

/* The field errors of the last run, all fields together. */
static uint32_t
nerrors(void)
{
	uint32_t	 n = 0;

	for (int f = 0; f < PF_N; f++)
		n += out.field_errors[f];
	return n;
}

/* The field errors of the last run under the label name. */
static uint32_t
errors_of(const char *name)
{
	for (int f = 0; f < PF_N; f++)
		if (payload_field_name(f) != NULL && strcmp(payload_field_name(f), name) == 0)
			return out.field_errors[f];
	fail_msg("no payload field named %s", name);
	return 0;
}

#define assert_i(r, c, val) do { assert_true((r).col[CC_##c].set); \
	assert_int_equal((r).col[CC_##c].i, (val)); } while (0)
#define assert_s(r, c, val) do { assert_true((r).col[CC_##c].set); \
	assert_string_equal((r).col[CC_##c].s, (val)); } while (0)
#define assert_unset(r, c) assert_false((r).col[CC_##c].set)

/* The fields every event of the F1-F4 leg carries. */
static void
check_leg1(const struct call_row *r)
{
	assert_int_equal(r->call_id, 5850000000000001LL);
	assert_string_equal(r->app_id, "default");
	assert_s(*r, direction, "inbound");
	assert_s(*r, external_number, "+14155550123");
	assert_s(*r, internal_number, "+14155550100");
	assert_i(*r, started_at, 1767261600000LL);
	assert_unset(*r, master_call_id);
	assert_unset(*r, entry_point_call_id);
	assert_unset(*r, operator_call_id);
}

static void
test_f1_ringing(void **state)
{
	struct call_row r = ok("call.ringing", F1);

	(void)state;
	check_leg1(&r);
	assert_i(r, status, CALL_STATUS_RINGING);
	assert_s(r, state, "ringing");
	assert_i(r, last_event_at, 1767261600912LL);
	assert_true(r.at[CC_state].set && r.at[CC_state].v == 1767261600912LL);
	assert_unset(r, answered_at);
	assert_unset(r, ended_at);
	assert_unset(r, duration_ms);
	assert_i(r, first_rang_at, 1767261600400LL);
	assert_unset(r, rang_at);
	assert_s(r, target_type, "user");
	assert_i(r, target_id, 5200000000000001LL);
	assert_s(r, target_name, "Ana Ortiz");
	assert_s(r, target_email, "ana@example.com");
	assert_s(r, target_phone, "+14155550100");
	assert_i(r, target_office_id, 5100000000000001LL);
	assert_s(r, contact_id, "6100000000000001");	/* a number, kept as its digits */
	assert_s(r, contact_type, "local");
	assert_s(r, contact_name, "(415) 555-0123");
	assert_unset(r, contact_email);			/* "" is absent */
	assert_i(r, is_transferred, 0);
	assert_i(r, was_recorded, 0);
	assert_s(r, labels, "{}");			/* [] is a value */
	assert_unset(r, group_id);
	assert_unset(r, recording_url);
	assert_unset(r, voicemail_url);
	assert_unset(r, outcome);
	assert_i(r, seen_blocked, 0);
	assert_int_equal(out.nrecs, 0);
	assert_int_equal(nerrors(), 0);
}

static void
test_f2_connected(void **state)
{
	struct call_row r = ok("call.connected", F2);

	(void)state;
	check_leg1(&r);
	assert_i(r, status, CALL_STATUS_ACTIVE);
	assert_s(r, state, "connected");
	assert_i(r, answered_at, 1767261608300LL);
	assert_i(r, last_event_at, 1767261608701LL);
	assert_unset(r, ended_at);
	assert_unset(r, outcome);
}

static void
test_f3_hangup(void **state)
{
	struct call_row r = ok("call.hangup", F3);

	(void)state;
	check_leg1(&r);
	assert_i(r, status, CALL_STATUS_ENDED);
	assert_s(r, state, "hangup");
	assert_i(r, answered_at, 1767261608300LL);
	assert_i(r, ended_at, 1767261788300LL);
	assert_i(r, duration_ms, 180000);
	assert_i(r, total_duration_ms, 188300);
	assert_i(r, talk_time_ms, 180000);
	assert_i(r, hold_time_ms, 0);
	assert_true(r.col[CC_mos_score].set && r.col[CC_mos_score].f == 4.41);
	assert_i(r, was_recorded, 1);
	assert_s(r, outcome, "answered");
	assert_unset(r, recording_url);
}

static void
test_f4_recording(void **state)
{
	struct call_row r = ok("call.recording", F4);

	(void)state;
	check_leg1(&r);
	/* a post-call step: no status of its own and no state, but its date_ended ends the leg */
	assert_i(r, status, CALL_STATUS_ENDED);
	assert_unset(r, state);
	assert_s(r, recording_url, "https://dialpad.example.invalid/recordings/4800000000000001.mp3");
	assert_unset(r, voicemail_url);
	assert_i(r, last_event_at, 1767261850230LL);
	assert_unset(r, target_type);
	assert_int_equal(out.nrecs, 1);
	assert_string_equal(out.recs[0].recording_id, "4800000000000001");
	assert_string_equal(out.recs[0].recording_type, "callrecording");
	assert_true(out.recs[0].duration_ms.set && out.recs[0].duration_ms.v == 179500);
	assert_true(out.recs[0].started_ms.set && out.recs[0].started_ms.v == 1767261608800LL);
	assert_int_equal(out.recs[0].call_id, 5850000000000001LL);
}

static void
test_f5_calling(void **state)
{
	struct call_row r = ok("call.calling", F5);

	(void)state;
	assert_int_equal(r.call_id, 5850000000000002LL);
	assert_i(r, status, CALL_STATUS_RINGING);
	assert_s(r, state, "calling");
	assert_s(r, direction, "outbound");
	assert_s(r, external_number, "+12125550188");
	assert_i(r, started_at, 1767265200000LL);
	assert_i(r, last_event_at, 1767265200150LL);
	assert_unset(r, answered_at);
	assert_unset(r, duration_ms);
}

static void
test_f6_hangup_outbound(void **state)
{
	struct call_row r = ok("call.hangup", F6);

	(void)state;
	assert_int_equal(r.call_id, 5850000000000002LL);
	assert_i(r, status, CALL_STATUS_ENDED);
	assert_i(r, answered_at, 1767265209000LL);
	assert_i(r, ended_at, 1767265304000LL);
	assert_i(r, duration_ms, 95000);
	assert_s(r, direction, "outbound");
	assert_s(r, outcome, "answered");
}

static void
test_f7_missed(void **state)
{
	struct call_row r = ok("call.hangup", F7);

	(void)state;
	assert_int_equal(r.call_id, 5850000000000003LL);
	assert_i(r, status, CALL_STATUS_ENDED);
	assert_unset(r, answered_at);
	assert_i(r, ended_at, 1767268825350LL);
	assert_i(r, duration_ms, 0);
	assert_unset(r, voicemail_url);
	assert_s(r, outcome, "missed");
}

static void
test_f8_voicemail_uploaded(void **state)
{
	struct call_row r = ok("call.voicemail_uploaded", F8);

	(void)state;
	assert_int_equal(r.call_id, 5850000000000004LL);
	assert_i(r, status, CALL_STATUS_ENDED);
	assert_unset(r, state);				/* post-call */
	assert_i(r, seen_voicemail, 1);
	assert_s(r, voicemail_url, "https://dialpad.example.invalid/secureblob/voicemail/4900000000000004");
	assert_unset(r, recording_url);
	assert_unset(r, answered_at);
	assert_s(r, outcome, "voicemail");
	/* the same URL from recording_details and voicemail_link: the batch merges the two */
	assert_int_equal(out.nrecs, 2);
	for (size_t i = 0; i < 2; i++)
		assert_string_equal(out.recs[i].recording_type, "voicemail");
	assert_string_equal(out.recs[0].recording_id, "4900000000000004");
	assert_null(out.recs[1].recording_id);
}

/* A call-center agent leg's hangup that carries every field dialhook stores. */
static void
test_f9_every_field(void **state)
{
	struct call_row r = ok("call.hangup", F9);

	(void)state;
	assert_int_equal(nerrors(), 0);
	assert_i(r, entry_point_call_id, 5850000000000010LL);
	assert_s(r, contact_id, "https://contacts.example.invalid/c/61");
	assert_s(r, contact_name, "Caller \"One\"");
	assert_s(r, contact_phone, "+14155550123");
	assert_s(r, contact_email, "caller@example.com");
	assert_s(r, target_phone, "+14155550101");
	assert_i(r, target_office_id, 5100000000000001LL);	/* from a digit string */
	assert_s(r, group_id, "CallCenter:5300000000000001");
	assert_i(r, is_transferred, 1);
	assert_i(r, is_internal, 0);
	assert_i(r, rang_at, 1767261600200LL);
	assert_i(r, first_rang_at, 1767261600400LL);
	assert_i(r, queued_at, 1767261600300LL);
	assert_i(r, duration_ms, 180000);
	assert_i(r, total_duration_ms, 188301);
	assert_i(r, talk_time_ms, 179000);
	assert_i(r, hold_time_ms, 1001);
	assert_s(r, labels, "{vip,\"needs follow-up\"}");
	assert_s(r, csat_score, "5");
	assert_unset(r, transcription_text);
	assert_s(r, custom_data, "{\"crm\":\"A-17\",\"n\":[1,2]}");	/* verbatim */
	assert_s(r, outcome, "answered");
	/* every NEWEST value remembers the event it came from */
	for (int k = 0; k < CC_N; k++)
		if (call_columns[k].rule == MR_NEWEST && r.col[k].set)
			assert_true(r.at[k].set && r.at[k].v == 1767261789055LL);
}

/* A recap after a lost hangup: its date_ended ends the leg; state stays for live events only. */
static void
test_f10_recap_heals_a_lost_hangup(void **state)
{
	struct call_row r = ok("call.recap_summary", F10);

	(void)state;
	assert_i(r, status, CALL_STATUS_ENDED);
	assert_unset(r, state);
	assert_i(r, ended_at, 1767261788300LL);
	assert_s(r, recap_summary, "Caller asked to move the appointment to Friday.");
	assert_s(r, recap_outcome, "resolved");
	assert_s(r, recap_action_items, "[\"send confirmation\",\"update CRM\"]");
	assert_s(r, recap_purposes, "[{\"purpose\":\"scheduling\"}]");
	assert_s(r, outcome, "answered");
}

/* Three recordings on one leg, a typed id as a number, recording_url as an array. */
static void
test_f11_three_recordings(void **state)
{
	struct call_row r = ok("call.recording", F11);

	(void)state;
	assert_int_equal(nerrors(), 0);
	assert_int_equal(out.nrecs, 5);		/* an empty url is no recording */
	assert_string_equal(out.recs[0].url, "https://dialpad.example.invalid/r/1a.mp3");
	assert_true(out.recs[0].duration_ms.v == 60000);
	assert_string_equal(out.recs[1].recording_id, "4800000000000002");
	assert_string_equal(out.recs[2].recording_type, "admincallrecording");
	assert_string_equal(out.recs[3].url, "https://dialpad.example.invalid/r/1a.mp3");
	assert_null(out.recs[3].recording_type);
	assert_string_equal(out.recs[4].url, "https://dialpad.example.invalid/legacy.mp3");
	assert_s(r, recording_url, "https://dialpad.example.invalid/r/1c.mp3");
	assert_unset(r, voicemail_url);
}

static void
test_f12_voicemail_transcript(void **state)
{
	struct call_row r = ok("call.transcription", F12);

	(void)state;
	assert_s(r, transcription_text, "Hi, it's Sam, please call me back.");
	assert_s(r, voicemail_url, "https://dialpad.example.invalid/secureblob/voicemail/4900000000000004");
	assert_i(r, seen_voicemail, 0);			/* the state itself says nothing */
	assert_s(r, outcome, "voicemail");		/* ... but the voicemail URL does */
	assert_int_equal(out.nrecs, 1);
	assert_string_equal(out.recs[0].recording_type, "voicemail");
}

static void
test_f14_csat_number(void **state)
{
	struct call_row r = ok("call.csat", F14);

	(void)state;
	assert_s(r, csat_score, "4");
	assert_s(r, labels, "{vip}");
	assert_unset(r, state);
}

/* Every row of the table on F9: the same facts; the class decides status and state only. */
static void
test_every_type_contributes_every_field(void **state)
{
	const struct dispatch_entry	*t;
	size_t				 n;
	struct call_row			 ref = ok("call.hangup", F9);

	(void)state;
	t = dispatch_table(&n);
	for (size_t i = 0; i < n; i++) {
		struct call_row r = ok(t[i].event_type, F9);

		for (int k = 0; k < CC_N; k++) {
			if (k == CC_state || k == CC_seen_blocked || k == CC_seen_voicemail ||
			    k == CC_outcome)
				continue;
			assert_int_equal(r.col[k].set, ref.col[k].set);
		}
		assert_i(r, status, CALL_STATUS_ENDED);		/* F9 has date_ended */
		assert_int_equal(r.col[CC_state].set, t[i].klass != CALL_CLASS_POSTCALL);
		assert_i(r, seen_blocked, (t[i].flags & CALL_SEEN_BLOCKED) != 0);
		assert_s(r, outcome, (t[i].flags & CALL_SEEN_BLOCKED) ? "blocked" : "answered");
	}
}

/* Original-design types take their state from the type when the payload has none. */
static void
test_original_design_types(void **state)
{
	struct call_row r;

	(void)state;
	r = ok("call.started", "{\"call_id\":7,\"event_timestamp\":1}");
	assert_i(r, status, CALL_STATUS_ACTIVE);
	assert_s(r, state, "started");
	r = ok("call.ring", "{\"call_id\":\"7\"}");
	assert_i(r, status, CALL_STATUS_RINGING);
	assert_s(r, state, "ring");
	assert_unset(r, last_event_at);
	assert_false(r.at[CC_state].set);
	r = ok("call.ended", "{\"call_id\":7,\"date_ended\":5,\"duration\":11989.972}");
	assert_i(r, status, CALL_STATUS_ENDED);
	assert_i(r, duration_ms, 11990);
	r = ok("call.recording.completed", "{\"call_id\":7,\"recording_url\":\"https://x.invalid/r\"}");
	assert_s(r, recording_url, "https://x.invalid/r");
	assert_unset(r, state);
	assert_unset(r, status);
	r = ok("call.hangup", "{\"call_id\":7,\"state\":\"\"}");
	assert_s(r, state, "hangup");
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
	assert_i(r, master_call_id, 9007199254740993LL);
	assert_i(r, operator_call_id, 5850000000000099LL);
	assert_i(r, target_id, 9007199254740995LL);
	r = ok("call.hangup", "{\"call_id\":5850000000000001.0}");
	assert_int_equal(r.call_id, 5850000000000001LL);
}

/* Same member semantics as json_member: last duplicate wins, escaped names match. */
static void
test_member_semantics(void **state)
{
	struct call_row r;

	(void)state;
	r = ok("call.hangup", "{\"call_id\":1,\"state\":\"a\",\"call_id\":2, "
	    "\"nested\":{\"call_id\":9,\"s\":\"}\"}}");
	assert_int_equal(r.call_id, 2);
	r = ok("call.hangup", "{\"call\\u005fid\":3,\"direction\":\"in\\\"x\","
	    "\"target\":{\"n\\u0061me\":\"A\"}}");
	assert_int_equal(r.call_id, 3);
	assert_s(r, direction, "in\"x");
	assert_s(r, target_name, "A");
	r = ok("call.hangup", " { \"call_id\" : 4 , \"x\\u0041\" : [1,{\"call_id\":8}] , "
	    "\"date_ended\" : 7 } ");
	assert_int_equal(r.call_id, 4);
	assert_i(r, ended_at, 7);
	r = ok("call.hangup", "{\"call_id\":5,\"direction\":\"in\",\"direction\":null}");
	assert_unset(r, direction);
}

/* Without a usable call_id, or not an object: a data failure (the batch makes it dead at once). */
static void
test_data_failures(void **state)
{
	static const char *const bad[] = {
		"{\"state\":\"hangup\"}",
		"{\"call_id\":null}",
		"{\"call_id\":1.5}",
		"{\"call_id\":\"12a\"}",
		"{\"call_id\":1e3}",
		"{\"call_id\":true}",
		"{\"call_id\":99999999999999999999}",
		"[1,2]",
		"\"x\"",
	};
	struct call_row	 r;
	char		 err[200];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(run("call.hangup", bad[i], &r, err, sizeof(err)), HANDLER_REJECT);
		assert_true(strstr(err, "call_id") != NULL || strstr(err, "object") != NULL);
	}
}

/* A present, wrong-typed optional field is ignored and counted under its name; the rest is kept. */
static void
test_wrong_types_are_ignored_and_counted(void **state)
{
	static const struct {
		const char *field, *json;
	} cases[] = {
		{ "date_started", "\"date_started\":\"yesterday\"" },
		{ "event_timestamp", "\"event_timestamp\":{}" },
		{ "target", "\"target\":[]" },
		{ "target.id", "\"target\":{\"id\":\"x\",\"name\":\"kept\"}" },
		{ "target.office_id", "\"target\":{\"office_id\":1.5}" },
		{ "duration", "\"duration\":-1" },
		{ "talk_time", "\"talk_time\":\"long\"" },
		{ "state", "\"state\":7" },
		{ "recording_details", "\"recording_details\":{}" },
		{ "recording_details", "\"recording_details\":[3]" },
		{ "recording_details", "\"recording_details\":[{\"url\":\"u\",\"duration\":\"x\"}]" },
		{ "recording_url", "\"recording_url\":5" },
		{ "recording_url", "\"recording_url\":[\"https://x.invalid/a\",3]" },
		{ "voicemail_link", "\"voicemail_link\":true" },
		{ "labels", "\"labels\":\"vip\"" },
		{ "labels", "\"labels\":[\"a\",1]" },
		{ "is_internal", "\"is_internal\":\"yes\"" },
		{ "mos_score", "\"mos_score\":\"high\"" },
		{ "contact", "\"contact\":3" },
		{ "contact.id", "\"contact\":{\"id\":true}" },
		{ "date_ended", "\"date_ended\":100000000000000000" },		/* beyond timestamptz */
		{ "event_timestamp", "\"event_timestamp\":-9000000000000000" },
		{ "group_id", "\"group_id\":12" },
		{ "csat_score", "\"csat_score\":[5]" },
	};
	char		 json[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(json, sizeof(json), "{\"call_id\":1,\"direction\":\"in\",%s}", cases[i].json);
		struct call_row r = ok("call.hangup", json);

		assert_int_equal(errors_of(cases[i].field), 1);
		assert_int_equal(nerrors(), 1);
		assert_s(r, direction, "in");
		assert_s(r, state, "hangup");
	}
	/* what was good in a half-bad value is kept */
	ok("call.hangup", "{\"call_id\":1,\"target\":{\"id\":\"x\",\"name\":\"kept\"},"
	    "\"recording_url\":[\"https://x.invalid/a\",3]}");
	assert_string_equal(out.row->col[CC_target_name].s, "kept");
	assert_int_equal(out.nrecs, 1);
	/* any JSON value is a json column's value */
	struct call_row r = ok("call.hangup", "{\"call_id\":1,\"custom_data\":\"\",\"recap_purposes\":7}");
	assert_s(r, custom_data, "\"\"");
	assert_s(r, recap_purposes, "7");
	assert_int_equal(nerrors(), 0);
}

/* A recording URL too long for call_recordings' unique key is a field error, whatever its source. */
static void
test_overlong_recording_url(void **state)
{
	static const char *const pre[] = {
		"{\"call_id\":1,\"recording_url\":\"https://x.invalid/",
		"{\"call_id\":1,\"voicemail_link\":\"https://x.invalid/",
		"{\"call_id\":1,\"recording_details\":[{\"url\":\"https://x.invalid/",
	};
	static const char *const post[] = { "\"}", "\"}", "\"}]}" };
	static const char *const field[] = { "recording_url", "voicemail_link", "recording_details" };
	char		 tail[2100], json[2300];

	(void)state;
	memset(tail, 'a', sizeof(tail) - 1);
	tail[sizeof(tail) - 1] = '\0';
	for (size_t i = 0; i < 3; i++) {
		snprintf(json, sizeof(json), "%s%s%s", pre[i], tail, post[i]);
		struct call_row r = ok("call.recording", json);

		assert_int_equal(out.nrecs, 0);
		assert_int_equal(errors_of(field[i]), 1);
		assert_unset(r, recording_url);
		assert_unset(r, voicemail_url);
	}
	tail[2000] = '\0';		/* a long but storable one is kept */
	snprintf(json, sizeof(json), "%s%s%s", pre[0], tail, post[0]);
	ok("call.recording", json);
	assert_int_equal(out.nrecs, 1);
	assert_int_equal(nerrors(), 0);
}

/* Timestamps are exact int64 ms, within timestamptz's range. */
static void
test_timestamps(void **state)
{
	struct call_row r;

	(void)state;
	r = ok("call.hangup", "{\"call_id\":1,\"event_timestamp\":9007199254740993,"
	    "\"date_ended\":9007199254740992}");
	assert_i(r, last_event_at, 9007199254740993LL);
	assert_i(r, ended_at, 9007199254740992LL);
	assert_true(r.at[CC_state].v == 9007199254740993LL);
	r = ok("call.hangup", "{\"call_id\":1,\"date_started\":-210866803200000,"
	    "\"date_ended\":9224318015999999}");
	assert_i(r, started_at, -210866803200000LL);
	assert_i(r, ended_at, 9224318015999999LL);
	assert_int_equal(nerrors(), 0);
	r = ok("call.hangup", "{\"call_id\":1,\"date_started\":-210866803200001,"
	    "\"date_ended\":9224318016000000}");
	assert_unset(r, started_at);
	assert_unset(r, ended_at);
	assert_int_equal(nerrors(), 2);
}

/* labels are stored in PostgreSQL's canonical text[] form, the one array_out prints. */
static void
test_labels_canonical(void **state)
{
	struct call_row r;

	(void)state;
	r = ok("call.hangup", "{\"call_id\":1,\"labels\":[\"\",\"NULL\",\"null\",\"a b\",\"a,b\",\"q\\\"x\","
	    "\"b\\\\s\",\"{x}\",\"plain\",\"\\u00e9t\\u00e9\",\"tab\\t\",\"x-y_z.1\"]}");
	assert_s(r, labels, "{\"\",\"NULL\",\"null\",\"a b\",\"a,b\",\"q\\\"x\",\"b\\\\s\",\"{x}\",plain,"
	    "\xc3\xa9t\xc3\xa9,\"tab\t\",x-y_z.1}");
}

/* ---------------------------------------------------------------- the merge */

/* Fold rows[order[0..n)] left to right. */
static struct call_row
fold(const struct call_row *rows, const int *order, int n)
{
	struct call_row	 acc = rows[order[0]];

	for (int i = 1; i < n; i++)
		call_row_merge(&acc, &rows[order[i]]);
	return acc;
}

/* The k-th permutation of 0..n-1 (factorial number system). */
static void
permutation(int k, int n, int *perm)
{
	int	 pool[8], left = n;

	for (int i = 0; i < n; i++)
		pool[i] = i;
	for (int i = 0; i < n; i++) {
		int j = k % left;

		k /= left;
		perm[i] = pool[j];
		memmove(&pool[j], &pool[j + 1], (size_t)(left - j - 1) * sizeof(int));
		left--;
	}
}

/* Any permutation (and duplication) of one leg's live and post-call events merges to one row. */
static void
test_merge_permutations(void **state)
{
	static const char *const fx[] = { F13, F9, F10, F11, F14 };
	static const char *const types[] = { "call.queued", "call.hangup", "call.recap_summary",
		"call.recording", "call.csat" };
	struct call_row	 rows[5], ref;
	int		 perm[6];

	(void)state;
	for (int i = 0; i < 5; i++)
		rows[i] = ok(types[i], fx[i]);
	for (int i = 0; i < 5; i++)
		perm[i] = i;
	ref = fold(rows, perm, 5);
	assert_i(ref, status, CALL_STATUS_ENDED);
	assert_s(ref, state, "hangup");		/* the newest live event, not a later recap */
	assert_i(ref, last_event_at, 1767262100000LL);
	assert_s(ref, target_name, "Ana Ortiz");	/* newest: the hangup's, not the queued leg's */
	assert_s(ref, labels, "{vip}");		/* newest: the survey's */
	assert_s(ref, csat_score, "4");
	assert_s(ref, recap_summary, "Caller asked to move the appointment to Friday.");
	assert_s(ref, recording_url, "https://dialpad.example.invalid/r/1c.mp3");
	assert_i(ref, queued_at, 1767261600300LL);
	assert_s(ref, outcome, "answered");
	for (int k = 0; k < 120; k++) {
		permutation(k, 5, perm);
		perm[5] = perm[k % 5];		/* one event delivered twice */
		struct call_row acc = fold(rows, perm, 6);

		assert_true(call_row_equal(&acc, &ref));
	}
}

/* NEWEST: greatest (event_timestamp, value); a missing timestamp loses; never overwritten by null. */
static void
test_merge_newest(void **state)
{
	struct call_row	 r[5];
	int		 perm[5];

	(void)state;
	r[0] = ok("call.connected", "{\"call_id\":1,\"operator_call_id\":7,\"event_timestamp\":10}");
	r[1] = ok("call.connected", "{\"call_id\":1,\"operator_call_id\":5,\"event_timestamp\":20}");
	r[2] = ok("call.connected", "{\"call_id\":1,\"operator_call_id\":9,\"event_timestamp\":15}");
	r[3] = ok("call.connected", "{\"call_id\":1,\"operator_call_id\":100}");
	r[4] = ok("call.hangup", "{\"call_id\":1,\"operator_call_id\":null,\"event_timestamp\":30}");
	for (int k = 0; k < 120; k++) {
		permutation(k, 5, perm);
		struct call_row acc = fold(r, perm, 5);

		assert_i(acc, operator_call_id, 5);
		assert_true(acc.at[CC_operator_call_id].v == 20);
		assert_s(acc, state, "hangup");
	}
	/* equal timestamps: the greater value (numbers numerically, text in byte order) */
	r[0] = ok("call.connected", "{\"call_id\":1,\"operator_call_id\":10,\"target\":{\"name\":\"b\"},"
	    "\"event_timestamp\":5}");
	r[1] = ok("call.connected", "{\"call_id\":1,\"operator_call_id\":9,\"target\":{\"name\":\"a\"},"
	    "\"event_timestamp\":5}");
	for (int k = 0; k < 2; k++) {
		int order[2] = { k, 1 - k };
		struct call_row acc = fold(r, order, 2);

		assert_i(acc, operator_call_id, 10);
		assert_s(acc, target_name, "b");
	}
}

/* state: the newest live event's; post-call steps and late stale events do not move it. */
static void
test_merge_state(void **state)
{
	struct call_row	 r[4];
	int		 perm[4];

	(void)state;
	r[0] = ok("call.ringing", "{\"call_id\":1,\"state\":\"ringing\",\"event_timestamp\":5}");
	r[1] = ok("call.hangup", "{\"call_id\":1,\"state\":\"hangup\",\"event_timestamp\":10}");
	r[2] = ok("call.recording", "{\"call_id\":1,\"state\":\"recording\",\"event_timestamp\":50}");
	r[3] = ok("call.voicemail_uploaded", "{\"call_id\":1,\"state\":\"voicemail_uploaded\","
	    "\"event_timestamp\":60}");
	for (int k = 0; k < 24; k++) {
		permutation(k, 4, perm);
		struct call_row acc = fold(r, perm, 4);

		assert_s(acc, state, "hangup");
		assert_i(acc, last_event_at, 60);
		assert_s(acc, outcome, "voicemail");
	}
	/* equal timestamps: the greater state name, whichever comes first */
	r[0] = ok("call.hangup", "{\"call_id\":1,\"state\":\"hangup\",\"event_timestamp\":5}");
	r[1] = ok("call.voicemail", "{\"call_id\":1,\"state\":\"voicemail\",\"event_timestamp\":5}");
	struct call_row x = r[0], y = r[1];

	call_row_merge(&x, &r[1]);
	call_row_merge(&y, &r[0]);
	assert_s(x, state, "voicemail");
	assert_true(call_row_equal(&x, &y));
}

/* outcome: blocked, answered, voicemail, missed, in that order; NULL until the leg ends. */
static void
test_outcome(void **state)
{
	struct call_row	 a, b;

	(void)state;
	a = ok("call.connected", "{\"call_id\":1,\"date_connected\":5}");
	assert_unset(a, outcome);
	b = ok("call.blocked", "{\"call_id\":1}");
	call_row_merge(&a, &b);
	assert_s(a, outcome, "blocked");
	a = ok("call.voicemail", "{\"call_id\":1}");
	assert_s(a, outcome, "voicemail");
	b = ok("call.connected", "{\"call_id\":1,\"date_connected\":5}");
	call_row_merge(&a, &b);
	assert_s(a, outcome, "answered");
	a = ok("call.missed", "{\"call_id\":1,\"direction\":\"outbound\"}");
	assert_s(a, outcome, "missed");
	b = ok("call.recording", "{\"call_id\":1,\"recording_details\":[{\"url\":\"v\","
	    "\"recording_type\":\"voicemail\"}]}");
	assert_unset(b, outcome);			/* no status yet */
	call_row_merge(&a, &b);
	assert_s(a, outcome, "voicemail");
}

/* A tiny deterministic generator for the property test. */
static uint32_t
rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*s >> 33);
}

/* A random event of leg 1 with random fields from small pools (so ties happen). */
static struct call_row
random_event(uint64_t *s, char *buf, size_t len)
{
	static const char *const types[] = { "call.ringing", "call.connected", "call.hangup", "call.blocked",
		"call.voicemail", "call.recording", "call.recap_summary", "call.csat" };
	static const char *const texts[] = { "a", "b", "B", "a b", "\\u00e9" };
	size_t	 o = (size_t)snprintf(buf, len, "{\"call_id\":1");

	if (rnd(s) % 4)
		o += (size_t)snprintf(buf + o, len - o, ",\"event_timestamp\":%u", rnd(s) % 4);
	for (int k = 0; k < CC_N; k++) {
		const struct call_column *c = &call_columns[k];

		if (c->path[0] == '\0' || strchr(c->path, '.') || k == CC_last_event_at || rnd(s) % 3 == 0)
			continue;
		o += (size_t)snprintf(buf + o, len - o, ",\"%s\":", c->path);
		switch (c->type) {
		case CT_TEXT:
		case CT_TEXTNUM:
			o += (size_t)snprintf(buf + o, len - o, "\"%s\"", texts[rnd(s) % 5]);
			break;
		case CT_BOOL:
			o += (size_t)snprintf(buf + o, len - o, rnd(s) % 2 ? "true" : "false");
			break;
		case CT_LABELS:
			o += (size_t)snprintf(buf + o, len - o, "[\"%s\"]", texts[rnd(s) % 5]);
			break;
		case CT_JSON:
			o += (size_t)snprintf(buf + o, len - o, "{\"k\":%u}", rnd(s) % 3);
			break;
		default:
			o += (size_t)snprintf(buf + o, len - o, "%u", rnd(s) % 5 + 1);
			break;
		}
	}
	o += (size_t)snprintf(buf + o, len - o, ",\"target\":{\"name\":\"%s\",\"id\":%u}}", texts[rnd(s) % 5],
	    rnd(s) % 3);
	return ok(types[rnd(s) % 8], buf);
}

/*
 * Every column's rule is commutative, associative and idempotent: random events of one leg folded
 * in random orders and random groupings (a batch's merge of merges) give the same row.
 */
static void
test_merge_property(void **state)
{
	uint64_t	 s = 42;
	char		 buf[2048];

	(void)state;
	for (int round = 0; round < 300; round++) {
		struct call_row	 ev[8], ref, acc, left, right;
		int		 n = 2 + (int)(rnd(&s) % 7), order[8], cut;

		for (int i = 0; i < n; i++) {
			ev[i] = random_event(&s, buf, sizeof(buf));
			order[i] = i;
		}
		ref = fold(ev, order, n);
		for (int i = n - 1; i > 0; i--) {
			int j = (int)(rnd(&s) % (uint32_t)(i + 1)), t = order[i];

			order[i] = order[j];
			order[j] = t;
		}
		cut = 1 + (int)(rnd(&s) % (uint32_t)(n - 1));
		left = fold(ev, order, cut);
		right = fold(ev, order + cut, n - cut);
		acc = left;
		call_row_merge(&acc, &right);
		call_row_merge(&acc, &ev[order[0]]);		/* and a duplicate */
		assert_true(call_row_equal(&acc, &ref));
	}
}

static int
setup(void **state)
{
	char	 err[200];

	(void)state;
	arena_reset(&arena, 64 << 20);
	assert_int_equal(payload_map_init(&map, err, sizeof(err)), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	arena_free(&arena);
	free(out.recs);
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
		cmocka_unit_test(test_f9_every_field),
		cmocka_unit_test(test_f10_recap_heals_a_lost_hangup),
		cmocka_unit_test(test_f11_three_recordings),
		cmocka_unit_test(test_f12_voicemail_transcript),
		cmocka_unit_test(test_f14_csat_number),
		cmocka_unit_test(test_every_type_contributes_every_field),
		cmocka_unit_test(test_original_design_types),
		cmocka_unit_test(test_ids_exact),
		cmocka_unit_test(test_member_semantics),
		cmocka_unit_test(test_data_failures),
		cmocka_unit_test(test_wrong_types_are_ignored_and_counted),
		cmocka_unit_test(test_overlong_recording_url),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_labels_canonical),
		cmocka_unit_test(test_merge_permutations),
		cmocka_unit_test(test_merge_newest),
		cmocka_unit_test(test_merge_state),
		cmocka_unit_test(test_outcome),
		cmocka_unit_test(test_merge_property),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
