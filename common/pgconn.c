/*
 * pgconn.c: the non-blocking libpq state machine (see pgconn.h).
 *
 * States: DOWN (waiting for the backoff timer), RESOLVING (host names being
 * looked up, pgaddr.h), CONNECTING (PQconnectPoll steps), IDLE, BUSY (a
 * query in flight), FATAL (never retried). While
 * `setting_up`, the IDLE/BUSY connection runs its own setup and schema
 * queries and is not yet up for its owner. Events are recreated whenever the
 * socket may have changed (each connect-poll step, each reconnect) and a
 * pending event is never re-assigned.
 */
#include "pgconn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "migrations.h"
#include "pgaddr.h"

#define PGCONN_BACKOFF_MIN_MS	100
#define PGCONN_ERR_MAX		512

enum pgconn_state {
	PGCONN_DOWN,
	PGCONN_RESOLVING,
	PGCONN_CONNECTING,
	PGCONN_IDLE,
	PGCONN_BUSY,
	PGCONN_FATAL,
};

struct pgconn {
	struct event_base	*base;
	struct resolver		*resolver;	/* borrowed; NULL: libpq resolves (blocking) */
	struct pgaddr		*addr;		/* the parsed conninfo; NULL if it did not parse */
	char			 addr_err[PGCONN_ERR_MAX];	/* why it did not */
	char			*setup_sql;
	char			*prepare_name;	/* statement prepared after setup, or NULL */
	char			*prepare_sql;
	int			 min_schema;
	int			 connect_timeout_ms;
	struct backoff		 backoff;	/* consecutive failed connects */
	struct pgconn_callbacks	 cbs;
	void			*arg;

	enum pgconn_state	 state;
	PGconn			*pq;
	struct event		*io;		/* socket event (read, or write while flushing/connecting) */
	struct event		*timer;		/* reconnect backoff / connect timeout */
	bool			 want_write;	/* PQflush returned 1 */
	bool			 setting_up;	/* running setup_sql / schema check */

	pgconn_result_cb	 cb;		/* in-flight query */
	void			*cb_arg;
	PGresult		*result;	/* result kept for cb */
	char			 err[PGCONN_ERR_MAX];
};

static void	pgconn_io_cb(evutil_socket_t fd, short what, void *arg);
static void	pgconn_timer_cb(evutil_socket_t fd, short what, void *arg);
static void	pgconn_lost(struct pgconn *c, const char *why);

static void	pgconn_setup_done(struct pgconn *c, PGresult *res, void *arg);
static void	pgconn_prepare(struct pgconn *c);
static int	pgconn_send(struct pgconn *c, const char *sql, enum pgconn_mode mode, int nparams,
		    const char *const *values, const int *lengths, const int *formats,
		    pgconn_result_cb cb, void *arg);

bool
pgconn_sqlstate_is_transient(const char *sqlstate)
{
	/* each class is justified in docs/reliability.md */
	static const char *const classes[] = { "08", "40", "53", "55", "57", "58", "XX" };

	if (sqlstate == NULL)
		return true;
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strncmp(sqlstate, classes[i], 2) == 0)
			return true;
	return false;
}

struct pgconn *
pgconn_new(struct event_base *base, const struct pgconn_options *opt,
    const struct pgconn_callbacks *cbs, void *arg)
{
	struct pgconn	*c = xcalloc(1, sizeof(*c));

	c->base = base;
	c->resolver = opt->resolver;
	c->addr = pgaddr_new(opt->conninfo, c->addr_err, sizeof(c->addr_err));
	c->setup_sql = opt->setup_sql ? xstrdup(opt->setup_sql) : NULL;
	if (opt->prepare_name && opt->prepare_sql) {
		c->prepare_name = xstrdup(opt->prepare_name);
		c->prepare_sql = xstrdup(opt->prepare_sql);
	}
	c->min_schema = opt->min_schema;
	c->connect_timeout_ms = opt->connect_timeout_ms > 0 ? opt->connect_timeout_ms : 5000;
	backoff_init(&c->backoff, PGCONN_BACKOFF_MIN_MS,
	    opt->backoff_max_ms > 0 ? opt->backoff_max_ms : 5000);
	c->cbs = *cbs;
	c->arg = arg;
	c->state = PGCONN_DOWN;
	c->timer = evtimer_new(base, pgconn_timer_cb, c);
	snprintf(c->err, sizeof(c->err), "not connected yet");
	return c;
}

/* Free the socket event and the libpq connection (no callbacks). */
static void
pgconn_close(struct pgconn *c)
{
	if (c->io) {
		event_free(c->io);
		c->io = NULL;
	}
	if (c->pq) {
		PQfinish(c->pq);
		c->pq = NULL;
	}
	if (c->result) {
		PQclear(c->result);
		c->result = NULL;
	}
	if (c->addr)
		pgaddr_cancel(c->addr);
	c->want_write = false;
}

void
pgconn_free(struct pgconn *c)
{
	if (c == NULL)
		return;
	pgconn_close(c);
	if (c->timer)
		event_free(c->timer);
	pgaddr_free(c->addr);
	free(c->setup_sql);
	free(c->prepare_name);
	free(c->prepare_sql);
	free(c);
}

bool
pgconn_is_up(const struct pgconn *c)
{
	return (c->state == PGCONN_IDLE || c->state == PGCONN_BUSY) && !c->setting_up;
}

bool
pgconn_is_idle(const struct pgconn *c)
{
	return c->state == PGCONN_IDLE && !c->setting_up;
}

const char *
pgconn_last_error(const struct pgconn *c)
{
	return c->err;
}

/* (Re)create the socket event for `what` on the current socket; 0 or -1. */
static int
pgconn_arm(struct pgconn *c, short what)
{
	int	 fd = PQsocket(c->pq);

	if (c->io) {
		event_free(c->io);
		c->io = NULL;
	}
	if (fd < 0)
		return -1;
	c->io = event_new(c->base, fd, what, pgconn_io_cb, c);
	if (c->io == NULL || event_add(c->io, NULL) != 0)
		return -1;
	return 0;
}

/* Watch for input persistently, and for writability while a flush is pending. */
static int
pgconn_arm_connected(struct pgconn *c)
{
	return pgconn_arm(c, EV_READ | EV_PERSIST | (c->want_write ? EV_WRITE : 0));
}

/* Schedule the next connect attempt after the backoff of one more failure (backoff.h). */
static void
pgconn_schedule(struct pgconn *c)
{
	int64_t		 ms = backoff_next(&c->backoff);
	struct timeval	 tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

/* Fail the in-flight query (if any) with NULL. */
static void
pgconn_fail_query(struct pgconn *c)
{
	pgconn_result_cb cb = c->cb;
	void *arg = c->cb_arg;

	c->cb = NULL;
	c->cb_arg = NULL;
	if (cb)
		cb(c, NULL, arg);
}

/*
 * The connection is gone: close it, tell the in-flight query and the owner,
 * and schedule a reconnect. Safe to call from any state.
 */
static void
pgconn_lost(struct pgconn *c, const char *why)
{
	bool	 was_up = pgconn_is_up(c);

	util_one_line(why, c->err, sizeof(c->err));
	pgconn_close(c);
	evtimer_del(c->timer);
	c->state = PGCONN_DOWN;
	c->setting_up = false;
	if (was_up)
		backoff_reset(&c->backoff);
	pgconn_schedule(c);
	pgconn_fail_query(c);
	if (c->cbs.on_down)
		c->cbs.on_down(c, c->err, c->arg);
}

void
pgconn_reset(struct pgconn *c, const char *why)
{
	if (c->state == PGCONN_FATAL)
		return;
	pgconn_lost(c, why);
}

/* Hand libpq the (resolved) parameters and start polling. */
static void
pgconn_connect_pq(struct pgconn *c)
{
	struct timeval	 tv = { c->connect_timeout_ms / 1000, (c->connect_timeout_ms % 1000) * 1000 };

	c->pq = PQconnectStartParams(pgaddr_keywords(c->addr), pgaddr_values(c->addr), 0);
	if (c->pq == NULL) {
		pgconn_lost(c, "out of memory starting a connection");
		return;
	}
	if (PQstatus(c->pq) == CONNECTION_BAD) {
		pgconn_lost(c, PQerrorMessage(c->pq));
		return;
	}
	c->state = PGCONN_CONNECTING;
	evtimer_add(c->timer, &tv);
	if (pgconn_arm(c, EV_WRITE) != 0)
		pgconn_lost(c, "could not watch the connection's socket");
}

/* The host names are resolved (why == NULL) or could not be. */
static void
pgconn_resolved(struct pgaddr *a DH_UNUSED, const char *why, void *arg)
{
	struct pgconn	*c = arg;

	if (why != NULL)
		pgconn_lost(c, why);
	else
		pgconn_connect_pq(c);
}

/*
 * Begin one connect attempt: resolve the host names first if there are any
 * (never blocking: the loop keeps serving), then connect.
 */
static void
pgconn_connect(struct pgconn *c)
{
	if (c->addr == NULL) {
		pgconn_lost(c, c->addr_err);
		return;
	}
	if (c->resolver != NULL && pgaddr_needs_dns(c->addr)) {
		c->state = PGCONN_RESOLVING;
		pgaddr_resolve(c->addr, c->resolver, c->connect_timeout_ms, pgconn_resolved, c);
		return;
	}
	pgconn_connect_pq(c);
}

void
pgconn_start(struct pgconn *c)
{
	if (c->state == PGCONN_DOWN && !evtimer_pending(c->timer, NULL))
		pgconn_connect(c);
}

/* Connected: go non-blocking, then run setup and the schema check. */
static void
pgconn_connected(struct pgconn *c)
{
	evtimer_del(c->timer);
	if (PQsetnonblocking(c->pq, 1) != 0) {
		pgconn_lost(c, PQerrorMessage(c->pq));
		return;
	}
	c->state = PGCONN_IDLE;
	c->setting_up = true;
	if (pgconn_arm_connected(c) != 0) {
		pgconn_lost(c, "could not watch the connection's socket");
		return;
	}
	if (c->setup_sql)
		(void)pgconn_send(c, c->setup_sql, PGCONN_SIMPLE, 0, NULL, NULL, NULL, pgconn_setup_done, c);
	else
		pgconn_setup_done(c, NULL, NULL);
}

/* Setup finished: the connection is up for its owner. */
static void
pgconn_up(struct pgconn *c)
{
	c->setting_up = false;
	backoff_reset(&c->backoff);
	if (c->cbs.on_up)
		c->cbs.on_up(c, c->arg);
}

/* One PQconnectPoll step. */
static void
pgconn_connect_step(struct pgconn *c)
{
	switch (PQconnectPoll(c->pq)) {
	case PGRES_POLLING_READING:
		if (pgconn_arm(c, EV_READ) != 0)
			pgconn_lost(c, "could not watch the connection's socket");
		break;
	case PGRES_POLLING_WRITING:
		if (pgconn_arm(c, EV_WRITE) != 0)
			pgconn_lost(c, "could not watch the connection's socket");
		break;
	case PGRES_POLLING_OK:
		pgconn_connected(c);
		break;
	default:
		pgconn_lost(c, PQerrorMessage(c->pq));
		break;
	}
}

/* The schema check's result: fatal if the database is older than this build. */
static void
pgconn_schema_done(struct pgconn *c, PGresult *res, void *arg DH_UNUSED)
{
	char	 why[PGCONN_ERR_MAX / 2];
	int	 have;

	if (res == NULL)
		return;		/* lost; reconnect already scheduled */
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		util_one_line(PQresultErrorMessage(res), why, sizeof(why));
		snprintf(c->err, sizeof(c->err),
		    "database has no dialhook schema (%s); run 'dialhookctl migrate'", why);
		goto fatal;
	}
	have = atoi(PQgetvalue(res, 0, 0));
	if (have < c->min_schema) {
		snprintf(c->err, sizeof(c->err),
		    "database schema is at version %d but this build needs %d; run 'dialhookctl migrate'",
		    have, c->min_schema);
		goto fatal;
	}
	pgconn_prepare(c);
	return;
fatal:
	pgconn_close(c);
	c->state = PGCONN_FATAL;
	c->setting_up = false;
	if (c->cbs.on_fatal)
		c->cbs.on_fatal(c, c->err, c->arg);
}

/* The prepared statement's result: the last setup step. */
static void
pgconn_prepare_done(struct pgconn *c, PGresult *res, void *arg DH_UNUSED)
{
	if (res == NULL)
		return;
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pgconn_lost(c, PQresultErrorMessage(res));
		return;
	}
	pgconn_up(c);
}

/* Prepare the statement, if there is one (after the schema check: it names our tables); then up. */
static void
pgconn_prepare(struct pgconn *c)
{
	if (c->prepare_name)
		(void)pgconn_send(c, c->prepare_sql, PGCONN_PREPARE, 0, NULL, NULL, NULL,
		    pgconn_prepare_done, NULL);
	else
		pgconn_up(c);
}

/* The setup statement's result (arg == c; NULL when there was none); then the schema check. */
static void
pgconn_setup_done(struct pgconn *c, PGresult *res, void *arg)
{
	if (arg == c) {
		if (res == NULL)
			return;
		if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
			pgconn_lost(c, PQresultErrorMessage(res));
			return;
		}
	}
	if (c->min_schema > 0)
		(void)pgconn_send(c, MIGRATIONS_VERSION_SQL, PGCONN_PARAMS, 0, NULL, NULL, NULL,
		    pgconn_schema_done, NULL);
	else
		pgconn_prepare(c);
}

/* Flush pending output; arm for write while libpq still has some. 0 or -1. */
static int
pgconn_flush(struct pgconn *c)
{
	int	 rc = PQflush(c->pq);
	bool	 want = rc == 1;

	if (rc < 0)
		return -1;
	if (want != c->want_write) {
		c->want_write = want;
		if (pgconn_arm_connected(c) != 0)
			return -1;
	}
	return 0;
}

/* Hand every pending notification to the owner. */
static void
pgconn_notifies(struct pgconn *c)
{
	PGnotify	*n;

	while (c->pq && (n = PQnotifies(c->pq)) != NULL) {
		if (c->cbs.on_notify)
			c->cbs.on_notify(c, n->relname, n->extra, c->arg);
		PQfreemem(n);
	}
}

/*
 * Collect results while libpq has them without blocking. When the query is
 * complete, go idle and call its callback with the kept result.
 */
static void
pgconn_collect(struct pgconn *c)
{
	PGresult		*res;
	pgconn_result_cb	 cb;
	void			*arg;

	while (c->pq && !PQisBusy(c->pq)) {
		res = PQgetResult(c->pq);
		if (res != NULL) {
			ExecStatusType st = PQresultStatus(res);
			bool is_err = st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE;
			bool have_err = c->result && (PQresultStatus(c->result) == PGRES_FATAL_ERROR ||
			    PQresultStatus(c->result) == PGRES_BAD_RESPONSE);

			if (have_err && !is_err) {
				PQclear(res);
			} else {
				PQclear(c->result);
				c->result = res;
			}
			continue;
		}
		/* query complete */
		res = c->result;
		c->result = NULL;
		cb = c->cb;
		arg = c->cb_arg;
		c->cb = NULL;
		c->cb_arg = NULL;
		c->state = PGCONN_IDLE;
		if (cb)
			cb(c, res, arg);
		PQclear(res);
		return;
	}
}

static void
pgconn_io_cb(evutil_socket_t fd DH_UNUSED, short what, void *arg)
{
	struct pgconn	*c = arg;

	if (c->state == PGCONN_CONNECTING) {
		pgconn_connect_step(c);
		return;
	}
	if (c->pq == NULL)
		return;
	if ((what & EV_WRITE) && pgconn_flush(c) != 0) {
		pgconn_lost(c, PQerrorMessage(c->pq));
		return;
	}
	if (what & EV_READ) {
		if (PQconsumeInput(c->pq) == 0) {
			pgconn_lost(c, PQerrorMessage(c->pq));
			return;
		}
		if (c->want_write && pgconn_flush(c) != 0) {
			pgconn_lost(c, PQerrorMessage(c->pq));
			return;
		}
		pgconn_notifies(c);
		if (c->state == PGCONN_BUSY)
			pgconn_collect(c);
		if (c->pq && PQstatus(c->pq) == CONNECTION_BAD)
			pgconn_lost(c, PQerrorMessage(c->pq));
	}
}

static void
pgconn_timer_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	struct pgconn	*c = arg;

	if (c->state == PGCONN_DOWN)
		pgconn_connect(c);
	else if (c->state == PGCONN_CONNECTING)
		pgconn_lost(c, "timed out connecting to the database");
}

/*
 * Send a query (simple protocol or parameterised) on an idle connection and
 * mark it busy. On a send failure the connection is reset and -1 returned
 * (cb is not called).
 */
static int
pgconn_send(struct pgconn *c, const char *sql, enum pgconn_mode mode, int nparams,
    const char *const *values, const int *lengths, const int *formats,
    pgconn_result_cb cb, void *arg)
{
	int	 ok = 0;

	if (c->state != PGCONN_IDLE)
		return -1;
	switch (mode) {
	case PGCONN_SIMPLE:
		ok = PQsendQuery(c->pq, sql);
		break;
	case PGCONN_PARAMS:
		ok = PQsendQueryParams(c->pq, sql, nparams, NULL, values, lengths, formats, 0);
		break;
	case PGCONN_PREPARED:
		ok = PQsendQueryPrepared(c->pq, c->prepare_name, nparams, values, lengths, formats, 0);
		break;
	case PGCONN_PREPARE:
		ok = PQsendPrepare(c->pq, c->prepare_name, sql, 0, NULL);
		break;
	}
	if (!ok || pgconn_flush(c) != 0) {
		pgconn_lost(c, PQerrorMessage(c->pq));
		return -1;
	}
	c->cb = cb;
	c->cb_arg = arg;
	c->state = PGCONN_BUSY;
	return 0;
}

int
pgconn_query(struct pgconn *c, const char *sql, int nparams, const char *const *values,
    const int *lengths, const int *formats, pgconn_result_cb cb, void *arg)
{
	if (c->setting_up)
		return -1;
	return pgconn_send(c, sql, PGCONN_PARAMS, nparams, values, lengths, formats, cb, arg);
}

int
pgconn_query_prepared(struct pgconn *c, int nparams, const char *const *values,
    const int *lengths, const int *formats, pgconn_result_cb cb, void *arg)
{
	if (c->setting_up || c->prepare_name == NULL)
		return -1;
	return pgconn_send(c, NULL, PGCONN_PREPARED, nparams, values, lengths, formats, cb, arg);
}

int
pgconn_query_simple(struct pgconn *c, const char *sql, pgconn_result_cb cb, void *arg)
{
	if (c->setting_up)
		return -1;
	return pgconn_send(c, sql, PGCONN_SIMPLE, 0, NULL, NULL, NULL, cb, arg);
}
