/*
 * resolver.c: evdns_getaddrinfo behind a small contract (see resolver.h).
 *
 * libevent answers some lookups at once (numeric names, /etc/hosts, a
 * failure to start), from inside evdns_getaddrinfo(); those answers are kept
 * and delivered on the next loop turn, so a caller never sees its callback
 * before resolver_lookup() has returned. A cancelled lookup stays on the
 * resolver's list until libevent reports the cancellation (it does so from
 * the loop), because only then does libevent free its own request.
 */
#include "resolver.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/dns.h>

/* Loop turns resolver_free() allows for cancellations to be delivered. */
#define RESOLVER_FLUSH_TURNS	64

struct resolver {
	struct event_base	*base;
	struct evdns_base	*dns;
	struct resolver_query	*queries;	/* every lookup libevent or we still hold */
};

struct resolver_query {
	struct resolver				*r;
	struct evdns_getaddrinfo_request	*req;		/* while libevent works on it */
	struct event				*deliver;	/* an immediate answer, due next turn */
	resolver_cb				 cb;		/* NULL once cancelled */
	void					*arg;
	bool					 starting;	/* inside evdns_getaddrinfo() */
	int					 err;		/* the immediate answer */
	struct evutil_addrinfo			*ai;
	struct resolver_query			*prev, *next;
};

struct resolver *
resolver_new(struct event_base *base, const char *resolv_conf, char *err, size_t errlen)
{
	struct resolver	*r = xcalloc(1, sizeof(*r));
	int		 rc;

	r->base = base;
	if (resolv_conf == NULL || resolv_conf[0] == '\0') {
		r->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
		    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (r->dns == NULL) {
			util_set_err(err, errlen, "could not set up the DNS resolver");
			goto fail;
		}
		return r;
	}
	if ((r->dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL) {
		util_set_err(err, errlen, "could not set up the DNS resolver");
		goto fail;
	}
	/* 0 read; 6 no nameserver line (libevent would fall back to 127.0.0.1); else unreadable */
	rc = evdns_base_resolv_conf_parse(r->dns, DNS_OPTIONS_ALL, resolv_conf);
	if (rc == 6) {
		util_set_err(err, errlen, "%s names no nameserver", resolv_conf);
		goto fail;
	}
	if (rc != 0) {
		util_set_err(err, errlen, "could not read %s: %s", resolv_conf,
		    rc == 1 ? "cannot open it" : rc == 3 ? "too large" : rc == 4 ? "out of memory" :
		    "cannot stat or read it");
		goto fail;
	}
	return r;
fail:
	if (r->dns != NULL)
		evdns_base_free(r->dns, 0);
	free(r);
	return NULL;
}

static void
resolver_unlink(struct resolver_query *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		q->r->queries = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
}

/* Forget q entirely (libevent no longer holds it). */
static void
resolver_query_free(struct resolver_query *q)
{
	resolver_unlink(q);
	if (q->deliver != NULL)
		event_free(q->deliver);
	if (q->ai != NULL)
		evutil_freeaddrinfo(q->ai);
	free(q);
}

/* Deliver an answer libevent gave from inside evdns_getaddrinfo(). */
static void
resolver_deliver_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	struct resolver_query	*q = arg;

	if (q->cb != NULL)
		q->cb(q->err, q->ai, q->arg);
	resolver_query_free(q);
}

/* libevent's answer (exactly one per evdns_getaddrinfo request; EAI_CANCEL after a cancel). */
static void
resolver_got(int err, struct evutil_addrinfo *ai, void *arg)
{
	struct resolver_query	*q = arg;

	q->req = NULL;
	if (q->starting) {
		q->err = err;
		q->ai = ai;
		return;
	}
	if (q->cb != NULL && err != EVUTIL_EAI_CANCEL)
		q->cb(err, ai, q->arg);
	if (ai != NULL)
		evutil_freeaddrinfo(ai);
	resolver_query_free(q);
}

struct resolver_query *
resolver_lookup(struct resolver *r, const char *name, resolver_cb cb, void *arg)
{
	struct resolver_query	*q = xcalloc(1, sizeof(*q));
	struct evutil_addrinfo	 hints;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
	q->r = r;
	q->cb = cb;
	q->arg = arg;
	q->next = r->queries;
	if (r->queries != NULL)
		r->queries->prev = q;
	r->queries = q;
	q->starting = true;
	q->req = evdns_getaddrinfo(r->dns, name, NULL, &hints, resolver_got, q);
	q->starting = false;
	if (q->req == NULL) {
		/* answered already (or failed to start): hand it over on the next turn */
		q->deliver = event_new(r->base, -1, 0, resolver_deliver_cb, q);
		if (q->deliver == NULL)
			abort();	/* out of memory, as xmalloc would */
		event_active(q->deliver, EV_TIMEOUT, 0);
	}
	return q;
}

void
resolver_cancel(struct resolver_query *q)
{
	q->cb = NULL;
	if (q->req != NULL)
		evdns_getaddrinfo_cancel(q->req);	/* resolver_got(EAI_CANCEL) frees q later */
	else
		resolver_query_free(q);			/* an immediate answer not yet delivered */
}

struct event_base *
resolver_base(const struct resolver *r)
{
	return r->base;
}

void
resolver_free(struct resolver *r)
{
	if (r == NULL)
		return;
	for (struct resolver_query *q = r->queries, *next; q != NULL; q = next) {
		next = q->next;
		resolver_cancel(q);
	}
	for (int i = 0; i < RESOLVER_FLUSH_TURNS && r->queries != NULL; i++)
		if (event_base_loop(r->base, EVLOOP_NONBLOCK) < 0)
			break;
	/* whatever libevent did not report (a bug) is dropped rather than freed twice */
	while (r->queries != NULL) {
		struct resolver_query *q = r->queries;

		resolver_unlink(q);
		free(q);
	}
	evdns_base_free(r->dns, 0);
	free(r);
}
