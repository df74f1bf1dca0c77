/*
 * ctl.h: dialhookctl, the operator's tool: shared context and helpers of its
 * subcommands (one ctl_<name>.c per subcommand family).
 *
 * dialhookctl is a short-lived command-line program, not a daemon: it uses
 * blocking libpq, prints to stdout/stderr, and exits 0 on success, 1 on a
 * runtime error, 2 on a usage error, always with a one-line message on stderr
 * that says what to do.
 */
#ifndef DH_CTL_H
#define DH_CTL_H

#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "config.h"
#include "startup.h"
#include "strbuf.h"
#include "util.h"

#define CTL_EXIT_OK	 DH_EXIT_OK
#define CTL_EXIT_RUNTIME DH_EXIT_FAILURE
#define CTL_EXIT_USAGE	 DH_EXIT_USAGE

struct ctl {
	struct dh_config cfg;		/* DATABASE_URL, DIALPAD_WEBHOOK_SECRET, ... from the environment */
};

struct ctl_command {
	const char	*name;
	int		(*run)(struct ctl *ctl, int argc, char **argv);	/* argv[0] is the subcommand */
	const char	*synopsis;	/* arguments, for usage lines */
	const char	*help;		/* one line */
	const char	*details;	/* more --help text (options, semantics), or NULL */
};

/* Print "dialhookctl CMD: MESSAGE (see 'dialhookctl CMD --help')" and return CTL_EXIT_USAGE. */
int	 ctl_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print "dialhookctl CMD: MESSAGE" and return CTL_EXIT_RUNTIME. */
int	 ctl_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* True if argv holds -h/--help (then the subcommand prints its help and exits 0). */
int	 ctl_wants_help(int argc, char **argv);

/*
 * Connect to DATABASE_URL (blocking; a host name is looked up with a time
 * limit of a few seconds, never forever). On failure prints why (naming cmd)
 * and returns NULL.
 */
PGconn	*ctl_connect(const struct ctl *ctl, const char *cmd);

/*
 * As ctl_connect(), but while wait_ms has not passed, a failed attempt is
 * retried after a pause (250 ms doubling to 5 s), with one progress line per
 * failed attempt on stderr; each attempt is bounded by what is left (libpq's
 * connect_timeout, unless DATABASE_URL sets one). wait_ms 0 = one attempt.
 */
PGconn	*ctl_connect_wait(const struct ctl *ctl, const char *cmd, int64_t wait_ms);

#define CTL_WAIT_MAX_MS	 INT64_C(3600000)	/* --wait at most 1h */

/* Parse a --wait duration: "90" or "90s", "500ms", "2m", "1h"; 0..1h. 0 or -1. */
int	 ctl_parse_wait(const char *s, int64_t *ms) DH_MUSTCHECK;

/* Run a statement; on failure print the server's message (naming cmd) and return NULL. */
PGresult *ctl_exec(PGconn *pq, const char *cmd, const char *sql, int nparams,
	    const char *const *values, ExecStatusType want);

/*
 * A keyset walk over webhook_events ids, one short transaction per batch.
 * sql's $1 is the last id done (the walk sets params[0] to it, starting at
 * "0"); its one result row holds the largest id of the batch (NULL: nothing
 * left) and then ncounts counts, added to counts[]. progress, if set, runs
 * after every batch.
 */
struct ctl_walk {
	const char	 *cmd;			/* names the subcommand in errors */
	const char	 *sql;
	const char	**params;		/* params[0] belongs to the walk */
	int		  nparams;
	int		  ncounts;		/* at most 2 */
	int64_t		  counts[2];
	char		  last[24];		/* the last id done, as text */
	void		(*progress)(const struct ctl_walk *w);
};

/* Run the walk to its end; 0, or -1 after ctl_exec printed the server's error. */
int	 ctl_walk_ids(PGconn *pq, struct ctl_walk *w) DH_MUSTCHECK;

/* Send the shared wake-up (SELECT dialhook_wake()) so running processors drain now. */
void	 ctl_wake(PGconn *pq);

/* Subcommands. */
int	 ctl_migrate(struct ctl *ctl, int argc, char **argv);
int	 ctl_config_table(struct ctl *ctl, int argc, char **argv);
int	 ctl_stats(struct ctl *ctl, int argc, char **argv);
int	 ctl_reprocess(struct ctl *ctl, int argc, char **argv);
int	 ctl_dead(struct ctl *ctl, int argc, char **argv);
int	 ctl_purge(struct ctl *ctl, int argc, char **argv);
int	 ctl_gen_events(struct ctl *ctl, int argc, char **argv);

/* --help texts of the subcommands above (the `details` of their table rows). */
extern const char ctl_migrate_details[];
extern const char ctl_stats_details[];
extern const char ctl_reprocess_details[];
extern const char ctl_dead_details[];
extern const char ctl_purge_details[];
extern const char ctl_gen_details[];

/* ------------------------------------------------------------ ctl_args.c */

/* Parse a positive event id (1..INT64_MAX); 0 or -1. */
int	 ctl_parse_id(const char *s, int64_t *out) DH_MUSTCHECK;

/*
 * True if s is an ISO 8601 date or date-time PostgreSQL reads the same way:
 * YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|(+|-)HH[:MM]]. Without an offset the
 * subcommands read it as UTC (they SET TIME ZONE 'UTC').
 */
int	 ctl_is_timestamp(const char *s);

/*
 * Turn a duration "30d", "12h", "90m", "45s" or "2w" into a PostgreSQL
 * interval text ("30 days") in out; 0 or -1 (not a duration, or too long).
 */
int	 ctl_parse_duration(const char *s, char *out, size_t len) DH_MUSTCHECK;

/*
 * Append the event-type glob (`*` any run, `?` one character, everything else
 * literal) to the PostgreSQL array literal being built in b, as a LIKE pattern
 * (%, _ and \ escaped with \), quoted as an array element. The caller writes
 * the braces and commas.
 */
void	 ctl_glob_to_array_elem(struct strbuf *b, const char *glob);

/*
 * Event selection shared by reprocess and dead: each set field narrows it.
 * types and ids are PostgreSQL array literals ({..}) built while parsing.
 */
struct ctl_filter {
	const char	*since;		/* received_at >= since */
	const char	*until;		/* received_at < until */
	const char	*app;		/* app_id = app */
	struct strbuf	 types;		/* event_type LIKE ANY(types) */
	struct strbuf	 ids;		/* id = ANY(ids) */
	int		 ntypes, nids;
};

/*
 * Handle one filter option at argv[*i] (--since, --until, --app, --type,
 * --id; "--opt value" or "--opt=value"), advancing *i past its value.
 * 1 if it was one (stored in f), 0 if argv[*i] is something else, or
 * CTL_EXIT_USAGE negated (-2) after printing a usage error naming cmd.
 */
int	 ctl_filter_arg(struct ctl_filter *f, const char *cmd, int argc, char **argv, int *i);

/* True if any filter is set. */
int	 ctl_filter_is_set(const struct ctl_filter *f);

/*
 * Append " AND ..." conditions for f to sql, with parameters numbered from
 * *nparams + 1 stored in params (room for 5 more); updates *nparams.
 */
void	 ctl_filter_sql(const struct ctl_filter *f, struct strbuf *sql, const char **params, int *nparams);

void	 ctl_filter_free(struct ctl_filter *f);

/* Print s as a JSON string literal (quotes, escapes; UTF-8 passes through). */
void	 ctl_json_string(FILE *fp, const char *s);

/*
 * Print the JSON text s (valid JSON, as PostgreSQL's json type stores it)
 * indented by two spaces, members in their original order and numbers as
 * their original text (so 16-digit ids stay exact, unlike through a double).
 */
void	 ctl_json_pretty(FILE *fp, const char *s);

/* ------------------------------------------------------------ ctl_reprocess.c */

#define CTL_RESET_BATCH 5000	/* events reset (or deleted by purge) per transaction */

/*
 * Reset the events matching f and the SQL condition scope (" AND w.dead_at
 * IS NULL", or "" for all; rows are aliased w) to due, in batches of
 * CTL_RESET_BATCH, one transaction each; with dry_run only count them. Rows
 * already due and never tried are not rewritten and not counted. *count gets
 * the number reset. 0, or -1 after printing the server's error naming cmd.
 * Does not wake the processors (the caller does, with ctl_wake).
 */
int	 ctl_reset_events(PGconn *pq, const char *cmd, const struct ctl_filter *f, const char *scope,
	    int dry_run, int64_t *count) DH_MUSTCHECK;

/*
 * Fetch the value of option argv[*i] ("--opt value" or "--opt=value") when
 * argv[*i] names opt: 1 and *val set (and *i advanced), 0 if argv[*i] is not
 * opt, -2 after a usage error (missing value) naming cmd.
 */
int	 ctl_opt_value(const char *opt, const char *cmd, int argc, char **argv, int *i, const char **val);

#endif
