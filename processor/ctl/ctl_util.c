/* ctl_util.c: messages, connection and statement helpers for the subcommands. */
#include "ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgconn.h"

int
ctl_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "dialhookctl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'dialhookctl %s --help')\n", cmd);
	return CTL_EXIT_USAGE;
}

int
ctl_error(const char *cmd, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "dialhookctl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_EXIT_RUNTIME;
}

int
ctl_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

PGconn *
ctl_connect(const struct ctl *ctl, const char *cmd)
{
	PGconn	*pq;
	char	 msg[512];

	if (ctl->cfg.database_url == NULL) {
		(void)ctl_error(cmd, "DATABASE_URL is not set (export DATABASE_URL=postgresql://user@host:port/db)");
		return NULL;
	}
	pq = PQconnectdb(ctl->cfg.database_url);
	if (PQstatus(pq) != CONNECTION_OK) {
		pgconn_trim_error(PQerrorMessage(pq), msg, sizeof(msg));
		(void)ctl_error(cmd, "could not connect to the database: %s (check DATABASE_URL)", msg);
		PQfinish(pq);
		return NULL;
	}
	return pq;
}

PGresult *
ctl_exec(PGconn *pq, const char *cmd, const char *sql, int nparams,
    const char *const *values, ExecStatusType want)
{
	PGresult	*res = PQexecParams(pq, sql, nparams, NULL, values, NULL, NULL, 0);
	char		 msg[1024];

	if (PQresultStatus(res) != want) {
		pgconn_trim_error(PQresultErrorMessage(res), msg, sizeof(msg));
		(void)ctl_error(cmd, "%s", msg);
		PQclear(res);
		return NULL;
	}
	return res;
}

int
ctl_walk_ids(PGconn *pq, struct ctl_walk *w)
{
	PGresult	*res;

	snprintf(w->last, sizeof(w->last), "0");
	w->params[0] = w->last;
	for (;;) {
		res = ctl_exec(pq, w->cmd, w->sql, w->nparams, w->params, PGRES_TUPLES_OK);
		if (res == NULL)
			return -1;
		if (PQgetisnull(res, 0, 0)) {
			PQclear(res);
			return 0;
		}
		snprintf(w->last, sizeof(w->last), "%s", PQgetvalue(res, 0, 0));
		for (int i = 0; i < w->ncounts; i++)
			w->counts[i] += strtoll(PQgetvalue(res, 0, i + 1), NULL, 10);
		PQclear(res);
		if (w->progress != NULL)
			w->progress(w);
	}
}

void
ctl_wake(PGconn *pq)
{
	PQclear(PQexec(pq, "SELECT dialhook_wake()"));
}
