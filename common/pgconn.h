/*
 * pgconn.h: one PostgreSQL connection driven by libevent, never blocking.
 *
 * Each connect attempt first resolves the conninfo's host names through the
 * owner's resolver without blocking (pgaddr.h: the address goes to libpq as
 * hostaddr, host is kept), then connects with PQconnectStartParams/
 * PQconnectPoll, runs an optional setup statement (SET ..., LISTEN ...),
 * checks the schema version, prepares the owner's statement (if any), and
 * then reports itself up. One query is in flight at a time. When the connection is
 * lost (or a connect attempt fails or times out) the in-flight query's
 * callback gets NULL, on_down is called, and a reconnect is scheduled with
 * exponential backoff (100 ms doubling to 5 s, with jitter); on_up is called
 * again once it is back. Notifications are handed to on_notify whenever they
 * arrive, whether or not a query is in flight.
 *
 * Like everything in common/, this module never logs: it passes the reason
 * (libpq's message, trailing newline trimmed) to the callbacks.
 */
#ifndef DH_PGCONN_H
#define DH_PGCONN_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "util.h"

struct pgconn;
struct resolver;

/* The ways a statement is sent; callers that choose per statement name the first three. */
enum pgconn_mode {
	PGCONN_SIMPLE,		/* pgconn_query_simple(): one or more statements, no parameters */
	PGCONN_PARAMS,		/* pgconn_query(): one statement with parameters, planned per call */
	PGCONN_PREPARED,	/* pgconn_query_prepared(): the statement prepared on connect */
	PGCONN_PREPARE,		/* pgconn itself: preparing that statement after each connect */
};

struct pgconn_options {
	const char	*conninfo;		/* copied */
	struct resolver	*resolver;		/* borrowed; outlives the connection. NULL: libpq
						 * resolves host names itself, blocking (tests only) */
	const char	*setup_sql;		/* simple query run after each connect, or NULL; copied */
	const char	*prepare_name;		/* a statement prepared after setup on each connect, */
	const char	*prepare_sql;		/* for pgconn_query_prepared(); NULL for none; copied */
	int		 min_schema;		/* required schema_migrations version; 0 = don't check */
	int		 connect_timeout_ms;	/* per attempt, for name resolution and again for
						 * connecting; 0 = 5000 */
	int		 backoff_max_ms;	/* reconnect backoff ceiling; 0 = 5000 */
};

struct pgconn_callbacks {
	/* Connected, set up and schema checked: queries may be sent. */
	void	(*on_up)(struct pgconn *c, void *arg);
	/* Lost or failed to connect; a reconnect is scheduled. why is libpq's message. */
	void	(*on_down)(struct pgconn *c, const char *why, void *arg);
	/* A NOTIFY arrived on a channel this connection LISTENs to. */
	void	(*on_notify)(struct pgconn *c, const char *channel, const char *payload, void *arg);
	/*
	 * The database cannot be used by this build (schema older than
	 * min_schema, or no schema at all). The connection stays down and is
	 * not retried; a daemon should exit.
	 */
	void	(*on_fatal)(struct pgconn *c, const char *why, void *arg);
};

/*
 * Called exactly once per query: with the first error result of the query
 * if there was one, else its last result; with NULL if the connection was
 * lost before the query completed (its outcome is then unknown). The result
 * is borrowed: pgconn clears it after the callback returns. The callback may
 * send the next query on the same connection but must not free it.
 */
typedef void (*pgconn_result_cb)(struct pgconn *c, PGresult *res, void *arg);

struct pgconn	*pgconn_new(struct event_base *base, const struct pgconn_options *opt,
		    const struct pgconn_callbacks *cbs, void *arg);

/* Start connecting (asynchronously). */
void		 pgconn_start(struct pgconn *c);

/* Close and release; a pending query's callback is NOT called. NULL is a no-op. */
void		 pgconn_free(struct pgconn *c);

/* Connected and set up (a query may or may not be in flight). */
bool		 pgconn_is_up(const struct pgconn *c);

/* Up and no query in flight: pgconn_query() will accept one. */
bool		 pgconn_is_idle(const struct pgconn *c);

/*
 * Send one parameterised statement (text-format parameters; lengths and
 * formats may be NULL). Returns -1 if the connection is not idle or the send
 * failed (the connection is then reset and cb is not called); otherwise cb is
 * called later exactly once.
 */
int		 pgconn_query(struct pgconn *c, const char *sql, int nparams,
		    const char *const *values, const int *lengths, const int *formats,
		    pgconn_result_cb cb, void *arg) DH_MUSTCHECK;

/*
 * Execute the statement prepared on connect (pgconn_options.prepare_*): no
 * parse or plan per call on the server. As pgconn_query() otherwise.
 */
int		 pgconn_query_prepared(struct pgconn *c, int nparams, const char *const *values,
		    const int *lengths, const int *formats, pgconn_result_cb cb, void *arg) DH_MUSTCHECK;

/* Send a simple-protocol query string (may hold several statements); as above. */
int		 pgconn_query_simple(struct pgconn *c, const char *sql,
		    pgconn_result_cb cb, void *arg) DH_MUSTCHECK;

/*
 * Drop the connection now (e.g. a query outlived its deadline) and schedule
 * a reconnect; the in-flight query's callback gets NULL; on_down is called.
 */
void		 pgconn_reset(struct pgconn *c, const char *why);

/* The last failure reason (never NULL). */
const char	*pgconn_last_error(const struct pgconn *c);

/*
 * The one transient-error policy of dialhook (docs/reliability.md, "Which
 * database errors are transient"): true if an error with this SQLSTATE is
 * not the data's fault, so the same statement is retried later as a whole
 * (ingest: 503 or spool; spool replay: the segment after a backoff; the
 * processor: the batch after a pause); false if the data is refused, so the
 * statement is narrowed down to the row at fault. Transient: no SQLSTATE at
 * all (connection lost, libpq's own error), and the classes 08 connection,
 * 40 transaction rollback, 53 insufficient resources, 55 object not in
 * prerequisite state, 57 operator intervention, 58 system error and XX
 * internal error.
 */
bool		 pgconn_sqlstate_is_transient(const char *sqlstate);

#endif
