/*
 * spooler.c: the outage spool's writing and replay (see spooler.h for the
 * contract, common/spool.h for the storage layer).
 */
#include "spooler.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "backoff.h"
#include "log.h"
#include "metrics.h"
#include "pgarray.h"
#include "pgconn.h"

/* Spool replay: five binary text[] arrays; received_at travels as epoch ms. */
#define SPOOLER_REPLAY_SQL \
	"INSERT INTO webhook_events (app_id, event_type, dedupe_key, payload, received_at) " \
	"SELECT a, t, k, p::json, to_timestamp(r::bigint / 1000.0) " \
	"FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) " \
	"WITH ORDINALITY AS u(a, t, k, p, r, n) ORDER BY n " \
	"ON CONFLICT (app_id, dedupe_key) DO NOTHING"
#define SPOOLER_REPLAY_BATCH	500	/* records per replay statement */
#define SPOOLER_TICK_MS		1000	/* replay/seal/rescan period; first retry delay after a failure */
#define SPOOLER_BACKOFF_MAX_MS	30000	/* retry delay ceiling (backoff from SPOOLER_TICK_MS) */
#define SPOOLER_REJECTED_SUFFIX	".rejected"

/*
 * A segment this process finished (replayed, or found corrupt) whose file
 * could not be removed (or renamed aside) then: never claimed again by this
 * process, retired by name later (replay_retire).
 */
struct spooler_done {
	char			*name;
	enum spool_retire	 how;
};

struct spooler {
	char			*dir;
	uint64_t		 max_bytes;
	struct spool_writer	*spool;
	size_t			 ngroup;	/* records appended since the last sync */
	spooler_want_fn		 want;		/* replay wants a connection */
	void			*want_arg;
	bool			 db_up;		/* the store has a connection up */
	bool			 unsealed;	/* our active segment may hold records */
	bool			 draining;
	int64_t			 last_full_log_us;
	struct event		*replay_timer;
	struct spool_segment	*seg;		/* claimed segment being replayed */
	enum spool_next		 seg_end;	/* SPOOL_NEXT_RECORD while records remain */
	bool			 replaying;	/* a replay statement in flight */
	int			 conn_idx;	/* the pool connection it runs on (log lines) */
	struct spool_record	*recs;		/* the batch read from seg (SPOOLER_REPLAY_BATCH) */
	size_t			*offs;		/* each record's offset in seg */
	size_t			 nrecs;		/* records in the batch; 0: read the next one */
	bool			 solo;		/* the batch was refused: one record per statement */
	size_t			 cur, cur_n;	/* records [cur, cur + cur_n) are in flight */
	int64_t			 replay_head_ms;	/* received_at of its first record */
	int64_t			 replay_after_us;	/* no claim before (after a failure) */
	struct backoff		 replay_backoff;	/* after a transient replay failure */
	struct pgarray		 rarr[5];
	const char		*rvalues[5];
	int			 rlengths[5], rformats[5];
	struct spooler_done	*done;		/* finished segments whose files could not be retired */
	size_t			 ndone, capdone;
	int64_t			 retire_after_us;	/* next retry of their removal */
	struct backoff		 retire_backoff;
	bool			 unwritable;	/* the last write failed: take nothing (probed each tick) */
	bool			 unwritable_logged;	/* said so; "writable again" is due after a sync */
	struct metric		*m_spooled, *m_spool_full, *m_spool_err, *m_replayed, *m_torn,
				*m_quarantined, *m_rejected;
};

/* ------------------------------------------------------------ writing */

/*
 * A write to the spool directory failed (what: the step, err: why): take
 * nothing more until it can be written again (each replay tick probes it),
 * so while the database is down ingest answers 503 at once and /readyz says
 * 503. Logged once per episode; a later successful sync logs the end.
 */
static void
spill_unwritable(struct spooler *sp, const char *what, const char *err)
{
	sp->unwritable = true;
	if (sp->unwritable_logged)
		return;
	sp->unwritable_logged = true;
	log_error("outage spool cannot be written, answering 503 while the database is down (nothing can be "
	    "stored)", LOG_S("dir", sp->dir), LOG_S("step", what), LOG_S("error", err));
}

/* Log and count an append the spool refused (full: at most once a second; invalid: an oversized event). */
static void
spill_refused(struct spooler *sp, enum spool_append_result ar, bool invalid, const char *err)
{
	int64_t		 now;

	if (ar == SPOOL_APPEND_FULL) {
		metric_inc(sp->m_spool_full);
		now = util_now_us();
		if (now - sp->last_full_log_us > 1000000) {
			sp->last_full_log_us = now;
			log_warn("outage spool full, answering 503", LOG_S("dir", sp->dir),
			    LOG_U("bytes", spool_bytes(sp->spool)), LOG_U("max_bytes", sp->max_bytes));
		}
	} else if (invalid) {
		metric_inc(sp->m_spool_err);
		log_error("could not append to the outage spool", LOG_S("dir", sp->dir), LOG_S("error", err));
	} else {
		metric_inc(sp->m_spool_err);
		spill_unwritable(sp, "append", err);
	}
}

int
spooler_append(struct spooler *sp, const struct spool_record *rec)
{
	size_t			 mark = spool_pending(sp->spool);
	enum spool_append_result ar;
	char			 err[256];

	ar = spool_append(sp->spool, rec, err, sizeof(err));
	if (ar == SPOOL_APPEND_OK) {
		sp->ngroup++;
		return 0;
	}
	if (spool_rewind(sp->spool, mark) != 0)
		log_error("could not rewind the spool group", LOG_U("mark", mark));
	spill_refused(sp, ar, spool_record_size(rec) == 0, err);
	return -1;
}

int
spooler_sync(struct spooler *sp)
{
	char	 err[256];
	size_t	 n = sp->ngroup;

	if (n == 0)
		return 0;
	sp->ngroup = 0;
	if (spool_sync(sp->spool, err, sizeof(err)) != 0) {
		metric_inc(sp->m_spool_err);
		spill_unwritable(sp, "sync", err);
		return -1;
	}
	sp->unsealed = true;
	sp->unwritable = false;
	if (sp->unwritable_logged) {
		sp->unwritable_logged = false;
		log_info("outage spool written again", LOG_S("dir", sp->dir));
	}
	log_debug("spooled", LOG_U("events", n));
	metric_add(sp->m_spooled, (double)n);
	return 0;
}

bool
spooler_is_usable(const struct spooler *sp)
{
	return !sp->unwritable;
}

/* Each tick while the directory is known unwritable: let requests try again once it says it is writable. */
static void
spill_probe(struct spooler *sp)
{
	if (sp->unwritable && access(sp->dir, W_OK) == 0)
		sp->unwritable = false;
}

/* ------------------------------------------------------------ replay */

/*
 * A finished segment's file could not be removed (or renamed aside), e.g.
 * on a read-only file system: it is done all the same. Remember it so it is
 * never claimed again by this process (its events are in the table; another
 * replay would only hammer the database with conflicts), and retry the
 * removal with backoff (replay_retire).
 */
static void
done_remember(struct spooler *sp, const char *name, enum spool_retire how, const char *err)
{
	if (sp->ndone == sp->capdone) {
		sp->capdone = sp->capdone ? sp->capdone * 2 : 8;
		sp->done = xreallocarray(sp->done, sp->capdone, sizeof(*sp->done));
	}
	sp->done[sp->ndone].name = xstrdup(name);
	sp->done[sp->ndone++].how = how;
	if (sp->ndone == 1) {
		backoff_reset(&sp->retire_backoff);
		sp->retire_after_us = util_now_us() + backoff_next(&sp->retire_backoff) * 1000;
	}
	log_warn(how == SPOOL_RETIRE_REMOVE ?
	    "could not remove a finished spool segment; it will not be replayed again, retrying with "
	    "backoff" :
	    "could not quarantine a finished spool segment; it will not be replayed again, retrying with "
	    "backoff", LOG_S("segment", name), LOG_U("unremovable", sp->ndone), LOG_S("error", err));
}

/* spool_claim's skip callback: a segment this process finished already. */
static int
done_skip(const char *name, void *arg)
{
	const struct spooler	*sp = arg;

	for (size_t i = 0; i < sp->ndone; i++)
		if (strcmp(sp->done[i].name, name) == 0)
			return 1;
	return 0;
}

/*
 * Retry retiring the remembered segments once their backoff has passed
 * (from SPOOLER_TICK_MS up to SPOOLER_BACKOFF_MAX_MS); forget those now gone.
 */
static void
replay_retire(struct spooler *sp)
{
	size_t	 kept = 0;
	char	 err[256];

	if (sp->ndone == 0 || util_now_us() < sp->retire_after_us)
		return;
	for (size_t i = 0; i < sp->ndone; i++) {
		if (spool_retire(sp->dir, sp->done[i].name, sp->done[i].how, err, sizeof(err)) == 0) {
			log_info("finished spool segment retired at last",
			    LOG_S("segment", sp->done[i].name));
			free(sp->done[i].name);
			continue;
		}
		sp->done[kept++] = sp->done[i];
	}
	sp->ndone = kept;
	sp->retire_after_us = util_now_us() + backoff_next(&sp->retire_backoff) * 1000;
}

/*
 * The claimed segment is finished (every record committed, or corrupt):
 * remove or quarantine it; if that fails it is remembered as done.
 */
static void
replay_finish(struct spooler *sp)
{
	char		 name[256];
	size_t		 off = spool_segment_offset(sp->seg), size = spool_segment_size(sp->seg);
	char		 err[256];

	snprintf(name, sizeof(name), "%s", spool_segment_name(sp->seg));
	if (sp->seg_end == SPOOL_NEXT_CORRUPT) {
		log_error("spool segment is corrupt, quarantining it (renamed to .bad) for an operator",
		    LOG_S("segment", name), LOG_U("offset", off), LOG_U("size", size));
		metric_inc(sp->m_quarantined);
		if (spool_segment_quarantine(sp->seg, err, sizeof(err)) != 0)
			done_remember(sp, name, SPOOL_RETIRE_QUARANTINE, err);
	} else {
		if (sp->seg_end == SPOOL_NEXT_TORN) {
			log_warn("spool segment has a torn tail (never acknowledged), dropping it",
			    LOG_S("segment", name), LOG_U("offset", off), LOG_U("dropped_bytes", size - off));
			metric_add(sp->m_torn, (double)(size - off));
		}
		log_info("spool segment replayed", LOG_S("segment", name), LOG_U("bytes", size));
		if (spool_segment_done(sp->seg, err, sizeof(err)) != 0)
			done_remember(sp, name, SPOOL_RETIRE_REMOVE, err);
	}
	sp->seg = NULL;
	sp->nrecs = 0;
	sp->solo = false;
	sp->replay_head_ms = 0;
	event_active(sp->replay_timer, EV_TIMEOUT, 0);	/* the next segment, if any */
}

/*
 * Give up on the claimed segment for now (transient database error): it is
 * retried from its start after delay_ms (replay_backoff).
 */
static void
replay_release(struct spooler *sp, int64_t delay_ms)
{
	spool_segment_release(sp->seg);
	sp->seg = NULL;
	sp->nrecs = 0;
	sp->solo = false;
	sp->replay_head_ms = 0;
	sp->replay_after_us = util_now_us() + delay_ms * 1000;
}

/* Records [cur, cur + k) are done (committed or rejected): move on, finish the segment at its end. */
static void
replay_advance(struct spooler *sp, size_t k)
{
	if (sp->solo) {
		if (sp->cur + k < sp->nrecs)
			return;
		sp->solo = false;
	}
	sp->nrecs = 0;
	if (sp->seg_end != SPOOL_NEXT_RECORD)
		replay_finish(sp);
}

/*
 * Append rec to "<segment>.rejected" in the spool directory (spool record
 * format, so it can be inspected and re-injected), fdatasync it, and fsync
 * the directory if the file is new. 0, or -1 (logged).
 */
static int
reject_write(struct spooler *sp, const struct spool_record *rec)
{
	char		 path[4096];
	const char	*step = "encode";
	unsigned char	*buf = NULL;
	size_t		 size = spool_record_size(rec), len = 0, done = 0;
	int		 fd = -1, dfd = -1, rc = -1, saved;
	bool		 created;

	snprintf(path, sizeof(path), "%s/%s" SPOOLER_REJECTED_SUFFIX, sp->dir, spool_segment_name(sp->seg));
	created = access(path, F_OK) != 0;
	buf = xmalloc(size ? size : 1);
	if (size == 0 || spool_record_encode(rec, buf, size, &len) != 0)
		goto out;
	step = "open";
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640)) < 0)
		goto out;
	step = "write";
	while (done < len) {
		ssize_t w = write(fd, buf + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto out;
		done += (size_t)w;
	}
	step = "fdatasync";
	if (fdatasync(fd) != 0)
		goto out;
	step = "fsync directory";
	if (created && ((dfd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fsync(dfd) != 0))
		goto out;
	rc = 0;
out:
	saved = errno;
	if (rc != 0)
		log_error("could not write a refused spool record to its rejected file", LOG_S("path", path),
		    LOG_S("step", step), LOG_S("error", strcmp(step, "encode") == 0 ? "invalid record" :
		    strerror(saved)));
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(buf);
	return rc;
}

/*
 * The database refused the one record in flight for good (res: its error):
 * keep it in the rejected file, log it and count it. 0, or -1 if it could
 * not be kept (the segment must then be retried, not skipped).
 */
static int
replay_reject(struct spooler *sp, const PGresult *res)
{
	const struct spool_record *rec = &sp->recs[sp->cur];
	const char	*state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char	*msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char		 file[512];

	if (reject_write(sp, rec) != 0)
		return -1;
	snprintf(file, sizeof(file), "%s" SPOOLER_REJECTED_SUFFIX, spool_segment_name(sp->seg));
	log_error("database refused a spooled event, kept in the rejected file for an operator",
	    LOG_S("segment", spool_segment_name(sp->seg)), LOG_U("offset", sp->offs[sp->cur]),
	    LOG_SN("app", rec->app_id, rec->app_id_len), LOG_SN("type", rec->event_type, rec->event_type_len),
	    LOG_SN("dedupe_key", rec->dedupe_key, rec->dedupe_key_len),
	    LOG_S("sqlstate", state ? state : "none"), LOG_S("error", msg), LOG_S("file", file));
	metric_inc(sp->m_rejected);
	return 0;
}

/*
 * A replay statement failed. Transient (or the connection was lost): the
 * segment is released and retried after the backoff. Otherwise a batch of
 * several records is retried one record per statement to find the refused
 * one(s), and a single refused record goes to the rejected file.
 */
static void
replay_failed(struct spooler *sp, const PGresult *res)
{
	const char	*state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char		 why[256];
	int64_t		 delay_ms;

	if (res != NULL && !pgconn_sqlstate_is_transient(state)) {
		if (sp->cur_n > 1) {
			log_warn("spool batch refused, replaying its records one at a time",
			    LOG_S("segment", spool_segment_name(sp->seg)), LOG_U("records", sp->cur_n),
			    LOG_S("sqlstate", state ? state : "none"));
			sp->solo = true;
			sp->cur_n = 0;	/* the next statement sends record 0 */
			return;
		}
		if (replay_reject(sp, res) == 0) {
			replay_advance(sp, 1);
			return;
		}
	}
	util_one_line(res ? PQresultErrorMessage(res) : "connection lost", why, sizeof(why));
	delay_ms = backoff_next(&sp->replay_backoff);
	log_warn("could not replay spool batch, retrying the segment later", LOG_I("conn", sp->conn_idx),
	    LOG_S("segment", spool_segment_name(sp->seg)), LOG_I("retry_ms", delay_ms), LOG_S("error", why));
	replay_release(sp, delay_ms);
}

bool
spooler_replay_result(struct spooler *sp, PGresult *res)
{
	long		 inserted = 0;

	sp->replaying = false;
	if (res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK) {
		inserted = strtol(PQcmdTuples(res), NULL, 10);
		metric_add(sp->m_replayed, (double)sp->cur_n);
		log_debug("replayed spool batch", LOG_U("records", sp->cur_n), LOG_I("inserted", inserted));
		backoff_reset(&sp->replay_backoff);
		replay_advance(sp, sp->cur_n);
	} else
		replay_failed(sp, res);
	return inserted > 0;
}

/* Read the next SPOOLER_REPLAY_BATCH records of the claimed segment into recs. */
static void
replay_read(struct spooler *sp)
{
	enum spool_next		 nx = SPOOL_NEXT_RECORD;
	size_t			 n = 0, off = spool_segment_offset(sp->seg);

	while (n < SPOOLER_REPLAY_BATCH &&
	    (nx = spool_segment_next(sp->seg, &sp->recs[n])) == SPOOL_NEXT_RECORD) {
		sp->offs[n++] = off;
		off = spool_segment_offset(sp->seg);
	}
	if (nx != SPOOL_NEXT_RECORD)
		sp->seg_end = nx;
	sp->nrecs = n;
}

/* Fill the five array parameters from records [first, first + n) of the batch. */
static void
replay_build(struct spooler *sp, size_t first, size_t n)
{
	char	 ms[24];

	for (int k = 0; k < 5; k++)
		pgarray_begin(&sp->rarr[k], n);
	for (size_t i = first; i < first + n; i++) {
		const struct spool_record *rec = &sp->recs[i];

		pgarray_add(&sp->rarr[0], rec->app_id, rec->app_id_len);
		pgarray_add(&sp->rarr[1], rec->event_type, rec->event_type_len);
		pgarray_add(&sp->rarr[2], rec->dedupe_key, rec->dedupe_key_len);
		pgarray_add(&sp->rarr[3], rec->payload, rec->payload_len);
		snprintf(ms, sizeof(ms), "%" PRId64, rec->received_at_ms);
		pgarray_add(&sp->rarr[4], ms, strlen(ms));
	}
	sp->replay_head_ms = sp->recs[first].received_at_ms;
}

bool
spooler_wants_conn(const struct spooler *sp)
{
	return sp->seg != NULL && !sp->replaying && !sp->draining;
}

int
spooler_replay_next(struct spooler *sp, int conn, struct spooler_stmt *out)
{
	if (sp->solo) {
		sp->cur += sp->cur_n;	/* the previous record is done */
		sp->cur_n = 1;
	} else {
		if (sp->nrecs == 0)
			replay_read(sp);
		if (sp->nrecs == 0) {
			replay_finish(sp);
			return -1;
		}
		sp->cur = 0;
		sp->cur_n = sp->nrecs;
	}
	replay_build(sp, sp->cur, sp->cur_n);
	for (int k = 0; k < 5; k++) {
		sp->rvalues[k] = sp->rarr[k].p;
		sp->rlengths[k] = (int)sp->rarr[k].len;
		sp->rformats[k] = 1;
	}
	out->sql = SPOOLER_REPLAY_SQL;
	out->nparams = 5;
	out->values = sp->rvalues;
	out->lengths = sp->rlengths;
	out->formats = sp->rformats;
	sp->replaying = true;
	sp->conn_idx = conn;
	return 0;
}

/* Claim the oldest claimable segment if none is claimed and no retry delay is running. */
static void
replay_claim(struct spooler *sp)
{
	char	 err[256];

	if (sp->seg != NULL || util_now_us() < sp->replay_after_us)
		return;
	if (spool_claim(sp->dir, done_skip, sp, &sp->seg, err, sizeof(err)) != 0) {
		log_warn("could not claim a spool segment", LOG_S("dir", sp->dir), LOG_S("error", err));
		sp->replay_after_us = util_now_us() + SPOOLER_TICK_MS * 1000;
		sp->seg = NULL;
		return;
	}
	if (sp->seg == NULL)
		return;
	sp->seg_end = SPOOL_NEXT_RECORD;
	log_info("replaying spool segment", LOG_S("segment", spool_segment_name(sp->seg)),
	    LOG_U("bytes", spool_segment_size(sp->seg)));
}

/*
 * Replay tick (once a second, and when a connection comes up or a segment
 * is finished): refresh the spool's usage, probe an unwritable directory,
 * retry retiring finished segments, seal our own segment once the database
 * is back so it can be claimed, claim the oldest segment not finished yet.
 */
static void
replay_tick_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	struct spooler	*sp = arg;
	char		 err[256];

	if (spool_writer_rescan(sp->spool, err, sizeof(err)) != 0)
		log_warn("could not scan the outage spool", LOG_S("dir", sp->dir), LOG_S("error", err));
	spill_probe(sp);
	replay_retire(sp);
	if (!sp->db_up || sp->draining)
		return;
	if (sp->unsealed && spool_pending(sp->spool) == 0) {
		spool_seal(sp->spool);
		sp->unsealed = false;
	}
	replay_claim(sp);
	if (sp->seg == NULL)
		return;
	sp->want(sp->want_arg);
}

void
spooler_db_up(struct spooler *sp, bool up)
{
	sp->db_up = up;
	if (up)
		event_active(sp->replay_timer, EV_TIMEOUT, 0);
}

void
spooler_drain(struct spooler *sp)
{
	sp->draining = true;
}

/* ------------------------------------------------------------ lifecycle */

static double
spooler_gauge_bytes(void *arg)
{
	return (double)spool_bytes(((struct spooler *)arg)->spool);
}

static double
spooler_gauge_writable(void *arg)
{
	return ((struct spooler *)arg)->unwritable ? 0 : 1;
}

static double
spooler_gauge_unremovable(void *arg)
{
	return (double)((struct spooler *)arg)->ndone;
}

/* Seconds between now and the received_at of the oldest record being replayed; 0 if none. */
static double
spooler_gauge_replay_lag(void *arg)
{
	struct spooler	*sp = arg;

	if (sp->seg == NULL || sp->replay_head_ms == 0)
		return 0;
	return (double)(util_wall_ms() - sp->replay_head_ms) / 1000.0;
}

void
spooler_metrics(struct spooler *sp, struct metrics *m)
{
	sp->m_spooled = metrics_counter(m, "dialhook_ingest_events_spooled_total",
	    "events acknowledged from the outage spool (database unusable)", NULL);
	sp->m_replayed = metrics_counter(m, "dialhook_ingest_spool_replayed_total",
	    "spooled events replayed into webhook_events (committed; duplicates included)", NULL);
	sp->m_spool_full = metrics_counter(m, "dialhook_ingest_spool_failures_total",
	    "events the outage spool could not take (answered 503)", "reason=\"full\"");
	sp->m_spool_err = metrics_counter(m, "dialhook_ingest_spool_failures_total",
	    "events the outage spool could not take (answered 503)", "reason=\"error\"");
	sp->m_torn = metrics_counter(m, "dialhook_ingest_spool_torn_bytes_total",
	    "bytes of torn segment tails dropped by replay (never acknowledged)", NULL);
	sp->m_quarantined = metrics_counter(m, "dialhook_ingest_spool_quarantined_total",
	    "corrupt spool segments renamed to .bad instead of replayed", NULL);
	sp->m_rejected = metrics_counter(m, "dialhook_ingest_spool_rejected_total",
	    "spooled events the database refused for good, kept in <segment>.rejected", NULL);
	metrics_gauge_fn(m, "dialhook_ingest_spool_bytes", "bytes in the outage spool directory",
	    NULL, spooler_gauge_bytes, sp);
	metrics_gauge_fn(m, "dialhook_ingest_spool_writable",
	    "1 while the outage spool directory can be written (0: 503 while the database is down)", NULL,
	    spooler_gauge_writable, sp);
	metrics_gauge_fn(m, "dialhook_ingest_spool_unremovable_segments",
	    "replayed spool segments whose files could not be removed yet (not replayed again)", NULL,
	    spooler_gauge_unremovable, sp);
	metrics_gauge_fn(m, "dialhook_ingest_spool_replay_lag_seconds",
	    "age of the oldest spooled event being replayed (0 when not replaying)", NULL,
	    spooler_gauge_replay_lag, sp);
}

struct spooler *
spooler_new(struct event_base *base, const char *dir, uint64_t max_bytes, spooler_want_fn want,
    void *arg, char *err, size_t errlen)
{
	struct spooler		*sp;
	struct spool_writer	*w;
	struct timeval		 tick = { SPOOLER_TICK_MS / 1000, (SPOOLER_TICK_MS % 1000) * 1000 };

	if ((w = spool_writer_new(dir, max_bytes, err, errlen)) == NULL)
		return NULL;
	sp = xcalloc(1, sizeof(*sp));
	sp->want = want;
	sp->want_arg = arg;
	sp->dir = xstrdup(dir);
	sp->max_bytes = max_bytes;
	sp->spool = w;
	sp->recs = xcalloc(SPOOLER_REPLAY_BATCH, sizeof(*sp->recs));
	sp->offs = xcalloc(SPOOLER_REPLAY_BATCH, sizeof(*sp->offs));
	backoff_init(&sp->replay_backoff, SPOOLER_TICK_MS, SPOOLER_BACKOFF_MAX_MS);
	backoff_init(&sp->retire_backoff, SPOOLER_TICK_MS, SPOOLER_BACKOFF_MAX_MS);
	sp->replay_timer = event_new(base, -1, EV_PERSIST, replay_tick_cb, sp);
	event_add(sp->replay_timer, &tick);
	return sp;
}

void
spooler_free(struct spooler *sp)
{
	if (sp == NULL)
		return;
	spool_segment_release(sp->seg);
	spool_writer_free(sp->spool);	/* seals: the next start or another replica replays it */
	event_free(sp->replay_timer);
	for (int k = 0; k < 5; k++)
		pgarray_free(&sp->rarr[k]);
	for (size_t i = 0; i < sp->ndone; i++)
		free(sp->done[i].name);
	free(sp->done);
	free(sp->recs);
	free(sp->offs);
	free(sp->dir);
	free(sp);
}
