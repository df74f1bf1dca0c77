/*
 * main.c: dialhook-ingest: load the configuration, set up logging and
 * libsodium, then hand over to ingest.c (init -> run -> fini).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "config.h"
#include "ingest.h"
#include "log.h"

int
main(int argc, char **argv)
{
	struct dh_config	 cfg;
	struct ingest		 in;
	enum log_level		 level;
	char			 err[512];
	int			 rc;

	memset(&cfg, 0, sizeof(cfg));
	if (cfg_load(&cfg, CFG_INGEST, argc, argv, NULL, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "dialhook-ingest: %s\n", err);
		return 1;
	}
	if (cfg.help || cfg.version) {
		if (cfg.help)
			cfg_usage(stdout, CFG_INGEST, "dialhook-ingest", "[OPTIONS]");
		else
			printf("dialhook-ingest %s\n", DH_VERSION);
		cfg_free(&cfg);
		return 0;
	}
	if (log_level_parse(cfg.log_level, &level) != 0) {
		fprintf(stderr, "dialhook-ingest: DIALHOOK_LOG_LEVEL must be debug, info, warn or error\n");
		cfg_free(&cfg);
		return 1;
	}
	log_setup("ingest", level, strcmp(cfg.log_format, "json") == 0);
	if (sodium_init() < 0)
		log_fatal("could not initialise libsodium");
	if (ingest_init(&in, &cfg) != 0) {
		cfg_free(&cfg);
		return 1;
	}
	rc = ingest_run(&in);
	ingest_fini(&in);
	cfg_free(&cfg);
	return rc;
}
