/*
 * pgaddr.c: parse a conninfo once, resolve its host names asynchronously,
 * rebuild libpq's parameters with hostaddr (see pgaddr.h).
 */
#include "pgaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/util.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "strbuf.h"
#include "util.h"
#include "resolver.h"

#define PGADDR_MAX_ADDRS	8	/* addresses used per host name */
#define PGADDR_ADDR_LEN		INET6_ADDRSTRLEN

struct pgaddr_host {
	struct pgaddr		*a;
	char			*name;		/* the entry as given; "" = libpq's default */
	char			*port;		/* its own port if port lists one per host, else NULL */
	bool			 lookup;	/* a name to resolve */
	struct resolver_query	*q;		/* lookup in flight */
	int			 err;		/* last lookup: 0 or EVUTIL_EAI_* */
	bool			 timed_out;
	int			 naddrs;
	char			 addrs[PGADDR_MAX_ADDRS][PGADDR_ADDR_LEN];
};


struct pgaddr {
	PQconninfoOption	*opts;		/* as parsed */
	struct pgaddr_host	*hosts;
	size_t			 nhosts;
	bool			 needs_dns;
	bool			 port_per_host;	/* the port list has one entry per host */
	char			**extra_kw, **extra_val;	/* pgaddr_set_param */
	bool			*extra_keep;
	size_t			 nextra;

	/* the resolution in progress */
	struct event		*timer;
	int			 timeout_ms;
	size_t			 pending;
	bool			 running;
	pgaddr_done_fn		 done;
	void			*arg;
	char			 why[384];

	/* the parameters handed out */
	const char		**kw, **val;
	bool			 resolved;	/* host/hostaddr/port below replace the parsed ones */
	struct strbuf	 host_list, addr_list, port_list;
};

/* Append one comma-separated list entry. */
static void
pgaddr_buf_item(struct strbuf *b, const char *s)
{
	if (b->len > 0 || b->p != NULL)
		strbuf_puts(b, ",");
	strbuf_puts(b, s);
}

/* The value of option kw in opts, or NULL when unset or empty. */
static const char *
pgaddr_opt(const PQconninfoOption *opts, const char *kw)
{
	for (const PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++)
		if (strcmp(o->keyword, kw) == 0)
			return o->val != NULL && o->val[0] != '\0' ? o->val : NULL;
	return NULL;
}

/* Entries of a comma-separated list ("" counts as one empty entry). */
static size_t
pgaddr_count(const char *list)
{
	size_t	 n = 1;

	for (const char *p = list; *p; p++)
		n += *p == ',';
	return n;
}

/* The i-th entry of a comma-separated list, as a new string. */
static char *
pgaddr_entry(const char *list, size_t i)
{
	const char	*p = list, *end;

	while (i-- > 0)
		p = strchr(p, ',') + 1;
	end = strchr(p, ',');
	return end ? xstrndup(p, (size_t)(end - p)) : xstrdup(p);
}

/* Does libpq itself settle this host entry without DNS? */
static bool
pgaddr_is_literal(const char *h)
{
	unsigned char	 buf[sizeof(struct in6_addr)];

	if (h[0] == '\0' || h[0] == '/' || h[0] == '@')
		return true;	/* libpq's default, or a Unix-socket directory */
	return inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
}

/* (Re)build kw/val: the parsed options, then host/hostaddr/port if resolved, then extras. */
static void
pgaddr_build(struct pgaddr *a)
{
	size_t	 n = 0, cap = a->nextra + 4;

	for (const PQconninfoOption *o = a->opts; o->keyword != NULL; o++)
		cap++;
	free(a->kw);
	free(a->val);
	a->kw = xcalloc(cap, sizeof(*a->kw));
	a->val = xcalloc(cap, sizeof(*a->val));
	for (const PQconninfoOption *o = a->opts; o->keyword != NULL; o++) {
		bool replaced = false;

		if (o->val == NULL)
			continue;
		if (a->resolved && (strcmp(o->keyword, "host") == 0 || strcmp(o->keyword, "hostaddr") == 0 ||
		    (a->port_per_host && strcmp(o->keyword, "port") == 0)))
			continue;
		for (size_t i = 0; i < a->nextra; i++)
			replaced |= !a->extra_keep[i] && strcmp(a->extra_kw[i], o->keyword) == 0;
		if (replaced)
			continue;
		a->kw[n] = o->keyword;
		a->val[n++] = o->val;
	}
	if (a->resolved) {
		a->kw[n] = "host";
		a->val[n++] = a->host_list.p;
		a->kw[n] = "hostaddr";
		a->val[n++] = a->addr_list.p;
		if (a->port_per_host) {
			a->kw[n] = "port";
			a->val[n++] = a->port_list.p;
		}
	}
	for (size_t i = 0; i < a->nextra; i++) {
		if (a->extra_keep[i] && pgaddr_opt(a->opts, a->extra_kw[i]) != NULL)
			continue;
		a->kw[n] = a->extra_kw[i];
		a->val[n++] = a->extra_val[i];
	}
}

/* Split the effective host and port lists into entries; decide what needs DNS. */
static void
pgaddr_split(struct pgaddr *a, const char *host, const char *port)
{
	size_t	 nports = port ? pgaddr_count(port) : 0;

	a->nhosts = pgaddr_count(host);
	a->hosts = xcalloc(a->nhosts, sizeof(*a->hosts));
	a->port_per_host = a->nhosts > 1 && nports == a->nhosts;
	for (size_t i = 0; i < a->nhosts; i++) {
		struct pgaddr_host *h = &a->hosts[i];

		h->a = a;
		h->name = pgaddr_entry(host, i);
		h->port = a->port_per_host ? pgaddr_entry(port, i) : NULL;
		h->lookup = !pgaddr_is_literal(h->name);
		a->needs_dns |= h->lookup;
	}
	/* a port list libpq cannot match to the hosts: let libpq say so, before any lookup */
	if (nports > 1 && nports != a->nhosts)
		a->needs_dns = false;
}

struct pgaddr *
pgaddr_new(const char *conninfo, char *err, size_t errlen)
{
	struct pgaddr		*a;
	PQconninfoOption	*opts, *defs = NULL;
	char			*msg = NULL;
	const char		*host, *port, *hostaddr;

	if ((opts = PQconninfoParse(conninfo, &msg)) == NULL) {
		if (msg != NULL) {
			util_one_line(msg, err, errlen);
			PQfreemem(msg);
		} else
			util_set_err(err, errlen, "out of memory parsing the connection string");
		return NULL;
	}
	a = xcalloc(1, sizeof(*a));
	a->opts = opts;
	host = pgaddr_opt(opts, "host");
	port = pgaddr_opt(opts, "port");
	hostaddr = pgaddr_opt(opts, "hostaddr");
	if (host == NULL || port == NULL || hostaddr == NULL) {
		/* what libpq would take from PGHOST, PGPORT, PGHOSTADDR, PGSERVICE */
		defs = PQconndefaults();
		if (host == NULL && pgaddr_opt(opts, "service") == NULL)
			host = pgaddr_opt(defs, "host");
		if (port == NULL)
			port = pgaddr_opt(defs, "port");
		if (hostaddr == NULL)
			hostaddr = pgaddr_opt(defs, "hostaddr");
	}
	if (host != NULL && hostaddr == NULL)
		pgaddr_split(a, host, port);
	if (defs != NULL)
		PQconninfoFree(defs);
	pgaddr_build(a);
	return a;
}

bool
pgaddr_needs_dns(const struct pgaddr *a)
{
	return a->needs_dns;
}

const char *const *
pgaddr_keywords(const struct pgaddr *a)
{
	return a->kw;
}

const char *const *
pgaddr_values(const struct pgaddr *a)
{
	return a->val;
}

void
pgaddr_set_param(struct pgaddr *a, const char *keyword, const char *value, bool keep_given)
{
	size_t	 i;

	for (i = 0; i < a->nextra; i++)
		if (strcmp(a->extra_kw[i], keyword) == 0)
			break;
	if (i == a->nextra) {
		a->nextra++;
		a->extra_kw = xreallocarray(a->extra_kw, a->nextra, sizeof(*a->extra_kw));
		a->extra_val = xreallocarray(a->extra_val, a->nextra, sizeof(*a->extra_val));
		a->extra_keep = xreallocarray(a->extra_keep, a->nextra, sizeof(*a->extra_keep));
		a->extra_kw[i] = xstrdup(keyword);
	} else
		free(a->extra_val[i]);
	a->extra_val[i] = xstrdup(value);
	a->extra_keep[i] = keep_given;
	pgaddr_build(a);
}

/* Stop the lookups still running; 0 pending afterwards. */
static void
pgaddr_stop(struct pgaddr *a, bool timed_out)
{
	for (size_t i = 0; i < a->nhosts; i++) {
		struct pgaddr_host *h = &a->hosts[i];

		if (h->q == NULL)
			continue;
		resolver_cancel(h->q);
		h->q = NULL;
		h->timed_out = timed_out;
	}
	a->pending = 0;
	if (a->timer != NULL)
		evtimer_del(a->timer);
	a->running = false;
}

/* Why host h yielded no address, into a->why. */
static void
pgaddr_why(struct pgaddr *a, const struct pgaddr_host *h)
{
	if (h->timed_out)
		snprintf(a->why, sizeof(a->why), "could not translate host name \"%s\" to address: "
		    "no answer from the DNS resolver within %d ms", h->name, a->timeout_ms);
	else if (h->err != 0)
		snprintf(a->why, sizeof(a->why), "could not translate host name \"%s\" to address: %s",
		    h->name, evutil_gai_strerror(h->err));
	else
		snprintf(a->why, sizeof(a->why),
		    "could not translate host name \"%s\" to address: no address", h->name);
}

/*
 * Every lookup has ended (or the time is up): rebuild the lists from what
 * was found and tell the owner.
 */
static void
pgaddr_finish(struct pgaddr *a)
{
	const struct pgaddr_host	*failed = NULL;
	size_t				 usable = 0;

	strbuf_free(&a->host_list);
	strbuf_free(&a->addr_list);
	strbuf_free(&a->port_list);
	for (size_t i = 0; i < a->nhosts; i++) {
		const struct pgaddr_host *h = &a->hosts[i];

		if (!h->lookup) {
			pgaddr_buf_item(&a->host_list, h->name);
			pgaddr_buf_item(&a->addr_list, "");	/* libpq uses host */
			if (a->port_per_host)
				pgaddr_buf_item(&a->port_list, h->port);
			usable++;
			continue;
		}
		if (h->naddrs == 0 && failed == NULL)
			failed = h;
		for (int j = 0; j < h->naddrs; j++) {
			pgaddr_buf_item(&a->host_list, h->name);
			pgaddr_buf_item(&a->addr_list, h->addrs[j]);
			if (a->port_per_host)
				pgaddr_buf_item(&a->port_list, h->port);
			usable++;
		}
	}
	if (usable == 0) {
		if (failed != NULL)
			pgaddr_why(a, failed);
		else
			snprintf(a->why, sizeof(a->why), "no host to connect to");
		a->resolved = false;
		pgaddr_build(a);
		a->done(a, a->why, a->arg);
		return;
	}
	a->resolved = true;
	pgaddr_build(a);
	a->done(a, NULL, a->arg);
}

/* Keep up to PGADDR_MAX_ADDRS distinct addresses of one lookup. */
static void
pgaddr_keep(struct pgaddr_host *h, const struct evutil_addrinfo *ai)
{
	for (; ai != NULL && h->naddrs < PGADDR_MAX_ADDRS; ai = ai->ai_next) {
		char		 txt[PGADDR_ADDR_LEN];
		const void	*src;
		bool		 dup = false;

		if (ai->ai_family == AF_INET)
			src = &((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr;
		else if (ai->ai_family == AF_INET6)
			src = &((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr;
		else
			continue;
		if (inet_ntop(ai->ai_family, src, txt, sizeof(txt)) == NULL)
			continue;
		for (int j = 0; j < h->naddrs; j++)
			dup |= strcmp(h->addrs[j], txt) == 0;
		if (!dup)
			memcpy(h->addrs[h->naddrs++], txt, sizeof(txt));
	}
}

static void
pgaddr_got(int err, const struct evutil_addrinfo *ai, void *arg)
{
	struct pgaddr_host	*h = arg;
	struct pgaddr		*a = h->a;

	h->q = NULL;
	h->err = err;
	if (err == 0)
		pgaddr_keep(h, ai);
	if (--a->pending == 0) {
		pgaddr_stop(a, false);
		pgaddr_finish(a);
	}
}

static void
pgaddr_timeout_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	struct pgaddr	*a = arg;

	pgaddr_stop(a, true);
	pgaddr_finish(a);
}

void
pgaddr_resolve(struct pgaddr *a, struct resolver *r, int timeout_ms, pgaddr_done_fn done, void *arg)
{
	struct timeval	 tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

	if (a->timer == NULL && (a->timer = evtimer_new(resolver_base(r), pgaddr_timeout_cb, a)) == NULL)
		abort();	/* out of memory, as xmalloc would */
	a->done = done;
	a->arg = arg;
	a->timeout_ms = timeout_ms;
	a->running = true;
	a->pending = 0;
	for (size_t i = 0; i < a->nhosts; i++) {
		struct pgaddr_host *h = &a->hosts[i];

		h->naddrs = 0;
		h->err = 0;
		h->timed_out = false;
		if (h->lookup)
			a->pending++;
	}
	for (size_t i = 0; i < a->nhosts; i++)
		if (a->hosts[i].lookup)
			a->hosts[i].q = resolver_lookup(r, a->hosts[i].name, pgaddr_got, &a->hosts[i]);
	evtimer_add(a->timer, &tv);
}

void
pgaddr_cancel(struct pgaddr *a)
{
	if (a->running)
		pgaddr_stop(a, false);
}

void
pgaddr_free(struct pgaddr *a)
{
	if (a == NULL)
		return;
	pgaddr_cancel(a);
	if (a->timer != NULL)
		event_free(a->timer);
	for (size_t i = 0; i < a->nhosts; i++) {
		free(a->hosts[i].name);
		free(a->hosts[i].port);
	}
	free(a->hosts);
	for (size_t i = 0; i < a->nextra; i++) {
		free(a->extra_kw[i]);
		free(a->extra_val[i]);
	}
	free(a->extra_kw);
	free(a->extra_val);
	free(a->extra_keep);
	for (PQconninfoOption *o = a->opts; o->keyword != NULL; o++)
		if (o->val != NULL && strcmp(o->keyword, "password") == 0)
			sodium_memzero(o->val, strlen(o->val));
	PQconninfoFree(a->opts);
	strbuf_free(&a->host_list);
	strbuf_free(&a->addr_list);
	strbuf_free(&a->port_list);
	free(a->kw);
	free(a->val);
	free(a);
}
