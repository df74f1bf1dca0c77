-- 003_calls_fidelity: every call fact Dialpad sends, every recording of a leg,
-- the outcome, and one row per human call.
--
-- Backward compatible and cheap on a large database: only nullable columns
-- without a default (a catalog change, no table rewrite), a CHECK added NOT
-- VALID (no scan: every existing row has outcome NULL), a new table and a
-- view. webhook_events is not touched. A processor of the previous release
-- keeps working against this schema (it writes the old columns only).
-- Existing calls rows get the new columns from their stored events with
-- `dialhookctl reprocess --all` (docs/operations.md, "Upgrading to 003").
--
-- Which payload field feeds which column and how each merges: docs/events.md
-- and processor/columns.h (the processor's column table).

ALTER TABLE calls
	ADD COLUMN target_email		text,
	ADD COLUMN target_phone		text,
	ADD COLUMN target_office_id	bigint,
	ADD COLUMN contact_id		text,
	ADD COLUMN contact_type		text,
	ADD COLUMN contact_name		text,
	ADD COLUMN contact_phone	text,
	ADD COLUMN contact_email	text,
	ADD COLUMN rang_at		timestamptz,
	ADD COLUMN first_rang_at	timestamptz,
	ADD COLUMN queued_at		timestamptz,
	ADD COLUMN total_duration_ms	bigint,
	ADD COLUMN talk_time_ms		bigint,
	ADD COLUMN hold_time_ms		bigint,
	ADD COLUMN is_internal		boolean,
	ADD COLUMN is_transferred	boolean,
	ADD COLUMN was_recorded		boolean,
	ADD COLUMN group_id		text,
	ADD COLUMN labels		text[],
	ADD COLUMN mos_score		double precision,
	ADD COLUMN csat_score		text,
	ADD COLUMN transcription_text	text,
	ADD COLUMN recap_summary	text,
	ADD COLUMN recap_outcome	text,
	ADD COLUMN recap_action_items	json,
	ADD COLUMN recap_purposes	json,
	ADD COLUMN custom_data		json,
	-- facts outcome is computed from (OR-merged): a blocked / a voicemail event was seen
	ADD COLUMN seen_blocked		boolean,
	ADD COLUMN seen_voicemail	boolean,
	-- NULL while the leg is not ended; see docs/events.md
	ADD COLUMN outcome		text,
	-- merge bookkeeping of the columns merged NEWEST (docs/events.md): the
	-- event_timestamp (epoch ms) of the event each value came from
	ADD COLUMN state_event_ms	bigint,
	ADD COLUMN operator_call_id_event_ms	bigint,
	ADD COLUMN target_type_event_ms	bigint,
	ADD COLUMN target_id_event_ms	bigint,
	ADD COLUMN target_name_event_ms	bigint,
	ADD COLUMN target_email_event_ms	bigint,
	ADD COLUMN target_phone_event_ms	bigint,
	ADD COLUMN target_office_id_event_ms	bigint,
	ADD COLUMN contact_id_event_ms	bigint,
	ADD COLUMN contact_type_event_ms	bigint,
	ADD COLUMN contact_name_event_ms	bigint,
	ADD COLUMN contact_phone_event_ms	bigint,
	ADD COLUMN contact_email_event_ms	bigint,
	ADD COLUMN group_id_event_ms	bigint,
	ADD COLUMN labels_event_ms	bigint,
	ADD COLUMN mos_score_event_ms	bigint,
	ADD COLUMN csat_score_event_ms	bigint,
	ADD COLUMN transcription_text_event_ms	bigint,
	ADD COLUMN recap_summary_event_ms	bigint,
	ADD COLUMN recap_outcome_event_ms	bigint,
	ADD COLUMN recap_action_items_event_ms	bigint,
	ADD COLUMN recap_purposes_event_ms	bigint,
	ADD COLUMN custom_data_event_ms	bigint;

ALTER TABLE calls ADD CONSTRAINT calls_outcome
	CHECK (outcome IN ('answered', 'missed', 'voicemail', 'blocked')) NOT VALID;

-- One row per distinct recording of a leg: call recordings (possibly several
-- segments), admin recordings, voicemails. Written by the processor in the
-- same statement as calls; each column other than the key is the greatest
-- value any event gave (so a URL seen both typed and untyped keeps its type).
CREATE TABLE call_recordings (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	app_id		text COLLATE "C" NOT NULL,
	dialpad_call_id	bigint NOT NULL,
	url		text COLLATE "C" NOT NULL,
	recording_id	text,
	recording_type	text,		-- callrecording, admincallrecording, voicemail, NULL
	duration_ms	bigint,
	started_at	timestamptz,
	CONSTRAINT call_recordings_leg_url UNIQUE (app_id, dialpad_call_id, url)
);

-- One row per human call. Dialpad sends one call_id per leg; a leg's root is
-- its master_call_id, else the master_call_id of its entry-point leg (an agent
-- leg points at its call-center leg that way), else its entry-point leg, else
-- the leg itself. docs/events.md ("Legs and sessions") has an example.
--   answered_*    the leg that answered: a user's leg if one answered, else
--                 the first leg to answer
--   talk_time_ms  summed over the users' legs (routing legs such as a call
--                 center's mirror the same conversation); the longest leg's
--                 when no user leg has one
CREATE VIEW call_sessions AS
WITH legs AS (
	SELECT c.*, coalesce(c.master_call_id, e.master_call_id, c.entry_point_call_id,
	    c.dialpad_call_id) AS root_call_id
	FROM calls c
	LEFT JOIN calls e ON e.app_id = c.app_id AND e.dialpad_call_id = c.entry_point_call_id
)
SELECT app_id,
	root_call_id,
	count(*) AS legs,
	min(started_at) AS started_at,
	max(ended_at) AS ended_at,
	bool_or(answered_at IS NOT NULL) AS answered,
	min(answered_at) AS answered_at,
	(array_agg(target_type ORDER BY (target_type = 'user') IS TRUE DESC, answered_at, dialpad_call_id)
	    FILTER (WHERE answered_at IS NOT NULL))[1] AS answered_target_type,
	(array_agg(target_id ORDER BY (target_type = 'user') IS TRUE DESC, answered_at, dialpad_call_id)
	    FILTER (WHERE answered_at IS NOT NULL))[1] AS answered_target_id,
	(array_agg(target_name ORDER BY (target_type = 'user') IS TRUE DESC, answered_at, dialpad_call_id)
	    FILTER (WHERE answered_at IS NOT NULL))[1] AS answered_target_name,
	coalesce(sum(talk_time_ms) FILTER (WHERE target_type = 'user'), max(talk_time_ms)) AS talk_time_ms
FROM legs
GROUP BY app_id, root_call_id;
