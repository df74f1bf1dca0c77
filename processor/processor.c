/*
 * processor.c: the batch state machine on one pgconn, signals, timers
 * (see processor.h for the protocol).
 *
 * States: IDLE (nothing in flight), CLAIM, WRITE, COMMIT, ROLLBACK (the
 * batch's transaction is being undone), FAILMARK (a single event that
 * failed in SQL is being marked). One query is in flight at a time; the
 * next step is sent from the previous step's result callback.
 */
#include "processor.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "batch.h"
#include "dispatch.h"
#include "httpserv.h"
#include "log.h"
#include "migrations.h"
#include "pgconn.h"
#include "resolver.h"
#include "status.h"
#include "strbuf.h"

/*
 * Descriptors kept out of the metrics listener's budget, so a database
 * reconnect is never starved by it: stdio (3), the event loop's own (epoll,
 * signal pipe, notification: 4), the listening socket, the database
 * connection and the new one of a reconnect (2), and room for name lookups
 * and libpq (16). The listener serves at most PROC_HTTP_MAX_CONNECTIONS.
 */
#define PROC_FD_RESERVE			26
#define PROC_HTTP_MAX_CONNECTIONS	32

/* After a transient database error (timeout, deadlock), wait this long before claiming again. */
#define PROC_ERROR_PAUSE_MS	500
#define PROC_ERR_MAX		256

/* The due predicate; the partial index webhook_events_due matches it. */
#define PROC_DUE "processed_at IS NULL AND dead_at IS NULL" \
	" AND (next_attempt_at IS NULL OR next_attempt_at <= now())"
#define PROC_BEGIN "BEGIN; SET LOCAL synchronous_commit = off; "
#define PROC_SELECT "SELECT e.id, e.app_id, e.event_type, e.attempts, e.payload," \
	" (extract(epoch FROM now() - e.received_at) * 1000)::int8" \
	" FROM webhook_events e JOIN c USING (id) ORDER BY e.id"

/* Claim texts: the next due batch (LIMIT), and one id set of a bisection. */
#define PROC_CLAIM_FMT PROC_BEGIN "WITH c AS MATERIALIZED (SELECT id FROM webhook_events WHERE " PROC_DUE \
	" ORDER BY id LIMIT %" PRId64 " FOR UPDATE SKIP LOCKED) " PROC_SELECT
#define PROC_SUBSET_FMT PROC_BEGIN "WITH c AS MATERIALIZED (SELECT id FROM webhook_events" \
	" WHERE id = ANY('%s'::int8[]) AND " PROC_DUE " ORDER BY id FOR UPDATE SKIP LOCKED) " PROC_SELECT

/* Mark one event that failed in SQL on its own; only if nobody touched it since we read it. */
static const char proc_failmark_sql[] =
    "UPDATE webhook_events SET attempts = attempts + 1, last_error = $2,"
    " next_attempt_at = CASE WHEN $4::bool THEN NULL ELSE now() + $3::int8 * interval '1 millisecond' END,"
    " dead_at = CASE WHEN $4::bool THEN now() END"
    " WHERE id = $1 AND attempts = $5 AND processed_at IS NULL AND dead_at IS NULL";

enum proc_state { PS_IDLE, PS_CLAIM, PS_WRITE, PS_COMMIT, PS_ROLLBACK, PS_FAILMARK };

/* A set of event ids to claim again on their own (bisecting a failed write). */
struct idset {
	int64_t	*ids;
	size_t	 n;
};

struct processor {
	const struct dh_config	*cfg;
	struct event_base	*base;
	struct pgconn		*db;
	struct resolver		*resolver;	/* the database host's lookups */
	struct status		*status;
	struct event		*sig_term, *sig_int, *poll, *kick, *pause, *deadline;
	struct batch		 batch;
	struct batch_policy	 policy;
	enum proc_state		 state;
	bool			 pending;	/* work may be due */
	bool			 subset;	/* the batch in flight was claimed by id */
	bool			 full;		/* it filled batch_size: more is probably due */
	bool			 stopping;
	int			 exit_code;
	struct idset		*stack;		/* id sets still to claim on their own */
	size_t			 nstack, capstack;
	char			*claim_sql;	/* the next due batch */
	char			*write_sql;	/* the batch write, prepared on connect */
	struct strbuf		 subset_sql;	/* claim of one id set of a bisection */
	int64_t			 t_batch, t_sent, db_us;
	int64_t			 step_us[PS_FAILMARK + 1];	/* per step of this batch */
	struct batch_event	 failing;	/* the event FAILMARK is marking */
	char			 failing_err[PROC_ERR_MAX + sizeof(BATCH_ERR_DATABASE)];
};

static void	proc_kick(struct processor *p);
static void	proc_step_done(struct pgconn *c, PGresult *res, void *arg);

/* Leave the loop with this exit code. */
static void
proc_exit(struct processor *p, int code)
{
	p->exit_code = code;
	event_base_loopbreak(p->base);
}

/* A statement to send: how, its text (not for PGCONN_PREPARED) and its parameters. */
struct proc_stmt {
	enum pgconn_mode	 mode;
	const char		*sql;
	int			 nparams;
	const char *const	*values;
	const int		*lengths, *formats;	/* NULL: text parameters */
};

/* Send a statement for state st; on a send failure pgconn resets and on_down follows. */
static void
proc_send(struct processor *p, enum proc_state st, struct proc_stmt q)
{
	int	 rc = -1;

	p->state = st;
	p->t_sent = util_now_us();
	switch (q.mode) {
	case PGCONN_SIMPLE:
		rc = pgconn_query_simple(p->db, q.sql, proc_step_done, p);
		break;
	case PGCONN_PARAMS:
		rc = pgconn_query(p->db, q.sql, q.nparams, q.values, q.lengths, q.formats, proc_step_done, p);
		break;
	case PGCONN_PREPARED:
		rc = pgconn_query_prepared(p->db, q.nparams, q.values, q.lengths, q.formats, proc_step_done,
		    p);
		break;
	case PGCONN_PREPARE:		/* pgconn's own step, never ours */
		break;
	}
	if (rc != 0) {
		log_warn("could not send a query", LOG_I("state", st),
		    LOG_S("reason", pgconn_last_error(p->db)));
		p->state = PS_IDLE;
	}
}

/* Send a simple-protocol text (BEGIN/claim, COMMIT, ROLLBACK). */
static void
proc_send_simple(struct processor *p, enum proc_state st, const char *sql)
{
	proc_send(p, st, (struct proc_stmt){ PGCONN_SIMPLE, sql, 0, NULL, NULL, NULL });
}

/* Set t to the subset claim of ids (PROC_SUBSET_FMT with an int8[] literal). */
static void
proc_subset_sql(struct strbuf *t, const int64_t *ids, size_t n)
{
	struct strbuf	 lit = { 0 };

	strbuf_puts(&lit, "{");
	for (size_t i = 0; i < n; i++)
		strbuf_printf(&lit, "%s%" PRId64, i ? "," : "", ids[i]);
	strbuf_puts(&lit, "}");
	strbuf_reset(t);
	strbuf_printf(t, PROC_SUBSET_FMT, lit.p);
	strbuf_free(&lit);
}

static void
proc_stack_clear(struct processor *p)
{
	while (p->nstack > 0)
		free(p->stack[--p->nstack].ids);
}

static void
proc_stack_push(struct processor *p, const int64_t *ids, size_t n)
{
	if (p->nstack == p->capstack) {
		p->capstack = p->capstack ? p->capstack * 2 : 16;
		p->stack = xreallocarray(p->stack, p->capstack, sizeof(*p->stack));
	}
	p->stack[p->nstack].ids = xreallocarray(NULL, n, sizeof(int64_t));
	memcpy(p->stack[p->nstack].ids, ids, n * sizeof(int64_t));
	p->stack[p->nstack++].n = n;
}

/* Claim the next due batch, or the next id set of a bisection. */
static void
proc_claim(struct processor *p)
{
	struct idset	 s;

	p->t_batch = util_now_us();
	p->db_us = 0;
	memset(p->step_us, 0, sizeof(p->step_us));
	if (p->nstack == 0) {
		p->subset = false;
		proc_send_simple(p, PS_CLAIM, p->claim_sql);
		return;
	}
	s = p->stack[--p->nstack];
	p->subset = true;
	proc_subset_sql(&p->subset_sql, s.ids, s.n);
	free(s.ids);
	proc_send_simple(p, PS_CLAIM, p->subset_sql.p);
}

/* Nothing in flight: start whatever is due, or finish (--once, stopping). */
static void
proc_kick(struct processor *p)
{
	if (p->state != PS_IDLE)
		return;
	if (p->stopping) {
		proc_exit(p, 0);
		return;
	}
	if (!pgconn_is_idle(p->db) || evtimer_pending(p->pause, NULL))
		return;
	if (p->nstack > 0 || p->pending) {
		if (p->nstack == 0)
			p->pending = false;
		proc_claim(p);
		return;
	}
	if (p->cfg->once) {
		log_info("drained, exiting (--once)");
		proc_exit(p, 0);
	}
}

static void
proc_kick_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	proc_kick(arg);
}

/* Kick from the loop rather than from inside a pgconn callback. */
static void
proc_kick_later(struct processor *p)
{
	event_active(p->kick, EV_TIMEOUT, 1);
}

/* Run the claimed rows through the handlers and send the write. */
static void
proc_write(struct processor *p, PGresult *res)
{
	int	 n = PQntuples(res);
	size_t	 bytes = 0;
	int64_t	 id, attempts;

	for (int i = 0; i < n; i++)
		bytes += (size_t)PQgetlength(res, i, 1) + (size_t)PQgetlength(res, i, 2) +
		    (size_t)PQgetlength(res, i, 4) + 8;
	batch_begin(&p->batch, (size_t)n, bytes);
	for (int i = 0; i < n; i++) {
		if (util_parse_int64(PQgetvalue(res, i, 0), 1, INT64_MAX, &id) != 0 ||
		    util_parse_int64(PQgetvalue(res, i, 3), 0, INT32_MAX, &attempts) != 0)
			continue;	/* cannot happen: bigint identity, non-negative int */
		batch_add(&p->batch, id, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), (int)attempts,
		    PQgetvalue(res, i, 4), (size_t)PQgetlength(res, i, 4));
	}
	batch_finish(&p->batch);
	/* prepared on connect: no parse/plan per batch */
	proc_send(p, PS_WRITE, (struct proc_stmt){ PGCONN_PREPARED, NULL, BATCH_NPARAMS, p->batch.values,
	    p->batch.lengths, p->batch.formats });
}

static void
proc_claimed(struct processor *p, PGresult *res)
{
	int64_t	 age_ms = 0;
	int	 n = PQntuples(res);

	if (!p->subset) {
		if (n > 0 && util_parse_int64(PQgetvalue(res, 0, 5), INT64_MIN, INT64_MAX, &age_ms) != 0)
			age_ms = 0;
		status_lag(p->status, age_ms > 0 ? (double)age_ms / 1000.0 : 0.0);
		p->full = n >= p->cfg->batch_size;
	}
	if (n == 0) {
		p->batch.n = 0;
		proc_send_simple(p, PS_ROLLBACK, "ROLLBACK");
		return;
	}
	proc_write(p, res);
}

/* One warn line for the batch's wrong-typed fields (ignored, events processed), if any. */
static void
proc_log_field_errors(const struct batch *b)
{
	char	 list[512];
	size_t	 o = 0;

	if (b->field_error_events == 0)
		return;
	list[0] = '\0';
	for (int f = 0; f < PF_N && o < sizeof(list); f++)
		if (b->out.field_errors[f] > 0)
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s:%" PRIu32, o ? "," : "",
			    payload_field_name(f), b->out.field_errors[f]);
	log_warn("ignored optional fields of the wrong type", LOG_U("events", b->field_error_events),
	    LOG_S("fields", list));
}

/* One failed event's line (reason: why it failed); dead=yes on its last attempt. */
static void
proc_log_failed(const struct batch_event *ev, const char *reason)
{
	log_warn("event failed", LOG_I("id", ev->id), LOG_I("attempt", ev->attempts + 1),
	    LOG_S("dead", ev->dead ? "yes" : "no"), LOG_I("retry_in_ms", ev->dead ? 0 : ev->delay_ms),
	    LOG_S("reason", reason));
}

/* Log each failure of a committed batch (the reason is the handler's, with its class prefix). */
static void
proc_log_failures(const struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct batch_event *ev = &b->ev[i];

		if (ev->outcome == BATCH_FAILED)
			proc_log_failed(ev, ev->error);
	}
}

static void
proc_committed(struct processor *p)
{
	const struct batch	*b = &p->batch;
	double			 took = (double)(util_now_us() - p->t_batch) / 1e6;
	double			 db = (double)p->db_us / 1e6;

	status_batch(p->status, b, took, db);
	proc_log_failures(b);
	proc_log_field_errors(b);
	/* isolated=yes only on a bisection's batches (else the LOG_END there ends the list) */
	log_info("batch committed", LOG_U("events", b->n), LOG_U("calls", b->nmerged),
	    LOG_U("handled", b->handled), LOG_U("skipped", b->skipped), LOG_U("failed", b->failed),
	    LOG_U("dead", b->dead), LOG_F("took_ms", took * 1e3), LOG_F("db_ms", db * 1e3),
	    LOG_F("claim_ms", (double)p->step_us[PS_CLAIM] / 1e3),
	    LOG_F("write_ms", (double)p->step_us[PS_WRITE] / 1e3),
	    LOG_F("commit_ms", (double)p->step_us[PS_COMMIT] / 1e3),
	    p->subset ? LOG_S("isolated", "yes") : LOG_END);
	/* a full batch, or the end of a bisection: more may be due */
	if (p->full || p->subset)
		p->pending = true;
}

/*
 * The write failed on its data: roll back, then bisect the batch's ids; a
 * single event gets FAILMARK after the rollback.
 */
static void
proc_write_failed(struct processor *p, const char *why)
{
	const struct batch	*b = &p->batch;
	int64_t			*ids = xreallocarray(NULL, b->n, sizeof(int64_t));
	size_t			 half = b->n / 2;

	for (size_t i = 0; i < b->n; i++)
		ids[i] = b->ev[i].id;
	if (b->n > 1) {
		log_warn("batch write failed, isolating", LOG_U("events", b->n), LOG_I("first_id", ids[0]),
		    LOG_S("reason", why));
		proc_stack_push(p, ids + half, b->n - half);	/* popped second */
		proc_stack_push(p, ids, half);			/* popped first */
	} else {
		p->failing = b->ev[0];
		snprintf(p->failing_err, sizeof(p->failing_err), BATCH_ERR_DATABASE "%s", why);
	}
	free(ids);
	proc_send_simple(p, PS_ROLLBACK, "ROLLBACK");
}

/* Send FAILMARK for the single event in p->failing. */
static void
proc_failmark(struct processor *p)
{
	char		 id[24], delay[24], attempts[24];
	const char	*v[5];

	batch_fail_event(&p->failing, &p->policy);
	snprintf(id, sizeof(id), "%" PRId64, p->failing.id);
	snprintf(delay, sizeof(delay), "%" PRId64, p->failing.delay_ms);
	snprintf(attempts, sizeof(attempts), "%d", p->failing.attempts);
	v[0] = id;
	v[1] = p->failing_err;
	v[2] = delay;
	v[3] = p->failing.dead ? "t" : "f";
	v[4] = attempts;
	proc_send(p, PS_FAILMARK, (struct proc_stmt){ PGCONN_PARAMS, proc_failmark_sql, 5, v, NULL, NULL });
}

/* A transient error (what: the line's message): abandon the batch (rolled back), pause, claim again. */
static void
proc_pause(struct processor *p, const char *what, const char *why)
{
	struct timeval	 tv = { PROC_ERROR_PAUSE_MS / 1000, (PROC_ERROR_PAUSE_MS % 1000) * 1000 };

	log_warn(what, LOG_S("reason", why));
	proc_stack_clear(p);
	p->failing.id = 0;
	p->pending = true;
	evtimer_add(p->pause, &tv);
	proc_send_simple(p, PS_ROLLBACK, "ROLLBACK");
}

/* A step's result was an error (res is the error result). */
static void
proc_step_error(struct processor *p, enum proc_state st, PGresult *res)
{
	char		 why[PROC_ERR_MAX];
	const char	*sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	util_one_line(PQresultErrorMessage(res), why, sizeof(why));
	switch (st) {
	case PS_WRITE:
		if (!pgconn_sqlstate_is_transient(sqlstate)) {
			proc_write_failed(p, why);
			return;
		}
		proc_pause(p, "batch write failed, will retry", why);
		return;
	case PS_CLAIM:
		proc_pause(p, "could not claim events, will retry", why);
		return;
	case PS_COMMIT:
		proc_pause(p, "could not commit a batch, will retry", why);
		return;
	default:
		log_warn("database statement failed", LOG_I("state", st), LOG_S("reason", why));
		p->failing.id = 0;
		p->state = PS_IDLE;
		proc_kick_later(p);
		return;
	}
}

/* Advance the state machine on one step's result (NULL: the connection was lost). */
static void
proc_step_done(struct pgconn *c DH_UNUSED, PGresult *res, void *arg)
{
	struct processor	*p = arg;
	enum proc_state		 st = p->state;
	ExecStatusType		 rs;

	p->db_us += util_now_us() - p->t_sent;
	p->step_us[st] += util_now_us() - p->t_sent;
	p->state = PS_IDLE;
	if (res == NULL) {		/* lost: the server rolls back; on_up drains again */
		proc_stack_clear(p);
		p->failing.id = 0;
		p->pending = true;
		if (p->stopping)
			proc_kick_later(p);
		return;
	}
	rs = PQresultStatus(res);
	if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK) {
		proc_step_error(p, st, res);
		return;
	}
	switch (st) {
	case PS_CLAIM:
		proc_claimed(p, res);
		return;
	case PS_WRITE:
		proc_send_simple(p, PS_COMMIT, "COMMIT");
		return;
	case PS_COMMIT:
		proc_committed(p);
		break;
	case PS_ROLLBACK:
		if (p->failing.id != 0) {
			proc_failmark(p);
			return;
		}
		break;
	case PS_FAILMARK:
		if (PQcmdTuples(res)[0] == '1') {
			status_event_failed(p->status, p->failing.type_index, p->failing.dead);
			proc_log_failed(&p->failing, p->failing_err);
		}
		p->failing.id = 0;
		p->pending = true;
		break;
	default:
		break;
	}
	proc_kick(p);
}

static void
proc_on_up(struct pgconn *c DH_UNUSED, void *arg)
{
	struct processor	*p = arg;

	log_info("database connected, draining");
	p->pending = true;
	proc_kick_later(p);
}

static void
proc_on_down(struct pgconn *c DH_UNUSED, const char *why, void *arg)
{
	struct processor	*p = arg;

	log_warn("database unavailable, reconnecting", LOG_S("reason", why));
	if (p->cfg->once) {
		log_error("database lost during --once");
		proc_exit(p, 1);
	}
}

static void
proc_on_notify(struct pgconn *c DH_UNUSED, const char *channel DH_UNUSED,
    const char *payload DH_UNUSED, void *arg)
{
	struct processor	*p = arg;

	p->pending = true;
	proc_kick_later(p);
}

static void
proc_on_fatal(struct pgconn *c DH_UNUSED, const char *why, void *arg)
{
	log_error("cannot use the database", LOG_S("reason", why));
	proc_exit(arg, 1);
}

static void
proc_poll_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	struct processor	*p = arg;

	p->pending = true;
	proc_kick(p);
}

static void
proc_deadline_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	log_error("shutdown timeout reached with a batch in flight, exiting");
	proc_exit(arg, 1);
}

/* First SIGTERM/SIGINT: finish the batch in flight, then exit 0. Second: exit now. */
static void
proc_signal_cb(evutil_socket_t sig, short what DH_UNUSED, void *arg)
{
	struct processor	*p = arg;
	struct timeval		 tv;

	if (p->stopping) {
		log_warn("second signal, exiting now", LOG_I("signal", sig));
		proc_exit(p, 1);
		return;
	}
	log_info("stopping: finishing the batch in flight", LOG_I("signal", sig));
	p->stopping = true;
	proc_stack_clear(p);
	if (p->cfg->shutdown_timeout_ms > 0) {
		tv.tv_sec = p->cfg->shutdown_timeout_ms / 1000;
		tv.tv_usec = (p->cfg->shutdown_timeout_ms % 1000) * 1000;
		evtimer_add(p->deadline, &tv);
	}
	proc_kick(p);
}

static bool
proc_healthy(void *arg)
{
	struct processor	*p = arg;

	return pgconn_is_up(p->db);
}

/* Build the claim text and the connection (setup: LISTEN, statement_timeout). */
static void
proc_setup_db(struct processor *p)
{
	char			 setup[256];
	struct pgconn_options	 o = { 0 };
	struct pgconn_callbacks	 cb = { proc_on_up, proc_on_down, proc_on_notify, proc_on_fatal };
	int			 n;

	n = snprintf(NULL, 0, PROC_CLAIM_FMT, p->cfg->batch_size);
	p->claim_sql = xmalloc((size_t)n + 1);
	snprintf(p->claim_sql, (size_t)n + 1, PROC_CLAIM_FMT, p->cfg->batch_size);
	snprintf(setup, sizeof(setup), "SET application_name = 'dialhook-processor'; "
	    "SET statement_timeout = %" PRId64 "; LISTEN webhook_events", p->cfg->statement_timeout_ms);
	o.conninfo = p->cfg->database_url;
	o.resolver = p->resolver;
	o.setup_sql = setup;
	o.prepare_name = "dialhook_batch_write";
	o.prepare_sql = p->write_sql;
	o.min_schema = migrations_latest();
	p->db = pgconn_new(p->base, &o, &cb, p);
}

/* Signals and timers; 0 or -1 (logged). */
static int
proc_setup_events(struct processor *p)
{
	struct timeval	 tv = { p->cfg->poll_interval_ms / 1000, (p->cfg->poll_interval_ms % 1000) * 1000 };

	signal(SIGPIPE, SIG_IGN);
	p->sig_term = evsignal_new(p->base, SIGTERM, proc_signal_cb, p);
	p->sig_int = evsignal_new(p->base, SIGINT, proc_signal_cb, p);
	p->poll = event_new(p->base, -1, EV_PERSIST, proc_poll_cb, p);
	p->kick = event_new(p->base, -1, 0, proc_kick_cb, p);
	p->pause = evtimer_new(p->base, proc_kick_cb, p);
	p->deadline = evtimer_new(p->base, proc_deadline_cb, p);
	if (!p->sig_term || !p->sig_int || !p->poll || !p->kick || !p->pause || !p->deadline ||
	    evsignal_add(p->sig_term, NULL) != 0 || evsignal_add(p->sig_int, NULL) != 0 ||
	    evtimer_add(p->poll, &tv) != 0) {
		log_error("could not set up signal and timer events");
		return -1;
	}
	return 0;
}

/*
 * Raise the open-file limit to the hard one and serve the metrics listener
 * with what it leaves beside PROC_FD_RESERVE; 0, or -1 (logged) if the
 * limit leaves nothing or the listener cannot start.
 */
static int
proc_listen(struct processor *p)
{
	uint64_t	 before, nofile;
	size_t		 cap;
	char		 err[256];

	if (httpserv_raise_nofile(&before, &nofile, err, sizeof(err)) != 0)
		log_warn("could not raise the open-file limit, keeping it", LOG_S("error", err));
	cap = httpserv_fit_connections(nofile, PROC_FD_RESERVE, PROC_HTTP_MAX_CONNECTIONS);
	if (cap == 0) {
		log_error("the open-file limit leaves no descriptor for the metrics listener, raise it "
		    "(ulimit -n)", LOG_U("nofile", nofile), LOG_I("reserve", PROC_FD_RESERVE));
		return -1;
	}
	if (cap < PROC_HTTP_MAX_CONNECTIONS)
		log_warn("metrics listener connections lowered to fit the open-file limit",
		    LOG_U("max_connections", cap), LOG_U("nofile", nofile),
		    LOG_I("reserve", PROC_FD_RESERVE));
	return status_listen(p->status, p->base, p->cfg->metrics_listen, cap);
}

struct processor *
processor_new(const struct dh_config *cfg)
{
	struct processor	*p = xcalloc(1, sizeof(*p));
	char			 err[256];

	p->cfg = cfg;
	p->policy = (struct batch_policy){ cfg->retry_base_ms, cfg->retry_max_ms, cfg->max_attempts };
	log_route_libevent();
	if (dispatch_check(err, sizeof(err)) != 0) {
		log_error("bad dispatch table", LOG_S("reason", err));
		goto fail;
	}
	if (batch_init(&p->batch, err, sizeof(err)) != 0) {
		log_error("bad calls column table", LOG_S("reason", err));
		goto fail;
	}
	if ((p->write_sql = batch_write_sql()) == NULL) {
		log_error("could not build the batch write statement");
		goto fail;
	}
	if ((p->base = event_base_new()) == NULL) {
		log_error("could not create the event loop");
		goto fail;
	}
	if (proc_setup_events(p) != 0)
		goto fail;
	p->status = status_new(proc_healthy, p);
	if (cfg->metrics_listen && cfg->metrics_listen[0] && proc_listen(p) != 0)
		goto fail;
	if ((p->resolver = resolver_new(p->base, cfg->resolv_conf, err, sizeof(err))) == NULL) {
		log_error("cannot use DIALHOOK_RESOLV_CONF", LOG_S("error", err));
		goto fail;
	}
	proc_setup_db(p);
	return p;
fail:
	processor_free(p);
	return NULL;
}

int
processor_run(struct processor *p)
{
	log_info("processor started", LOG_S("version", DH_VERSION), LOG_S("libevent", event_get_version()),
	    LOG_S("backend", event_base_get_method(p->base)), LOG_I("libpq", PQlibVersion()),
	    LOG_I("batch_size", p->cfg->batch_size));
	pgconn_start(p->db);
	event_base_dispatch(p->base);
	log_info("processor stopped", LOG_I("exit", p->exit_code));
	return p->exit_code;
}

void
processor_free(struct processor *p)
{
	if (p == NULL)
		return;
	pgconn_free(p->db);
	status_free(p->status);
	if (p->sig_term)
		event_free(p->sig_term);
	if (p->sig_int)
		event_free(p->sig_int);
	if (p->poll)
		event_free(p->poll);
	if (p->kick)
		event_free(p->kick);
	if (p->pause)
		event_free(p->pause);
	if (p->deadline)
		event_free(p->deadline);
	resolver_free(p->resolver);	/* last before the base: it may run the loop */
	if (p->base)
		event_base_free(p->base);
	proc_stack_clear(p);
	free(p->stack);
	free(p->claim_sql);
	free(p->write_sql);
	strbuf_free(&p->subset_sql);
	batch_free(&p->batch);
	free(p);
}
