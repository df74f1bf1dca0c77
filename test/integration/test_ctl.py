"""dialhookctl: stats, reprocess, dead, purge, gen-events, against the throwaway
PostgreSQL and (where a test says so) the real ingest and processor daemons.

Fixture events are inserted with SQL, with explicit ids, where no daemon is
needed; a test that needs a daemon whose binary is not built fails (conftest's
binpath), as every test does in make check.
"""
import hashlib
import hmac
import json
import os
import subprocess
import uuid

import pytest

import gen_oracle
from conftest import (EXPECT_KEYS, assert_matches_expect, b64url_decode, binpath, calls_rows, free_port,
                      processor_once, query, start_ingest, start_processor, wait_until)

SECRET = "ctl-test-secret"



def ctl(db, *args, env=None, timeout=120):
    """Run dialhookctl with DATABASE_URL=db; returns the CompletedProcess."""
    full = dict(os.environ, DATABASE_URL=db or "")
    full.pop("DIALPAD_WEBHOOK_SECRET", None)
    full.update(env or {})
    return subprocess.run([binpath("dialhookctl"), *args], env=full, capture_output=True, text=True,
                          timeout=timeout)


def ok(r):
    assert r.returncode == 0, f"rc={r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    return r


def insert(sql, id, event_type="call.hangup", app="default", received="now()", processed=None,
           attempts=0, next_attempt=None, last_error=None, dead=None, payload=None):
    """One webhook_events row with an explicit id; time arguments are SQL expressions."""
    payload = payload if payload is not None else json.dumps({"call_id": id, "state": "hangup"})
    query(sql, f"""INSERT INTO webhook_events (id, app_id, event_type, dedupe_key, payload, received_at,
                   processed_at, attempts, next_attempt_at, last_error, dead_at)
                   OVERRIDING SYSTEM VALUE VALUES (%s, %s, %s, %s, %s, {received}, {processed or 'NULL'},
                   %s, {next_attempt or 'NULL'}, %s, {dead or 'NULL'})""",
          id, app, event_type, f"k:{id}:{uuid.uuid4().hex}", payload, attempts, last_error)


def ids(sql, where):
    return {r[0] for r in query(sql, f"SELECT id FROM webhook_events WHERE {where}")}


def due_ids(sql):
    """Events in the state a reset leaves: due, never tried, nothing recorded."""
    return ids(sql, "processed_at IS NULL AND dead_at IS NULL AND attempts = 0 AND next_attempt_at IS NULL"
                    " AND last_error IS NULL")


def classify(claims):
    """Ingest's event_type and dedupe_key for a native call event (common/event.h)."""
    return (f"call.{claims['state']}",
            f"call:{claims['call_id']}:{claims['state']}:{claims['event_timestamp']}")


# ---------------------------------------------------------------- usage and help

USAGE_CASES = [
    [],
    ["no-such-command"],
    ["stats", "--bogus"],
    ["reprocess", "--all", "--type", "call.*"],
    ["reprocess", "--since", "yesterday"],
    ["reprocess", "--until", "2026-13"],
    ["reprocess", "--id", "abc"],
    ["reprocess", "--id", "0"],
    ["reprocess", "--type"],
    ["reprocess", "--app", "a", "--app", "b"],
    ["dead"],
    ["dead", "bury"],
    ["dead", "retry"],
    ["dead", "retry", "--all", "--id", "1"],
    ["dead", "retry", "--type", "call.*"],
    ["dead", "show"],
    ["dead", "show", "--id", "x"],
    ["dead", "list", "--limit", "-1"],
    ["purge"],
    ["purge", "--processed-before", "30x"],
    ["purge", "--processed-before", "last tuesday"],
    ["purge", "--processed-before", "30d", "--everything"],
    ["gen-events"],
    ["gen-events", "--out", "-"],                                   # no secret, no --unsigned
    ["gen-events", "--out", "-", "--url", "http://127.0.0.1:1/"],  # both
    ["gen-events", "--url", "https://example.invalid/", "--unsigned"],
    ["gen-events", "--out", "-", "--unsigned", "--duplicates", "2"],
    ["gen-events", "--out", "-", "--unsigned", "--duplicates", "150%"],
    ["gen-events", "--out", "-", "--unsigned", "--secret", "x"],
    ["gen-events", "--out", "-", "--unsigned", "--calls", "0"],
    ["gen-events", "--out", "-", "--unsigned", "--concurrency", "many"],
]


@pytest.mark.parametrize("args", USAGE_CASES, ids=lambda a: " ".join(a) or "(none)")
def test_usage_errors_exit_2_with_a_message(db, args):
    r = ctl(db, *args)
    assert r.returncode == 2, f"{args}: rc={r.returncode} stdout={r.stdout!r} stderr={r.stderr!r}"
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert lines, f"{args}: no message on stderr"
    assert len(lines) == 1, f"{args}: want one line, got {r.stderr!r}"
    assert "dialhookctl" in lines[0] and "help" in lines[0], lines[0]


@pytest.mark.parametrize("cmd", ["stats", "reprocess", "dead", "purge", "gen-events", "migrate"])
def test_every_subcommand_has_help(cmd):
    r = ctl(None, cmd, "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"usage: dialhookctl {cmd}"), r.stdout


# ---------------------------------------------------------------- stats

def test_stats_numbers_match_a_known_set_of_events(sql, db):
    n = 0

    def add(count, **kw):
        nonlocal n
        for _ in range(count):
            n += 1
            insert(sql, n, **kw)

    old = "now() - interval '2 hours'"
    add(3, event_type="call.hangup", received=old)                                  # due, oldest
    add(1, event_type="call.hangup", received="now() - interval '10 seconds'")       # due
    add(2, event_type="call.hangup", attempts=1, next_attempt="now() + interval '1 minute'",
        last_error="boom")                                                          # retrying
    add(1, event_type="call.hangup", attempts=3, next_attempt="now() - interval '1 second'",
        last_error="boom")                                                          # retrying, claimable
    add(4, event_type="call.hangup", received="now() - interval '30 minutes'", processed="now()")
    add(2, event_type="call.hangup", attempts=10, last_error="bad", dead="now()")    # dead
    add(2, event_type="call.ringing", processed="now()")
    add(3, event_type="sms.inbound", processed="now()")                              # no handler: skipped
    add(1, event_type="sms.inbound", received="now() - interval '5 minutes'")        # due
    add(2, event_type="unknown", processed="now()", received=old)                    # skipped
    for i, st in enumerate(["ringing", "ringing", "active", "ended", "ended", "ended"]):
        query(sql, "INSERT INTO calls (dialpad_call_id, status) VALUES (%s, %s)", 1000 + i, st)

    r = ok(ctl(db, "stats", "--json"))
    s = json.loads(r.stdout)
    by = s["events"]["by_type"]
    cols = ["due", "retrying", "processed", "skipped", "dead"]
    assert {t: [by[t][c] for c in cols] for t in by} == {
        "call.hangup": [4, 3, 4, 0, 2],
        "call.ringing": [0, 0, 2, 0, 0],
        "sms.inbound": [1, 0, 0, 3, 0],
        "unknown": [0, 0, 0, 2, 0],
    }
    assert [s["events"]["total"][c] for c in cols] == [5, 3, 6, 5, 2]
    assert 7190 < s["events"]["total"]["lag_seconds"] < 7300
    assert 7190 < by["call.hangup"]["lag_seconds"] < 7300
    assert 290 < by["sms.inbound"]["lag_seconds"] < 400
    assert by["unknown"]["lag_seconds"] is None
    # received: last minute = rows inserted with received now() / 10 s ago; last hour adds 30 min / 5 min ago
    recent = query(sql, "SELECT count(*) FILTER (WHERE received_at > now() - interval '1 minute'),"
                        " count(*) FILTER (WHERE received_at > now() - interval '1 hour') FROM webhook_events")[0]
    assert (s["received"]["last_minute"], s["received"]["last_hour"]) == recent == (11, 16)
    assert s["calls"] == {"total": 6, "by_status": {"ringing": 2, "active": 1, "ended": 3}}
    assert list(s.keys()) == ["events", "received", "calls"]   # stable key order

    t = ok(ctl(db, "stats")).stdout.splitlines()
    assert t[0].split() == ["EVENT", "TYPE", "DUE", "RETRYING", "PROCESSED", "SKIPPED", "DEAD", "LAG"]
    rows = {ln.split()[0]: ln.split()[1:6] for ln in t[1:6]}
    assert rows["call.hangup"] == ["4", "3", "4", "0", "2"] and rows["total"] == ["5", "3", "6", "5", "2"]
    assert len({len(ln) for ln in t[0:6]}) == 1, t     # aligned: every table line equally wide
    assert "received: 11 in the last minute, 16 in the last hour" in t
    assert "calls:    ringing 2, active 1, ended 3 (total 6)" in t


def test_stats_on_an_empty_database(db):
    s = json.loads(ok(ctl(db, "stats", "--json")).stdout)
    assert s == {"events": {"total": {"due": 0, "retrying": 0, "processed": 0, "skipped": 0, "dead": 0,
                                      "lag_seconds": None}, "by_type": {}},
                 "received": {"last_minute": 0, "last_hour": 0},
                 "calls": {"total": 0, "by_status": {"ringing": 0, "active": 0, "ended": 0}}}


# ---------------------------------------------------------------- purge

def test_purge_deletes_exactly_the_old_processed_rows(sql, db):
    old, recent = "now() - interval '40 days'", "now() - interval '1 day'"
    insert(sql, 1, received=old, processed=old)                       # old processed: purged
    insert(sql, 2, received=old, processed=old)                       # old processed: purged
    insert(sql, 3, received=old, processed=recent)                    # processed recently: kept
    insert(sql, 4, received=old)                                      # due, old: kept
    insert(sql, 5, received=old, attempts=2, next_attempt="now() + interval '1 hour'", last_error="x")
    insert(sql, 6, received=old, attempts=2, next_attempt=old, last_error="x")   # retrying: kept
    insert(sql, 7, received=old, attempts=10, last_error="x", dead=old)          # old dead: kept
    insert(sql, 8, received=old, attempts=10, last_error="x", dead=recent)       # recent dead: kept
    # 12,000 more old processed rows: three batches
    query(sql, """INSERT INTO webhook_events (id, event_type, dedupe_key, payload, received_at, processed_at)
                  OVERRIDING SYSTEM VALUE SELECT g, 'call.hangup', 'bulk:' || g, '{}',
                  now() - interval '50 days', now() - interval '45 days' FROM generate_series(100, 12099) g""")

    r = ok(ctl(db, "purge", "--processed-before", "30d"))
    assert "purged 12002 processed events" in r.stdout, r.stdout
    assert sum("so far" in ln for ln in r.stdout.splitlines()) >= 3, r.stdout
    assert ids(sql, "true") == {3, 4, 5, 6, 7, 8}

    r = ok(ctl(db, "purge", "--processed-before", "12h", "--dead-too"))
    assert "purged 1 processed events and 2 dead letters" in r.stdout, r.stdout
    assert ids(sql, "true") == {4, 5, 6}

    insert(sql, 9, processed="'2026-01-01T00:00:00Z'")
    insert(sql, 10, processed="'2026-03-01T00:00:00Z'")
    ok(ctl(db, "purge", "--processed-before", "2026-02-01T00:00:00Z"))
    assert ids(sql, "true") == {4, 5, 6, 10}


# ---------------------------------------------------------------- reprocess

REPROCESS_ROWS = [
    # id, type, app, received, state
    (1, "call.hangup", "default", "2026-01-01T10:00:00Z", "processed"),
    (2, "call.ringing", "default", "2026-01-02T10:00:00Z", "processed"),
    (3, "call.a_b", "default", "2026-01-03T10:00:00Z", "processed"),
    (4, "call.axb", "acme", "2026-01-04T10:00:00Z", "processed"),
    (5, "sms.inbound", "acme", "2026-01-05T10:00:00Z", "processed"),
    (6, "call.hangup", "acme", "2026-01-06T10:00:00Z", "dead"),
    (7, "unknown", "default", "2026-01-07T10:00:00Z", "retrying"),
    (8, "call.hangup", "default", "2026-01-08T10:00:00Z", "due"),
    (9, "call.50%", "default", "2026-01-09T10:00:00Z", "processed"),
]


def reprocess_fixture(sql):
    query(sql, "TRUNCATE webhook_events")
    for id, typ, app, rec, state in REPROCESS_ROWS:
        kw = {"processed": "now()"} if state == "processed" else \
             {"attempts": 10, "last_error": "boom", "dead": "now()"} if state == "dead" else \
             {"attempts": 2, "last_error": "boom", "next_attempt": "now() + interval '1 hour'"} \
             if state == "retrying" else {}
        insert(sql, id, event_type=typ, app=app, received=f"'{rec}'", **kw)


REPROCESS_CASES = [
    (["--since", "2026-01-05"], {5, 7, 9}),
    (["--until", "2026-01-03T10:00:00Z"], {1, 2}),
    (["--since", "2026-01-02T10:00:00+00:00", "--until", "2026-01-04"], {2, 3}),
    (["--since", "2026-01-02T12:00:00+02:00", "--until", "2026-01-02T11:00:00"], {2}),
    (["--type", "call.hangup"], {1}),
    (["--type", "call.*"], {1, 2, 3, 4, 9}),
    (["--type", "call.*", "--type", "sms.inbound"], {1, 2, 3, 4, 5, 9}),
    (["--type", "call.a_b"], {3}),                  # _ is literal, not LIKE's any-char
    (["--type", "call.a?b"], {3, 4}),
    (["--type", "call.50%"], {9}),                  # % is literal
    (["--type", "*"], {1, 2, 3, 4, 5, 7, 9}),
    (["--app", "acme"], {4, 5}),
    (["--app", "acme", "--include-dead"], {4, 5, 6}),
    (["--id", "2", "--id", "6", "--id", "7"], {2, 7}),
    (["--id", "6", "--include-dead"], {6}),
    (["--type", "call.hangup", "--include-dead"], {1, 6}),
    (["--type", "call.*", "--app", "default", "--since", "2026-01-02"], {2, 3, 9}),
    (["--all"], {1, 2, 3, 4, 5, 7, 9}),
    (["--all", "--include-dead"], {1, 2, 3, 4, 5, 6, 7, 9}),
]


@pytest.mark.parametrize("args,expect", REPROCESS_CASES, ids=lambda a: " ".join(a) if isinstance(a, list) else "")
def test_reprocess_touches_exactly_the_matching_rows(sql, db, args, expect):
    reprocess_fixture(sql)
    before = query(sql, "SELECT id, processed_at, attempts, next_attempt_at, last_error, dead_at"
                        " FROM webhook_events ORDER BY id")

    r = ok(ctl(db, "reprocess", "--dry-run", *args))
    assert f"would reset {len(expect)} events" in r.stdout, r.stdout
    assert query(sql, "SELECT id, processed_at, attempts, next_attempt_at, last_error, dead_at"
                      " FROM webhook_events ORDER BY id") == before

    r = ok(ctl(db, "reprocess", *args))
    assert f"reset {len(expect)} events to due" in r.stdout, r.stdout
    assert due_ids(sql) == expect | {8}          # 8 was due already and stays so
    after = {row[0]: row for row in query(sql, "SELECT id, processed_at, attempts, next_attempt_at,"
                                               " last_error, dead_at FROM webhook_events")}
    for row in before:
        if row[0] not in expect:
            assert after[row[0]] == row, f"event {row[0]} was touched"


def test_reprocess_in_batches(sql, db):
    query(sql, """INSERT INTO webhook_events (id, event_type, dedupe_key, payload, processed_at)
                  OVERRIDING SYSTEM VALUE SELECT g, 'call.hangup', 'bulk:' || g, '{}', now()
                  FROM generate_series(1, 12345) g""")
    r = ok(ctl(db, "reprocess", "--all"))
    assert "reset 12345 events to due" in r.stdout
    assert sum("reset so far" in ln for ln in r.stderr.splitlines()) == 3, r.stderr   # 5000, 10000, 12345
    assert len(due_ids(sql)) == 12345
    r = ok(ctl(db, "reprocess", "--all"))           # nothing left to reset
    assert "reset 0 events to due" in r.stdout
    query(sql, "UPDATE webhook_events SET processed_at = now()")
    r = ok(ctl(db, "reprocess", "--dry-run"))       # no filter at all: every event, as --all
    assert "would reset 12345 events" in r.stdout
    r = ok(ctl(db, "reprocess"))
    assert "reset 12345 events to due" in r.stdout


# ---------------------------------------------------------------- dead letters

def test_dead_list_retry_show(sql, db):
    big = 9007199254740993          # > 2^53: exact only if never read through a double
    payload = ('{"call_id":%d,"state":"hangup","nested":{"a":[1,2,{}],"s":"x\\"y"},"empty":[],'
               '"duration":11989.972}' % big)
    insert(sql, 1, event_type="call.hangup", attempts=1, last_error="data: no usable call_id",
           dead="now() - interval '3 minutes'", payload=payload)
    insert(sql, 2, event_type="call.connected", attempts=10, last_error="wrong type: duration",
           dead="now() - interval '2 minutes'")
    insert(sql, 3, event_type="sms.inbound", attempts=7, last_error="database: ERROR:  x",
           dead="now() - interval '1 minute'")
    insert(sql, 4, event_type="call.hangup", processed="now()")

    d = json.loads(ok(ctl(db, "dead", "list", "--json")).stdout)
    assert d["total"] == 3
    assert [e["id"] for e in d["events"]] == [3, 2, 1]          # newest dead first
    assert d["events"][2] == {**d["events"][2], "event_type": "call.hangup", "app_id": "default",
                              "attempts": 1, "class": "data", "last_error": "data: no usable call_id"}
    assert [e["class"] for e in d["events"]] == ["database", "earlier", "data"]
    assert d["events"][2]["dead_at"].endswith("Z") and d["events"][2]["received_at"].endswith("Z")

    d = json.loads(ok(ctl(db, "dead", "list", "--json", "--type", "call.*", "--limit", "1")).stdout)
    assert d["total"] == 2 and [e["id"] for e in d["events"]] == [2]

    out = ok(ctl(db, "dead", "list")).stdout.splitlines()
    assert out[0].split()[:4] == ["ID", "TYPE", "ATTEMPTS", "CLASS"]
    assert [ln.split()[0] for ln in out[1:4]] == ["3", "2", "1"]
    assert "no usable call_id" in out[3] and out[-1] == "(3 of 3 dead letters)"

    show = ok(ctl(db, "dead", "show", "--id", "1")).stdout
    assert "last_error       data: no usable call_id" in show
    assert "class            data: the payload cannot be used" in show and "never retried" in show
    pretty = show.split("payload:\n", 1)[1]
    assert f'"call_id": {big},' in pretty and '"duration": 11989.972' in pretty
    assert json.loads(pretty) == json.loads(payload)
    assert '\n  "nested": {\n    "a": [\n      1,' in pretty and '"empty": []' in pretty

    r = ctl(db, "dead", "show", "--id", "999")
    assert r.returncode == 1 and "no event with id 999" in r.stderr

    r = ok(ctl(db, "dead", "retry", "--id", "2", "--id", "4"))
    assert "made 1 dead events due again" in r.stdout
    assert "1 of the given ids are not dead letters" in r.stderr
    assert due_ids(sql) == {2}
    assert ids(sql, "processed_at IS NOT NULL") == {4}

    r = ok(ctl(db, "dead", "retry", "--all"))
    assert "made 2 dead events due again" in r.stdout
    assert due_ids(sql) == {1, 2, 3} and ids(sql, "dead_at IS NOT NULL") == set()
    assert json.loads(ok(ctl(db, "dead", "list", "--json")).stdout) == {"total": 0, "events": []}


# ---------------------------------------------------------------- gen-events (no daemon)

def gen(db, *args, env=None):
    return ok(ctl(db, "gen-events", *args, env=env))


def test_gen_events_out_is_signed_dialpad_native_and_reproducible(tmp_path):
    a, b, x = tmp_path / "a.jwt", tmp_path / "b.jwt", tmp_path / "x.jsonl"
    common = ["--calls", "60", "--seed", "42", "--start", "1767261600000", "--shuffle", "--duplicates", "10%"]
    gen(None, "--out", str(a), "--expect", str(x), *common, env={"DIALPAD_WEBHOOK_SECRET": SECRET})
    gen(None, "--out", str(b), "--secret", SECRET, *common)
    assert a.read_bytes() == b.read_bytes()        # same seed and start: same bytes

    bodies = a.read_text().splitlines()
    claims = []
    for body in bodies:
        h, p, s = body.split(".")
        assert json.loads(b64url_decode(h)) == {"alg": "HS256", "typ": "JWT"}
        assert hmac.compare_digest(b64url_decode(s), hmac.new(SECRET.encode(), f"{h}.{p}".encode(),
                                                               hashlib.sha256).digest())
        claims.append(json.loads(b64url_decode(p)))
    keys = [classify(c)[1] for c in claims]
    unique = set(keys)
    assert len(bodies) - len(unique) == round(0.1 * len(unique))     # the redeliveries
    for c in claims:
        assert "event_type" not in c and "data" not in c               # no invented envelope
        assert isinstance(c["call_id"], int) and c["call_id"] > 10**15
        assert isinstance(c["event_timestamp"], int) and c["event_timestamp"] >= 1767261600000
        assert c["direction"] in ("inbound", "outbound")
        assert gen_oracle.check_types(c) == []                        # Dialpad's OpenAPI types
    states = {c["state"] for c in claims}
    assert {"calling", "ringing", "queued", "connected", "hangup", "missed", "voicemail",
            "voicemail_uploaded", "recording", "blocked", "csat", "postcall", "recap_summary"} <= states
    legs = [json.loads(ln) for ln in x.read_text().splitlines()]
    assert {ln["dialpad_call_id"] for ln in legs} == {c["call_id"] for c in claims}
    cc = [ln for ln in legs if ln["target_type"] == "callcenter"]
    assert cc and all(ln["master_call_id"] and ln["operator_call_id"] for ln in cc)
    agents = {ln["dialpad_call_id"]: ln for ln in legs}
    for ln in cc:
        assert agents[ln["operator_call_id"]]["entry_point_call_id"] == ln["dialpad_call_id"]
        assert agents[ln["operator_call_id"]]["outcome"] == "answered"
    assert any(ln["recording_url"] for ln in legs) and any(ln["voicemail_url"] for ln in legs)
    assert any(ln["answered_at_ms"] is None for ln in legs)

    # without --shuffle: chronological by event_timestamp, redeliveries at the end
    gen(None, "--out", str(a), "--unsigned", "--calls", "20", "--seed", "1")
    ts = [json.loads(ln)["event_timestamp"] for ln in a.read_text().splitlines()]
    assert ts == sorted(ts)


def test_gen_events_expect_is_what_the_merge_rules_give_for_the_bodies(tmp_path):
    """Two oracles agree: --expect (from the generator's knowledge of its lifecycles) equals the
    spec's merge rules applied in Python to the bodies it sent; and every lifecycle the issue-11
    tests need is there."""
    out, x = tmp_path / "ev.jwt", tmp_path / "x.jsonl"
    gen(None, "--out", str(out), "--expect", str(x), "--secret", SECRET, "--calls", "1500", "--seed", "2026",
        "--shuffle", "--duplicates", "0.3")
    bodies = out.read_text().splitlines()
    expect = [json.loads(ln) for ln in x.read_text().splitlines()]
    derived, problems = gen_oracle.expect_from_bodies(bodies)
    assert problems == []
    assert all(set(e) == set(EXPECT_KEYS) for e in expect)             # every column of spec-11, no more
    assert len(derived) == len(expect)
    for d, e in zip(derived, expect):
        assert d == e, {k: (d[k], e[k]) for k in e if d.get(k) != e[k]}

    claims = [gen_oracle.claims_of(b) for b in bodies]
    assert {c["state"] for c in claims} == gen_oracle.CALL_STATES        # all 31 states
    by_leg = {}
    for c in claims:
        by_leg.setdefault(c["call_id"], []).append(c)
    outcomes = {e["outcome"] for e in expect}
    assert outcomes == {"answered", "missed", "voicemail", "blocked"}
    # a hangup never delivered, the end healed by post-call events
    assert any(e["status"] == "ended" and not any(c["state"] == "hangup" for c in by_leg[e["dialpad_call_id"]])
               and e["outcome"] == "answered" for e in expect)
    # the call-center leg's operator moves from a non-answering agent's leg to the answering one
    moved = [e for e in expect if len({c["operator_call_id"] for c in by_leg[e["dialpad_call_id"]]} - {None}) == 2]
    legs = {e["dialpad_call_id"]: e for e in expect}
    assert moved and all(legs[e["operator_call_id"]]["outcome"] == "answered" for e in moved)
    assert all(any(legs[c["operator_call_id"]]["outcome"] == "missed" for c in by_leg[e["dialpad_call_id"]]
                   if c["operator_call_id"]) for e in moved)
    # values that change during a call really change
    for key in ("labels", "csat_score", "transcription_text", "recap_summary", "recap_action_items", "target",
                "contact"):
        assert any(len({json.dumps(c.get(key)) for c in evs if c.get(key) not in (None, [])}) > 1
                   for evs in by_leg.values()), key
    # recordings: three or more on one leg, every type, recording_url as a string and as an array
    assert any(len(e["recordings"]) >= 3 for e in expect)
    assert {r["recording_type"] for e in expect for r in e["recordings"]} == \
        {"callrecording", "admincallrecording", "voicemail", None}
    assert any(isinstance(c.get("recording_url"), str) for c in claims)
    assert any(isinstance(c.get("recording_url"), list) for c in claims)
    assert any(e["is_internal"] for e in expect) and any(e["is_transferred"] for e in expect)
    assert any(e["voicemail_url"] and e["transcription_text"] for e in expect)      # voicemail with transcript


# ---------------------------------------------------------------- with the processor

def insert_generated(sql, path, app="default"):
    """Store --out bodies (unsigned) as ingest would: type and dedupe key from the event."""
    n = 0
    with open(path) as f:
        for line in f:
            c = json.loads(line)
            typ, key = classify(c)
            query(sql, "INSERT INTO webhook_events (app_id, event_type, dedupe_key, payload)"
                       " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING", app, typ, key, line.strip())
            n += 1
    return n


def test_truncate_and_rebuild_backfill_reproduces_calls(sql, db, daemons, tmp_path):
    out, expect = tmp_path / "ev.json", tmp_path / "expect.jsonl"
    gen(None, "--out", str(out), "--expect", str(expect), "--unsigned", "--calls", "150", "--seed", "7",
        "--shuffle", "--duplicates", "0.2")
    insert_generated(sql, out)
    # something for "skipped" and a dead letter, which must not matter to calls
    insert(sql, 100000, event_type="call.unknown", payload='{"call_id":1,"state":"Bad State"}')
    processor_once(daemons, db, timeout=180)
    first = calls_rows(sql)
    assert_matches_expect(sql, expect)
    stats = json.loads(ok(ctl(db, "stats", "--json")).stdout)["events"]["total"]
    assert stats["due"] == 0 and stats["skipped"] == 1

    query(sql, "TRUNCATE calls, call_recordings")
    r = ok(ctl(db, "reprocess", "--all"))
    assert "reset" in r.stdout
    processor_once(daemons, db, timeout=180)
    assert calls_rows(sql) == first                   # row for row


@pytest.mark.parametrize("batch", [1, 7, 500])
def test_gen_events_expect_holds_for_every_batch_size(sql, db, daemons, tmp_path, batch):
    """Every generated lifecycle (post-call states, lost hangups, moving operators, multi-recording
    legs...) ends with exactly the --expect rows in calls and call_recordings, shuffled, with
    duplicates, whatever the batch size; and no payload field is ignored as wrong-typed."""
    out, expect = tmp_path / "ev.json", tmp_path / "expect.jsonl"
    gen(None, "--out", str(out), "--expect", str(expect), "--unsigned", "--calls", "120",
        "--seed", str(300 + batch), "--shuffle", "--duplicates", "0.3")
    insert_generated(sql, out)
    p = processor_once(daemons, db, timeout=300, DIALHOOK_BATCH_SIZE=batch)
    assert "ignored optional fields" not in p.logtext(), p.logtext()
    assert query(sql, "SELECT count(*) FROM webhook_events WHERE processed_at IS NULL OR dead_at IS NOT NULL"
                      " OR attempts <> 0") == [(0,)]
    assert_matches_expect(sql, expect)


def test_reprocess_wakes_a_running_processor(sql, db, daemons, tmp_path):
    out = tmp_path / "ev.json"
    gen(None, "--out", str(out), "--unsigned", "--calls", "20", "--seed", "3")
    insert_generated(sql, out)
    start_processor(daemons, db, DIALHOOK_POLL_INTERVAL_MS="3600000")
    wait_until(lambda: not due_ids(sql), "processor drained the fixture")
    first = calls_rows(sql)
    query(sql, "TRUNCATE calls")
    ok(ctl(db, "reprocess", "--type", "call.*"))
    # the poll interval is an hour: only the NOTIFY from reprocess can wake it
    wait_until(lambda: calls_rows(sql) == first, "calls rebuilt after reprocess's NOTIFY", timeout=10)


# ---------------------------------------------------------------- with ingest and the processor

def test_gen_events_shuffled_with_duplicates_ends_with_the_expected_calls(sql, db, daemons, tmp_path):
    ing = start_ingest(daemons, db, wait="/healthz", secret=SECRET)
    expect = tmp_path / "expect.jsonl"
    r = gen(None, "--url", f"http://127.0.0.1:{ing.port}/webhooks/dialpad", "--calls", "300", "--shuffle",
            "--duplicates", "0.25", "--seed", "11", "--concurrency", "6", "--expect", str(expect),
            env={"DIALPAD_WEBHOOK_SECRET": SECRET})
    summary = r.stdout
    nevents = query(sql, "SELECT count(*) FROM webhook_events")[0][0]
    redelivered = round(0.25 * nevents)
    assert f"{nevents} events + {redelivered} redeliveries" in summary, summary
    assert f"(stored {nevents}, duplicate {redelivered}, other 0)" in summary, summary
    assert "non-2xx   0" in summary and "failed    0" in summary, summary
    assert "req/s" in summary and "gen-events:" in r.stderr
    processor_once(daemons, db, timeout=180)
    assert_matches_expect(sql, expect)


def test_gen_events_counts_rejections_and_exits_1(db, daemons):
    ing = start_ingest(daemons, db, wait="/healthz", secret=SECRET)
    r = ctl(db, "gen-events", "--url", f"http://127.0.0.1:{ing.port}/webhooks/dialpad", "--calls", "3",
            "--secret", "the-wrong-secret", "--seed", "5")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "2xx       0 " in r.stdout and "non-2xx   0" not in r.stdout
    assert "not acknowledged" in r.stderr


def test_gen_events_connection_refused_exits_1(db):
    port = free_port()
    r = ctl(db, "gen-events", "--url", f"http://127.0.0.1:{port}/webhooks/dialpad", "--calls", "1",
            "--unsigned", "--retries", "0", "--seed", "5")
    assert r.returncode == 1 and "errors    " in r.stdout and "not acknowledged" in r.stderr
