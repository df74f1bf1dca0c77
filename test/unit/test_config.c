/* test_config.c: the option table and its loader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

/* A fake environment: pairs of name, value. */
static const char *const *test_env;

static const char *
fake_getenv(const char *name)
{
	for (const char *const *p = test_env; p && p[0]; p += 2)
		if (strcmp(p[0], name) == 0)
			return p[1];
	return NULL;
}

static int
load(struct dh_config *cfg, unsigned who, const char *const *env, int argc, char **argv,
    char *err, size_t errlen)
{
	test_env = env;
	return cfg_load(cfg, who, argc, argv, NULL, fake_getenv, err, errlen);
}

static void
test_defaults(void **state)
{
	const char *env[] = { "DATABASE_URL", "postgresql://x", NULL };
	struct dh_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(load(&cfg, CFG_INGEST, env, 0, NULL, err, sizeof(err)), 0);
	assert_string_equal(cfg.listen, "0.0.0.0:8080");
	assert_int_equal(cfg.max_body, 1024 * 1024);
	assert_int_equal(cfg.db_connections, 4);
	assert_int_equal(cfg.db_timeout_ms, 3000);
	assert_false(cfg.allow_unsigned);
	assert_null(cfg.webhook_secret);
	assert_null(cfg.metrics_listen);	/* ingest: /metrics on DIALHOOK_LISTEN */
	cfg_free(&cfg);
	assert_int_equal(load(&cfg, CFG_PROCESSOR, env, 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(cfg.batch_size, 500);
	assert_int_equal(cfg.poll_interval_ms, 2000);
	assert_int_equal(cfg.retry_base_ms, 1000);
	assert_int_equal(cfg.retry_max_ms, 600000);
	assert_int_equal(cfg.max_attempts, 10);
	assert_string_equal(cfg.metrics_listen, "127.0.0.1:9090");
	cfg_free(&cfg);
}

/* DIALHOOK_METRICS_LISTEN has one row per binary (different defaults); both read the variable and flag. */
static void
test_metrics_listen_both_daemons(void **state)
{
	const char *env[] = { "DATABASE_URL", "postgresql://x", "DIALHOOK_METRICS_LISTEN", "127.0.0.1:9191",
	    NULL };
	char *argv[] = { (char *)"x", (char *)"--metrics-listen=127.0.0.1:9292", NULL };
	struct dh_config cfg;
	char err[256];

	(void)state;
	for (unsigned who = CFG_INGEST; who <= CFG_PROCESSOR; who <<= 1) {
		assert_int_equal(load(&cfg, who, env, 0, NULL, err, sizeof(err)), 0);
		assert_string_equal(cfg.metrics_listen, "127.0.0.1:9191");
		cfg_free(&cfg);
		assert_int_equal(load(&cfg, who, env, 2, argv, err, sizeof(err)), 0);
		assert_string_equal(cfg.metrics_listen, "127.0.0.1:9292");
		cfg_free(&cfg);
	}
}

static void
test_every_default_parses(void **state)
{
	const char *env[] = { "DATABASE_URL", "postgresql://x", NULL };
	struct dh_config cfg;
	char err[256] = "";

	(void)state;
	/* every row's default must satisfy its own bounds, for every binary */
	for (unsigned who = 1; who <= CFG_CTL; who <<= 1) {
		assert_int_equal(load(&cfg, who, env, 0, NULL, err, sizeof(err)), 0);
		cfg_free(&cfg);
	}
	for (size_t i = 0; i < cfg_options_count; i++) {
		assert_non_null(cfg_options[i].help);
		assert_true(cfg_options[i].env || cfg_options[i].flag);
		if (cfg_options[i].flags & CFG_SECRET)
			assert_null(cfg_options[i].flag);
	}
}

static void
test_env_and_flags_override(void **state)
{
	const char *env[] = { "DATABASE_URL", "postgresql://x", "DIALHOOK_LISTEN", "127.0.0.1:9999",
	    "DIALHOOK_MAX_BODY", "64k", "DIALHOOK_ALLOW_UNSIGNED", "1", NULL };
	char *argv[] = { (char *)"prog", (char *)"--db-connections", (char *)"7",
	    (char *)"--listen=127.0.0.1:1234", NULL };
	struct dh_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(load(&cfg, CFG_INGEST, env, 4, argv, err, sizeof(err)), 0);
	assert_string_equal(cfg.listen, "127.0.0.1:1234");	/* flag beats env */
	assert_int_equal(cfg.max_body, 64 * 1024);
	assert_int_equal(cfg.db_connections, 7);
	assert_true(cfg.allow_unsigned);
	cfg_free(&cfg);
}

static void
test_bad_numbers_rejected(void **state)
{
	static const char *const bad[] = { "abc", "12x", "", " 5", "4.5", "-1", "0x10",
	    "99999999999999999999" };
	struct dh_config cfg;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *env[] = { "DATABASE_URL", "postgresql://x", "DIALHOOK_BATCH_SIZE", bad[i], NULL };
		int rc = load(&cfg, CFG_PROCESSOR, env, 0, NULL, err, sizeof(err));

		if (bad[i][0] == '\0') {	/* empty means unset: the default */
			assert_int_equal(rc, 0);
			cfg_free(&cfg);
			continue;
		}
		assert_int_equal(rc, -1);
		assert_non_null(strstr(err, "DIALHOOK_BATCH_SIZE"));
		assert_non_null(strstr(err, bad[i]));
	}
}

static void
test_out_of_range_rejected(void **state)
{
	const char *env[] = { "DATABASE_URL", "postgresql://x", "DIALHOOK_DB_CONNECTIONS", "65", NULL };
	const char *env2[] = { "DATABASE_URL", "postgresql://x", "DIALHOOK_MAX_BODY", "2G", NULL };
	const char *env3[] = { "DATABASE_URL", "postgresql://x", "DIALHOOK_RETRY_BASE_MS", "5000",
	    "DIALHOOK_RETRY_MAX_MS", "1000", NULL };
	char *argv[] = { (char *)"prog", (char *)"--batch-size=0", NULL };
	struct dh_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(load(&cfg, CFG_INGEST, env, 0, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "between 1 and 64"));
	assert_int_equal(load(&cfg, CFG_INGEST, env2, 0, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "DIALHOOK_MAX_BODY"));
	assert_int_equal(load(&cfg, CFG_PROCESSOR, env3, 0, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "RETRY_MAX"));
	assert_int_equal(load(&cfg, CFG_PROCESSOR, env, 2, argv, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "batch-size"));
}

static void
test_unknown_flag_and_missing_required(void **state)
{
	const char *noenv[] = { NULL };
	const char *env[] = { "DATABASE_URL", "postgresql://x", NULL };
	char *argv[] = { (char *)"prog", (char *)"--no-such-thing", NULL };
	char *argv2[] = { (char *)"prog", (char *)"--listen", NULL };
	/* a processor flag given to ingest */
	char *argv3[] = { (char *)"prog", (char *)"--batch-size=5", NULL };
	struct dh_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(load(&cfg, CFG_INGEST, noenv, 0, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "DATABASE_URL is not set"));
	assert_int_equal(load(&cfg, CFG_INGEST, env, 2, argv, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--no-such-thing"));
	assert_int_equal(load(&cfg, CFG_INGEST, env, 2, argv2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "needs a value"));
	assert_int_equal(load(&cfg, CFG_INGEST, env, 2, argv3, err, sizeof(err)), -1);
}

static void
test_secrets_never_printed(void **state)
{
	const char *env[] = { "DATABASE_URL", "postgresql://u:hunter2pw@h/db",
	    "DIALPAD_WEBHOOK_SECRET", "s3cr3t-value", NULL };
	const char *env_bad[] = { "DATABASE_URL", "postgresql://u:hunter2pw@h/db",
	    "DIALPAD_WEBHOOK_SECRET", "s3cr3t-value", "DIALHOOK_MAX_BODY", "lots", NULL };
	char *argv[] = { (char *)"prog", (char *)"--webhook-secret=s3cr3t-value", NULL };
	struct dh_config cfg;
	char err[256], buf[4096];
	char *out = NULL;
	size_t outlen = 0;
	FILE *fp;

	(void)state;
	assert_int_equal(load(&cfg, CFG_INGEST, env, 0, NULL, err, sizeof(err)), 0);
	assert_string_equal(cfg.webhook_secret, "s3cr3t-value");
	cfg_describe(&cfg, CFG_INGEST, buf, sizeof(buf));
	assert_null(strstr(buf, "s3cr3t"));
	assert_null(strstr(buf, "hunter2"));
	assert_non_null(strstr(buf, "DIALPAD_WEBHOOK_SECRET=set"));
	cfg_free(&cfg);
	/* an error elsewhere must not echo secrets either */
	assert_int_equal(load(&cfg, CFG_INGEST, env_bad, 0, NULL, err, sizeof(err)), -1);
	assert_null(strstr(err, "s3cr3t"));
	/* secrets have no flag: a flag attempt is an unknown option, not echoed */
	assert_int_equal(load(&cfg, CFG_INGEST, env, 2, argv, err, sizeof(err)), -1);
	assert_null(strstr(err, "s3cr3t"));
	/* --help text names the variable but has no value to leak */
	fp = open_memstream(&out, &outlen);
	cfg_usage(fp, CFG_INGEST, "dialhook-ingest", "[options]");
	fclose(fp);
	assert_non_null(strstr(out, "DIALPAD_WEBHOOK_SECRET"));
	assert_non_null(strstr(out, "DIALHOOK_DB_TIMEOUT_MS"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_metrics_listen_both_daemons),
		cmocka_unit_test(test_every_default_parses),
		cmocka_unit_test(test_env_and_flags_override),
		cmocka_unit_test(test_bad_numbers_rejected),
		cmocka_unit_test(test_out_of_range_rejected),
		cmocka_unit_test(test_unknown_flag_and_missing_required),
		cmocka_unit_test(test_secrets_never_printed),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
