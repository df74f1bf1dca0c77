/* handlers.c: payload extraction for the call event families (see handlers.h). */
#include "handlers.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/*
 * The top-level members the handlers read, found with one pass over the
 * payload (json_index_build): json_member() rescans the whole object per
 * lookup, and a handler reads about twenty members of a ~45-member payload.
 * Same semantics as json_member(): the last duplicate wins and escaped names
 * match. Requires text that passed json_validate().
 */
enum pf_key {
	PF_CALL_ID,
	PF_STATE,
	PF_EVENT_TIMESTAMP,
	PF_DATE_STARTED,
	PF_DATE_CONNECTED,
	PF_DATE_ENDED,
	PF_DURATION,
	PF_DIRECTION,
	PF_EXTERNAL_NUMBER,
	PF_INTERNAL_NUMBER,
	PF_TARGET,
	PF_MASTER_CALL_ID,
	PF_ENTRY_POINT_CALL_ID,
	PF_OPERATOR_CALL_ID,
	PF_RECORDING_DETAILS,
	PF_RECORDING_URL,
	PF_VOICEMAIL_LINK,
	PF_NKEYS
};

struct payload_fields {
	struct json_span	v[PF_NKEYS];
	bool			has[PF_NKEYS];
};

static const char *const pf_names[PF_NKEYS] = {
	"call_id", "state", "event_timestamp", "date_started", "date_connected", "date_ended",
	"duration", "direction", "external_number", "internal_number", "target", "master_call_id",
	"entry_point_call_id", "operator_call_id", "recording_details", "recording_url",
	"voicemail_link",
};

static const char *
pf_name(enum pf_key k)
{
	return pf_names[k];
}

static int
payload_fields_scan(const struct json_span *obj, struct payload_fields *out)
{
	struct json_index	ix;

	memset(out, 0, sizeof(*out));
	if (json_index_build(obj, &ix) == -1)
		return -1;
	for (int k = 0; k < PF_NKEYS; k++)
		out->has[k] = json_index_get(&ix, pf_names[k], &out->v[k]) == 0;
	return 0;
}

/* A sane bound on a duration in ms (about 31 years); beyond it the value is junk. */
#define DURATION_MAX_MS 1e12

/*
 * Look up an optional member: 1 present and non-null (in *v), 0 absent or
 * null, never an error.
 */
static int
member(const struct json_span *obj, const char *key, struct json_span *v)
{
	if (json_member(obj, key, v) == -1 || json_span_is_null(v))
		return 0;
	return 1;
}

static enum handler_result
wrong_type(const char *key, char *err, size_t errlen)
{
	snprintf(err, errlen, "field %s has the wrong type", key);
	return HANDLER_REJECT;
}

/* Optional int64 member (number or digit string). 0 or -1 (wrong type, err set). */
static int
get_i64(const struct json_span *obj, const char *key, struct opt_i64 *out, char *err, size_t errlen)
{
	struct json_span	v;

	if (!member(obj, key, &v))
		return 0;
	if (json_span_int64(&v, &out->v) == -1)
		return wrong_type(key, err, errlen), -1;
	out->set = true;
	return 0;
}

/*
 * Unescape the string *v into the arena; an empty string gives NULL.
 * 0 or -1 (not a string, bad escape, arena exhausted; err set).
 */
static int
span_str(const struct json_span *v, const char *key, struct arena *a, const char **out,
    char *err, size_t errlen)
{
	char	*p;
	size_t	 start = a->len;

	if (v->kind != JSON_STRING)
		return wrong_type(key, err, errlen), -1;
	if ((p = arena_alloc(a, v->len)) == NULL || json_span_string(v, p, v->len) == -1) {
		a->len = start;
		snprintf(err, errlen, "field %s could not be read", key);
		return -1;
	}
	a->len = start + strlen(p) + 1;		/* give back what unescaping did not use */
	*out = p[0] != '\0' ? p : NULL;
	return 0;
}

/* Optional string member; as span_str, absent or null leaves *out unchanged. */
static int
get_str(const struct json_span *obj, const char *key, struct arena *a, const char **out,
    char *err, size_t errlen)
{
	struct json_span	v;

	if (!member(obj, key, &v))
		return 0;
	return span_str(&v, key, a, out, err, errlen);
}

/* A top-level member: 1 present and non-null (in *v), else 0. */
static int
fmember(const struct payload_fields *f, enum pf_key k, struct json_span *v)
{
	if (!f->has[k] || json_span_is_null(&f->v[k]))
		return 0;
	*v = f->v[k];
	return 1;
}

/* Optional top-level int64. 0 or -1 (wrong type, err set). */
static int
fget_i64(const struct payload_fields *f, enum pf_key k, struct opt_i64 *out, char *err, size_t errlen)
{
	struct json_span	v;

	if (!fmember(f, k, &v))
		return 0;
	if (json_span_int64(&v, &out->v) == -1)
		return wrong_type(pf_name(k), err, errlen), -1;
	out->set = true;
	return 0;
}

/* Optional top-level string (empty gives NULL). 0 or -1. */
static int
fget_str(const struct payload_fields *f, enum pf_key k, struct arena *a, const char **out,
    char *err, size_t errlen)
{
	struct json_span	v;

	if (!fmember(f, k, &v))
		return 0;
	return span_str(&v, pf_name(k), a, out, err, errlen);
}

/* duration: a JSON number of ms (fractions allowed), stored rounded. 0 or -1. */
static int
get_duration(const struct payload_fields *f, struct opt_i64 *out, char *err, size_t errlen)
{
	struct json_span	v;
	double			d;

	if (!fmember(f, PF_DURATION, &v))
		return 0;
	if (json_span_double(&v, &d) == -1 || !(d >= 0 && d <= DURATION_MAX_MS))
		return wrong_type("duration", err, errlen), -1;
	out->set = true;
	out->v = llround(d);
	return 0;
}

/* target {type, id, name}: an object (possibly empty). 0 or -1. */
static int
get_target(const struct payload_fields *f, struct call_row *row, struct arena *a, char *err,
    size_t errlen)
{
	struct json_span	t;

	if (!fmember(f, PF_TARGET, &t))
		return 0;
	if (t.kind != JSON_OBJECT)
		return wrong_type("target", err, errlen), -1;
	if (get_str(&t, "type", a, &row->target_type, err, errlen) == -1 ||
	    get_i64(&t, "id", &row->target_id, err, errlen) == -1 ||
	    get_str(&t, "name", a, &row->target_name, err, errlen) == -1)
		return -1;
	return 0;
}

/*
 * recording_details[]: the greatest url of the items whose recording_type is
 * voicemail goes to *vm, of the others to *rec (deterministic with several).
 */
static int
get_recordings(const struct payload_fields *f, struct arena *a, const char **rec, const char **vm,
    char *err, size_t errlen)
{
	struct json_span	arr, item, type;
	size_t			cur = 0;
	const char		*url;

	if (!fmember(f, PF_RECORDING_DETAILS, &arr))
		return 0;
	if (arr.kind != JSON_ARRAY)
		return wrong_type("recording_details", err, errlen), -1;
	while (json_array_next(&arr, &cur, &item) == 0) {
		url = NULL;
		if (item.kind != JSON_OBJECT)
			return wrong_type("recording_details", err, errlen), -1;
		if (get_str(&item, "url", a, &url, err, errlen) == -1)
			return -1;
		if (url == NULL)
			continue;
		bool is_vm = member(&item, "recording_type", &type) && type.kind == JSON_STRING &&
		    type.len == sizeof("\"voicemail\"") - 1 && memcmp(type.p, "\"voicemail\"", type.len) == 0;
		const char **dst = is_vm ? vm : rec;
		if (*dst == NULL || strcmp(url, *dst) > 0)
			*dst = url;
	}
	return 0;
}

/* state: the payload's string, else the type without its "call." prefix. */
static int
get_state(const struct handler_input *in, const struct payload_fields *f, struct call_row *row,
    struct arena *a, char *err, size_t errlen)
{
	const char	*t = in->event_type;

	if (fget_str(f, PF_STATE, a, &row->state, err, errlen) == -1)
		return -1;
	if (row->state != NULL)
		return 0;
	if (strncmp(t, "call.", 5) == 0)
		t += 5;
	if ((row->state = arena_strndup(a, t, strlen(t))) == NULL) {
		snprintf(err, errlen, "out of room for the state");
		return -1;
	}
	return 0;
}

/*
 * The part every handler shares (see handlers.h); *f receives the payload's
 * top-level members for the handler's own fields.
 */
static enum handler_result
extract_common(const struct handler_input *in, struct payload_fields *f, struct call_row *row,
    struct arena *a, char *err, size_t errlen)
{
	struct opt_i64		 id = { false, 0 };

	memset(row, 0, sizeof(*row));
	row->app_id = in->app_id;
	if (payload_fields_scan(in->payload, f) == -1) {
		snprintf(err, errlen, "payload is not a JSON object");
		return HANDLER_REJECT;
	}
	if (fget_i64(f, PF_CALL_ID, &id, err, errlen) == -1 || !id.set) {
		snprintf(err, errlen, "no usable call_id");
		return HANDLER_REJECT;
	}
	row->call_id = id.v;
	if (get_state(in, f, row, a, err, errlen) == -1 ||
	    fget_i64(f, PF_EVENT_TIMESTAMP, &row->event_ts, err, errlen) == -1 ||
	    fget_i64(f, PF_DATE_STARTED, &row->started_ms, err, errlen) == -1 ||
	    fget_i64(f, PF_DATE_CONNECTED, &row->answered_ms, err, errlen) == -1 ||
	    fget_i64(f, PF_DATE_ENDED, &row->ended_ms, err, errlen) == -1 ||
	    get_duration(f, &row->duration_ms, err, errlen) == -1 ||
	    fget_str(f, PF_DIRECTION, a, &row->direction, err, errlen) == -1 ||
	    fget_str(f, PF_EXTERNAL_NUMBER, a, &row->external_number, err, errlen) == -1 ||
	    fget_str(f, PF_INTERNAL_NUMBER, a, &row->internal_number, err, errlen) == -1 ||
	    get_target(f, row, a, err, errlen) == -1 ||
	    fget_i64(f, PF_MASTER_CALL_ID, &row->master_call_id, err, errlen) == -1 ||
	    fget_i64(f, PF_ENTRY_POINT_CALL_ID, &row->entry_point_call_id, err, errlen) == -1 ||
	    fget_i64(f, PF_OPERATOR_CALL_ID, &row->operator_call_id, err, errlen) == -1 ||
	    get_recordings(f, a, &row->recording_url, &row->voicemail_url, err, errlen) == -1)
		return HANDLER_REJECT;
	if (row->answered_ms.set)
		row->status = CALL_STATUS_ACTIVE;
	if (row->ended_ms.set)
		row->status = CALL_STATUS_ENDED;
	return HANDLER_OK;
}

/* Raise the row's status to at least s. */
static void
at_least(struct call_row *row, int s)
{
	if (row->status < s)
		row->status = s;
}

/* Extract what the event carries, then raise the status to at least s. */
static enum handler_result
handle_status(const struct handler_input *in, struct call_row *row, struct arena *a, char *err,
    size_t errlen, enum call_status s)
{
	struct payload_fields	 f;
	enum handler_result	 r = extract_common(in, &f, row, a, err, errlen);

	if (r == HANDLER_OK)
		at_least(row, s);
	return r;
}

enum handler_result
handle_ringing(const struct handler_input *in, struct call_row *row, struct arena *a, char *err,
    size_t errlen)
{
	return handle_status(in, row, a, err, errlen, CALL_STATUS_RINGING);
}

/* Also the original design's call.started: the call is up. */
enum handler_result
handle_active(const struct handler_input *in, struct call_row *row, struct arena *a, char *err,
    size_t errlen)
{
	return handle_status(in, row, a, err, errlen, CALL_STATUS_ACTIVE);
}

enum handler_result
handle_ended(const struct handler_input *in, struct call_row *row, struct arena *a, char *err,
    size_t errlen)
{
	return handle_status(in, row, a, err, errlen, CALL_STATUS_ENDED);
}

/* Recordings change no status; the original design's event may carry a plain recording_url. */
enum handler_result
handle_recording(const struct handler_input *in, struct call_row *row, struct arena *a, char *err,
    size_t errlen)
{
	struct payload_fields	 f;
	enum handler_result	 r = extract_common(in, &f, row, a, err, errlen);
	const char		*url = NULL;

	if (r != HANDLER_OK)
		return r;
	if (fget_str(&f, PF_RECORDING_URL, a, &url, err, errlen) == -1)
		return HANDLER_REJECT;
	if (url != NULL && (row->recording_url == NULL || strcmp(url, row->recording_url) > 0))
		row->recording_url = url;
	return HANDLER_OK;
}

/* voicemail_url: the greater of voicemail_link and any voicemail item of recording_details. */
enum handler_result
handle_voicemail_uploaded(const struct handler_input *in, struct call_row *row, struct arena *a,
    char *err, size_t errlen)
{
	struct payload_fields	 f;
	enum handler_result	 r = extract_common(in, &f, row, a, err, errlen);
	const char		*url = NULL;

	if (r != HANDLER_OK)
		return r;
	if (fget_str(&f, PF_VOICEMAIL_LINK, a, &url, err, errlen) == -1)
		return HANDLER_REJECT;
	if (url != NULL && (row->voicemail_url == NULL || strcmp(url, row->voicemail_url) > 0))
		row->voicemail_url = url;
	return HANDLER_OK;
}
