/*
 * metrics.h: a small Prometheus registry, rendered in the text exposition
 * format (version 0.0.4) into an evbuffer for GET /metrics.
 *
 * A metric family is a name with a type and help text; each series of it is
 * one label set, given as a preformatted string such as
 * `route="/webhooks/dialpad",status="200"` (NULL or "" for none). Callers
 * keep the returned series pointer for hot paths: it stays valid until
 * metrics_free(). Label values must not contain '"', '\' or newlines (callers
 * pass fixed strings or sanitized identifiers). Single-threaded, like the
 * daemons' event loops.
 */
#ifndef DH_METRICS_H
#define DH_METRICS_H

#include <stddef.h>

struct evbuffer;
struct metrics;
struct metric;

struct metrics	*metrics_new(void);
void		 metrics_free(struct metrics *m);

/* Find or create a series. The first call for a name fixes its help and type. */
struct metric	*metrics_counter(struct metrics *m, const char *name, const char *help,
		    const char *labels);
struct metric	*metrics_gauge(struct metrics *m, const char *name, const char *help,
		    const char *labels);
/* bounds: ascending upper bounds, without +Inf (added); copied on creation. */
struct metric	*metrics_histogram(struct metrics *m, const char *name, const char *help,
		    const char *labels, const double *bounds, size_t nbounds);

/* A gauge whose value fn(arg) computes at render time. */
void		 metrics_gauge_fn(struct metrics *m, const char *name, const char *help,
		    const char *labels, double (*fn)(void *arg), void *arg);

void		 metric_inc(struct metric *s);
void		 metric_add(struct metric *s, double v);	/* counter or gauge */
void		 metric_set(struct metric *s, double v);	/* gauge */
void		 metric_observe(struct metric *s, double v);	/* histogram */
double		 metric_value(const struct metric *s);		/* counter/gauge value; histogram count */

/* Append the whole registry in text exposition format. */
void		 metrics_render(const struct metrics *m, struct evbuffer *out);

/* Content-Type of the rendering. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
