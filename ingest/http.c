/*
 * http.c: routing, replies and webhook orchestration of ingest (see
 * http.h). The sockets (listening, connection cap, per-request deadlines,
 * accept() backoff) are common/httpserv.c's.
 */
#include "http.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "httpserv.h"
#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "verify.h"

#define HTTP_WEBHOOK_PATH	"/webhooks/dialpad"
#define HTTP_MAX_HEADERS	(16 * 1024)
#define HTTP_ALL_METHODS	(EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | \
				 EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | \
				 EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH)

enum http_route {
	ROUTE_WEBHOOK,
	ROUTE_HEALTHZ,
	ROUTE_READYZ,
	ROUTE_METRICS,
	ROUTE_OTHER,
	ROUTE_COUNT
};

static const char *const route_labels[ROUTE_COUNT] = {
	HTTP_WEBHOOK_PATH, "/healthz", "/readyz", "/metrics", "other"
};

static const int http_statuses[] = { 200, 400, 401, 404, 405, 413, 500, 503 };
#define HTTP_NSTATUS	DH_ARRAY_LEN(http_statuses)
#define HTTP_NREASONS	16

/*
 * Client connections the separate metrics listener (DIALHOOK_METRICS_LISTEN)
 * serves at once, and its per-request deadline: enough for Prometheus and
 * health checks. Its descriptors are kept out of DIALHOOK_MAX_CONNECTIONS.
 */
#define HTTP_METRICS_MAX_CONNECTIONS	32
#define HTTP_METRICS_DEADLINE_MS	5000
/*
 * Descriptors kept out of DIALHOOK_MAX_CONNECTIONS: stdio (3), the event
 * loop's own (epoll, signal pipe, notification: 4), two listening sockets,
 * the outage spool (writer: directory, segment, scan; replay: directory,
 * listing, segment, rejected file and its directory: 8) and room for name
 * lookups, the secrets file and libpq's reconnects (16); plus two per
 * database connection (HTTP_FD_PER_DB: a reconnect may open the new socket
 * before the old one is gone) and the metrics listener's connections.
 */
#define HTTP_FD_RESERVE			33
#define HTTP_FD_PER_DB			2

struct http {
	struct ingest			*in;
	struct httpserv			*main;		/* DIALHOOK_LISTEN */
	struct httpserv			*mon;		/* DIALHOOK_METRICS_LISTEN, or NULL */
	struct metric			*m_req[ROUTE_COUNT][HTTP_NSTATUS];
	struct {
		const char	*reason;
		struct metric	*m;
	}				 m_reject[HTTP_NREASONS];
};

/* ------------------------------------------------------------ metrics */

static void
http_count(struct http *h, enum http_route route, int status)
{
	char	 labels[96];
	size_t	 i;

	for (i = 0; i < HTTP_NSTATUS && http_statuses[i] != status; i++)
		;
	if (i == HTTP_NSTATUS)
		return;
	if (h->m_req[route][i] == NULL) {
		snprintf(labels, sizeof(labels), "route=\"%s\",status=\"%d\"", route_labels[route], status);
		h->m_req[route][i] = metrics_counter(h->in->metrics, "dialhook_ingest_requests_total",
		    "HTTP requests by route and status", labels);
	}
	metric_inc(h->m_req[route][i]);
}

/* reason must be a string literal or jwt_reason()'s (static storage). */
static void
http_count_reject(struct http *h, const char *reason)
{
	char	 labels[64];
	size_t	 i;

	for (i = 0; i < HTTP_NREASONS && h->m_reject[i].reason != NULL; i++)
		if (strcmp(h->m_reject[i].reason, reason) == 0)
			break;
	if (i == HTTP_NREASONS)
		return;
	if (h->m_reject[i].reason == NULL) {
		snprintf(labels, sizeof(labels), "reason=\"%s\"", reason);
		h->m_reject[i].reason = reason;
		h->m_reject[i].m = metrics_counter(h->in->metrics, "dialhook_ingest_rejections_total",
		    "webhooks not stored, by reason", labels);
	}
	metric_inc(h->m_reject[i].m);
}

static double
http_gauge_conns(void *arg)
{
	return (double)httpserv_connections(((struct http *)arg)->main);
}

/* ------------------------------------------------------------ replies */

static const char *
http_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

/* Send the one reply of req: status with a JSON body (or the evbuffer already filled). */
static void
http_send(struct http *h, struct evhttp_request *req, enum http_route route, int status,
    const char *json)
{
	struct evkeyvalq	*oh = evhttp_request_get_output_headers(req);

	if (json != NULL) {
		evhttp_add_header(oh, "Content-Type", "application/json");
		evbuffer_add(evhttp_request_get_output_buffer(req), json, strlen(json));
	}
	if (status == 503)
		evhttp_add_header(oh, "Retry-After", "1");
	if (h->in->state != INGEST_RUNNING)
		evhttp_add_header(oh, "Connection", "close");
	evhttp_send_reply(req, status, http_phrase(status), NULL);
	http_count(h, route, status);
}

/* An error reply {"status":"error","reason":...}; reason is a stable literal. */
static void
http_error(struct http *h, struct evhttp_request *req, enum http_route route, int status,
    const char *reason)
{
	char	 body[128];

	snprintf(body, sizeof(body), "{\"status\":\"error\",\"reason\":\"%s\"}", reason);
	http_send(h, req, route, status, body);
}

/*
 * A webhook not stored: count, log (request-derived text escaped) and
 * answer with reason. cause is the finer reason for the log and the
 * rejections metric (e.g. every database 503 answers "unavailable", the
 * contract's reason, while the metric tells a timeout from a shutdown).
 */
static void
http_reject_cause(struct http *h, struct evhttp_request *req, const char *app_id, int status,
    const char *reason, const char *cause)
{
	struct evhttp_connection	*evcon = evhttp_request_get_connection(req);
	char				*peer = NULL;
	uint16_t			 port = 0;

	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &peer, &port);
	log_info("webhook rejected", LOG_I("status", status), LOG_S("reason", reason), LOG_S("cause", cause),
	    LOG_S("app", app_id), LOG_S("peer", peer ? peer : "-"));
	http_count_reject(h, cause);
	http_error(h, req, ROUTE_WEBHOOK, status, reason);
}

static void
http_reject(struct http *h, struct evhttp_request *req, const char *app_id, int status,
    const char *reason)
{
	http_reject_cause(h, req, app_id, status, reason, reason);
}

void
http_store_done(void *owner, const struct store_result *res, void *arg)
{
	struct ingest		*in = arg;
	struct http		*h = in->http;
	struct evhttp_request	*req = owner;
	char			 body[96];

	switch (res->outcome) {
	case STORE_STORED:
		snprintf(body, sizeof(body), "{\"status\":\"stored\",\"id\":%" PRId64 "}", res->id);
		log_debug("webhook stored", LOG_I("id", res->id), LOG_S("app", res->app_id),
		    LOG_S("type", res->event_type));
		http_send(h, req, ROUTE_WEBHOOK, 200, body);
		break;
	case STORE_DUPLICATE:
		log_debug("webhook duplicate", LOG_S("app", res->app_id), LOG_S("type", res->event_type));
		http_send(h, req, ROUTE_WEBHOOK, 200, "{\"status\":\"duplicate\"}");
		break;
	case STORE_SPOOLED:
		log_debug("webhook spooled", LOG_S("app", res->app_id), LOG_S("type", res->event_type));
		http_send(h, req, ROUTE_WEBHOOK, 200, "{\"status\":\"spooled\"}");
		break;
	case STORE_UNAVAILABLE:
		http_reject(h, req, res->app_id, 503, "unavailable");
		break;
	case STORE_TIMEOUT:
		http_reject_cause(h, req, res->app_id, 503, "unavailable", "timeout");
		break;
	case STORE_FAILED:
		http_reject(h, req, res->app_id, 500, "store_failed");
		break;
	}
}

/* ------------------------------------------------------------ routes */

/* true if s is a valid app_id: [A-Za-z0-9_-]{1,64}. */
static bool
http_app_id_ok(const char *s)
{
	size_t	 n;

	for (n = 0; s[n] != '\0'; n++) {
		char c = s[n];

		if (n >= STORE_APP_ID_MAX || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return n > 0;
}

/*
 * Verify, classify and queue one webhook for app_id; the reply comes from
 * http_store_done() unless it is refused here. An app with no secret is
 * answered exactly as one whose secret the sender does not have (verify.h):
 * only the rejections metric and the log line say "unknown_app".
 */
static void
http_webhook(struct http *h, struct evhttp_request *req, const char *app_id)
{
	struct ingest		*in = h->in;
	struct evbuffer		*buf = evhttp_request_get_input_buffer(req);
	size_t			 len = evbuffer_get_length(buf);
	struct event_info	 info;
	char			*payload;
	size_t			 plen;
	enum jwt_result		 vr;

	if (in->state != INGEST_RUNNING) {
		http_reject_cause(h, req, app_id, 503, "unavailable", "shutting_down");
		return;
	}
	if (!store_can_accept(in->store)) {
		http_reject(h, req, app_id, 503, "unavailable");
		return;
	}
	if (len > (size_t)in->cfg->max_body) {
		http_reject(h, req, app_id, 413, "too_large");
		return;
	}
	vr = verify_body(in->verify, app_id, (const char *)evbuffer_pullup(buf, -1), len,
	    &payload, &plen);
	if (vr != JWT_OK) {
		http_reject_cause(h, req, app_id, vr == JWT_MALFORMED ? 400 : 401, jwt_reason(vr),
		    verify_is_known(in->verify, app_id) ? jwt_reason(vr) : "unknown_app");
		return;
	}
	if (event_classify(payload, plen, &info) != 0) {
		free(payload);
		http_reject(h, req, app_id, 400, "malformed");
		return;
	}
	store_submit(in->store, app_id, payload, plen, &info, req);
}

static void
http_metrics(struct http *h, struct evhttp_request *req)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    METRICS_CONTENT_TYPE);
	metrics_render(h->in->metrics, evhttp_request_get_output_buffer(req));
	http_send(h, req, ROUTE_METRICS, 200, NULL);
}

/* /readyz: 200 while a database connection is up, or while the outage spool can take events. */
static void
http_readyz(struct http *h, struct evhttp_request *req)
{
	struct store	*st = h->in->store;

	if (h->in->state != INGEST_RUNNING)
		http_error(h, req, ROUTE_READYZ, 503, "unavailable");
	else if (store_is_ready(st))
		http_send(h, req, ROUTE_READYZ, 200, "{\"status\":\"ready\"}");
	else if (store_spool_is_usable(st))
		http_send(h, req, ROUTE_READYZ, 200,
		    "{\"status\":\"ready\",\"database\":\"down\",\"spool\":\"on\"}");
	else
		http_error(h, req, ROUTE_READYZ, 503, "unavailable");
}

/*
 * GET/HEAD routes; true if path was one of them (and has been answered).
 * with_metrics: /metrics is served here (false on the webhook listener when
 * DIALHOOK_METRICS_LISTEN moves it to a listener of its own).
 */
static bool
http_get_route(struct http *h, struct evhttp_request *req, const char *path, bool get, bool with_metrics)
{
	enum http_route	 route;

	if (strcmp(path, "/healthz") == 0)
		route = ROUTE_HEALTHZ;
	else if (strcmp(path, "/readyz") == 0)
		route = ROUTE_READYZ;
	else if (with_metrics && strcmp(path, "/metrics") == 0)
		route = ROUTE_METRICS;
	else
		return false;
	if (!get) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		http_error(h, req, route, 405, "method_not_allowed");
	} else if (route == ROUTE_HEALTHZ) {
		http_send(h, req, route, 200, "{\"status\":\"ok\"}");
	} else if (route == ROUTE_READYZ) {
		http_readyz(h, req);
	} else {
		http_metrics(h, req);
	}
	return true;
}

/* The webhook listener's request callback: route by path, then method. */
static void
http_request_cb(struct evhttp_request *req, void *arg)
{
	struct http		*h = arg;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);
	const char		*app = NULL;

	if (path == NULL) {
		http_error(h, req, ROUTE_OTHER, 404, "not_found");
		return;
	}
	if (http_get_route(h, req, path, cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD, h->mon == NULL))
		return;
	if (strncmp(path, HTTP_WEBHOOK_PATH, strlen(HTTP_WEBHOOK_PATH)) == 0) {
		const char *rest = path + strlen(HTTP_WEBHOOK_PATH);

		if (rest[0] == '\0')
			app = "default";
		else if (rest[0] == '/' && http_app_id_ok(rest + 1))
			app = rest + 1;
	}
	if (app == NULL) {
		http_error(h, req, ROUTE_OTHER, 404, "not_found");
		return;
	}
	if (cmd != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
		http_error(h, req, ROUTE_WEBHOOK, 405, "method_not_allowed");
		return;
	}
	http_webhook(h, req, app);
}

/* The metrics listener's request callback: /metrics, /healthz, /readyz; anything else 404. */
static void
http_mon_request_cb(struct evhttp_request *req, void *arg)
{
	struct http		*h = arg;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);
	bool			 get = cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD;

	if (path == NULL || !http_get_route(h, req, path, get, true))
		http_error(h, req, ROUTE_OTHER, 404, "not_found");
}

/* ------------------------------------------------------------ listeners */

/*
 * How many client connections the webhook listener may hold: what
 * DIALHOOK_MAX_CONNECTIONS asks, or less if the open-file limit cannot
 * hold that many beside the reserve (one log line says so). 0 (logged) if
 * not even one fits.
 */
static size_t
http_connection_cap(const struct ingest *in, bool mon)
{
	const struct dh_config	*cfg = in->cfg;
	uint64_t		 reserve = HTTP_FD_RESERVE + HTTP_FD_PER_DB * (uint64_t)cfg->db_connections +
				    (mon ? HTTP_METRICS_MAX_CONNECTIONS : 0);
	size_t			 cap = httpserv_fit_connections(in->nofile, reserve,
				    (size_t)cfg->max_connections);

	if (cap == 0)
		log_error("the open-file limit leaves no descriptor for client connections, raise it "
		    "(ulimit -n)", LOG_U("nofile", in->nofile), LOG_U("reserve", reserve));
	else if (cap < (size_t)cfg->max_connections)
		log_warn("DIALHOOK_MAX_CONNECTIONS lowered to fit the open-file limit",
		    LOG_I("configured", cfg->max_connections), LOG_U("max_connections", cap),
		    LOG_U("nofile", in->nofile), LOG_U("reserve", reserve));
	return cap;
}

/* The counters and gauge of the listeners (the webhook one's series predate this module). */
static void
http_register_metrics(struct http *h, struct httpserv_options *main, struct httpserv_options *mon)
{
	struct metrics	*m = h->in->metrics;

	main->m_refused = metrics_counter(m, "dialhook_ingest_connections_refused_total",
	    "client connections closed at once because DIALHOOK_MAX_CONNECTIONS were open", NULL);
	main->m_expired = metrics_counter(m, "dialhook_ingest_connections_expired_total",
	    "client connections closed because a request was not complete within DIALHOOK_READ_TIMEOUT_MS",
	    NULL);
	main->m_accept_errors = metrics_counter(m, "dialhook_ingest_accept_errors_total",
	    "accept() failures (e.g. out of file descriptors); accepting pauses", "listener=\"webhooks\"");
	mon->m_accept_errors = metrics_counter(m, "dialhook_ingest_accept_errors_total",
	    "accept() failures (e.g. out of file descriptors); accepting pauses", "listener=\"metrics\"");
	metrics_gauge_fn(m, "dialhook_ingest_connections", "open client connections",
	    NULL, http_gauge_conns, h);
}

/* Start the listener(s); 0, or -1 (logged). */
static int
http_listen(struct http *h)
{
	const struct dh_config	*cfg = h->in->cfg;
	bool			 separate = cfg->metrics_listen != NULL && cfg->metrics_listen[0] != '\0';
	struct httpserv_options	 main = {
		.name = "webhooks", .listen = cfg->listen, .reuseport = true,
		.max_connections = http_connection_cap(h->in, separate),
		.deadline_ms = cfg->read_timeout_ms, .max_body = cfg->max_body,
		.max_headers = HTTP_MAX_HEADERS, .methods = HTTP_ALL_METHODS,
		.request = http_request_cb, .log = log_sink, .arg = h,
	};
	struct httpserv_options	 mon = {
		.name = "metrics", .listen = cfg->metrics_listen, .reuseport = false,
		.max_connections = HTTP_METRICS_MAX_CONNECTIONS, .deadline_ms = HTTP_METRICS_DEADLINE_MS,
		.max_body = 0, .max_headers = HTTP_MAX_HEADERS, .methods = EVHTTP_REQ_GET | EVHTTP_REQ_HEAD,
		.request = http_mon_request_cb, .log = log_sink, .arg = h,
	};
	char			 err[512];

	if (main.max_connections == 0)
		return -1;
	http_register_metrics(h, &main, &mon);
	if ((h->main = httpserv_new(h->in->base, &main, err, sizeof(err))) == NULL ||
	    (separate && (h->mon = httpserv_new(h->in->base, &mon, err, sizeof(err))) == NULL)) {
		log_error("could not serve HTTP", LOG_S("error", err));
		return -1;
	}
	return 0;
}

struct http *
http_new(struct ingest *in)
{
	struct http	*h = xcalloc(1, sizeof(*h));

	h->in = in;
	if (http_listen(h) != 0) {
		http_free(h);
		return NULL;
	}
	return h;
}

void
http_stop_accepting(struct http *h)
{
	httpserv_stop_accepting(h->main);
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	httpserv_free(h->mon);
	httpserv_free(h->main);
	free(h);
}
