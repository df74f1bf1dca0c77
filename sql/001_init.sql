-- 001_init: the queue of received webhooks, the calls they describe, and the
-- wake-up function every writer uses. Applied in one transaction by
-- `dialhookctl migrate`, which records it in schema_migrations.

-- webhook_events is the queue. Ingest inserts each validated webhook once
-- (UNIQUE (app_id, dedupe_key) + ON CONFLICT DO NOTHING turns redeliveries into
-- no-ops); the processor claims due rows and sets processed_at (or, on failure,
-- attempts/next_attempt_at/last_error, and finally dead_at).
CREATE TABLE webhook_events (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	app_id		text NOT NULL DEFAULT 'default',
	event_type	text NOT NULL,
	dedupe_key	text NOT NULL,
	-- json, not jsonb: stored verbatim; jsonb's conversion halves the insert
	-- ceiling (COPY of ~0.9 kB events: ~46k rows/s json vs ~24k rows/s jsonb)
	-- and nothing here needs jsonb's operators or indexing.
	payload		json NOT NULL,
	received_at	timestamptz NOT NULL DEFAULT now(),
	processed_at	timestamptz,
	attempts	int NOT NULL DEFAULT 0,
	next_attempt_at	timestamptz,
	last_error	text,
	dead_at		timestamptz,
	CONSTRAINT webhook_events_app_dedupe_key UNIQUE (app_id, dedupe_key),
	CONSTRAINT webhook_events_attempts_nonneg CHECK (attempts >= 0)
) WITH (
	-- Each row is inserted once and updated about once (marked processed), so
	-- 10% of every page is left free for that new row version to land on the
	-- same page; the old version is then pruned without a full vacuum.
	fillfactor = 90,
	-- The default trigger (20% of the table dead) lets a multi-million-row
	-- queue carry hundreds of thousands of dead tuples that the claim scan must
	-- step over. Vacuum after 1% + 1000 dead rows instead, and analyze often
	-- enough that the planner sees the due set shrink and grow. No cost delay:
	-- this table's vacuum must keep up with the insert rate.
	autovacuum_vacuum_scale_factor = 0.01,
	autovacuum_vacuum_threshold = 1000,
	autovacuum_vacuum_insert_scale_factor = 0.05,
	autovacuum_analyze_scale_factor = 0.02,
	autovacuum_vacuum_cost_delay = 0
);

-- "Due": not processed, not dead, in id order. The partial index holds only the
-- due (and retrying) rows, so it stays small however large the table grows and
-- the claim is an index scan; next_attempt_at is checked on the heap row the
-- claim locks anyway.
CREATE INDEX webhook_events_due ON webhook_events (id)
	WHERE processed_at IS NULL AND dead_at IS NULL;

-- Dead letters, for `dialhookctl dead list` and the dead-letter gauge.
CREATE INDEX webhook_events_dead ON webhook_events (dead_at)
	WHERE dead_at IS NOT NULL;

-- Retention (`dialhookctl purge`) and backfills select by received_at.
CREATE INDEX webhook_events_received_at ON webhook_events (received_at);

-- calls: one row per Dialpad call leg, built by the processor from the events.
CREATE TABLE calls (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	app_id			text NOT NULL DEFAULT 'default',
	dialpad_call_id		bigint NOT NULL,
	status			text CHECK (status IN ('ringing', 'active', 'ended')),
	state			text,
	direction		text,
	external_number		text,
	internal_number		text,
	target_type		text,
	target_id		bigint,
	target_name		text,
	master_call_id		bigint,
	entry_point_call_id	bigint,
	operator_call_id	bigint,
	started_at		timestamptz,
	answered_at		timestamptz,
	ended_at		timestamptz,
	duration_ms		bigint,
	recording_url		text,
	voicemail_url		text,
	last_event_at		timestamptz,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT calls_app_call UNIQUE (app_id, dialpad_call_id)
);

-- Grouping the legs of one human call.
CREATE INDEX calls_master_call_id ON calls (app_id, master_call_id)
	WHERE master_call_id IS NOT NULL;
CREATE INDEX calls_entry_point_call_id ON calls (app_id, entry_point_call_id)
	WHERE entry_point_call_id IS NOT NULL;
CREATE INDEX calls_started_at ON calls (started_at);

-- The one wake-up every writer (ingest, dialhookctl reprocess/dead retry) sends
-- AFTER its data commit, in its own tiny transaction, debounced per process.
-- There is deliberately no NOTIFY trigger on webhook_events: a notifying
-- transaction takes a cluster-wide lock at commit and holds it through the WAL
-- flush, which would serialize every ingest commit. Rows written by plain SQL
-- are found by the processors' fallback poll.
CREATE FUNCTION dialhook_wake() RETURNS void
	LANGUAGE sql VOLATILE
	AS $$ SELECT pg_notify('webhook_events', '') $$;
