"""calls and call_recordings against the real PostgreSQL (issue 11): each lifecycle gives exact
rows in every permutation of its events, with a duplicate, across batch sizes 1 to 500; a
property test over every column (random events, random orders and batchings: the SQL merge
must equal the C merge and the oracle's); wrong-typed fields; call_sessions; and the upgrade of
a database at 002 followed by a backfill.

Permutations are spread over app_ids in one database (app_id is part of the key, so each
permutation builds its own rows) and drained once per batch size, so a batch boundary falls at
every offset of a lifecycle. The expected rows come from calls_oracle.py (written from the
rules in docs/events.md, not from the C code), and each lifecycle also states by hand what a
person expects of it.
"""
import itertools
import json
import os
import random
import uuid

import psycopg2
import psycopg2.extras

from calls_oracle import COLUMNS, NAMES, calls_sql, dumps, field_errors, oracle, recordings_sql
from conftest import TOP, connect, http_request, processor_once, query, run_ctl, start_processor

BATCH_SIZES = (1, 2, 3, 7, 500)


def insert_rows(conn, rows):
    """rows: [(app_id, event_type, payload)], each with a unique dedupe key, in claim order."""
    with conn.cursor() as cur:
        psycopg2.extras.execute_values(
            cur, "INSERT INTO webhook_events (app_id, event_type, dedupe_key, payload) VALUES %s",
            [(a, t, uuid.uuid4().hex, p if isinstance(p, str) else dumps(p)) for a, t, p in rows],
            page_size=5000)


def by_app(rows):
    out = {}
    for r in rows:
        out.setdefault(r[0], []).append(tuple(r[1:]))
    return out


def strip_app(rows):
    return [tuple(r[1:]) for r in rows]


def orders(events, max_orders, rng):
    """Every permutation of the events' indexes, or max_orders random ones if there are more."""
    n = len(events)
    if len(list(itertools.islice(itertools.permutations(range(n)), max_orders + 1))) <= max_orders:
        return list(itertools.permutations(range(n)))
    return [tuple(rng.sample(range(n), n)) for _ in range(max_orders)]


def check_all_orders(daemons, db, sql, events, max_orders=720, batch_sizes=BATCH_SIZES, seed=1):
    """Each order of events (plus one event delivered twice) under its own app, drained with each
    batch size: every app ends with the oracle's calls and call_recordings rows. Returns them."""
    rng = random.Random(seed)
    want_calls, want_recs = oracle(events, "x")
    want_calls, want_recs = strip_app(want_calls), strip_app(want_recs)
    perms = orders(events, max_orders, rng)
    rows = []
    for i, perm in enumerate(perms):
        app = f"p{i:04d}"
        evs = [events[j] for j in perm]
        evs.insert(rng.randrange(len(evs) + 1), events[rng.randrange(len(events))])   # a redelivery
        rows += [(app, t, p) for t, p in evs]
    for bs in batch_sizes:
        query(sql, "TRUNCATE webhook_events, calls, call_recordings")
        insert_rows(sql, rows)
        processor_once(daemons, db, timeout=300, DIALHOOK_BATCH_SIZE=bs)
        calls, recs = by_app(query(sql, calls_sql())), by_app(query(sql, recordings_sql()))
        assert len(calls) == len(perms)
        for i, perm in enumerate(perms):
            app = f"p{i:04d}"
            assert calls[app] == want_calls, f"batch size {bs}, order {perm}: calls differ"
            assert recs.get(app, []) == want_recs, f"batch size {bs}, order {perm}: recordings differ"
        assert query(sql, "SELECT count(*) FROM webhook_events WHERE processed_at IS NULL") == [(0,)]
    return want_calls, want_recs


def row_of(calls, cid):
    """One leg's row (without app_id) as {column: value}."""
    (r,) = [r for r in calls if r[0] == cid]
    return dict(zip(NAMES[1:], r))


# ---------------------------------------------------------------- lifecycles

T0 = 1767261600000
CID = 5850000000000001
BASE = {"call_id": CID, "direction": "inbound", "external_number": "+14155550123",
        "internal_number": "+14155550100", "date_started": T0,
        "contact": {"id": 6100000000000001, "type": "local", "name": "(415) 555-0123",
                    "phone": "+14155550123"},
        "target": {"id": 5200000000000001, "type": "user", "name": "Ana Ortiz", "email": "ana@example.com",
                   "office_id": 5100000000000001}}


def ev(state, ts, base=BASE, **kw):
    return ("call." + state, dict(base, state=state, event_timestamp=ts, **kw))


REC = {"id": "4800000000000001", "recording_type": "callrecording", "duration": 179500.0,
       "start_time": T0 + 8800, "url": "https://dialpad.example.invalid/recordings/4800000000000001.mp3"}
ANSWERED = dict(date_connected=T0 + 8300)
ENDED = dict(ANSWERED, date_ended=T0 + 188300, duration=180000.0, total_duration=188300.0, talk_time=179000,
             hold_time=1000, mos_score=4.41, was_recorded=True)


def test_answered_recorded_transcribed_recapped(daemons, db, sql):
    events = [
        ev("ringing", T0 + 900, date_first_rang=T0 + 400),
        ev("connected", T0 + 8700, **ANSWERED),
        ev("hangup", T0 + 189055, **ENDED),
        ev("recording", T0 + 250230, **ENDED, recording_details=[REC]),
        ev("call_transcription", T0 + 400000, **ENDED, transcription_text="Hello, Ana speaking."),
        ev("recap_summary", T0 + 500000, **ENDED, recap_summary="Moved the appointment.",
           recap_outcome="resolved", recap_action_items=["send confirmation"]),
    ]
    calls, recs = check_all_orders(daemons, db, sql, events)
    r = row_of(calls, CID)
    assert (r["status"], r["state"], r["outcome"]) == ("ended", "hangup", "answered")
    assert r["answered_at"] == T0 + 8300 and r["ended_at"] == T0 + 188300 and r["first_rang_at"] == T0 + 400
    assert (r["duration_ms"], r["total_duration_ms"], r["talk_time_ms"], r["hold_time_ms"]) == (
        180000, 188300, 179000, 1000)
    assert r["recording_url"] == REC["url"] and r["was_recorded"] is True and r["mos_score"] == 4.41
    assert r["transcription_text"] == "Hello, Ana speaking."
    assert r["recap_summary"] == "Moved the appointment." and r["recap_outcome"] == "resolved"
    assert json.loads(r["recap_action_items"]) == ["send confirmation"]
    assert r["contact_id"] == "6100000000000001" and r["target_office_id"] == 5100000000000001
    assert r["last_event_at"] == T0 + 500000
    assert recs == [(CID, REC["url"], "4800000000000001", "callrecording", 179500, T0 + 8800)]


def test_lost_hangup_healed_by_a_post_call_event(daemons, db, sql):
    """The hangup delivery was lost; the recap minutes later says when the call ended."""
    events = [
        ev("ringing", T0 + 900),
        ev("connected", T0 + 8700, **ANSWERED),
        ev("recap_summary", T0 + 500000, **ENDED, recap_summary="Short call."),
    ]
    calls, _ = check_all_orders(daemons, db, sql, events)
    r = row_of(calls, CID)
    assert (r["status"], r["state"], r["outcome"]) == ("ended", "connected", "answered")
    assert r["ended_at"] == T0 + 188300 and r["recap_summary"] == "Short call."


def test_missed(daemons, db, sql):
    events = [
        ev("ringing", T0 + 900),
        ev("hangup", T0 + 25350, date_ended=T0 + 25000, duration=0, total_duration=25000.0, talk_time=0),
        ev("missed", T0 + 25400, date_ended=T0 + 25000, duration=0),
        ev("postcall", T0 + 30000, date_ended=T0 + 25000),
    ]
    calls, recs = check_all_orders(daemons, db, sql, events)
    r = row_of(calls, CID)
    assert (r["status"], r["state"], r["outcome"]) == ("ended", "missed", "missed")
    assert r["answered_at"] is None and r["talk_time_ms"] == 0 and recs == []


def test_voicemail_with_transcript(daemons, db, sql):
    vm = "https://dialpad.example.invalid/secureblob/voicemail/4900000000000004"
    done = dict(date_ended=T0 + 62000, duration=0, total_duration=62000.0)
    events = [
        ev("ringing", T0 + 900),
        ev("voicemail", T0 + 62100, **done),
        ev("voicemail_uploaded", T0 + 70511, **done, voicemail_link=vm,
           voicemail_recording_id="4900000000000004",
           recording_details=[{"id": "4900000000000004", "recording_type": "voicemail", "url": vm,
                               "duration": 31000, "start_time": T0 + 30000}]),
        ev("transcription", T0 + 130000, **done, transcription_text="Hi, it's Sam, please call me back."),
    ]
    calls, recs = check_all_orders(daemons, db, sql, events)
    r = row_of(calls, CID)
    assert (r["status"], r["state"], r["outcome"]) == ("ended", "voicemail", "voicemail")
    assert r["voicemail_url"] == vm and r["recording_url"] is None
    assert r["transcription_text"] == "Hi, it's Sam, please call me back."
    assert recs == [(CID, vm, "4900000000000004", "voicemail", 31000, T0 + 30000)]


CC, AGENT_A, AGENT_B = 5850000000000100, 5850000000000999, 5850000000000200


def call_center_events():
    """A call-center leg whose operator moves from agent A (rings, does not answer) to agent B.
    A's id is the greater, so the old "greatest id" rule would keep the wrong one."""
    cc = dict(BASE, call_id=CC, target={"id": 5300000000000001, "type": "callcenter", "name": "Support"},
              group_id="CallCenter:5300000000000001")
    a = dict(BASE, call_id=AGENT_A, entry_point_call_id=CC,
             target={"id": 5200000000000007, "type": "user", "name": "Al Ames"})
    b = dict(BASE, call_id=AGENT_B, entry_point_call_id=CC,
             target={"id": 5200000000000001, "type": "user", "name": "Ana Ortiz"})
    cc_end = dict(date_connected=T0 + 20000, date_ended=T0 + 140000, talk_time=120000)
    return [
        ev("queued", T0 + 500, cc, date_queued=T0 + 300),
        ev("ringing", T0 + 1000, cc, operator_call_id=AGENT_A),
        ev("ringing", T0 + 1100, a),
        ev("missed", T0 + 16000, a, date_ended=T0 + 15900, talk_time=0),
        ev("ringing", T0 + 16100, cc, operator_call_id=AGENT_B),
        ev("ringing", T0 + 16200, b),
        ev("connected", T0 + 20100, b, date_connected=T0 + 20000),
        ev("connected", T0 + 20150, cc, operator_call_id=AGENT_B, date_connected=T0 + 20000),
        ev("hangup", T0 + 140100, b, date_connected=T0 + 20000, date_ended=T0 + 140000, talk_time=120000),
        ev("hangup", T0 + 140200, cc, **cc_end),     # the last event names no operator: it stays B
    ]


def test_call_center_operator_moves_to_the_answering_agent(daemons, db, sql):
    events = call_center_events()
    calls, _ = check_all_orders(daemons, db, sql, events, max_orders=300, batch_sizes=(1, 3, 500))
    cc = row_of(calls, CC)
    assert cc["operator_call_id"] == AGENT_B
    assert (cc["outcome"], cc["queued_at"]) == ("answered", T0 + 300)
    assert cc["group_id"] == "CallCenter:5300000000000001"
    assert row_of(calls, AGENT_A)["outcome"] == "missed"
    assert row_of(calls, AGENT_B)["outcome"] == "answered"
    # one human call: the agents' legs hang off the call-center leg
    query(sql, "TRUNCATE webhook_events, calls, call_recordings")
    insert_rows(sql, [("default", t, p) for t, p in events])
    processor_once(daemons, db, timeout=300)
    assert query(sql, """SELECT root_call_id, legs, (extract(epoch FROM started_at) * 1000)::int8,
                                (extract(epoch FROM ended_at) * 1000)::int8, answered,
                                answered_target_type, answered_target_id, answered_target_name, talk_time_ms
                         FROM call_sessions""") == [
        (CC, 3, T0, T0 + 140000, True, "user", 5200000000000001, "Ana Ortiz", 120000)]


def test_three_recordings_on_one_leg(daemons, db, sql):
    seg = [dict(REC, id=f"48000000000000{i}", url=f"https://dialpad.example.invalid/r/{i}.mp3",
                duration=60000 * i, start_time=T0 + 9000 * i) for i in (1, 2)]
    admin = dict(REC, id="4800000000000003", recording_type="admincallrecording",
                 url="https://dialpad.example.invalid/r/admin.mp3")
    events = [
        ev("hangup", T0 + 189055, **ENDED),
        ev("recording", T0 + 250230, **ENDED, recording_details=[seg[0]]),
        ev("recording", T0 + 260230, **ENDED, recording_details=[seg[0], seg[1]]),
        ev("admin_recording", T0 + 270230, **ENDED, recording_details=[admin]),
    ]
    calls, recs = check_all_orders(daemons, db, sql, events)
    r = "https://dialpad.example.invalid/r/"
    assert [(x[1], x[3]) for x in recs] == [(r + "1.mp3", "callrecording"), (r + "2.mp3", "callrecording"),
                                           (r + "admin.mp3", "admincallrecording")]
    r = row_of(calls, CID)
    assert r["recording_url"] == "https://dialpad.example.invalid/r/admin.mp3" and r["state"] == "hangup"


def test_recording_url_as_string_and_as_array(daemons, db, sql):
    a, b = "https://x.invalid/a.mp3", "https://x.invalid/b.mp3"
    events = [
        ("call.recording.completed", {"call_id": CID, "recording_url": a, "event_timestamp": T0 + 1}),
        ("call.recording", {"call_id": CID, "state": "recording", "recording_url": [a, b],
                            "event_timestamp": T0 + 2}),
        ev("recording", T0 + 3, recording_details=[{"id": 7, "recording_type": "callrecording", "url": a}]),
        ev("hangup", T0 + 4, date_ended=T0 + 4),
    ]
    calls, recs = check_all_orders(daemons, db, sql, events)
    assert recs == [(CID, a, "7", "callrecording", None, None), (CID, b, None, None, None, None)]
    assert row_of(calls, CID)["recording_url"] == b
    assert query(sql, "SELECT count(*) FROM webhook_events WHERE attempts <> 0") == [(0,)]


def test_timestamps_beyond_2_53_agree_in_every_batching(daemons, db, sql):
    """Through a double, 2^53 + 1 and 2^53 are the same number; here they must not be."""
    big = 2**53
    events = [
        ev("connected", big, date_connected=big - 5, operator_call_id=2),
        ev("hangup", big + 1, date_connected=big - 5, date_ended=big + 1, operator_call_id=1),
        ev("ringing", big - 1, date_started=big - 10),
    ]
    calls, _ = check_all_orders(daemons, db, sql, events)
    r = row_of(calls, CID)
    assert (r["state"], r["operator_call_id"]) == ("hangup", 1)
    assert (r["last_event_at"], r["ended_at"]) == (big + 1, big + 1)
    assert r["started_at"] == T0 and r["answered_at"] == big - 5      # the earliest date_started
    assert query(sql, "SELECT count(DISTINCT last_event_at) FROM calls") == [(1,)]


# ---------------------------------------------------------------- every column, random events

STATES = ["calling", "ringing", "preanswer", "queued", "connected", "hold", "parked", "merged", "takeover",
          "barge", "monitor", "eavesdrop", "admin", "admin_recording", "blocked", "hangup", "missed",
          "postcall", "voicemail", "voicemail_uploaded", "recording", "transcription", "call_transcription",
          "csat", "pcsat", "dispositions", "recap_summary", "recap_outcome", "recap_purposes",
          "recap_action_items", "ai_playbook"]
TEXTS = ["a", "b", "B", "a b", "é", "", "q\"x\\", "NULL"]


def random_value(rng, typ):
    """A value of a column type from a small pool (so ties happen), or now and then a wrong one."""
    if rng.random() < 0.06:
        return rng.choice([{"x": 1}, [1], True, "not a number" if typ != "CT_TEXT" else 5])
    if typ in ("CT_TEXT", "CT_TEXTNUM"):
        return rng.choice(TEXTS + ([7, 4.5] if typ == "CT_TEXTNUM" else []))
    if typ in ("CT_INT8",):
        return rng.choice([1, 2, 9007199254740993, "5850000000000001", -3])
    if typ == "CT_TS":
        return rng.choice([T0, T0 + 1, 2**53, 2**53 + 1, 0, -1000])
    if typ == "CT_MS":
        return rng.choice([0, 1.5, 2.5, 180000.4, 10, "12"])
    if typ == "CT_BOOL":
        return rng.choice([True, False])
    if typ == "CT_FLOAT8":
        return rng.choice([4.41, 3.0, -0.0, 1e-3])
    if typ == "CT_JSON":
        return rng.choice([{"k": 1}, ["x", "y"], "s", 7, {"k": 1, "a": [True, None]}])
    if typ == "CT_LABELS":
        return rng.sample(TEXTS, rng.randint(0, 3))
    raise AssertionError(typ)


def random_event(rng, cid):
    state = rng.choice(STATES)
    p = {"call_id": rng.choice([cid, str(cid)])}
    if rng.random() < 0.8:
        p["state"] = state if rng.random() < 0.9 else rng.choice(["", 7])
    if rng.random() < 0.85:
        p["event_timestamp"] = rng.choice([T0, T0 + 1, T0 + 2, 2**53, 2**53 + 1])
    for name, typ, path, rule in COLUMNS:
        if not path or path == "event_timestamp" or rng.random() < 0.55:
            continue
        obj, _, leaf = path.rpartition(".")
        (p.setdefault(obj, {}) if obj else p)[leaf] = random_value(rng, typ)
        if rng.random() < 0.05:
            (p.setdefault(obj, {}) if obj else p)[leaf] = None
    if rng.random() < 0.3:
        p["recording_details"] = [{"id": rng.choice(["r1", 2, None]), "url": rng.choice(["u1", "u2", ""]),
                                   "recording_type": rng.choice(["callrecording", "voicemail", None]),
                                   "duration": rng.choice([5, 6.5, None]),
                                   "start_time": rng.choice([T0, None])}
                                  for _ in range(rng.randint(0, 3))]
    if rng.random() < 0.2:
        p["recording_url"] = rng.choice(["u1", ["u2", "u3"], ["u1", 5]])
    if rng.random() < 0.2:
        p["voicemail_link"] = rng.choice(["v1", "u1", ""])
    if rng.random() < 0.05:
        p["target"] = rng.choice([[], "x"])
    return ("call." + state, p)


def test_every_column_c_merge_equals_sql_merge(daemons, db, sql):
    """Random events of a few legs, every column random (ties, missing timestamps, wrong types):
    in random orders with duplicates and random batch sizes, the rows always equal the oracle's,
    whether the merge happened in C (one batch), in SQL (batch size 1) or mixed."""
    rng = random.Random(11)
    events = [random_event(rng, 5850000000000001 + rng.randrange(6)) for _ in range(150)]
    want_calls, want_recs = oracle(events)
    assert len(want_calls) == 6
    for size in (500, 1, 2, 5, 13, 64):
        query(sql, "TRUNCATE webhook_events, calls, call_recordings")
        perm = events + rng.sample(events, 40)
        rng.shuffle(perm)
        insert_rows(sql, [("default", t, p) for t, p in perm])
        processor_once(daemons, db, timeout=300, DIALHOOK_BATCH_SIZE=size)
        assert [tuple(r) for r in query(sql, calls_sql())] == want_calls, f"batch size {size}"
        assert [tuple(r) for r in query(sql, recordings_sql())] == want_recs, f"batch size {size}"
        assert query(sql, "SELECT count(*) FROM webhook_events WHERE processed_at IS NULL") == [(0,)]


# ---------------------------------------------------------------- tolerant, classified failures

def test_wrong_typed_fields_are_counted_and_the_event_processed(daemons, db, sql):
    events = [
        ("call.hangup", {"call_id": 1, "state": "hangup", "recording_url": ["https://x.invalid/a", 5],
                         "duration": -1, "target": {"office_id": 1.5, "name": "kept"},
                         "event_timestamp": 10}),
        ("call.hangup", {"call_id": 2, "state": "hangup", "date_started": "yesterday", "labels": "vip"}),
        ("call.ringing", {"call_id": 3, "state": "ringing", "direction": "inbound"}),
    ]
    insert_rows(sql, [("default", t, p) for t, p in events])
    d = start_processor(daemons, db)
    import time
    for _ in range(200):
        if query(sql, "SELECT count(*) FROM webhook_events WHERE processed_at IS NULL") == [(0,)]:
            break
        time.sleep(0.05)
    assert query(sql, "SELECT count(*) FROM webhook_events WHERE processed_at IS NOT NULL AND attempts = 0"
                      " AND last_error IS NULL") == [(3,)]
    assert [tuple(r) for r in query(sql, calls_sql())] == oracle(events)[0]
    assert query(sql, "SELECT target_name, recording_url FROM calls WHERE dialpad_call_id = 1") == [
        ("kept", "https://x.invalid/a")]
    body = http_request("GET", d.port, "/metrics")[2].decode()
    want = {}
    for f in field_errors(events):
        want[f] = want.get(f, 0) + 1
    assert want == {"recording_url": 1, "duration": 1, "target.office_id": 1, "date_started": 1, "labels": 1}
    for f, n in want.items():
        assert f'dialhook_processor_field_errors_total{{field="{f}"}} {n}' in body
    assert 'dialhook_processor_field_errors_total{field="contact.email"} 0' in body
    lines = [ln for ln in d.logtext().splitlines() if "ignored optional fields of the wrong type" in ln]
    assert len(lines) == 1 and "events=2" in lines[0], lines      # one line per batch
    assert "date_started:1" in lines[0] and "recording_url:1" in lines[0]


# ---------------------------------------------------------------- upgrade from 002

def test_upgrade_from_002_then_reprocess_fills_the_new_columns(daemons, fresh_db):
    """A database built by 001+002 with processed events and their calls rows; migrate to 003 (no
    rewrite of webhook_events), then `dialhookctl reprocess --all` fills the new columns."""
    c = connect(fresh_db)
    cur = c.cursor()
    cur.execute("CREATE TABLE schema_migrations (version int PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())")
    for v, name in ((1, "init"), (2, "cheaper_indexes")):
        with open(os.path.join(TOP, "sql", f"{v:03d}_{name}.sql")) as f:
            cur.execute(f.read())
        cur.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (v, name))
    events = [
        ev("ringing", T0 + 900, date_first_rang=T0 + 400),
        ev("connected", T0 + 8700, **ANSWERED),
        ev("hangup", T0 + 189055, **ENDED),
        ev("recording", T0 + 250230, **ENDED, recording_details=[REC]),
        ev("recap_summary", T0 + 500000, **ENDED, recap_summary="Moved the appointment."),
    ]
    insert_rows(c, [("default", t, p) for t, p in events])
    # what the 002 processor left: every event processed, a calls row of the old columns
    cur.execute("UPDATE webhook_events SET processed_at = now()")
    cur.execute("""INSERT INTO calls (dialpad_call_id, status, state, started_at, answered_at, ended_at,
                   duration_ms, recording_url, last_event_at)
                   VALUES (%s, 'ended', 'recording', to_timestamp(%s / 1000.0), to_timestamp(%s / 1000.0),
                           to_timestamp(%s / 1000.0), 180000, %s, to_timestamp(%s / 1000.0))""",
                (CID, T0, T0 + 8300, T0 + 188300, REC["url"], T0 + 250230))
    before = query(c, "SELECT pg_relation_filenode('webhook_events')")
    r = run_ctl(fresh_db, "migrate")
    assert r.returncode == 0, r.stderr
    assert "applied 003_calls_fidelity" in r.stdout
    assert query(c, "SELECT pg_relation_filenode('webhook_events')") == before
    assert query(c, "SELECT talk_time_ms, outcome, recap_summary FROM calls") == [(None, None, None)]
    r = run_ctl(fresh_db, "reprocess", "--all")
    assert r.returncode == 0 and "reset 5 events to due" in r.stdout, r.stdout + r.stderr
    processor_once(daemons, fresh_db, timeout=300)
    got = query(c, "SELECT state, outcome, talk_time_ms, recap_summary, contact_name,"
                   " first_rang_at IS NOT NULL FROM calls")
    assert got == [("hangup", "answered", 179000, "Moved the appointment.", "(415) 555-0123", True)]
    assert query(c, "SELECT url, recording_type FROM call_recordings") == [(REC["url"], "callrecording")]
    # the backfilled row is the row a fresh build gives
    assert [tuple(r) for r in query(c, calls_sql())] == oracle(events)[0]
    c.close()
