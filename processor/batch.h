/*
 * batch.h: one claimed batch, from the claimed rows to the parameters of the
 * single statement that writes it.
 *
 * batch_begin() sizes the batch, batch_add() runs each event through the
 * dispatch table, batch_finish() groups the handlers' rows per (app_id,
 * call_id) and their recordings per (app_id, call_id, url), merges each
 * group in memory (callrow.h) and renders the statement's parameters. The
 * write statement (batch_write_sql(), generated from the column table) then
 * upserts every recording and every call once, marks handled and skipped
 * events processed and records failures (attempts+1, last_error,
 * next_attempt_at, and dead_at), all in the claim's transaction.
 *
 * Failures are classified (docs/events.md). A data failure (the payload
 * cannot be used: not a JSON object, no usable call_id) is dead at once,
 * last_error "data: <reason>"; retrying cannot change it. A failure of the
 * write itself is retried with backoff until max_attempts (processor.c,
 * last_error "database: <reason>"). A wrong-typed optional field is no
 * failure: counted in field_errors[] and ignored.
 *
 * Parameters are binary arrays (pgarray.h): ids and timestamps exact, no
 * text escaping. Memory (event slots, rows, recordings, the string arena,
 * the parameter buffers) is kept between batches and grows only to the
 * largest batch seen; no allocation per event. Nothing here talks to the
 * database or logs.
 */
#ifndef DH_BATCH_H
#define DH_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "callrow.h"
#include "handlers.h"
#include "pgarray.h"

enum batch_outcome {
	BATCH_HANDLED,		/* a handler used it */
	BATCH_SKIPPED,		/* no handler for its type: processed, counted as skipped */
	BATCH_FAILED,		/* a failure: retried later, or dead */
};

/* The prefixes of last_error that say which kind of failure it was (docs/events.md). */
#define BATCH_ERR_DATA		"data: "
#define BATCH_ERR_DATABASE	"database: "

struct batch_event {
	int64_t		 id;
	int		 attempts;	/* before this try */
	int		 type_index;	/* dispatch row, or -1 */
	int		 skip_index;	/* when skipped: dispatch_unhandled() row, or -1 ("other") */
	enum batch_outcome outcome;
	bool		 dead;		/* failed for the last time */
	int64_t		 delay_ms;	/* backoff when failed and not dead */
	const char	*error;		/* why it failed, with its prefix (arena) */
};

struct batch_policy {
	int64_t	 retry_base_ms, retry_max_ms, max_attempts;
};

/* The write statement's parameters, in order ($1 is BP_APP). */
enum batch_param {
	BP_APP,
	BP_CALL_ID,
	BP_COLS,					/* one per column, in table order */
	BP_NEWEST = BP_COLS + CC_N,			/* <column>_event_ms per NEWEST column */
	BP_REC = BP_NEWEST + CALL_NNEWEST,		/* app_id, dialpad_call_id, url, ... */
	BP_DONE = BP_REC + 7,				/* ids marked processed */
	BP_FAIL_ID,					/* data failures: dead at once */
	BP_FAIL_ERR,
	BATCH_NPARAMS
};

struct batch {
	struct batch_event	*ev;
	size_t			 n, cap;
	struct call_row		*rows;		/* handler output */
	struct call_row		**merged;	/* one per call after batch_finish, sorted */
	size_t			 nrows, nmerged;
	struct handler_output	 out;		/* recordings (merged in place) and field errors */
	size_t			 field_error_events;	/* events with at least one */
	struct arena		 arena;
	struct payload_map	 map;
	int			 newest_col[CALL_NNEWEST];	/* BP_NEWEST + i: its provenance */
	struct pgarray		 param[BATCH_NPARAMS];
	const char		*values[BATCH_NPARAMS];
	int			 lengths[BATCH_NPARAMS], formats[BATCH_NPARAMS];
	size_t			 handled, skipped, failed, dead;
};

/*
 * The write statement, generated from the column table (parameters as in
 * enum batch_param); malloc'd, the caller frees it.
 */
char	*batch_write_sql(void);

/* Prepare a zeroed batch for use; 0, or -1 with err set (an inconsistent column table). */
int	batch_init(struct batch *b, char *err, size_t errlen) DH_MUSTCHECK;

/*
 * Start a batch of up to nevents events whose app_id, event_type and payload
 * texts total at most bytes. Forgets the previous batch.
 */
void	batch_begin(struct batch *b, size_t nevents, size_t bytes);

/* Run one event (strings borrowed for the call only). */
void	batch_add(struct batch *b, int64_t id, const char *app_id, const char *event_type, int attempts,
	    const char *payload, size_t payload_len);

/* Group and merge the rows and recordings and render the write's parameters. */
void	batch_finish(struct batch *b);

/* Release everything; the struct may be reused after batch_init. */
void	batch_free(struct batch *b);

/*
 * The outcome of a retryable failure at attempt `attempts + 1`: sets
 * ev->delay_ms and ev->dead (after max_attempts). Exposed for the
 * single-event SQL-failure path.
 */
void	batch_fail_event(struct batch_event *ev, const struct batch_policy *pol);

#endif
