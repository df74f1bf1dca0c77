/*
 * callrow.h: what one event says about one call leg, and the merge that
 * folds any number of such contributions into the `calls` row.
 *
 * The merge is commutative, associative and idempotent, so any permutation
 * and duplication of a leg's events gives the same row. The same rules are
 * written in SQL in batch.c (the ON CONFLICT DO UPDATE of the upsert); the
 * two must stay identical:
 *
 *   status          highest rank seen: ringing (1) < active (2) < ended (3)
 *   state           the state of the event with the greatest
 *                   (event_timestamp, state) pair; a missing timestamp sorts
 *                   below every real one, equal timestamps fall back to the
 *                   greater state name (byte order, i.e. COLLATE "C")
 *   last_event_at   greatest event_timestamp
 *   started_at      earliest date_started
 *   answered_at     earliest date_connected (the first answer of the leg)
 *   ended_at        latest date_ended
 *   duration_ms     greatest duration
 *   text and ids    (direction, numbers, target, leg ids, recording and
 *                   voicemail URLs) the greatest non-null value (byte order);
 *                   within one leg they do not normally differ, the rule
 *                   only makes a disagreement deterministic
 *
 * Every rule ignores nulls, so a field is never overwritten with null.
 */
#ifndef DH_CALLROW_H
#define DH_CALLROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

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
 * One leg's fields. Strings are NULL when absent (an empty JSON string
 * counts as absent) and point into an arena that outlives the row.
 */
struct call_row {
	const char	*app_id;
	int64_t		 call_id;
	int		 status;	/* enum call_status */
	const char	*state;
	struct opt_i64	 event_ts;	/* epoch ms */
	struct opt_i64	 started_ms, answered_ms, ended_ms, duration_ms;
	const char	*direction, *external_number, *internal_number;
	const char	*target_type, *target_name;
	struct opt_i64	 target_id;
	struct opt_i64	 master_call_id, entry_point_call_id, operator_call_id;
	const char	*recording_url, *voicemail_url;
};

/*
 * A bump allocator for strings of one batch. Reserve enough for the whole
 * batch first (arena_reserve), so pointers handed out stay valid until
 * arena_reset(); it keeps its memory between batches (trimmed when large).
 */
struct arena {
	char	*p;
	size_t	 len, cap;
};

/* Make room for `need` more bytes in total and forget earlier strings. */
void	 arena_reset(struct arena *a, size_t need);
/* Room for n bytes (n includes the NUL), or NULL if the reservation is exhausted. */
char	*arena_alloc(struct arena *a, size_t n);
/* Copy s (len bytes) as a NUL-terminated string; NULL if out of room. */
char	*arena_strndup(struct arena *a, const char *s, size_t len);
void	 arena_free(struct arena *a);

/* Fold src into dst (same app_id and call_id). */
void	 call_row_merge(struct call_row *dst, const struct call_row *src);

/* Order by (app_id, call_id), for grouping a batch and for lock order. */
int	 call_row_cmp(const struct call_row *a, const struct call_row *b);

/* true if the two rows hold the same values (strings compared by content). */
bool	 call_row_equal(const struct call_row *a, const struct call_row *b);

/* "ringing", "active", "ended" or NULL. */
const char *call_status_name(int status);

#endif
