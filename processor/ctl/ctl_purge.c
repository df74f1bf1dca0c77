/*
 * ctl_purge.c: `dialhookctl purge --processed-before DURATION|TIMESTAMP
 * [--dead-too]`: retention for webhook_events.
 *
 * The cut-off is fixed once at the start. Rows are deleted in batches of
 * CTL_RESET_BATCH ids walked in id order (keyset), one short transaction
 * each, with a progress line per batch. Only rows with processed_at (or, with
 * --dead-too, dead_at) before the cut-off are deleted; the DELETE itself
 * re-checks that condition, so an event reprocessed meanwhile (due again) is
 * never deleted. Due and retrying events are never touched.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

const char ctl_purge_details[] =
	"Deletes processed events whose processed_at is before the cut-off (and, with\n"
	"--dead-too, dead letters whose dead_at is before it), 5,000 per transaction,\n"
	"printing a progress line per batch. Due and retrying events are never deleted.\n"
	"  --processed-before D   a duration back from now: 30d, 12h, 90m, 45s, 2w;\n"
	"                         or an ISO 8601 time: 2026-01-31, 2026-01-31T12:00:00Z\n"
	"  --dead-too             also delete dead letters older than the cut-off\n"
	"Run it on a schedule (cron, systemd timer): see docs/operations.md. Purged events\n"
	"can no longer be reprocessed.\n";

/* What one batch deletes, as a condition on the row w ($2 = cut-off; $1 is the walk's). */
#define PURGE_PROCESSED "(w.processed_at < $2::timestamptz AND w.dead_at IS NULL)"
#define PURGE_DEAD "(w.dead_at < $2::timestamptz)"

/*
 * Parse the arguments; 0 or a usage exit code. interval gets a duration as an
 * interval text ("" for a time).
 */
static int
purge_args(int argc, char **argv, char *interval, size_t len, const char **before, int *dead_too)
{
	for (int i = 1; i < argc; i++) {
		int	 r = ctl_opt_value("--processed-before", "purge", argc, argv, &i, before);

		if (r < 0)
			return -r;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--dead-too") == 0)
			*dead_too = 1;
		else
			return ctl_usage_error("purge", "unknown argument '%s'", argv[i]);
	}
	if (*before == NULL)
		return ctl_usage_error("purge", "how old? pass --processed-before 30d "
		    "(or 12h, 90m, or a time such as 2026-01-31T00:00:00Z)");
	interval[0] = '\0';
	if (ctl_parse_duration(*before, interval, len) != 0 && !ctl_is_timestamp(*before))
		return ctl_usage_error("purge", "'%s' is neither a duration (30d, 12h, 90m, 45s, 2w) nor an "
		    "ISO 8601 time (2026-01-31T00:00:00Z)", *before);
	return 0;
}

/* Fix the cut-off (now() - interval, or the timestamp) as text in out; 0 or -1. */
static int
purge_cutoff(PGconn *pq, const char *interval, const char *before, char *out, size_t len)
{
	const char	*params[1] = { interval[0] != '\0' ? interval : before };
	PGresult	*res;

	res = ctl_exec(pq, "purge", interval[0] != '\0' ? "SELECT (now() - $1::interval)::text" :
	    "SELECT $1::timestamptz::text", 1, params, PGRES_TUPLES_OK);
	if (res == NULL)
		return -1;
	snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

static void
purge_progress(const struct ctl_walk *w)
{
	printf("purge: deleted %" PRId64 " so far (up to id %s)\n", w->counts[0] + w->counts[1], w->last);
	fflush(stdout);
}

/* Delete in batches; *processed and *dead get the counts. 0 or -1. */
static int
purge_run(PGconn *pq, const char *cutoff, int dead_too, int64_t *processed, int64_t *dead)
{
	struct strbuf	 sql = { 0 };
	const char	*params[2] = { NULL, cutoff };
	const char	*cond = dead_too ? "(" PURGE_PROCESSED " OR " PURGE_DEAD ")" : PURGE_PROCESSED;
	struct ctl_walk	 w = { .cmd = "purge", .params = params, .nparams = 2, .ncounts = 2,
			       .progress = purge_progress };
	int		 rc;

	strbuf_printf(&sql, "WITH b AS (SELECT id FROM webhook_events w WHERE id > $1 AND %s"
	    " ORDER BY id LIMIT %d),"
	    " d AS (DELETE FROM webhook_events w USING b WHERE w.id = b.id AND %s RETURNING w.dead_at)"
	    " SELECT (SELECT max(id) FROM b), (SELECT count(*) FILTER (WHERE dead_at IS NULL) FROM d),"
	    " (SELECT count(*) FILTER (WHERE dead_at IS NOT NULL) FROM d)",
	    cond, CTL_RESET_BATCH, cond);
	w.sql = sql.p;
	rc = ctl_walk_ids(pq, &w);
	*processed = w.counts[0];
	*dead = w.counts[1];
	strbuf_free(&sql);
	return rc;
}

int
ctl_purge(struct ctl *ctl, int argc, char **argv)
{
	PGconn		*pq = NULL;
	const char	*before = NULL;
	char		 interval[64], cutoff[64];
	int		 dead_too = 0, rc;
	int64_t		 processed = 0, dead = 0;

	if ((rc = purge_args(argc, argv, interval, sizeof(interval), &before, &dead_too)) != 0)
		return rc;
	if ((pq = ctl_connect(ctl, "purge")) == NULL)
		return CTL_EXIT_RUNTIME;
	rc = CTL_EXIT_RUNTIME;
	PQclear(PQexec(pq, "SET TIME ZONE 'UTC'"));
	if (purge_cutoff(pq, interval, before, cutoff, sizeof(cutoff)) != 0 ||
	    purge_run(pq, cutoff, dead_too, &processed, &dead) != 0)
		goto out;
	printf("purged %" PRId64 " processed events", processed);
	if (dead_too)
		printf(" and %" PRId64 " dead letters", dead);
	printf(" older than %s\n", cutoff);
	rc = CTL_EXIT_OK;
out:
	PQfinish(pq);
	return rc;
}
