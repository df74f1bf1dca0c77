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
 *             sorts below every event with one. The event_timestamp a value came
 *             from is kept in calls.newest_ms[slot] (slots are fixed forever:
 *             a new NEWEST column takes the next free one). Ties compare the
 *             values: text, json and labels as text in byte order, numbers
 *             numerically.
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
	/* column		type		payload path		rule		newest slot */ \
	X(status,		CT_STATUS,	"",			MR_RANK,	0) \
	X(state,		CT_TEXT,	"",			MR_NEWEST,	1) \
	X(direction,		CT_TEXT,	"direction",		MR_GREATEST,	0) \
	X(external_number,	CT_TEXT,	"external_number",	MR_GREATEST,	0) \
	X(internal_number,	CT_TEXT,	"internal_number",	MR_GREATEST,	0) \
	X(master_call_id,	CT_INT8,	"master_call_id",	MR_GREATEST,	0) \
	X(entry_point_call_id,	CT_INT8,	"entry_point_call_id",	MR_GREATEST,	0) \
	X(operator_call_id,	CT_INT8,	"operator_call_id",	MR_NEWEST,	2) \
	X(target_type,		CT_TEXT,	"target.type",		MR_NEWEST,	3) \
	X(target_id,		CT_INT8,	"target.id",		MR_NEWEST,	4) \
	X(target_name,		CT_TEXT,	"target.name",		MR_NEWEST,	5) \
	X(target_email,		CT_TEXT,	"target.email",		MR_NEWEST,	6) \
	X(target_phone,		CT_TEXT,	"target.phone",		MR_NEWEST,	7) \
	X(target_office_id,	CT_INT8,	"target.office_id",	MR_NEWEST,	8) \
	X(contact_id,		CT_TEXTNUM,	"contact.id",		MR_NEWEST,	9) \
	X(contact_type,		CT_TEXT,	"contact.type",		MR_NEWEST,	10) \
	X(contact_name,		CT_TEXT,	"contact.name",		MR_NEWEST,	11) \
	X(contact_phone,	CT_TEXT,	"contact.phone",	MR_NEWEST,	12) \
	X(contact_email,	CT_TEXT,	"contact.email",	MR_NEWEST,	13) \
	X(started_at,		CT_TS,		"date_started",		MR_LEAST,	0) \
	X(rang_at,		CT_TS,		"date_rang",		MR_LEAST,	0) \
	X(first_rang_at,	CT_TS,		"date_first_rang",	MR_LEAST,	0) \
	X(queued_at,		CT_TS,		"date_queued",		MR_LEAST,	0) \
	X(answered_at,		CT_TS,		"date_connected",	MR_LEAST,	0) \
	X(ended_at,		CT_TS,		"date_ended",		MR_GREATEST,	0) \
	X(duration_ms,		CT_MS,		"duration",		MR_GREATEST,	0) \
	X(total_duration_ms,	CT_MS,		"total_duration",	MR_GREATEST,	0) \
	X(talk_time_ms,		CT_MS,		"talk_time",		MR_GREATEST,	0) \
	X(hold_time_ms,		CT_MS,		"hold_time",		MR_GREATEST,	0) \
	X(is_internal,		CT_BOOL,	"is_internal",		MR_OR,		0) \
	X(is_transferred,	CT_BOOL,	"is_transferred",	MR_OR,		0) \
	X(was_recorded,		CT_BOOL,	"was_recorded",		MR_OR,		0) \
	X(group_id,		CT_TEXT,	"group_id",		MR_NEWEST,	14) \
	X(labels,		CT_LABELS,	"labels",		MR_NEWEST,	15) \
	X(mos_score,		CT_FLOAT8,	"mos_score",		MR_NEWEST,	16) \
	X(csat_score,		CT_TEXTNUM,	"csat_score",		MR_NEWEST,	17) \
	X(transcription_text,	CT_TEXT,	"transcription_text",	MR_NEWEST,	18) \
	X(recap_summary,	CT_TEXT,	"recap_summary",	MR_NEWEST,	19) \
	X(recap_outcome,	CT_TEXT,	"recap_outcome",	MR_NEWEST,	20) \
	X(recap_action_items,	CT_JSON,	"recap_action_items",	MR_NEWEST,	21) \
	X(recap_purposes,	CT_JSON,	"recap_purposes",	MR_NEWEST,	22) \
	X(custom_data,		CT_JSON,	"custom_data",		MR_NEWEST,	23) \
	X(recording_url,	CT_TEXT,	"",			MR_GREATEST,	0) \
	X(voicemail_url,	CT_TEXT,	"",			MR_GREATEST,	0) \
	X(seen_blocked,		CT_BOOL,	"",			MR_OR,		0) \
	X(seen_voicemail,	CT_BOOL,	"",			MR_OR,		0) \
	X(last_event_at,	CT_TS,		"event_timestamp",	MR_GREATEST,	0) \
	X(outcome,		CT_TEXT,	"",			MR_DERIVED,	0)

/* CC_status, CC_state, ...: a column's index in the table (and in call_row.col[]). */
enum call_col {
#define CALL_COL_ENUM(name, type, path, rule, slot) CC_##name,
	CALL_COLUMNS(CALL_COL_ENUM)
#undef CALL_COL_ENUM
	CC_N
};

/* The highest newest slot in use (calls.newest_ms has this many elements). */
#define CALL_NEWEST_SLOTS 23

struct call_column {
	const char		*name;
	enum call_col_type	 type;
	const char		*path;		/* "" when derived */
	size_t			 pathlen;
	enum call_col_rule	 rule;
	int			 slot;		/* NEWEST: 1 .. CALL_NEWEST_SLOTS, else 0 */
};

extern const struct call_column call_columns[CC_N];

/* The SQL type of a column ("text", "int8", "timestamptz", ...). */
const char	*call_col_sqltype(enum call_col_type t);

/*
 * 0 if the table is consistent: names unique, every rule fits its column's
 * type (there is an SQL and a C form of it), NEWEST columns hold the slots
 * 1 .. CALL_NEWEST_SLOTS once each and no other column has a slot, paths are
 * unique and at most one level deep, and exactly the columns handlers.c
 * derives have no path; otherwise -1 with the reason in err. Checked at
 * start-up (call_columns_check) and by the unit tests (any table).
 */
int		 call_columns_check(char *err, size_t errlen);
int		 call_columns_check_table(const struct call_column *t, size_t n, char *err, size_t errlen);

#endif
