/*
 * config.c: the option table and its one loader.
 */
#include "config.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#define OFF(field) offsetof(struct dh_config, field)
#define KIB (INT64_C(1) << 10)
#define MIB (INT64_C(1) << 20)
#define GIB (INT64_C(1) << 30)

/* Keep rows grouped by binary; docs/configuration.md is generated in this order. */
const struct cfg_option cfg_options[] = {
	{ "DATABASE_URL", NULL, CFG_STR, OFF(database_url), NULL, 0, 0,
	  CFG_ALL, CFG_SECRET | CFG_REQUIRED,
	  "libpq connection string or URI of the PostgreSQL database" },
	{ "DIALHOOK_LOG_LEVEL", "log-level", CFG_STR, OFF(log_level), "info", 0, 0,
	  CFG_ALL, 0, "debug, info, warn or error" },
	{ "DIALHOOK_LOG_FORMAT", "log-format", CFG_STR, OFF(log_format), "text", 0, 0,
	  CFG_ALL, 0, "text (key=value) or json, one line per event on stderr" },
	{ "DIALHOOK_RESOLV_CONF", "resolv-conf", CFG_STR, OFF(resolv_conf), NULL, 0, 0,
	  CFG_ALL, 0, "resolv.conf for looking up the database host without blocking "
	  "(nameserver may be IP:port); unset = /etc/resolv.conf" },

	{ "DIALHOOK_LISTEN", "listen", CFG_STR, OFF(listen), "0.0.0.0:8080", 0, 0,
	  CFG_INGEST, 0, "address:port to serve webhooks on (SO_REUSEPORT: processes may share it)" },
	{ "DIALPAD_WEBHOOK_SECRET", NULL, CFG_STR, OFF(webhook_secret), NULL, 0, 0,
	  CFG_INGEST | CFG_CTL, CFG_SECRET,
	  "the webhook's HS256 secret; bodies must be JWTs signed with it" },
	{ "DIALHOOK_SECRETS_FILE", "secrets-file", CFG_STR, OFF(secrets_file), NULL, 0, 0,
	  CFG_INGEST, 0, "file of 'app_id secret' lines: per-app secrets overriding the global one "
	  "(mode 0600 or 0400: refused if group or others can access it)" },
	{ "DIALHOOK_ALLOW_UNSIGNED", "allow-unsigned", CFG_BOOL, OFF(allow_unsigned), "0", 0, 1,
	  CFG_INGEST, 0, "accept plain JSON when no secret is configured (nothing is verified)" },
	{ "DIALHOOK_MAX_BODY", "max-body", CFG_SIZE, OFF(max_body), "1M", 64, 64 * MIB,
	  CFG_INGEST, 0, "largest accepted request body; larger gets 413" },
	{ "DIALHOOK_DB_CONNECTIONS", "db-connections", CFG_INT, OFF(db_connections), "4", 1, 64,
	  CFG_INGEST, 0, "PostgreSQL connections used for group commits" },
	{ "DIALHOOK_DB_TIMEOUT_MS", "db-timeout-ms", CFG_INT, OFF(db_timeout_ms), "3000", 100, 60000,
	  CFG_INGEST, 0, "a request not committed within this time gets 503 with Retry-After" },
	{ "DIALHOOK_MAX_PENDING", "max-pending", CFG_INT, OFF(max_pending), "20000", 1, 1000000,
	  CFG_INGEST, 0, "requests waiting for a commit; beyond it, 503 at once" },
	{ "DIALHOOK_MAX_BATCH", "max-batch", CFG_INT, OFF(max_batch), "1000", 1, 10000,
	  CFG_INGEST, 0, "most events stored by one group commit" },
	{ "DIALHOOK_MAX_CONNECTIONS", "max-connections", CFG_INT, OFF(max_connections), "4096", 1, 1000000,
	  CFG_INGEST, 0, "open client connections; beyond it new ones are closed at once "
	  "(lowered at start-up to fit the open-file limit)" },
	{ "DIALHOOK_READ_TIMEOUT_MS", "read-timeout-ms", CFG_INT, OFF(read_timeout_ms), "10000", 100, 600000,
	  CFG_INGEST, 0, "time a client has to send headers and body (also the idle keep-alive limit)" },
	{ "DIALHOOK_NOTIFY_INTERVAL_MS", "notify-interval-ms", CFG_INT, OFF(notify_interval_ms),
	  "5", 0, 10000,
	  CFG_INGEST | CFG_CTL, 0, "at most one NOTIFY webhook_events per this interval per process" },
	{ "DIALHOOK_SPOOL_DIR", "spool-dir", CFG_STR, OFF(spool_dir), NULL, 0, 0,
	  CFG_INGEST, 0, "directory of the outage spool (may be shared by replicas): events are acknowledged "
	  "from it while the database is down; unset = 503 instead" },
	{ "DIALHOOK_SPOOL_MAX_BYTES", "spool-max-bytes", CFG_SIZE, OFF(spool_max_bytes),
	  "1G", 4 * KIB, 1024 * GIB,
	  CFG_INGEST, 0, "spool size limit; when full, 503 as without a spool" },
	/* one variable, two rows: the defaults differ (unset, ingest serves /metrics on DIALHOOK_LISTEN) */
	{ "DIALHOOK_METRICS_LISTEN", "metrics-listen", CFG_STR, OFF(metrics_listen), NULL, 0, 0,
	  CFG_INGEST, 0, "address:port of a separate listener for /metrics (and /healthz, /readyz); "
	  "unset = /metrics is served on DIALHOOK_LISTEN" },

	{ "DIALHOOK_METRICS_LISTEN", "metrics-listen", CFG_STR, OFF(metrics_listen), "127.0.0.1:9090", 0, 0,
	  CFG_PROCESSOR, 0, "address:port of the processor's /metrics, /healthz and /readyz" },
	{ "DIALHOOK_BATCH_SIZE", "batch-size", CFG_INT, OFF(batch_size), "500", 1, 10000,
	  CFG_PROCESSOR, 0, "events claimed per batch" },
	{ "DIALHOOK_POLL_INTERVAL_MS", "poll-interval-ms", CFG_INT, OFF(poll_interval_ms),
	  "2000", 10, 3600000,
	  CFG_PROCESSOR, 0, "fallback poll when no NOTIFY arrives (finds rows written by plain SQL)" },
	{ "DIALHOOK_RETRY_BASE_MS", "retry-base-ms", CFG_INT, OFF(retry_base_ms), "1000", 1, 86400000,
	  CFG_PROCESSOR, 0, "first retry delay of a failed event (exponential, with jitter)" },
	{ "DIALHOOK_RETRY_MAX_MS", "retry-max-ms", CFG_INT, OFF(retry_max_ms), "600000", 1, 604800000,
	  CFG_PROCESSOR, 0, "longest retry delay" },
	{ "DIALHOOK_MAX_ATTEMPTS", "max-attempts", CFG_INT, OFF(max_attempts), "10", 1, 1000,
	  CFG_PROCESSOR, 0, "failed attempts before an event becomes a dead letter" },
	{ "DIALHOOK_STATEMENT_TIMEOUT_MS", "statement-timeout-ms", CFG_INT, OFF(statement_timeout_ms),
	  "30000", 100, 3600000,
	  CFG_PROCESSOR, 0, "server-side limit on any one statement of the processor" },
	{ NULL, "once", CFG_BOOL, OFF(once), "0", 0, 1,
	  CFG_PROCESSOR, 0, "drain everything due, then exit 0 (backfills, cron, tests)" },

	{ "DIALHOOK_SHUTDOWN_TIMEOUT_MS", "shutdown-timeout-ms", CFG_INT, OFF(shutdown_timeout_ms),
	  "10000", 0, 600000,
	  CFG_INGEST | CFG_PROCESSOR, 0,
	  "on SIGTERM, how long to finish in-flight work before exiting anyway" },
};
const size_t cfg_options_count = DH_ARRAY_LEN(cfg_options);

/* getenv with the const-correct signature of cfg_getenv_fn. */
static const char *
cfg_getenv(const char *name)
{
	return getenv(name);
}

static void *
cfg_field(struct dh_config *cfg, const struct cfg_option *o)
{
	return (char *)cfg + o->offset;
}

static const void *
cfg_cfield(const struct dh_config *cfg, const struct cfg_option *o)
{
	return (const char *)cfg + o->offset;
}

/* The name used in messages: "ENV (--flag)", or whichever of the two exists. */
static const char *
cfg_name(const struct cfg_option *o, char *buf, size_t len)
{
	if (o->env && o->flag)
		snprintf(buf, len, "%s (--%s)", o->env, o->flag);
	else if (o->env)
		snprintf(buf, len, "%s", o->env);
	else
		snprintf(buf, len, "--%s", o->flag);
	return buf;
}

static int
cfg_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };

	for (size_t i = 0; i < DH_ARRAY_LEN(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return (*out = true), 0;
		if (strcasecmp(s, no[i]) == 0)
			return (*out = false), 0;
	}
	return -1;
}

/* Parse a byte size: digits with an optional k/K, m/M, g/G suffix (binary units, optional "iB"/"B"). */
static int
cfg_parse_size(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char	 num[32];
	size_t	 n = strspn(s, "0123456789");
	int64_t	 v, mult = 1;
	const char *suf = s + n;

	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	if (*suf != '\0') {
		switch (*suf) {
		case 'k': case 'K': mult = KIB; break;
		case 'm': case 'M': mult = MIB; break;
		case 'g': case 'G': mult = GIB; break;
		default: return -1;
		}
		suf++;
		if (strcmp(suf, "") != 0 && strcmp(suf, "B") != 0 && strcmp(suf, "iB") != 0)
			return -1;
	}
	if (util_parse_int64(num, 0, INT64_MAX / mult, &v) != 0)
		return -1;
	v *= mult;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Set one option from text. The message never quotes a secret's value. */
static int
cfg_set(struct dh_config *cfg, const struct cfg_option *o, const char *val,
    char *err, size_t errlen)
{
	void		*f = cfg_field(cfg, o);
	const char	*shown = (o->flags & CFG_SECRET) ? "(secret)" : val;
	char		 name[96];
	int		 rc = 0;

	switch (o->type) {
	case CFG_STR:
		free(*(char **)f);
		*(char **)f = xstrdup(val);
		return 0;
	case CFG_BOOL:
		rc = cfg_parse_bool(val, (bool *)f);
		if (rc != 0)
			snprintf(err, errlen, "%s: '%s' is not a boolean (use 1 or 0)",
			    cfg_name(o, name, sizeof(name)), shown);
		return rc;
	case CFG_INT:
		rc = util_parse_int64(val, o->min, o->max, (int64_t *)f);
		break;
	case CFG_SIZE:
		rc = cfg_parse_size(val, o->min, o->max, (int64_t *)f);
		break;
	}
	if (rc != 0)
		snprintf(err, errlen, "%s: '%s' is not a %s between %lld and %lld",
		    cfg_name(o, name, sizeof(name)), shown,
		    o->type == CFG_SIZE ? "size in bytes (k/M/G suffixes allowed)" : "whole number",
		    (long long)o->min, (long long)o->max);
	return rc;
}

static const struct cfg_option *
cfg_find_flag(const char *name, size_t len, unsigned who)
{
	for (size_t i = 0; i < cfg_options_count; i++) {
		const struct cfg_option *o = &cfg_options[i];

		if ((o->who & who) && o->flag && strlen(o->flag) == len &&
		    strncmp(o->flag, name, len) == 0)
			return o;
	}
	return NULL;
}

/* Apply argv flags; see cfg_load. */
static int
cfg_parse_argv(struct dh_config *cfg, unsigned who, int argc, char **argv, int *argi,
    char *err, size_t errlen)
{
	int	 i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq, *val;
		const struct cfg_option *o;
		size_t nlen;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strncmp(a, "--", 2) != 0)
			break;
		a += 2;
		eq = strchr(a, '=');
		nlen = eq ? (size_t)(eq - a) : strlen(a);
		if (!eq && strcmp(a, "help") == 0) {
			cfg->help = true;
			continue;
		}
		if (!eq && strcmp(a, "version") == 0) {
			cfg->version = true;
			continue;
		}
		if ((o = cfg_find_flag(a, nlen, who)) == NULL) {
			snprintf(err, errlen, "unknown option '--%.*s'", (int)nlen, a);
			return -1;
		}
		if (eq)
			val = eq + 1;
		else if (o->type == CFG_BOOL)
			val = "1";
		else if (i + 1 < argc)
			val = argv[++i];
		else {
			snprintf(err, errlen, "option '--%s' needs a value", o->flag);
			return -1;
		}
		if (cfg_set(cfg, o, val, err, errlen) != 0)
			return -1;
	}
	if (argi != NULL)
		*argi = i;
	else if (i < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[i]);
		return -1;
	}
	return 0;
}

/* Check the cross-option rules the table cannot express. */
static int
cfg_check(const struct dh_config *cfg, unsigned who, char *err, size_t errlen)
{
	enum log_level	 level;

	for (size_t i = 0; i < cfg_options_count; i++) {
		const struct cfg_option *o = &cfg_options[i];

		/* dialhookctl checks DATABASE_URL only in subcommands that connect */
		if (who != CFG_CTL && (o->who & who) && (o->flags & CFG_REQUIRED) && o->type == CFG_STR &&
		    *(char *const *)cfg_cfield(cfg, o) == NULL) {
			snprintf(err, errlen, "%s is not set", o->env);
			return -1;
		}
	}
	if (cfg->log_level && log_level_parse(cfg->log_level, &level) != 0) {
		snprintf(err, errlen, "DIALHOOK_LOG_LEVEL: '%s' is not one of debug, info, warn, error",
		    cfg->log_level);
		return -1;
	}
	if (cfg->log_format && strcmp(cfg->log_format, "text") && strcmp(cfg->log_format, "json")) {
		snprintf(err, errlen, "DIALHOOK_LOG_FORMAT: '%s' is not text or json", cfg->log_format);
		return -1;
	}
	if ((who & CFG_PROCESSOR) && cfg->retry_max_ms < cfg->retry_base_ms) {
		snprintf(err, errlen, "DIALHOOK_RETRY_MAX_MS must be at least DIALHOOK_RETRY_BASE_MS");
		return -1;
	}
	return 0;
}

int
cfg_load(struct dh_config *cfg, unsigned who, int argc, char **argv, int *argi,
    cfg_getenv_fn env, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	if (env == NULL)
		env = cfg_getenv;
	for (size_t i = 0; i < cfg_options_count; i++) {
		const struct cfg_option *o = &cfg_options[i];
		const char *v;

		if (!(o->who & who))
			continue;
		if (o->def && cfg_set(cfg, o, o->def, err, errlen) != 0)
			goto fail;	/* a bad default is a bug, caught by the unit test */
		if (o->env && (v = env(o->env)) != NULL && *v != '\0' &&
		    cfg_set(cfg, o, v, err, errlen) != 0)
			goto fail;
	}
	if (cfg_parse_argv(cfg, who, argc, argv, argi, err, errlen) != 0)
		goto fail;
	if (cfg->help || cfg->version)
		return 0;
	if (cfg_check(cfg, who, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	cfg_free(cfg);
	return -1;
}

void
cfg_free(struct dh_config *cfg)
{
	for (size_t i = 0; i < cfg_options_count; i++) {
		const struct cfg_option *o = &cfg_options[i];
		char **s;

		if (o->type != CFG_STR)
			continue;
		s = cfg_field(cfg, o);
		if (*s && (o->flags & CFG_SECRET))
			sodium_memzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

/* Render an option's default for humans. */
static const char *
cfg_default_text(const struct cfg_option *o)
{
	if (o->def)
		return o->def;
	return (o->flags & CFG_REQUIRED) ? "(required)" : "(unset)";
}

void
cfg_usage(FILE *fp, unsigned who, const char *progname, const char *synopsis)
{
	fprintf(fp, "usage: %s %s\n\noptions (flag / environment variable, default):\n",
	    progname, synopsis);
	for (size_t i = 0; i < cfg_options_count; i++) {
		const struct cfg_option *o = &cfg_options[i];
		char flag[64];

		if (!(o->who & who))
			continue;
		if (o->flag)
			snprintf(flag, sizeof(flag), "--%s%s", o->flag, o->type == CFG_BOOL ? "" : " VALUE");
		else
			snprintf(flag, sizeof(flag), "(env only)");
		fprintf(fp, "  %-30s %-30s default %s\n      %s\n", flag, o->env ? o->env : "",
		    cfg_default_text(o), o->help);
	}
	fprintf(fp, "  %-30s %-30s\n      %s\n  %-30s %-30s\n      %s\n",
	    "--help", "", "show this help and exit", "--version", "", "show the version and exit");
}

void
cfg_markdown(FILE *fp)
{
	fprintf(fp, "| Environment variable | Flag | Type | Default | Bounds | Binaries | Description |\n");
	fprintf(fp, "|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < cfg_options_count; i++) {
		const struct cfg_option *o = &cfg_options[i];
		static const char *const types[] = { "string", "integer", "boolean", "size" };
		char bounds[64] = "";

		if (o->type == CFG_INT || o->type == CFG_SIZE)
			snprintf(bounds, sizeof(bounds), "%lld – %lld",
			    (long long)o->min, (long long)o->max);
		fprintf(fp, "| %s%s%s | %s%s%s | %s | %s | %s | %s%s%s | %s%s |\n",
		    o->env ? "`" : "", o->env ? o->env : "—", o->env ? "`" : "",
		    o->flag ? "`--" : "", o->flag ? o->flag : "—", o->flag ? "`" : "",
		    types[o->type], cfg_default_text(o), bounds,
		    (o->who & CFG_INGEST) ? "ingest " : "", (o->who & CFG_PROCESSOR) ? "processor " : "",
		    (o->who & CFG_CTL) ? "ctl" : "", o->help,
		    (o->flags & CFG_SECRET) ? " (secret: never logged)" : "");
	}
}

void
cfg_describe(const struct dh_config *cfg, unsigned who, char *buf, size_t len)
{
	size_t	 off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < cfg_options_count && off < len; i++) {
		const struct cfg_option *o = &cfg_options[i];
		const void *f = cfg_cfield(cfg, o);
		const char *key = o->flag ? o->flag : o->env;
		int n = 0;

		if (!(o->who & who))
			continue;
		if (o->flags & CFG_SECRET)
			n = snprintf(buf + off, len - off, "%s%s=%s", off ? " " : "", key,
			    *(char *const *)f ? "set" : "unset");
		else if (o->type == CFG_STR)
			n = snprintf(buf + off, len - off, "%s%s=%s", off ? " " : "", key,
			    *(char *const *)f ? *(char *const *)f : "-");
		else if (o->type == CFG_BOOL)
			n = snprintf(buf + off, len - off, "%s%s=%d", off ? " " : "", key, *(const bool *)f);
		else
			n = snprintf(buf + off, len - off, "%s%s=%lld", off ? " " : "", key,
			    (long long)*(const int64_t *)f);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}
