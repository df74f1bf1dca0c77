/*
 * ctl_dead.c: `dialhookctl dead list|retry|show`: the dead letters, events
 * the processor gave up on (dead_at set), with the class of their failure,
 * read from last_error's prefix (processor/batch.h):
 *
 *   data      "data: ..."      the payload cannot be used (no usable call_id,
 *                              not a JSON object); dead at the first attempt,
 *                              retrying gives the same answer
 *   database  "database: ..."  PostgreSQL refused the event's write on each of
 *                              DIALHOOK_MAX_ATTEMPTS attempts
 *   earlier   anything else    written by a release before the classification
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

const char ctl_dead_details[] =
	"  dead list [--limit N] [--type T] [--json]\n"
	"      newest dead letters first: id, type, attempts, received and dead time, last error.\n"
	"      --limit N (default 50, 0 = all); --type T repeats and takes globs ('call.*');\n"
	"      --since/--until/--app/--id narrow it further, as for reprocess.\n"
	"      --json: {\"total\":N,\"events\":[{\"id\",\"event_type\",\"app_id\",\"attempts\",\n"
	"      \"class\",\"last_error\",\"received_at\",\"dead_at\"}]} (times ISO 8601 UTC)\n"
	"      class: data (the payload cannot be used: dead at once, never retried), database\n"
	"      (PostgreSQL refused its write on every attempt), earlier (before classes existed)\n"
	"  dead retry (--id N... | --all)\n"
	"      make dead letters due again (attempts and error cleared) and wake the\n"
	"      processors; --id repeats; other ids are left alone\n"
	"  dead show --id N\n"
	"      the event's columns, the class of its failure and what it means, and its\n"
	"      payload, pretty-printed (ids exact)\n";

#define DEAD_TIME(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* The class of a failure, from last_error's prefix (see the top of this file). */
#define DEAD_CLASS "CASE WHEN starts_with(last_error, 'data: ') THEN 'data'" \
	" WHEN starts_with(last_error, 'database: ') THEN 'database' ELSE 'earlier' END"

/* What a class means, for `dead show`. */
static const char *
dead_class_meaning(const char *cls)
{
	if (strcmp(cls, "data") == 0)
		return "the payload cannot be used (no usable call_id, or not a JSON object): dead at "
		    "the first attempt, never retried; retrying gives the same answer unless a new "
		    "release reads it";
	if (strcmp(cls, "database") == 0)
		return "PostgreSQL refused this event's write on each attempt (retried with backoff up to "
		    "DIALHOOK_MAX_ATTEMPTS); retry once the cause is fixed";
	return "failed under a release that did not classify failures; a wrong-typed field no longer fails "
	    "an event, so a retry may succeed";
}

/* `dead list`: table or JSON of up to limit dead letters (0 = all) matching f. */
static int
dead_list_run(PGconn *pq, const struct ctl_filter *f, int64_t limit, int json)
{
	struct strbuf	 sql = { 0 }, where = { 0 };
	const char	*params[8];
	int		 nparams = 0, rc = CTL_EXIT_RUNTIME;
	PGresult	*list = NULL, *total = NULL;

	strbuf_printf(&where, "FROM webhook_events w WHERE dead_at IS NOT NULL");
	ctl_filter_sql(f, &where, params, &nparams);
	strbuf_printf(&sql, "SELECT count(*) %s", where.p);
	if ((total = ctl_exec(pq, "dead list", sql.p, nparams, params, PGRES_TUPLES_OK)) == NULL)
		goto out;
	strbuf_reset(&sql);
	strbuf_printf(&sql, "SELECT id, event_type, app_id, attempts, coalesce(last_error, ''), "
	    DEAD_TIME("received_at") ", " DEAD_TIME("dead_at") ", " DEAD_CLASS
	    " %s ORDER BY dead_at DESC, id DESC", where.p);
	if (limit > 0)
		strbuf_printf(&sql, " LIMIT %" PRId64, limit);
	if ((list = ctl_exec(pq, "dead list", sql.p, nparams, params, PGRES_TUPLES_OK)) == NULL)
		goto out;
	if (json) {
		printf("{\"total\":%s,\"events\":[", PQgetvalue(total, 0, 0));
		for (int i = 0; i < PQntuples(list); i++) {
			printf("%s{\"id\":%s,\"event_type\":", i ? "," : "", PQgetvalue(list, i, 0));
			ctl_json_string(stdout, PQgetvalue(list, i, 1));
			printf(",\"app_id\":");
			ctl_json_string(stdout, PQgetvalue(list, i, 2));
			printf(",\"attempts\":%s,\"class\":\"%s\",\"last_error\":", PQgetvalue(list, i, 3),
			    PQgetvalue(list, i, 7));
			ctl_json_string(stdout, PQgetvalue(list, i, 4));
			printf(",\"received_at\":\"%s\",\"dead_at\":\"%s\"}", PQgetvalue(list, i, 5),
			    PQgetvalue(list, i, 6));
		}
		printf("]}\n");
	} else {
		int	 w = (int)strlen("TYPE");

		for (int i = 0; i < PQntuples(list); i++)
			if ((int)strlen(PQgetvalue(list, i, 1)) > w)
				w = (int)strlen(PQgetvalue(list, i, 1));
		printf("%-10s %-*s %8s %-8s %-24s %-24s %s\n", "ID", w, "TYPE", "ATTEMPTS", "CLASS",
		    "RECEIVED", "DEAD", "LAST ERROR");
		for (int i = 0; i < PQntuples(list); i++)
			printf("%-10s %-*s %8s %-8s %-24s %-24s %s\n", PQgetvalue(list, i, 0), w,
			    PQgetvalue(list, i, 1), PQgetvalue(list, i, 3), PQgetvalue(list, i, 7),
			    PQgetvalue(list, i, 5), PQgetvalue(list, i, 6), PQgetvalue(list, i, 4));
		printf("(%d of %s dead letters)\n", PQntuples(list), PQgetvalue(total, 0, 0));
	}
	rc = CTL_EXIT_OK;
out:
	PQclear(list);
	PQclear(total);
	strbuf_free(&where);
	strbuf_free(&sql);
	return rc;
}

/* Parse `dead list` options; 0 or a usage exit code. */
static int
dead_list_args(int argc, char **argv, struct ctl_filter *f, int64_t *limit, int *json)
{
	const char	*v;

	for (int i = 1; i < argc; i++) {
		int	 r = ctl_filter_arg(f, "dead list", argc, argv, &i);

		if (r < 0)
			return -r;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--json") == 0) {
			*json = 1;
		} else if ((r = ctl_opt_value("--limit", "dead list", argc, argv, &i, &v)) != 0) {
			if (r < 0)
				return -r;
			if (util_parse_int64(v, 0, INT64_MAX, limit) != 0)
				return ctl_usage_error("dead list",
				    "--limit wants a count (0 = all), not '%s'", v);
		} else {
			return ctl_usage_error("dead list", "unknown argument '%s'", argv[i]);
		}
	}
	return 0;
}

/* Parse `dead retry` options (--id N..., --all); 0 or a usage exit code. */
static int
dead_retry_args(int argc, char **argv, struct ctl_filter *f, int *all)
{
	for (int i = 1; i < argc; i++) {
		int	 r;

		if (strcmp(argv[i], "--all") == 0) {
			*all = 1;
			continue;
		}
		if (strncmp(argv[i], "--id", 4) != 0 ||
		    (r = ctl_filter_arg(f, "dead retry", argc, argv, &i)) == 0)
			return ctl_usage_error("dead retry", "unknown argument '%s'", argv[i]);
		if (r < 0)
			return -r;
	}
	if (*all == (f->nids > 0))
		return ctl_usage_error("dead retry", "pass --id N (repeatable) or --all, not %s",
		    *all ? "both" : "neither");
	return 0;
}

/* `dead retry`: make the selected dead letters due again and wake processors. */
static int
dead_retry_run(PGconn *pq, const struct ctl_filter *f)
{
	int64_t	 n;

	PQclear(PQexec(pq, "SET TIME ZONE 'UTC'"));
	if (ctl_reset_events(pq, "dead retry", f, " AND w.dead_at IS NOT NULL", 0, &n) != 0)
		return CTL_EXIT_RUNTIME;
	printf("made %" PRId64 " dead events due again\n", n);
	if (f->nids > n)
		fprintf(stderr, "dialhookctl dead retry: %" PRId64 " of the given ids are not dead letters "
		    "(left alone)\n", (int64_t)f->nids - n);
	if (n > 0)
		ctl_wake(pq);
	return CTL_EXIT_OK;
}

/* `dead show`: the event's columns, the class of its failure, then its payload pretty-printed. */
static int
dead_show_run(PGconn *pq, const char *id)
{
	static const char *const labels[] = { "id", "app_id", "event_type", "dedupe_key", "attempts",
		"received_at", "next_attempt_at", "processed_at", "dead_at", "last_error" };
	const char	*params[1] = { id };
	PGresult	*res;

	res = ctl_exec(pq, "dead show", "SELECT id, app_id, event_type, dedupe_key, attempts, "
	    DEAD_TIME("received_at") ", " DEAD_TIME("next_attempt_at") ", " DEAD_TIME("processed_at") ", "
	    DEAD_TIME("dead_at") ", last_error, payload, " DEAD_CLASS " FROM webhook_events WHERE id = $1",
	    1, params, PGRES_TUPLES_OK);
	if (res == NULL)
		return CTL_EXIT_RUNTIME;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return ctl_error("dead show", "no event with id %s (see 'dialhookctl dead list')", id);
	}
	for (size_t c = 0; c < DH_ARRAY_LEN(labels); c++)
		printf("%-16s %s\n", labels[c],
		    PQgetisnull(res, 0, (int)c) ? "-" : PQgetvalue(res, 0, (int)c));
	if (PQgetisnull(res, 0, 8))
		printf("(not a dead letter)\n");
	else
		printf("%-16s %s: %s\n", "class", PQgetvalue(res, 0, 11),
		    dead_class_meaning(PQgetvalue(res, 0, 11)));
	printf("payload:\n");
	ctl_json_pretty(stdout, PQgetvalue(res, 0, 10));
	PQclear(res);
	return CTL_EXIT_OK;
}

/* Parse `dead show --id N`; 0 or a usage exit code; *id points into argv. */
static int
dead_show_args(int argc, char **argv, const char **id)
{
	int64_t	 v;

	for (int i = 1; i < argc; i++) {
		int	 r = ctl_opt_value("--id", "dead show", argc, argv, &i, id);

		if (r < 0)
			return -r;
		if (r == 0)
			return ctl_usage_error("dead show", "unknown argument '%s'", argv[i]);
	}
	if (*id == NULL)
		return ctl_usage_error("dead show", "which event? pass --id N (ids: dialhookctl dead list)");
	if (ctl_parse_id(*id, &v) != 0)
		return ctl_usage_error("dead show", "--id wants a positive event id, not '%s'", *id);
	return 0;
}

int
ctl_dead(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_filter f = { 0 };
	PGconn		*pq = NULL;
	const char	*what = argc > 1 ? argv[1] : "", *id = NULL;
	int64_t		 limit = 50;
	int		 json = 0, all = 0, rc;

	if (strcmp(what, "list") == 0)
		rc = dead_list_args(argc - 1, argv + 1, &f, &limit, &json);
	else if (strcmp(what, "retry") == 0)
		rc = dead_retry_args(argc - 1, argv + 1, &f, &all);
	else if (strcmp(what, "show") == 0)
		rc = dead_show_args(argc - 1, argv + 1, &id);
	else
		rc = ctl_usage_error("dead", "say what to do: dead list, dead retry or dead show");
	if (rc != 0)
		goto out;
	rc = CTL_EXIT_RUNTIME;
	if ((pq = ctl_connect(ctl, "dead")) == NULL)
		goto out;
	PQclear(PQexec(pq, "SET TIME ZONE 'UTC'"));
	if (strcmp(what, "list") == 0)
		rc = dead_list_run(pq, &f, limit, json);
	else if (strcmp(what, "retry") == 0)
		rc = dead_retry_run(pq, &f);
	else
		rc = dead_show_run(pq, id);
out:
	PQfinish(pq);
	ctl_filter_free(&f);
	return rc;
}
