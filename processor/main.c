/*
 * main.c: dialhook-processor: load the configuration, set up logging, run
 * the processor (processor.h) until it stops.
 */
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "config.h"
#include "log.h"
#include "processor.h"

int
main(int argc, char **argv)
{
	struct dh_config	 cfg;
	struct processor	*p;
	enum log_level		 level = LOG_LEVEL_INFO;
	char			 err[512], desc[2048];
	int			 rc;

	if (cfg_load(&cfg, CFG_PROCESSOR, argc, argv, NULL, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "dialhook-processor: %s (see --help)\n", err);
		return 2;
	}
	if (cfg.help) {
		cfg_usage(stdout, CFG_PROCESSOR, "dialhook-processor", "[OPTIONS]");
		cfg_free(&cfg);
		return 0;
	}
	if (cfg.version) {
		printf("dialhook-processor %s\n", DH_VERSION);
		cfg_free(&cfg);
		return 0;
	}
	if (log_level_parse(cfg.log_level, &level) != 0) {
		fprintf(stderr, "dialhook-processor: unknown DIALHOOK_LOG_LEVEL '%s'\n", cfg.log_level);
		cfg_free(&cfg);
		return 2;
	}
	log_setup("processor", level, cfg.log_format && cfg.log_format[0] == 'j');
	if (sodium_init() < 0) {
		cfg_free(&cfg);
		log_fatal("could not initialise libsodium");
	}
	cfg_describe(&cfg, CFG_PROCESSOR, desc, sizeof(desc));
	log_info("configuration|%s", desc);
	if ((p = processor_new(&cfg)) == NULL) {
		cfg_free(&cfg);
		return 1;
	}
	rc = processor_run(p);
	processor_free(p);
	cfg_free(&cfg);
	return rc;
}
