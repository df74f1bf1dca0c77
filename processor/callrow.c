/* callrow.c: the table-driven merge of call rows (see callrow.h). */
#include "callrow.h"

#include <string.h>

int
str_cmp_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

int
call_value_cmp(enum call_col_type t, const struct call_value *a, const struct call_value *b)
{
	switch (t) {
	case CT_TEXT:
	case CT_TEXTNUM:
	case CT_JSON:
	case CT_LABELS:
		return strcmp(a->s, b->s);
	case CT_FLOAT8:
		return (a->f > b->f) - (a->f < b->f);
	case CT_STATUS:
	case CT_INT8:
	case CT_TS:
	case CT_MS:
	case CT_BOOL:
		break;
	}
	return (a->i > b->i) - (a->i < b->i);
}

/* The NEWEST order: (event_timestamp, value), a missing timestamp below every real one. */
static int
newest_cmp(enum call_col_type t, const struct call_value *a, struct opt_i64 at_a,
    const struct call_value *b, struct opt_i64 at_b)
{
	if (at_a.set != at_b.set)
		return at_a.set ? 1 : -1;
	if (at_a.set && at_a.v != at_b.v)
		return at_a.v > at_b.v ? 1 : -1;
	return call_value_cmp(t, a, b);
}

/* true if src's value of column k should replace dst's under k's rule. */
static bool
takes(const struct call_row *dst, const struct call_row *src, int k)
{
	const struct call_column *c = &call_columns[k];
	const struct call_value	 *d = &dst->col[k], *s = &src->col[k];

	if (!s->set)
		return false;
	if (!d->set)
		return true;
	switch (c->rule) {
	case MR_RANK:
	case MR_GREATEST:
	case MR_OR:
		return call_value_cmp(c->type, s, d) > 0;
	case MR_LEAST:
		return call_value_cmp(c->type, s, d) < 0;
	case MR_NEWEST:
		return newest_cmp(c->type, s, src->at[k], d, dst->at[k]) > 0;
	case MR_DERIVED:
		break;
	}
	return false;
}

void
call_row_merge(struct call_row *dst, const struct call_row *src)
{
	for (int k = 0; k < CC_N; k++)
		if (takes(dst, src, k)) {
			dst->col[k] = src->col[k];
			dst->at[k] = src->at[k];
		}
	call_row_outcome(dst);
}

void
call_row_outcome(struct call_row *r)
{
	const struct call_value	*c = r->col;
	const char		*o;

	if (!c[CC_status].set || c[CC_status].i != CALL_STATUS_ENDED) {
		r->col[CC_outcome] = (struct call_value){ .set = false };
		return;
	}
	if (c[CC_seen_blocked].set && c[CC_seen_blocked].i)
		o = "blocked";
	else if (c[CC_answered_at].set)
		o = "answered";
	else if ((c[CC_seen_voicemail].set && c[CC_seen_voicemail].i) || c[CC_voicemail_url].set)
		o = "voicemail";
	else
		o = "missed";
	r->col[CC_outcome] = (struct call_value){ .set = true, .s = o };
}

int
call_row_cmp(const struct call_row *a, const struct call_row *b)
{
	int	 c = str_cmp_null(a->app_id, b->app_id);

	if (c != 0)
		return c;
	return (a->call_id > b->call_id) - (a->call_id < b->call_id);
}

bool
call_row_equal(const struct call_row *a, const struct call_row *b)
{
	if (call_row_cmp(a, b) != 0)
		return false;
	for (int k = 0; k < CC_N; k++) {
		const struct call_value *x = &a->col[k], *y = &b->col[k];

		if (x->set != y->set || (x->set && call_value_cmp(call_columns[k].type, x, y) != 0))
			return false;
		if (call_columns[k].rule == MR_NEWEST && x->set &&
		    (a->at[k].set != b->at[k].set || (a->at[k].set && a->at[k].v != b->at[k].v)))
			return false;
	}
	return true;
}
