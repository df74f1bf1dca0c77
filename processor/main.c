/*
 * main.c: dialhook-processor: the shared start-up (startup.h), then the
 * processor (processor.h) until it stops. Exit status as startup.h documents.
 */
#include "config.h"
#include "log.h"
#include "processor.h"
#include "startup.h"

int
main(int argc, char **argv)
{
	struct dh_config	 cfg;
	struct processor	*p;
	char			 desc[2048];
	int			 rc;

	rc = startup_daemon(&cfg, CFG_PROCESSOR, "dialhook-processor", "processor", argc, argv);
	if (rc != STARTUP_RUN)
		return rc;
	cfg_describe(&cfg, CFG_PROCESSOR, desc, sizeof(desc));
	log_info("configuration", LOG_S("options", desc));
	if ((p = processor_new(&cfg)) == NULL) {
		cfg_free(&cfg);
		return DH_EXIT_FAILURE;
	}
	rc = processor_run(p);
	processor_free(p);
	cfg_free(&cfg);
	return rc;
}
