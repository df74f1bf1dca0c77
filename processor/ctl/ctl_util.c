/*
 * ctl_util.c: messages, connection and statement helpers for the subcommands.
 *
 * dialhookctl blocks on libpq, but never on a DNS lookup without a bound:
 * the database host is resolved through the same resolver as the daemons
 * (pgaddr.h, resolver.h) on a private event loop that runs only until the
 * answer or its time limit.
 */
#include "ctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "pgaddr.h"
#include "pgconn.h"
#include "resolver.h"

#define CTL_RESOLVE_TIMEOUT_MS	 5000	/* bound on one lookup of the database host */
#define CTL_WAIT_BACKOFF_MIN_MS	 250	/* --wait: first pause between attempts, doubling */
#define CTL_WAIT_BACKOFF_MAX_MS	 5000

int
ctl_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "dialhookctl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'dialhookctl %s --help')\n", cmd);
	return CTL_EXIT_USAGE;
}

int
ctl_error(const char *cmd, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "dialhookctl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_EXIT_RUNTIME;
}

int
ctl_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

/* Host-name lookups for one ctl_connect_wait(): a private loop, made on first need. */
struct ctl_dns {
	struct event_base	*base;
	struct resolver		*resolver;
	bool			 done;
	char			 why[512];
};

static void
ctl_dns_done(struct pgaddr *a DH_UNUSED, const char *why, void *arg)
{
	struct ctl_dns	*d = arg;

	d->done = true;
	snprintf(d->why, sizeof(d->why), "%s", why ? why : "");
}

/*
 * Resolve a's host names within timeout_ms, running the private loop only
 * until they are (the answer never takes longer than the time limit); 0, or
 * -1 with the reason in why.
 */
static int
ctl_dns_resolve(const struct ctl *ctl, struct ctl_dns *d, struct pgaddr *a, int timeout_ms,
    char *why, size_t whylen)
{
	char	 err[256];

	if (d->base == NULL && (d->base = event_base_new()) == NULL) {
		snprintf(why, whylen, "could not create an event loop to look up the database host");
		return -1;
	}
	if (d->resolver == NULL &&
	    (d->resolver = resolver_new(d->base, ctl->cfg.resolv_conf, err, sizeof(err))) == NULL) {
		snprintf(why, whylen, "cannot look up the database host: DIALHOOK_RESOLV_CONF: %s", err);
		return -1;
	}
	d->done = false;
	pgaddr_resolve(a, d->resolver, timeout_ms, ctl_dns_done, d);
	while (!d->done)
		if (event_base_loop(d->base, EVLOOP_ONCE) < 0)
			break;
	if (!d->done) {
		pgaddr_cancel(a);
		snprintf(why, whylen, "the event loop failed while looking up the database host");
		return -1;
	}
	if (d->why[0] != '\0') {
		snprintf(why, whylen, "%s", d->why);
		return -1;
	}
	return 0;
}

/* One attempt: resolve (bounded) and connect. The connection, or NULL with the reason in why. */
static PGconn *
ctl_try_connect(const struct ctl *ctl, struct ctl_dns *d, struct pgaddr *a, int resolve_ms,
    char *why, size_t whylen)
{
	PGconn	*pq;

	if (pgaddr_needs_dns(a) && ctl_dns_resolve(ctl, d, a, resolve_ms, why, whylen) != 0)
		return NULL;
	pq = PQconnectdbParams(pgaddr_keywords(a), pgaddr_values(a), 0);
	if (PQstatus(pq) == CONNECTION_OK)
		return pq;
	util_one_line(PQerrorMessage(pq), why, whylen);
	PQfinish(pq);
	return NULL;
}

static void
ctl_sleep_ms(int64_t ms)
{
	struct timespec	 ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

PGconn *
ctl_connect_wait(const struct ctl *ctl, const char *cmd, int64_t wait_ms)
{
	struct ctl_dns	 dns = { 0 };
	struct pgaddr	*a;
	PGconn		*pq = NULL;
	char		 msg[512], tmo[24];
	int64_t		 t0 = util_now_ms(), elapsed, backoff = CTL_WAIT_BACKOFF_MIN_MS, pause, left;
	int		 attempt = 0;

	if (ctl->cfg.database_url == NULL) {
		(void)ctl_error(cmd,
		    "DATABASE_URL is not set (export DATABASE_URL=postgresql://user@host:port/db)");
		return NULL;
	}
	if ((a = pgaddr_new(ctl->cfg.database_url, msg, sizeof(msg))) == NULL) {
		(void)ctl_error(cmd, "DATABASE_URL is not a connection string libpq accepts: %s", msg);
		return NULL;
	}
	for (;;) {
		attempt++;
		left = wait_ms - (util_now_ms() - t0);
		if (wait_ms > 0) {
			/*
			 * libpq's connect_timeout (whole seconds, at least 2) keeps
			 * each attempt inside the wait
			 */
			snprintf(tmo, sizeof(tmo), "%lld",
			    (long long)(left < 2000 ? 2 : (left + 999) / 1000));
			pgaddr_set_param(a, "connect_timeout", tmo, true);
		}
		pq = ctl_try_connect(ctl, &dns, a, wait_ms > 0 && left < CTL_RESOLVE_TIMEOUT_MS ?
		    (int)(left > 100 ? left : 100) : CTL_RESOLVE_TIMEOUT_MS, msg, sizeof(msg));
		elapsed = util_now_ms() - t0;
		if (pq != NULL) {
			if (attempt > 1)
				fprintf(stderr,
				    "dialhookctl %s: database reachable after %.1fs (attempt %d)\n",
				    cmd, (double)elapsed / 1000.0, attempt);
			break;
		}
		if (wait_ms <= 0) {
			(void)ctl_error(cmd,
			    "could not connect to the database: %s (check DATABASE_URL)", msg);
			break;
		}
		if (elapsed >= wait_ms) {
			(void)ctl_error(cmd, "gave up waiting for the database after %.1fs "
			    "(--wait %.0fs, %d attempt%s): %s (check DATABASE_URL and that "
			    "PostgreSQL is running)", (double)elapsed / 1000.0,
			    (double)wait_ms / 1000.0, attempt, attempt == 1 ? "" : "s", msg);
			break;
		}
		pause = backoff < wait_ms - elapsed ? backoff : wait_ms - elapsed;
		fprintf(stderr, "dialhookctl %s: waiting for the database (attempt %d, %.1fs of %.0fs): %s; "
		    "next attempt in %.1fs\n", cmd, attempt, (double)elapsed / 1000.0,
		    (double)wait_ms / 1000.0, msg, (double)pause / 1000.0);
		ctl_sleep_ms(pause);
		backoff = backoff * 2 > CTL_WAIT_BACKOFF_MAX_MS ? CTL_WAIT_BACKOFF_MAX_MS : backoff * 2;
	}
	/* the lookup's timer lives on the private loop: free it before the loop */
	pgaddr_free(a);
	resolver_free(dns.resolver);
	if (dns.base != NULL)
		event_base_free(dns.base);
	return pq;
}

PGconn *
ctl_connect(const struct ctl *ctl, const char *cmd)
{
	return ctl_connect_wait(ctl, cmd, 0);
}

int
ctl_parse_wait(const char *s, int64_t *ms)
{
	static const struct { const char *suffix; int64_t mult; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "", 1000 },
	};
	size_t	 n = strspn(s, "0123456789");
	char	 num[16];
	int64_t	 v;

	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	for (size_t i = 0; i < DH_ARRAY_LEN(units); i++) {
		if (strcmp(s + n, units[i].suffix) != 0)
			continue;
		if (util_parse_int64(num, 0, CTL_WAIT_MAX_MS / units[i].mult, &v) != 0)
			return -1;
		*ms = v * units[i].mult;
		return 0;
	}
	return -1;
}

PGresult *
ctl_exec(PGconn *pq, const char *cmd, const char *sql, int nparams,
    const char *const *values, ExecStatusType want)
{
	PGresult	*res = PQexecParams(pq, sql, nparams, NULL, values, NULL, NULL, 0);
	char		 msg[1024];

	if (PQresultStatus(res) != want) {
		util_one_line(PQresultErrorMessage(res), msg, sizeof(msg));
		(void)ctl_error(cmd, "%s", msg);
		PQclear(res);
		return NULL;
	}
	return res;
}

int
ctl_walk_ids(PGconn *pq, struct ctl_walk *w)
{
	PGresult	*res;

	snprintf(w->last, sizeof(w->last), "0");
	w->params[0] = w->last;
	for (;;) {
		res = ctl_exec(pq, w->cmd, w->sql, w->nparams, w->params, PGRES_TUPLES_OK);
		if (res == NULL)
			return -1;
		if (PQgetisnull(res, 0, 0)) {
			PQclear(res);
			return 0;
		}
		snprintf(w->last, sizeof(w->last), "%s", PQgetvalue(res, 0, 0));
		for (int i = 0; i < w->ncounts; i++)
			w->counts[i] += strtoll(PQgetvalue(res, 0, i + 1), NULL, 10);
		PQclear(res);
		if (w->progress != NULL)
			w->progress(w);
	}
}

void
ctl_wake(PGconn *pq)
{
	PQclear(PQexec(pq, "SELECT dialhook_wake()"));
}
