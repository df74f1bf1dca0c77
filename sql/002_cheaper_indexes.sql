-- 002_cheaper_indexes: make the per-event index maintenance cheaper.
--
-- Marking an event processed cannot be a HOT update (processed_at is in the
-- due index's predicate), so every mark inserts a new entry into every index
-- of webhook_events; so does every ingest insert. These are the bulk of a
-- drain's PostgreSQL time (docs/benchmarks.md, "What bounds the drain").
--
-- 1. The key columns compare bytewise. app_id and dedupe_key are identifiers,
--    never shown sorted to a person, so a linguistic collation buys nothing
--    and costs a strcoll() per comparison in the unique indexes that ingest's
--    ON CONFLICT and the processor's upsert probe. Equality is the same under
--    any deterministic collation, so no existing key changes meaning. The
--    column type does not change: no table rewrite, the indexes that use the
--    columns are rebuilt.
-- 2. received_at is only ever range-filtered (retention, reprocess --since/
--    --until, stats) and grows with id, so a BRIN index answers those scans
--    at a fraction of a B-tree's size, and inserting into it is nearly free.
--    No autosummarize: during a fast drain it queues more summarization
--    requests than autovacuum keeps (each dropped one is a server LOG line);
--    a range not summarized yet is simply scanned, and the table's frequent
--    autovacuum (001) summarizes ranges as it goes.
--
-- On a large table this takes an exclusive lock while the indexes rebuild;
-- see docs/operations.md ("Deploying", upgrades).

ALTER TABLE webhook_events
	ALTER COLUMN app_id TYPE text COLLATE "C",
	ALTER COLUMN dedupe_key TYPE text COLLATE "C";

ALTER TABLE calls
	ALTER COLUMN app_id TYPE text COLLATE "C";

DROP INDEX webhook_events_received_at;
CREATE INDEX webhook_events_received_at ON webhook_events
	USING brin (received_at);
