/* columns.c: the calls column table and its consistency check (see columns.h). */
#include "columns.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

const struct call_column call_columns[CC_N] = {
#define CALL_COL_ROW(name, type, path, rule, slot) \
	[CC_##name] = { #name, type, path, sizeof(path) - 1, rule, slot },
	CALL_COLUMNS(CALL_COL_ROW)
#undef CALL_COL_ROW
};

/* The columns handlers.c derives itself; every other column has a payload path. */
static const enum call_col derived_cols[] = {
	CC_status, CC_state, CC_recording_url, CC_voicemail_url, CC_seen_blocked, CC_seen_voicemail,
	CC_outcome,
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
is_derived(enum call_col k)
{
	for (size_t i = 0; i < DH_ARRAY_LEN(derived_cols); i++)
		if (derived_cols[i] == k)
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

/* The slots of the NEWEST columns: 1 .. CALL_NEWEST_SLOTS, each once; 0 elsewhere. */
static int
check_slots(char *err, size_t errlen)
{
	bool	 used[CALL_NEWEST_SLOTS + 1] = { false };

	for (int k = 0; k < CC_N; k++) {
		const struct call_column *c = &call_columns[k];
		bool newest = c->rule == MR_NEWEST;

		if (newest != (c->slot != 0) || c->slot < 0 || c->slot > CALL_NEWEST_SLOTS ||
		    (newest && used[c->slot])) {
			util_set_err(err, errlen, "column %s has a bad newest slot %d", c->name, c->slot);
			return -1;
		}
		used[c->slot] = true;
	}
	for (int s = 1; s <= CALL_NEWEST_SLOTS; s++)
		if (!used[s]) {
			util_set_err(err, errlen, "newest slot %d is unused", s);
			return -1;
		}
	return 0;
}

/* Paths: unique, at most one '.', present exactly on the non-derived columns. */
static int
check_paths(char *err, size_t errlen)
{
	for (int k = 0; k < CC_N; k++) {
		const struct call_column *c = &call_columns[k];
		const char *dot = strchr(c->path, '.');

		if ((c->path[0] == '\0') != is_derived((enum call_col)k) ||
		    (dot != NULL && (dot == c->path || dot[1] == '\0' || strchr(dot + 1, '.') != NULL))) {
			util_set_err(err, errlen, "column %s has a bad payload path '%s'", c->name, c->path);
			return -1;
		}
		for (int j = 0; j < k; j++)
			if (c->path[0] != '\0' && strcmp(c->path, call_columns[j].path) == 0) {
				util_set_err(err, errlen, "columns %s and %s read the same path", call_columns[j].name,
				    c->name);
				return -1;
			}
	}
	return 0;
}

int
call_columns_check(char *err, size_t errlen)
{
	for (int k = 0; k < CC_N; k++) {
		const struct call_column *c = &call_columns[k];

		if (c->name == NULL || !rule_fits_type(c->rule, c->type)) {
			util_set_err(err, errlen, "column %d has no rule fitting its type", k);
			return -1;
		}
	}
	return check_slots(err, errlen) == 0 ? check_paths(err, errlen) : -1;
}
