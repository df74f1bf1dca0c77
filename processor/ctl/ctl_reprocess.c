/*
 * ctl_reprocess.c: `dialhookctl reprocess`, the backfill tool: make the
 * matching events due again so the processors apply them once more.
 *
 * The reset runs in batches of CTL_RESET_BATCH ids walked in id order
 * (keyset: each batch starts after the last id of the previous one), one
 * short transaction per batch, so a million-row backfill holds no long lock
 * and builds no huge transaction; running processors pick up each batch as
 * soon as it commits. Rows already due and never tried are left alone (no
 * dead tuple for nothing). Processors are woken with dialhook_wake() at the
 * end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

const char ctl_reprocess_details[] =
	"Resets the matching events to due (processed_at, attempts, next_attempt_at,\n"
	"last_error and dead_at cleared) in batches of 5,000, one short transaction each,\n"
	"then wakes running processors (NOTIFY). Filters combine (AND); --type and --id\n"
	"repeat (OR within the option):\n"
	"  --since TIME      received_at >= TIME (ISO 8601: 2026-01-31, 2026-01-31T12:00:00Z,\n"
	"                    2026-01-31T12:00:00+02:00; no offset = UTC)\n"
	"  --until TIME      received_at <  TIME\n"
	"  --type T          event type or glob: call.hangup, 'call.*', 'sms.*' (* any, ? one char)\n"
	"  --app A           app_id (the {app_id} of /webhooks/dialpad/{app_id}; 'default')\n"
	"  --id N            one event id\n"
	"  --include-dead    also reset dead letters (without it they are never touched)\n"
	"  --all             every event (the same as giving no filter; says so explicitly)\n"
	"  --dry-run         only count what would be reset\n"
	"With no filter every event is reset (dead ones too only with --include-dead).\n"
	"Prints the number of events reset. Rebuild calls from scratch:\n"
	"  TRUNCATE calls; then dialhookctl reprocess --all (see docs/operations.md).\n";

/* Columns cleared by a reset, and the "already pristine due" test that skips a row. */
#define RESET_SET "processed_at = NULL, attempts = 0, next_attempt_at = NULL," \
	" last_error = NULL, dead_at = NULL"
#define RESET_NEEDED "NOT (w.processed_at IS NULL AND w.dead_at IS NULL AND w.attempts = 0" \
	" AND w.next_attempt_at IS NULL AND w.last_error IS NULL)"

/* Build the batch statement ($1 = last id done) or, for dry_run, the count. */
static void
reset_build_sql(struct strbuf *sql, const struct ctl_filter *f, const char *scope,
    int dry_run, const char **params, int *nparams)
{
	if (dry_run) {
		strbuf_printf(sql, "SELECT count(*) FROM webhook_events w WHERE %s", RESET_NEEDED);
		ctl_filter_sql(f, sql, params, nparams);
		strbuf_printf(sql, "%s", scope);
		return;
	}
	strbuf_printf(sql, "WITH b AS (SELECT id FROM webhook_events w WHERE id > $1");
	ctl_filter_sql(f, sql, params, nparams);
	strbuf_printf(sql, "%s ORDER BY id LIMIT %d),"
	    " u AS (UPDATE webhook_events w SET " RESET_SET " FROM b WHERE w.id = b.id AND %s%s"
	    " RETURNING w.id)"
	    " SELECT (SELECT max(id) FROM b), (SELECT count(*) FROM u)",
	    scope, CTL_RESET_BATCH, RESET_NEEDED, scope);
}

/* Progress on stderr once a reset has covered more than one batch. */
static void
reset_progress(const struct ctl_walk *w)
{
	if (w->counts[0] >= CTL_RESET_BATCH)
		fprintf(stderr, "%s: %" PRId64 " reset so far (up to id %s)\n", w->cmd,
		    w->counts[0], w->last);
}

int
ctl_reset_events(PGconn *pq, const char *cmd, const struct ctl_filter *f, const char *scope,
    int dry_run, int64_t *count)
{
	struct strbuf	 sql = { 0 };
	const char	*params[8] = { NULL };
	int		 nparams = dry_run ? 0 : 1, rc = -1;
	struct ctl_walk	 w = { .cmd = cmd, .params = params, .ncounts = 1, .progress = reset_progress };
	PGresult	*res;

	*count = 0;
	reset_build_sql(&sql, f, scope, dry_run, params, &nparams);
	if (dry_run) {
		if ((res = ctl_exec(pq, cmd, sql.p, nparams, params, PGRES_TUPLES_OK)) != NULL) {
			*count = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
			PQclear(res);
			rc = 0;
		}
	} else {
		w.sql = sql.p;
		w.nparams = nparams;
		rc = ctl_walk_ids(pq, &w);
		*count = w.counts[0];
	}
	strbuf_free(&sql);
	return rc;
}

/* Parse reprocess's arguments into f and the flags; 0 or a usage exit code. */
static int
reprocess_args(int argc, char **argv, struct ctl_filter *f, int *dead, int *all, int *dry_run)
{
	for (int i = 1; i < argc; i++) {
		int	 r = ctl_filter_arg(f, "reprocess", argc, argv, &i);

		if (r < 0)
			return -r;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--include-dead") == 0)
			*dead = 1;
		else if (strcmp(argv[i], "--all") == 0)
			*all = 1;
		else if (strcmp(argv[i], "--dry-run") == 0)
			*dry_run = 1;
		else
			return ctl_usage_error("reprocess", "unknown argument '%s'", argv[i]);
	}
	if (ctl_filter_is_set(f) && *all)
		return ctl_usage_error("reprocess", "--all selects every event: drop it or the filters");
	return 0;
}

int
ctl_reprocess(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_filter f = { 0 };
	PGconn		*pq = NULL;
	int		 dead = 0, all = 0, dry_run = 0, rc;
	int64_t		 n = 0;

	if ((rc = reprocess_args(argc, argv, &f, &dead, &all, &dry_run)) != 0)
		goto out;
	rc = CTL_EXIT_RUNTIME;
	if ((pq = ctl_connect(ctl, "reprocess")) == NULL)
		goto out;
	PQclear(PQexec(pq, "SET TIME ZONE 'UTC'"));
	if (ctl_reset_events(pq, "reprocess", &f, dead ? "" : " AND w.dead_at IS NULL", dry_run, &n) != 0)
		goto out;
	if (dry_run) {
		printf("would reset %" PRId64 " events to due (dry run, nothing changed)\n", n);
	} else {
		printf("reset %" PRId64 " events to due\n", n);
		if (n > 0)
			ctl_wake(pq);
	}
	rc = CTL_EXIT_OK;
out:
	PQfinish(pq);
	ctl_filter_free(&f);
	return rc;
}
