/* callrow.c: the batch string arena and the commutative merge of call rows (see callrow.h). */
#include "callrow.h"

#include <stdlib.h>
#include <string.h>

/* Memory kept between batches; a larger arena is given back after use. */
#define ARENA_KEEP	(4u << 20)

void
arena_reset(struct arena *a, size_t need)
{
	if (a->cap < need || (a->cap > ARENA_KEEP && need <= ARENA_KEEP)) {
		free(a->p);
		a->cap = need > 4096 ? need : 4096;
		a->p = xmalloc(a->cap);
	}
	a->len = 0;
}

char *
arena_alloc(struct arena *a, size_t n)
{
	char	*p;

	if (a->p == NULL || n > a->cap - a->len)
		return NULL;
	p = a->p + a->len;
	a->len += n;
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t len)
{
	char	*p = arena_alloc(a, len + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void
arena_free(struct arena *a)
{
	free(a->p);
	a->p = NULL;
	a->len = a->cap = 0;
}

const char *
call_status_name(int status)
{
	switch (status) {
	case CALL_STATUS_RINGING:
		return "ringing";
	case CALL_STATUS_ACTIVE:
		return "active";
	case CALL_STATUS_ENDED:
		return "ended";
	default:
		return NULL;
	}
}

/* Byte-order comparison where NULL sorts below every string. */
static int
str_cmp_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* The greater of two optional strings (nulls ignored). */
static const char *
str_max(const char *a, const char *b)
{
	return str_cmp_null(a, b) >= 0 ? a : b;
}

static struct opt_i64
i64_max(struct opt_i64 a, struct opt_i64 b)
{
	if (!a.set)
		return b;
	if (!b.set)
		return a;
	return a.v >= b.v ? a : b;
}

static struct opt_i64
i64_min(struct opt_i64 a, struct opt_i64 b)
{
	if (!a.set)
		return b;
	if (!b.set)
		return a;
	return a.v <= b.v ? a : b;
}

/* Compare the (event_timestamp, state) keys that choose `state`; missing ts is lowest. */
static int
state_key_cmp(const struct call_row *a, const struct call_row *b)
{
	if (a->event_ts.set != b->event_ts.set)
		return a->event_ts.set ? 1 : -1;
	if (a->event_ts.set && a->event_ts.v != b->event_ts.v)
		return a->event_ts.v > b->event_ts.v ? 1 : -1;
	return str_cmp_null(a->state, b->state);
}

void
call_row_merge(struct call_row *dst, const struct call_row *src)
{
	if (src->state != NULL && (dst->state == NULL || state_key_cmp(src, dst) > 0))
		dst->state = src->state;
	if (src->status > dst->status)
		dst->status = src->status;
	dst->event_ts = i64_max(dst->event_ts, src->event_ts);
	dst->started_ms = i64_min(dst->started_ms, src->started_ms);
	dst->answered_ms = i64_min(dst->answered_ms, src->answered_ms);
	dst->ended_ms = i64_max(dst->ended_ms, src->ended_ms);
	dst->duration_ms = i64_max(dst->duration_ms, src->duration_ms);
	dst->direction = str_max(dst->direction, src->direction);
	dst->external_number = str_max(dst->external_number, src->external_number);
	dst->internal_number = str_max(dst->internal_number, src->internal_number);
	dst->target_type = str_max(dst->target_type, src->target_type);
	dst->target_name = str_max(dst->target_name, src->target_name);
	dst->target_id = i64_max(dst->target_id, src->target_id);
	dst->master_call_id = i64_max(dst->master_call_id, src->master_call_id);
	dst->entry_point_call_id = i64_max(dst->entry_point_call_id, src->entry_point_call_id);
	dst->operator_call_id = i64_max(dst->operator_call_id, src->operator_call_id);
	dst->recording_url = str_max(dst->recording_url, src->recording_url);
	dst->voicemail_url = str_max(dst->voicemail_url, src->voicemail_url);
}

int
call_row_cmp(const struct call_row *a, const struct call_row *b)
{
	int	 c = str_cmp_null(a->app_id, b->app_id);

	if (c != 0)
		return c;
	return (a->call_id > b->call_id) - (a->call_id < b->call_id);
}

static bool
i64_eq(struct opt_i64 a, struct opt_i64 b)
{
	return a.set == b.set && (!a.set || a.v == b.v);
}

bool
call_row_equal(const struct call_row *a, const struct call_row *b)
{
	return call_row_cmp(a, b) == 0 && a->status == b->status &&
	    str_cmp_null(a->state, b->state) == 0 && i64_eq(a->event_ts, b->event_ts) &&
	    i64_eq(a->started_ms, b->started_ms) && i64_eq(a->answered_ms, b->answered_ms) &&
	    i64_eq(a->ended_ms, b->ended_ms) && i64_eq(a->duration_ms, b->duration_ms) &&
	    str_cmp_null(a->direction, b->direction) == 0 &&
	    str_cmp_null(a->external_number, b->external_number) == 0 &&
	    str_cmp_null(a->internal_number, b->internal_number) == 0 &&
	    str_cmp_null(a->target_type, b->target_type) == 0 &&
	    str_cmp_null(a->target_name, b->target_name) == 0 && i64_eq(a->target_id, b->target_id) &&
	    i64_eq(a->master_call_id, b->master_call_id) &&
	    i64_eq(a->entry_point_call_id, b->entry_point_call_id) &&
	    i64_eq(a->operator_call_id, b->operator_call_id) &&
	    str_cmp_null(a->recording_url, b->recording_url) == 0 &&
	    str_cmp_null(a->voicemail_url, b->voicemail_url) == 0;
}
