/*
 * main.c: dialhookctl: find the subcommand in the table, load the
 * environment's configuration, run it.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "ctl.h"
#include "startup.h"

/* One row per subcommand; `dialhookctl --help` lists them in this order. */
static const struct ctl_command ctl_commands[] = {
	{ "migrate", ctl_migrate, "[--status] [--wait DURATION]",
	  "apply pending schema migrations (or list applied and pending ones)", ctl_migrate_details },
	{ "config-table", ctl_config_table, "",
	  "print every option of every binary as Markdown (docs/configuration.md)", NULL },
	{ "stats", ctl_stats, "[--json]",
	  "queue by event type (due, retrying, processed, skipped, dead, lag), arrivals, calls",
	  ctl_stats_details },
	{ "reprocess", ctl_reprocess,
	  "(--all | [--since T] [--until T] [--type T]... [--app A] [--id N]...) "
	  "[--include-dead] [--dry-run]",
	  "backfill: make matching events due again so the processors apply them again",
	  ctl_reprocess_details },
	{ "dead", ctl_dead, "list [--limit N] [--type T] [--json] | retry (--id N... | --all) | show --id N",
	  "dead letters: list them, make them due again, show one's payload",
	  ctl_dead_details },
	{ "purge", ctl_purge, "--processed-before DURATION|TIMESTAMP [--dead-too]",
	  "retention: delete old processed (and dead) events in small batches",
	  ctl_purge_details },
	{ "gen-events", ctl_gen_events,
	  "(--url URL | --out FILE) [--calls N] [--concurrency C] [--shuffle] [--duplicates P] "
	  "[--seed S] ...",
	  "generate realistic signed Dialpad call events and POST them (or write them)",
	  ctl_gen_details },
};

static void
ctl_usage(FILE *fp)
{
	fprintf(fp, "usage: dialhookctl COMMAND [ARGS]   (DATABASE_URL from the environment)\n\ncommands:\n");
	for (size_t i = 0; i < DH_ARRAY_LEN(ctl_commands); i++)
		fprintf(fp, "  %-13s %s\n  %-13s   %s\n", ctl_commands[i].name, ctl_commands[i].synopsis, "",
		    ctl_commands[i].help);
	fprintf(fp, "\n'dialhookctl COMMAND --help' for details; --version for the version\n");
	startup_exit_help(fp);
}

/* Generic per-subcommand help, for subcommands without their own. */
static void
ctl_command_help(const struct ctl_command *c)
{
	printf("usage: dialhookctl %s %s\n\n%s\n", c->name, c->synopsis, c->help);
	if (c->details != NULL)
		printf("\n%s", c->details);
}

int
main(int argc, char **argv)
{
	struct ctl		 ctl;
	const struct ctl_command *cmd = NULL;
	char			 err[512];
	int			 rc;

	if (argc < 2) {
		fprintf(stderr, "dialhookctl: missing command (see 'dialhookctl --help')\n");
		return CTL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)
		return ctl_usage(stdout), CTL_EXIT_OK;
	if (strcmp(argv[1], "--version") == 0)
		return printf("dialhookctl %s\n", DH_VERSION), CTL_EXIT_OK;
	for (size_t i = 0; i < DH_ARRAY_LEN(ctl_commands); i++)
		if (strcmp(argv[1], ctl_commands[i].name) == 0)
			cmd = &ctl_commands[i];
	if (cmd == NULL) {
		fprintf(stderr, "dialhookctl: unknown command '%s' (see 'dialhookctl --help')\n", argv[1]);
		return CTL_EXIT_USAGE;
	}
	if (ctl_wants_help(argc - 1, argv + 1)) {
		ctl_command_help(cmd);
		return CTL_EXIT_OK;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "dialhookctl: could not initialise libsodium\n");
		return CTL_EXIT_RUNTIME;
	}
	if (cfg_load(&ctl.cfg, CFG_CTL, 0, NULL, NULL, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "dialhookctl: %s (see --help)\n", err);
		return CTL_EXIT_USAGE;
	}
	rc = cmd->run(&ctl, argc - 1, argv + 1);
	cfg_free(&ctl.cfg);
	return rc;
}
