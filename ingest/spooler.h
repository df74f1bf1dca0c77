/*
 * spooler.h: ingest's outage spool (only with DIALHOOK_SPOOL_DIR set; the
 * storage layer is common/spool.h): writing groups of records, and replaying
 * the spool into webhook_events once the database is back.
 *
 * The store (store.h) owns the spooler and decides everything about
 * requests: which go to the spool, when, and what each is answered. The
 * spooler knows records, not requests, and never calls the store: it
 * answers through return values, and through the one callback given to
 * spooler_new (a segment wants a connection). It never touches a database
 * connection either: the store sends the statements it hands out.
 *
 * Writing. The store appends records to the current group
 * (spooler_append) and makes the group durable with one spool_sync
 * (spooler_sync); it may acknowledge a record only after that returned 0.
 * A refused append (full, an oversized event, a write error) is logged and
 * counted here, once, and the group is as before. The write and fdatasync
 * run on the loop thread (bounded by one group; the spool is only used
 * while the database is unusable).
 *
 * Replay: once a second (and when a connection comes up) while the store
 * says a connection is up (spooler_db_up), the oldest claimable segment is
 * read and re-inserted in order, SPOOLER_REPLAY_BATCH records per
 * statement, then deleted. The store asks for the next statement when it
 * has an idle connection with nothing live to send (spooler_wants_conn,
 * spooler_replay_next), one at a time, and reports its result
 * (spooler_replay_result). A transient failure (pgconn_sqlstate_is_transient,
 * or the connection lost) releases the segment; it is retried from its start
 * (idempotent) after a backoff (common/backoff.h: 1 s, doubling with jitter
 * to 30 s while failures repeat). A batch refused for good is replayed one
 * record per statement; a refused record is logged, counted and appended
 * (spool record format, fdatasync'ed) to "<segment>.rejected" in the spool
 * directory, never retried; if that file cannot be written, the failure
 * counts as transient. A .rejected file may hold a record twice if the
 * segment was restarted after a transient failure. A torn tail is dropped
 * (logged, counted); a corrupt segment is quarantined. Our own active
 * segment is sealed once a connection is up and no group is half written,
 * so it becomes claimable.
 *
 * Read-only directory (e.g. ext4 errors=remount-ro). A finished segment
 * whose file cannot be removed (or renamed aside) is remembered as done in
 * memory (metric, log line): this process never claims it again, replay
 * moves on to the next segment, and the removal is retried by name every
 * tick after a backoff (1 s, doubling with jitter to 30 s). So replay never
 * repeats a segment faster than that, whatever the file system does. After
 * a restart such a segment is replayed once more (idempotent). A write that
 * fails (append or sync) marks the spool unusable until a later tick finds
 * the directory writable (access(2)): meanwhile the store takes nothing, so
 * with the database down ingest answers 503 at once and /readyz is 503; one
 * log line when it starts, one when a sync succeeds again.
 */
#ifndef DH_INGEST_SPOOLER_H
#define DH_INGEST_SPOOLER_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "spool.h"
#include "util.h"

struct spooler;
struct metrics;

/* A segment is claimed and wants a connection: offer one soon (spooler_replay_next). */
typedef void (*spooler_want_fn)(void *arg);

/* One replay statement to send with pgconn_query (binary parameters); borrowed from the spooler. */
struct spooler_stmt {
	const char		*sql;
	int			 nparams;
	const char *const	*values;
	const int		*lengths;
	const int		*formats;
};

/*
 * Opens the spool writer on dir and starts the replay timer. want (with
 * arg) is called when replay wants a connection. NULL with a message in err
 * if the directory cannot be used. Free with spooler_free().
 */
struct spooler	*spooler_new(struct event_base *base, const char *dir, uint64_t max_bytes,
		    spooler_want_fn want, void *arg, char *err, size_t errlen);

/* Register the spool metrics in m (after the store's own). */
void		 spooler_metrics(struct spooler *sp, struct metrics *m);

/*
 * Release a claimed segment, seal our own (the next start or another
 * replica replays it; appends not synced are dropped) and free. NULL is a
 * no-op.
 */
void		 spooler_free(struct spooler *sp);

/*
 * Append rec (borrowed; copied) to the current group. 0, or -1 if the spool
 * refused it (full, invalid, a write error: logged and counted); the group
 * is then as before.
 */
int		 spooler_append(struct spooler *sp, const struct spool_record *rec) DH_MUSTCHECK;

/*
 * Make the current group durable (one spool_sync). 0: every record appended
 * since the last sync may be acknowledged (also when there was none); -1:
 * none of them may (logged; the spool is unusable until it can be written
 * again).
 */
int		 spooler_sync(struct spooler *sp) DH_MUSTCHECK;

/*
 * The spool directory could be written at the last try (or a probe since
 * says it can be again): requests may be spooled while the database is down.
 */
bool		 spooler_is_usable(const struct spooler *sp);

/* Whether a pool connection is up; true: run the replay tick soon. */
void		 spooler_db_up(struct spooler *sp, bool up);

/* Drain: start no further replay statements. */
void		 spooler_drain(struct spooler *sp);

/* A segment is claimed and no replay statement is in flight: it wants a connection. */
bool		 spooler_wants_conn(const struct spooler *sp);

/*
 * The next replay statement, for the idle pool connection conn (its index,
 * for log lines). 0: *out is to be sent now (valid until the result is
 * reported); the caller then calls spooler_replay_result() exactly once.
 * -1: nothing to send (the segment is finished).
 */
int		 spooler_replay_next(struct spooler *sp, int conn, struct spooler_stmt *out) DH_MUSTCHECK;

/*
 * The statement from spooler_replay_next() ended: res is its result
 * (borrowed), or NULL if it could not be sent or the connection was lost
 * (its outcome unknown). true if it stored new rows (the processors'
 * wake-up is due).
 */
bool		 spooler_replay_result(struct spooler *sp, PGresult *res);

#endif
