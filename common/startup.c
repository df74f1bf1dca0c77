/* startup.c: the start-up both daemons share (see startup.h). */
#include "startup.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "log.h"

void
startup_exit_help(FILE *fp)
{
	fputs("\nExit status: 0 success (and --help, --version); 1 runtime failure (database,\n"
	    "listener, spool...); 2 usage or configuration error.\n", fp);
}

/* Answer --help or --version if asked: true if one was. */
static bool
startup_info(const struct dh_config *cfg, unsigned who, const char *prog)
{
	if (cfg->help) {
		cfg_usage(stdout, who, prog, "[OPTIONS]");
		startup_exit_help(stdout);
		return true;
	}
	if (cfg->version) {
		printf("%s %s\n", prog, DH_VERSION);
		return true;
	}
	return false;
}

int
startup_daemon(struct dh_config *cfg, unsigned who, const char *prog, const char *comp,
    int argc, char **argv)
{
	enum log_level	 level;
	char		 err[512];

	memset(cfg, 0, sizeof(*cfg));
	if (cfg_load(cfg, who, argc, argv, NULL, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s (see --help)\n", prog, err);
		return DH_EXIT_USAGE;
	}
	if (startup_info(cfg, who, prog)) {
		cfg_free(cfg);
		return DH_EXIT_OK;
	}
	if (log_level_parse(cfg->log_level, &level) != 0) {
		/* the option table bounds the value; this guards a table/parser mismatch */
		fprintf(stderr, "%s: unknown DIALHOOK_LOG_LEVEL '%s' (see --help)\n", prog, cfg->log_level);
		cfg_free(cfg);
		return DH_EXIT_USAGE;
	}
	log_setup(comp, level, strcmp(cfg->log_format, "json") == 0);
	if (sodium_init() < 0) {
		fprintf(stderr, "%s: could not initialise libsodium\n", prog);
		cfg_free(cfg);
		return DH_EXIT_FAILURE;
	}
	return STARTUP_RUN;
}
