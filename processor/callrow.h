/*
 * callrow.h: what one event says about one call leg, and the merge that
 * folds any number of such contributions into the `calls` row.
 *
 * A row holds one value per column of the column table (columns.h), and for
 * each NEWEST column the event_timestamp its value came from. The merge
 * applies each column's rule (columns.h); the upsert's ON CONFLICT clause,
 * generated from the same table (batch.c), applies the same rules in SQL.
 * Every rule is commutative, associative and idempotent and ignores nulls,
 * so any permutation, duplication and batching of a leg's events gives the
 * same row.
 *
 * outcome is not merged but recomputed from the merged facts
 * (call_row_outcome), so it cannot depend on order either:
 *   NULL while status is not ended; else the first that holds of
 *   blocked    (seen_blocked: a `blocked` event was seen)
 *   answered   (answered_at is set)
 *   voicemail  (seen_voicemail: a `voicemail` or `voicemail_uploaded` event
 *              was seen, or voicemail_url is set, which any voicemail
 *              recording of the leg also sets)
 *   missed     (otherwise, also an unanswered outbound leg)
 */
#ifndef DH_CALLROW_H
#define DH_CALLROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "columns.h"

enum call_status {
	CALL_STATUS_NONE = 0,
	CALL_STATUS_RINGING = 1,
	CALL_STATUS_ACTIVE = 2,
	CALL_STATUS_ENDED = 3,
};

/* An optional int64: set says whether v means anything. */
struct opt_i64 {
	bool	 set;
	int64_t	 v;
};

/*
 * One column's value. By type (columns.h): i for CT_STATUS (the rank),
 * CT_INT8, CT_TS and CT_MS (epoch ms or ms), CT_BOOL (0 or 1); f for
 * CT_FLOAT8; s for CT_TEXT, CT_TEXTNUM, CT_JSON (the JSON text) and
 * CT_LABELS (the array in PostgreSQL's canonical text form, as array_out
 * writes it). Strings point into an arena that outlives the row.
 */
struct call_value {
	bool		 set;
	union {
		int64_t	 i;
		double	 f;
		const char *s;
	};
};

struct call_row {
	const char		*app_id;
	int64_t			 call_id;
	struct call_value	 col[CC_N];
	/* NEWEST columns: the event_timestamp (ms) of the event the value came from */
	struct opt_i64		 at[CC_N];
};

/* Fold src into dst (same app_id and call_id); recomputes dst's outcome. */
void		 call_row_merge(struct call_row *dst, const struct call_row *src);

/* Set the row's outcome from its other columns (see above). */
void		 call_row_outcome(struct call_row *row);

/* Byte-order comparison where NULL sorts below every string (the merges' text order). */
int	 str_cmp_null(const char *a, const char *b);

/* Order by (app_id, call_id), for grouping a batch and for lock order. */
int		 call_row_cmp(const struct call_row *a, const struct call_row *b);

/* true if the two rows hold the same values and provenance (strings by content). */
bool		 call_row_equal(const struct call_row *a, const struct call_row *b);

/*
 * Compare two set values of one column's type: <0, 0, >0. Text, json and
 * labels in byte order, numbers numerically.
 */
int		 call_value_cmp(enum call_col_type t, const struct call_value *a,
		    const struct call_value *b);

#endif
