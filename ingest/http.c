/*
 * http.c: listener, connection limit, routing and replies (see http.h).
 *
 * libevent 2.1 has no connection limit and no per-connection hook, so the
 * limit (and, in conns.c, the per-request read deadline) is kept like this: evhttp asks our bevcb for each new connection's
 * bufferevent; we remember it and, once evhttp's accept callback has
 * returned (an event activated from bevcb, which runs before the new
 * socket can be read), fetch its evhttp_connection with bufferevent_getcb(),
 * close it if we are over the limit, else count it and set a close callback
 * that uncounts it.
 */
#include "http.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "conns.h"
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

struct http {
	struct ingest			*in;
	struct evhttp			*evh;
	struct evhttp_bound_socket	*bound;
	struct event			*adopt;		/* counts connections after accept */
	struct event			*accept_retry;	/* re-enable accept after EMFILE */
	struct bufferevent		**newborn;	/* accepted, not yet counted */
	size_t				 nnew, capnew;
	struct conns			*conns;		/* open connections, read deadlines */
	int64_t				 last_limit_log_us;
	struct metric			*m_req[ROUTE_COUNT][HTTP_NSTATUS];
	struct {
		const char	*reason;
		struct metric	*m;
	}				 m_reject[HTTP_NREASONS];
	struct metric			*m_conn_refused;
};

static void	http_reply_done(struct evhttp_request *req, void *arg);

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
	return (double)conns_count(((struct http *)arg)->conns);
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
	log_info("webhook rejected|status=%d reason=%s cause=%s app=%s peer=%s", status, reason, cause,
	    app_id, peer ? peer : "-");
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
http_store_done(struct store_req *r, enum store_outcome o, int64_t id, void *arg)
{
	struct ingest		*in = arg;
	struct http		*h = in->http;
	struct evhttp_request	*req = r->owner;
	char			 body[96];

	switch (o) {
	case STORE_STORED:
		snprintf(body, sizeof(body), "{\"status\":\"stored\",\"id\":%" PRId64 "}", id);
		log_debug("webhook stored|id=%" PRId64 " app=%s type=%s", id, r->app_id, r->info.type);
		http_send(h, req, ROUTE_WEBHOOK, 200, body);
		break;
	case STORE_DUPLICATE:
		log_debug("webhook duplicate|app=%s type=%s", r->app_id, r->info.type);
		http_send(h, req, ROUTE_WEBHOOK, 200, "{\"status\":\"duplicate\"}");
		break;
	case STORE_SPOOLED:
		log_debug("webhook spooled|app=%s type=%s", r->app_id, r->info.type);
		http_send(h, req, ROUTE_WEBHOOK, 200, "{\"status\":\"spooled\"}");
		break;
	case STORE_UNAVAILABLE:
		http_reject(h, req, r->app_id, 503, "unavailable");
		break;
	case STORE_TIMEOUT:
		http_reject_cause(h, req, r->app_id, 503, "unavailable", "timeout");
		break;
	case STORE_FAILED:
		http_reject(h, req, r->app_id, 500, "store_failed");
		break;
	}
	r->owner = NULL;
}

/* The Allow header for a request-target on one of our routes, or NULL if it is none of them. */
static const char *
http_allow_for(const char *uri)
{
	size_t	 n = uri ? strcspn(uri, "?#") : 0;
	size_t	 wl = strlen(HTTP_WEBHOOK_PATH);

	if (uri == NULL)
		return NULL;
	if ((n == 8 && strncmp(uri, "/healthz", n) == 0) || (n == 7 && strncmp(uri, "/readyz", n) == 0) ||
	    (n == 8 && strncmp(uri, "/metrics", n) == 0))
		return "GET, HEAD";
	if (n >= wl && strncmp(uri, HTTP_WEBHOOK_PATH, wl) == 0 && (n == wl || uri[wl] == '/'))
		return "POST";
	return NULL;
}

/*
 * evhttp's own error replies. libevent 2.1 answers some requests itself,
 * before any callback of ours runs: 413 when the declared or chunked body
 * length exceeds DIALHOOK_MAX_BODY (nothing more is read), 400 for a
 * request line or headers it cannot parse, 501 for an unknown method. It
 * does so through this exported function, which calls through the PLT in
 * Debian's build (checked: `objdump -d libevent-2.1.so.7`), so defining it
 * here replaces its HTML page with our JSON error body for every one of
 * those answers. The integration tests check the 413 body, so a libevent
 * build that binds the call internally is caught. It must not call back
 * into libevent's original; it only uses the public reply API.
 */
void
evhttp_send_error(struct evhttp_request *req, int error, const char *reason DH_UNUSED)
{
	struct evkeyvalq	*oh = evhttp_request_get_output_headers(req);
	const char		*why = error == 413 ? "too_large" : "malformed";
	const char		*allow = NULL;
	char			 body[96];

	/*
	 * 501 is evhttp refusing a method it does not know (PROPFIND, FOO):
	 * on one of our paths that is a wrong method, 405 with Allow; elsewhere
	 * the path is unknown, 404.
	 */
	if (error == 501) {
		allow = http_allow_for(evhttp_request_get_uri(req));
		error = allow ? 405 : 404;
		why = allow ? "method_not_allowed" : "not_found";
	}
	if (req->major == 0 && req->minor == 0) {
		req->major = 1;		/* the request line was not parsed */
		req->minor = 1;
	}
	snprintf(body, sizeof(body), "{\"status\":\"error\",\"reason\":\"%s\"}", why);
	evhttp_clear_headers(oh);
	evhttp_add_header(oh, "Content-Type", "application/json");
	evhttp_add_header(oh, "Connection", "close");
	if (allow != NULL)
		evhttp_add_header(oh, "Allow", allow);
	evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
	evhttp_send_reply(req, error, http_phrase(error), NULL);
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
 * http_store_done() unless it is refused here.
 */
static void
http_webhook(struct http *h, struct evhttp_request *req, const char *app_id)
{
	struct ingest		*in = h->in;
	struct evbuffer		*buf = evhttp_request_get_input_buffer(req);
	size_t			 len = evbuffer_get_length(buf);
	struct store_req	*r;
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
	if (!verify_is_known(in->verify, app_id)) {
		http_reject(h, req, app_id, 401, "no_secret");
		return;
	}
	if (len > (size_t)in->cfg->max_body) {
		http_reject(h, req, app_id, 413, "too_large");
		return;
	}
	vr = verify_body(in->verify, app_id, (const char *)evbuffer_pullup(buf, -1), len,
	    &payload, &plen);
	if (vr != JWT_OK) {
		http_reject(h, req, app_id, vr == JWT_MALFORMED ? 400 : 401, jwt_reason(vr));
		return;
	}
	r = store_req_new(in->store);
	r->payload = payload;
	r->len = plen;
	if (event_classify(payload, plen, &r->info) != 0) {
		store_req_discard(in->store, r);
		http_reject(h, req, app_id, 400, "malformed");
		return;
	}
	snprintf(r->app_id, sizeof(r->app_id), "%s", app_id);
	r->owner = req;
	store_submit(in->store, r);
}

static void
http_metrics(struct http *h, struct evhttp_request *req)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    METRICS_CONTENT_TYPE);
	metrics_render(h->in->metrics, evhttp_request_get_output_buffer(req));
	http_send(h, req, ROUTE_METRICS, 200, NULL);
}

/* GET/HEAD routes; true if path was one of them (and has been answered). */
static bool
http_get_route(struct http *h, struct evhttp_request *req, const char *path, bool get)
{
	enum http_route	 route;

	if (strcmp(path, "/healthz") == 0)
		route = ROUTE_HEALTHZ;
	else if (strcmp(path, "/readyz") == 0)
		route = ROUTE_READYZ;
	else if (strcmp(path, "/metrics") == 0)
		route = ROUTE_METRICS;
	else
		return false;
	if (!get) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		http_error(h, req, route, 405, "method_not_allowed");
	} else if (route == ROUTE_HEALTHZ) {
		http_send(h, req, route, 200, "{\"status\":\"ok\"}");
	} else if (route == ROUTE_READYZ) {
		if (h->in->state != INGEST_RUNNING)
			http_error(h, req, route, 503, "unavailable");
		else if (store_is_ready(h->in->store))
			http_send(h, req, route, 200, "{\"status\":\"ready\"}");
		else if (store_has_spool(h->in->store))
			http_send(h, req, route, 200,
			    "{\"status\":\"ready\",\"database\":\"down\",\"spool\":\"on\"}");
		else
			http_error(h, req, route, 503, "unavailable");
	} else {
		http_metrics(h, req);
	}
	return true;
}

/* The one request callback: route by path, then method. */
static void
http_request_cb(struct evhttp_request *req, void *arg)
{
	struct http		*h = arg;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);
	const char		*app = NULL;
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);

	/* the request is complete: no read deadline until its reply is written */
	if (evcon != NULL) {
		conns_busy(h->conns, evcon);
		evhttp_request_set_on_complete_cb(req, http_reply_done, h);
	}
	if (path == NULL) {
		http_error(h, req, ROUTE_OTHER, 404, "not_found");
		return;
	}
	if (http_get_route(h, req, path, cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD))
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

/* ------------------------------------------------------------ connections */

static void
http_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct http	*h = arg;

	conns_remove(h->conns, evcon);
}

/* A reply has been written: the connection's next request gets a fresh deadline. */
static void
http_reply_done(struct evhttp_request *req, void *arg)
{
	struct http			*h = arg;
	struct evhttp_connection	*evcon = evhttp_request_get_connection(req);

	if (evcon != NULL)
		conns_idle(h->conns, evcon);
}

/* evhttp's bufferevent factory: remember each new connection's bufferevent. */
static struct bufferevent *
http_bevcb(struct event_base *base, void *arg)
{
	struct http		*h = arg;
	struct bufferevent	*bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);

	if (bev == NULL)
		return NULL;
	if (h->nnew == h->capnew) {
		h->capnew = h->capnew ? h->capnew * 2 : 16;
		h->newborn = xreallocarray(h->newborn, h->capnew, sizeof(*h->newborn));
	}
	h->newborn[h->nnew++] = bev;
	event_active(h->adopt, EV_TIMEOUT, 0);
	return bev;
}

/* After accept: count each new connection, or close it when over the limit. */
static void
http_adopt_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	struct http	*h = arg;
	int64_t		 now = util_now_us();

	for (size_t i = 0; i < h->nnew; i++) {
		void				*cbarg = NULL;
		struct evhttp_connection	*evcon;

		bufferevent_getcb(h->newborn[i], NULL, NULL, NULL, &cbarg);
		evcon = cbarg;
		if (evcon == NULL)
			continue;
		if (conns_count(h->conns) >= (size_t)h->in->cfg->max_connections) {
			metric_inc(h->m_conn_refused);
			if (now - h->last_limit_log_us > 1000000) {
				h->last_limit_log_us = now;
				log_warn("connection limit reached, closing new connections|open=%zu max=%" PRId64,
				    conns_count(h->conns), h->in->cfg->max_connections);
			}
			evhttp_connection_free(evcon);
			continue;
		}
		conns_add(h->conns, evcon);
		evhttp_connection_set_closecb(evcon, http_conn_closed, h);
	}
	h->nnew = 0;
}

static void
http_accept_retry_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	struct http	*h = arg;

	if (h->bound != NULL)
		evconnlistener_enable(evhttp_bound_socket_get_listener(h->bound));
}

/* accept() failed (e.g. EMFILE): back off for a second instead of spinning. */
static void
http_accept_error(struct evconnlistener *lev, void *arg)
{
	struct http	*h = arg;
	struct timeval	 tv = { 1, 0 };
	int		 err = EVUTIL_SOCKET_ERROR();

	log_warn("could not accept a connection, pausing 1s|error=\"%s\"",
	    evutil_socket_error_to_string(err));
	evconnlistener_disable(lev);
	evtimer_add(h->accept_retry, &tv);
}

/* ------------------------------------------------------------ listener */

/* Bind a listening SO_REUSEPORT socket to listen ("host:port"); the fd or -1 (logged). */
static int
http_listen_socket(const char *listen_addr)
{
	char		 host[256], portstr[16];
	int		 port, fd = -1, on = 1, rc;
	struct addrinfo	 hints = { 0 }, *ai = NULL;
	const char	*step = "parse";

	if (util_split_hostport(listen_addr, host, sizeof(host), &port) != 0) {
		log_error("could not parse listen address|listen=%s", listen_addr);
		return -1;
	}
	snprintf(portstr, sizeof(portstr), "%d", port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host[0] ? host : NULL, portstr, &hints, &ai)) != 0) {
		log_error("could not resolve listen address|listen=%s error=\"%s\"", listen_addr,
		    gai_strerror(rc));
		return -1;
	}
	step = "socket";
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	step = "setsockopt";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0)
		goto fail;
	step = "bind";
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		goto fail;
	step = "listen";
	if (listen(fd, 1024) != 0)
		goto fail;
	freeaddrinfo(ai);
	return fd;
fail:
	log_error("could not listen|listen=%s step=%s error=\"%s\"", listen_addr, step, strerror(errno));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return -1;
}

/* Apply limits and callbacks to a new evhttp. */
static void
http_configure(struct http *h)
{
	const struct dh_config	*cfg = h->in->cfg;
	struct timeval		 tv = { cfg->read_timeout_ms / 1000, (cfg->read_timeout_ms % 1000) * 1000 };

	evhttp_set_allowed_methods(h->evh, HTTP_ALL_METHODS);
	evhttp_set_max_body_size(h->evh, cfg->max_body);
	evhttp_set_max_headers_size(h->evh, HTTP_MAX_HEADERS);
	evhttp_set_timeout_tv(h->evh, &tv);
	evhttp_set_gencb(h->evh, http_request_cb, h);
	evhttp_set_bevcb(h->evh, http_bevcb, h);
	h->m_conn_refused = metrics_counter(h->in->metrics, "dialhook_ingest_connections_refused_total",
	    "client connections closed at once because DIALHOOK_MAX_CONNECTIONS were open", NULL);
	metrics_gauge_fn(h->in->metrics, "dialhook_ingest_connections", "open client connections",
	    NULL, http_gauge_conns, h);
}

struct http *
http_new(struct ingest *in)
{
	struct http	*h = xcalloc(1, sizeof(*h));
	int		 fd;

	h->in = in;
	h->adopt = event_new(in->base, -1, 0, http_adopt_cb, h);
	h->accept_retry = evtimer_new(in->base, http_accept_retry_cb, h);
	h->evh = evhttp_new(in->base);
	h->conns = conns_new(in->base, in->cfg->read_timeout_ms);
	if (h->adopt == NULL || h->accept_retry == NULL || h->evh == NULL || h->conns == NULL) {
		log_error("could not create the HTTP server");
		goto fail;
	}
	http_configure(h);
	if ((fd = http_listen_socket(in->cfg->listen)) < 0)
		goto fail;
	if ((h->bound = evhttp_accept_socket_with_handle(h->evh, fd)) == NULL) {
		log_error("could not accept on the listening socket|listen=%s", in->cfg->listen);
		close(fd);
		goto fail;
	}
	evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(h->bound), http_accept_error);
	return h;
fail:
	http_free(h);
	return NULL;
}

void
http_stop_accepting(struct http *h)
{
	if (h->bound != NULL) {
		evhttp_del_accept_socket(h->evh, h->bound);	/* closes the socket */
		h->bound = NULL;
	}
	evtimer_del(h->accept_retry);
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	if (h->evh != NULL)
		evhttp_free(h->evh);	/* closes connections: http_conn_closed runs */
	if (h->adopt != NULL)
		event_free(h->adopt);
	if (h->accept_retry != NULL)
		event_free(h->accept_retry);
	conns_free(h->conns);	/* after evhttp_free: its close callbacks use the table */
	free(h->newborn);
	free(h);
}

size_t
http_connections(const struct http *h)
{
	return conns_count(h->conns);
}
