/*
 * ingest.c: build, run and tear down the ingest daemon (see ingest.h).
 */
#include "ingest.h"

#include <signal.h>
#include <string.h>

#include <libpq-fe.h>

#include "http.h"
#include "httpserv.h"
#include "log.h"
#include "metrics.h"
#include "resolver.h"
#include "store.h"
#include "verify.h"

#define INGEST_TICK_MS		25	/* janitor period: deadline precision */
#define INGEST_FLUSH_MS		200	/* after the drain, time for the last replies to be written */

void
ingest_abort(struct ingest *in, int rc)
{
	in->exit_code = rc;
	in->state = INGEST_STOPPED;
	event_base_loopbreak(in->base);
}

/* The store's fatal callback: the schema is too old; exit non-zero. */
static void
ingest_db_fatal(const char *why, void *arg)
{
	struct ingest	*in = arg;

	if (in->state == INGEST_STOPPED)
		return;
	log_error("cannot use the database, exiting", LOG_S("error", why));
	ingest_abort(in, 1);
}

/* First SIGTERM/SIGINT: drain. A second one: stop at once. */
static void
ingest_signal_cb(evutil_socket_t sig, short what DH_UNUSED, void *arg)
{
	struct ingest	*in = arg;
	const char	*name = sig == SIGTERM ? "SIGTERM" : "SIGINT";

	if (in->state != INGEST_RUNNING) {
		log_warn("second signal, exiting at once", LOG_S("signal", name),
		    LOG_U("pending", store_pending(in->store)));
		ingest_abort(in, 1);
		return;
	}
	log_info("shutting down: finishing in-flight requests", LOG_S("signal", name),
	    LOG_U("pending", store_pending(in->store)), LOG_I("timeout_ms", in->cfg->shutdown_timeout_ms));
	in->state = INGEST_DRAINING;
	in->drain_deadline_us = util_now_us() + in->cfg->shutdown_timeout_ms * 1000;
	http_stop_accepting(in->http);
	store_drain(in->store);
}

/* Persistent tick: request deadlines, stuck connections, drain progress. */
static void
ingest_janitor_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	struct ingest	*in = arg;
	struct timeval	 flush = { 0, INGEST_FLUSH_MS * 1000 };

	store_tick(in->store);
	if (in->state != INGEST_DRAINING)
		return;
	if (store_is_idle(in->store)) {
		log_info("drained, exiting");
		in->state = INGEST_STOPPED;
		in->exit_code = 0;
		event_base_loopexit(in->base, &flush);
	} else if (util_now_us() > in->drain_deadline_us) {
		log_warn("shutdown timeout, exiting with requests unanswered",
		    LOG_U("pending", store_pending(in->store)));
		ingest_abort(in, 1);
	}
}

/* Signals and the janitor; 0 or -1 (logged). */
static int
ingest_events(struct ingest *in)
{
	struct timeval	 tick = { 0, INGEST_TICK_MS * 1000 };

	signal(SIGPIPE, SIG_IGN);
	in->sigterm = evsignal_new(in->base, SIGTERM, ingest_signal_cb, in);
	in->sigint = evsignal_new(in->base, SIGINT, ingest_signal_cb, in);
	in->janitor = event_new(in->base, -1, EV_PERSIST, ingest_janitor_cb, in);
	if (in->sigterm == NULL || in->sigint == NULL || in->janitor == NULL ||
	    evsignal_add(in->sigterm, NULL) != 0 || evsignal_add(in->sigint, NULL) != 0 ||
	    event_add(in->janitor, &tick) != 0) {
		log_error("could not set up signal and timer events");
		return -1;
	}
	return 0;
}

static struct store *
ingest_store(struct ingest *in)
{
	const struct dh_config	*cfg = in->cfg;
	struct store_options	 opt = {
		.conninfo = cfg->database_url,
		.resolver = in->resolver,
		.connections = (int)cfg->db_connections,
		.max_pending = (int)cfg->max_pending,
		.max_batch = (int)cfg->max_batch,
		.timeout_ms = (int)cfg->db_timeout_ms,
		.notify_interval_ms = (int)cfg->notify_interval_ms,
		.spool_dir = cfg->spool_dir != NULL && cfg->spool_dir[0] != '\0' ? cfg->spool_dir : NULL,
		.spool_max_bytes = (uint64_t)cfg->spool_max_bytes,
	};
	char			 err[512];
	struct store		*st;

	st = store_new(in->base, &opt, in->metrics, http_store_done, ingest_db_fatal, in, err, sizeof(err));
	if (st == NULL)
		log_error("cannot use the outage spool, refusing to start", LOG_S("dir", opt.spool_dir),
		    LOG_S("error", err));
	return st;
}

int
ingest_init(struct ingest *in, const struct dh_config *cfg)
{
	char		 err[512];
	uint64_t	 before;

	memset(in, 0, sizeof(*in));
	in->cfg = cfg;
	in->state = INGEST_RUNNING;
	in->exit_code = 1;
	log_route_libevent();
	/* the connection cap is computed from this limit (http.c) */
	if (httpserv_raise_nofile(&before, &in->nofile, err, sizeof(err)) != 0)
		log_warn("could not raise the open-file limit, keeping it", LOG_S("error", err));
	/* order: loop, metrics, verifier (refuses bad secrets), store, HTTP, signals */
	if ((in->base = event_base_new()) == NULL) {
		log_error("could not create the event loop");
		goto fail;
	}
	if ((in->resolver = resolver_new(in->base, cfg->resolv_conf, err, sizeof(err))) == NULL) {
		log_error("cannot use DIALHOOK_RESOLV_CONF, refusing to start", LOG_S("error", err));
		goto fail;
	}
	in->metrics = metrics_new();
	if ((in->verify = verify_new(cfg, err, sizeof(err))) == NULL) {
		log_error("refusing to start", LOG_S("error", err));
		goto fail;
	}
	if ((in->store = ingest_store(in)) == NULL)
		goto fail;
	if ((in->http = http_new(in)) == NULL || ingest_events(in) != 0)
		goto fail;
	return 0;
fail:
	ingest_fini(in);
	return -1;
}

int
ingest_run(struct ingest *in)
{
	/* the options are on main.c's "configuration" line, just before */
	log_info("dialhook-ingest starting", LOG_S("version", DH_VERSION),
	    LOG_S("libevent", event_get_version()), LOG_S("backend", event_base_get_method(in->base)),
	    LOG_I("libpq", PQlibVersion()), LOG_U("app_secrets", verify_app_count(in->verify)),
	    LOG_U("nofile", in->nofile));
	if (verify_is_unsigned(in->verify))
		log_warn("NO SECRET CONFIGURED: webhooks are NOT verified (DIALHOOK_ALLOW_UNSIGNED=1); "
		    "anyone who can reach the listener can store events");
	store_start(in->store);
	if (event_base_dispatch(in->base) != 0) {
		log_error("event loop failed");
		return 1;
	}
	return in->exit_code;
}

void
ingest_fini(struct ingest *in)
{
	/* the store answers what is outstanding through HTTP, so it goes first */
	store_free(in->store);
	in->store = NULL;
	http_free(in->http);
	in->http = NULL;
	verify_free(in->verify);
	in->verify = NULL;
	if (in->janitor)
		event_free(in->janitor);
	if (in->sigint)
		event_free(in->sigint);
	if (in->sigterm)
		event_free(in->sigterm);
	in->janitor = in->sigint = in->sigterm = NULL;
	metrics_free(in->metrics);
	in->metrics = NULL;
	resolver_free(in->resolver);	/* last before the base: it may run the loop */
	in->resolver = NULL;
	if (in->base)
		event_base_free(in->base);
	in->base = NULL;
}
