/* batch.c: per-batch handling, grouping and the write statement (see batch.h). */
#include "batch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dispatch.h"
#include "handlers.h"
#include "json.h"
#include "retry.h"

#define ERR_MAX 200

/*
 * The whole write, one round trip. `u` is the batch's merged rows (one per
 * call, sorted by (app_id, call_id), so concurrent processors lock calls in
 * the same order and cannot deadlock on them). The ON CONFLICT rules are
 * callrow.h's merge, written in SQL: max status rank, the state of the
 * greatest (event time, state) pair, LEAST/GREATEST that ignore nulls.
 * Timestamps are epoch milliseconds from the payload.
 *
 * The outer SELECT reads the CTEs in the order they run: the events (already
 * locked by our claim) are marked first and the calls rows, the only locks a
 * concurrent processor can wait on, are taken last, so they are held for the
 * upsert and the commit only.
 */
const char BATCH_WRITE_SQL[] =
    "WITH u AS (SELECT * FROM unnest($1::text[], $2::int8[], $3::int4[], $4::text[], $5::int8[],"
    " $6::int8[], $7::int8[], $8::int8[], $9::int8[], $10::text[], $11::text[], $12::text[],"
    " $13::text[], $14::int8[], $15::text[], $16::int8[], $17::int8[], $18::int8[], $19::text[],"
    " $20::text[]) AS u(app, cid, rnk, st, ts, t_start, t_ans, t_end, dur, dir, ext, inn, ttype,"
    " tid, tname, mcid, ecid, ocid, rec, vm)),"
    " up AS (INSERT INTO calls AS c (app_id, dialpad_call_id, status, state, direction,"
    " external_number, internal_number, target_type, target_id, target_name, master_call_id,"
    " entry_point_call_id, operator_call_id, started_at, answered_at, ended_at, duration_ms,"
    " recording_url, voicemail_url, last_event_at)"
    " SELECT app, cid, (ARRAY['ringing','active','ended'])[NULLIF(rnk, 0)], st, dir, ext, inn,"
    " ttype, tid, tname, mcid, ecid, ocid,"
    " timestamptz 'epoch' + t_start * interval '1 millisecond',"
    " timestamptz 'epoch' + t_ans * interval '1 millisecond',"
    " timestamptz 'epoch' + t_end * interval '1 millisecond', dur, rec, vm,"
    " timestamptz 'epoch' + ts * interval '1 millisecond' FROM u"
    " ON CONFLICT (app_id, dialpad_call_id) DO UPDATE SET"
    " status = (ARRAY['ringing','active','ended'])[GREATEST("
    "array_position(ARRAY['ringing','active','ended'], c.status),"
    " array_position(ARRAY['ringing','active','ended'], EXCLUDED.status))],"
    " state = CASE WHEN c.state IS NULL OR (coalesce(EXCLUDED.last_event_at, '-infinity'),"
    " EXCLUDED.state COLLATE \"C\") > (coalesce(c.last_event_at, '-infinity'), c.state COLLATE \"C\")"
    " THEN coalesce(EXCLUDED.state, c.state) ELSE c.state END,"
    " direction = GREATEST(c.direction COLLATE \"C\", EXCLUDED.direction),"
    " external_number = GREATEST(c.external_number COLLATE \"C\", EXCLUDED.external_number),"
    " internal_number = GREATEST(c.internal_number COLLATE \"C\", EXCLUDED.internal_number),"
    " target_type = GREATEST(c.target_type COLLATE \"C\", EXCLUDED.target_type),"
    " target_id = GREATEST(c.target_id, EXCLUDED.target_id),"
    " target_name = GREATEST(c.target_name COLLATE \"C\", EXCLUDED.target_name),"
    " master_call_id = GREATEST(c.master_call_id, EXCLUDED.master_call_id),"
    " entry_point_call_id = GREATEST(c.entry_point_call_id, EXCLUDED.entry_point_call_id),"
    " operator_call_id = GREATEST(c.operator_call_id, EXCLUDED.operator_call_id),"
    " started_at = LEAST(c.started_at, EXCLUDED.started_at),"
    " answered_at = LEAST(c.answered_at, EXCLUDED.answered_at),"
    " ended_at = GREATEST(c.ended_at, EXCLUDED.ended_at),"
    " duration_ms = GREATEST(c.duration_ms, EXCLUDED.duration_ms),"
    " recording_url = GREATEST(c.recording_url COLLATE \"C\", EXCLUDED.recording_url),"
    " voicemail_url = GREATEST(c.voicemail_url COLLATE \"C\", EXCLUDED.voicemail_url),"
    " last_event_at = GREATEST(c.last_event_at, EXCLUDED.last_event_at),"
    " updated_at = now() RETURNING 1),"
    " done AS (UPDATE webhook_events SET processed_at = now() WHERE id = ANY($21::int8[]) RETURNING 1),"
    " bad AS (UPDATE webhook_events e SET attempts = e.attempts + 1, last_error = f.err,"
    " next_attempt_at = CASE WHEN f.dead THEN NULL ELSE now() + f.delay * interval '1 millisecond' END,"
    " dead_at = CASE WHEN f.dead THEN now() END"
    " FROM unnest($22::int8[], $23::text[], $24::int8[], $25::bool[]) AS f(id, err, delay, dead)"
    " WHERE e.id = f.id RETURNING 1)"
    " SELECT (SELECT count(*) FROM done), (SELECT count(*) FROM bad), (SELECT count(*) FROM up)";

/* Make room for n more bytes in a parameter buffer. */
static void
param_need(struct batch_param *p, size_t n)
{
	if (p->cap - p->len > n)
		return;
	while (p->cap - p->len <= n)
		p->cap = p->cap ? p->cap * 2 : 1024;
	p->p = xreallocarray(p->p, p->cap, 1);
}

static void
param_put(struct batch_param *p, const char *s, size_t n)
{
	param_need(p, n);
	memcpy(p->p + p->len, s, n);
	p->len += n;
	p->p[p->len] = '\0';
}

/* Append the separator before element i of an array literal. */
static void
param_sep(struct batch_param *p, size_t i)
{
	if (i > 0)
		param_put(p, ",", 1);
}

static void
param_i64(struct batch_param *p, size_t i, bool set, int64_t v)
{
	char	 num[24];
	int	 n;

	param_sep(p, i);
	if (!set) {
		param_put(p, "NULL", 4);
		return;
	}
	n = snprintf(num, sizeof(num), "%" PRId64, v);
	param_put(p, num, (size_t)n);
}

/* A text element: double-quoted, with " and \ backslash-escaped; NULL for none. */
static void
param_str(struct batch_param *p, size_t i, const char *s)
{
	param_sep(p, i);
	if (s == NULL) {
		param_put(p, "NULL", 4);
		return;
	}
	param_need(p, strlen(s) * 2 + 2);
	p->p[p->len++] = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			p->p[p->len++] = '\\';
		p->p[p->len++] = *s;
	}
	p->p[p->len++] = '"';
	p->p[p->len] = '\0';
}

static void
param_begin(struct batch_param *p)
{
	p->len = 0;
	param_put(p, "{", 1);
}

void
batch_begin(struct batch *b, size_t nevents, size_t bytes)
{
	if (nevents > b->cap) {
		b->ev = xreallocarray(b->ev, nevents, sizeof(*b->ev));
		b->rows = xreallocarray(b->rows, nevents, sizeof(*b->rows));
		b->cap = nevents;
	}
	b->n = b->nrows = 0;
	b->handled = b->skipped = b->failed = b->dead = 0;
	/* strings of a payload fit in its own length; plus the state, app_id and an error each */
	arena_reset(&b->arena, bytes + nevents * (ERR_MAX + 8));
}

void
batch_fail_event(struct batch_event *ev, const struct batch_policy *pol)
{
	ev->outcome = BATCH_FAILED;
	ev->dead = ev->attempts + 1 >= pol->max_attempts;
	ev->delay_ms = retry_delay_ms(pol->retry_base_ms, pol->retry_max_ms, ev->attempts + 1,
	    randombytes_random());
}

/* Record a failure with its reason. */
static void
batch_failed(struct batch *b, struct batch_event *ev, const struct batch_policy *pol,
    const char *why)
{
	ev->error = arena_strndup(&b->arena, why, strnlen(why, ERR_MAX - 1));
	batch_fail_event(ev, pol);
	b->failed++;
	b->dead += ev->dead;
}

void
batch_add(struct batch *b, const struct batch_policy *pol, int64_t id, const char *app_id,
    const char *event_type, int attempts, const char *payload, size_t payload_len)
{
	struct batch_event		*ev = &b->ev[b->n++];
	const struct dispatch_entry	*d = dispatch_lookup(event_type);
	struct json_span		 root;
	struct handler_input		 in;
	char				 err[ERR_MAX] = "";
	size_t				 ntable;

	*ev = (struct batch_event){ .id = id, .attempts = attempts, .type_index = -1, .skip_index = -1 };
	if (d == NULL) {
		ev->outcome = BATCH_SKIPPED;
		ev->skip_index = dispatch_unhandled_index(event_type);
		b->skipped++;
		return;
	}
	ev->type_index = (int)(d - dispatch_table(&ntable));
	if (json_root(payload, payload_len, &root) == -1) {
		batch_failed(b, ev, pol, "payload is not valid JSON");
		return;
	}
	in = (struct handler_input){ event_type, NULL, &root };
	in.app_id = arena_strndup(&b->arena, app_id, strlen(app_id));
	switch (d->handler(&in, &b->rows[b->nrows], &b->arena, err, sizeof(err))) {
	case HANDLER_OK:
		ev->outcome = BATCH_HANDLED;
		b->nrows++;
		b->handled++;
		break;
	case HANDLER_RETRY:
	case HANDLER_REJECT:
		batch_failed(b, ev, pol, err[0] ? err : "handler failed");
		break;
	}
}

static int
row_qsort_cmp(const void *a, const void *b)
{
	return call_row_cmp(a, b);
}

/* Sort the rows and merge each (app_id, call_id) group into its first row. */
static void
batch_group(struct batch *b)
{
	size_t	 out = 0;

	qsort(b->rows, b->nrows, sizeof(*b->rows), row_qsort_cmp);
	for (size_t i = 0; i < b->nrows; i++) {
		if (out > 0 && call_row_cmp(&b->rows[out - 1], &b->rows[i]) == 0)
			call_row_merge(&b->rows[out - 1], &b->rows[i]);
		else
			b->rows[out++] = b->rows[i];
	}
	b->nrows = out;
}

/* Render $1..$20 from the merged rows. */
static void
batch_render_rows(struct batch *b)
{
	struct batch_param	*p = b->param;

	for (int k = 0; k < 20; k++)
		param_begin(&p[k]);
	for (size_t i = 0; i < b->nrows; i++) {
		const struct call_row *r = &b->rows[i];

		param_str(&p[0], i, r->app_id);
		param_i64(&p[1], i, true, r->call_id);
		param_i64(&p[2], i, true, r->status);
		param_str(&p[3], i, r->state);
		param_i64(&p[4], i, r->event_ts.set, r->event_ts.v);
		param_i64(&p[5], i, r->started_ms.set, r->started_ms.v);
		param_i64(&p[6], i, r->answered_ms.set, r->answered_ms.v);
		param_i64(&p[7], i, r->ended_ms.set, r->ended_ms.v);
		param_i64(&p[8], i, r->duration_ms.set, r->duration_ms.v);
		param_str(&p[9], i, r->direction);
		param_str(&p[10], i, r->external_number);
		param_str(&p[11], i, r->internal_number);
		param_str(&p[12], i, r->target_type);
		param_i64(&p[13], i, r->target_id.set, r->target_id.v);
		param_str(&p[14], i, r->target_name);
		param_i64(&p[15], i, r->master_call_id.set, r->master_call_id.v);
		param_i64(&p[16], i, r->entry_point_call_id.set, r->entry_point_call_id.v);
		param_i64(&p[17], i, r->operator_call_id.set, r->operator_call_id.v);
		param_str(&p[18], i, r->recording_url);
		param_str(&p[19], i, r->voicemail_url);
	}
	for (int k = 0; k < 20; k++)
		param_put(&p[k], "}", 1);
}

/* Render $21 (processed ids) and $22..$25 (failures). */
static void
batch_render_events(struct batch *b)
{
	struct batch_param	*p = b->param;
	size_t			 nd = 0, nf = 0;

	for (int k = 20; k < BATCH_NPARAMS; k++)
		param_begin(&p[k]);
	for (size_t i = 0; i < b->n; i++) {
		const struct batch_event *ev = &b->ev[i];

		if (ev->outcome != BATCH_FAILED) {
			param_i64(&p[20], nd++, true, ev->id);
			continue;
		}
		param_i64(&p[21], nf, true, ev->id);
		param_str(&p[22], nf, ev->error ? ev->error : "failed");
		param_i64(&p[23], nf, true, ev->delay_ms);
		param_sep(&p[24], nf++);
		param_put(&p[24], ev->dead ? "t" : "f", 1);
	}
	for (int k = 20; k < BATCH_NPARAMS; k++)
		param_put(&p[k], "}", 1);
}

void
batch_finish(struct batch *b)
{
	batch_group(b);
	batch_render_rows(b);
	batch_render_events(b);
	for (int k = 0; k < BATCH_NPARAMS; k++)
		b->values[k] = b->param[k].p;
}

const char *
batch_ids_literal(struct batch_param *p, const int64_t *ids, size_t n)
{
	param_begin(p);
	for (size_t i = 0; i < n; i++)
		param_i64(p, i, true, ids[i]);
	param_put(p, "}", 1);
	return p->p;
}

void
batch_free(struct batch *b)
{
	free(b->ev);
	free(b->rows);
	arena_free(&b->arena);
	for (int k = 0; k < BATCH_NPARAMS; k++)
		free(b->param[k].p);
	memset(b, 0, sizeof(*b));
}
