/*
 * test_httpserv.c: common/httpserv on a real event loop over loopback: the
 * connection cap, the per-request deadline, accept() failing with EMFILE
 * (the error callback finds its server, pauses, counts, logs once, and
 * accepting resumes), and the open-file budget arithmetic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "httpserv.h"
#include "metrics.h"

/* What a test server saw. */
struct seen {
	int	 requests;
	int	 accept_warnings;	/* "could not accept a connection" lines */
	int	 lines;
};

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct seen	*seen = arg;

	seen->requests++;
	evbuffer_add_printf(evhttp_request_get_output_buffer(req), "ok\n");
	evhttp_send_reply(req, 200, "OK", NULL);
}

static void
on_log(enum log_level level, const char *msg, const struct log_kv *kv, void *arg)
{
	struct seen	*seen = arg;

	(void)level;
	seen->lines++;
	/* every line names its listener first, as a pair of its own */
	assert_non_null(kv);
	assert_string_equal(kv[0].key, "listener");
	assert_int_equal(kv[0].type, LOG_KV_STR);
	assert_string_equal(kv[0].v.s, "test");
	if (strcmp(msg, "could not accept a connection, pausing") == 0)
		seen->accept_warnings++;
}

/* A free loopback port (nothing listens on it right now). */
static int
free_port(void)
{
	struct sockaddr_in	 sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t		 len = sizeof(sa);
	int			 fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int
dial(int port)
{
	struct sockaddr_in	 sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int			 fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Run the loop for about ms milliseconds. */
static void
spin(struct event_base *base, int ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* 1 if the server closed fd (EOF or reset), 0 if it is still open (nothing to read). */
static int
is_closed(int fd)
{
	char	 c;
	ssize_t	 n = recv(fd, &c, 1, MSG_DONTWAIT);

	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* Send one GET on fd and read the status line (the loop runs meanwhile). */
static int
get_status(struct event_base *base, int fd)
{
	const char	 req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	char		 buf[64] = "";

	assert_int_equal(send(fd, req, sizeof(req) - 1, 0), (ssize_t)(sizeof(req) - 1));
	for (int i = 0; i < 100 && recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT | MSG_PEEK) <= 0; i++)
		spin(base, 10);
	if (recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT) <= 0)
		return 0;
	return strncmp(buf, "HTTP/1.1 ", 9) == 0 ? atoi(buf + 9) : -1;
}

struct fixture {
	struct event_base	*base;
	struct metrics		*m;
	struct httpserv		*s;
	struct seen		 seen;
	struct metric		*refused, *errors, *expired;
	int			 port;
};

static struct fixture *
start(size_t max_connections, int64_t deadline_ms)
{
	struct fixture		*f = calloc(1, sizeof(*f));
	char			 listen[64], err[256] = "";
	struct httpserv_options	 o = {
		.name = "test", .reuseport = false, .max_connections = max_connections,
		.deadline_ms = deadline_ms, .max_body = 1024, .max_headers = 4096,
		.methods = EVHTTP_REQ_GET, .request = on_request, .log = on_log,
	};

	assert_non_null(f);
	f->base = event_base_new();
	f->m = metrics_new();
	f->refused = metrics_counter(f->m, "refused_total", "x", NULL);
	f->errors = metrics_counter(f->m, "errors_total", "x", NULL);
	f->expired = metrics_counter(f->m, "expired_total", "x", NULL);
	f->port = free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", f->port);
	o.listen = listen;
	o.arg = &f->seen;
	o.m_refused = f->refused;
	o.m_accept_errors = f->errors;
	o.m_expired = f->expired;
	f->s = httpserv_new(f->base, &o, err, sizeof(err));
	if (f->s == NULL)
		fail_msg("httpserv_new: %s", err);
	return f;
}

static void
stop(struct fixture *f)
{
	httpserv_free(f->s);
	metrics_free(f->m);
	event_base_free(f->base);
	free(f);
}

static void
test_cap_and_deadline(void **state)
{
	struct fixture	*f = start(2, 600);
	int		 a, b, c, d;

	(void)state;
	a = dial(f->port);
	b = dial(f->port);
	c = dial(f->port);
	spin(f->base, 50);
	assert_int_equal(httpserv_connections(f->s), 2);
	assert_false(is_closed(a) || is_closed(b));
	assert_true(is_closed(c));		/* over the cap: closed at once */
	assert_true(metric_value(f->refused) == 1);
	assert_int_equal(get_status(f->base, a), 200);
	assert_int_equal(f->seen.requests, 1);
	/* b never sends a request: closed at its deadline; a was answered, so its deadline restarted */
	spin(f->base, 300);
	assert_false(is_closed(b));
	spin(f->base, 700);
	assert_true(is_closed(b));
	assert_true(metric_value(f->expired) >= 1);
	/* room again: a new connection is served */
	close(a);
	close(b);
	close(c);
	spin(f->base, 50);
	d = dial(f->port);
	assert_int_equal(get_status(f->base, d), 200);
	close(d);
	spin(f->base, 20);
	assert_int_equal(httpserv_connections(f->s), 0);
	stop(f);
}

/*
 * accept() failing with EMFILE: the error callback gets evhttp's argument,
 * not ours; the server must still find itself, pause, count and log once,
 * and accept again once descriptors are free.
 */
static void
test_accept_error_backoff(void **state)
{
	struct fixture	*f = start(100, 5000);
	struct rlimit	 saved, low;
	int		 spare, conn[4], st;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	for (int i = 0; i < 4; i++)
		conn[i] = dial(f->port);	/* the client's descriptors exist before the limit drops */
	/* leave exactly one free descriptor: the first accept takes it, the next ones fail */
	spare = open("/dev/null", O_RDONLY);
	assert_true(spare >= 0);
	close(spare);
	low.rlim_max = saved.rlim_max;
	low.rlim_cur = (rlim_t)spare + 1;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	spin(f->base, 300);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
	assert_true(metric_value(f->errors) >= 1);
	assert_int_equal(f->seen.accept_warnings, 1);	/* once, however many failures */
	assert_true(httpserv_connections(f->s) <= 1);
	/* descriptors free again: the pending connections are accepted after the pause */
	spin(f->base, 1200);
	assert_int_equal(httpserv_connections(f->s), 4);
	st = get_status(f->base, conn[3]);
	assert_int_equal(st, 200);
	for (int i = 0; i < 4; i++)
		close(conn[i]);
	stop(f);
}

static void
test_fit_connections(void **state)
{
	(void)state;
	assert_int_equal(httpserv_fit_connections(1024, 41, 4096), 983);
	assert_int_equal(httpserv_fit_connections(1048576, 41, 4096), 4096);
	assert_int_equal(httpserv_fit_connections(41, 41, 4096), 0);
	assert_int_equal(httpserv_fit_connections(10, 41, 4096), 0);
	assert_int_equal(httpserv_fit_connections(64, 26, 32), 32);
	assert_int_equal(httpserv_fit_connections(50, 26, 32), 24);
}

static void
test_raise_nofile(void **state)
{
	struct rlimit	 saved, low;
	uint64_t	 before, after;
	char		 err[128];

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	low = saved;
	low.rlim_cur = 100 < saved.rlim_max ? 100 : saved.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(httpserv_raise_nofile(&before, &after, err, sizeof(err)), 0);
	assert_int_equal(before, (uint64_t)low.rlim_cur);
	assert_int_equal(after, (uint64_t)saved.rlim_max);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal((uint64_t)low.rlim_cur, (uint64_t)saved.rlim_max);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
}

static void
test_bad_listen(void **state)
{
	struct event_base	*base = event_base_new();
	struct httpserv_options	 o = {
		.name = "test", .listen = "nonsense", .max_connections = 1, .deadline_ms = 100,
		.max_body = 1, .max_headers = 1024, .methods = EVHTTP_REQ_GET, .request = on_request,
	};
	char			 err[256] = "";

	(void)state;
	assert_null(httpserv_new(base, &o, err, sizeof(err)));
	assert_non_null(strstr(err, "nonsense"));
	httpserv_free(NULL);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_cap_and_deadline),
		cmocka_unit_test(test_accept_error_backoff),
		cmocka_unit_test(test_fit_connections),
		cmocka_unit_test(test_raise_nofile),
		cmocka_unit_test(test_bad_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
