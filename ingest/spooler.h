/*
 * spooler.h: ingest's outage spool (only with DIALHOOK_SPOOL_DIR set; the
 * storage layer is common/spool.h). Owned by the store (store.h), which
 * decides when a request goes to the spool and lends the spooler an idle
 * pool connection for replay.
 *
 * Writing. Requests handed over with spooler_take() (the spooler then owns
 * them) or spooler_take_inflight() (still owned by an in-flight batch) are
 * appended to one group per loop iteration and made durable with one
 * spool_sync, then answered STORE_SPOOLED through store_answer(); if the
 * append is refused (full) or the sync fails, STORE_UNAVAILABLE, as without
 * a spool. An in-flight request answered SPOOLED may still commit from its
 * batch: the replay then finds the key present (ON CONFLICT), so nothing is
 * stored twice. The write and fdatasync run on the loop thread (bounded by
 * one group; the spool is only used while the database is unusable).
 *
 * Replay: once a second (and when a connection comes up) with a connection
 * up, the oldest claimable segment is read and re-inserted in order,
 * SPOOLER_REPLAY_BATCH records per statement, on the idle pool connection
 * the store offers through spooler_replay_send() (live requests first, one
 * replay statement at a time), then deleted. A transient failure
 * (pgconn_sqlstate_is_transient, or the connection lost) releases the
 * segment; it is retried from its start (idempotent) after 1 s, doubling
 * to 30 s while failures repeat. A batch refused for good is replayed one
 * record per statement; a refused record is logged, counted and appended
 * (spool record format, fdatasync'ed) to "<segment>.rejected" in the spool
 * directory, never retried; if that file cannot be written, the failure
 * counts as transient. A .rejected file may hold a record twice if the
 * segment was restarted after a transient failure. A torn tail is
 * dropped (logged, counted); a corrupt segment is quarantined. Our own
 * active segment is sealed once a connection is up and nothing waits to be
 * spilled, so it becomes claimable.
 *
 * Read-only directory (e.g. ext4 errors=remount-ro). A finished segment
 * whose file cannot be removed (or renamed aside) is remembered as done in
 * memory (metric, log line): this process never claims it again, replay
 * moves on to the next segment, and the removal is retried by name every
 * tick after a backoff of 1 s doubling to 30 s. So replay never repeats a
 * segment faster than that, whatever the file system does. After a restart
 * such a segment is replayed once more (idempotent). A write that fails
 * (append or sync) marks the spool unusable until a later tick finds the
 * directory writable (access(2)): meanwhile nothing is taken, so with the
 * database down ingest answers 503 at once and /readyz is 503; one log line
 * when it starts, one when a sync succeeds again.
 */
#ifndef DH_INGEST_SPOOLER_H
#define DH_INGEST_SPOOLER_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "pgconn.h"
#include "store.h"

struct spooler;
struct metrics;

/*
 * Opens the spool writer on dir and starts the replay timer. st is
 * borrowed and must outlive the spooler. NULL with a message in err if the
 * directory cannot be used. Free with spooler_free().
 */
struct spooler	*spooler_new(struct event_base *base, struct store *st, const char *dir,
		    uint64_t max_bytes, char *err, size_t errlen);

/* Register the spool metrics in m (after the store's own). */
void		 spooler_metrics(struct spooler *sp, struct metrics *m);

/*
 * Release a claimed segment, seal our own (the next start or another
 * replica replays it) and free. Requests still held must have been flushed
 * (spooler_flush). NULL is a no-op.
 */
void		 spooler_free(struct spooler *sp);

/*
 * Take r (unanswered, in no batch; ownership passes to the spooler). It is
 * written after this loop iteration or at the next spooler_flush.
 */
void		 spooler_take(struct spooler *sp, struct store_req *r);

/*
 * Append r, unanswered and still in an in-flight batch (borrowed: the
 * batch frees it), to the current group after everything taken so far. If
 * the spool refuses it, it is left to its batch and deadline.
 */
void		 spooler_take_inflight(struct spooler *sp, struct store_req *r);

/* Write what was taken, make the group durable and answer its requests. */
void		 spooler_flush(struct spooler *sp);

/* Nothing taken and waiting to be written. */
bool		 spooler_is_idle(const struct spooler *sp);

/*
 * The spool directory could be written at the last try (or a probe since
 * says it can be again): requests may be taken while the database is down.
 */
bool		 spooler_is_usable(const struct spooler *sp);

/* A connection came up: run the replay tick soon. */
void		 spooler_conn_up(struct spooler *sp);

/* Drain: start no further replay statements. */
void		 spooler_drain(struct spooler *sp);

/* A segment is claimed and no replay statement is in flight: it wants a connection. */
bool		 spooler_wants_conn(const struct spooler *sp);

/*
 * Send the next replay statement on conn, idle and lent by the store's slot
 * idx. 0: sent; the spooler calls store_replay_done(st, idx, ...) exactly
 * once when it completes. -1: nothing sent (segment finished, or the send
 * failed and the connection was reset); the slot stays idle.
 */
int		 spooler_replay_send(struct spooler *sp, struct pgconn *conn, int idx) DH_MUSTCHECK;

#endif
