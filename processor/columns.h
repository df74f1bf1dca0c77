/*
 * columns.h: the calls columns the processor writes, as one table.
 *
 * Each row names a column of `calls`, its type, where it comes from in a
 * Dialpad call event, and its merge rule. The table drives everything a
 * column needs (the way cfg_options[] drives config): extraction from the
 * payload (handlers.c), the in-memory merge and equality (callrow.c), the
 * upsert's column list, its ON CONFLICT rules and its parameter types
 * (batch.c, generated once at start-up), and the rendering of each batch's
 * parameters. Adding a column is one row here plus a migration in sql/.
 *
 * Payload paths are top-level members ("date_started") or one level down
 * ("target.office_id"). An empty path marks a column derived by
 * handlers.c from other facts (status, state, the recording URLs, the
 * "seen" facts, outcome).
 *
 * Merge rules (every one ignores nulls, so a value is never overwritten with
 * null; every one is commutative, associative and idempotent):
 *   RANK      status: highest of ringing < active < ended
 *   GREATEST  greatest value; text in byte order (COLLATE "C")
 *   LEAST     least value
 *   OR        boolean: true if any event said true, false if only false was seen
 *   NEWEST    the value of the event with the greatest (event_timestamp, value)
 *             among the events that carry one; an event without event_timestamp
 *             sorts below every event with one. The event_timestamp (epoch ms)
 *             a value came from is kept beside it, in calls.<column>_event_ms
 *             (NULL: from an event without one). Ties compare the values:
 *             text, json and labels as text in byte order, numbers numerically.
 *   DERIVED   outcome: a pure function of the merged row (callrow.h)
 */
#ifndef DH_COLUMNS_H
#define DH_COLUMNS_H

#include <stddef.h>

enum call_col_type {
	CT_STATUS,	/* text; a rank in memory (enum call_status) */
	CT_TEXT,	/* text from a JSON string; "" counts as absent */
	CT_TEXTNUM,	/* text from a JSON string, or a JSON number kept as its text */
	CT_INT8,	/* bigint: an exact int64 from a JSON integer or a digit string */
	CT_TS,		/* timestamptz from exact int64 epoch milliseconds */
	CT_MS,		/* bigint milliseconds from a JSON number, rounded, 0 .. 10^12 */
	CT_BOOL,	/* boolean */
	CT_FLOAT8,	/* double precision */
	CT_JSON,	/* json: any JSON value, verbatim */
	CT_LABELS,	/* text[] from an array of strings ([] is a value) */
};

enum call_col_rule {
	MR_RANK,
	MR_GREATEST,
	MR_LEAST,
	MR_OR,
	MR_NEWEST,
	MR_DERIVED,
};

/* The table, in the upsert's parameter order. */
#define CALL_COLUMNS(X) \
	/* column		type		payload path		rule */ \
	X(status,		CT_STATUS,	"",			MR_RANK) \
	X(state,		CT_TEXT,	"",			MR_NEWEST) \
	X(direction,		CT_TEXT,	"direction",		MR_GREATEST) \
	X(external_number,	CT_TEXT,	"external_number",	MR_GREATEST) \
	X(internal_number,	CT_TEXT,	"internal_number",	MR_GREATEST) \
	X(master_call_id,	CT_INT8,	"master_call_id",	MR_GREATEST) \
	X(entry_point_call_id,	CT_INT8,	"entry_point_call_id",	MR_GREATEST) \
	X(operator_call_id,	CT_INT8,	"operator_call_id",	MR_NEWEST) \
	X(target_type,		CT_TEXT,	"target.type",		MR_NEWEST) \
	X(target_id,		CT_INT8,	"target.id",		MR_NEWEST) \
	X(target_name,		CT_TEXT,	"target.name",		MR_NEWEST) \
	X(target_email,		CT_TEXT,	"target.email",		MR_NEWEST) \
	X(target_phone,		CT_TEXT,	"target.phone",		MR_NEWEST) \
	X(target_office_id,	CT_INT8,	"target.office_id",	MR_NEWEST) \
	X(contact_id,		CT_TEXTNUM,	"contact.id",		MR_NEWEST) \
	X(contact_type,		CT_TEXT,	"contact.type",		MR_NEWEST) \
	X(contact_name,		CT_TEXT,	"contact.name",		MR_NEWEST) \
	X(contact_phone,	CT_TEXT,	"contact.phone",	MR_NEWEST) \
	X(contact_email,	CT_TEXT,	"contact.email",	MR_NEWEST) \
	X(started_at,		CT_TS,		"date_started",		MR_LEAST) \
	X(rang_at,		CT_TS,		"date_rang",		MR_LEAST) \
	X(first_rang_at,	CT_TS,		"date_first_rang",	MR_LEAST) \
	X(queued_at,		CT_TS,		"date_queued",		MR_LEAST) \
	X(answered_at,		CT_TS,		"date_connected",	MR_LEAST) \
	X(ended_at,		CT_TS,		"date_ended",		MR_GREATEST) \
	X(duration_ms,		CT_MS,		"duration",		MR_GREATEST) \
	X(total_duration_ms,	CT_MS,		"total_duration",	MR_GREATEST) \
	X(talk_time_ms,		CT_MS,		"talk_time",		MR_GREATEST) \
	X(hold_time_ms,		CT_MS,		"hold_time",		MR_GREATEST) \
	X(is_internal,		CT_BOOL,	"is_internal",		MR_OR) \
	X(is_transferred,	CT_BOOL,	"is_transferred",	MR_OR) \
	X(was_recorded,		CT_BOOL,	"was_recorded",		MR_OR) \
	X(group_id,		CT_TEXT,	"group_id",		MR_NEWEST) \
	X(labels,		CT_LABELS,	"labels",		MR_NEWEST) \
	X(mos_score,		CT_FLOAT8,	"mos_score",		MR_NEWEST) \
	X(csat_score,		CT_TEXTNUM,	"csat_score",		MR_NEWEST) \
	X(transcription_text,	CT_TEXT,	"transcription_text",	MR_NEWEST) \
	X(recap_summary,	CT_TEXT,	"recap_summary",	MR_NEWEST) \
	X(recap_outcome,	CT_TEXT,	"recap_outcome",	MR_NEWEST) \
	X(recap_action_items,	CT_JSON,	"recap_action_items",	MR_NEWEST) \
	X(recap_purposes,	CT_JSON,	"recap_purposes",	MR_NEWEST) \
	X(custom_data,		CT_JSON,	"custom_data",		MR_NEWEST) \
	X(recording_url,	CT_TEXT,	"",			MR_GREATEST) \
	X(voicemail_url,	CT_TEXT,	"",			MR_GREATEST) \
	X(seen_blocked,		CT_BOOL,	"",			MR_OR) \
	X(seen_voicemail,	CT_BOOL,	"",			MR_OR) \
	X(last_event_at,	CT_TS,		"event_timestamp",	MR_GREATEST) \
	X(outcome,		CT_TEXT,	"",			MR_DERIVED)

/* CC_status, CC_state, ...: a column's index in the table (and in call_row.col[]). */
enum call_col {
#define CALL_COL_ENUM(name, type, path, rule) CC_##name,
	CALL_COLUMNS(CALL_COL_ENUM)
#undef CALL_COL_ENUM
	CC_N
};

/* How many columns are NEWEST (each has a <column>_event_ms beside it). */
enum {
#define CALL_COL_IS_NEWEST(name, type, path, rule) + ((rule) == MR_NEWEST)
	CALL_NNEWEST = 0 CALL_COLUMNS(CALL_COL_IS_NEWEST)
#undef CALL_COL_IS_NEWEST
};

struct call_column {
	const char		*name;
	enum call_col_type	 type;
	const char		*path;		/* "" when derived */
	size_t			 pathlen;
	enum call_col_rule	 rule;
};

extern const struct call_column call_columns[CC_N];

/* The SQL type of a column ("text", "int8", "timestamptz", ...). */
const char	*call_col_sqltype(enum call_col_type t);

/*
 * 0 if the table is consistent: names unique and short enough for a
 * NEWEST column's <column>_event_ms to be a PostgreSQL identifier, every
 * rule fits its column's type (there is an SQL and a C form of it), paths
 * are unique and at most one level deep, and exactly the columns handlers.c
 * derives have no path; otherwise -1 with the reason in err. Checked at
 * start-up (call_columns_check) and by the unit tests (any table).
 */
int		 call_columns_check(char *err, size_t errlen);
int		 call_columns_check_table(const struct call_column *t, size_t n, char *err, size_t errlen);

#endif
