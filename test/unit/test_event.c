/*
 * test_event.c: classification of every fixture of dialpad-webhooks.md
 * section 7 (F1-F11 verbatim, F12's claims) and the dedupe key rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "event.h"
#include "json.h"
#include "jwt.h"

/* Fixtures F1-F11, copied from the document byte for byte. */
static const char f1[] =
    "{\"call_id\":5850000000000001,\"master_call_id\":null,\"entry_point_ca"
    "ll_id\":null,\"operator_call_id\":null,\n"
    " \"state\":\"ringing\",\"direction\":\"inbound\",\"external_number\":"
    "\"+14155550123\",\"internal_number\":\"+14155550100\",\n"
    " \"contact\":{\"id\":6100000000000001,\"type\":\"local\",\"name\":\"(4"
    "15) 555-0123\",\"phone\":\"+14155550123\",\"email\":\"\"},\n"
    " \"target\":{\"id\":5200000000000001,\"type\":\"user\",\"name\":\"Ana "
    "Ortiz\",\"email\":\"ana@example.com\",\"phone\":\"+14155550100\",\"off"
    "ice_id\":5100000000000001},\n"
    " \"entry_point_target\":{},\"proxy_target\":{},\"group_id\":null,\"is_"
    "transferred\":false,\"is_internal\":false,\n"
    " \"date_started\":1767261600000,\"date_first_rang\":1767261600400,\"da"
    "te_rang\":null,\"date_queued\":null,\n"
    " \"date_connected\":null,\"date_ended\":null,\"duration\":null,\"total"
    "_duration\":null,\"talk_time\":null,\"hold_time\":null,\n"
    " \"was_recorded\":false,\"recording_details\":[],\"call_recording_ids"
    "\":[],\"voicemail_link\":null,\"voicemail_recording_id\":null,\n"
    " \"transcription_text\":null,\"labels\":[],\"mos_score\":null,\"csat_s"
    "core\":null,\"routing_breadcrumbs\":[],\n"
    " \"event_timestamp\":1767261600912}";

static const char f2[] =
    "{\"call_id\":5850000000000001,\"state\":\"connected\",\"direction\":\""
    "inbound\",\"external_number\":\"+14155550123\",\n"
    " \"internal_number\":\"+14155550100\",\"contact\":{\"id\":610000000000"
    "0001,\"type\":\"local\",\"name\":\"(415) 555-0123\",\"phone\":\"+14155"
    "550123\",\"email\":\"\"},\n"
    " \"target\":{\"id\":5200000000000001,\"type\":\"user\",\"name\":\"Ana "
    "Ortiz\",\"email\":\"ana@example.com\",\"phone\":\"+14155550100\"},\n"
    " \"master_call_id\":null,\"entry_point_call_id\":null,\"operator_call_"
    "id\":null,\"date_started\":1767261600000,\n"
    " \"date_first_rang\":1767261600400,\"date_rang\":null,\"date_connected"
    "\":1767261608300,\"date_ended\":null,\"duration\":null,\n"
    " \"total_duration\":null,\"was_recorded\":false,\"recording_details\":"
    "[],\"event_timestamp\":1767261608701}";

static const char f3[] =
    "{\"call_id\":5850000000000001,\"state\":\"hangup\",\"direction\":\"inb"
    "ound\",\"external_number\":\"+14155550123\",\n"
    " \"internal_number\":\"+14155550100\",\"contact\":{\"id\":610000000000"
    "0001,\"type\":\"local\",\"name\":\"(415) 555-0123\",\"phone\":\"+14155"
    "550123\",\"email\":\"\"},\n"
    " \"target\":{\"id\":5200000000000001,\"type\":\"user\",\"name\":\"Ana "
    "Ortiz\",\"email\":\"ana@example.com\",\"phone\":\"+14155550100\"},\n"
    " \"master_call_id\":null,\"entry_point_call_id\":null,\"operator_call_"
    "id\":null,\"date_started\":1767261600000,\n"
    " \"date_rang\":null,\"date_connected\":1767261608300,\"date_ended\":17"
    "67261788300,\"duration\":180000.0,\n"
    " \"total_duration\":188300.0,\"talk_time\":180000,\"hold_time\":0,\"mo"
    "s_score\":4.41,\"was_recorded\":true,\n"
    " \"recording_details\":[],\"labels\":[],\"is_transferred\":false,\"eve"
    "nt_timestamp\":1767261789055}";

static const char f4[] =
    "{\"call_id\":5850000000000001,\"state\":\"recording\",\"direction\":\""
    "inbound\",\"external_number\":\"+14155550123\",\n"
    " \"internal_number\":\"+14155550100\",\"date_started\":1767261600000,"
    "\"date_connected\":1767261608300,\n"
    " \"date_ended\":1767261788300,\"duration\":180000.0,\"total_duration\""
    ":188300.0,\"was_recorded\":true,\n"
    " \"recording_details\":[{\"id\":\"4800000000000001\",\"recording_type"
    "\":\"callrecording\",\n"
    "   \"url\":\"https://dialpad.example.invalid/recordings/48000000000000"
    "01.mp3\",\"duration\":179500,\"start_time\":1767261608800}],\n"
    " \"call_recording_ids\":[\"4800000000000001\"],\"event_timestamp\":176"
    "7261850230}";

static const char f5[] =
    "{\"call_id\":5850000000000002,\"state\":\"calling\",\"direction\":\"ou"
    "tbound\",\"external_number\":\"+12125550188\",\n"
    " \"internal_number\":\"+14155550100\",\"contact\":{\"id\":610000000000"
    "0002,\"type\":\"local\",\"name\":\"(212) 555-0188\",\"phone\":\"+12125"
    "550188\",\"email\":\"\"},\n"
    " \"target\":{\"id\":5200000000000001,\"type\":\"user\",\"name\":\"Ana "
    "Ortiz\",\"email\":\"ana@example.com\",\"phone\":\"+14155550100\"},\n"
    " \"proxy_target\":{},\"date_started\":1767265200000,\"date_rang\":null"
    ",\"date_connected\":null,\"date_ended\":null,\n"
    " \"duration\":null,\"total_duration\":null,\"event_timestamp\":1767265"
    "200150}";

static const char f6[] =
    "{\"call_id\":5850000000000002,\"state\":\"hangup\",\"direction\":\"out"
    "bound\",\"external_number\":\"+12125550188\",\n"
    " \"internal_number\":\"+14155550100\",\"contact\":{\"id\":610000000000"
    "0002,\"type\":\"local\",\"name\":\"(212) 555-0188\",\"phone\":\"+12125"
    "550188\",\"email\":\"\"},\n"
    " \"target\":{\"id\":5200000000000001,\"type\":\"user\",\"name\":\"Ana "
    "Ortiz\",\"email\":\"ana@example.com\",\"phone\":\"+14155550100\"},\n"
    " \"master_call_id\":null,\"entry_point_call_id\":null,\"operator_call_"
    "id\":null,\"proxy_target\":{},\n"
    " \"date_started\":1767265200000,\"date_rang\":null,\"date_connected\":"
    "1767265209000,\"date_ended\":1767265304000,\n"
    " \"duration\":95000.0,\"total_duration\":104000.0,\"talk_time\":95000,"
    "\"hold_time\":0,\"mos_score\":4.3,\n"
    " \"was_recorded\":false,\"recording_details\":[],\"event_timestamp\":1"
    "767265304820}";

static const char f7[] =
    "{\"call_id\":5850000000000003,\"state\":\"hangup\",\"direction\":\"inb"
    "ound\",\"external_number\":\"+13105550147\",\n"
    " \"internal_number\":\"+14155550100\",\"contact\":{\"id\":610000000000"
    "0003,\"type\":\"local\",\"name\":\"(310) 555-0147\",\"phone\":\"+13105"
    "550147\",\"email\":\"\"},\n"
    " \"target\":{\"id\":5200000000000001,\"type\":\"user\",\"name\":\"Ana "
    "Ortiz\",\"email\":\"ana@example.com\",\"phone\":\"+14155550100\"},\n"
    " \"date_started\":1767268800000,\"date_first_rang\":1767268800350,\"da"
    "te_rang\":null,\"date_connected\":null,\n"
    " \"date_ended\":1767268825350,\"duration\":0,\"total_duration\":25350."
    "0,\"talk_time\":0,\"hold_time\":0,\n"
    " \"was_recorded\":false,\"recording_details\":[],\"voicemail_link\":nu"
    "ll,\"event_timestamp\":1767268826004}";

static const char f8[] =
    "{\"call_id\":5850000000000004,\"state\":\"voicemail_uploaded\",\"direc"
    "tion\":\"inbound\",\"external_number\":\"+16505550166\",\n"
    " \"internal_number\":\"+14155550100\",\"contact\":{\"id\":610000000000"
    "0004,\"type\":\"local\",\"name\":\"(650) 555-0166\",\"phone\":\"+16505"
    "550166\",\"email\":\"\"},\n"
    " \"target\":{\"id\":5200000000000001,\"type\":\"user\",\"name\":\"Ana "
    "Ortiz\",\"email\":\"ana@example.com\",\"phone\":\"+14155550100\"},\n"
    " \"date_started\":1767272400000,\"date_connected\":null,\"date_ended\""
    ":1767272462000,\"duration\":0,\"total_duration\":62000.0,\n"
    " \"was_recorded\":false,\"voicemail_recording_id\":\"4900000000000004"
    "\",\n"
    " \"voicemail_link\":\"https://dialpad.example.invalid/secureblob/voice"
    "mail/4900000000000004\",\n"
    " \"recording_details\":[{\"id\":\"4900000000000004\",\"recording_type"
    "\":\"voicemail\",\n"
    "   \"url\":\"https://dialpad.example.invalid/secureblob/voicemail/4900"
    "000000000004\",\"duration\":31000,\"start_time\":1767272430000}],\n"
    " \"transcription_text\":null,\"event_timestamp\":1767272470511}";

static const char f9[] =
    "{\"id\":6095000000000009,\"created_date\":1767276000123,\"event_timest"
    "amp\":1767276000555,\"direction\":\"inbound\",\n"
    " \"from_number\":\"+14155550123\",\"to_number\":[\"+14155550100\"],\"i"
    "s_internal\":false,\"sender_id\":null,\n"
    " \"contact\":{\"id\":6100000000000001,\"name\":\"(415) 555-0123\",\"ph"
    "one_number\":\"+14155550123\"},\n"
    " \"target\":{\"id\":5200000000000001,\"name\":\"Ana Ortiz\",\"phone_nu"
    "mber\":\"(415) 555-0100\",\"type\":\"user\"},\n"
    " \"admins\":[],\"mms\":false,\"mms_url\":null,\"text\":\"Running 10 mi"
    "n late\",\"text_content\":\"Running 10 min late\",\n"
    " \"message_status\":\"pending\",\"message_delivery_result\":null}";

static const char f10[] =
    "{\"availability_status\":\"available\",\"on_duty_status\":\"available"
    "\",\"on_duty_status_reason\":\"\",\n"
    " \"call_center_ids\":[\"5300000000000001\"],\"powerdialer_mode\":false"
    ",\"date\":1767279600000,\"event_timestamp\":1767279600140,\n"
    " \"target\":{\"id\":5200000000000001,\"type\":\"user\",\"name\":\"Ana "
    "Ortiz\",\"email\":\"ana@example.com\"}}";

static const char f11[] =
    "{\"event_timestamp\":1767283200000,\"fax_status\":\"received\",\"pages"
    "\":3,\"widget\":{\"kind\":\"not-a-known-dialpad-shape\"}}";

/* F12's claims (the signed hangup). */
static const char f12_claims[] =
    "{\"call_id\":5850000000000901,\"state\":\"hangup\",\"direction\":"
    "\"inbound\",\"external_number\":\"+14155550123\",\"internal_number\":"
    "\"+14155550100\",\"date_started\":1767261600000,\"date_connected\":"
    "1767261605200,\"date_ended\":1767261725200,\"duration\":120000.0,"
    "\"total_duration\":125200.0,\"event_timestamp\":1767261726001}";

/* F11 in canonical form: the text its h: key must be the BLAKE2b of. */
static const char f11_canonical[] =
    "{\"event_timestamp\":1767283200000,\"fax_status\":\"received\","
    "\"pages\":3,\"widget\":{\"kind\":\"not-a-known-dialpad-shape\"}}";

/* Classifies lit, failing the test if that fails; checks key hygiene. */
static struct event_info
classify(const char *lit)
{
	struct event_info	ei;
	size_t			i, n = strlen(lit);
	char			*p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, lit, n);	/* exact size: ASan sees any overread */
	assert_int_equal(json_validate(p, n), 0);
	if (event_classify(p, n, &ei) != 0)
		fail_msg("classify failed: %s", lit);
	free(p);
	assert_true(strlen(ei.type) > 0 && strlen(ei.type) < EVENT_TYPE_MAX);
	assert_true(strlen(ei.dedupe_key) > 0 &&
	    strlen(ei.dedupe_key) < EVENT_KEY_MAX);
	for (i = 0; ei.dedupe_key[i] != '\0'; i++)
		assert_true(ei.dedupe_key[i] > 0x20 && ei.dedupe_key[i] < 0x7f);
	return ei;
}

/* true if key is "h:" and 64 lowercase hex digits. */
static bool
is_hash_key(const char *key)
{
	size_t	i;

	if (strncmp(key, "h:", 2) != 0 || strlen(key) != 66)
		return false;
	for (i = 2; i < 66; i++)
		if (!((key[i] >= '0' && key[i] <= '9') ||
		    (key[i] >= 'a' && key[i] <= 'f')))
			return false;
	return true;
}

struct frow {
	const char	*name;
	const char	*json;
	const char	*type;
	const char	*key;	/* NULL: an h: key */
};

static const struct frow frows[] = {
	{ "F1", f1, "call.ringing",
	    "call:5850000000000001:ringing:1767261600912" },
	{ "F2", f2, "call.connected",
	    "call:5850000000000001:connected:1767261608701" },
	{ "F3", f3, "call.hangup",
	    "call:5850000000000001:hangup:1767261789055" },
	{ "F4", f4, "call.recording",
	    "call:5850000000000001:recording:1767261850230" },
	{ "F5", f5, "call.calling",
	    "call:5850000000000002:calling:1767265200150" },
	{ "F6", f6, "call.hangup",
	    "call:5850000000000002:hangup:1767265304820" },
	{ "F7", f7, "call.hangup",
	    "call:5850000000000003:hangup:1767268826004" },
	{ "F8", f8, "call.voicemail_uploaded",
	    "call:5850000000000004:voicemail_uploaded:1767272470511" },
	{ "F9", f9, "sms.inbound",
	    "sms:6095000000000009:pending:1767276000555" },
	{ "F10", f10, "agent_status", NULL },
	{ "F11", f11, "unknown", NULL },
	{ "F12", f12_claims, "call.hangup",
	    "call:5850000000000901:hangup:1767261726001" },
};

static void
test_fixtures(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(frows) / sizeof(frows[0]); i++) {
		const struct frow	*r = &frows[i];
		struct event_info	 ei = classify(r->json);

		if (strcmp(ei.type, r->type) != 0)
			fail_msg("%s: type %s want %s", r->name, ei.type,
			    r->type);
		if (r->key ? strcmp(ei.dedupe_key, r->key) != 0 :
		    !is_hash_key(ei.dedupe_key))
			fail_msg("%s: key %s want %s", r->name, ei.dedupe_key,
			    r->key ? r->key : "h:<hex>");
	}
}

static void
test_hash_key_value(void **state)
{
	struct event_info	ei;
	unsigned char		h[32];
	char			want[EVENT_KEY_MAX] = "h:";

	(void)state;
	crypto_generichash(h, sizeof(h), (const unsigned char *)f11_canonical,
	    sizeof(f11_canonical) - 1, NULL, 0);
	sodium_bin2hex(want + 2, sizeof(want) - 2, h, sizeof(h));
	ei = classify(f11);
	assert_string_equal(ei.dedupe_key, want);
	ei = classify(f11_canonical);
	assert_string_equal(ei.dedupe_key, want);
}

struct crow {
	const char	*json;
	const char	*type;
	const char	*key;	/* NULL: an h: key */
};

#define S64 "abcdefghijklmnopqrstuvwxyz_0123456789abcdefghijklmnopqrstuvwxyz0"

static const struct crow crows[] = {
	/* the event_type field wins when it is a clean token */
	{ "{\"event_type\":\"call.ended\",\"call_id\":1,\"state\":\"hangup\","
	    "\"event_timestamp\":5}", "call.ended", "call:1:hangup:5" },
	{ "{\"event_type\":\"call.recording.completed\",\"call_id\":1,"
	    "\"event_timestamp\":5}", "call.recording.completed",
	    "call:1:call.recording.completed:5" },
	{ "{\"event_type\":\"call.started\",\"call_id\":\"7\","
	    "\"event_timestamp\":8.0,\"state\":null}", "call.started",
	    "call:7:call.started:8" },
	{ "{\"event_type\":\"Call-Ring_1\",\"message_status\":\"x\"}",
	    "Call-Ring_1", NULL },
	{ "{\"event_type\":\"bad type!\",\"call_id\":1,\"state\":\"hangup\"}",
	    "call.hangup", NULL },
	{ "{\"event_type\":\"\",\"call_id\":1,\"state\":\"hangup\"}",
	    "call.hangup", NULL },
	{ "{\"event_type\":\"" S64 "x\",\"call_id\":1,\"state\":\"ringing\"}",
	    "call.ringing", NULL },
	{ "{\"event_type\":7,\"call_id\":1,\"state\":\"ringing\"}",
	    "call.ringing", NULL },
	/* calls */
	{ "{\"call_id\":1,\"state\":\"" S64 "\",\"event_timestamp\":2}",
	    "call." S64, "call:1:" S64 ":2" },
	{ "{\"call_id\":1,\"state\":\"" S64 "x\",\"event_timestamp\":2}",
	    "call.unknown", NULL },
	{ "{\"call_id\":1,\"state\":\"Hang Up\",\"event_timestamp\":2}",
	    "call.unknown", NULL },
	{ "{\"call_id\":1,\"state\":\"\",\"event_timestamp\":2}",
	    "call.unknown", NULL },
	{ "{\"call_id\":1,\"state\":5,\"event_timestamp\":2}", "unknown",
	    NULL },
	{ "{\"call_id\":null,\"state\":\"hangup\"}", "unknown", NULL },
	{ "{\"state\":\"hangup\"}", "unknown", NULL },
	{ "{\"call_id\":1,\"state\":\"hangup\"}", "call.hangup", NULL },
	{ "{\"call_id\":1,\"event_timestamp\":2}", "unknown", NULL },
	{ "{\"call_id\":1,\"event_timestamp\":2,\"from_number\":\"a\","
	    "\"to_number\":\"b\"}", "sms.unknown", NULL },
	{ "{\"call_id\":1.5,\"state\":\"hangup\",\"event_timestamp\":2}",
	    "call.hangup", NULL },
	{ "{\"call_id\":-9223372036854775808,\"state\":\"hangup\","
	    "\"event_timestamp\":9223372036854775807}", "call.hangup",
	    "call:-9223372036854775808:hangup:9223372036854775807" },
	{ "{\"call_id\":9223372036854775808,\"state\":\"hangup\","
	    "\"event_timestamp\":1}", "call.hangup", NULL },
	{ "{\"call_id\":\"abc\",\"state\":\"hangup\",\"event_timestamp\":1}",
	    "call.hangup", NULL },
	/* sms */
	{ "{\"id\":1,\"message_status\":\"success\",\"direction\":"
	    "\"outbound\",\"event_timestamp\":2}", "sms.outbound",
	    "sms:1:success:2" },
	{ "{\"from_number\":\"+1\",\"to_number\":[\"+2\"],\"direction\":"
	    "\"sideways\"}", "sms.unknown", NULL },
	{ "{\"from_number\":\"+1\",\"to_number\":[\"+2\"]}", "sms.unknown",
	    NULL },
	{ "{\"from_number\":\"+1\",\"to_number\":null}", "unknown", NULL },
	{ "{\"id\":\"1\",\"message_status\":\"de livered/\\u00e9\","
	    "\"event_timestamp\":\"2\"}", "sms.unknown",
	    "sms:1:de_livered___:2" },
	{ "{\"id\":1,\"message_status\":\"" S64 "x\",\"event_timestamp\":2}",
	    "sms.unknown", NULL },
	{ "{\"id\":1,\"message_status\":\"\",\"event_timestamp\":2}",
	    "sms.unknown", NULL },
	{ "{\"id\":1,\"message_status\":\"ok\"}", "sms.unknown", NULL },
	/* agent status, change log, contact */
	{ "{\"on_duty_status\":\"busy\"}", "agent_status", NULL },
	{ "{\"availability_status\":false}", "agent_status", NULL },
	{ "{\"call_center_ids\":[]}", "agent_status", NULL },
	{ "{\"action\":\"updated_ivr\",\"changed_by\":{\"name\":\"x\"},"
	    "\"date\":1}", "change_log", NULL },
	{ "{\"action\":\"updated_ivr\"}", "unknown", NULL },
	{ "{\"event\":\"Created\",\"contact\":{\"id\":1}}", "contact.created",
	    NULL },
	{ "{\"event\":\"Updated\",\"contact\":{}}", "contact.updated", NULL },
	{ "{\"event\":\"DELETED\",\"contact\":{}}", "contact.deleted", NULL },
	{ "{\"event\":\"Merged\",\"contact\":{}}", "unknown", NULL },
	{ "{\"event\":\"Created\"}", "unknown", NULL },
	/* classifier order: call before sms before agent status */
	{ "{\"call_id\":1,\"state\":\"ringing\",\"message_status\":\"x\","
	    "\"on_duty_status\":\"y\"}", "call.ringing", NULL },
	{ "{\"message_status\":\"x\",\"on_duty_status\":\"y\"}", "sms.unknown",
	    NULL },
	{ "{\"on_duty_status\":\"y\",\"action\":1,\"changed_by\":2}",
	    "agent_status", NULL },
	{ "{}", "unknown", NULL },
};

static void
test_classify_table(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(crows) / sizeof(crows[0]); i++) {
		const struct crow	*r = &crows[i];
		struct event_info	 ei = classify(r->json);

		if (strcmp(ei.type, r->type) != 0)
			fail_msg("row %zu: type %s want %s", i, ei.type,
			    r->type);
		if (r->key ? strcmp(ei.dedupe_key, r->key) != 0 :
		    !is_hash_key(ei.dedupe_key))
			fail_msg("row %zu: key %s want %s", i, ei.dedupe_key,
			    r->key ? r->key : "h:<hex>");
	}
}

static void
test_not_object(void **state)
{
	struct event_info	ei;

	(void)state;
	assert_int_equal(event_classify("[1]", 3, &ei), -1);
	assert_int_equal(event_classify("\"x\"", 3, &ei), -1);
	assert_int_equal(event_classify("{\"a\":01}", 8, &ei), -1);
	assert_int_equal(event_classify("", 0, &ei), -1);
	assert_int_equal(event_classify("{}", 2, NULL), -1);
}

/* Asserts that a and b get the same dedupe key (and type). */
static void
assert_same_key(const char *a, const char *b)
{
	struct event_info	x = classify(a), y = classify(b);

	if (strcmp(x.dedupe_key, y.dedupe_key) != 0 ||
	    strcmp(x.type, y.type) != 0)
		fail_msg("%s / %s differ: %s / %s", x.type, y.type,
		    x.dedupe_key, y.dedupe_key);
}

static void
test_id_encodings(void **state)
{
	(void)state;
	assert_same_key(
	    "{\"call_id\":5850000000000001,\"state\":\"hangup\","
	    "\"event_timestamp\":1767261789055}",
	    "{\"call_id\":\"5850000000000001\",\"state\":\"hangup\","
	    "\"event_timestamp\":\"1767261789055\"}");
	assert_same_key(
	    "{\"call_id\":5850000000000001,\"state\":\"hangup\","
	    "\"event_timestamp\":1767261789055}",
	    "{\"call_id\":5850000000000001.0,\"state\":\"hangup\","
	    "\"event_timestamp\":1767261789055.000}");
	/* 2^53 + 1 would collapse onto 2^53 through a double */
	assert_string_equal(classify("{\"call_id\":9007199254740993,\"state\":"
	    "\"x\",\"event_timestamp\":1}").dedupe_key,
	    "call:9007199254740993:x:1");
	assert_same_key(
	    "{\"id\":6095000000000009,\"message_status\":\"pending\","
	    "\"event_timestamp\":1767276000555}",
	    "{\"id\":\"6095000000000009\",\"message_status\":\"pending\","
	    "\"event_timestamp\":1767276000555.0}");
}

/* F11 with reordered members, other whitespace and JWT claims added. */
static const char f11_resigned[] =
    "{ \"widget\" : { \"kind\" : \"not-a-known-dialpad-shape\" },\n"
    "  \"iat\": 1767283201, \"exp\": 1767286800, \"jti\": \"r2\", \"nbf\": 0,\n"
    "  \"pages\": 3, \"fax_status\": \"received\",\n"
    "  \"event_timestamp\": 1767283200000 }";

static void
test_reorder_resign(void **state)
{
	struct event_info	 a, b;
	char			*tok = NULL, *claims = NULL;
	size_t			 tlen = 0, clen = 0;
	static const char	 key[] = "another-secret";

	(void)state;
	assert_same_key(f11, f11_resigned);
	/* call events: reordered and with iat, same call: key */
	assert_same_key(f3, "{\"event_timestamp\":1767261789055,\"iat\":9,"
	    "\"state\":\"hangup\",\"call_id\":5850000000000001}");
	/* through a real re-signing with another key */
	assert_int_equal(jwt_sign_hs256(f11_resigned, sizeof(f11_resigned) - 1,
	    (const unsigned char *)key, sizeof(key) - 1, &tok, &tlen), 0);
	assert_int_equal(jwt_verify(tok, tlen, (const unsigned char *)key,
	    sizeof(key) - 1, 1767283300, &claims, &clen), JWT_OK);
	a = classify(f11);
	assert_int_equal(event_classify(claims, clen, &b), 0);
	assert_string_equal(a.dedupe_key, b.dedupe_key);
	free(tok);
	free(claims);
	/* a real difference changes the key */
	b = classify("{\"event_timestamp\":1767283200000,\"fax_status\":"
	    "\"received\",\"pages\":4,\"widget\":{\"kind\":"
	    "\"not-a-known-dialpad-shape\"}}");
	assert_string_not_equal(a.dedupe_key, b.dedupe_key);
	/* nested iat is content, not a JWT claim */
	b = classify("{\"event_timestamp\":1767283200000,\"fax_status\":"
	    "\"received\",\"pages\":3,\"widget\":{\"kind\":"
	    "\"not-a-known-dialpad-shape\",\"iat\":1}}");
	assert_string_not_equal(a.dedupe_key, b.dedupe_key);
	/* different call states give different keys */
	assert_string_not_equal(classify(f2).dedupe_key,
	    classify(f3).dedupe_key);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_hash_key_value),
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_not_object),
		cmocka_unit_test(test_id_encodings),
		cmocka_unit_test(test_reorder_resign),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
