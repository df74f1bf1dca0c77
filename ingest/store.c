/*
 * store.c: the connection pool, the pending queue and group commit (see
 * store.h for the contract).
 *
 * Each pool slot runs at most one job at a time: an INSERT batch or a
 * wake-up. The queue is FIFO, so it is also ordered by deadline (every
 * request gets the same timeout; a requeued batch goes back to the front,
 * and it is older than anything queued after it).
 */
#include "store.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "log.h"
#include "metrics.h"
#include "migrations.h"
#include "pgconn.h"
#include "pgarray.h"
#include "spooler.h"

#define STORE_FREE_MAX		1024	/* request structs kept for reuse */

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
	struct store_req	**batch;	/* max_batch entries */
	size_t			 n;
	int64_t			*ids;		/* result mapping, max_batch entries */
	struct pgarray		 arr[4];	/* app_id, event_type, dedupe_key, payload */
};

struct store {
	struct event_base	*base;
	struct store_options	 opt;
	store_done_fn		 done;
	store_fatal_fn		 fatal;
	void			*arg;
	struct store_slot	*slots;
	size_t			 up;		/* slots up */
	struct store_req	*head, *tail;	/* queue */
	size_t			 waiting;	/* submitted, not yet answered */
	struct event		*kick;		/* dispatch after this loop iteration */
	struct event		*wake_timer;	/* debounced wake-up */
	bool			 wake_wanted;
	int64_t			 last_wake_us;
	struct store_req	*free_reqs;
	size_t			 nfree;
	struct metric		*m_stored, *m_dup, *m_failed, *m_batch, *m_commit, *m_resets;

	struct spooler		*sp;		/* outage spool, or NULL (spooler.h) */
};

static void	store_dispatch(struct store *st);

/* ------------------------------------------------------------ requests */

struct store_req *
store_req_new(struct store *st)
{
	struct store_req	*r = st->free_reqs;

	if (r != NULL) {
		st->free_reqs = r->next;
		st->nfree--;
	} else {
		r = xmalloc(sizeof(*r));
	}
	r->next = NULL;
	r->owner = NULL;
	r->payload = NULL;
	r->len = 0;
	r->answered = false;
	r->solo = false;
	r->app_id[0] = '\0';
	return r;
}

void
store_req_discard(struct store *st, struct store_req *r)
{
	free(r->payload);
	r->payload = NULL;
	if (st->nfree >= STORE_FREE_MAX) {
		free(r);
		return;
	}
	r->next = st->free_reqs;
	st->free_reqs = r;
	st->nfree++;
}

void
store_answer(struct store *st, struct store_req *r, enum store_outcome o, int64_t id)
{
	if (r->answered)
		return;
	r->answered = true;
	st->waiting--;
	st->done(r, o, id, st->arg);
}

/* ------------------------------------------------------------ queue */

static void
queue_push(struct store *st, struct store_req *r)
{
	r->next = NULL;
	if (st->tail)
		st->tail->next = r;
	else
		st->head = r;
	st->tail = r;
}

static struct store_req *
queue_pop(struct store *st)
{
	struct store_req	*r = st->head;

	if (r != NULL) {
		st->head = r->next;
		if (st->head == NULL)
			st->tail = NULL;
		r->next = NULL;
	}
	return r;
}

/* Answer every queued request with o and free it. */
static void
store_fail_queue(struct store *st, enum store_outcome o)
{
	struct store_req	*r;

	while ((r = queue_pop(st)) != NULL) {
		store_answer(st, r, o, 0);
		store_req_discard(st, r);
	}
}

/* No connection is up: spool what is queued, or fail it (503) without a spool. */
static void
store_give_up_queue(struct store *st)
{
	struct store_req	*r;

	if (st->sp == NULL) {
		store_fail_queue(st, STORE_UNAVAILABLE);
		return;
	}
	while ((r = queue_pop(st)) != NULL)
		spooler_take(st->sp, r);
}

/*
 * Put the unanswered requests of slot s's batch back at the front of the
 * queue in their order (answered ones are freed), marking them solo if
 * asked. With no connection up, they are failed at once instead.
 */
static void
store_requeue(struct store_slot *s, bool solo)
{
	struct store		*st = s->st;

	for (size_t i = s->n; i-- > 0;) {
		struct store_req *r = s->batch[i];

		if (r->answered) {
			store_req_discard(st, r);
			continue;
		}
		r->solo = r->solo || solo;
		r->next = st->head;
		st->head = r;
		if (st->tail == NULL)
			st->tail = r;
	}
	s->n = 0;
	if (st->up == 0)
		store_give_up_queue(st);
}

void
store_submit(struct store *st, struct store_req *r)
{
	r->t0_us = util_now_us();
	r->received_ms = util_wall_ms();
	r->deadline_us = r->t0_us + (int64_t)st->opt.timeout_ms * 1000;
	st->waiting++;
	if (st->sp != NULL && st->up == 0) {
		spooler_take(st->sp, r);
		return;
	}
	queue_push(st, r);
	event_active(st->kick, EV_TIMEOUT, 0);
}

/* ------------------------------------------------------------ batches */

static void	store_insert_done(struct pgconn *c, PGresult *res, void *arg);

/* Move up to max_batch queued requests (one if the head is solo) into s->batch. */
static void
store_take(struct store_slot *s)
{
	struct store	*st = s->st;
	size_t		 max = st->head && st->head->solo ? 1 : (size_t)st->opt.max_batch;

	s->n = 0;
	while (st->head != NULL && s->n < max && !(s->n > 0 && st->head->solo))
		s->batch[s->n++] = queue_pop(st);
}

/* Fill the four array parameters from s->batch. */
static void
store_build(struct store_slot *s)
{
	for (int k = 0; k < 4; k++)
		pgarray_begin(&s->arr[k], s->n);
	for (size_t i = 0; i < s->n; i++) {
		struct store_req *r = s->batch[i];

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
	if (s->n == 0)
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
	metric_observe(s->st->m_batch, (double)s->n);
}

static bool
row_matches(const PGresult *res, int row, const struct store_req *r)
{
	return strcmp(PQgetvalue(res, row, 2), r->info.dedupe_key) == 0 &&
	    strcmp(PQgetvalue(res, row, 1), r->app_id) == 0;
}

/*
 * Fill s->ids from the RETURNING rows: the id for each request whose row
 * was inserted, 0 for duplicates. Rows come back in insertion order, which
 * one merge pass relies on; if they do not, a full search takes over.
 */
static void
store_map(struct store_slot *s, const PGresult *res)
{
	int	 nt = PQntuples(res), j = 0;

	for (size_t i = 0; i < s->n; i++) {
		s->ids[i] = 0;
		if (j < nt && row_matches(res, j, s->batch[i]))
			s->ids[i] = strtoll(PQgetvalue(res, j++, 0), NULL, 10);
	}
	if (j == nt)
		return;
	for (size_t i = 0; i < s->n; i++)
		s->ids[i] = 0;
	for (j = 0; j < nt; j++) {
		for (size_t i = 0; i < s->n; i++) {
			if (s->ids[i] == 0 && row_matches(res, j, s->batch[i])) {
				s->ids[i] = strtoll(PQgetvalue(res, j, 0), NULL, 10);
				break;
			}
		}
	}
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

/* Answer every request of a committed batch from its result. */
static void
store_batch_ok(struct store_slot *s, const PGresult *res)
{
	struct store	*st = s->st;
	size_t		 stored = 0;

	store_map(s, res);
	for (size_t i = 0; i < s->n; i++) {
		struct store_req *r = s->batch[i];

		if (s->ids[i] != 0) {
			stored++;
			metric_inc(st->m_stored);
			store_answer(st, r, STORE_STORED, s->ids[i]);
		} else {
			metric_inc(st->m_dup);
			store_answer(st, r, STORE_DUPLICATE, 0);
		}
		store_req_discard(st, r);
	}
	s->n = 0;
	if (stored > 0)
		store_want_wake(st);
}

/*
 * A batch failed as a whole. A non-transient error in a multi-row batch
 * is isolated by retrying each row alone; otherwise every request fails
 * (503 if transient, else 500).
 */
static void
store_batch_error(struct store_slot *s, const PGresult *res)
{
	struct store	*st = s->st;
	const char	*state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char	*msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	bool		 transient = pgconn_sqlstate_is_transient(state);
	char		 esc[256];

	log_escape(esc, sizeof(esc), msg ? msg : "", msg ? strlen(msg) : 0);
	log_warn("could not store batch|conn=%d rows=%zu sqlstate=%s error=\"%s\"", s->idx, s->n,
	    state ? state : "none", esc);
	if (!transient && s->n > 1) {
		store_requeue(s, true);
		return;
	}
	if (transient && st->sp != NULL) {
		for (size_t i = 0; i < s->n; i++) {
			if (s->batch[i]->answered)
				store_req_discard(st, s->batch[i]);
			else
				spooler_take(st->sp, s->batch[i]);
		}
		s->n = 0;
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		if (!transient)
			metric_inc(st->m_failed);
		store_answer(st, s->batch[i], transient ? STORE_UNAVAILABLE : STORE_FAILED, 0);
		store_req_discard(st, s->batch[i]);
	}
	s->n = 0;
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
		pgconn_trim_error(PQresultErrorMessage(res), why, sizeof(why));
		log_warn("could not send wake-up|conn=%d error=\"%s\"", s->idx, why);
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

/* ------------------------------------------------------------ dispatch */

/* Give every idle connection work: a due wake-up first, else the next batch. */
static void
store_dispatch(struct store *st)
{
	for (int i = 0; i < st->opt.connections; i++) {
		struct store_slot *s = &st->slots[i];

		if (s->job != SLOT_IDLE || !pgconn_is_idle(s->conn))
			continue;
		if (st->wake_wanted)
			store_send_wake(s);
		else if (st->head != NULL)
			store_send_batch(s);
		else if (st->sp != NULL && spooler_wants_conn(st->sp)) {
			if (spooler_replay_send(st->sp, s->conn, s->idx) == 0) {
				s->job = SLOT_REPLAY;
				s->sent_us = util_now_us();
			}
		} else
			break;
	}
}

void
store_kick(struct store *st)
{
	store_dispatch(st);
}

void
store_replay_done(struct store *st, int idx, bool inserted)
{
	st->slots[idx].job = SLOT_IDLE;
	if (inserted)
		store_want_wake(st);
	event_active(st->kick, EV_TIMEOUT, 0);
}

static void
store_kick_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	store_dispatch(arg);
}

/* ------------------------------------------------------------ deadlines */

/*
 * With a spool, hand it every queued or in-flight request that has waited
 * half of DIALHOOK_DB_TIMEOUT_MS by now (INT64_MAX: all of them) and write
 * one group. In-flight ones stay in their batch (the spooler only answers
 * them); one the spool refuses is left to its batch and deadline.
 */
static void
store_spill(struct store *st, int64_t now)
{
	int64_t		 after = (int64_t)st->opt.timeout_ms * 500;

	if (st->sp == NULL)
		return;
	while (st->head != NULL && st->head->t0_us + after <= now)
		spooler_take(st->sp, queue_pop(st));
	for (int i = 0; i < st->opt.connections; i++) {
		struct store_slot *s = &st->slots[i];

		for (size_t j = 0; s->job == SLOT_INSERT && j < s->n; j++)
			if (!s->batch[j]->answered && s->batch[j]->t0_us + after <= now)
				spooler_take_inflight(st->sp, s->batch[j]);
	}
	spooler_flush(st->sp);
}

/* Answer the requests of s's batch that are past their deadline; reset s if it is stuck. */
static void
store_tick_slot(struct store_slot *s, int64_t now)
{
	struct store	*st = s->st;
	int64_t		 stuck = (int64_t)st->opt.timeout_ms * 2000;

	if (s->job == SLOT_IDLE)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (s->batch[i]->deadline_us <= now)
			store_answer(st, s->batch[i], STORE_TIMEOUT, 0);
	if (now - s->sent_us > stuck) {
		log_warn("database statement stuck, resetting the connection|conn=%d rows=%zu waited_ms=%" PRId64,
		    s->idx, s->n, (now - s->sent_us) / 1000);
		metric_inc(st->m_resets);
		pgconn_reset(s->conn, "statement outlived twice DIALHOOK_DB_TIMEOUT_MS");
	}
}

void
store_tick(struct store *st)
{
	int64_t		 now = util_now_us();
	struct store_req *r;

	store_spill(st, now);
	while (st->head != NULL && st->head->deadline_us <= now) {
		r = queue_pop(st);
		store_answer(st, r, STORE_TIMEOUT, 0);
		store_req_discard(st, r);
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
	log_info("database connection up|conn=%d up=%zu", s->idx, s->st->up);
	if (s->st->sp != NULL)
		spooler_conn_up(s->st->sp);
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
		log_warn("database connection lost|conn=%d up=%zu error=\"%s\"", s->idx, st->up, why);
	} else if (!s->fail_logged) {
		s->fail_logged = true;
		log_warn("could not connect to the database, retrying|conn=%d error=\"%s\"", s->idx, why);
	}
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
	if (opt->spool_dir != NULL &&
	    (st->sp = spooler_new(base, st, opt->spool_dir, opt->spool_max_bytes, err, errlen)) == NULL) {
		free(st);
		return NULL;
	}

	st->base = base;
	st->opt = *opt;
	st->done = done;
	st->fatal = fatal;
	st->arg = arg;
	st->kick = event_new(base, -1, 0, store_kick_cb, st);
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
		s->batch = xcalloc((size_t)opt->max_batch, sizeof(*s->batch));
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

void
store_free(struct store *st)
{
	struct store_req	*r;

	if (st == NULL)
		return;
	/* last chance for what is still waiting (shutdown timeout): spool it all */
	store_spill(st, INT64_MAX);
	st->up = 0;
	for (int i = 0; i < st->opt.connections; i++) {
		struct store_slot *s = &st->slots[i];

		pgconn_free(s->conn);
		for (size_t j = 0; j < s->n; j++) {
			store_answer(st, s->batch[j], STORE_UNAVAILABLE, 0);
			store_req_discard(st, s->batch[j]);
		}
		for (int k = 0; k < 4; k++)
			free(s->arr[k].p);
		free(s->batch);
		free(s->ids);
	}
	store_fail_queue(st, STORE_UNAVAILABLE);
	while ((r = st->free_reqs) != NULL) {
		st->free_reqs = r->next;
		free(r);
	}
	event_free(st->kick);
	event_free(st->wake_timer);
	spooler_free(st->sp);
	free(st->slots);
	free(st);
}

bool
store_can_accept(const struct store *st)
{
	return (st->up > 0 || store_spool_is_usable(st)) && st->waiting < (size_t)st->opt.max_pending;
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
	return st->waiting;
}

bool
store_is_idle(const struct store *st)
{
	for (int i = 0; i < st->opt.connections; i++)
		if (st->slots[i].job != SLOT_IDLE && pgconn_is_up(st->slots[i].conn))
			return false;
	if (st->waiting != 0 || st->head != NULL || (st->sp != NULL && !spooler_is_idle(st->sp)))
		return false;
	/* a wake-up still due counts, unless no connection could send it */
	return st->up == 0 || (!st->wake_wanted && !evtimer_pending(st->wake_timer, NULL));
}
