/*
 * config.h: every option of every dialhook binary, as one table.
 *
 * Each row names the environment variable (docker-compose passes config as
 * env), the command-line flag (none for secrets: they would show in ps), the
 * type, the default, the bounds, which binaries read it and a help line.
 * One loader walks the table; --help, docs/configuration.md (checked by a
 * test against `dialhookctl config-table`) and the start-up log line all come
 * from it. The struct is read-only after cfg_load().
 */
#ifndef DH_CONFIG_H
#define DH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

/* Which binaries read an option. */
#define CFG_INGEST	0x01u
#define CFG_PROCESSOR	0x02u
#define CFG_CTL		0x04u
#define CFG_ALL		(CFG_INGEST | CFG_PROCESSOR | CFG_CTL)

/* Option flags. */
#define CFG_SECRET	0x10u	/* never printed, never a flag */
#define CFG_REQUIRED	0x20u	/* must be set (no default) */

enum cfg_type {
	CFG_STR,	/* char * (NULL when unset and no default) */
	CFG_INT,	/* int64_t within [min, max] */
	CFG_BOOL,	/* bool: 1/0, true/false, yes/no, on/off */
	CFG_SIZE,	/* int64_t bytes; accepts k/M/G (KiB/MiB/GiB) suffixes */
};

struct dh_config {
	/* all binaries */
	char	*database_url;
	char	*log_level;
	char	*log_format;
	char	*resolv_conf;
	/* ingest */
	char	*listen;
	char	*webhook_secret;
	char	*secrets_file;
	bool	 allow_unsigned;
	int64_t	 max_body;
	int64_t	 db_connections;
	int64_t	 db_timeout_ms;
	int64_t	 max_pending;
	int64_t	 max_batch;
	int64_t	 max_connections;
	int64_t	 read_timeout_ms;
	int64_t	 notify_interval_ms;
	char	*spool_dir;
	int64_t	 spool_max_bytes;
	/* ingest (default unset) and processor (default 127.0.0.1:9090) */
	char	*metrics_listen;
	/* processor */
	int64_t	 batch_size;
	int64_t	 poll_interval_ms;
	int64_t	 retry_base_ms;
	int64_t	 retry_max_ms;
	int64_t	 max_attempts;
	int64_t	 statement_timeout_ms;
	bool	 once;
	/* daemons */
	int64_t	 shutdown_timeout_ms;
	/* command-line only, not in the table */
	bool	 help;
	bool	 version;
};

struct cfg_option {
	const char	*env;		/* environment variable, or NULL */
	const char	*flag;		/* long flag without "--", or NULL */
	enum cfg_type	 type;
	size_t		 offset;	/* into struct dh_config */
	const char	*def;		/* default as text, or NULL */
	int64_t		 min, max;	/* bounds for CFG_INT / CFG_SIZE */
	unsigned	 who;		/* CFG_INGEST | CFG_PROCESSOR | CFG_CTL */
	unsigned	 flags;		/* CFG_SECRET, CFG_REQUIRED */
	const char	*help;
};

extern const struct cfg_option cfg_options[];
extern const size_t cfg_options_count;

/* Environment lookup, injectable for tests (getenv by default). */
typedef const char *(*cfg_getenv_fn)(const char *name);

/*
 * Fill cfg for the binary `who`: defaults, then the environment, then argv
 * flags (--name=value or --name value; --help, --version). argv[0] is
 * skipped; parsing stops at the first non-flag argument or "--", whose index
 * is stored in *argi (may be NULL if no positional arguments are allowed, in
 * which case one is an error). On error returns -1 with a one-line message in
 * err that never contains a secret's value; cfg is then freed. cfg_free()
 * releases the strings.
 */
int	 cfg_load(struct dh_config *cfg, unsigned who, int argc, char **argv,
	    int *argi, cfg_getenv_fn env, char *err, size_t errlen) DH_MUSTCHECK;
void	 cfg_free(struct dh_config *cfg);

/* Print --help text for the binary `who` (every option, env var, default). */
void	 cfg_usage(FILE *fp, unsigned who, const char *progname, const char *synopsis);

/* Print the whole table as the Markdown of docs/configuration.md. */
void	 cfg_markdown(FILE *fp);

/*
 * Describe the effective configuration as "key=value ..." for the start-up
 * log line; secrets are shown as "set" or "unset", never their value.
 */
void	 cfg_describe(const struct dh_config *cfg, unsigned who, char *buf, size_t len);

#endif
