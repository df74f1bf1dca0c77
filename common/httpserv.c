/*
 * httpserv.c: listener, connection cap, per-request deadlines and
 * accept() backoff around one evhttp (see httpserv.h).
 *
 * The connection table is an open-addressing hash keyed by the
 * evhttp_connection pointer: linear probing with backward-shift deletion,
 * so lookups stay O(1) without tombstones, growing with the number of
 * connections (an idle flood costs memory only while it lasts). The sweep
 * runs every quarter of the deadline (at most every 250 ms) and closes the
 * expired connections after its scan, so the table is never modified while
 * it is being walked.
 */
#include "httpserv.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "metrics.h"

#define HTTPSERV_BACKLOG	1024
#define HTTPSERV_PAUSE_MIN_MS	10		/* first pause after accept() failed */
#define HTTPSERV_PAUSE_MAX_MS	1000		/* doubling up to this while it keeps failing */
#define HTTPSERV_LOG_EVERY_US	INT64_C(10000000)	/* one line per kind per 10 s */
#define HTTPSERV_MIN_CAP	64		/* connection table slots, a power of two */
#define HTTPSERV_BUSY		INT64_MAX	/* deadline while the request callback holds a request */
#define HTTPSERV_EVHTTP_SLACK_MS	1000	/* evhttp's own timeout: this long after the deadline */

struct httpserv_slot {
	struct evhttp_connection	*evcon;		/* NULL = empty */
	int64_t				 deadline_us;
};

/* Occurrences of one kind of event, logged at most once per HTTPSERV_LOG_EVERY_US. */
struct httpserv_tally {
	uint64_t	 n;		/* since the last line */
	int64_t		 last_us;	/* when the last line was written */
	bool		 logged;	/* a line was ever written (the first goes out at once) */
};

struct httpserv {
	struct httpserv_options		 o;
	char				*listen;
	struct evhttp			*evh;
	struct evhttp_bound_socket	*bound;
	struct evconnlistener		*lev;		/* bound's listener; NULL once stopped */
	struct httpserv			*next_live;	/* registry link while lev != NULL */
	struct event			*adopt;		/* counts connections after accept */
	struct event			*resume;	/* enables the listener after a failed accept */
	struct event			*sweep;		/* closes connections past their deadline */
	struct bufferevent		**newborn;	/* accepted, not yet counted */
	size_t				 nnew, capnew;
	bool				 full_paused;	/* disabled: one connection over the cap accepted */
	bool				 error_paused;	/* disabled: accept() failed, resume is pending */
	int				 pause_ms;	/* the current accept-error pause */
	uint64_t			 failures;	/* accept() failures since the last accept */
	struct httpserv_slot		*slot;
	size_t				 cap, n;	/* cap is a power of two */
	int64_t				 deadline_us;
	struct evhttp_connection	**doomed;	/* scratch for the sweep */
	size_t				 ndoomed, capdoomed;
	struct httpserv_tally		 t_refused, t_expired, t_errors, t_resumed;
};

/* Servers with a listener, found by it in the accept-error callback (see httpserv.h). */
static struct httpserv	*httpserv_live;

/* ------------------------------------------------------------ reporting */

/* Hand one line (msg and the pairs of kv up to its LOG_END) to the daemon's log callback, if any. */
static void
httpserv_log(struct httpserv *s, enum log_level level, const char *msg, const struct log_kv *kv)
{
	if (s->o.log != NULL)
		s->o.log(level, msg, kv, s->o.arg);
}

static void
httpserv_count(struct metric *m)
{
	if (m != NULL)
		metric_inc(m);
}

/* true if a line about t is due now: *n is then what happened since the last one (t restarts). */
static bool
httpserv_tally_due(struct httpserv_tally *t, int64_t now, uint64_t *n)
{
	if (t->n == 0 || (t->logged && now - t->last_us < HTTPSERV_LOG_EVERY_US))
		return false;
	*n = t->n;
	t->n = 0;
	t->last_us = now;
	t->logged = true;
	return true;
}

/* Write the lines due: connections refused at the cap, closed at their deadline, accepting resumed. */
static void
httpserv_report(struct httpserv *s, int64_t now)
{
	uint64_t	 n;

	if (httpserv_tally_due(&s->t_refused, now, &n)) {
		const struct log_kv kv[] = { LOG_S("listener", s->o.name), LOG_U("open", s->n),
		    LOG_U("max", s->o.max_connections), LOG_U("closed", n), LOG_END };

		httpserv_log(s, LOG_LEVEL_WARN, "connection limit reached, closing new connections", kv);
	}
	if (httpserv_tally_due(&s->t_expired, now, &n)) {
		const struct log_kv kv[] = { LOG_S("listener", s->o.name), LOG_U("count", n), LOG_END };

		httpserv_log(s, LOG_LEVEL_INFO,
		    "closing connections that did not send a request within the read timeout", kv);
	}
	if (httpserv_tally_due(&s->t_resumed, now, &n)) {
		const struct log_kv kv[] = { LOG_S("listener", s->o.name), LOG_U("times", n), LOG_END };

		httpserv_log(s, LOG_LEVEL_INFO, "accepting connections again after accept() failed", kv);
	}
}

/* ------------------------------------------------------------ connection table */

static size_t
httpserv_hash(const struct httpserv *s, const struct evhttp_connection *evcon)
{
	uintptr_t	 k = (uintptr_t)evcon;

	k ^= k >> 17;
	k *= (uintptr_t)0xed5ad4bbU;
	k ^= k >> 11;
	return (size_t)k & (s->cap - 1);
}

/* Index of evcon's slot, or of the empty slot where it would go. */
static size_t
httpserv_find(const struct httpserv *s, const struct evhttp_connection *evcon)
{
	size_t	 i = httpserv_hash(s, evcon);

	while (s->slot[i].evcon != NULL && s->slot[i].evcon != evcon)
		i = (i + 1) & (s->cap - 1);
	return i;
}

/* Double the table and re-insert every entry. */
static void
httpserv_grow(struct httpserv *s)
{
	struct httpserv_slot	*old = s->slot;
	size_t			 oldcap = s->cap;

	s->cap *= 2;
	s->slot = xcalloc(s->cap, sizeof(*s->slot));
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].evcon != NULL)
			s->slot[httpserv_find(s, old[i].evcon)] = old[i];
	free(old);
}

/* A new connection: count it and start its deadline. */
static void
httpserv_add(struct httpserv *s, struct evhttp_connection *evcon)
{
	size_t	 i;

	if ((s->n + 1) * 2 > s->cap)
		httpserv_grow(s);
	i = httpserv_find(s, evcon);
	if (s->slot[i].evcon == NULL)
		s->n++;
	s->slot[i].evcon = evcon;
	s->slot[i].deadline_us = util_now_us() + s->deadline_us;
}

/* Forget evcon (unknown ones are ignored); backward-shift the rest of its cluster into the hole. */
static void
httpserv_remove(struct httpserv *s, struct evhttp_connection *evcon)
{
	size_t	 i = httpserv_find(s, evcon), j = i;

	if (s->slot[i].evcon == NULL)
		return;
	s->slot[i].evcon = NULL;
	s->n--;
	for (;;) {
		size_t home;

		j = (j + 1) & (s->cap - 1);
		if (s->slot[j].evcon == NULL)
			return;
		home = httpserv_hash(s, s->slot[j].evcon);
		if (((j - home) & (s->cap - 1)) >= ((j - i) & (s->cap - 1))) {
			s->slot[i] = s->slot[j];
			s->slot[j].evcon = NULL;
			i = j;
		}
	}
}

/* Set evcon's deadline if it is in the table. */
static void
httpserv_set_deadline(struct httpserv *s, struct evhttp_connection *evcon, int64_t deadline_us)
{
	size_t	 i = httpserv_find(s, evcon);

	if (s->slot[i].evcon != NULL)
		s->slot[i].deadline_us = deadline_us;
}

/* Close every connection whose deadline passed (collected first, closed after the scan). */
static void
httpserv_sweep_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	struct httpserv	*s = arg;
	int64_t		 now = util_now_us();

	s->ndoomed = 0;
	for (size_t i = 0; i < s->cap; i++) {
		if (s->slot[i].evcon == NULL || s->slot[i].deadline_us > now)
			continue;
		if (s->ndoomed == s->capdoomed) {
			s->capdoomed = s->capdoomed ? s->capdoomed * 2 : 16;
			s->doomed = xreallocarray(s->doomed, s->capdoomed, sizeof(*s->doomed));
		}
		s->doomed[s->ndoomed++] = s->slot[i].evcon;
	}
	for (size_t i = 0; i < s->ndoomed; i++) {
		httpserv_remove(s, s->doomed[i]);
		evhttp_connection_free(s->doomed[i]);	/* its close callback finds nothing left */
		httpserv_count(s->o.m_expired);
	}
	s->t_expired.n += s->ndoomed;
	httpserv_report(s, now);
}

/* ------------------------------------------------------------ per connection and request */

/* evhttp closed a counted connection (the client, a timeout, or evhttp_free): uncount it. */
static void
httpserv_closed_cb(struct evhttp_connection *evcon, void *arg)
{
	httpserv_remove(arg, evcon);
}

/* A reply has been written: the connection's next request gets a fresh deadline. */
static void
httpserv_reply_done(struct evhttp_request *req, void *arg)
{
	struct httpserv			*s = arg;
	struct evhttp_connection	*evcon = evhttp_request_get_connection(req);

	if (evcon != NULL)
		httpserv_set_deadline(s, evcon, util_now_us() + s->deadline_us);
}

/* evhttp's one request callback: no deadline while the caller holds the request. */
static void
httpserv_request_cb(struct evhttp_request *req, void *arg)
{
	struct httpserv			*s = arg;
	struct evhttp_connection	*evcon = evhttp_request_get_connection(req);

	if (evcon != NULL) {
		httpserv_set_deadline(s, evcon, HTTPSERV_BUSY);
		evhttp_request_set_on_complete_cb(req, httpserv_reply_done, s);
	}
	s->o.request(req, s->o.arg);
}

/* ------------------------------------------------------------ accepting */

/* Enable the listener unless something holds it disabled. */
static void
httpserv_resume(struct httpserv *s)
{
	if (s->lev != NULL && !s->full_paused && !s->error_paused)
		evconnlistener_enable(s->lev);
}

/*
 * evhttp's bufferevent factory, called for each accepted connection from
 * inside the listener's accept loop: remember the bufferevent for
 * httpserv_adopt_cb, and stop the loop once one connection over the cap has
 * been accepted.
 */
static struct bufferevent *
httpserv_bevcb(struct event_base *base, void *arg)
{
	struct httpserv		*s = arg;
	struct bufferevent	*bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);

	if (bev == NULL)
		return NULL;
	if (s->nnew == s->capnew) {
		s->capnew = s->capnew ? s->capnew * 2 : 16;
		s->newborn = xreallocarray(s->newborn, s->capnew, sizeof(*s->newborn));
	}
	s->newborn[s->nnew++] = bev;
	event_active(s->adopt, EV_TIMEOUT, 0);
	if (s->failures > 0) {
		s->failures = 0;
		s->t_resumed.n++;
		httpserv_report(s, util_now_us());
	}
	if (s->n + s->nnew > s->o.max_connections && s->lev != NULL && !s->full_paused) {
		s->full_paused = true;
		evconnlistener_disable(s->lev);
	}
	return bev;
}

/* After accept: count each new connection, or close it at once when the cap is reached. */
static void
httpserv_adopt_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	struct httpserv	*s = arg;

	for (size_t i = 0; i < s->nnew; i++) {
		void				*cbarg = NULL;
		struct evhttp_connection	*evcon;

		bufferevent_getcb(s->newborn[i], NULL, NULL, NULL, &cbarg);
		if ((evcon = cbarg) == NULL)
			continue;
		if (s->n >= s->o.max_connections) {
			httpserv_count(s->o.m_refused);
			s->t_refused.n++;
			evhttp_connection_free(evcon);
			continue;
		}
		httpserv_add(s, evcon);
		evhttp_connection_set_closecb(evcon, httpserv_closed_cb, s);
	}
	s->nnew = 0;
	httpserv_report(s, util_now_us());
	if (s->full_paused) {
		s->full_paused = false;
		httpserv_resume(s);
	}
}

/* The pause after a failed accept() is over: accept again (unless the cap holds the listener). */
static void
httpserv_resume_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	struct httpserv	*s = arg;

	s->error_paused = false;
	httpserv_resume(s);
}

/*
 * accept() failed with something other than EAGAIN/EINTR (EMFILE, ENFILE,
 * ENOBUFS, ...): stop accepting, and try again after a pause that doubles
 * while the failures go on. The second argument is evhttp's, not ours, and
 * is never used: the server is the one whose listener failed.
 */
static void
httpserv_accept_error_cb(struct evconnlistener *lev, void *not_ours DH_UNUSED)
{
	int		 err = EVUTIL_SOCKET_ERROR();
	struct httpserv	*s;
	struct timeval	 tv;
	uint64_t	 n;

	evconnlistener_disable(lev);
	for (s = httpserv_live; s != NULL && s->lev != lev; s = s->next_live)
		;
	if (s == NULL)
		return;		/* not a listener of ours: left disabled */
	httpserv_count(s->o.m_accept_errors);
	s->pause_ms = s->failures++ == 0 ? HTTPSERV_PAUSE_MIN_MS :
	    s->pause_ms * 2 > HTTPSERV_PAUSE_MAX_MS ? HTTPSERV_PAUSE_MAX_MS : s->pause_ms * 2;
	s->t_errors.n++;
	if (httpserv_tally_due(&s->t_errors, util_now_us(), &n)) {
		const struct log_kv kv[] = { LOG_S("listener", s->o.name),
		    LOG_S("error", evutil_socket_error_to_string(err)), LOG_U("open", s->n),
		    LOG_U("failures", n), LOG_I("pause_ms", s->pause_ms), LOG_END };

		httpserv_log(s, LOG_LEVEL_WARN, "could not accept a connection, pausing", kv);
	}
	s->error_paused = true;
	tv.tv_sec = s->pause_ms / 1000;
	tv.tv_usec = (s->pause_ms % 1000) * 1000;
	evtimer_add(s->resume, &tv);
}

/* ------------------------------------------------------------ lifecycle */

/* A listening socket bound to listen_addr ("host:port"), or -1 with err naming the failed step. */
static int
httpserv_socket(const char *listen_addr, bool reuseport, char *err, size_t errlen)
{
	char		 host[256], portstr[16];
	int		 port, fd = -1, on = 1, rc, saved;
	struct addrinfo	 hints = { 0 }, *ai = NULL;
	const char	*step;

	if (util_split_hostport(listen_addr, host, sizeof(host), &port) != 0) {
		util_set_err(err, errlen, "could not parse listen address %s", listen_addr);
		return -1;
	}
	snprintf(portstr, sizeof(portstr), "%d", port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host[0] ? host : NULL, portstr, &hints, &ai)) != 0) {
		util_set_err(err, errlen, "could not resolve listen address %s: %s", listen_addr,
		    gai_strerror(rc));
		return -1;
	}
	step = "socket";
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	step = "setsockopt";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
	    (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0))
		goto fail;
	step = "bind";
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		goto fail;
	step = "listen";
	if (listen(fd, HTTPSERV_BACKLOG) != 0)
		goto fail;
	freeaddrinfo(ai);
	return fd;
fail:
	saved = errno;
	util_set_err(err, errlen, "could not listen on %s: %s: %s", listen_addr, step, strerror(saved));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return -1;
}

/*
 * The evhttp with our limits and callbacks, and the events; -1 if libevent
 * could not make one. evhttp's own timeout (per read and per write) is set
 * HTTPSERV_EVHTTP_SLACK_MS after the deadline, so the deadline (and its
 * count) comes first; it remains the bound on writing a reply.
 */
static int
httpserv_setup(struct httpserv *s, struct event_base *base)
{
	int64_t		 ms = s->o.deadline_ms + HTTPSERV_EVHTTP_SLACK_MS, every_ms = s->o.deadline_ms / 4;
	struct timeval	 dl = { (time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000) }, tick;

	every_ms = every_ms > 250 ? 250 : every_ms < 10 ? 10 : every_ms;
	tick.tv_sec = (time_t)(every_ms / 1000);
	tick.tv_usec = (suseconds_t)((every_ms % 1000) * 1000);
	s->evh = evhttp_new(base);
	s->adopt = event_new(base, -1, 0, httpserv_adopt_cb, s);
	s->resume = evtimer_new(base, httpserv_resume_cb, s);
	s->sweep = event_new(base, -1, EV_PERSIST, httpserv_sweep_cb, s);
	if (s->evh == NULL || s->adopt == NULL || s->resume == NULL || s->sweep == NULL ||
	    event_add(s->sweep, &tick) != 0)
		return -1;
	evhttp_set_allowed_methods(s->evh, s->o.methods);
	evhttp_set_max_body_size(s->evh, s->o.max_body);
	evhttp_set_max_headers_size(s->evh, (ev_ssize_t)s->o.max_headers);
	evhttp_set_timeout_tv(s->evh, &dl);
	evhttp_set_gencb(s->evh, httpserv_request_cb, s);
	evhttp_set_bevcb(s->evh, httpserv_bevcb, s);
	return 0;
}

struct httpserv *
httpserv_new(struct event_base *base, const struct httpserv_options *o, char *err, size_t errlen)
{
	struct httpserv	*s = xcalloc(1, sizeof(*s));
	int		 fd;

	s->o = *o;
	s->listen = xstrdup(o->listen);
	s->o.listen = s->listen;
	s->deadline_us = o->deadline_ms * 1000;
	s->cap = HTTPSERV_MIN_CAP;
	s->slot = xcalloc(s->cap, sizeof(*s->slot));
	if (httpserv_setup(s, base) != 0) {
		util_set_err(err, errlen, "could not create the HTTP server for %s", o->listen);
		goto fail;
	}
	if ((fd = httpserv_socket(o->listen, o->reuseport, err, errlen)) < 0)
		goto fail;
	if ((s->bound = evhttp_accept_socket_with_handle(s->evh, fd)) == NULL) {
		util_set_err(err, errlen, "could not accept on the listening socket for %s", o->listen);
		close(fd);
		goto fail;
	}
	s->lev = evhttp_bound_socket_get_listener(s->bound);
	evconnlistener_set_error_cb(s->lev, httpserv_accept_error_cb);
	s->next_live = httpserv_live;
	httpserv_live = s;
	return s;
fail:
	httpserv_free(s);
	return NULL;
}

/* Take s out of the registry of live listeners. */
static void
httpserv_unregister(struct httpserv *s)
{
	struct httpserv	**p;

	for (p = &httpserv_live; *p != NULL; p = &(*p)->next_live)
		if (*p == s) {
			*p = s->next_live;
			break;
		}
	s->next_live = NULL;
}

void
httpserv_stop_accepting(struct httpserv *s)
{
	if (s->bound != NULL) {
		httpserv_unregister(s);
		evhttp_del_accept_socket(s->evh, s->bound);	/* closes the socket */
		s->bound = NULL;
		s->lev = NULL;
	}
	if (s->resume != NULL)
		evtimer_del(s->resume);
}

void
httpserv_free(struct httpserv *s)
{
	if (s == NULL)
		return;
	httpserv_unregister(s);
	s->lev = NULL;
	if (s->evh != NULL)
		evhttp_free(s->evh);	/* closes connections: httpserv_closed_cb runs */
	if (s->adopt != NULL)
		event_free(s->adopt);
	if (s->resume != NULL)
		event_free(s->resume);
	if (s->sweep != NULL)
		event_free(s->sweep);
	free(s->slot);
	free(s->doomed);
	free(s->newborn);
	free(s->listen);
	free(s);
}

size_t
httpserv_connections(const struct httpserv *s)
{
	return s->n;
}

/* ------------------------------------------------------------ descriptor budget */

int
httpserv_raise_nofile(uint64_t *before, uint64_t *after, char *err, size_t errlen)
{
	struct rlimit	 rl;

	*before = *after = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		util_set_err(err, errlen, "could not read the open-file limit: %s", strerror(errno));
		return -1;
	}
	*before = *after = (uint64_t)rl.rlim_cur;
	if (rl.rlim_cur >= rl.rlim_max)
		return 0;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		util_set_err(err, errlen, "could not raise the open-file limit from %" PRIu64 " to %" PRIu64
		    ": %s", *before, (uint64_t)rl.rlim_max, strerror(errno));
		return -1;
	}
	*after = (uint64_t)rl.rlim_cur;
	return 0;
}

size_t
httpserv_fit_connections(uint64_t nofile, uint64_t reserve, size_t wanted)
{
	if (nofile <= reserve)
		return 0;
	return nofile - reserve < (uint64_t)wanted ? (size_t)(nofile - reserve) : wanted;
}
