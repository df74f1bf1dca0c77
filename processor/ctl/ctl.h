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

#include <libpq-fe.h>

#include "config.h"

#define CTL_EXIT_OK	 0
#define CTL_EXIT_RUNTIME 1
#define CTL_EXIT_USAGE	 2

struct ctl {
	struct dh_config cfg;		/* DATABASE_URL, DIALPAD_WEBHOOK_SECRET, ... from the environment */
};

struct ctl_command {
	const char	*name;
	int		(*run)(struct ctl *ctl, int argc, char **argv);	/* argv[0] is the subcommand */
	const char	*synopsis;	/* arguments, for usage lines */
	const char	*help;		/* one line */
};

/* Print "dialhookctl CMD: MESSAGE (see 'dialhookctl CMD --help')" and return CTL_EXIT_USAGE. */
int	 ctl_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print "dialhookctl CMD: MESSAGE" and return CTL_EXIT_RUNTIME. */
int	 ctl_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* True if argv holds -h/--help (then the subcommand prints its help and exits 0). */
int	 ctl_wants_help(int argc, char **argv);

/*
 * Connect to DATABASE_URL (blocking). On failure prints why (naming cmd) and
 * returns NULL.
 */
PGconn	*ctl_connect(const struct ctl *ctl, const char *cmd);

/* Run a statement; on failure print the server's message (naming cmd) and return NULL. */
PGresult *ctl_exec(PGconn *pq, const char *cmd, const char *sql, int nparams,
	    const char *const *values, ExecStatusType want);

/* Send the shared wake-up (SELECT dialhook_wake()) so running processors drain now. */
void	 ctl_wake(PGconn *pq);

/* Subcommands. */
int	 ctl_migrate(struct ctl *ctl, int argc, char **argv);
int	 ctl_config_table(struct ctl *ctl, int argc, char **argv);

#endif
