/*
 * main.c: dialhook-ingest: the shared start-up (startup.h), then ingest.c
 * (init -> run -> fini). Exit status as startup.h documents.
 */
#include "config.h"
#include "ingest.h"
#include "log.h"
#include "startup.h"

int
main(int argc, char **argv)
{
	struct dh_config	 cfg;
	struct ingest		 in;
	char			 desc[2048];
	int			 rc;

	if ((rc = startup_daemon(&cfg, CFG_INGEST, "dialhook-ingest", "ingest", argc, argv)) != STARTUP_RUN)
		return rc;
	cfg_describe(&cfg, CFG_INGEST, desc, sizeof(desc));
	log_info("configuration", LOG_S("options", desc));
	if (ingest_init(&in, &cfg) != 0) {
		cfg_free(&cfg);
		return DH_EXIT_FAILURE;
	}
	rc = ingest_run(&in);
	ingest_fini(&in);
	cfg_free(&cfg);
	return rc;
}
