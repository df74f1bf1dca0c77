/*
 * ctl_migrate.c: `dialhookctl migrate [--status] [--wait DURATION]` and
 * `dialhookctl config-table`.
 *
 * Migrations are the sql/NNN_name.sql files compiled into the binary. Each
 * pending one runs in its own transaction together with its row in
 * schema_migrations, under an advisory lock so two migrate runs (two
 * containers starting at once) never interleave. A failure rolls that
 * migration back, prints the server's message and exits 1. With --wait, a
 * database that is not accepting connections yet (a container still
 * starting) is retried until the duration has passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "migrations.h"
#include "pgconn.h"

#define MIGRATE_LOCK_KEY "7311250001"	/* pg_advisory_lock key: "dialhook migrate" */

const char ctl_migrate_details[] =
	"options:\n"
	"  --status          list applied and pending migrations, change nothing\n"
	"  --wait DURATION   if the database does not accept connections yet, try again\n"
	"                    (250 ms apart, doubling to 5 s) until DURATION has passed:\n"
	"                    90 or 90s, 500ms, 2m, 1h; one progress line per failed attempt\n"
	"                    on stderr. Default: one attempt. docker-compose.yml uses 60s,\n"
	"                    so migrate outlasts PostgreSQL's start-up.\n"
	"\n"
	"exit status: 0 applied or up to date; 1 no connection (within --wait) or a\n"
	"migration failed (rolled back, message on stderr); 2 usage error.\n";

static const char migrate_bootstrap_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version int PRIMARY KEY,"
	" name text NOT NULL,"
	" applied_at timestamptz NOT NULL DEFAULT now())";

/* Is version v among the applied versions in res (column 0)? */
static int
migrate_applied(const PGresult *res, int v)
{
	for (int i = 0; i < PQntuples(res); i++)
		if (atoi(PQgetvalue(res, i, 0)) == v)
			return 1;
	return 0;
}

/* Apply one migration in its own transaction; 0 or -1 (message printed). */
static int
migrate_one(PGconn *pq, const struct migration *m)
{
	char		 ver[16];
	const char	*params[2] = { ver, m->name };
	PGresult	*res;
	char		 msg[1024];

	snprintf(ver, sizeof(ver), "%d", m->version);
	PQclear(PQexec(pq, "BEGIN"));
	res = PQexec(pq, m->sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		util_one_line(PQresultErrorMessage(res), msg, sizeof(msg));
		PQclear(res);
		PQclear(PQexec(pq, "ROLLBACK"));
		fprintf(stderr, "dialhookctl migrate: migration %03d_%s failed, "
		    "nothing of it was applied: %s\n", m->version, m->name, msg);
		return -1;
	}
	PQclear(res);
	res = ctl_exec(pq, "migrate", "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
	    2, params, PGRES_COMMAND_OK);
	if (res == NULL) {
		PQclear(PQexec(pq, "ROLLBACK"));
		return -1;
	}
	PQclear(res);
	if ((res = ctl_exec(pq, "migrate", "COMMIT", 0, NULL, PGRES_COMMAND_OK)) == NULL)
		return -1;
	PQclear(res);
	printf("applied %03d_%s\n", m->version, m->name);
	return 0;
}

/* Print applied and pending migrations. */
static void
migrate_print_status(const PGresult *applied)
{
	for (int i = 0; i < PQntuples(applied); i++)
		printf("applied  %03d_%s  %s\n", atoi(PQgetvalue(applied, i, 0)),
		    PQgetvalue(applied, i, 1), PQgetvalue(applied, i, 2));
	for (size_t i = 0; i < migrations_count; i++)
		if (!migrate_applied(applied, migrations_data[i].version))
			printf("pending  %03d_%s\n", migrations_data[i].version, migrations_data[i].name);
}

int
ctl_migrate(struct ctl *ctl, int argc, char **argv)
{
	PGconn		*pq = NULL;
	PGresult	*res = NULL;
	const char	*wait = NULL;
	int64_t		 wait_ms = 0;
	int		 status_only = 0, rc = CTL_EXIT_RUNTIME, applied = 0, got;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--status") == 0)
			status_only = 1;
		else if ((got = ctl_opt_value("--wait", "migrate", argc, argv, &i, &wait)) < 0)
			return -got;
		else if (got == 0)
			return ctl_usage_error("migrate", "unknown argument '%s'", argv[i]);
		else if (ctl_parse_wait(wait, &wait_ms) != 0)
			return ctl_usage_error("migrate", "--wait: '%s' is not a duration of at most 1h "
			    "(90, 90s, 500ms, 2m, 1h)", wait);
	}
	if ((pq = ctl_connect_wait(ctl, "migrate", wait_ms)) == NULL)
		return CTL_EXIT_RUNTIME;
	PQclear(PQexec(pq, "SET client_min_messages = warning"));
	if ((res = ctl_exec(pq, "migrate", "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", 0, NULL,
	    PGRES_TUPLES_OK)) == NULL)
		goto out;
	PQclear(res);
	if ((res = ctl_exec(pq, "migrate", migrate_bootstrap_sql, 0, NULL, PGRES_COMMAND_OK)) == NULL)
		goto out;
	PQclear(res);
	res = ctl_exec(pq, "migrate",
	    "SELECT version, name, applied_at FROM schema_migrations ORDER BY version",
	    0, NULL, PGRES_TUPLES_OK);
	if (res == NULL)
		goto out;
	if (status_only) {
		migrate_print_status(res);
		rc = CTL_EXIT_OK;
		goto out;
	}
	for (size_t i = 0; i < migrations_count; i++) {
		if (migrate_applied(res, migrations_data[i].version))
			continue;
		if (migrate_one(pq, &migrations_data[i]) != 0)
			goto out;
		applied++;
	}
	if (applied == 0)
		printf("schema is up to date (version %d)\n", migrations_latest());
	rc = CTL_EXIT_OK;
out:
	PQclear(res);
	PQfinish(pq);
	return rc;
}

int
ctl_config_table(struct ctl *ctl DH_UNUSED, int argc DH_UNUSED, char **argv DH_UNUSED)
{
	cfg_markdown(stdout);
	return CTL_EXIT_OK;
}
