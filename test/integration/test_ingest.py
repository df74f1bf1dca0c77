"""dialhook-ingest against a real PostgreSQL: every status code with the rows
checked, duplicates, per-app secrets, refusal to start, database outage and
slowness, batch isolation, limits, and SIGTERM under load.

Load here is bounded (a few hundred requests, 127.0.0.1 only); daemons are
stopped by PID in the `daemons` fixture's teardown.
"""
import hashlib
import hmac
import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import (SECRET, b64url, binpath, free_port, http_request, post, query, sign, start_ingest,
                      wait_until)

# F12 from dialpad-webhooks.md: the exact body Dialpad would send, signed with SECRET.
F12_BODY = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJjYWxsX2lkIjo1ODUwMDAwMDAwMDAwOTAxLCJzdGF0ZSI6Imhhbmd1cCIs"
            "ImRpcmVjdGlvbiI6ImluYm91bmQiLCJleHRlcm5hbF9udW1iZXIiOiIrMTQxNTU1NTAxMjMiLCJpbnRlcm5hbF9udW1iZXIiOiIr"
            "MTQxNTU1NTAxMDAiLCJkYXRlX3N0YXJ0ZWQiOjE3NjcyNjE2MDAwMDAsImRhdGVfY29ubmVjdGVkIjoxNzY3MjYxNjA1MjAwLCJk"
            "YXRlX2VuZGVkIjoxNzY3MjYxNzI1MjAwLCJkdXJhdGlvbiI6MTIwMDAwLjAsInRvdGFsX2R1cmF0aW9uIjoxMjUyMDAuMCwiZXZl"
            "bnRfdGltZXN0YW1wIjoxNzY3MjYxNzI2MDAxfQ.6h-syibUGH959PacONLWKWSLXRWrq001PnxsCjm1W0A")
F12_CLAIMS = {"call_id": 5850000000000901, "state": "hangup", "direction": "inbound",
              "external_number": "+14155550123", "internal_number": "+14155550100",
              "date_started": 1767261600000, "date_connected": 1767261605200,
              "date_ended": 1767261725200, "duration": 120000.0, "total_duration": 125200.0,
              "event_timestamp": 1767261726001}
SMS = {"id": 6095000000000009, "created_date": 1767276000123, "event_timestamp": 1767276000555,
       "direction": "inbound", "from_number": "+14155550123", "to_number": ["+14155550100"],
       "text": "Running 10 min late", "message_status": "pending"}


def call_event(i, state="hangup"):
    return {"call_id": 5850000000100000 + i, "state": state, "direction": "inbound",
            "external_number": "+14155550123", "event_timestamp": 1767261726001 + i}


def rows(sql):
    return query(sql, "SELECT id, app_id, event_type, dedupe_key, payload::text FROM webhook_events ORDER BY id")


def run_once(env, args=(), timeout=20):
    full = dict(os.environ)
    full.update({k: str(v) for k, v in env.items()})
    return subprocess.run([binpath("dialhook-ingest"), *args], env=full, capture_output=True, text=True,
                          timeout=timeout)


# ---------------------------------------------------------------- storing

def test_fixture_f12_stored_then_duplicate_when_resigned(daemons, db, sql):
    d = start_ingest(daemons, db)
    status, hdrs, doc = post(d, F12_BODY + "\n")
    assert status == 200, doc
    assert doc["status"] == "stored" and isinstance(doc["id"], int)
    assert hdrs["content-type"] == "application/json"
    (rid, app, etype, key, payload), = rows(sql)
    assert (rid, app, etype) == (doc["id"], "default", "call.hangup")
    assert key == "call:5850000000000901:hangup:1767261726001"
    assert json.loads(payload) == F12_CLAIMS

    # the same event re-signed: other header order, other claims order, an iat
    reordered = dict(reversed(list(F12_CLAIMS.items())), iat=int(time.time()))
    again = sign(reordered, SECRET, header={"typ": "JWT", "alg": "HS256"})
    assert again != F12_BODY
    status, _, doc = post(d, again)
    assert (status, doc) == (200, {"status": "duplicate"})
    status, _, doc = post(d, F12_BODY)
    assert (status, doc) == (200, {"status": "duplicate"})
    assert len(rows(sql)) == 1


def test_app_route_sms_and_unknown_kinds(daemons, db, sql):
    d = start_ingest(daemons, db)
    assert post(d, sign(SMS, SECRET), "/webhooks/dialpad/acme-1")[0] == 200
    unknown = {"event_timestamp": 1767283200000, "fax_status": "received", "pages": 3}
    assert post(d, sign(unknown, SECRET))[0] == 200
    got = {(r[1], r[2]) for r in rows(sql)}
    assert got == {("acme-1", "sms.inbound"), ("default", "unknown")}
    sms_key = query(sql, "SELECT dedupe_key FROM webhook_events WHERE app_id = 'acme-1'")[0][0]
    assert sms_key == "sms:6095000000000009:pending:1767276000555"


def test_duplicates_in_one_batch_store_once(daemons, db, sql):
    # one connection so concurrent copies land in the same group commit
    d = start_ingest(daemons, db, DIALHOOK_DB_CONNECTIONS=1)
    bodies = [sign(call_event(1), SECRET, header={"alg": "HS256", "n": i}) for i in range(20)]
    results = []
    threads = [threading.Thread(target=lambda b=b: results.append(post(d, b))) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(doc["status"] for _, _, doc in results)
    assert [s for s, _, _ in results] == [200] * 20
    assert statuses.count("stored") == 1 and statuses.count("duplicate") == 19
    assert len(rows(sql)) == 1


# ---------------------------------------------------------------- rejections

def _tamper_sig(tok):
    h, p, s = tok.split(".")
    return f"{h}.{p}.{'A' if s[0] != 'A' else 'B'}{s[1:]}"


def _tamper_payload(tok):
    h, _, s = tok.split(".")
    return f"{h}.{b64url(json.dumps(dict(F12_CLAIMS, state='connected')).encode())}.{s}"


def _alg(alg):
    h = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    p = b64url(json.dumps(F12_CLAIMS).encode())
    sig = b64url(hmac.new(SECRET.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest())
    return f"{h}.{p}.{sig if alg != 'none' else ''}"


REJECTIONS = [
    ("plain_json", json.dumps(F12_CLAIMS), 401, "unsigned"),
    ("tampered_signature", _tamper_sig(F12_BODY), 401, "bad_signature"),
    ("tampered_payload", _tamper_payload(F12_BODY), 401, "bad_signature"),
    ("wrong_secret", sign(F12_CLAIMS, "another-secret"), 401, "bad_signature"),
    ("alg_none", _alg("none"), 401, "alg_not_allowed"),
    ("alg_hs512", _alg("HS512"), 401, "alg_not_allowed"),
    ("alg_rs256", _alg("RS256"), 401, "alg_not_allowed"),
    ("expired", sign(dict(F12_CLAIMS, exp=int(time.time()) - 3600), SECRET), 401, "expired"),
    ("nbf_future", sign(dict(F12_CLAIMS, nbf=int(time.time()) + 3600), SECRET), 401, "not_yet_valid"),
    # issue 12: a time claim that is present but not a finite number never expired before
    ("exp_string", sign(dict(F12_CLAIMS, exp="1000"), SECRET), 401, "bad_time_claim"),
    ("exp_overflow", sign(json.dumps(F12_CLAIMS)[:-1] + ',"exp":1e400}', SECRET), 401, "bad_time_claim"),
    ("nbf_null", sign(dict(F12_CLAIMS, nbf=None), SECRET), 401, "bad_time_claim"),
    ("not_a_jwt", "hello world", 400, "malformed"),
    ("two_segments", F12_BODY.rsplit(".", 1)[0], 400, "malformed"),
    ("bad_base64", "e$$$.e$$$.abc", 400, "malformed"),
    ("claims_array", sign("[1,2,3]", SECRET), 400, "malformed"),
    ("claims_not_json", sign("{not json", SECRET), 400, "malformed"),
    ("empty", "", 400, "malformed"),
]


@pytest.mark.parametrize("name,body,status,reason", REJECTIONS, ids=[r[0] for r in REJECTIONS])
def test_rejections_store_nothing(daemons, db, sql, name, body, status, reason):
    d = start_ingest(daemons, db)
    got, _, doc = post(d, body)
    assert (got, doc) == (status, {"status": "error", "reason": reason}), name
    assert rows(sql) == []
    assert SECRET not in d.logtext()


def test_too_large_is_413_and_not_buffered(daemons, db, sql):
    # libevent refuses a declared body over DIALHOOK_MAX_BODY itself, with its own HTML page
    # (docs/events.md; before issue 13 ingest replaced that page with its JSON one)
    d = start_ingest(daemons, db, DIALHOOK_MAX_BODY="4k")
    claims = dict(F12_CLAIMS, pad="x" * 5000)
    status, hdrs, doc = post(d, sign(claims, SECRET))
    assert status == 413
    # a 50 MB declared body is refused from its headers alone, before it is sent
    s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
    s.sendall(b"POST /webhooks/dialpad HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n")
    reply = s.recv(4096)
    s.close()
    assert reply.startswith(b"HTTP/1.1 413")
    assert rows(sql) == []
    # a body just under the limit is fine
    assert post(d, sign(dict(F12_CLAIMS, pad="x" * 2000), SECRET))[0] == 200


def test_routes_404_405_health_metrics(daemons, db, sql):
    d = start_ingest(daemons, db)
    for path in ("/", "/webhooks", "/webhooks/dialpadx", "/webhooks/dialpad/", "/webhooks/dialpad/a.b",
                 "/webhooks/dialpad/" + "a" * 65, "/webhooks/dialpad/acme/x"):
        status, _, doc = post(d, F12_BODY, path)
        assert (status, doc) == (404, {"status": "error", "reason": "not_found"}), path
    status, hdrs, raw = http_request("GET", d.port, "/webhooks/dialpad")
    assert status == 405 and hdrs["allow"] == "POST" and json.loads(raw)["reason"] == "method_not_allowed"
    status, hdrs, _ = http_request("PUT", d.port, "/webhooks/dialpad/acme", body="x")
    assert status == 405 and hdrs["allow"] == "POST"
    status, hdrs, _ = http_request("POST", d.port, "/healthz", body="x")
    assert status == 405 and hdrs["allow"] == "GET, HEAD"
    assert http_request("DELETE", d.port, "/nope")[0] == 404
    # methods libevent does not know are refused by libevent itself, 501 with its own page,
    # before any route is looked at (docs/events.md)
    for method, path in (("PROPFIND", "/webhooks/dialpad"), ("FOO", "/metrics"), ("FOO", "/nope")):
        assert http_request(method, d.port, path)[0] == 501, (method, path)
    assert http_request("GET", d.port, "/healthz")[0] == 200
    assert http_request("GET", d.port, "/readyz")[0] == 200
    assert rows(sql) == []
    assert post(d, F12_BODY)[0] == 200
    assert post(d, "junk")[0] == 400
    # /readyz is 200 once one pool connection is up; the other three follow within moments
    up4 = 'dialhook_ingest_db_connections{state="up"} 4'
    wait_until(lambda: up4 in http_request("GET", d.port, "/metrics")[2].decode(), "4 connections up",
               timeout=10)
    status, hdrs, raw = http_request("GET", d.port, "/metrics")
    text = raw.decode()
    assert status == 200 and hdrs["content-type"].startswith("text/plain")
    for needle in ('dialhook_ingest_requests_total{route="/webhooks/dialpad",status="200"} 1',
                   'dialhook_ingest_requests_total{route="other",status="404"}',
                   'dialhook_ingest_rejections_total{reason="malformed"} 1',
                   "dialhook_ingest_events_stored_total 1", "dialhook_ingest_duplicates_total 0",
                   "dialhook_ingest_batch_size_count", "dialhook_ingest_commit_seconds_bucket",
                   "dialhook_ingest_pending_requests 0", 'dialhook_ingest_db_connections{state="up"} 4'):
        assert needle in text, needle
    assert SECRET not in text


def test_metrics_listen_moves_metrics_off_the_webhook_port(daemons, db):
    # issue 12: DIALHOOK_METRICS_LISTEN gives /metrics a listener of its own (not published);
    # unset, /metrics stays on the webhook listener (test_routes_404_405_health_metrics)
    mport = free_port()
    d = start_ingest(daemons, db, DIALHOOK_METRICS_LISTEN=f"127.0.0.1:{mport}")
    status, _, raw = http_request("GET", d.port, "/metrics")
    assert (status, json.loads(raw)) == (404, {"status": "error", "reason": "not_found"})
    status, hdrs, raw = http_request("GET", mport, "/metrics")
    assert status == 200 and hdrs["content-type"].startswith("text/plain")
    assert 'dialhook_ingest_requests_total{route="other",status="404"} 1' in raw.decode()
    assert "dialhook_ingest_connections " in raw.decode()
    for port in (d.port, mport):
        assert http_request("GET", port, "/healthz")[0] == 200
        assert http_request("GET", port, "/readyz")[0] == 200
    # the metrics listener serves nothing else
    assert http_request("GET", mport, "/webhooks/dialpad")[0] == 404
    assert http_request("POST", mport, "/webhooks/dialpad")[0] == 501    # GET and HEAD only
    assert post(d, F12_BODY)[0] == 200


# ---------------------------------------------------------------- secrets and start-up

def secrets_file(tmp_path, text, mode=0o600):
    """A secrets file with the given content and mode (ingest refuses any group/other bit)."""
    f = tmp_path / "secrets"
    f.write_text(text)
    f.chmod(mode)
    return f


def test_per_app_secret_file_overrides_global(daemons, db, sql, tmp_path):
    f = secrets_file(tmp_path, "# per-app secrets\nacme acme-secret with space\n\nbeta beta-secret\n")
    d = start_ingest(daemons, db, DIALHOOK_SECRETS_FILE=str(f))
    assert post(d, sign(call_event(1), "acme-secret with space"), "/webhooks/dialpad/acme")[0] == 200
    status, _, doc = post(d, sign(call_event(2), SECRET), "/webhooks/dialpad/acme")
    assert (status, doc["reason"]) == (401, "bad_signature")
    assert post(d, sign(call_event(3), SECRET), "/webhooks/dialpad/other")[0] == 200
    assert post(d, sign(call_event(4), SECRET))[0] == 200
    assert post(d, sign(call_event(5), "beta-secret"), "/webhooks/dialpad/beta")[0] == 200
    assert sorted(r[1] for r in rows(sql)) == ["acme", "beta", "default", "other"]
    log = d.logtext()
    assert "acme-secret" not in log and "beta-secret" not in log and SECRET not in log


def raw_post(port, body, path):
    """(status line and headers without Date, body) of one POST: what a client can compare."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
                  f"Connection: close\r\n\r\n".encode() + body.encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, payload = data.partition(b"\r\n\r\n")
    lines = [l for l in head.split(b"\r\n") if not l.lower().startswith(b"date:")]
    return lines, payload


def test_secrets_file_without_global_refuses_unknown_apps(daemons, db, sql, tmp_path):
    # issue 12: an unknown app is answered exactly as a known app with a wrong signature
    # (the HMAC work is done against a dummy key), so the answers do not enumerate apps;
    # only the rejections metric and the log tell them apart.
    f = secrets_file(tmp_path, "acme acme-secret\n")
    d = start_ingest(daemons, db, DIALHOOK_SECRETS_FILE=str(f), DIALPAD_WEBHOOK_SECRET="")
    assert post(d, sign(call_event(1), "acme-secret"), "/webhooks/dialpad/acme")[0] == 200
    for body in (sign(call_event(2), "guess"), json.dumps(call_event(2)), "junk",
                 sign(call_event(2), "guess", header={"alg": "none"})):
        known = raw_post(d.port, body, "/webhooks/dialpad/acme")
        for path in ("/webhooks/dialpad", "/webhooks/dialpad/nosuchapp"):
            assert raw_post(d.port, body, path) == known, (body[:40], path)
    status, _, doc = post(d, sign(call_event(2), "guess"), "/webhooks/dialpad/nosuchapp")
    assert (status, doc) == (401, {"status": "error", "reason": "bad_signature"})
    # a token signed with the empty key is not a way in either
    assert post(d, sign(call_event(3), ""), "/webhooks/dialpad/nosuchapp")[0] == 401
    assert len(rows(sql)) == 1
    text = http_request("GET", d.port, "/metrics")[2].decode()
    assert 'dialhook_ingest_rejections_total{reason="unknown_app"} 10' in text, text
    assert 'dialhook_ingest_rejections_total{reason="bad_signature"} 1' in text, text
    assert "cause=unknown_app app=nosuchapp" in d.logtext()


def test_refuses_secrets_file_readable_by_others(db, tmp_path):
    for mode in (0o644, 0o640, 0o604):
        f = secrets_file(tmp_path, "acme s3cret-value\n", mode)
        r = run_once({"DATABASE_URL": db, "DIALHOOK_LISTEN": f"127.0.0.1:{free_port()}",
                      "DIALHOOK_SECRETS_FILE": str(f)})
        assert r.returncode != 0, r.stderr
        assert str(f) in r.stderr and f"mode 0{mode:o}" in r.stderr and "s3cret" not in r.stderr, r.stderr


def test_refuses_to_start_without_secret(db):
    r = run_once({"DATABASE_URL": db, "DIALHOOK_LISTEN": f"127.0.0.1:{free_port()}",
                  "DIALPAD_WEBHOOK_SECRET": ""})
    assert r.returncode != 0
    assert "no webhook secret configured" in r.stderr and "DIALHOOK_ALLOW_UNSIGNED" in r.stderr


def test_refuses_malformed_secrets_file_with_line_number(db, tmp_path):
    f = secrets_file(tmp_path, "acme s3cret-value\nnot/valid! other-secret\n")
    r = run_once({"DATABASE_URL": db, "DIALHOOK_LISTEN": f"127.0.0.1:{free_port()}",
                  "DIALHOOK_SECRETS_FILE": str(f)})
    assert r.returncode != 0
    assert "line 2" in r.stderr and str(f) in r.stderr
    assert "s3cret-value" not in r.stderr and "other-secret" not in r.stderr
    r = run_once({"DATABASE_URL": db, "DIALHOOK_LISTEN": f"127.0.0.1:{free_port()}",
                  "DIALHOOK_SECRETS_FILE": str(tmp_path / "missing")})
    assert r.returncode != 0 and "missing" in r.stderr


def test_refuses_old_or_missing_schema(fresh_db):
    env = {"DATABASE_URL": fresh_db, "DIALHOOK_LISTEN": f"127.0.0.1:{free_port()}",
           "DIALPAD_WEBHOOK_SECRET": SECRET}
    r = run_once(env)
    assert r.returncode != 0 and "dialhookctl migrate" in r.stderr, r.stderr
    import psycopg2
    c = psycopg2.connect(fresh_db)
    c.autocommit = True
    c.cursor().execute("CREATE TABLE schema_migrations (version int PRIMARY KEY)")
    c.close()
    r = run_once(env)
    assert r.returncode != 0 and "schema is at version 0" in r.stderr, r.stderr


def test_unsigned_mode_accepts_plain_json_loudly(daemons, db, sql):
    d = start_ingest(daemons, db, DIALPAD_WEBHOOK_SECRET="", DIALHOOK_ALLOW_UNSIGNED=1)
    assert "NOT verified" in d.logtext()
    status, _, doc = post(d, json.dumps(F12_CLAIMS))
    assert status == 200 and doc["status"] == "stored"
    assert post(d, F12_BODY)[2] == {"status": "duplicate"}  # a JWT's claims, decoded
    assert post(d, "[1]")[0] == 400
    assert post(d, "{broken")[0] == 400
    assert len(rows(sql)) == 1


def test_help_and_version():
    r = subprocess.run([binpath("dialhook-ingest"), "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    for opt in ("--listen", "DIALHOOK_MAX_BODY", "DIALPAD_WEBHOOK_SECRET", "DIALHOOK_DB_TIMEOUT_MS"):
        assert opt in r.stdout
    r = subprocess.run([binpath("dialhook-ingest"), "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("dialhook-ingest ")


# ---------------------------------------------------------------- database trouble

def test_database_outage_503_then_recovers_without_restart(daemons, db, sql, pg):
    d = start_ingest(daemons, db, DIALHOOK_DB_TIMEOUT_MS=1000)
    assert post(d, sign(call_event(1), SECRET))[0] == 200
    sql.close()
    with pg.down():
        t0 = time.monotonic()
        status, hdrs, doc = post(d, sign(call_event(2), SECRET))
        assert status == 503 and doc["reason"] == "unavailable"
        assert hdrs["retry-after"] == "1"
        assert time.monotonic() - t0 < 1.5
        assert http_request("GET", d.port, "/readyz")[0] == 503
        assert http_request("GET", d.port, "/healthz")[0] == 200
    d.wait_http("/readyz", timeout=15)
    assert post(d, sign(call_event(3), SECRET))[0] == 200
    import psycopg2
    c = psycopg2.connect(db)
    keys = [r[0] for r in query(c, "SELECT dedupe_key FROM webhook_events ORDER BY id")]
    c.close()
    assert keys == [f"call:{5850000000100001}:hangup:{1767261726002}",
                    f"call:{5850000000100003}:hangup:{1767261726004}"]


def test_slow_database_503_within_timeout_then_commits_later(daemons, db, sql):
    d = start_ingest(daemons, db, DIALHOOK_DB_TIMEOUT_MS=500, DIALHOOK_DB_CONNECTIONS=2)
    import psycopg2
    locker = psycopg2.connect(db)
    cur = locker.cursor()
    cur.execute("LOCK TABLE webhook_events IN ACCESS EXCLUSIVE MODE")
    try:
        t0 = time.monotonic()
        status, hdrs, doc = post(d, sign(call_event(1), SECRET))
        elapsed = time.monotonic() - t0
        assert (status, doc["reason"]) == (503, "unavailable")     # every database 503 says so
        assert "Retry-After" in hdrs or "retry-after" in hdrs
        assert 0.4 < elapsed < 1.0, elapsed
        # the stuck connection is reset after twice the timeout; the other still serves /readyz
        time.sleep(1.2)
    finally:
        locker.rollback()
        locker.close()
    d.wait_log("resetting the connection")
    d.wait_http("/readyz")
    # the retry Dialpad would send: stored now, or a duplicate if the first attempt committed
    status, _, doc = post(d, sign(call_event(1), SECRET))
    assert status == 200 and doc["status"] in ("stored", "duplicate")
    assert len(rows(sql)) == 1


def test_bad_row_isolated_from_its_batch(daemons, db, sql):
    # a constraint only one event violates: its batch is retried row by row
    query(sql, "ALTER TABLE webhook_events ADD CONSTRAINT test_no_poison CHECK (event_type <> 'call.poison')")
    d = start_ingest(daemons, db, DIALHOOK_DB_CONNECTIONS=1)
    bodies = [sign(call_event(i, "poison" if i == 7 else "hangup"), SECRET) for i in range(30)]
    results = [None] * len(bodies)

    def send(i):
        results[i] = post(d, bodies[i])
    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, (status, _, doc) in enumerate(results):
        if i == 7:
            assert (status, doc["reason"]) == (500, "store_failed")
        else:
            assert (status, doc["status"]) == (200, "stored"), (i, doc)
    assert len(rows(sql)) == 29


def test_pending_limit_503_at_once(daemons, db, sql):
    d = start_ingest(daemons, db, DIALHOOK_MAX_PENDING=1, DIALHOOK_DB_CONNECTIONS=1,
                     DIALHOOK_DB_TIMEOUT_MS=2000)
    import psycopg2
    locker = psycopg2.connect(db)
    locker.cursor().execute("LOCK TABLE webhook_events IN ACCESS EXCLUSIVE MODE")
    first = []
    t = threading.Thread(target=lambda: first.append(post(d, sign(call_event(1), SECRET))))
    try:
        t.start()
        time.sleep(0.3)
        t0 = time.monotonic()
        status, _, doc = post(d, sign(call_event(2), SECRET))
        assert (status, doc["reason"]) == (503, "unavailable")
        assert time.monotonic() - t0 < 0.3
    finally:
        locker.rollback()
        locker.close()
        t.join()
    assert first[0][0] == 200
    assert len(rows(sql)) == 1


# ---------------------------------------------------------------- connections

def test_connection_limit_and_read_timeout(daemons, db):
    d = start_ingest(daemons, db, DIALHOOK_MAX_CONNECTIONS=2, DIALHOOK_READ_TIMEOUT_MS=700)
    idle = [socket.create_connection(("127.0.0.1", d.port), timeout=5) for _ in range(2)]
    time.sleep(0.2)
    extra = socket.create_connection(("127.0.0.1", d.port), timeout=5)
    assert extra.recv(100) == b""  # closed at once
    extra.close()
    # a client that never finishes its headers is dropped after the read timeout
    idle[0].sendall(b"POST /webhooks/dialpad HTTP/1.1\r\nHost: x\r\n")
    t0 = time.monotonic()
    assert idle[0].recv(100) == b""
    assert 0.5 < time.monotonic() - t0 < 3
    for s in idle:
        s.close()
    time.sleep(0.2)
    assert http_request("GET", d.port, "/healthz")[0] == 200


# ---------------------------------------------------------------- shutdown

def test_sigterm_under_load_answers_and_commits(daemons, db, sql):
    d = start_ingest(daemons, db, DIALHOOK_DB_CONNECTIONS=2)
    stored, lock = {}, threading.Lock()
    stop = threading.Event()

    def client(n):
        i = 0
        conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
        while not stop.is_set() and i < 400:
            ev = call_event(n * 1000 + i)
            i += 1
            try:
                conn.request("POST", "/webhooks/dialpad", body=sign(ev, SECRET))
                r = conn.getresponse()
                doc = json.loads(r.read())
            except (OSError, http.client.HTTPException, ValueError):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
                continue
            if r.status == 200:
                with lock:
                    stored[f"call:{ev['call_id']}:hangup:{ev['event_timestamp']}"] = doc["id"]
            else:
                assert r.status == 503, (r.status, doc)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.7)
    d.signal(signal.SIGTERM)
    rc = d.wait(timeout=15)
    stop.set()
    for t in threads:
        t.join()
    assert rc == 0, d.logtext()
    assert len(stored) > 20
    in_db = dict(query(sql, "SELECT dedupe_key, id FROM webhook_events"))
    missing = {k: v for k, v in stored.items() if in_db.get(k) != v}
    assert not missing
    assert "drained, exiting" in d.logtext()
