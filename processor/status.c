/*
 * status.c: the processor's metrics registry and its /metrics, /healthz and
 * /readyz server (see status.h); the sockets are common/httpserv.c's.
 */
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "dispatch.h"
#include "httpserv.h"
#include "log.h"
#include "metrics.h"

#define STATUS_DEADLINE_MS	5000		/* per request: reading it, and keep-alive idle */
#define STATUS_MAX_HEADERS	(16 * 1024)

enum { ST_PROCESSED, ST_SKIPPED, ST_FAILED, ST_DEAD, ST_NKIND };

static const char *const status_kind_name[ST_NKIND] = {
	"dialhook_processor_events_processed_total",
	"dialhook_processor_events_skipped_total",
	"dialhook_processor_events_failed_total",
	"dialhook_processor_events_dead_total",
};
static const char *const status_kind_help[ST_NKIND] = {
	"events handled and marked processed, by event type",
	"events with no handler, marked processed, by event type (known Dialpad types; others as \"other\")",
	"failed attempts (handler or SQL failure), by event type",
	"events that became dead letters, by event type",
};

struct status {
	struct metrics	*m;
	struct metric	**by_type;	/* [ntypes + 1][ST_NKIND]; the last row is "other" */
	size_t		 ntypes;
	struct metric	**skipped;	/* per dispatch_unhandled() type */
	struct metric	*batch_size, *batch_seconds, *db_seconds, *work_seconds, *lag, *batches;
	struct metric	*field_errors[PF_N];	/* per payload field; NULL for fields without a name */
	struct httpserv	*http;
	bool		(*healthy)(void *);
	void		*arg;
};

static const double size_bounds[] = { 1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000 };
static const double secs_bounds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5 };

/* Create every per-type series up front, so the hot path only increments. */
static void
status_types(struct status *s)
{
	size_t				 nskip;
	const char *const		*skip = dispatch_unhandled(&nskip);
	char				 slabels[128];

	s->skipped = xcalloc(nskip, sizeof(*s->skipped));
	for (size_t i = 0; i < nskip; i++) {
		snprintf(slabels, sizeof(slabels), "type=\"%s\"", skip[i]);
		s->skipped[i] = metrics_counter(s->m, status_kind_name[ST_SKIPPED],
		    status_kind_help[ST_SKIPPED], slabels);
	}
	const struct dispatch_entry	*t = dispatch_table(&s->ntypes);
	char				 labels[128];

	s->by_type = xcalloc((s->ntypes + 1) * ST_NKIND, sizeof(*s->by_type));
	for (size_t i = 0; i <= s->ntypes; i++) {
		snprintf(labels, sizeof(labels), "type=\"%s\"", i < s->ntypes ? t[i].event_type : "other");
		for (int k = 0; k < ST_NKIND; k++) {
			if (k != ST_SKIPPED && i == s->ntypes)
				continue;	/* "other" types are never handled */
			if (k == ST_SKIPPED && i < s->ntypes)
				continue;	/* a type with a handler is never skipped */
			s->by_type[i * ST_NKIND + k] = metrics_counter(s->m, status_kind_name[k],
			    status_kind_help[k], labels);
		}
	}
}

/* dialhook_processor_field_errors_total{field}: one series per payload field the handlers read. */
static void
status_fields(struct status *s)
{
	char	 labels[128];

	for (int f = 0; f < PF_N; f++) {
		const char *name = payload_field_name(f);

		if (name == NULL || f == PF_CALL_ID)
			continue;
		snprintf(labels, sizeof(labels), "field=\"%s\"", name);
		s->field_errors[f] = metrics_counter(s->m, "dialhook_processor_field_errors_total",
		    "optional payload fields of the wrong type, ignored (the event was processed)", labels);
	}
}

struct status *
status_new(bool (*healthy)(void *arg), void *arg)
{
	struct status	*s = xcalloc(1, sizeof(*s));

	s->m = metrics_new();
	s->healthy = healthy;
	s->arg = arg;
	status_types(s);
	status_fields(s);
	s->batches = metrics_counter(s->m, "dialhook_processor_batches_total", "committed batches", NULL);
	s->batch_size = metrics_histogram(s->m, "dialhook_processor_batch_size", "events per committed batch",
	    NULL, size_bounds, DH_ARRAY_LEN(size_bounds));
	s->batch_seconds = metrics_histogram(s->m, "dialhook_processor_batch_duration_seconds",
	    "claim to commit, per batch", NULL, secs_bounds, DH_ARRAY_LEN(secs_bounds));
	s->db_seconds = metrics_counter(s->m, "dialhook_processor_db_seconds_total",
	    "time batches spent waiting on PostgreSQL", NULL);
	s->work_seconds = metrics_counter(s->m, "dialhook_processor_work_seconds_total",
	    "time batches spent in the processor (parsing, handlers, merging, rendering)", NULL);
	s->lag = metrics_gauge(s->m, "dialhook_processor_lag_seconds",
	    "age of the oldest due event at the last claim", NULL);
	return s;
}

void
status_free(struct status *s)
{
	if (s == NULL)
		return;
	httpserv_free(s->http);
	metrics_free(s->m);
	free(s->by_type);
	free(s->skipped);
	free(s);
}

static struct metric *
status_series(struct status *s, int type_index, int kind)
{
	size_t	 row = type_index < 0 ? s->ntypes : (size_t)type_index;

	return s->by_type[row * ST_NKIND + kind];
}

void
status_batch(struct status *s, const struct batch *b, double took_s, double db_s)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct batch_event *ev = &b->ev[i];
		struct metric *m = NULL;

		if (ev->outcome == BATCH_HANDLED)
			m = status_series(s, ev->type_index, ST_PROCESSED);
		else if (ev->outcome == BATCH_SKIPPED)
			m = ev->skip_index >= 0 ? s->skipped[ev->skip_index] :
			    status_series(s, ev->type_index, ST_SKIPPED);
		else
			status_event_failed(s, ev->type_index, ev->dead);
		if (m)
			metric_inc(m);
	}
	for (int f = 0; f < PF_N; f++)
		if (s->field_errors[f] != NULL && b->out.field_errors[f] > 0)
			metric_add(s->field_errors[f], (double)b->out.field_errors[f]);
	metric_inc(s->batches);
	metric_observe(s->batch_size, (double)b->n);
	metric_observe(s->batch_seconds, took_s);
	metric_add(s->db_seconds, db_s);
	metric_add(s->work_seconds, took_s > db_s ? took_s - db_s : 0);
}

void
status_event_failed(struct status *s, int type_index, bool dead)
{
	struct metric	*m;

	/* an unhandled type never fails; count it under its handler's row only */
	if (type_index < 0)
		return;
	metric_inc(status_series(s, type_index, ST_FAILED));
	if (dead && (m = status_series(s, type_index, ST_DEAD)) != NULL)
		metric_inc(m);
}

void
status_lag(struct status *s, double seconds)
{
	metric_set(s->lag, seconds);
}

/* Send the one reply of req: status with a text/plain (or the metrics exposition) body. */
static void
status_reply(struct evhttp_request *req, int status, const char *ctype, const char *text,
    const struct metrics *m)
{
	struct evbuffer	*out = evhttp_request_get_output_buffer(req);

	if (m != NULL)
		metrics_render(m, out);
	else
		evbuffer_add(out, text, strlen(text));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
	evhttp_send_reply(req, status, status == 200 ? "OK" : status == 404 ? "Not Found" :
	    "Service Unavailable", NULL);
}

/*
 * The one request callback: GET /metrics, /healthz (200 while the process
 * serves), /readyz (200 only while the database connection is up, else
 * 503); any other path 404. Other methods never get here (evhttp: 501).
 */
static void
status_request_cb(struct evhttp_request *req, void *arg)
{
	struct status		*s = arg;
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = uri ? evhttp_uri_get_path(uri) : NULL;

	if (path != NULL && strcmp(path, "/metrics") == 0)
		status_reply(req, 200, METRICS_CONTENT_TYPE, NULL, s->m);
	else if (path != NULL && strcmp(path, "/healthz") == 0)
		status_reply(req, 200, "text/plain", "ok\n", NULL);
	else if (path != NULL && strcmp(path, "/readyz") == 0 && s->healthy(s->arg))
		status_reply(req, 200, "text/plain", "ok\n", NULL);
	else if (path != NULL && strcmp(path, "/readyz") == 0)
		status_reply(req, 503, "text/plain", "database unavailable\n", NULL);
	else
		status_reply(req, 404, "text/plain", "not found\n", NULL);
}

static double
status_gauge_conns(void *arg)
{
	return (double)httpserv_connections(((struct status *)arg)->http);
}

int
status_listen(struct status *s, struct event_base *base, const char *hostport, size_t max_connections)
{
	struct httpserv_options	 o = {
		.name = "metrics", .listen = hostport, .reuseport = false,
		.max_connections = max_connections, .deadline_ms = STATUS_DEADLINE_MS, .max_body = 0,
		.max_headers = STATUS_MAX_HEADERS, .methods = EVHTTP_REQ_GET | EVHTTP_REQ_HEAD,
		.request = status_request_cb, .log = log_sink, .arg = s,
	};
	char			 err[512];

	o.m_refused = metrics_counter(s->m, "dialhook_processor_http_connections_refused_total",
	    "connections to DIALHOOK_METRICS_LISTEN closed at once because the cap was reached", NULL);
	o.m_accept_errors = metrics_counter(s->m, "dialhook_processor_accept_errors_total",
	    "accept() failures on DIALHOOK_METRICS_LISTEN (e.g. out of file descriptors); accepting pauses",
	    NULL);
	metrics_gauge_fn(s->m, "dialhook_processor_http_connections",
	    "open connections to DIALHOOK_METRICS_LISTEN", NULL, status_gauge_conns, s);
	if ((s->http = httpserv_new(base, &o, err, sizeof(err))) == NULL) {
		log_error("could not serve metrics", LOG_S("error", err));
		return -1;
	}
	return 0;
}
