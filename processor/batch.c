/* batch.c: per-batch handling, grouping, rendering and the write statement (see batch.h). */
#include "batch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dispatch.h"
#include "json.h"
#include "backoff.h"

#define ERR_MAX 200

/* Below every real event_timestamp: "no timestamp" in the NEWEST order (columns.h). */
#define NO_TS_SQL "-9223372036854775807"

static const char *const status_names[] = { NULL, "ringing", "active", "ended" };

/* ---------------------------------------------------------------- the statement */

/* The SQL type of column k's parameter (labels travel as their text[] literal). */
static const char *
param_sqltype(int k)
{
	return call_columns[k].type == CT_LABELS ? "text" : call_col_sqltype(call_columns[k].type);
}

/* What a NEWEST tie compares: text in byte order, json and labels as their text, numbers as numbers. */
static const char *
tie_cast(enum call_col_type t)
{
	switch (t) {
	case CT_TEXT:
	case CT_TEXTNUM:
		return " COLLATE \"C\"";
	case CT_JSON:
	case CT_LABELS:
		return "::text COLLATE \"C\"";
	default:
		return "";
	}
}

/* The condition under which the new (EXCLUDED) value of NEWEST column k replaces the row's (c). */
static void
sql_newer(FILE *f, int k)
{
	const char	*n = call_columns[k].name, *t = tie_cast(call_columns[k].type);

	fprintf(f, "(EXCLUDED.%s IS NOT NULL AND (c.%s IS NULL OR (coalesce(EXCLUDED.%s_event_ms, "
	    NO_TS_SQL "), EXCLUDED.%s%s) > (coalesce(c.%s_event_ms, " NO_TS_SQL "), c.%s%s)))",
	    n, n, n, n, t, n, n, t);
}

/* outcome from the merged facts (callrow.h), as the row will be after the update. */
static const char sql_outcome[] =
    "CASE WHEN 'ended' IN (c.status, EXCLUDED.status) THEN CASE"
    " WHEN c.seen_blocked OR EXCLUDED.seen_blocked THEN 'blocked'"
    " WHEN c.answered_at IS NOT NULL OR EXCLUDED.answered_at IS NOT NULL THEN 'answered'"
    " WHEN c.seen_voicemail OR EXCLUDED.seen_voicemail OR c.voicemail_url IS NOT NULL"
    " OR EXCLUDED.voicemail_url IS NOT NULL THEN 'voicemail' ELSE 'missed' END END";

#define RANKS "ARRAY['ringing','active','ended']"

/* "name = <column k's merge rule in SQL>" for the ON CONFLICT clause. */
static void
sql_merge(FILE *f, int k)
{
	const struct call_column	*c = &call_columns[k];
	bool				 text = c->type == CT_TEXT || c->type == CT_TEXTNUM;
	const char			*coll = text ? " COLLATE \"C\"" : "";

	fprintf(f, "%s = ", c->name);
	switch (c->rule) {
	case MR_RANK:
		fprintf(f, "(" RANKS ")[GREATEST(array_position(" RANKS ", c.%s), array_position(" RANKS
		    ", EXCLUDED.%s))]", c->name, c->name);
		break;
	case MR_GREATEST:
	case MR_OR:
		fprintf(f, "GREATEST(c.%s%s, EXCLUDED.%s)", c->name, coll, c->name);
		break;
	case MR_LEAST:
		fprintf(f, "LEAST(c.%s%s, EXCLUDED.%s)", c->name, coll, c->name);
		break;
	case MR_NEWEST:		/* the value and the event_timestamp it came from, together */
		fprintf(f, "CASE WHEN ");
		sql_newer(f, k);
		fprintf(f, " THEN EXCLUDED.%s ELSE c.%s END, %s_event_ms = CASE WHEN ", c->name, c->name,
		    c->name);
		sql_newer(f, k);
		fprintf(f, " THEN EXCLUDED.%s_event_ms ELSE c.%s_event_ms END", c->name, c->name);
		break;
	case MR_DERIVED:
		fputs(sql_outcome, f);
		break;
	}
}

/* The calls upsert: insert the batch's merged rows, merge into existing ones by the rules. */
static void
sql_upsert_calls(FILE *f)
{
	fprintf(f, " up AS (INSERT INTO calls AS c (app_id, dialpad_call_id");
	for (int k = 0; k < CC_N; k++)
		fprintf(f, ", %s", call_columns[k].name);
	for (int k = 0; k < CC_N; k++)
		if (call_columns[k].rule == MR_NEWEST)
			fprintf(f, ", %s_event_ms", call_columns[k].name);
	fprintf(f, ") SELECT app_id, dialpad_call_id");
	for (int k = 0; k < CC_N; k++)
		fprintf(f, ", %s%s", call_columns[k].name,
		    call_columns[k].type == CT_LABELS ? "::text[]" : "");
	for (int k = 0; k < CC_N; k++)
		if (call_columns[k].rule == MR_NEWEST)
			fprintf(f, ", %s_event_ms", call_columns[k].name);
	fprintf(f, " FROM u ON CONFLICT (app_id, dialpad_call_id) DO UPDATE SET ");
	for (int k = 0; k < CC_N; k++) {
		sql_merge(f, k);
		fprintf(f, ", ");
	}
	fprintf(f, "updated_at = now() RETURNING 1)");
}

/* The NEWEST columns in table order: their provenance parameters' order. */
static void
newest_cols(int newest_col[CALL_NNEWEST])
{
	int	 i = 0;

	for (int k = 0; k < CC_N; k++)
		if (call_columns[k].rule == MR_NEWEST)
			newest_col[i++] = k;
}

/*
 * The whole write, one round trip. `u` is the batch's merged rows (one per
 * call, sorted by (app_id, call_id)), the recordings likewise sorted by
 * (app_id, call_id, url), so concurrent processors take row locks in the
 * same order and cannot deadlock on them.
 *
 * The outer SELECT reads the CTEs in the order they run: the events (already
 * locked by our claim) are marked first, then the recordings are upserted,
 * and the calls rows, the locks a concurrent processor is most likely to
 * wait on, are taken last, so they are held for the upsert and the commit
 * only.
 */
char *
batch_write_sql(void)
{
	char	*sql = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&sql, &len);
	int	 newest_col[CALL_NNEWEST];

	if (f == NULL)
		return NULL;
	newest_cols(newest_col);
	fprintf(f, "WITH u AS (SELECT unnest($%d::text[]) AS app_id, unnest($%d::int8[]) AS dialpad_call_id",
	    BP_APP + 1, BP_CALL_ID + 1);
	for (int k = 0; k < CC_N; k++)
		fprintf(f, ", unnest($%d::%s[]) AS %s", BP_COLS + k + 1, param_sqltype(k),
		    call_columns[k].name);
	for (int i = 0; i < CALL_NNEWEST; i++)
		fprintf(f, ", unnest($%d::int8[]) AS %s_event_ms", BP_NEWEST + i + 1,
		    call_columns[newest_col[i]].name);
	fprintf(f, "), done AS (UPDATE webhook_events SET processed_at = now() WHERE id = ANY($%d::int8[])"
	    " RETURNING 1), bad AS (UPDATE webhook_events e SET attempts = e.attempts + 1,"
	    " last_error = f.err, next_attempt_at = NULL, dead_at = now()"
	    " FROM unnest($%d::int8[], $%d::text[]) AS f(id, err) WHERE e.id = f.id RETURNING 1),",
	    BP_DONE + 1, BP_FAIL_ID + 1, BP_FAIL_ERR + 1);
	fprintf(f, " rec AS (INSERT INTO call_recordings AS r (app_id, dialpad_call_id, url, recording_id,"
	    " recording_type, duration_ms, started_at) SELECT unnest($%d::text[]), unnest($%d::int8[]),"
	    " unnest($%d::text[]), unnest($%d::text[]), unnest($%d::text[]), unnest($%d::int8[]),"
	    " unnest($%d::timestamptz[])"
	    " ON CONFLICT (app_id, dialpad_call_id, url) DO UPDATE SET"
	    " recording_id = GREATEST(r.recording_id COLLATE \"C\", EXCLUDED.recording_id),"
	    " recording_type = GREATEST(r.recording_type COLLATE \"C\", EXCLUDED.recording_type),"
	    " duration_ms = GREATEST(r.duration_ms, EXCLUDED.duration_ms),"
	    " started_at = GREATEST(r.started_at, EXCLUDED.started_at) RETURNING 1),",
	    BP_REC + 1, BP_REC + 2, BP_REC + 3, BP_REC + 4, BP_REC + 5, BP_REC + 6, BP_REC + 7);
	sql_upsert_calls(f);
	fprintf(f, " SELECT (SELECT count(*) FROM done), (SELECT count(*) FROM bad),"
	    " (SELECT count(*) FROM rec), (SELECT count(*) FROM up)");
	if (fclose(f) != 0) {
		free(sql);
		return NULL;
	}
	return sql;
}

/* ---------------------------------------------------------------- events */

int
batch_init(struct batch *b, char *err, size_t errlen)
{
	if (call_columns_check(err, errlen) != 0 || payload_map_init(&b->map, err, errlen) != 0)
		return -1;
	newest_cols(b->newest_col);
	return 0;
}

void
batch_begin(struct batch *b, size_t nevents, size_t bytes)
{
	if (nevents > b->cap) {
		b->ev = xreallocarray(b->ev, nevents, sizeof(*b->ev));
		b->rows = xreallocarray(b->rows, nevents, sizeof(*b->rows));
		b->merged = xreallocarray(b->merged, nevents, sizeof(*b->merged));
		b->cap = nevents;
	}
	b->n = b->nrows = b->nmerged = 0;
	b->handled = b->skipped = b->failed = b->dead = 0;
	b->out.nrecs = 0;
	b->field_error_events = 0;
	memset(b->out.field_errors, 0, sizeof(b->out.field_errors));
	/*
	 * A payload's strings fit in its own length, its labels literal in twice
	 * that plus scratch; plus the state, app_id and an error per event.
	 */
	arena_reset(&b->arena, 3 * bytes + nevents * (ERR_MAX + 80));
}

void
batch_fail_event(struct batch_event *ev, const struct batch_policy *pol)
{
	ev->outcome = BATCH_FAILED;
	ev->dead = ev->attempts + 1 >= pol->max_attempts;
	ev->delay_ms = backoff_delay_ms(pol->retry_base_ms, pol->retry_max_ms, ev->attempts + 1,
	    randombytes_random());
}

/* A data failure: dead at once (retrying cannot change the payload), "data: why". */
static void
batch_data_failure(struct batch *b, struct batch_event *ev, const char *why)
{
	char	 msg[ERR_MAX];
	int	 n = snprintf(msg, sizeof(msg), BATCH_ERR_DATA "%s", why);

	ev->error = arena_strndup(&b->arena, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	ev->outcome = BATCH_FAILED;
	ev->dead = true;
	ev->delay_ms = 0;
	b->failed++;
	b->dead++;
}

/* Add this event's field errors to the batch's (they were counted in out.field_errors). */
static void
batch_count_field_errors(struct batch *b, const uint32_t before[PF_N])
{
	for (int f = 0; f < PF_N; f++)
		if (b->out.field_errors[f] != before[f]) {
			b->field_error_events++;
			return;
		}
}

void
batch_add(struct batch *b, int64_t id, const char *app_id, const char *event_type, int attempts,
    const char *payload, size_t payload_len)
{
	struct batch_event		*ev = &b->ev[b->n++];
	const struct dispatch_entry	*d = dispatch_lookup(event_type);
	struct json_span		 root;
	struct handler_input		 in;
	uint32_t			 before[PF_N];
	char				 err[ERR_MAX] = "";
	size_t				 ntable, nrecs = b->out.nrecs;

	*ev = (struct batch_event){ .id = id, .attempts = attempts, .type_index = -1, .skip_index = -1 };
	if (d == NULL) {
		ev->outcome = BATCH_SKIPPED;
		ev->skip_index = dispatch_unhandled_index(event_type);
		b->skipped++;
		return;
	}
	ev->type_index = (int)(d - dispatch_table(&ntable));
	if (json_root(payload, payload_len, &root) == -1) {
		batch_data_failure(b, ev, "payload is not valid JSON");
		return;
	}
	in = (struct handler_input){ event_type, NULL, &root, &b->map, d->klass, d->flags };
	in.app_id = arena_strndup(&b->arena, app_id, strlen(app_id));
	memcpy(before, b->out.field_errors, sizeof(before));
	b->out.row = &b->rows[b->nrows];
	if (d->handler(&in, &b->out, &b->arena, err, sizeof(err)) != HANDLER_OK) {
		b->out.nrecs = nrecs;		/* nothing of a failed event is written */
		memcpy(b->out.field_errors, before, sizeof(before));
		batch_data_failure(b, ev, err[0] ? err : "handler failed");
		return;
	}
	batch_count_field_errors(b, before);
	ev->outcome = BATCH_HANDLED;
	b->nrows++;
	b->handled++;
}

/* ---------------------------------------------------------------- grouping */

/* qsort: row pointers by (app_id, call_id): the upsert's lock order. */
static int
row_ptr_cmp(const void *a, const void *b)
{
	return call_row_cmp(*(const struct call_row *const *)a, *(const struct call_row *const *)b);
}

/* Sort the rows and merge each (app_id, call_id) group into its first row. */
static void
batch_group_rows(struct batch *b)
{
	size_t	 out = 0;

	for (size_t i = 0; i < b->nrows; i++)
		b->merged[i] = &b->rows[i];
	qsort(b->merged, b->nrows, sizeof(*b->merged), row_ptr_cmp);
	for (size_t i = 0; i < b->nrows; i++) {
		if (out > 0 && call_row_cmp(b->merged[out - 1], b->merged[i]) == 0)
			call_row_merge(b->merged[out - 1], b->merged[i]);
		else
			b->merged[out++] = b->merged[i];
	}
	b->nmerged = out;
}

/* qsort: recordings by (app_id, call_id, url), url in byte order: the upsert's lock order. */
static int
rec_cmp(const void *x, const void *y)
{
	const struct call_recording	*a = x, *b = y;
	int				 c = strcmp(a->app_id, b->app_id);

	if (c == 0)
		c = (a->call_id > b->call_id) - (a->call_id < b->call_id);
	return c != 0 ? c : strcmp(a->url, b->url);
}

/* The greater of two optional values, an unset one ignored. */
static struct opt_i64
opt_max(struct opt_i64 a, struct opt_i64 b)
{
	return !a.set || (b.set && b.v > a.v) ? b : a;
}

/* Fold src into dst (same leg and url): every other column its greatest non-null value. */
static void
rec_merge(struct call_recording *dst, const struct call_recording *src)
{
	if (str_cmp_null(src->recording_id, dst->recording_id) > 0)
		dst->recording_id = src->recording_id;
	if (str_cmp_null(src->recording_type, dst->recording_type) > 0)
		dst->recording_type = src->recording_type;
	dst->duration_ms = opt_max(dst->duration_ms, src->duration_ms);
	dst->started_ms = opt_max(dst->started_ms, src->started_ms);
}

/* Sort the recordings and merge each (app_id, call_id, url) group into its first. */
static void
batch_group_recordings(struct batch *b)
{
	struct call_recording	*r = b->out.recs;
	size_t			 out = 0;

	if (b->out.nrecs == 0)
		return;
	qsort(r, b->out.nrecs, sizeof(*r), rec_cmp);
	for (size_t i = 0; i < b->out.nrecs; i++) {
		if (out > 0 && rec_cmp(&r[out - 1], &r[i]) == 0)
			rec_merge(&r[out - 1], &r[i]);
		else
			r[out++] = r[i];
	}
	b->out.nrecs = out;
}

/* ---------------------------------------------------------------- rendering */

/* Append a text element (NULL when not set or s is NULL). */
static void
put_text(struct pgarray *p, bool set, const char *s)
{
	if (set && s != NULL)
		pgarray_add(p, s, strlen(s));
	else
		pgarray_add_null(p);
}

/* Append an int8 element (NULL when not set). */
static void
put_i64(struct pgarray *p, struct opt_i64 v)
{
	if (v.set)
		pgarray_add_int8(p, v.v);
	else
		pgarray_add_null(p);
}

/* An epoch-ms value as a binary timestamptz (checked in range at extraction). */
static void
put_ts(struct pgarray *p, struct opt_i64 v)
{
	int64_t	 us;

	if (v.set && pgarray_timestamptz_from_ms(v.v, &us) == 0)
		pgarray_add_int8(p, us);
	else
		pgarray_add_null(p);
}

/* The element type of column k's parameter. */
static uint32_t
col_oid(int k)
{
	switch (call_columns[k].type) {
	case CT_INT8:
	case CT_MS:
		return PGARRAY_INT8;
	case CT_TS:
		return PGARRAY_TIMESTAMPTZ;
	case CT_BOOL:
		return PGARRAY_BOOL;
	case CT_FLOAT8:
		return PGARRAY_FLOAT8;
	case CT_JSON:
		return PGARRAY_JSON;
	default:
		return PGARRAY_TEXT;
	}
}

/* Append column k's value v. */
static void
put_value(struct pgarray *p, int k, const struct call_value *v)
{
	if (!v->set) {
		pgarray_add_null(p);
		return;
	}
	switch (call_columns[k].type) {
	case CT_STATUS:
		put_text(p, true, status_names[v->i]);
		break;
	case CT_INT8:
	case CT_MS:
		pgarray_add_int8(p, v->i);
		break;
	case CT_TS:
		put_ts(p, (struct opt_i64){ true, v->i });
		break;
	case CT_BOOL:
		pgarray_add_bool(p, v->i != 0);
		break;
	case CT_FLOAT8:
		pgarray_add_float8(p, v->f);
		break;
	case CT_TEXT:
	case CT_TEXTNUM:
	case CT_JSON:
	case CT_LABELS:
		put_text(p, true, v->s);
		break;
	}
}

/*
 * The calls parameters from the merged rows. A column (or a provenance) that
 * is NULL in every row is sent as an empty array: the statement's unnest()
 * calls run in lockstep and pad a shorter array with NULLs, so the rows are
 * the same, and the server skips a per-row function call and a parameter.
 */
static void
batch_render_rows(struct batch *b)
{
	struct pgarray	*p = b->param;
	size_t		 n = b->nmerged;
	bool		 any[CC_N] = { false };

	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < CC_N; k++)
			any[k] |= b->merged[i]->col[k].set;
	pgarray_begin_typed(&p[BP_APP], PGARRAY_TEXT, n);
	pgarray_begin_typed(&p[BP_CALL_ID], PGARRAY_INT8, n);
	for (int k = 0; k < CC_N; k++)
		pgarray_begin_typed(&p[BP_COLS + k], col_oid(k), any[k] ? n : 0);
	for (int i = 0; i < CALL_NNEWEST; i++)
		pgarray_begin_typed(&p[BP_NEWEST + i], PGARRAY_INT8, any[b->newest_col[i]] ? n : 0);
	for (size_t i = 0; i < n; i++) {
		const struct call_row *r = b->merged[i];

		put_text(&p[BP_APP], true, r->app_id);
		pgarray_add_int8(&p[BP_CALL_ID], r->call_id);
		for (int k = 0; k < CC_N; k++)
			if (any[k])
				put_value(&p[BP_COLS + k], k, &r->col[k]);
		for (int j = 0; j < CALL_NNEWEST; j++) {
			int k = b->newest_col[j];

			if (any[k])
				put_i64(&p[BP_NEWEST + j], r->col[k].set ? r->at[k] :
				    (struct opt_i64){ false, 0 });
		}
	}
}

/* The call_recordings parameters from the merged recordings. */
static void
batch_render_recordings(struct batch *b)
{
	static const uint32_t	 oid[7] = { PGARRAY_TEXT, PGARRAY_INT8, PGARRAY_TEXT, PGARRAY_TEXT,
		PGARRAY_TEXT, PGARRAY_INT8, PGARRAY_TIMESTAMPTZ };
	struct pgarray		*p = &b->param[BP_REC];

	for (int k = 0; k < 7; k++)
		pgarray_begin_typed(&p[k], oid[k], b->out.nrecs);
	for (size_t i = 0; i < b->out.nrecs; i++) {
		const struct call_recording *r = &b->out.recs[i];

		put_text(&p[0], true, r->app_id);
		pgarray_add_int8(&p[1], r->call_id);
		put_text(&p[2], true, r->url);
		put_text(&p[3], true, r->recording_id);
		put_text(&p[4], true, r->recording_type);
		put_i64(&p[5], r->duration_ms);
		put_ts(&p[6], r->started_ms);
	}
}

/* The processed ids and the failures (data failures: dead at once, batch_data_failure). */
static void
batch_render_events(struct batch *b)
{
	struct pgarray	*p = b->param;

	pgarray_begin_typed(&p[BP_DONE], PGARRAY_INT8, b->n - b->failed);
	pgarray_begin_typed(&p[BP_FAIL_ID], PGARRAY_INT8, b->failed);
	pgarray_begin_typed(&p[BP_FAIL_ERR], PGARRAY_TEXT, b->failed);
	for (size_t i = 0; i < b->n; i++) {
		const struct batch_event *ev = &b->ev[i];

		if (ev->outcome != BATCH_FAILED) {
			pgarray_add_int8(&p[BP_DONE], ev->id);
			continue;
		}
		pgarray_add_int8(&p[BP_FAIL_ID], ev->id);
		put_text(&p[BP_FAIL_ERR], true, ev->error ? ev->error : "failed");
	}
}

void
batch_finish(struct batch *b)
{
	batch_group_rows(b);
	batch_group_recordings(b);
	batch_render_rows(b);
	batch_render_recordings(b);
	batch_render_events(b);
	for (int k = 0; k < BATCH_NPARAMS; k++) {
		b->values[k] = b->param[k].p;
		b->lengths[k] = (int)b->param[k].len;
		b->formats[k] = 1;
	}
}

void
batch_free(struct batch *b)
{
	free(b->ev);
	free(b->rows);
	free(b->merged);
	free(b->out.recs);
	arena_free(&b->arena);
	for (int k = 0; k < BATCH_NPARAMS; k++)
		pgarray_free(&b->param[k]);
	memset(b, 0, sizeof(*b));
}
