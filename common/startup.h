/*
 * startup.h: the start-up both daemons share, so they cannot drift: load the
 * configuration (environment and flags), answer --help and --version, check
 * the log options, set up logging and libsodium.
 *
 * Exit status of every dialhook binary (also printed by --help):
 *   0  success (and --help, --version)
 *   1  runtime failure: database, listener, spool, signal while starting...
 *   2  usage or configuration error: unknown flag, bad value, missing variable
 */
#ifndef DH_STARTUP_H
#define DH_STARTUP_H

#include "config.h"

#define DH_EXIT_OK	0
#define DH_EXIT_FAILURE	1
#define DH_EXIT_USAGE	2

/* What startup_daemon() returns when the daemon should go on and run. */
#define STARTUP_RUN	(-1)

/*
 * Fill *cfg for binary `who` (CFG_INGEST or CFG_PROCESSOR) named prog, with
 * log lines tagged comp. Returns STARTUP_RUN with cfg loaded and logging set
 * up (the caller logs its start-up lines and calls cfg_free() at the end), or
 * the exit status main() returns at once: 0 after --help/--version, 2 after a
 * configuration error (one line "prog: ... (see --help)" on stderr), 1 if
 * libsodium cannot start. cfg is freed in every case but STARTUP_RUN.
 */
int	 startup_daemon(struct dh_config *cfg, unsigned who, const char *prog, const char *comp,
	    int argc, char **argv);

/* The "Exit status" paragraph of every binary's --help. */
void	 startup_exit_help(FILE *fp);

#endif
