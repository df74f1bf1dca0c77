/*
 * test_pgaddr.c: which conninfo hosts need a lookup, the parameters handed
 * to libpq (parsed, never string-edited; host kept, hostaddr added), and the
 * resolver's contract on a private loop: /etc/hosts answers, a nameserver
 * that never answers runs into the time limit, a cancelled lookup never
 * calls back (and, under ASan, leaks nothing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "pgaddr.h"
#include "resolver.h"

/* The value of keyword kw in a's parameters, or NULL. */
static const char *
param(const struct pgaddr *a, const char *kw)
{
	const char *const *k = pgaddr_keywords(a), *const *v = pgaddr_values(a);

	for (size_t i = 0; k[i] != NULL; i++)
		if (strcmp(k[i], kw) == 0)
			return v[i];
	return NULL;
}

static struct pgaddr *
parse(const char *conninfo)
{
	char		 err[256];
	struct pgaddr	*a = pgaddr_new(conninfo, err, sizeof(err));

	if (a == NULL)
		fail_msg("%s: %s", conninfo, err);
	return a;
}

static void
test_which_hosts_need_dns(void **state)
{
	static const struct { const char *conninfo; bool dns; } cases[] = {
		{ "postgresql://u@db.example:5432/x", true },
		{ "postgresql://u@127.0.0.1:5432/x", false },
		{ "postgresql://u@[::1]:5432/x", false },
		{ "host=/var/run/postgresql dbname=x", false },
		{ "host=@abstract dbname=x", false },
		/* the user's hostaddr wins */
		{ "host=db.example hostaddr=10.0.0.1 dbname=x", false },
		/* host from pg_service.conf */
		{ "service=prod dbname=x", false },
		{ "host=127.0.0.1,db.example port=1,2 dbname=x", true },
		/* libpq refuses the lists itself */
		{ "host=a.example,b.example port=1,2,3 dbname=x", false },
		{ "postgresql://u:Zm9v%2FYmFy%2BcXV4%3D%3D@db.example/x", true },
	};
	(void)state;
	unsetenv("PGHOST");
	unsetenv("PGHOSTADDR");
	unsetenv("PGSERVICE");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pgaddr *a = parse(cases[i].conninfo);

		if (pgaddr_needs_dns(a) != cases[i].dns)
			fail_msg("%s: needs_dns %d", cases[i].conninfo, !cases[i].dns);
		pgaddr_free(a);
	}
}

static void
test_parameters_are_the_parsed_options(void **state)
{
	struct pgaddr	*a;
	char		 err[256];

	(void)state;
	/* a password with '/', '+' and '=' survives as a value, nothing is re-quoted */
	a = parse("postgresql://dialhook:Zm9v%2FYmFy%2BcXV4%3D%3D@db.example:6432/dialhook?sslmode=require");
	assert_string_equal(param(a, "host"), "db.example");
	assert_string_equal(param(a, "port"), "6432");
	assert_string_equal(param(a, "user"), "dialhook");
	assert_string_equal(param(a, "password"), "Zm9v/YmFy+cXV4==");
	assert_string_equal(param(a, "dbname"), "dialhook");
	assert_string_equal(param(a, "sslmode"), "require");
	assert_null(param(a, "hostaddr"));
	/* an extra parameter, unless the user gave it */
	pgaddr_set_param(a, "connect_timeout", "7", true);
	assert_string_equal(param(a, "connect_timeout"), "7");
	pgaddr_free(a);
	a = parse("host=h connect_timeout=3");
	pgaddr_set_param(a, "connect_timeout", "7", true);
	assert_string_equal(param(a, "connect_timeout"), "3");
	pgaddr_set_param(a, "connect_timeout", "9", false);
	assert_string_equal(param(a, "connect_timeout"), "9");
	pgaddr_free(a);
	/*
	 * Why the compose file keeps the password out of the URL: unencoded, its
	 * '/' ends the authority, so "dialhook:Zm9v" reads as host and port.
	 */
	a = parse("postgresql://dialhook:Zm9v/YmFy+cXV4==@postgres:5432/dialhook");
	assert_string_equal(param(a, "host"), "dialhook");
	assert_string_equal(param(a, "port"), "Zm9v");
	pgaddr_free(a);
	/* libpq's own message for what it cannot parse */
	assert_null(pgaddr_new("host=x port", err, sizeof(err)));
	assert_non_null(strstr(err, "port"));
}

static void
test_pghost_from_the_environment(void **state)
{
	struct pgaddr	*a;

	(void)state;
	setenv("PGHOST", "envhost.example", 1);
	a = parse("dbname=x");
	assert_true(pgaddr_needs_dns(a));
	pgaddr_free(a);
	setenv("PGHOSTADDR", "10.1.2.3", 1);
	a = parse("dbname=x");
	assert_false(pgaddr_needs_dns(a));
	pgaddr_free(a);
	unsetenv("PGHOST");
	unsetenv("PGHOSTADDR");
}

/* ------------------------------------------------------------ resolution */

struct outcome {
	int	 calls;
	char	 why[512];
};

static void
done_cb(struct pgaddr *a, const char *why, void *arg)
{
	struct outcome	*o = arg;

	(void)a;
	o->calls++;
	snprintf(o->why, sizeof(o->why), "%s", why ? why : "");
}

/* Run the loop until o has an answer or ms have passed. */
static void
run_until(struct event_base *base, struct outcome *o, int ms)
{
	for (int i = 0; i < ms / 10 && o->calls == 0; i++) {
		struct timeval tv = { 0, 10000 };

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
}

/* A UDP socket on loopback that nobody reads, and a resolv.conf naming it. */
static int
blackhole(char *conf, size_t conflen)
{
	struct sockaddr_in	 sin = { .sin_family = AF_INET };
	socklen_t		 len = sizeof(sin);
	int			 fd = socket(AF_INET, SOCK_DGRAM, 0);
	FILE			*fp;

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, len), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(conf, conflen, "/tmp/test_pgaddr-%d.conf", (int)getpid());
	assert_non_null(fp = fopen(conf, "w"));
	fprintf(fp, "nameserver 127.0.0.1:%d\n", ntohs(sin.sin_port));
	fclose(fp);
	return fd;
}

static void
test_hosts_file_answer_becomes_hostaddr(void **state)
{
	struct event_base	*base = event_base_new();
	struct resolver		*r;
	struct pgaddr		*a = parse("host=localhost,/tmp port=5432 dbname=x");
	struct outcome		 o = { 0 };
	char			 err[256];

	(void)state;
	assert_non_null(r = resolver_new(base, NULL, err, sizeof(err)));
	assert_true(pgaddr_needs_dns(a));
	pgaddr_resolve(a, r, 2000, done_cb, &o);
	assert_int_equal(o.calls, 0);	/* never from inside the call */
	run_until(base, &o, 2000);
	assert_int_equal(o.calls, 1);
	assert_string_equal(o.why, "");
	/* one entry per address of localhost, then the socket directory with an empty hostaddr */
	assert_non_null(strstr(param(a, "hostaddr"), "127.0.0.1"));
	assert_true(strncmp(param(a, "host"), "localhost", 9) == 0);
	assert_non_null(strstr(param(a, "host"), ",/tmp"));
	assert_int_equal(param(a, "hostaddr")[strlen(param(a, "hostaddr")) - 1], ',');
	assert_string_equal(param(a, "port"), "5432");	/* one port for all: left as given */
	pgaddr_free(a);
	resolver_free(r);
	event_base_free(base);
}

static void
test_dead_nameserver_runs_into_the_time_limit(void **state)
{
	struct event_base	*base = event_base_new();
	struct resolver		*r;
	struct pgaddr		*a = parse("postgresql://u@db.dialhook.test:5432/x");
	struct outcome		 o = { 0 };
	char			 conf[128], err[256];
	int			 fd = blackhole(conf, sizeof(conf));

	(void)state;
	assert_non_null(r = resolver_new(base, conf, err, sizeof(err)));
	pgaddr_resolve(a, r, 300, done_cb, &o);
	run_until(base, &o, 3000);
	assert_int_equal(o.calls, 1);
	assert_non_null(strstr(o.why, "could not translate host name \"db.dialhook.test\""));
	assert_non_null(strstr(o.why, "within 300 ms"));
	assert_null(param(a, "hostaddr"));
	/* again, then cancelled: no callback, and resolver_free() collects libevent's request */
	o.calls = 0;
	pgaddr_resolve(a, r, 300, done_cb, &o);
	pgaddr_cancel(a);
	run_until(base, &o, 500);
	assert_int_equal(o.calls, 0);
	/* freed while a lookup is in flight */
	pgaddr_resolve(a, r, 5000, done_cb, &o);
	pgaddr_free(a);
	resolver_free(r);
	event_base_free(base);
	close(fd);
	unlink(conf);
}

static void
test_resolver_conf_errors(void **state)
{
	struct event_base	*base = event_base_new();
	char			 err[256], conf[] = "/tmp/test_pgaddr-empty-XXXXXX";
	int			 fd = mkstemp(conf);

	(void)state;
	assert_null(resolver_new(base, "/nonexistent/resolv.conf", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/resolv.conf"));
	assert_true(fd >= 0);
	assert_null(resolver_new(base, conf, err, sizeof(err)));
	assert_non_null(strstr(err, "no nameserver"));
	close(fd);
	unlink(conf);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_which_hosts_need_dns),
		cmocka_unit_test(test_parameters_are_the_parsed_options),
		cmocka_unit_test(test_pghost_from_the_environment),
		cmocka_unit_test(test_hosts_file_answer_becomes_hostaddr),
		cmocka_unit_test(test_dead_nameserver_runs_into_the_time_limit),
		cmocka_unit_test(test_resolver_conf_errors),
	};

	return cmocka_run_group_tests_name("pgaddr", tests, NULL, NULL);
}
