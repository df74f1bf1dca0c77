/*
 * metrics.c: families in registration order, each with its series in
 * registration order, so /metrics output is stable between scrapes.
 */
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "util.h"

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct metric {
	struct metric	*next;
	char		*labels;		/* "" when none */
	double		 value;			/* counter/gauge; histogram sum */
	double		(*fn)(void *);		/* computed gauge */
	void		*fn_arg;
	uint64_t	 count;			/* histogram observations */
	uint64_t	*buckets;		/* per bound (not cumulative), plus +Inf */
	const double	*bounds;		/* the family's bounds (a stable allocation) */
	size_t		 nbounds;
};

struct family {
	char		*name;
	char		*help;
	enum metric_type type;
	double		*bounds;
	size_t		 nbounds;
	struct metric	*series, *last;
};

struct metrics {
	struct family	*families;
	size_t		 nfamilies, cap;
};

struct metrics *
metrics_new(void)
{
	return xcalloc(1, sizeof(struct metrics));
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nfamilies; i++) {
		struct family *f = &m->families[i];
		struct metric *s, *next;

		for (s = f->series; s; s = next) {
			next = s->next;
			free(s->labels);
			free(s->buckets);
			free(s);
		}
		free(f->name);
		free(f->help);
		free(f->bounds);
	}
	free(m->families);
	free(m);
}

/* Find the family called name, creating it with this type and help. */
static struct family *
metrics_family(struct metrics *m, const char *name, const char *help, enum metric_type type,
    const double *bounds, size_t nbounds)
{
	struct family	*f;

	for (size_t i = 0; i < m->nfamilies; i++)
		if (strcmp(m->families[i].name, name) == 0)
			return &m->families[i];
	if (m->nfamilies == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->families = xreallocarray(m->families, m->cap, sizeof(*m->families));
	}
	f = &m->families[m->nfamilies++];
	memset(f, 0, sizeof(*f));
	f->name = xstrdup(name);
	f->help = xstrdup(help);
	f->type = type;
	if (nbounds) {
		f->bounds = xreallocarray(NULL, nbounds, sizeof(double));
		memcpy(f->bounds, bounds, nbounds * sizeof(double));
		f->nbounds = nbounds;
	}
	return f;
}

/* Find or append the series with these labels. */
static struct metric *
metrics_series(struct family *f, const char *labels)
{
	struct metric	*s;

	if (labels == NULL)
		labels = "";
	for (s = f->series; s; s = s->next)
		if (strcmp(s->labels, labels) == 0)
			return s;
	s = xcalloc(1, sizeof(*s));
	s->labels = xstrdup(labels);
	if (f->type == METRIC_HISTOGRAM) {
		s->buckets = xcalloc(f->nbounds + 1, sizeof(uint64_t));
		s->bounds = f->bounds;
		s->nbounds = f->nbounds;
	}
	if (f->last)
		f->last->next = s;
	else
		f->series = s;
	f->last = s;
	return s;
}

struct metric *
metrics_counter(struct metrics *m, const char *name, const char *help, const char *labels)
{
	return metrics_series(metrics_family(m, name, help, METRIC_COUNTER, NULL, 0), labels);
}

struct metric *
metrics_gauge(struct metrics *m, const char *name, const char *help, const char *labels)
{
	return metrics_series(metrics_family(m, name, help, METRIC_GAUGE, NULL, 0), labels);
}

struct metric *
metrics_histogram(struct metrics *m, const char *name, const char *help, const char *labels,
    const double *bounds, size_t nbounds)
{
	return metrics_series(metrics_family(m, name, help, METRIC_HISTOGRAM, bounds, nbounds), labels);
}

void
metrics_gauge_fn(struct metrics *m, const char *name, const char *help, const char *labels,
    double (*fn)(void *arg), void *arg)
{
	struct metric	*s = metrics_gauge(m, name, help, labels);

	s->fn = fn;
	s->fn_arg = arg;
}

void
metric_inc(struct metric *s)
{
	s->value += 1;
}

void
metric_add(struct metric *s, double v)
{
	s->value += v;
}

void
metric_set(struct metric *s, double v)
{
	s->value = v;
}

/* Record one observation in the first bucket whose bound is >= v. */
void
metric_observe(struct metric *s, double v)
{
	size_t	 i;

	for (i = 0; i < s->nbounds && v > s->bounds[i]; i++)
		;
	s->buckets[i]++;
	s->count++;
	s->value += v;
}

double
metric_value(const struct metric *s)
{
	if (s->buckets)
		return (double)s->count;
	return s->fn ? s->fn(s->fn_arg) : s->value;
}

/* Format a sample value as Prometheus expects (integers without a fraction). */
static void
metrics_fmt(char *buf, size_t len, double v)
{
	if (isinf(v))
		snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
	else if (isnan(v))
		snprintf(buf, len, "NaN");
	else if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.6g", v);
}

/* One histogram series: cumulative buckets, sum, count. */
static void
metrics_render_histogram(const struct family *f, const struct metric *s, struct evbuffer *out)
{
	const char	*sep = s->labels[0] ? "," : "";
	uint64_t	 cum = 0;
	char		 le[32], sum[32];

	for (size_t i = 0; i <= f->nbounds; i++) {
		cum += s->buckets[i];
		if (i < f->nbounds)
			metrics_fmt(le, sizeof(le), f->bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		evbuffer_add_printf(out, "%s_bucket{%s%sle=\"%s\"} %llu\n", f->name, s->labels, sep, le,
		    (unsigned long long)cum);
	}
	metrics_fmt(sum, sizeof(sum), s->value);
	evbuffer_add_printf(out, "%s_sum%s%s%s %s\n%s_count%s%s%s %llu\n",
	    f->name, s->labels[0] ? "{" : "", s->labels, s->labels[0] ? "}" : "", sum,
	    f->name, s->labels[0] ? "{" : "", s->labels, s->labels[0] ? "}" : "",
	    (unsigned long long)s->count);
}

void
metrics_render(const struct metrics *m, struct evbuffer *out)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };

	for (size_t i = 0; i < m->nfamilies; i++) {
		const struct family *f = &m->families[i];

		evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
		    types[f->type]);
		for (const struct metric *s = f->series; s; s = s->next) {
			char v[32];

			if (f->type == METRIC_HISTOGRAM) {
				metrics_render_histogram(f, s, out);
				continue;
			}
			metrics_fmt(v, sizeof(v), metric_value(s));
			evbuffer_add_printf(out, "%s%s%s%s %s\n", f->name, s->labels[0] ? "{" : "",
			    s->labels, s->labels[0] ? "}" : "", v);
		}
	}
}
