/* test_metrics.c: the Prometheus registry and its text rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "metrics.h"

static char *
render(const struct metrics *m)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 n;
	char		*s;

	metrics_render(m, b);
	n = evbuffer_get_length(b);
	s = malloc(n + 1);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	evbuffer_free(b);
	return s;
}

static double
seven(void *arg)
{
	return *(double *)arg;
}

static void
test_counters_and_gauges(void **state)
{
	struct metrics	*m = metrics_new();
	struct metric	*a = metrics_counter(m, "x_total", "X things.", "route=\"/a\",status=\"200\"");
	struct metric	*b = metrics_counter(m, "x_total", "ignored", "route=\"/a\",status=\"404\"");
	double		 v = 7;
	char		*out;

	(void)state;
	assert_ptr_equal(a, metrics_counter(m, "x_total", "X things.", "route=\"/a\",status=\"200\""));
	metric_inc(a);
	metric_inc(a);
	metric_add(b, 3);
	metric_set(metrics_gauge(m, "g", "A gauge.", NULL), 1.5);
	metrics_gauge_fn(m, "f", "Computed.", "", seven, &v);
	out = render(m);
	assert_non_null(strstr(out, "# HELP x_total X things.\n# TYPE x_total counter\n"
	    "x_total{route=\"/a\",status=\"200\"} 2\nx_total{route=\"/a\",status=\"404\"} 3\n"));
	assert_non_null(strstr(out, "# TYPE g gauge\ng 1.5\n"));
	assert_non_null(strstr(out, "\nf 7\n"));
	free(out);
	metrics_free(m);
}

static void
test_histogram_is_cumulative(void **state)
{
	static const double bounds[] = { 1, 5, 10 };
	struct metrics	*m = metrics_new();
	struct metric	*h = metrics_histogram(m, "lat_ms", "Latency.", "op=\"i\"", bounds, 3);
	char		*out;

	(void)state;
	metric_observe(h, 0.5);
	metric_observe(h, 1);	/* le="1" is inclusive */
	metric_observe(h, 7);
	metric_observe(h, 100);
	assert_true(metric_value(h) == 4);
	out = render(m);
	assert_non_null(strstr(out, "lat_ms_bucket{op=\"i\",le=\"1\"} 2\n"
	    "lat_ms_bucket{op=\"i\",le=\"5\"} 2\nlat_ms_bucket{op=\"i\",le=\"10\"} 3\n"
	    "lat_ms_bucket{op=\"i\",le=\"+Inf\"} 4\nlat_ms_sum{op=\"i\"} 108.5\nlat_ms_count{op=\"i\"} 4\n"));
	free(out);
	metrics_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_and_gauges),
		cmocka_unit_test(test_histogram_is_cumulative),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
