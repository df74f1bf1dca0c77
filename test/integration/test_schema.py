"""Foundation: migrations, schema shape, the shared wake-up, the config docs."""
import os
import select
import subprocess

import psycopg2

from conftest import TOP, binpath, query, run_ctl


def test_migrate_twice_is_noop(fresh_db):
    r1 = run_ctl(fresh_db, "migrate")
    assert r1.returncode == 0, r1.stderr
    assert "applied 001_init" in r1.stdout
    r2 = run_ctl(fresh_db, "migrate")
    assert r2.returncode == 0, r2.stderr
    assert "up to date" in r2.stdout
    c = psycopg2.connect(fresh_db)
    versions = query(c, "SELECT version FROM schema_migrations ORDER BY version")
    assert versions[0] == (1,)
    assert len(versions) == len(set(versions))
    st = run_ctl(fresh_db, "migrate", "--status")
    assert st.returncode == 0 and "applied  001_init" in st.stdout and "pending" not in st.stdout
    c.close()


def test_upgrade_from_001_keeps_data_and_dedupe(fresh_db):
    """A database created by 001 alone (as deployed before 002) upgrades in place."""
    c = psycopg2.connect(fresh_db)
    c.autocommit = True
    cur = c.cursor()
    cur.execute("CREATE TABLE schema_migrations (version int PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())")
    with open(os.path.join(TOP, "sql", "001_init.sql")) as f:
        cur.execute(f.read())
    cur.execute("INSERT INTO schema_migrations (version, name) VALUES (1, 'init')")
    cur.execute("INSERT INTO webhook_events (app_id, event_type, dedupe_key, payload)"
                " SELECT 'app-' || (i % 3), 'hangup', 'call:' || i, '{}' FROM generate_series(1, 1000) i")
    cur.execute("INSERT INTO calls (app_id, dialpad_call_id) VALUES ('app-1', 42)")
    before = query(c, "SELECT pg_relation_filenode('webhook_events')")

    r = run_ctl(fresh_db, "migrate")
    assert r.returncode == 0, r.stderr
    assert "applied 002_cheaper_indexes" in r.stdout and "001_init" not in r.stdout

    # a collation-only change keeps the table's storage: no rewrite of the queue
    assert query(c, "SELECT pg_relation_filenode('webhook_events')") == before
    assert query(c, "SELECT count(*) FROM webhook_events") == [(1000,)]
    assert query(c, """SELECT attname, collname FROM pg_attribute a JOIN pg_collation l ON l.oid = a.attcollation
                       WHERE attrelid IN ('webhook_events'::regclass, 'calls'::regclass)
                         AND attname IN ('app_id', 'dedupe_key') ORDER BY attrelid, attname""") == [
        ("app_id", "C"), ("dedupe_key", "C"), ("app_id", "C")]
    assert query(c, """SELECT am.amname FROM pg_class i JOIN pg_am am ON am.oid = i.relam
                       WHERE i.relname = 'webhook_events_received_at'""") == [("brin",)]
    # the rebuilt unique keys still refuse duplicates, and range scans still find rows
    ins = ("INSERT INTO webhook_events (app_id, event_type, dedupe_key, payload)"
           " VALUES (%s, 'hangup', %s, '{}') ON CONFLICT (app_id, dedupe_key) DO NOTHING")
    cur.execute(ins, ("app-1", "call:1"))       # 1 % 3 = 1: stored before the upgrade
    assert cur.rowcount == 0
    cur.execute(ins, ("app-1", "call:2"))       # call:2 belongs to app-2
    assert cur.rowcount == 1
    cur.execute("SET enable_seqscan = off")
    assert query(c, "SELECT count(*) FROM webhook_events WHERE received_at > now() - interval '1 hour'") == [(1001,)]
    c.close()


def test_failed_migration_leaves_database_as_it_was(fresh_db):
    c = psycopg2.connect(fresh_db)
    c.autocommit = True
    query(c, "CREATE TABLE calls (x int)")      # collides with 001_init
    r = run_ctl(fresh_db, "migrate")
    assert r.returncode == 1
    assert 'relation "calls" already exists' in r.stderr
    assert query(c, "SELECT to_regclass('webhook_events')") == [(None,)]
    assert query(c, "SELECT count(*) FROM schema_migrations") == [(0,)]
    c.close()


def test_migrate_without_database_url_is_an_error():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    r = subprocess.run([binpath("dialhookctl"), "migrate"], env=env, capture_output=True, text=True)
    assert r.returncode == 1
    assert "DATABASE_URL is not set" in r.stderr


def test_unreachable_database_is_a_runtime_error():
    r = run_ctl("postgresql://postgres@127.0.0.1:1/nope?connect_timeout=2", "migrate")
    assert r.returncode == 1 and "could not connect" in r.stderr


def columns(c, table):
    return dict(query(c, """SELECT column_name, data_type || ':' || is_nullable
                            FROM information_schema.columns WHERE table_name = %s""", table))


def test_webhook_events_shape(sql):
    cols = columns(sql, "webhook_events")
    assert cols == {
        "id": "bigint:NO", "app_id": "text:NO", "event_type": "text:NO", "dedupe_key": "text:NO",
        "payload": "json:NO", "received_at": "timestamp with time zone:NO",
        "processed_at": "timestamp with time zone:YES", "attempts": "integer:NO",
        "next_attempt_at": "timestamp with time zone:YES", "last_error": "text:YES",
        "dead_at": "timestamp with time zone:YES",
    }
    assert query(sql, "SELECT attidentity FROM pg_attribute WHERE attrelid = 'webhook_events'::regclass"
                      " AND attname = 'id'") == [("a",)]
    # UNIQUE (app_id, dedupe_key): a second insert of the same key is a no-op
    ins = ("INSERT INTO webhook_events (event_type, dedupe_key, payload) VALUES ('t', 'k', '{}')"
           " ON CONFLICT DO NOTHING RETURNING id")
    assert len(query(sql, ins)) == 1
    assert query(sql, ins) == []
    assert query(sql, "SELECT app_id, attempts FROM webhook_events") == [("default", 0)]
    opts = query(sql, "SELECT reloptions FROM pg_class WHERE relname = 'webhook_events'")[0][0]
    assert "fillfactor=90" in opts and any(o.startswith("autovacuum_vacuum_scale_factor") for o in opts)


def test_due_claim_is_an_index_scan(sql):
    query(sql, """INSERT INTO webhook_events (event_type, dedupe_key, payload, processed_at)
                  SELECT 't', 'k' || g, '{}', CASE WHEN g % 100 = 0 THEN NULL ELSE now() END
                  FROM generate_series(1, 20000) g""")
    query(sql, "ANALYZE webhook_events")
    plan = "\n".join(r[0] for r in query(sql, """EXPLAIN SELECT id FROM webhook_events
        WHERE processed_at IS NULL AND dead_at IS NULL
          AND (next_attempt_at IS NULL OR next_attempt_at <= now())
        ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED"""))
    assert "webhook_events_due" in plan, plan


def test_calls_shape_and_constraints(sql):
    cols = columns(sql, "calls")
    for name, typ in {"app_id": "text", "dialpad_call_id": "bigint", "status": "text", "state": "text",
                      "direction": "text", "external_number": "text", "internal_number": "text",
                      "target_type": "text", "target_id": "bigint", "target_name": "text",
                      "master_call_id": "bigint", "entry_point_call_id": "bigint",
                      "operator_call_id": "bigint", "started_at": "timestamp with time zone",
                      "answered_at": "timestamp with time zone", "ended_at": "timestamp with time zone",
                      "duration_ms": "bigint", "recording_url": "text", "voicemail_url": "text",
                      "last_event_at": "timestamp with time zone", "created_at": "timestamp with time zone",
                      "updated_at": "timestamp with time zone"}.items():
        assert cols[name].split(":")[0] == typ, name
    query(sql, "INSERT INTO calls (dialpad_call_id, status) VALUES (9223372036854775807, 'ringing')")
    try:
        query(sql, "INSERT INTO calls (dialpad_call_id, status) VALUES (1, 'bogus')")
        raise AssertionError("status CHECK not enforced")
    except psycopg2.errors.CheckViolation:
        pass
    try:
        query(sql, "INSERT INTO calls (dialpad_call_id, status) VALUES (9223372036854775807, 'ended')")
        raise AssertionError("UNIQUE (app_id, dialpad_call_id) not enforced")
    except psycopg2.errors.UniqueViolation:
        pass


def test_wake_reaches_a_listener(db):
    listener = psycopg2.connect(db)
    listener.autocommit = True
    query(listener, "LISTEN webhook_events")
    writer = psycopg2.connect(db)
    writer.autocommit = True
    query(writer, "SELECT dialhook_wake()")
    got = []
    for _ in range(50):
        if select.select([listener], [], [], 0.1)[0]:
            listener.poll()
            got += listener.notifies
            if got:
                break
    assert [n.channel for n in got] == ["webhook_events"]
    # and there is no NOTIFY trigger on the hot insert path
    assert query(writer, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'webhook_events'::regclass") == [(0,)]
    listener.close()
    writer.close()


def test_configuration_doc_matches_the_table():
    table = subprocess.run([binpath("dialhookctl"), "config-table"], capture_output=True, text=True,
                           check=True).stdout
    with open(os.path.join(TOP, "docs", "configuration.md")) as f:
        doc = f.read()
    begin, end = "<!-- config-table:begin -->\n", "<!-- config-table:end -->"
    assert begin in doc and end in doc
    documented = doc.split(begin, 1)[1].split(end, 1)[0]
    assert documented == table, "docs/configuration.md is stale: run 'make docs-config'"


SQL_TYPES = {"CT_STATUS": "text", "CT_TEXT": "text", "CT_TEXTNUM": "text", "CT_INT8": "bigint",
             "CT_TS": "timestamp with time zone", "CT_MS": "bigint", "CT_BOOL": "boolean",
             "CT_FLOAT8": "double precision", "CT_JSON": "json", "CT_LABELS": "ARRAY"}


def test_calls_has_every_column_of_the_processor_table(sql):
    """processor/columns.h and the migrations agree: each column with its type, and a bigint
    <column>_event_ms beside each NEWEST one; call_recordings and call_sessions exist."""
    from calls_oracle import COLUMNS
    cols = columns(sql, "calls")
    for name, typ, path, rule in COLUMNS:
        assert cols[name].split(":")[0] == SQL_TYPES[typ], name
        if rule == "MR_NEWEST":
            assert cols[name + "_event_ms"].split(":")[0] == "bigint", name
    assert columns(sql, "call_recordings") == {
        "id": "bigint:NO", "app_id": "text:NO", "dialpad_call_id": "bigint:NO", "url": "text:NO",
        "recording_id": "text:YES", "recording_type": "text:YES", "duration_ms": "bigint:YES",
        "started_at": "timestamp with time zone:YES"}
    assert set(columns(sql, "call_sessions")) == {
        "app_id", "root_call_id", "legs", "started_at", "ended_at", "answered", "answered_at",
        "answered_target_type", "answered_target_id", "answered_target_name", "talk_time_ms"}
    try:
        query(sql, "INSERT INTO calls (dialpad_call_id, outcome) VALUES (1, 'bogus')")
        raise AssertionError("outcome CHECK not enforced")
    except psycopg2.errors.CheckViolation:
        pass


def test_every_calls_column_is_documented():
    """docs/events.md names every column of processor/columns.h (adding one means a doc line)."""
    from calls_oracle import COLUMNS
    with open(os.path.join(TOP, "docs", "events.md")) as f:
        doc = f.read()
    missing = [c[0] for c in COLUMNS if f"`{c[0]}`" not in doc]
    assert not missing, f"docs/events.md does not name: {missing}"
