/*
 * batching.h: the store's decisions (store.h), as pure functions: no I/O,
 * no clock, no logging, so test/unit/test_store.c can check them without a
 * database.
 *
 *   - at the door: is a new request accepted, or answered 503 at once;
 *   - at submit: does it wait in the queue or go to the outage spool;
 *   - which queued requests go into one group-commit INSERT;
 *   - which request each row of the INSERT's RETURNING answers (stored with
 *     that id; a request without a row is a duplicate);
 *   - what becomes of a batch that failed as a whole;
 *   - when a request that has waited is spooled, when it times out (503),
 *     and when a statement is stuck and its connection reset.
 *
 * Times are microseconds, the timeout is DIALHOOK_DB_TIMEOUT_MS.
 */
#ifndef DH_INGEST_BATCHING_H
#define DH_INGEST_BATCHING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a submitted request goes. */
enum batching_route {
	BATCHING_ROUTE_QUEUE,		/* wait for a connection */
	BATCHING_ROUTE_SPOOL,		/* no connection is up: to the outage spool now */
};

/* What becomes of a batch whose INSERT failed as a whole. */
enum batching_fate {
	BATCHING_FATE_ISOLATE,		/* retry each row alone (solo) to find the culprit */
	BATCHING_FATE_SPOOL,		/* transient, with a spool: every request to the spool */
	BATCHING_FATE_UNAVAILABLE,	/* transient, no spool: every request 503 */
	BATCHING_FATE_FAILED,		/* refused for good: the one request 500 */
};

/* The two columns a request and a RETURNING row are matched on (NUL-terminated). */
struct batching_key {
	const char	*app_id;
	const char	*dedupe_key;
};

/*
 * At the door: a request may be accepted if a connection is up (conns_up)
 * or the outage spool can take it (spool_usable), and fewer than
 * max_pending requests are unanswered (waiting). false: 503 at once.
 */
bool	batching_admits(size_t conns_up, bool spool_usable, size_t waiting, size_t max_pending);

/* At submit: with a spool (has_spool) and no connection up, the spool; else the queue. */
enum batching_route batching_route(size_t conns_up, bool has_spool);

/*
 * Cutting a batch from the head of the queue: whether the next queued
 * request (solo: it must be retried alone) joins a batch that holds n
 * requests already, the first of which is first_solo. A solo request is
 * always alone; otherwise a batch takes up to max_batch (>= 1).
 */
bool	batching_takes(size_t n, bool first_solo, bool solo, size_t max_batch);

/*
 * Which request each row of a committed batch's RETURNING answers.
 * reqs[0..n) are the batch's requests in insertion order, rows[0..nrows)
 * the returned rows with their ids row_ids. ids[i] is set to the id of the
 * row returned for request i, or 0 if none was (a duplicate: the key was
 * stored already, or earlier in the same batch, whose first request gets
 * the row). Rows normally come back in insertion order, which one merge
 * pass relies on; if they do not, a full search takes over.
 */
void	batching_map(const struct batching_key *reqs, size_t n, const struct batching_key *rows,
	    const int64_t *row_ids, size_t nrows, int64_t *ids);

/*
 * A batch of rows requests failed as a whole: transient (the database's
 * fault, pgconn_sqlstate_is_transient) or not; has_spool: an outage spool
 * is configured. A non-transient failure of several rows is isolated
 * first; a lost connection is not a failure (the batch is requeued).
 */
enum batching_fate batching_on_error(bool transient, size_t rows, bool has_spool);

/* A request that has waited waited_us (queued or in flight) goes to the spool: half the timeout. */
bool	batching_due_spool(int64_t waited_us, int64_t timeout_ms);

/* A request that has waited waited_us is answered 503 (timeout): the whole timeout. */
bool	batching_due_timeout(int64_t waited_us, int64_t timeout_ms);

/* A statement in flight for busy_us is stuck and its connection reset: twice the timeout. */
bool	batching_stuck(int64_t busy_us, int64_t timeout_ms);

#endif
