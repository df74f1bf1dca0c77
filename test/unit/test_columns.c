/*
 * test_columns.c: the calls column table's invariants (processor/columns.c) and the write
 * statement generated from it (batch_write_sql): every column has one rule that has a C and an
 * SQL form, and the SQL names every column with its rule and its parameter's type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../processor/batch.h"
#include "../../processor/columns.h"
#include "../../processor/handlers.h"

static void
test_table_is_consistent(void **state)
{
	char	 err[256] = "";

	(void)state;
	assert_int_equal(call_columns_check(err, sizeof(err)), 0);
	assert_int_equal(err[0], '\0');
	for (int k = 0; k < CC_N; k++) {
		assert_non_null(call_columns[k].name);
		assert_int_equal(call_columns[k].pathlen, strlen(call_columns[k].path));
	}
	/* the key columns are not in the table: they are the upsert's conflict target */
	for (int k = 0; k < CC_N; k++) {
		assert_string_not_equal(call_columns[k].name, "app_id");
		assert_string_not_equal(call_columns[k].name, "dialpad_call_id");
	}
}

/* The checker refuses each kind of broken row. */
static void
test_check_catches_bad_tables(void **state)
{
	static const struct call_column bad[][1] = {
		{ { "x", CT_TEXT, "x", 1, MR_OR } },			/* OR on text */
		{ { "x", CT_JSON, "x", 1, MR_GREATEST } },		/* no order on json */
		{ { "x", CT_BOOL, "x", 1, MR_NEWEST } },		/* NEWEST on a boolean */
		{ { "x", CT_TEXT, "x", 1, MR_DERIVED } },		/* only outcome is derived */
		{ { "x", CT_TEXT, "a.b.c", 5, MR_GREATEST } },		/* two levels deep */
		{ { "x", CT_TEXT, "", 0, MR_GREATEST } },		/* no path, not derived */
		{ { "state", CT_TEXT, "state", 5, MR_NEWEST } },	/* derived, with a path */
		{ { "a_name_so_long_that_its_event_ms_companion_is_no_identifier", CT_TEXT, "y", 1,
		    MR_NEWEST } },
	};
	static const struct call_column dup[2] = {
		{ "x", CT_TEXT, "x", 1, MR_GREATEST }, { "y", CT_TEXT, "x", 1, MR_GREATEST },
	};
	static const struct call_column dupname[2] = {
		{ "x", CT_TEXT, "x", 1, MR_NEWEST }, { "x", CT_TEXT, "y", 1, MR_NEWEST },
	};
	char	 err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(call_columns_check_table(bad[i], 1, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "column"));
	}
	assert_int_equal(call_columns_check_table(dup, 2, err, sizeof(err)), -1);
	assert_int_equal(call_columns_check_table(dupname, 2, err, sizeof(err)), -1);
	assert_int_equal(call_columns_check_table(dupname, 1, err, sizeof(err)), 0);
}

/* Every payload path has a field-error label, and the labels are unique. */
static void
test_field_labels(void **state)
{
	(void)state;
	for (int f = 0; f < PF_N; f++) {
		const char *n = payload_field_name(f);

		if (f < CC_N)
			assert_true((n == NULL) == (call_columns[f].path[0] == '\0'));
		else
			assert_non_null(n);
		for (int g = 0; n != NULL && g < f; g++)
			if (payload_field_name(g) != NULL)
				assert_string_not_equal(payload_field_name(g), n);
	}
}

/* How many times needle occurs in s. */
static int
count(const char *s, const char *needle)
{
	int	 n = 0;

	for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* The statement is generated from the table: each column with its rule and parameter type. */
static void
test_write_sql_from_the_table(void **state)
{
	char	*sql = batch_write_sql();
	char	 want[256];

	(void)state;
	assert_non_null(sql);
	for (int k = 0; k < CC_N; k++) {
		const struct call_column *c = &call_columns[k];
		const char *t = c->type == CT_LABELS ? "text" : call_col_sqltype(c->type);

		snprintf(want, sizeof(want), "$%d::%s[]", BP_COLS + k + 1, t);
		assert_non_null(strstr(sql, want));
		switch (c->rule) {
		case MR_RANK:
			snprintf(want, sizeof(want), "%s = (ARRAY['ringing','active','ended'])[GREATEST(",
			    c->name);
			break;
		case MR_GREATEST:
		case MR_OR:
			snprintf(want, sizeof(want), "%s = GREATEST(c.%s", c->name, c->name);
			break;
		case MR_LEAST:
			snprintf(want, sizeof(want), "%s = LEAST(c.%s", c->name, c->name);
			break;
		case MR_NEWEST:
			snprintf(want, sizeof(want), "%s = CASE WHEN (EXCLUDED.%s IS NOT NULL AND "
			    "(c.%s IS NULL OR (coalesce(EXCLUDED.%s_event_ms, ", c->name, c->name, c->name,
			    c->name);
			assert_non_null(strstr(sql, want));
			snprintf(want, sizeof(want), ", %s_event_ms = CASE WHEN (EXCLUDED.%s IS NOT NULL",
			    c->name, c->name);
			break;
		case MR_DERIVED:
			snprintf(want, sizeof(want), "%s = CASE WHEN 'ended' IN (c.status, EXCLUDED.status)",
			    c->name);
			break;
		}
		assert_non_null(strstr(sql, want));
		/* each column is set exactly once in the calls upsert */
		snprintf(want, sizeof(want), " %s = ", c->name);
		assert_int_equal(count(strstr(sql, " up AS ("), want), 1);
	}
	/* every parameter is used, none beyond */
	for (int p = 1; p <= BATCH_NPARAMS; p++) {
		snprintf(want, sizeof(want), "$%d::", p);
		assert_int_equal(count(sql, want), 1);
	}
	snprintf(want, sizeof(want), "$%d::", BATCH_NPARAMS + 1);
	assert_null(strstr(sql, want));
	/* the lock order: events, then recordings, then calls */
	assert_true(strstr(sql, "FROM done") < strstr(sql, "FROM rec"));
	assert_true(strstr(sql, "FROM rec") < strstr(sql, "FROM up"));
	free(sql);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_consistent),
		cmocka_unit_test(test_check_catches_bad_tables),
		cmocka_unit_test(test_field_labels),
		cmocka_unit_test(test_write_sql_from_the_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
