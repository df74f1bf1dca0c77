/*
 * store.c: the connection pool, the pending queue and group commit (see
 * store.h for the contract, batching.h for the decisions).
 *
 * Each pool slot runs at most one job at a time: an INSERT batch, a
 * wake-up or a spool replay statement. The queue is FIFO, so it is also
 * ordered by age (every request gets the same timeout; a requeued batch
 * goes back to the front, and it is older than anything queued after it).
 *
 * Requests: each is in one state, owned by one list (the queue, a slot's
 * batch, the spill list), and moved only by req_set_state() (req.h).
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "batching.h"
#include "log.h"
#include "metrics.h"
#include "migrations.h"
#include "pgconn.h"
#include "pgarray.h"
#include "req.h"
#include "spool.h"
#include "spooler.h"

/*
 * One statement per batch; the parameters are four binary text[] arrays.
 * It is prepared once per connection (in the setup, which runs again after
 * every reconnect), so a batch costs no parse or plan on the server.
 */
#define STORE_INSERT_NAME "dialhook_store"
#define STORE_INSERT_SQL \
	"INSERT INTO webhook_events (app_id, event_type, dedupe_key, payload) " \
	"SELECT a, t, k, p::json FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) " \
	"WITH ORDINALITY AS u(a, t, k, p, n) ORDER BY n " \
	"ON CONFLICT (app_id, dedupe_key) DO NOTHING RETURNING id, app_id, dedupe_key"
#define STORE_WAKE_SQL	"SELECT dialhook_wake()"
#define STORE_SETUP_SQL	"SET synchronous_commit = on; SET application_name = 'dialhook-ingest'"

enum slot_job {
	SLOT_IDLE,
	SLOT_INSERT,
	SLOT_WAKE,
	SLOT_REPLAY,
};

struct store_slot {
	struct store		*st;
	struct pgconn		*conn;
	int			 idx;
	bool			 up;
	bool			 fail_logged;	/* connect failure already logged */
	enum slot_job		 job;
	int64_t			 sent_us;
	struct req_list		 batch;		/* SENT and ANSWERED requests, in insertion order */
	struct batching_key	*keys;		/* result mapping, max_batch entries each */
	struct batching_key	*row_keys;
	int64_t			*row_ids, *ids;
	struct pgarray		 arr[4];	/* app_id, event_type, dedupe_key, payload */
};

struct store {
	struct event_base	*base;
	struct store_options	 opt;
	store_fatal_fn		 fatal;
	void			*arg;
	struct store_slot	*slots;
	size_t			 up;		/* slots up */
	struct req_pool		 reqs;		/* the queue, the spill list (req.h) */
	struct event		*kick;		/* dispatch after this loop iteration */
	struct event		*spill_ev;	/* write the spill list after this loop iteration */
	struct event		*wake_timer;	/* debounced wake-up */
	bool			 wake_wanted;
	int64_t			 last_wake_us;
	struct req		**group;	/* requests in the spool group being written */
	size_t			 capgroup;
	struct metric		*m_stored, *m_dup, *m_failed, *m_batch, *m_commit, *m_resets;

	struct spooler		*sp;		/* outage spool, or NULL (spooler.h) */
};

static void	store_dispatch(struct store *st);

/* ------------------------------------------------------------ queue */

/* Answer every queued request with o. */
static void
store_fail_queue(struct store *st, enum store_outcome o)
{
	struct req		*r, *next;

	for (r = st->reqs.queue.head; r != NULL; r = next) {
		next = r->next;
		(void)req_answer(&st->reqs, r, o, 0);
	}
}

/* No connection is up: spool what is queued, or fail it (503) without a spool. */
static void
store_give_up_queue(struct store *st)
{
	struct req		*r, *next;

	if (st->sp == NULL) {
		store_fail_queue(st, STORE_UNAVAILABLE);
		return;
	}
	for (r = st->reqs.queue.head; r != NULL; r = next) {
		next = r->next;
		(void)req_set_state(&st->reqs, r, REQ_SPILLING, NULL);
	}
}

/*
 * Put the requests of slot s's batch still to be answered back at the
 * front of the queue in their order (answered ones are released), marking
 * them solo if asked. With no connection up, they are given up at once.
 */
static void
store_requeue(struct store_slot *s, bool solo)
{
	struct store		*st = s->st;
	struct req		*r, *prev;

	for (r = s->batch.tail; r != NULL; r = prev) {
		prev = r->prev;
		if (r->state == REQ_ANSWERED) {
			(void)req_set_state(&st->reqs, r, REQ_FREE, NULL);
			continue;
		}
		r->solo = r->solo || solo;
		(void)req_set_state(&st->reqs, r, REQ_QUEUED, NULL);
	}
	if (st->up == 0)
		store_give_up_queue(st);
}

void
store_submit(struct store *st, const char *app_id, char *payload, size_t len,
    const struct event_info *info, void *owner)
{
	struct req		*r = req_new(&st->reqs);
	enum batching_route	 route = batching_route(st->up, st->sp != NULL);

	r->owner = owner;
	r->payload = payload;
	r->len = len;
	r->info = *info;
	snprintf(r->app_id, sizeof(r->app_id), "%s", app_id);
	r->t0_us = util_now_us();
	r->received_ms = util_wall_ms();
	(void)req_set_state(&st->reqs, r, route == BATCHING_ROUTE_SPOOL ? REQ_SPILLING : REQ_QUEUED, NULL);
}

/* ------------------------------------------------------------ spool */

/*
 * Append r's event to the spool's current group and keep r as
 * st->group[*n] (*n counts up). 0, or -1 if the spool refused it (logged
 * by the spooler).
 */
static int
store_spool_add(struct store *st, struct req *r, size_t *n)
{
	struct spool_record	 rec = {
		.received_at_ms = r->received_ms,
		.app_id = r->app_id, .app_id_len = strlen(r->app_id),
		.event_type = r->info.type, .event_type_len = strlen(r->info.type),
		.dedupe_key = r->info.dedupe_key, .dedupe_key_len = strlen(r->info.dedupe_key),
		.payload = r->payload, .payload_len = r->len,
	};

	if (spooler_append(st->sp, &rec) != 0)
		return -1;
	if (*n == st->capgroup) {
		st->capgroup = st->capgroup ? st->capgroup * 2 : 64;
		st->group = xreallocarray(st->group, st->capgroup, sizeof(*st->group));
	}
	st->group[(*n)++] = r;
	return 0;
}

/*
 * Write one group to the outage spool and answer it: every request on the
 * spill list (one the spool refuses gets 503 at once), then, if inflight,
 * every SENT request that has waited half the timeout by now (one the
 * spool refuses stays with its batch and deadline). One sync; then each is
 * answered STORE_SPOOLED, or STORE_UNAVAILABLE if the sync failed; an
 * in-flight one stays with its batch (ANSWERED once spooled; unanswered if
 * the sync failed, since its INSERT may still commit).
 */
static void
store_spool_group(struct store *st, bool inflight, int64_t now)
{
	struct req		*r, *next;
	enum store_outcome	 o;
	size_t			 n = 0;

	for (r = st->reqs.spill.head; r != NULL; r = next) {
		next = r->next;
		if (store_spool_add(st, r, &n) != 0)
			(void)req_answer(&st->reqs, r, STORE_UNAVAILABLE, 0);
	}
	for (int i = 0; inflight && i < st->opt.connections; i++) {
		struct store_slot *s = &st->slots[i];

		for (r = s->job == SLOT_INSERT ? s->batch.head : NULL; r != NULL; r = r->next) {
			if (r->state == REQ_SENT && batching_due_spool(now - r->t0_us, st->opt.timeout_ms))
				(void)store_spool_add(st, r, &n);
		}
	}
	if (n == 0)
		return;
	o = spooler_sync(st->sp) == 0 ? STORE_SPOOLED : STORE_UNAVAILABLE;
	for (size_t i = 0; i < n; i++) {
		r = st->group[i];
		if (r->state != REQ_SENT)
			(void)req_answer(&st->reqs, r, o, 0);
		else if (o == STORE_SPOOLED)
			(void)req_answer_early(&st->reqs, r, o);
		/* else: its INSERT may still commit; it stays with its batch and deadline */
	}
}

/* After a loop pass that handed requests to the spool: write them. */
static void
store_spill_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	store_spool_group(arg, false, 0);
}

/* ------------------------------------------------------------ batches */

static void	store_insert_done(struct pgconn *c, PGresult *res, void *arg);

/* Cut a batch from the head of the queue into s->batch (batching_takes). */
static void
store_take(struct store_slot *s)
{
	struct store		*st = s->st;
	struct req		*r;

	while ((r = st->reqs.queue.head) != NULL &&
	    batching_takes(s->batch.n, s->batch.head != NULL && s->batch.head->solo, r->solo,
	    (size_t)st->opt.max_batch)) {
		if (req_set_state(&st->reqs, r, REQ_SENT, &s->batch) != 0)
			break;
	}
}

/* Fill the four array parameters from s->batch. */
static void
store_build(struct store_slot *s)
{
	for (int k = 0; k < 4; k++)
		pgarray_begin(&s->arr[k], s->batch.n);
	for (struct req *r = s->batch.head; r != NULL; r = r->next) {
		pgarray_add(&s->arr[0], r->app_id, strlen(r->app_id));
		pgarray_add(&s->arr[1], r->info.type, strlen(r->info.type));
		pgarray_add(&s->arr[2], r->info.dedupe_key, strlen(r->info.dedupe_key));
		pgarray_add(&s->arr[3], r->payload, r->len);
	}
}

/* Send the waiting requests as one INSERT on idle slot s. */
static void
store_send_batch(struct store_slot *s)
{
	const char	*values[4];
	int		 lengths[4], formats[4];

	store_take(s);
	if (s->batch.n == 0)
		return;
	store_build(s);
	for (int k = 0; k < 4; k++) {
		values[k] = s->arr[k].p;
		lengths[k] = (int)s->arr[k].len;
		formats[k] = 1;
	}
	if (pgconn_query_prepared(s->conn, 4, values, lengths, formats,
	    store_insert_done, s) != 0) {
		/* the connection was reset (on_down already ran) */
		store_requeue(s, false);
		return;
	}
	s->job = SLOT_INSERT;
	s->sent_us = util_now_us();
	metric_observe(s->st->m_batch, (double)s->batch.n);
}

/* Fill s->ids (one per batch request, in order) from the RETURNING rows (batching_map). */
static void
store_map(struct store_slot *s, const PGresult *res)
{
	size_t	 n = 0, nrows = (size_t)PQntuples(res);

	if (nrows > s->batch.n)
		nrows = s->batch.n;	/* cannot happen: one row per inserted request */
	for (struct req *r = s->batch.head; r != NULL; r = r->next) {
		s->keys[n].app_id = r->app_id;
		s->keys[n++].dedupe_key = r->info.dedupe_key;
	}
	for (size_t j = 0; j < nrows; j++) {
		s->row_keys[j].app_id = PQgetvalue(res, (int)j, 1);
		s->row_keys[j].dedupe_key = PQgetvalue(res, (int)j, 2);
		s->row_ids[j] = strtoll(PQgetvalue(res, (int)j, 0), NULL, 10);
	}
	batching_map(s->keys, n, s->row_keys, s->row_ids, nrows, s->ids);
}

/* Ask for a wake-up NOTIFY, at most once per notify interval. */
static void
store_want_wake(struct store *st)
{
	int64_t		 now, due;
	struct timeval	 tv;

	if (st->wake_wanted || evtimer_pending(st->wake_timer, NULL))
		return;
	now = util_now_us();
	due = st->last_wake_us + (int64_t)st->opt.notify_interval_ms * 1000;
	if (now >= due) {
		st->wake_wanted = true;
		return;
	}
	tv.tv_sec = (due - now) / 1000000;
	tv.tv_usec = (due - now) % 1000000;
	evtimer_add(st->wake_timer, &tv);
}

/*
 * Answer every request of a committed batch from its result (stored with
 * its id, or duplicate) and release the batch; requests answered early
 * are only released. The counters count rows, answered early or not.
 */
static void
store_batch_ok(struct store_slot *s, const PGresult *res)
{
	struct store		*st = s->st;
	struct req		*r, *next;
	size_t			 stored = 0, i = 0;

	store_map(s, res);
	for (r = s->batch.head; r != NULL; r = next, i++) {
		int64_t id = s->ids[i];

		next = r->next;
		if (id != 0) {
			stored++;
			metric_inc(st->m_stored);
		} else {
			metric_inc(st->m_dup);
		}
		(void)req_finish(&st->reqs, r, id != 0 ? STORE_STORED : STORE_DUPLICATE, id);
	}
	if (stored > 0)
		store_want_wake(st);
}

/*
 * A batch failed as a whole (batching_on_error): isolate the culprit by
 * retrying each row alone, hand the batch to the spool, or answer it (503
 * if transient, else 500). Requests answered early are only released.
 */
static void
store_batch_error(struct store_slot *s, const PGresult *res)
{
	struct store		*st = s->st;
	const char		*state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char		*msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	bool			 transient = pgconn_sqlstate_is_transient(state);
	enum batching_fate	 fate = batching_on_error(transient, s->batch.n, st->sp != NULL);
	struct req		*r, *next;

	log_warn("could not store batch", LOG_I("conn", s->idx), LOG_U("rows", s->batch.n),
	    LOG_S("sqlstate", state ? state : "none"), LOG_S("error", msg));
	if (fate == BATCHING_FATE_ISOLATE) {
		store_requeue(s, true);
		return;
	}
	for (r = s->batch.head; r != NULL; r = next) {
		next = r->next;
		if (fate == BATCHING_FATE_FAILED)
			metric_inc(st->m_failed);
		if (r->state != REQ_ANSWERED && fate == BATCHING_FATE_SPOOL)
			(void)req_set_state(&st->reqs, r, REQ_SPILLING, NULL);
		else
			(void)req_finish(&st->reqs, r, fate == BATCHING_FATE_FAILED ? STORE_FAILED :
			    STORE_UNAVAILABLE, 0);
	}
}

/* pgconn result callback of an INSERT batch. */
static void
store_insert_done(struct pgconn *c DH_UNUSED, PGresult *res, void *arg)
{
	struct store_slot	*s = arg;
	struct store		*st = s->st;

	s->job = SLOT_IDLE;
	if (res == NULL)
		store_requeue(s, false);	/* outcome unknown: a retry may become a duplicate */
	else if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		metric_observe(st->m_commit, (double)(util_now_us() - s->sent_us) / 1e6);
		store_batch_ok(s, res);
	} else
		store_batch_error(s, res);
	event_active(st->kick, EV_TIMEOUT, 0);
}

/* ------------------------------------------------------------ wake-up */

static void
store_wake_done(struct pgconn *c DH_UNUSED, PGresult *res, void *arg)
{
	struct store_slot	*s = arg;
	char			 why[256];

	s->job = SLOT_IDLE;
	if (res != NULL && PQresultStatus(res) != PGRES_TUPLES_OK) {
		util_one_line(PQresultErrorMessage(res), why, sizeof(why));
		log_warn("could not send wake-up", LOG_I("conn", s->idx), LOG_S("error", why));
	}
	event_active(s->st->kick, EV_TIMEOUT, 0);
}

static void
store_send_wake(struct store_slot *s)
{
	struct store	*st = s->st;

	st->wake_wanted = false;
	st->last_wake_us = util_now_us();
	if (pgconn_query(s->conn, STORE_WAKE_SQL, 0, NULL, NULL, NULL, store_wake_done, s) != 0)
		return;		/* connection reset; the processors' poll finds the rows */
	s->job = SLOT_WAKE;
	s->sent_us = st->last_wake_us;
}

static void
store_wake_timer_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	struct store	*st = arg;

	st->wake_wanted = true;
	store_dispatch(st);
}

void
store_flush_wake(struct store *st)
{
	if (evtimer_pending(st->wake_timer, NULL)) {
		evtimer_del(st->wake_timer);
		st->wake_wanted = true;
	}
	store_dispatch(st);
}

/* ------------------------------------------------------------ replay */

/* pgconn result callback of a spool replay statement: the spooler judges it. */
static void
store_replay_done(struct pgconn *c DH_UNUSED, PGresult *res, void *arg)
{
	struct store_slot	*s = arg;
	struct store		*st = s->st;

	s->job = SLOT_IDLE;
	if (spooler_replay_result(st->sp, res))
		store_want_wake(st);
	event_active(st->kick, EV_TIMEOUT, 0);
}

/* Send the spooler's next replay statement on idle slot s, if it has one. */
static void
store_send_replay(struct store_slot *s)
{
	struct store		*st = s->st;
	struct spooler_stmt	 q;

	if (spooler_replay_next(st->sp, s->idx, &q) != 0)
		return;
	if (pgconn_query(s->conn, q.sql, q.nparams, q.values, q.lengths, q.formats,
	    store_replay_done, s) != 0) {
		/* the connection was reset: the segment is retried later */
		(void)spooler_replay_result(st->sp, NULL);
		return;
	}
	s->job = SLOT_REPLAY;
	s->sent_us = util_now_us();
}

/* ------------------------------------------------------------ dispatch */

/*
 * Give every idle connection work: a due wake-up first, else the next
 * batch, else the spool's next replay statement.
 */
static void
store_dispatch(struct store *st)
{
	for (int i = 0; i < st->opt.connections; i++) {
		struct store_slot *s = &st->slots[i];

		if (s->job != SLOT_IDLE || !pgconn_is_idle(s->conn))
			continue;
		if (st->wake_wanted)
			store_send_wake(s);
		else if (st->reqs.queue.head != NULL)
			store_send_batch(s);
		else if (st->sp != NULL && spooler_wants_conn(st->sp))
			store_send_replay(s);
		else
			break;
	}
}

static void
store_kick_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	store_dispatch(arg);
}

/* The spooler's callback: a segment is claimed and wants a connection. */
static void
store_replay_wanted(void *arg)
{
	store_dispatch(arg);
}

/* ------------------------------------------------------------ deadlines */

/*
 * With a spool, hand it every queued request that has waited half of
 * DIALHOOK_DB_TIMEOUT_MS by now, then write one group with them and the
 * in-flight ones that have waited as long (store_spool_group).
 */
static void
store_spill(struct store *st, int64_t now)
{
	struct req		*r;

	if (st->sp == NULL)
		return;
	while ((r = st->reqs.queue.head) != NULL && batching_due_spool(now - r->t0_us, st->opt.timeout_ms)) {
		if (req_set_state(&st->reqs, r, REQ_SPILLING, NULL) != 0)
			break;
	}
	store_spool_group(st, true, now);
}

/* Answer the requests of s's batch that are past their deadline; reset s if it is stuck. */
static void
store_tick_slot(struct store_slot *s, int64_t now)
{
	struct store		*st = s->st;
	struct req		*r, *next;

	if (s->job == SLOT_IDLE)
		return;
	for (r = s->batch.head; r != NULL; r = next) {
		next = r->next;
		if (r->state == REQ_SENT && batching_due_timeout(now - r->t0_us, st->opt.timeout_ms))
			(void)req_answer_early(&st->reqs, r, STORE_TIMEOUT);
	}
	if (batching_stuck(now - s->sent_us, st->opt.timeout_ms)) {
		log_warn("database statement stuck, resetting the connection", LOG_I("conn", s->idx),
		    LOG_U("rows", s->batch.n), LOG_I("waited_ms", (now - s->sent_us) / 1000));
		metric_inc(st->m_resets);
		pgconn_reset(s->conn, "statement outlived twice DIALHOOK_DB_TIMEOUT_MS");
	}
}

void
store_tick(struct store *st)
{
	int64_t			 now = util_now_us();
	struct req		*r;

	store_spill(st, now);
	while ((r = st->reqs.queue.head) != NULL &&
	    batching_due_timeout(now - r->t0_us, st->opt.timeout_ms)) {
		if (req_answer(&st->reqs, r, STORE_TIMEOUT, 0) != 0)
			break;
	}
	for (int i = 0; i < st->opt.connections; i++)
		store_tick_slot(&st->slots[i], now);
	store_dispatch(st);
}

/* ------------------------------------------------------------ pool */

static void
store_on_up(struct pgconn *c DH_UNUSED, void *arg)
{
	struct store_slot	*s = arg;

	s->up = true;
	s->fail_logged = false;
	s->st->up++;
	log_info("database connection up", LOG_I("conn", s->idx), LOG_U("up", s->st->up));
	if (s->st->sp != NULL)
		spooler_db_up(s->st->sp, true);
	store_dispatch(s->st);
}

static void
store_on_down(struct pgconn *c DH_UNUSED, const char *why, void *arg)
{
	struct store_slot	*s = arg;
	struct store		*st = s->st;

	if (s->up) {
		s->up = false;
		st->up--;
		log_warn("database connection lost", LOG_I("conn", s->idx), LOG_U("up", st->up),
		    LOG_S("error", why));
	} else if (!s->fail_logged) {
		s->fail_logged = true;
		log_warn("could not connect to the database, retrying", LOG_I("conn", s->idx),
		    LOG_S("error", why));
	}
	if (st->sp != NULL)
		spooler_db_up(st->sp, st->up > 0);
	if (st->up == 0)
		store_give_up_queue(st);
}

static void
store_on_fatal(struct pgconn *c DH_UNUSED, const char *why, void *arg)
{
	struct store_slot	*s = arg;

	s->st->fatal(why, s->st->arg);
}

static double
store_gauge_pending(void *arg)
{
	return (double)store_pending(arg);
}

static double
store_gauge_up(void *arg)
{
	return (double)((struct store *)arg)->up;
}

static double
store_gauge_down(void *arg)
{
	struct store	*st = arg;

	return (double)((size_t)st->opt.connections - st->up);
}

static void
store_metrics(struct store *st, struct metrics *m)
{
	static const double batch_bounds[] = { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000 };
	static const double commit_bounds[] = { .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5 };

	st->m_stored = metrics_counter(m, "dialhook_ingest_events_stored_total",
	    "events newly committed to webhook_events", NULL);
	st->m_dup = metrics_counter(m, "dialhook_ingest_duplicates_total",
	    "redeliveries of events already stored", NULL);
	st->m_failed = metrics_counter(m, "dialhook_ingest_store_failures_total",
	    "events the database refused (answered 500)", NULL);
	st->m_resets = metrics_counter(m, "dialhook_ingest_db_resets_total",
	    "connections reset because a statement was stuck", NULL);
	st->m_batch = metrics_histogram(m, "dialhook_ingest_batch_size",
	    "events per group-commit INSERT", NULL, batch_bounds, DH_ARRAY_LEN(batch_bounds));
	st->m_commit = metrics_histogram(m, "dialhook_ingest_commit_seconds",
	    "time from sending a group-commit INSERT to its committed result", NULL,
	    commit_bounds, DH_ARRAY_LEN(commit_bounds));
	metrics_gauge_fn(m, "dialhook_ingest_pending_requests",
	    "requests waiting for a commit", NULL, store_gauge_pending, st);
	metrics_gauge_fn(m, "dialhook_ingest_db_connections", "pool connections by state",
	    "state=\"up\"", store_gauge_up, st);
	metrics_gauge_fn(m, "dialhook_ingest_db_connections", "pool connections by state",
	    "state=\"down\"", store_gauge_down, st);
}

struct store *
store_new(struct event_base *base, const struct store_options *opt, struct metrics *m,
    store_done_fn done, store_fatal_fn fatal, void *arg, char *err, size_t errlen)
{
	struct store		*st;
	struct pgconn_options	 po = { 0 };
	struct pgconn_callbacks	 cbs = { store_on_up, store_on_down, NULL, store_on_fatal };

	st = xcalloc(1, sizeof(*st));
	if (opt->spool_dir != NULL && (st->sp = spooler_new(base, opt->spool_dir, opt->spool_max_bytes,
	    store_replay_wanted, st, err, errlen)) == NULL) {
		free(st);
		return NULL;
	}

	st->base = base;
	st->opt = *opt;
	st->fatal = fatal;
	st->arg = arg;
	st->kick = event_new(base, -1, 0, store_kick_cb, st);
	st->spill_ev = event_new(base, -1, 0, store_spill_cb, st);
	req_pool_init(&st->reqs, done, arg, st->kick, st->spill_ev);
	st->wake_timer = evtimer_new(base, store_wake_timer_cb, st);
	po.conninfo = opt->conninfo;
	po.resolver = opt->resolver;
	po.setup_sql = STORE_SETUP_SQL;
	po.prepare_name = STORE_INSERT_NAME;
	po.prepare_sql = STORE_INSERT_SQL;
	po.min_schema = migrations_latest();
	po.connect_timeout_ms = opt->timeout_ms;
	st->slots = xcalloc((size_t)opt->connections, sizeof(*st->slots));
	for (int i = 0; i < opt->connections; i++) {
		struct store_slot *s = &st->slots[i];

		s->st = st;
		s->idx = i;
		s->keys = xcalloc((size_t)opt->max_batch, sizeof(*s->keys));
		s->row_keys = xcalloc((size_t)opt->max_batch, sizeof(*s->row_keys));
		s->row_ids = xcalloc((size_t)opt->max_batch, sizeof(*s->row_ids));
		s->ids = xcalloc((size_t)opt->max_batch, sizeof(*s->ids));
		s->conn = pgconn_new(base, &po, &cbs, s);
	}
	store_metrics(st, m);
	if (st->sp != NULL)
		spooler_metrics(st->sp, m);
	return st;
}

void
store_start(struct store *st)
{
	for (int i = 0; i < st->opt.connections; i++)
		pgconn_start(st->slots[i].conn);
}

/* Release the requests of s's batch, answering those not answered yet with o (the pool is closing). */
static void
store_fail_batch(struct store_slot *s, enum store_outcome o)
{
	struct req		*r, *next;

	for (r = s->batch.head; r != NULL; r = next) {
		next = r->next;
		(void)req_finish(&s->st->reqs, r, o, 0);
	}
}

void
store_free(struct store *st)
{
	if (st == NULL)
		return;
	/* last chance for what is still waiting (shutdown timeout): spool it all */
	store_spill(st, INT64_MAX);
	st->up = 0;
	for (int i = 0; i < st->opt.connections; i++) {
		struct store_slot *s = &st->slots[i];

		pgconn_free(s->conn);
		store_fail_batch(s, STORE_UNAVAILABLE);
		for (int k = 0; k < 4; k++)
			pgarray_free(&s->arr[k]);
		free(s->keys);
		free(s->row_keys);
		free(s->row_ids);
		free(s->ids);
	}
	store_fail_queue(st, STORE_UNAVAILABLE);
	req_pool_fini(&st->reqs);
	event_free(st->kick);
	event_free(st->spill_ev);
	event_free(st->wake_timer);
	spooler_free(st->sp);
	free(st->group);
	free(st->slots);
	free(st);
}

bool
store_can_accept(const struct store *st)
{
	return batching_admits(st->up, store_spool_is_usable(st), st->reqs.waiting,
	    (size_t)st->opt.max_pending);
}

bool
store_spool_is_usable(const struct store *st)
{
	return st->sp != NULL && spooler_is_usable(st->sp);
}

void
store_drain(struct store *st)
{
	if (st->sp != NULL)
		spooler_drain(st->sp);
	store_flush_wake(st);
}

bool
store_is_ready(const struct store *st)
{
	return st->up > 0;
}

size_t
store_pending(const struct store *st)
{
	return st->reqs.waiting;
}

bool
store_is_idle(const struct store *st)
{
	for (int i = 0; i < st->opt.connections; i++)
		if (st->slots[i].job != SLOT_IDLE && pgconn_is_up(st->slots[i].conn))
			return false;
	if (st->reqs.waiting != 0 || st->reqs.queue.n != 0 || st->reqs.spill.n != 0)
		return false;
	/* a wake-up still due counts, unless no connection could send it */
	return st->up == 0 || (!st->wake_wanted && !evtimer_pending(st->wake_timer, NULL));
}
