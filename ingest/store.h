/*
 * store.h: durable storage of verified events with group commit.
 *
 * A pool of pgconn connections (DIALHOOK_DB_CONNECTIONS). Submitted
 * requests wait in one bounded FIFO; whenever a connection is idle, every
 * request waiting (up to DIALHOOK_MAX_BATCH) goes into ONE multi-row
 * INSERT ... ON CONFLICT (app_id, dedupe_key) DO NOTHING RETURNING, whose
 * parameters are four binary text[] arrays (nothing is interpolated into
 * SQL). Each request is answered from that statement's result, which
 * arrives only after the commit (synchronous_commit on): stored with its id,
 * or duplicate when the key was already present or earlier in the batch.
 *
 * Failures: a batch that fails as a whole with a non-transient error is
 * retried row by row so only the culprit fails; a lost connection requeues
 * its batch (a retry of a row that did commit becomes a duplicate); when no
 * connection is up, everything waiting gets STORE_UNAVAILABLE at once; a
 * request still unanswered at its deadline (DIALHOOK_DB_TIMEOUT_MS) gets
 * STORE_TIMEOUT even if its batch is in flight, and a connection whose
 * statement outlives twice the timeout is reset.
 *
 * After a commit that stored rows, SELECT dialhook_wake() is sent on an
 * idle connection in its own transaction, at most once per
 * DIALHOOK_NOTIFY_INTERVAL_MS.
 *
 * Outage spool (only with spool_dir set; ingest/spooler.h, which owns the
 * spool writer and replay). A request is handed to the spooler instead of
 * waiting for the database when
 *   - no pool connection is up (at submit, or when the last one goes down
 *     with requests queued or in flight),
 *   - it has waited half of DIALHOOK_DB_TIMEOUT_MS (queued or in flight:
 *     the janitor tick checks), or
 *   - its batch failed with a transient error.
 * The spooler answers it (STORE_SPOOLED, or STORE_UNAVAILABLE if the spool
 * refuses it) through store_answer(). For replay, store_dispatch() lends an
 * idle connection with nothing live to send (no wake-up, empty queue) to
 * the spooler, one replay statement at a time; the spooler hands it back
 * with store_replay_done(). A connection stuck in a replay statement is
 * reset like any other.
 */
#ifndef DH_INGEST_STORE_H
#define DH_INGEST_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "event.h"
#include "util.h"

#define STORE_APP_ID_MAX 64

struct store;
struct metrics;
struct resolver;

enum store_outcome {
	STORE_STORED,		/* committed now; id set */
	STORE_DUPLICATE,	/* the key was already stored */
	STORE_UNAVAILABLE,	/* database down or saturated: 503 */
	STORE_TIMEOUT,		/* not committed within the deadline: 503 */
	STORE_FAILED,		/* the database refused this row: 500 */
	STORE_SPOOLED,		/* durable in the outage spool, not yet in the database */
};

/* One request waiting to be stored; allocated by store_req_new(). */
struct store_req {
	struct store_req	*next;		/* queue link (store's) */
	void			*owner;		/* the caller's handle (evhttp request) */
	char			*payload;	/* owned: malloc'd JSON text */
	size_t			 len;
	int64_t			 t0_us;		/* submit time */
	int64_t			 received_ms;	/* submit time, epoch ms (spool record) */
	int64_t			 deadline_us;
	bool			 answered;	/* done() was called */
	bool			 solo;		/* retry alone (batch isolation) */
	char			 app_id[STORE_APP_ID_MAX + 1];
	struct event_info	 info;		/* event_type, dedupe_key */
};

/*
 * Called exactly once per submitted request, always from the event loop
 * (never from inside store_submit). id is set for STORE_STORED. The callee
 * must not free req; the store frees it after the callback (or later, while
 * its batch is still in flight).
 */
typedef void (*store_done_fn)(struct store_req *req, enum store_outcome outcome, int64_t id,
    void *arg);

/* The database cannot be used by this build (schema too old): the daemon should exit. */
typedef void (*store_fatal_fn)(const char *why, void *arg);

struct store_options {
	const char	*conninfo;
	struct resolver	*resolver;		/* borrowed: the database host's lookups */
	int		 connections;
	int		 max_pending;
	int		 max_batch;
	int		 timeout_ms;
	int		 notify_interval_ms;
	const char	*spool_dir;		/* NULL: no outage spool */
	uint64_t	 spool_max_bytes;
};

/*
 * Creates the pool (not yet connecting) and the spool writer if configured,
 * and registers its metrics in m. NULL with a message in err if the spool
 * directory cannot be used.
 */
struct store	*store_new(struct event_base *base, const struct store_options *opt,
		    struct metrics *m, store_done_fn done, store_fatal_fn fatal, void *arg,
		    char *err, size_t errlen);

/* Start connecting every connection. */
void		 store_start(struct store *st);

/*
 * Answer every outstanding request with STORE_UNAVAILABLE, close the pool
 * and free. NULL is a no-op.
 */
void		 store_free(struct store *st);

/*
 * true if a request submitted now could be accepted: a connection is up or
 * the outage spool is usable, and the queue has room.
 */
bool		 store_can_accept(const struct store *st);

/* true if at least one connection is up (for /readyz). */
bool		 store_is_ready(const struct store *st);

/* true if an outage spool is configured and its directory could be written at the last try. */
bool		 store_spool_is_usable(const struct store *st);

/* A zeroed request to fill in (payload, app_id, info) and submit. */
struct store_req *store_req_new(struct store *st);

/* Release a request that was never submitted (frees its payload). */
void		 store_req_discard(struct store *st, struct store_req *req);

/* Queue req (ownership passes to the store); done() will be called later. */
void		 store_submit(struct store *st, struct store_req *req);

/* Janitor tick: answer requests past their deadline, reset stuck connections. */
void		 store_tick(struct store *st);

/* Requests queued or in flight and not yet answered. */
size_t		 store_pending(const struct store *st);

/* Nothing queued, in flight or waiting to NOTIFY (drain complete). */
bool		 store_is_idle(const struct store *st);

/* Send the pending wake-up now rather than after the debounce interval (drain). */
void		 store_flush_wake(struct store *st);

/* Drain: flush the wake-up and start no further spool replay statements. */
void		 store_drain(struct store *st);

/* ---- for the outage spooler (spooler.c) only ---- */

/*
 * Call done() once for r (later calls are no-ops). r stays owned by
 * whoever holds it (the spooler frees taken requests with store_req_discard).
 */
void		 store_answer(struct store *st, struct store_req *r, enum store_outcome o, int64_t id);

/* Give every idle connection work now (the spooler claimed a segment). */
void		 store_kick(struct store *st);

/*
 * The replay statement on slot idx completed (the connection lent by
 * spooler_replay_send is idle again); inserted: it stored new rows, so the
 * processors' wake-up is due.
 */
void		 store_replay_done(struct store *st, int idx, bool inserted);

#endif
