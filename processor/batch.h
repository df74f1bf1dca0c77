/*
 * batch.h: one claimed batch, from the claimed rows to the parameters of the
 * single statement that writes it.
 *
 * batch_begin() sizes the batch, batch_add() runs each event through the
 * dispatch table, batch_finish() groups the handlers' rows per (app_id,
 * call_id), merges each group in memory (callrow.h) and renders the
 * statement's array parameters. The write statement (BATCH_WRITE_SQL) then
 * upserts every call once, marks handled and skipped events processed and
 * records handler failures (attempts+1, last_error, next_attempt_at, and
 * dead_at after max_attempts), all in the claim's transaction.
 *
 * Memory (event slots, row slots, the string arena, the parameter buffers) is
 * kept between batches and grows only to the largest batch seen; no
 * allocation per event. Nothing here talks to the database or logs.
 */
#ifndef DH_BATCH_H
#define DH_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "callrow.h"

enum batch_outcome {
	BATCH_HANDLED,		/* a handler used it */
	BATCH_SKIPPED,		/* no handler for its type: processed, counted as skipped */
	BATCH_FAILED,		/* handler failure: retried later, or dead */
};

struct batch_event {
	int64_t		 id;
	int		 attempts;	/* before this try */
	int		 type_index;	/* dispatch row, or -1 */
	int		 skip_index;	/* when skipped: dispatch_unhandled() row, or -1 ("other") */
	enum batch_outcome outcome;
	bool		 dead;		/* failed for the last time */
	int64_t		 delay_ms;	/* backoff when failed */
	const char	*error;		/* why it failed (arena) */
};

struct batch_policy {
	int64_t	 retry_base_ms, retry_max_ms, max_attempts;
};

#define BATCH_NPARAMS 25

struct batch_param {
	char	*p;
	size_t	 len, cap;
};

struct batch {
	struct batch_event	*ev;
	size_t			 n, cap;
	struct call_row		*rows;		/* handler output, then merged in place */
	size_t			 nrows;
	struct arena		 arena;
	struct batch_param	 param[BATCH_NPARAMS];
	const char		*values[BATCH_NPARAMS];
	size_t			 handled, skipped, failed, dead;
};

/* The write statement; parameters are batch->values after batch_finish(). */
extern const char BATCH_WRITE_SQL[];

/*
 * Start a batch of up to nevents events whose app_id, event_type and payload
 * texts total at most bytes. Forgets the previous batch.
 */
void	batch_begin(struct batch *b, size_t nevents, size_t bytes);

/* Run one event (strings borrowed for the call only). */
void	batch_add(struct batch *b, const struct batch_policy *pol, int64_t id, const char *app_id,
	    const char *event_type, int attempts, const char *payload, size_t payload_len);

/* Group and merge the rows and render the write's parameters. */
void	batch_finish(struct batch *b);

/* Release everything; the struct may be reused after batch_begin. */
void	batch_free(struct batch *b);

/*
 * The outcome of a failure at attempt `attempts + 1`: sets ev->delay_ms and
 * ev->dead. Exposed for the single-event SQL-failure path.
 */
void	batch_fail_event(struct batch_event *ev, const struct batch_policy *pol);

/* Render a PostgreSQL int8[] literal of ids into p (reused buffer). */
const char *batch_ids_literal(struct batch_param *p, const int64_t *ids, size_t n);

#endif
