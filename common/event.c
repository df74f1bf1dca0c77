/*
 * event.c: event type classification and dedupe keys (rules in event.h).
 *
 * Pure functions over validated JSON text; ids are read as exact int64 via
 * the json span API, never through a double.
 */
#include "event.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "json.h"

#define EVENT_TOKEN_MAX	64	/* longest state, status or event_type */

/* Character sets for is_token(). */
enum token_set {
	TOKEN_STATE,	/* [a-z0-9_] */
	TOKEN_TYPE	/* [A-Za-z0-9._-] */
};

static bool
is_token_char(unsigned char c, enum token_set set)
{
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')
		return true;
	if (set == TOKEN_STATE)
		return false;
	return (c >= 'A' && c <= 'Z') || c == '.' || c == '-';
}

/* true if s is 1..EVENT_TOKEN_MAX characters, all from set. */
static bool
is_token(const char *s, enum token_set set)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= EVENT_TOKEN_MAX || !is_token_char((unsigned char)s[i], set))
			return false;
	return i > 0;
}

/* true if member k of o exists and is not null. */
static bool
has(const struct json_index *o, const char *k)
{
	struct json_span	v;

	return json_index_get(o, k, &v) == 0 && !json_span_is_null(&v);
}

/* Unescapes string member k of o into buf. 0, or -1 if absent, not a
 * string or too long for buf. */
static int
get_str(const struct json_index *o, const char *k, char *buf, size_t n)
{
	struct json_span	v;

	if (json_index_get(o, k, &v) == -1)
		return -1;
	return json_span_string(&v, buf, n);
}

/* Reads member k of o as an exact int64. 0 or -1. */
static int
get_int64(const struct json_index *o, const char *k, int64_t *out)
{
	struct json_span	v;

	if (json_index_get(o, k, &v) == -1)
		return -1;
	return json_span_int64(&v, out);
}

/* ASCII case-insensitive equality, independent of the locale. */
static bool
ascii_caseeq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		unsigned char	x = (unsigned char)*a, y = (unsigned char)*b;

		x = x >= 'A' && x <= 'Z' ? (unsigned char)(x + 32) : x;
		y = y >= 'A' && y <= 'Z' ? (unsigned char)(y + 32) : y;
		if (x != y)
			return false;
	}
	return *a == *b;
}

/* Writes the call.<state> type (rule 2) for object o into out. */
static void
type_call(const struct json_index *o, char out[EVENT_TYPE_MAX])
{
	char	state[EVENT_TOKEN_MAX + 1];

	if (get_str(o, "state", state, sizeof(state)) == 0 &&
	    is_token(state, TOKEN_STATE) &&
	    snprintf(out, EVENT_TYPE_MAX, "call.%s", state) < EVENT_TYPE_MAX)
		return;
	strcpy(out, "call.unknown");
}

/* Writes the sms.<direction> type (rule 3) for object o into out. */
static void
type_sms(const struct json_index *o, char out[EVENT_TYPE_MAX])
{
	char	dir[16];

	if (get_str(o, "direction", dir, sizeof(dir)) == 0 &&
	    (strcmp(dir, "inbound") == 0 || strcmp(dir, "outbound") == 0))
		snprintf(out, EVENT_TYPE_MAX, "sms.%s", dir);
	else
		strcpy(out, "sms.unknown");
}

/* Writes the contact.<event> type (rule 6) into out; false if no match. */
static bool
type_contact(const struct json_index *o, char out[EVENT_TYPE_MAX])
{
	static const char *const	names[] = { "created", "updated",
					    "deleted" };
	char				ev[16];
	size_t				i;

	if (!has(o, "contact") || get_str(o, "event", ev, sizeof(ev)) == -1)
		return false;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (ascii_caseeq(ev, names[i])) {
			snprintf(out, EVENT_TYPE_MAX, "contact.%s", names[i]);
			return true;
		}
	}
	return false;
}

/*
 * Writes the event type of object o into out (rules 1-7 of event.h) and
 * sets *from_field when rule 1 (the event_type field) decided it.
 */
static void
classify_type(const struct json_index *o, char out[EVENT_TYPE_MAX],
    bool *from_field)
{
	struct json_span	state;

	*from_field = false;
	if (get_str(o, "event_type", out, EVENT_TYPE_MAX) == 0 &&
	    is_token(out, TOKEN_TYPE)) {
		*from_field = true;
		return;
	}
	if (has(o, "call_id") && json_index_get(o, "state", &state) == 0 &&
	    state.kind == JSON_STRING)
		type_call(o, out);
	else if (has(o, "message_status") ||
	    (has(o, "from_number") && has(o, "to_number")))
		type_sms(o, out);
	else if (has(o, "on_duty_status") || has(o, "availability_status") ||
	    has(o, "call_center_ids"))
		strcpy(out, "agent_status");
	else if (has(o, "action") && has(o, "changed_by"))
		strcpy(out, "change_log");
	else if (!type_contact(o, out))
		strcpy(out, "unknown");
}

/*
 * Writes the call:<call_id>:<state>:<event_timestamp> key into key, or
 * returns -1 when the event does not qualify (see event.h).
 */
static int
key_call(const struct json_index *o, const struct event_info *ei,
    bool from_field, char *key)
{
	char		 state[EVENT_TOKEN_MAX + 1];
	const char	*what;
	int64_t		 id, ts;
	int		 n;

	if (get_int64(o, "call_id", &id) == -1 ||
	    get_int64(o, "event_timestamp", &ts) == -1)
		return -1;
	if (has(o, "state")) {
		if (get_str(o, "state", state, sizeof(state)) == -1 ||
		    !is_token(state, TOKEN_STATE))
			return -1;
		what = state;
	} else if (from_field)
		what = ei->type;
	else
		return -1;
	n = snprintf(key, EVENT_KEY_MAX, "call:%" PRId64 ":%s:%" PRId64,
	    id, what, ts);
	return n > 0 && n < EVENT_KEY_MAX ? 0 : -1;
}

/*
 * Writes the sms:<id>:<message_status>:<event_timestamp> key into key, or
 * returns -1 when the event does not qualify (see event.h).
 */
static int
key_sms(const struct json_index *o, char *key)
{
	char		status[EVENT_TOKEN_MAX + 1];
	int64_t		id, ts;
	size_t		i;
	int		n;

	if (get_int64(o, "id", &id) == -1 ||
	    get_int64(o, "event_timestamp", &ts) == -1 ||
	    get_str(o, "message_status", status, sizeof(status)) == -1 ||
	    status[0] == '\0')
		return -1;
	for (i = 0; status[i] != '\0'; i++)
		if (!is_token_char((unsigned char)status[i], TOKEN_TYPE))
			status[i] = '_';
	n = snprintf(key, EVENT_KEY_MAX, "sms:%" PRId64 ":%s:%" PRId64,
	    id, status, ts);
	return n > 0 && n < EVENT_KEY_MAX ? 0 : -1;
}

/* Writes the h:<hex> content-hash key of json[0..len) into key. 0 or -1. */
static int
key_hash(const char *json, size_t len, char *key)
{
	static const char *const	skip[] = { "iat", "exp", "nbf", "jti",
					    NULL };
	unsigned char			h[crypto_generichash_BYTES];

	if (json_canonical_hash(json, len, skip, h) == -1)
		return -1;
	memcpy(key, "h:", 2);
	sodium_bin2hex(key + 2, EVENT_KEY_MAX - 2, h, sizeof(h));
	return 0;
}

int
event_classify(const char *json, size_t len, struct event_info *out)
{
	struct json_span	root;
	struct json_index	ix;
	bool			from_field;

	if (out == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	if (json_root(json, len, &root) == -1 || root.kind != JSON_OBJECT ||
	    json_index_build(&root, &ix) == -1)
		return -1;
	classify_type(&ix, out->type, &from_field);
	if (key_call(&ix, out, from_field, out->dedupe_key) == 0 ||
	    key_sms(&ix, out->dedupe_key) == 0)
		return 0;
	return key_hash(json, len, out->dedupe_key);
}
