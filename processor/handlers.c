/* handlers.c: extraction of call events, driven by the column table (see handlers.h). */
#include "handlers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pgarray.h"
#include "util.h"

/* A sane bound on a duration in ms (about 31 years); beyond it the value is junk. */
#define DURATION_MAX_MS 1e12

/* Payload members that are not (only) one column's path. */
static const struct {
	const char	*name;
	int		 field;
} special_fields[] = {
	{ "call_id", PF_CALL_ID },
	{ "state", PF_STATE },
	{ "target", PF_TARGET },
	{ "contact", PF_CONTACT },
	{ "recording_details", PF_RECORDING_DETAILS },
	{ "recording_url", PF_RECORDING_URL },
	{ "voicemail_link", PF_VOICEMAIL_LINK },
};

const char *
payload_field_name(int f)
{
	if (f >= 0 && f < CC_N)
		return call_columns[f].path[0] != '\0' ? call_columns[f].path : NULL;
	for (size_t i = 0; i < DH_ARRAY_LEN(special_fields); i++)
		if (special_fields[i].field == f)
			return special_fields[i].name;
	return NULL;
}

/* ---------------------------------------------------------------- the payload map */

/* Order keys by length, then bytes: a lookup compares lengths first. */
static int
key_cmp(const void *x, const void *y)
{
	const struct payload_key *a = x, *b = y;

	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->name, b->name, a->len);
}

/* Append a key; -1 if the map is full (err set). */
static int
map_add(struct payload_key *keys, size_t *n, const char *name, size_t len, int field, char *err,
    size_t errlen)
{
	if (*n == PAYLOAD_MAP_MAX) {
		util_set_err(err, errlen, "more than %d payload fields in one object", PAYLOAD_MAP_MAX);
		return -1;
	}
	keys[(*n)++] = (struct payload_key){ name, len, field };
	return 0;
}

/* Sort keys; -1 on a duplicate name. */
static int
map_sort(struct payload_key *keys, size_t n, char *err, size_t errlen)
{
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (size_t i = 1; i < n; i++)
		if (key_cmp(&keys[i - 1], &keys[i]) == 0) {
			util_set_err(err, errlen, "payload field %.*s is read twice", (int)keys[i].len,
			    keys[i].name);
			return -1;
		}
	return 0;
}

/* Add column k's path "obj.member" to the map of obj; -1 for an unknown object. */
static int
map_add_nested(struct payload_map *m, int k, const char *dot, char *err, size_t errlen)
{
	const struct call_column	*c = &call_columns[k];
	size_t				 objlen = (size_t)(dot - c->path);
	size_t				 sublen = c->pathlen - objlen - 1;

	if (objlen == 6 && memcmp(c->path, "target", 6) == 0)
		return map_add(m->target, &m->ntarget, dot + 1, sublen, k, err, errlen);
	if (objlen == 7 && memcmp(c->path, "contact", 7) == 0)
		return map_add(m->contact, &m->ncontact, dot + 1, sublen, k, err, errlen);
	util_set_err(err, errlen, "column %s reads an object handlers.c does not know (%s)", c->name,
	    c->path);
	return -1;
}

int
payload_map_init(struct payload_map *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < DH_ARRAY_LEN(special_fields); i++)
		if (map_add(m->top, &m->ntop, special_fields[i].name, strlen(special_fields[i].name),
		    special_fields[i].field, err, errlen) != 0)
			return -1;
	for (int k = 0; k < CC_N; k++) {
		const struct call_column	*c = &call_columns[k];
		const char			*dot = strchr(c->path, '.');

		if (c->path[0] == '\0')
			continue;
		if (dot == NULL ? map_add(m->top, &m->ntop, c->path, c->pathlen, k, err, errlen) != 0 :
		    map_add_nested(m, k, dot, err, errlen) != 0)
			return -1;
	}
	if (map_sort(m->top, m->ntop, err, errlen) != 0 ||
	    map_sort(m->target, m->ntarget, err, errlen) != 0 ||
	    map_sort(m->contact, m->ncontact, err, errlen) != 0)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- scanning */

/* The spans of the fields one event carries (p == NULL: absent), by field. */
struct payload_spans {
	struct json_span	 v[PF_N];
};

/* The entry for the member name k (a string span), or NULL. */
static const struct payload_key *
map_lookup(const struct payload_key *keys, size_t n, const struct json_span *k)
{
	char			 buf[80];
	struct payload_key	 want = { k->p + 1, k->len - 2, 0 };

	if (memchr(k->p, '\\', k->len) != NULL) {	/* an escaped name: compare it unescaped */
		if (k->len > sizeof(buf) || json_span_string(k, buf, sizeof(buf)) == -1)
			return NULL;
		want = (struct payload_key){ buf, strlen(buf), 0 };
	}
	return bsearch(&want, keys, n, sizeof(*keys), key_cmp);
}

/*
 * Record the spans of obj's members that keys name, in one pass; a later
 * duplicate replaces an earlier one (json_member's "last wins").
 */
static void
scan_object(const struct json_span *obj, const struct payload_key *keys, size_t n, struct payload_spans *s)
{
	struct json_span		 k, v;
	const struct payload_key	*pk;
	size_t				 cur = 0;

	while (json_object_next(obj, &cur, &k, &v) == 0)
		if ((pk = map_lookup(keys, n, &k)) != NULL)
			s->v[pk->field] = v;
}

/* true if field f is present and not null; its span in *v. */
static bool
present(const struct payload_spans *s, int f, struct json_span *v)
{
	if (s->v[f].p == NULL || json_span_is_null(&s->v[f]))
		return false;
	*v = s->v[f];
	return true;
}

/* ---------------------------------------------------------------- values by type */

/*
 * Unescape the string *v into the arena: 0 (*out NULL for ""), or -1 (not a
 * string, or out of room).
 */
static int
parse_text(const struct json_span *v, struct arena *a, const char **out)
{
	char	*p;
	size_t	 start = a->len;

	if (v->kind != JSON_STRING)
		return -1;
	if ((p = arena_alloc(a, v->len)) == NULL || json_span_string(v, p, v->len) == -1) {
		a->len = start;
		return -1;
	}
	a->len = start + strlen(p) + 1;		/* give back what unescaping did not use */
	*out = p[0] != '\0' ? p : NULL;
	return 0;
}

/* Append s to buf at o as one element of an array literal, exactly as array_out writes it. */
static size_t
label_put(char *buf, size_t o, const char *s)
{
	bool	 quote = s[0] == '\0' || strcasecmp(s, "NULL") == 0;

	for (const char *p = s; *p && !quote; p++)
		quote = strchr("\"\\{},  \t\n\r\v\f", *p) != NULL;
	if (quote)
		buf[o++] = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf[o++] = '\\';
		buf[o++] = *s;
	}
	if (quote)
		buf[o++] = '"';
	return o;
}

/* labels: an array of strings as the canonical text[] literal; 0 or -1. */
static int
parse_labels(const struct json_span *v, struct arena *a, const char **out)
{
	size_t			 start = a->len, cur = 0, o = 0;
	struct json_span	 e;
	char			*buf, *tmp;

	if (v->kind != JSON_ARRAY)
		return -1;
	/* quoting at most doubles an element; its unescaped text fits in the span */
	if ((buf = arena_alloc(a, 2 * v->len + 3)) == NULL || (tmp = arena_alloc(a, v->len + 1)) == NULL)
		goto fail;
	buf[o++] = '{';
	while (json_array_next(v, &cur, &e) == 0) {
		if (e.kind != JSON_STRING || json_span_string(&e, tmp, v->len + 1) == -1)
			goto fail;
		if (o > 1)
			buf[o++] = ',';
		o = label_put(buf, o, tmp);
	}
	buf[o++] = '}';
	buf[o] = '\0';
	a->len = start + o + 1;
	*out = buf;
	return 0;
fail:
	a->len = start;
	return -1;
}

/* An epoch-ms timestamp PostgreSQL's timestamptz can hold; 0 or -1. */
static int
parse_ts(const struct json_span *v, int64_t *out)
{
	int64_t	 us;

	if (json_span_int64(v, out) == -1 || pgarray_timestamptz_from_ms(*out, &us) == -1)
		return -1;
	return 0;
}

/* Milliseconds as a JSON number (fractions rounded) within 0 .. DURATION_MAX_MS; 0 or -1. */
static int
parse_ms(const struct json_span *v, int64_t *out)
{
	double	 d;

	if (json_span_double(v, &d) == -1 || !(d >= 0 && d <= DURATION_MAX_MS))
		return -1;
	*out = llround(d);
	return 0;
}

/* Parse *v as a value of type t into *val (val->set false for "" text); 0 or -1 (wrong type). */
static int
parse_value(enum call_col_type t, const struct json_span *v, struct arena *a, struct call_value *val)
{
	int	 rc = 0;

	val->set = true;
	switch (t) {
	case CT_TEXTNUM:
		if (v->kind == JSON_NUMBER) {
			val->set = (val->s = arena_strndup(a, v->p, v->len)) != NULL;
			return val->set ? 0 : -1;
		}
		/* FALLTHROUGH */
	case CT_TEXT:
		rc = parse_text(v, a, &val->s);
		val->set = rc == 0 && val->s != NULL;
		return rc;
	case CT_INT8:
		rc = json_span_int64(v, &val->i);
		break;
	case CT_TS:
		rc = parse_ts(v, &val->i);
		break;
	case CT_MS:
		rc = parse_ms(v, &val->i);
		break;
	case CT_BOOL:
		rc = v->kind == JSON_BOOL ? 0 : -1;
		val->i = v->p[0] == 't';
		break;
	case CT_FLOAT8:
		rc = json_span_double(v, &val->f);
		if (val->f == 0)
			val->f = 0;	/* -0 and 0 compare equal: keep one of them */
		break;
	case CT_JSON:
		rc = (val->s = arena_strndup(a, v->p, v->len)) != NULL ? 0 : -1;
		break;
	case CT_LABELS:
		rc = parse_labels(v, a, &val->s);
		break;
	case CT_STATUS:
		rc = -1;
		break;
	}
	if (rc != 0)
		val->set = false;
	return rc;
}

/* ---------------------------------------------------------------- recordings */

static bool
is_voicemail(const char *recording_type)
{
	return recording_type != NULL && strcmp(recording_type, "voicemail") == 0;
}

/* Keep the greater of a URL column's value and url. */
static void
url_max(struct call_row *row, int k, const char *url)
{
	if (!row->col[k].set || strcmp(url, row->col[k].s) > 0)
		row->col[k] = (struct call_value){ .set = true, .s = url };
}

/*
 * The longest recording URL kept. call_recordings is unique on (app_id,
 * dialpad_call_id, url), and a B-tree entry must fit in a third of a page
 * (about 2.7 kB): a longer URL would make PostgreSQL refuse the whole
 * write, and the event would end dead. So it is a field error instead.
 */
#define RECORDING_URL_MAX 2048

/*
 * Append one recording of the event's leg (from payload field pf) and raise
 * recording_url or voicemail_url; a URL over RECORDING_URL_MAX is a field error.
 */
static void
add_recording(struct handler_output *out, enum payload_field pf, struct call_recording r)
{
	struct call_row	*row = out->row;

	if (strlen(r.url) > RECORDING_URL_MAX) {
		out->field_errors[pf]++;
		return;
	}
	if (out->nrecs == out->caprecs) {
		out->caprecs = out->caprecs ? out->caprecs * 2 : 64;
		out->recs = xreallocarray(out->recs, out->caprecs, sizeof(*out->recs));
	}
	r.app_id = row->app_id;
	r.call_id = row->call_id;
	out->recs[out->nrecs++] = r;
	url_max(row, is_voicemail(r.recording_type) ? CC_voicemail_url : CC_recording_url, r.url);
}

/* Read an optional member of a recording_details item as type t; counts a wrong type. */
static void
item_value(const struct json_span *item, const char *key, enum call_col_type t, struct arena *a,
    struct call_value *val, struct handler_output *out)
{
	struct json_span	 v;

	*val = (struct call_value){ .set = false };
	if (json_member(item, key, &v) == -1 || json_span_is_null(&v))
		return;
	if (parse_value(t, &v, a, val) != 0)
		out->field_errors[PF_RECORDING_DETAILS]++;
}

/* One recording_details[] item: a recording if it has a non-empty url. */
static void
recording_item(const struct json_span *item, struct arena *a, struct handler_output *out)
{
	struct call_value	 url, id, type, dur, start;

	if (item->kind != JSON_OBJECT) {
		out->field_errors[PF_RECORDING_DETAILS]++;
		return;
	}
	item_value(item, "url", CT_TEXT, a, &url, out);
	if (!url.set)
		return;
	item_value(item, "id", CT_TEXTNUM, a, &id, out);
	item_value(item, "recording_type", CT_TEXT, a, &type, out);
	item_value(item, "duration", CT_MS, a, &dur, out);
	item_value(item, "start_time", CT_TS, a, &start, out);
	add_recording(out, PF_RECORDING_DETAILS, (struct call_recording){ .url = url.s,
	    .recording_id = id.set ? id.s : NULL,
	    .recording_type = type.set ? type.s : NULL, .duration_ms = { dur.set, dur.i },
	    .started_ms = { start.set, start.i } });
}

/* recording_url: a string or an array of strings, each an untyped recording. */
static void
recording_urls(const struct json_span *v, struct arena *a, struct handler_output *out)
{
	struct json_span	 e;
	struct call_value	 url;
	size_t			 cur = 0;

	if (v->kind != JSON_ARRAY) {
		if (parse_value(CT_TEXT, v, a, &url) != 0)
			out->field_errors[PF_RECORDING_URL]++;
		else if (url.set)
			add_recording(out, PF_RECORDING_URL, (struct call_recording){ .url = url.s });
		return;
	}
	while (json_array_next(v, &cur, &e) == 0) {
		if (parse_value(CT_TEXT, &e, a, &url) != 0)
			out->field_errors[PF_RECORDING_URL]++;
		else if (url.set)
			add_recording(out, PF_RECORDING_URL, (struct call_recording){ .url = url.s });
	}
}

/* Every recording the event describes (recording_details[], voicemail_link, recording_url). */
static void
get_recordings(const struct payload_spans *s, struct arena *a, struct handler_output *out)
{
	struct json_span	 v, item;
	struct call_value	 link;
	size_t			 cur = 0;

	if (present(s, PF_RECORDING_DETAILS, &v)) {
		if (v.kind != JSON_ARRAY)
			out->field_errors[PF_RECORDING_DETAILS]++;
		while (json_array_next(&v, &cur, &item) == 0)
			recording_item(&item, a, out);
	}
	if (present(s, PF_VOICEMAIL_LINK, &v)) {
		if (parse_value(CT_TEXT, &v, a, &link) != 0)
			out->field_errors[PF_VOICEMAIL_LINK]++;
		else if (link.set)
			add_recording(out, PF_VOICEMAIL_LINK, (struct call_recording){ .url = link.s,
			    .recording_type = "voicemail" });
	}
	if (present(s, PF_RECORDING_URL, &v))
		recording_urls(&v, a, out);
}

/* ---------------------------------------------------------------- the handler */

/* Every column with a payload path, parsed by its type; target and contact scanned first. */
static void
get_columns(const struct handler_input *in, struct payload_spans *s, struct arena *a,
    struct handler_output *out)
{
	struct json_span	 v;

	if (present(s, PF_TARGET, &v)) {
		if (v.kind == JSON_OBJECT)
			scan_object(&v, in->map->target, in->map->ntarget, s);
		else
			out->field_errors[PF_TARGET]++;
	}
	if (present(s, PF_CONTACT, &v)) {
		if (v.kind == JSON_OBJECT)
			scan_object(&v, in->map->contact, in->map->ncontact, s);
		else
			out->field_errors[PF_CONTACT]++;
	}
	for (int k = 0; k < CC_N; k++)
		if (call_columns[k].path[0] != '\0' && present(s, k, &v) &&
		    parse_value(call_columns[k].type, &v, a, &out->row->col[k]) != 0)
			out->field_errors[k]++;
}

/* A live event's state: the payload's string, else the type without "call.". */
static void
get_state(const struct handler_input *in, const struct payload_spans *s, struct arena *a,
    struct handler_output *out)
{
	struct json_span	 v;
	struct call_value	*st = &out->row->col[CC_state];
	const char		*t = in->event_type;

	if (present(s, PF_STATE, &v) && parse_value(CT_TEXT, &v, a, st) != 0)
		out->field_errors[PF_STATE]++;
	if (st->set)
		return;
	if (strncmp(t, "call.", 5) == 0)
		t += 5;
	st->s = arena_strndup(a, t, strlen(t));
	st->set = st->s != NULL;
}

/* status, the seen facts and the NEWEST provenance, from what was extracted. */
static void
derive(const struct handler_input *in, struct call_row *row)
{
	struct call_value	*c = row->col;
	int64_t			 rank = in->klass;

	if (c[CC_answered_at].set && rank < CALL_STATUS_ACTIVE)
		rank = CALL_STATUS_ACTIVE;
	if (c[CC_ended_at].set)
		rank = CALL_STATUS_ENDED;
	c[CC_status] = (struct call_value){ .set = rank > 0, .i = rank };
	c[CC_seen_blocked] = (struct call_value){ .set = true, .i = (in->flags & CALL_SEEN_BLOCKED) != 0 };
	c[CC_seen_voicemail] = (struct call_value){ .set = true,
	    .i = (in->flags & CALL_SEEN_VOICEMAIL) != 0 };
	for (int k = 0; k < CC_N; k++)
		if (call_columns[k].rule == MR_NEWEST && c[k].set)
			row->at[k] = (struct opt_i64){ c[CC_last_event_at].set, c[CC_last_event_at].i };
	call_row_outcome(row);
}

enum handler_result
handle_call(const struct handler_input *in, struct handler_output *out, struct arena *a, char *err,
    size_t errlen)
{
	struct payload_spans	 s;
	struct call_row		*row = out->row;
	struct json_span	 v;

	memset(row, 0, sizeof(*row));
	memset(&s, 0, sizeof(s));
	row->app_id = in->app_id;
	if (in->payload->kind != JSON_OBJECT) {
		snprintf(err, errlen, "payload is not a JSON object");
		return HANDLER_REJECT;
	}
	scan_object(in->payload, in->map->top, in->map->ntop, &s);
	if (!present(&s, PF_CALL_ID, &v) || json_span_int64(&v, &row->call_id) == -1) {
		snprintf(err, errlen, "no usable call_id");
		return HANDLER_REJECT;
	}
	get_columns(in, &s, a, out);
	if (in->klass != CALL_CLASS_POSTCALL)
		get_state(in, &s, a, out);
	get_recordings(&s, a, out);
	derive(in, row);
	return HANDLER_OK;
}
