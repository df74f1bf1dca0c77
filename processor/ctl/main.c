/*
 * main.c: dialhookctl: find the subcommand in the table, load the
 * environment's configuration, run it.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "ctl.h"

/* One row per subcommand; `dialhookctl --help` lists them in this order. */
static const struct ctl_command ctl_commands[] = {
	{ "migrate", ctl_migrate, "[--status]",
	  "apply pending schema migrations (or list applied and pending ones)" },
	{ "config-table", ctl_config_table, "",
	  "print every option of every binary as Markdown (docs/configuration.md)" },
};

static void
ctl_usage(FILE *fp)
{
	fprintf(fp, "usage: dialhookctl COMMAND [ARGS]   (DATABASE_URL from the environment)\n\ncommands:\n");
	for (size_t i = 0; i < DH_ARRAY_LEN(ctl_commands); i++)
		fprintf(fp, "  %-13s %-40s %s\n", ctl_commands[i].name, ctl_commands[i].synopsis,
		    ctl_commands[i].help);
	fprintf(fp, "\n'dialhookctl COMMAND --help' for details; --version for the version\n");
}

/* Generic per-subcommand help, for subcommands without their own. */
static void
ctl_command_help(const struct ctl_command *c)
{
	printf("usage: dialhookctl %s %s\n\n%s\n", c->name, c->synopsis, c->help);
}

int
main(int argc, char **argv)
{
	struct ctl		 ctl;
	const struct ctl_command *cmd = NULL;
	char			 err[512];
	int			 rc;

	if (argc < 2)
		return ctl_usage(stderr), CTL_EXIT_USAGE;
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
	if (ctl_wants_help(argc - 1, argv + 1) && strcmp(cmd->name, "gen-events") != 0) {
		ctl_command_help(cmd);
		return CTL_EXIT_OK;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "dialhookctl: could not initialise libsodium\n");
		return CTL_EXIT_RUNTIME;
	}
	if (cfg_load(&ctl.cfg, CFG_CTL, 0, NULL, NULL, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "dialhookctl: %s\n", err);
		return CTL_EXIT_USAGE;
	}
	rc = cmd->run(&ctl, argc - 1, argv + 1);
	cfg_free(&ctl.cfg);
	return rc;
}
