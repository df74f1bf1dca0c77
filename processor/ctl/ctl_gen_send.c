/*
 * ctl_gen_send.c: gen-events' HTTP side (interface in ctl_gen_send.h): POST
 * bodies that a producer callback builds on demand over --concurrency
 * keep-alive evhttp connections, one request in flight per connection, each
 * taking the next body when its response arrives.
 * 5xx answers and failed connections are retried like Dialpad does for call
 * events (2 s, 4 s, 8 s...); a 4xx is final. A timer prints a progress line
 * each second; the summary goes to stdout at the end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "ctl.h"
#include "ctl_gen_send.h"

struct send;

/* One keep-alive connection and the delivery it is sending. */
struct send_conn {
	struct send			*s;
	struct evhttp_connection	*evcon;
	size_t				 cur;		/* index of the body being sent */
	int				 attempt;	/* retries done for cur */
};

/* The whole run: shared cursor, counters, and the loop. */
struct send {
	const struct gen_send_opts *o;
	const struct gen_send_src *src;
	struct event_base	*base;
	struct evhttp_uri	*uri;
	char			 hostport[300], path[1024];
	struct send_conn	*conns;
	struct event		*tick;
	size_t			 next, done;
	int64_t			 t0_us;
	int			 tty;
	/* counters */
	uint64_t		 requests, stored, duplicate, other_2xx, non_2xx, conn_errors;
	uint64_t		 retried, failed;
};

static void	 send_next(struct send_conn *c);

/* True if needle occurs in p[0..n). */
static int
send_contains(const char *p, size_t n, const char *needle)
{
	size_t	 m = strlen(needle);

	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(p + i, needle, m) == 0)
			return 1;
	return 0;
}

/* Classify a 2xx body: {"status":"stored",...} or {"status":"duplicate"}. */
static void
send_count_2xx(struct send *s, struct evhttp_request *req)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	size_t		 n = evbuffer_get_length(in);
	const char	*p = n ? (const char *)evbuffer_pullup(in, (ev_ssize_t)n) : "";

	if (send_contains(p, n, "\"duplicate\""))
		s->duplicate++;
	else if (send_contains(p, n, "\"stored\""))
		s->stored++;
	else
		s->other_2xx++;
}

/* Retry timer fired: send the same delivery again. */
static void
send_retry_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	struct send_conn	*c = arg;

	c->s->requests++;
	send_next(c);
}

/* Response (or failure, req NULL or code 0) for c's delivery. */
static void
send_done_cb(struct evhttp_request *req, void *arg)
{
	struct send_conn	*c = arg;
	struct send		*s = c->s;
	int			 code = req != NULL ? evhttp_request_get_response_code(req) : 0;

	if (code >= 200 && code < 300) {
		send_count_2xx(s, req);
	} else if ((code == 0 || code >= 500) && c->attempt < s->o->retries) {
		struct timeval	 tv = { .tv_sec = 2L << c->attempt, .tv_usec = 0 };

		c->attempt++;
		s->retried++;
		if (event_base_once(s->base, -1, EV_TIMEOUT, send_retry_cb, c, &tv) == 0)
			return;
	} else {
		if (code == 0)
			s->conn_errors++;
		else
			s->non_2xx++;
		s->failed++;
	}
	s->done++;
	c->attempt = 0;
	c->cur = SIZE_MAX;
	if (s->done == s->src->n)
		event_base_loopexit(s->base, NULL);
	else
		send_next(c);
}

/*
 * Send c's current delivery (after a retry) or take the next one. A request
 * that cannot even be queued counts as failed.
 */
static void
send_next(struct send_conn *c)
{
	struct send		*s = c->s;
	struct evhttp_request	*req;
	char			*body;
	size_t			 len;

	if (c->cur == SIZE_MAX) {
		if (s->next >= s->src->n)
			return;
		c->cur = s->next++;
		s->requests++;
	}
	body = s->src->body(s->src->arg, c->cur, &len);
	if (body == NULL || (req = evhttp_request_new(send_done_cb, c)) == NULL) {
		free(body);
		send_done_cb(NULL, c);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", s->hostport);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", s->src->content_type);
	evhttp_add_header(evhttp_request_get_output_headers(req), "User-Agent", "dialhookctl-gen-events");
	evbuffer_add(evhttp_request_get_output_buffer(req), body, len);
	free(body);
	if (evhttp_make_request(c->evcon, req, EVHTTP_REQ_POST, s->path) != 0)
		send_done_cb(NULL, c);	/* libevent freed req */
}

/* The progress line: on a terminal rewritten in place, otherwise one line per second. */
static void
send_progress(struct send *s, int final)
{
	double	 secs = (double)(util_now_us() - s->t0_us) / 1e6;

	fprintf(stderr, "%sgen-events: %zu/%zu done, 2xx %" PRIu64 ", non-2xx %" PRIu64 ", errors %" PRIu64
	    ", retries %" PRIu64 ", %.0f req/s%s", s->tty ? "\r" : "", s->done, s->src->n,
	    s->stored + s->duplicate + s->other_2xx, s->non_2xx, s->conn_errors, s->retried,
	    secs > 0 ? (double)s->requests / secs : 0.0, s->tty ? (final ? "\033[K\n" : "\033[K") : "\n");
}

static void
send_tick_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	send_progress(arg, 0);
}

/* The delivery summary on stdout. */
static void
send_summary(const struct send *s)
{
	double	 secs = (double)(util_now_us() - s->t0_us) / 1e6;

	printf("sent      %" PRIu64 " requests in %.2f s, %.0f req/s\n", s->requests, secs,
	    secs > 0 ? (double)s->requests / secs : 0.0);
	printf("2xx       %" PRIu64 " (stored %" PRIu64 ", duplicate %" PRIu64 ", other %" PRIu64 ")\n",
	    s->stored + s->duplicate + s->other_2xx, s->stored, s->duplicate, s->other_2xx);
	printf("non-2xx   %" PRIu64 "\nerrors    %" PRIu64 " (connection failures)\nretried   %" PRIu64 "\n"
	    "failed    %" PRIu64 " (not acknowledged after retries)\n",
	    s->non_2xx, s->conn_errors, s->retried, s->failed);
}

/* Parse o->url into s (host, port, path); 0 or a usage exit code. */
static int
send_parse_url(struct send *s)
{
	const char	*scheme, *host, *path, *query;
	int		 port;

	s->uri = evhttp_uri_parse(s->o->url);
	if (s->uri == NULL || (scheme = evhttp_uri_get_scheme(s->uri)) == NULL ||
	    strcmp(scheme, "http") != 0 || (host = evhttp_uri_get_host(s->uri)) == NULL)
		return ctl_usage_error("gen-events", "--url wants http://HOST[:PORT]/PATH, e.g. "
		    "http://127.0.0.1:8080/webhooks/dialpad (https: put a proxy in front)");
	port = evhttp_uri_get_port(s->uri) > 0 ? evhttp_uri_get_port(s->uri) : 80;
	path = evhttp_uri_get_path(s->uri);
	query = evhttp_uri_get_query(s->uri);
	snprintf(s->hostport, sizeof(s->hostport), "%s:%d", host, port);
	if (snprintf(s->path, sizeof(s->path), "%s%s%s", path && *path ? path : "/", query ? "?" : "",
	    query ? query : "") >= (int)sizeof(s->path))
		return ctl_usage_error("gen-events", "--url is too long");
	return 0;
}

/* Create the loop, the connections and the progress timer; 0 or -1. */
static int
send_setup(struct send *s)
{
	struct timeval	 sec = { 1, 0 };

	if ((s->base = event_base_new()) == NULL)
		return -1;
	s->conns = xcalloc((size_t)s->o->concurrency, sizeof(*s->conns));
	for (int64_t i = 0; i < s->o->concurrency; i++) {
		struct send_conn *c = &s->conns[i];

		c->s = s;
		c->cur = SIZE_MAX;
		c->evcon = evhttp_connection_base_new(s->base, NULL, evhttp_uri_get_host(s->uri),
		    (unsigned short)(evhttp_uri_get_port(s->uri) > 0 ? evhttp_uri_get_port(s->uri) : 80));
		if (c->evcon == NULL)
			return -1;
		evhttp_connection_set_timeout(c->evcon, 10);
		evhttp_connection_set_retries(c->evcon, 0);
	}
	if ((s->tick = event_new(s->base, -1, EV_PERSIST, send_tick_cb, s)) == NULL ||
	    event_add(s->tick, &sec) != 0)
		return -1;
	return 0;
}

/* Free whatever send_setup and send_parse_url created. */
static void
send_teardown(struct send *s)
{
	if (s->conns != NULL)
		for (int64_t i = 0; i < s->o->concurrency; i++)
			if (s->conns[i].evcon != NULL)
				evhttp_connection_free(s->conns[i].evcon);
	free(s->conns);
	if (s->tick != NULL)
		event_free(s->tick);
	if (s->base != NULL)
		event_base_free(s->base);
	if (s->uri != NULL)
		evhttp_uri_free(s->uri);
}

int
gen_send(const struct gen_send_opts *o, const struct gen_send_src *src)
{
	struct send	 s = { .o = o, .src = src };
	int		 rc;

	if ((rc = send_parse_url(&s)) != 0)
		goto out;
	rc = CTL_EXIT_RUNTIME;
	if (send_setup(&s) != 0) {
		(void)ctl_error("gen-events", "could not set up libevent");
		goto out;
	}
	s.tty = isatty(STDERR_FILENO);
	s.t0_us = util_now_us();
	for (int64_t i = 0; i < o->concurrency; i++)
		send_next(&s.conns[i]);
	if (src->n > 0)
		event_base_dispatch(s.base);
	send_progress(&s, 1);
	send_summary(&s);
	rc = s.failed == 0 ? CTL_EXIT_OK : CTL_EXIT_RUNTIME;
	if (s.failed > 0)
		(void)ctl_error("gen-events", "%" PRIu64 " events were not acknowledged "
		    "(is the ingest at %s up, and is its secret the same?)", s.failed, o->url);
out:
	send_teardown(&s);
	return rc;
}
