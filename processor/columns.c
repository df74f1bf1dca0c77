/* columns.c: the calls column table and its consistency check (see columns.h). */
#include "columns.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

const struct call_column call_columns[CC_N] = {
#define CALL_COL_ROW(name, type, path, rule) \
	[CC_##name] = { #name, type, path, sizeof(path) - 1, rule },
	CALL_COLUMNS(CALL_COL_ROW)
#undef CALL_COL_ROW
};

/* The columns handlers.c derives itself; every other column has a payload path. */
static const char *const derived_cols[] = {
	"status", "state", "recording_url", "voicemail_url", "seen_blocked", "seen_voicemail", "outcome",
};

const char *
call_col_sqltype(enum call_col_type t)
{
	switch (t) {
	case CT_STATUS:
	case CT_TEXT:
	case CT_TEXTNUM:
		return "text";
	case CT_INT8:
	case CT_MS:
		return "int8";
	case CT_TS:
		return "timestamptz";
	case CT_BOOL:
		return "bool";
	case CT_FLOAT8:
		return "float8";
	case CT_JSON:
		return "json";
	case CT_LABELS:
		return "text[]";
	}
	return "text";
}

static bool
is_derived(const char *name)
{
	for (size_t i = 0; i < DH_ARRAY_LEN(derived_cols); i++)
		if (strcmp(derived_cols[i], name) == 0)
			return true;
	return false;
}

/* A rule that has an SQL and a C form for this type (json has no ordering in SQL). */
static bool
rule_fits_type(enum call_col_rule r, enum call_col_type t)
{
	switch (r) {
	case MR_RANK:
		return t == CT_STATUS;
	case MR_OR:
		return t == CT_BOOL;
	case MR_GREATEST:
	case MR_LEAST:
		return t != CT_JSON && t != CT_LABELS && t != CT_STATUS;
	case MR_NEWEST:
		return t != CT_STATUS && t != CT_BOOL;
	case MR_DERIVED:
		return t == CT_TEXT;
	}
	return false;
}

/* PostgreSQL's identifier limit (NAMEDATALEN - 1) less the "_event_ms" of a NEWEST column's companion. */
#define NAME_MAX_LEN	(63 - 9)

/* One row on its own: a name, a rule fitting its type, a sane path. */
static int
check_row(const struct call_column *c, char *err, size_t errlen)
{
	const char	*dot = strchr(c->path, '.');

	if (c->name == NULL || c->name[0] == '\0' || strlen(c->name) > NAME_MAX_LEN ||
	    !rule_fits_type(c->rule, c->type)) {
		util_set_err(err, errlen, "column %s has no rule fitting its type, or a long name",
		    c->name ? c->name : "?");
		return -1;
	}
	if ((c->path[0] == '\0') != is_derived(c->name) || c->pathlen != strlen(c->path) ||
	    (c->rule == MR_DERIVED && c->path[0] != '\0') ||
	    (dot != NULL && (dot == c->path || dot[1] == '\0' || strchr(dot + 1, '.') != NULL))) {
		util_set_err(err, errlen, "column %s has a bad payload path '%s'", c->name, c->path);
		return -1;
	}
	return 0;
}

int
call_columns_check_table(const struct call_column *t, size_t n, char *err, size_t errlen)
{
	for (size_t k = 0; k < n; k++) {
		if (check_row(&t[k], err, errlen) != 0)
			return -1;
		for (size_t j = 0; j < k; j++)
			if (strcmp(t[k].name, t[j].name) == 0 ||
			    (t[k].path[0] != '\0' && strcmp(t[k].path, t[j].path) == 0)) {
				util_set_err(err, errlen, "columns %s and %s share a name or a path",
				    t[j].name, t[k].name);
				return -1;
			}
	}
	return 0;
}

int
call_columns_check(char *err, size_t errlen)
{
	return call_columns_check_table(call_columns, CC_N, err, errlen);
}
