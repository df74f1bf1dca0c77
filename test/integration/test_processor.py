"""dialhook-processor against the throwaway PostgreSQL: exact rows per lifecycle,
order independence (a property test), concurrent processors, crashes, poison
events, a database restart, skipped types, --once and signals.

Events are inserted with plain SQL (the processor does not need ingest). The
expected `calls` rows come from the oracle in calls_oracle.py, written from the
rules in docs/events.md independently of the C code. The issue-11 lifecycles
(every permutation, every batch size) are in test_calls.py.
"""
import random
import signal
import uuid

import psycopg2
import psycopg2.extras

from calls_oracle import calls_sql, col, dumps
from calls_oracle import oracle as calls_and_recordings
from conftest import (binpath, connect, http_request, processor_env, processor_once, query, start_processor,
                      undone, wait_until)

PROC = "dialhook-processor"

ROW_SQL = calls_sql()

# ---------------------------------------------------------------- helpers

def insert(conn, events, app_id="default"):
    """events: [(event_type, payload dict or raw JSON text)]; each gets a unique dedupe key."""
    rows = [(app_id, t, uuid.uuid4().hex, p if isinstance(p, str) else dumps(p)) for t, p in events]
    with conn.cursor() as cur:
        psycopg2.extras.execute_values(
            cur, "INSERT INTO webhook_events (app_id, event_type, dedupe_key, payload) VALUES %s", rows,
            page_size=2000)


def rows(conn):
    return [tuple(r) for r in query(conn, ROW_SQL)]


def committed_events(logtext):
    n = 0
    for line in logtext.splitlines():
        if 'msg="batch committed"' in line:
            n += int(line.split(" events=", 1)[1].split()[0])
    return n


# ---------------------------------------------------------------- oracle

def oracle(events, app_id="default"):
    """The calls rows (in ROW_SQL's shape) the rules give for these events, in any order."""
    return calls_and_recordings(events, app_id)[0]


def lifecycle(rng, cid, t0):
    """One leg's events in the order they happened, as Dialpad might send them."""
    common = {"call_id": cid if rng.random() < 0.7 else str(cid), "direction": rng.choice(["inbound", "outbound"]),
              "external_number": f"+1415555{cid % 10000:04d}", "internal_number": "+14155550100",
              "date_started": t0}
    if rng.random() < 0.5:
        common["target"] = {"id": 5200000000000001, "type": "user", "name": "Ana \"Q\" Ortiz\\"}
    if rng.random() < 0.3:
        common["master_call_id"] = cid + 1000000
    ts = t0 + 100
    evs = []

    def ev(state, **kw):
        nonlocal ts
        ts += rng.randint(1, 5000)
        p = dict(common, state=state, event_timestamp=ts, **kw)
        evs.append(("call." + state, p))

    kind = rng.choice(["answered", "answered", "missed", "voicemail", "partial"])
    ev(rng.choice(["calling", "ringing", "queued"]))
    if kind == "answered":
        conn_at = t0 + rng.randint(1000, 9000)
        ev("connected", date_connected=conn_at)
        if rng.random() < 0.5:
            ev("hold", date_connected=conn_at)
        end = conn_at + rng.randint(1000, 600000)
        ev("hangup", date_connected=conn_at, date_ended=end, duration=float(end - conn_at) + 0.25)
        if rng.random() < 0.6:
            ev("recording", date_connected=conn_at, date_ended=end, recording_details=[
                {"id": "1", "recording_type": "callrecording", "url": f"https://x.invalid/r/{cid}.mp3"}])
    elif kind == "missed":
        end = t0 + rng.randint(1000, 30000)
        ev("hangup", date_ended=end, duration=0)
        if rng.random() < 0.5:
            ev("missed", date_ended=end, duration=0)
    elif kind == "voicemail":
        end = t0 + rng.randint(1000, 90000)
        ev("voicemail", date_ended=end, duration=0, voicemail_link=f"https://x.invalid/404/{cid}")
        ev("voicemail_uploaded", date_ended=end, duration=0, voicemail_link=f"https://x.invalid/vm/{cid}")
    if kind != "partial" and rng.random() < 0.5:   # post-call steps carry the whole call
        last = dict(evs[-1][1])
        last.pop("state")
        last.pop("event_timestamp")
        if rng.random() < 0.5:
            ev("recap_summary", **last, recap_summary=f"call {cid}", recap_action_items=["follow up"])
        if rng.random() < 0.5:
            ev("csat", **last, csat_score=rng.choice(["4", 5]), labels=["vip"])
    if rng.random() < 0.3:
        ev("postcall")
    return evs


def lifecycles(rng, ncalls, first_cid=5850000000100000):
    evs = []
    for i in range(ncalls):
        evs += lifecycle(rng, first_cid + i, 1767261600000 + i * 1000)
    return evs


# ---------------------------------------------------------------- fixtures F1-F8

F = {
    "F1": ("call.ringing", {"call_id": 5850000000000001, "master_call_id": None, "entry_point_call_id": None,
           "operator_call_id": None, "state": "ringing", "direction": "inbound",
           "external_number": "+14155550123", "internal_number": "+14155550100",
           "target": {"id": 5200000000000001, "type": "user", "name": "Ana Ortiz"},
           "date_started": 1767261600000, "date_first_rang": 1767261600400, "date_connected": None,
           "date_ended": None, "duration": None, "recording_details": [], "event_timestamp": 1767261600912}),
    "F2": ("call.connected", {"call_id": 5850000000000001, "state": "connected", "direction": "inbound",
           "external_number": "+14155550123", "internal_number": "+14155550100",
           "target": {"id": 5200000000000001, "type": "user", "name": "Ana Ortiz"},
           "date_started": 1767261600000, "date_connected": 1767261608300, "date_ended": None,
           "duration": None, "event_timestamp": 1767261608701}),
    "F3": ("call.hangup", {"call_id": 5850000000000001, "state": "hangup", "direction": "inbound",
           "external_number": "+14155550123", "internal_number": "+14155550100",
           "target": {"id": 5200000000000001, "type": "user", "name": "Ana Ortiz"},
           "date_started": 1767261600000, "date_connected": 1767261608300, "date_ended": 1767261788300,
           "duration": 180000.0, "total_duration": 188300.0, "event_timestamp": 1767261789055}),
    "F4": ("call.recording", {"call_id": 5850000000000001, "state": "recording", "direction": "inbound",
           "external_number": "+14155550123", "internal_number": "+14155550100",
           "date_started": 1767261600000, "date_connected": 1767261608300, "date_ended": 1767261788300,
           "duration": 180000.0, "recording_details": [{"id": "4800000000000001", "recording_type": "callrecording",
           "url": "https://dialpad.example.invalid/recordings/4800000000000001.mp3"}],
           "event_timestamp": 1767261850230}),
    "F5": ("call.calling", {"call_id": 5850000000000002, "state": "calling", "direction": "outbound",
           "external_number": "+12125550188", "internal_number": "+14155550100",
           "target": {"id": 5200000000000001, "type": "user", "name": "Ana Ortiz"},
           "date_started": 1767265200000, "date_connected": None, "event_timestamp": 1767265200150}),
    "F6": ("call.hangup", {"call_id": 5850000000000002, "state": "hangup", "direction": "outbound",
           "external_number": "+12125550188", "internal_number": "+14155550100",
           "target": {"id": 5200000000000001, "type": "user", "name": "Ana Ortiz"},
           "date_started": 1767265200000, "date_connected": 1767265209000, "date_ended": 1767265304000,
           "duration": 95000.0, "event_timestamp": 1767265304820}),
    "F7": ("call.hangup", {"call_id": 5850000000000003, "state": "hangup", "direction": "inbound",
           "external_number": "+13105550147", "internal_number": "+14155550100",
           "target": {"id": 5200000000000001, "type": "user", "name": "Ana Ortiz"},
           "date_started": 1767268800000, "date_connected": None, "date_ended": 1767268825350, "duration": 0,
           "voicemail_link": None, "event_timestamp": 1767268826004}),
    "F8": ("call.voicemail_uploaded", {"call_id": 5850000000000004, "state": "voicemail_uploaded",
           "direction": "inbound", "external_number": "+16505550166", "internal_number": "+14155550100",
           "target": {"id": 5200000000000001, "type": "user", "name": "Ana Ortiz"},
           "date_started": 1767272400000, "date_connected": None, "date_ended": 1767272462000, "duration": 0,
           "voicemail_link": "https://dialpad.example.invalid/secureblob/voicemail/4900000000000004",
           "recording_details": [{"id": "4900000000000004", "recording_type": "voicemail",
           "url": "https://dialpad.example.invalid/secureblob/voicemail/4900000000000004"}],
           "event_timestamp": 1767272470511}),
}

ANA = {"target_type": "user", "target_id": 5200000000000001, "target_name": "Ana Ortiz"}
# what a person reading F1-F8 expects; the full rows must also equal the oracle's
EXPECTED = [
    dict(dialpad_call_id=5850000000000001, status="ended", state="hangup", outcome="answered",
         direction="inbound", started_at=1767261600000, answered_at=1767261608300, ended_at=1767261788300,
         duration_ms=180000, total_duration_ms=188300, last_event_at=1767261850230,
         recording_url="https://dialpad.example.invalid/recordings/4800000000000001.mp3", voicemail_url=None,
         **ANA),
    dict(dialpad_call_id=5850000000000002, status="ended", state="hangup", outcome="answered",
         direction="outbound", started_at=1767265200000, answered_at=1767265209000, ended_at=1767265304000,
         duration_ms=95000, recording_url=None, last_event_at=1767265304820, **ANA),
    dict(dialpad_call_id=5850000000000003, status="ended", state="hangup", outcome="missed",
         answered_at=None, ended_at=1767268825350, duration_ms=0, last_event_at=1767268826004, **ANA),
    dict(dialpad_call_id=5850000000000004, status="ended", state=None, outcome="voicemail",
         answered_at=None, ended_at=1767272462000, last_event_at=1767272470511,
         voicemail_url="https://dialpad.example.invalid/secureblob/voicemail/4900000000000004", **ANA),
]


def check_expected(got):
    assert len(got) == len(EXPECTED)
    for row, want in zip(got, EXPECTED):
        assert {k: col(row, k) for k in want} == want


# ---------------------------------------------------------------- tests

def test_help_and_version():
    import subprocess
    r = subprocess.run([binpath(PROC), "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("dialhook-processor ")
    r = subprocess.run([binpath(PROC), "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "DIALHOOK_BATCH_SIZE" in r.stdout and "--once" in r.stdout


def test_once_on_empty_queue_exits_0(daemons, db):
    d = processor_once(daemons, db)
    assert "drained, exiting (--once)" in d.logtext()


def test_fixture_lifecycles_give_exact_rows(daemons, db, sql):
    events = [F[k] for k in ("F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8")]
    insert(sql, events)
    processor_once(daemons, db)
    check_expected(rows(sql))
    assert rows(sql) == oracle(events)
    assert query(sql, "SELECT count(*) FROM webhook_events WHERE processed_at IS NULL OR attempts <> 0") == [(0,)]


def test_fixtures_in_reverse_one_per_batch(daemons, db, sql):
    """Newest first, one event per transaction: a recording or hangup that arrives first creates the row."""
    insert(sql, [F[k] for k in ("F8", "F7", "F6", "F5", "F4", "F3", "F2", "F1")])
    processor_once(daemons, db, DIALHOOK_BATCH_SIZE=1)
    check_expected(rows(sql))


def test_hangup_alone_sets_answered_at(daemons, db, sql):
    insert(sql, [F["F3"]])
    processor_once(daemons, db)
    (r,) = rows(sql)
    assert col(r, "status") == "ended" and col(r, "answered_at") == 1767261608300
    assert col(r, "ended_at") == 1767261788300 and col(r, "outcome") == "answered"


def test_permutation_property(daemons, db, sql):
    """Random lifecycles; many random permutations with duplicates, split across
    batches of random small sizes: every run gives the oracle's rows."""
    rng = random.Random(4)
    events = lifecycles(rng, 25)
    want = oracle(events)
    assert len(want) == 25
    for run in range(12):
        query(sql, "TRUNCATE webhook_events, calls")
        perm = events + rng.sample(events, rng.randint(0, len(events) // 2))   # duplicates
        rng.shuffle(perm)
        insert(sql, perm)
        processor_once(daemons, db, DIALHOOK_BATCH_SIZE=rng.choice([1, 2, 3, 5, 7, 16, 500]))
        got = rows(sql)
        assert got == want, f"run {run}: rows differ from the oracle"
        assert undone(sql) == 0


def test_three_processors_process_each_event_once(daemons, db, sql):
    rng = random.Random(3)
    events = []
    first = 5850000001000000
    for i in range(2500):
        evs = lifecycle(rng, first + i, 1767261600000 + i)
        while len(evs) < 4:
            evs.append(evs[-1])
        events += evs[:4]
    rng.shuffle(events)
    assert len(events) == 10000
    # every transition to processed is recorded: an event processed twice would show up twice
    query(sql, "CREATE TABLE processed_log (id bigint NOT NULL)")
    query(sql, """CREATE FUNCTION log_processed() RETURNS trigger LANGUAGE plpgsql AS $$
                  BEGIN INSERT INTO processed_log VALUES (NEW.id); RETURN NEW; END $$""")
    query(sql, """CREATE TRIGGER log_processed AFTER UPDATE OF processed_at ON webhook_events
                  FOR EACH ROW WHEN (NEW.processed_at IS NOT NULL) EXECUTE FUNCTION log_processed()""")
    insert(sql, events)
    procs = [start_processor(daemons, db, DIALHOOK_BATCH_SIZE=100) for _ in range(3)]
    wait_until(lambda: undone(sql) == 0, "the queue to drain", timeout=120)
    assert query(sql, "SELECT count(*), count(DISTINCT id) FROM processed_log") == [(10000, 10000)]
    assert query(sql, "SELECT count(*) FROM webhook_events WHERE attempts <> 0 OR processed_at IS NULL") == [(0,)]
    assert rows(sql) == oracle(events)
    for p in procs:
        assert p.stop() == 0
    assert sum(committed_events(p.logtext()) for p in procs) == 10000


def test_kill_9_mid_drain_then_restart(daemons, db, sql):
    rng = random.Random(9)
    events = lifecycles(rng, 4000)
    rng.shuffle(events)
    insert(sql, events)
    total = len(events)
    d = start_processor(daemons, db, DIALHOOK_BATCH_SIZE=20)
    wait_until(lambda: undone(sql) < total - 200, "some batches", timeout=60, daemon=d)
    d.proc.kill()
    d.proc.wait()
    left = undone(sql)
    assert 0 < left < total, "kill -9 did not land mid-drain; the test proves nothing"
    processor_once(daemons, db)
    assert undone(sql) == 0
    assert rows(sql) == oracle(events)


def test_poison_events_die_while_others_flow(daemons, db, sql):
    """A data failure is dead at once; a write the database refuses is retried, then dead."""
    rng = random.Random(5)
    good = lifecycles(rng, 60)
    # a write PostgreSQL refuses for this one leg, whatever the batch (a stand-in for a server-side
    # refusal the processor cannot foresee)
    query(sql, """CREATE FUNCTION refuse_77() RETURNS trigger LANGUAGE plpgsql AS $$
                  BEGIN IF NEW.dialpad_call_id = 77 THEN RAISE EXCEPTION 'call 77 refused'
                  USING ERRCODE = '22023'; END IF; RETURN NEW; END $$""")
    query(sql, "CREATE TRIGGER refuse_77 BEFORE INSERT OR UPDATE ON calls FOR EACH ROW EXECUTE FUNCTION refuse_77()")
    insert(sql, good[:100])
    insert(sql, [("call.hangup", {"state": "hangup", "event_timestamp": 1})])               # no call_id
    insert(sql, [("call.hangup", {"call_id": 77, "state": "hangup", "date_started": 1})])   # refused
    insert(sql, good[100:])
    poison = [r[0] for r in query(sql, "SELECT id FROM webhook_events WHERE payload->>'call_id' IS NULL"
                                       " OR payload->>'call_id' = '77' ORDER BY id")]
    assert len(poison) == 2
    d = start_processor(daemons, db, DIALHOOK_MAX_ATTEMPTS=3, DIALHOOK_RETRY_BASE_MS=20,
                        DIALHOOK_RETRY_MAX_MS=40, DIALHOOK_POLL_INTERVAL_MS=50, DIALHOOK_BATCH_SIZE=50)
    wait_until(lambda: query(sql, "SELECT count(*) FROM webhook_events WHERE dead_at IS NOT NULL")[0][0] == 2,
               "both poison events to die", timeout=60, daemon=d)
    dead = query(sql, "SELECT id, attempts, last_error, processed_at FROM webhook_events"
                      " WHERE dead_at IS NOT NULL ORDER BY id")
    assert [r[0] for r in dead] == poison
    assert dead[0][1:] == (1, "data: no usable call_id", None)          # no retries
    assert dead[1][1] == 3 and dead[1][3] is None
    assert dead[1][2].startswith("database: ERROR:  call 77 refused")
    assert query(sql, "SELECT count(*) FROM webhook_events WHERE dead_at IS NULL AND"
                      " (processed_at IS NULL OR attempts <> 0)") == [(0,)]
    assert rows(sql) == oracle(good)
    log = d.logtext()
    assert f"event failed\" id={poison[0]} attempt=1 dead=yes" in log, log[-3000:]
    assert f"event failed\" id={poison[1]} attempt=3 dead=yes" in log, log[-3000:]
    status, _, body = http_request("GET", d.port, "/metrics")
    assert status == 200
    assert 'dialhook_processor_events_dead_total{type="call.hangup"} 2' in body.decode()


def test_unknown_types_are_skipped(daemons, db, sql):
    insert(sql, [("sms.inbound", {"id": 1, "message_status": "pending"}), ("unknown", {"x": 1}),
                 ("call.unknown", {"call_id": 5, "state": "Bad State"}), F["F5"]])
    d = start_processor(daemons, db)
    wait_until(lambda: undone(sql) == 0, "the skipped events", timeout=60, daemon=d)
    assert query(sql, "SELECT count(*) FROM webhook_events WHERE processed_at IS NOT NULL AND attempts = 0") == [(4,)]
    assert [r[1] for r in rows(sql)] == [5850000000000002]
    wait_until(lambda: 'skipped=3' in d.logtext(), "the batch log line", timeout=60, daemon=d)
    body = http_request("GET", d.port, "/metrics")[2].decode()
    for t in ("sms.inbound", "unknown", "call.unknown"):
        assert f'dialhook_processor_events_skipped_total{{type="{t}"}} 1' in body
    assert 'dialhook_processor_events_skipped_total{type="other"} 0' in body
    assert 'dialhook_processor_events_processed_total{type="call.calling"} 1' in body


def test_notify_wakes_an_idle_processor(daemons, db, sql):
    d = start_processor(daemons, db, DIALHOOK_POLL_INTERVAL_MS=3600000)
    d.wait_log("database connected")
    insert(sql, [F["F1"]])
    query(sql, "SELECT dialhook_wake()")
    wait_until(lambda: undone(sql) == 0, "the woken drain", timeout=60, daemon=d)
    assert rows(sql)[0][2] == "ringing"


def test_sigterm_exits_0_and_healthz(daemons, db, sql):
    d = start_processor(daemons, db)
    assert http_request("GET", d.port, "/healthz")[0] == 200
    assert http_request("GET", d.port, "/readyz")[0] == 200
    d.signal(signal.SIGTERM)
    assert d.wait() == 0
    assert "processor stopped" in d.logtext()


def test_refuses_an_unmigrated_database(daemons, fresh_db):
    d = daemons.start(PROC, processor_env(fresh_db))
    assert d.wait(timeout=30) == 1
    assert "dialhookctl migrate" in d.logtext()


def test_database_restart_mid_run(daemons, db, sql, pg):
    rng = random.Random(11)
    first, second = lifecycles(rng, 20), lifecycles(rng, 20, first_cid=5850000000200000)
    insert(sql, first)
    d = start_processor(daemons, db, DIALHOOK_POLL_INTERVAL_MS=100)
    wait_until(lambda: undone(sql) == 0, "the first drain", timeout=60, daemon=d)
    sql.close()
    with pg.down():
        d.wait_log("database unavailable")
        assert d.proc.poll() is None
    conn = connect(db)
    try:
        insert(conn, second)
        wait_until(lambda: undone(conn) == 0, "the drain after the restart", timeout=60, daemon=d)
        assert rows(conn) == oracle(first + second)
        assert d.logtext().count("database connected") >= 2
    finally:
        conn.close()
    assert d.stop() == 0
