/*
 * ctl_stats.c: `dialhookctl stats [--json]`: the queue by event type, lag,
 * arrival rate and calls by status, as an aligned table or stable JSON.
 *
 * Every pending, processed or dead event is in exactly one column:
 *   due        not processed, not dead, never failed (attempts = 0)
 *   retrying   not processed, not dead, failed at least once (waits for
 *              next_attempt_at, or is claimable again)
 *   processed  processed_at set by a handler
 *   skipped    processed_at set, and the event type has no row in the
 *              processor's dispatch table (linked in from processor/dispatch.c):
 *              the processor marks such events processed and writes nothing
 *              else, so the type is what tells them apart
 *   dead       dead_at set (dead letters)
 * lag is the age of the oldest due event: how far the processors are behind
 * (a failing event's own backoff does not count as lag).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "../dispatch.h"	/* the processor's table: which types are handled */

const char ctl_stats_details[] =
	"Columns, per event type and in total (each event is in exactly one):\n"
	"  due        waiting for its first processing attempt\n"
	"  retrying   failed at least once, will be tried again (see dead list for its error)\n"
	"  processed  handled by the processor\n"
	"  skipped    marked processed, but the processor has no handler for its type\n"
	"             (after a handler is added: dialhookctl reprocess --type T)\n"
	"  dead       gave up after DIALHOOK_MAX_ATTEMPTS (see dialhookctl dead list)\n"
	"  lag        age of the oldest due event (how far behind the processors are)\n"
	"Also: events received in the last minute and hour, calls by status.\n\n"
	"  --json   one JSON object with fixed keys, for scripts and monitoring:\n"
	"           {\"events\":{\"total\":{...},\"by_type\":{TYPE:{due,retrying,processed,skipped,dead,\n"
	"            lag_seconds}}},\"received\":{\"last_minute\",\"last_hour\"},\n"
	"            \"calls\":{\"total\",\"by_status\":{\"ringing\",\"active\",\"ended\",...}}}\n"
	"           lag_seconds is null when nothing is due.\n";

/* Column order of the per-type query; the lag column comes last. */
static const char *const stats_cols[] = { "due", "retrying", "processed", "skipped", "dead" };

#define STATS_PENDING "processed_at IS NULL AND dead_at IS NULL"

static const char stats_types_sql[] =
	"SELECT event_type,"
	" count(*) FILTER (WHERE " STATS_PENDING " AND attempts = 0),"
	" count(*) FILTER (WHERE " STATS_PENDING " AND attempts > 0),"
	" count(*) FILTER (WHERE processed_at IS NOT NULL AND event_type = ANY ($1::text[])),"
	" count(*) FILTER (WHERE processed_at IS NOT NULL AND event_type <> ALL ($1::text[])),"
	" count(*) FILTER (WHERE dead_at IS NOT NULL),"
	" round(extract(epoch FROM now() - min(received_at) FILTER (WHERE " STATS_PENDING
	" AND attempts = 0))::numeric, 3)"
	" FROM webhook_events GROUP BY ROLLUP (event_type)"
	" ORDER BY event_type IS NULL, event_type";

static const char stats_received_sql[] =
	"SELECT count(*) FILTER (WHERE received_at > now() - interval '1 minute'), count(*)"
	" FROM webhook_events WHERE received_at > now() - interval '1 hour'";

/* ringing, active and ended always appear (as 0), others only when present. */
static const char stats_calls_sql[] =
	"SELECT s, coalesce(c, 0) FROM"
	" (SELECT coalesce(status, 'none') AS s, count(*) AS c FROM calls GROUP BY 1) AS n"
	" FULL JOIN (VALUES ('ringing', 1), ('active', 2), ('ended', 3)) AS k(s, o) USING (s)"
	" ORDER BY coalesce(o, 4), s";

/* Format a lag in seconds ("" = none) for people: "-", "850ms", "12.3s", "4m05s", "2h03m". */
static void
stats_fmt_lag(const char *secs, char *out, size_t len)
{
	double	 s;

	if (*secs == '\0') {
		snprintf(out, len, "-");
		return;
	}
	s = strtod(secs, NULL);
	if (s < 1.0)
		snprintf(out, len, "%.0fms", s * 1000.0);
	else if (s < 60.0)
		snprintf(out, len, "%.1fs", s);
	else if (s < 3600.0)
		snprintf(out, len, "%dm%02ds", (int)(s / 60), (int)s % 60);
	else
		snprintf(out, len, "%dh%02dm", (int)(s / 3600), (int)s / 60 % 60);
}

/* The per-type table, the arrival counts and the calls line, for people. */
static void
stats_print_table(const PGresult *types, const PGresult *recv, const PGresult *calls)
{
	int	 w = (int)strlen("EVENT TYPE"), n = PQntuples(types);
	char	 lag[32];
	int64_t	 total = 0;

	for (int i = 0; i < n; i++)
		if (!PQgetisnull(types, i, 0) && (int)strlen(PQgetvalue(types, i, 0)) > w)
			w = (int)strlen(PQgetvalue(types, i, 0));
	printf("%-*s %10s %10s %10s %10s %10s %8s\n", w, "EVENT TYPE", "DUE", "RETRYING", "PROCESSED",
	    "SKIPPED", "DEAD", "LAG");
	for (int i = 0; i < n; i++) {
		stats_fmt_lag(PQgetvalue(types, i, 6), lag, sizeof(lag));
		printf("%-*s", w, PQgetisnull(types, i, 0) ? "total" : PQgetvalue(types, i, 0));
		for (int c = 1; c <= 5; c++)
			printf(" %10s", PQgetvalue(types, i, c));
		printf(" %8s\n", lag);
	}
	printf("\nreceived: %s in the last minute, %s in the last hour\n", PQgetvalue(recv, 0, 0),
	    PQgetvalue(recv, 0, 1));
	printf("calls:   ");
	for (int i = 0; i < PQntuples(calls); i++) {
		printf(" %s %s%s", PQgetvalue(calls, i, 0), PQgetvalue(calls, i, 1),
		    i + 1 < PQntuples(calls) ? "," : "");
		total += strtoll(PQgetvalue(calls, i, 1), NULL, 10);
	}
	printf(" (total %lld)\n", (long long)total);
}

/* One {"due":..,...,"lag_seconds":..} object for row i of the per-type result. */
static void
stats_json_counts(const PGresult *types, int i)
{
	printf("{");
	for (int c = 1; c <= 5; c++)
		printf("\"%s\":%s,", stats_cols[c - 1], PQgetvalue(types, i, c));
	printf("\"lag_seconds\":%s}", PQgetisnull(types, i, 6) ? "null" : PQgetvalue(types, i, 6));
}

/* The stable JSON document described in ctl_stats_details. */
static void
stats_print_json(const PGresult *types, const PGresult *recv, const PGresult *calls)
{
	int	 n = PQntuples(types), first = 1;
	int64_t	 total = 0;

	printf("{\"events\":{\"total\":");
	stats_json_counts(types, n - 1);	/* ROLLUP's total row sorts last */
	printf(",\"by_type\":{");
	for (int i = 0; i < n - 1; i++) {
		printf("%s", first ? "" : ",");
		first = 0;
		ctl_json_string(stdout, PQgetvalue(types, i, 0));
		putchar(':');
		stats_json_counts(types, i);
	}
	printf("}},\"received\":{\"last_minute\":%s,\"last_hour\":%s},", PQgetvalue(recv, 0, 0),
	    PQgetvalue(recv, 0, 1));
	for (int i = 0; i < PQntuples(calls); i++)
		total += strtoll(PQgetvalue(calls, i, 1), NULL, 10);
	printf("\"calls\":{\"total\":%lld,\"by_status\":{", (long long)total);
	for (int i = 0; i < PQntuples(calls); i++) {
		printf("%s", i ? "," : "");
		ctl_json_string(stdout, PQgetvalue(calls, i, 0));
		printf(":%s", PQgetvalue(calls, i, 1));
	}
	printf("}}}\n");
}

/* The processor's handled event types as a PostgreSQL array literal, into b. */
static void
stats_handled_types(struct strbuf *b)
{
	size_t			 n;
	const struct dispatch_entry *t = dispatch_table(&n);

	strbuf_append(b, "{", 1);
	for (size_t i = 0; i < n; i++)
		strbuf_printf(b, "%s\"%s\"", i ? "," : "", t[i].event_type);	/* [a-z0-9._] only */
	strbuf_append(b, "}", 1);
}

int
ctl_stats(struct ctl *ctl, int argc, char **argv)
{
	struct strbuf	 handled = { 0 };
	const char	*params[1];
	PGconn		*pq = NULL;
	PGresult	*types = NULL, *recv = NULL, *calls = NULL;
	int		 json = 0, rc = CTL_EXIT_RUNTIME;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else
			return ctl_usage_error("stats", "unknown argument '%s'", argv[i]);
	}
	if ((pq = ctl_connect(ctl, "stats")) == NULL)
		return CTL_EXIT_RUNTIME;
	/* One snapshot for all three queries, so the numbers agree with each other. */
	PQclear(PQexec(pq, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
	stats_handled_types(&handled);
	params[0] = handled.p;
	if ((types = ctl_exec(pq, "stats", stats_types_sql, 1, params, PGRES_TUPLES_OK)) == NULL ||
	    (recv = ctl_exec(pq, "stats", stats_received_sql, 0, NULL, PGRES_TUPLES_OK)) == NULL ||
	    (calls = ctl_exec(pq, "stats", stats_calls_sql, 0, NULL, PGRES_TUPLES_OK)) == NULL)
		goto out;
	if (json)
		stats_print_json(types, recv, calls);
	else
		stats_print_table(types, recv, calls);
	rc = CTL_EXIT_OK;
out:
	PQclear(calls);
	PQclear(recv);
	PQclear(types);
	PQfinish(pq);
	strbuf_free(&handled);
	return rc;
}
