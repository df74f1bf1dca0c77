"""The database host name is looked up without blocking the event loop
(issue 14): libevent's resolver, pointed by DIALHOOK_RESOLV_CONF at a DNS
server of the test on 127.0.0.1 (test/integration/fakedns.py).

With a resolver that never answers (a UDP socket that reads and drops),
ingest and the processor keep answering /healthz at once while every connect
attempt waits for the lookup's time limit, webhooks are spooled (or get 503
without a spool) within DIALHOOK_DB_TIMEOUT_MS, SIGTERM exits 0 with the
lookup still running, and dialhookctl gives up after a bounded time. With a
resolver that answers, all three connect through the name (several hosts
included) and events flow end to end.
"""
import json
import os
import signal
import statistics
import subprocess
import time
import urllib.parse

import psycopg2
import pytest

from conftest import SECRET, binpath, free_port, http_request, query, sign, start_ingest
from fakedns import FakeDNS

NAME = "db.dialhook.test"


@pytest.fixture
def deaddns():
    d = FakeDNS(drop=True)
    yield d
    d.stop()


@pytest.fixture
def gooddns():
    d = FakeDNS(answers={NAME: "127.0.0.1"})
    yield d
    d.stop()


def by_name(url, host=NAME):
    """The same URL with the host replaced by a name (port, user, database kept)."""
    u = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(u._replace(netloc=f"{u.username}@{host}:{u.port}"))


def event(i):
    return {"call_id": 5850000000300000 + i, "state": "hangup", "direction": "inbound",
            "external_number": "+14155550123", "event_timestamp": 1767261726001 + i}


def probe(port, path="/healthz"):
    """(status, seconds) of one request on a new connection."""
    t = time.monotonic()
    status, _, _ = http_request("GET", port, path, timeout=10)
    return status, time.monotonic() - t


def post_event(port, i):
    """POST event i signed: (status, parsed answer, seconds)."""
    t = time.monotonic()
    status, _, raw = http_request("POST", port, "/webhooks/dialpad", body=sign(event(i), SECRET), timeout=10)
    return status, json.loads(raw) if raw else None, time.monotonic() - t


def start_resolving_ingest(daemons, url, conf, tmp_path, spool=True, timeout_ms=3000):
    """Ingest resolving the database host with DIALHOOK_RESOLV_CONF=conf (two connections, the given
    database timeout, a spool in tmp_path unless spool is False); returns once /healthz answers."""
    env = {"DIALHOOK_SPOOL_DIR": str(tmp_path / "spool")} if spool else {}
    return start_ingest(daemons, url, wait="/healthz", DIALHOOK_RESOLV_CONF=conf,
                        DIALHOOK_DB_TIMEOUT_MS=timeout_ms, DIALHOOK_DB_CONNECTIONS=2, **env)


def probe_while(d, seconds, webhook_every=None, first_id=0):
    """Probe /healthz every 50 ms (and POST a webhook every webhook_every s) for seconds."""
    lat, hooks, i, next_hook = [], [], first_id, time.monotonic()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        status, took = probe(d.port)
        assert status == 200
        lat.append(took)
        if webhook_every is not None and time.monotonic() >= next_hook:
            hooks.append(post_event(d.port, i))
            i += 1
            next_hook += webhook_every
        time.sleep(0.05)
    return lat, hooks


def test_ingest_keeps_serving_and_spools_while_the_resolver_is_dead(daemons, db, deaddns, tmp_path):
    timeout_ms = 4000
    d = start_resolving_ingest(daemons, by_name(db), deaddns.resolv_conf(str(tmp_path)), tmp_path,
                               timeout_ms=timeout_ms)
    # two lookups run into their 4 s limit while the loop keeps answering
    lat, hooks = probe_while(d, 9.0, webhook_every=0.5)
    d.wait_log("no answer from the DNS resolver within 4000 ms", timeout=5)
    assert deaddns.queries > 0, "the lookups did not go to DIALHOOK_RESOLV_CONF's nameserver"
    print(f"healthz during a dead resolver: n={len(lat)} median={statistics.median(lat) * 1000:.1f} ms "
          f"max={max(lat) * 1000:.1f} ms")
    # a blocked loop would hold a probe for the whole 4 s lookup
    assert max(lat) < 1.0, max(lat)
    assert statistics.median(lat) < 0.1, statistics.median(lat)
    assert hooks and all(s == 200 and b == {"status": "spooled"} for s, b, _ in hooks), hooks
    assert all(took < timeout_ms / 1000 for _, _, took in hooks), [t for _, _, t in hooks]
    # the resolver comes back: the next attempt connects and the spool is replayed
    deaddns.answers, deaddns.drop = {NAME: "127.0.0.1"}, False
    d.wait_log("database connection up", timeout=20)
    c = psycopg2.connect(db)
    try:
        deadline = time.time() + 20
        while time.time() < deadline and query(c, "SELECT count(*) FROM webhook_events")[0][0] < len(hooks):
            time.sleep(0.2)
        assert query(c, "SELECT count(*) FROM webhook_events")[0][0] == len(hooks)
    finally:
        c.close()


def test_ingest_answers_503_within_the_timeout_without_a_spool(daemons, db, deaddns, tmp_path):
    timeout_ms = 2000
    d = start_resolving_ingest(daemons, by_name(db), deaddns.resolv_conf(str(tmp_path)), tmp_path,
                               spool=False, timeout_ms=timeout_ms)
    lat, hooks = probe_while(d, 5.0, webhook_every=0.5)
    d.wait_log("no answer from the DNS resolver within 2000 ms", timeout=5)
    assert max(lat) < 1.0, max(lat)
    assert hooks and all(s == 503 for s, _, _ in hooks), hooks
    assert all(took < timeout_ms / 1000 for _, _, took in hooks), [t for _, _, t in hooks]


def test_sigterm_while_a_lookup_runs_exits_0(daemons, db, deaddns, tmp_path):
    """The lookup in flight is cancelled and freed (the daemons fixture fails on LeakSanitizer output)."""
    d = start_resolving_ingest(daemons, by_name(db), deaddns.resolv_conf(str(tmp_path)), tmp_path)
    time.sleep(0.5)
    assert deaddns.queries > 0
    d.signal(signal.SIGTERM)
    assert d.wait(timeout=15) == 0, d.logtext()


def test_processor_keeps_serving_while_the_resolver_is_dead(daemons, db, deaddns, tmp_path):
    port = free_port()
    p = daemons.start("dialhook-processor", {
        "DATABASE_URL": by_name(db), "DIALHOOK_RESOLV_CONF": deaddns.resolv_conf(str(tmp_path)),
        "DIALHOOK_METRICS_LISTEN": f"127.0.0.1:{port}"}, http_port=port)
    p.wait_http("/healthz")
    lat, _ = probe_while(p, 7.0)
    assert max(lat) < 1.0, max(lat)
    assert probe(port, "/readyz")[0] == 503
    assert deaddns.queries > 0
    p.signal(signal.SIGTERM)
    assert p.wait(timeout=15) == 0, p.logtext()


def test_ctl_gives_up_on_a_dead_resolver(db, deaddns, tmp_path):
    env = dict(os.environ, DATABASE_URL=by_name(db), DIALHOOK_RESOLV_CONF=deaddns.resolv_conf(str(tmp_path)))
    t = time.monotonic()
    r = subprocess.run([binpath("dialhookctl"), "stats"], env=env, capture_output=True, text=True, timeout=60)
    took = time.monotonic() - t
    assert r.returncode == 1
    assert f'could not translate host name "{NAME}" to address: no answer from the DNS resolver' in r.stderr
    assert took < 15, took


def test_everything_connects_through_a_resolved_name(daemons, fresh_db, gooddns, tmp_path):
    conf = gooddns.resolv_conf(str(tmp_path))
    url = by_name(fresh_db)
    env = dict(os.environ, DATABASE_URL=url, DIALHOOK_RESOLV_CONF=conf)
    r = subprocess.run([binpath("dialhookctl"), "migrate"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    # several hosts: one that does not resolve is left out, the next is used
    u = urllib.parse.urlsplit(fresh_db)
    multi = f"postgresql://{u.username}@nowhere.dialhook.test:{u.port},{NAME}:{u.port}{u.path}"
    r = subprocess.run([binpath("dialhookctl"), "migrate", "--status"], env=dict(env, DATABASE_URL=multi),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "applied  001_init" in r.stdout, r.stderr
    ing = start_resolving_ingest(daemons, url, conf, tmp_path, spool=False)
    ing.wait_log("database connection up")
    status, body, _ = post_event(ing.port, 1)
    assert status == 200 and body["status"] == "stored", body
    mport = free_port()
    daemons.start("dialhook-processor", {"DATABASE_URL": url, "DIALHOOK_RESOLV_CONF": conf,
                                         "DIALHOOK_METRICS_LISTEN": f"127.0.0.1:{mport}"},
                  http_port=mport).wait_http("/readyz")
    c = psycopg2.connect(fresh_db)
    try:
        deadline = time.time() + 15
        while time.time() < deadline and not query(c, "SELECT 1 FROM calls"):
            time.sleep(0.2)
        assert query(c, "SELECT dialpad_call_id FROM calls") == [(5850000000300001,)]
    finally:
        c.close()
    assert NAME in gooddns.names and "nowhere.dialhook.test" in gooddns.names
