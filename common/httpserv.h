/*
 * httpserv.h: the socket side of an evhttp server, shared by both daemons
 * (ingest's webhook and metrics listeners, the processor's metrics
 * listener): the listening socket, a cap on open connections, one deadline
 * per request, accept() failures backed off on a timer, and the open-file
 * budget those caps are computed from. What is served (routing, replies) is
 * the caller's request callback; this module never writes a reply.
 *
 * Connections. libevent 2.1 has no connection limit and no per-connection
 * hook. evhttp asks our bufferevent factory for each new connection; we
 * remember the bufferevent and, once evhttp's accept callback has returned
 * (an event activated from the factory, which runs in the same loop pass,
 * before the new socket can be read), fetch its evhttp_connection with
 * bufferevent_getcb(), close it at once if max_connections are open, else
 * count it and set a close callback that uncounts it. So that one accept
 * burst cannot take more descriptors than the cap allows, the listener is
 * disabled from the factory as soon as one connection over the cap has been
 * accepted, and enabled again once that one is closed.
 *
 * Deadlines. evhttp's own timeout is per read: a client that sends one byte
 * a second never trips it. Every connection has one deadline for the whole
 * of each request (headers and body): armed at accept and again when a
 * reply has been written (keep-alive idle time counts), suspended while the
 * request callback holds a complete request. A sweep timer closes the
 * connections whose deadline passed. evhttp's own timeout stays, a second
 * later, as the bound on writing a reply.
 *
 * accept() failures (EMFILE, ENFILE, ENOBUFS, ...): the listener is
 * disabled and a timer enables it again after 10 ms, doubling to 1 s while
 * the failures go on; open connections are served meanwhile. libevent 2.1
 * gives a listener's error callback evhttp's own argument (a struct evhttp
 * *), never ours, so the error callback never uses it: it finds its server
 * in a registry of live servers keyed by the listener that failed. That
 * registry is the one piece of static state in common/ besides the logger.
 *
 * Nothing here logs or exits: what happens is reported through the
 * caller's log callback, each kind at most once per 10 s (the first at
 * once) with a count of what happened since, so a flood costs a bounded
 * number of lines. Single-threaded, like the event loop.
 */
#ifndef DH_HTTPSERV_H
#define DH_HTTPSERV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>

#include "log.h"
#include "util.h"

struct httpserv;
struct metric;

/* A line for the daemon's logger: a message and pairs up to LOG_END (log_sink in log.h fits). */
typedef void (*httpserv_log_fn)(enum log_level level, const char *msg, const struct log_kv *kv, void *arg);

struct httpserv_options {
	const char	*name;			/* for log lines: "webhooks", "metrics" */
	const char	*listen;		/* "host:port"; copied */
	bool		 reuseport;		/* SO_REUSEPORT: processes may share the port */
	size_t		 max_connections;	/* open client connections, >= 1 */
	int64_t		 deadline_ms;		/* per request (headers and body), and keep-alive idle */
	int64_t		 max_body;		/* evhttp refuses larger bodies itself (413) */
	size_t		 max_headers;		/* evhttp refuses larger headers itself (400) */
	uint16_t	 methods;		/* evhttp_set_allowed_methods(); others get evhttp's 501 */
	/* Called once per complete request; it must reply exactly once, now or later. */
	void		(*request)(struct evhttp_request *req, void *arg);
	httpserv_log_fn	 log;			/* NULL: silent */
	void		*arg;			/* for request and log */
	/* Counters the daemon registered (each may be NULL). */
	struct metric	*m_refused;		/* connections closed at once: max_connections open */
	struct metric	*m_accept_errors;	/* accept() failures */
	struct metric	*m_expired;		/* connections closed at their deadline */
};

/*
 * Bind o->listen, create the evhttp on base and start accepting. NULL with
 * a one-line reason in err (which step failed, errno's text) on failure.
 * Free with httpserv_free().
 */
struct httpserv	*httpserv_new(struct event_base *base, const struct httpserv_options *o,
		    char *err, size_t errlen) DH_MUSTCHECK;

/* Close the listening socket (drain); open connections are still served. */
void		 httpserv_stop_accepting(struct httpserv *s);

/* Close every connection and the listener, and free. NULL is a no-op. */
void		 httpserv_free(struct httpserv *s);

/* Open client connections (for a gauge). */
size_t		 httpserv_connections(const struct httpserv *s);

/*
 * Raise the soft RLIMIT_NOFILE to the hard limit, as pgbouncer and redis do.
 * *before and *after are the soft limits before and after (equal if nothing
 * changed). 0, or -1 with err (the limit is then as it was; *after says so).
 */
int		 httpserv_raise_nofile(uint64_t *before, uint64_t *after, char *err,
		    size_t errlen) DH_MUSTCHECK;

/*
 * How many client connections fit in nofile descriptors once reserve are
 * kept for everything else: min(wanted, nofile - reserve), 0 if none fit.
 */
size_t		 httpserv_fit_connections(uint64_t nofile, uint64_t reserve, size_t wanted);

#endif
