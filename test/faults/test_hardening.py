"""Hardening cases (issue 12): what an attacker or a bad day in production did to
the daemons, each turned into a regression test that asserts the outcome.

  - ingest under twice its open-file limit in idle connections (and, with the
    limit lowered under it while it runs, accept() failing with EMFILE): no
    crash, bounded CPU and log, a signed webhook answered 200 once some close;
  - the processor's metrics listener under a slow-connection flood with a low
    open-file limit: bounded CPU and log, the database reconnect still gets a
    descriptor, a new event is processed;
  - a read-only spool directory: every acknowledged event replayed once, with a
    bounded number of INSERT statements (counted by a statement trigger), the
    segments removed once the directory is writable again;
  - a spool directory that becomes unwritable while the database is down: 503,
    one log line, /readyz 503, and back to normal once it is writable.

Low open-file limits are set for the daemon only (setrlimit in the child,
prlimit on the running one). A directory that turns read-only is, as root, a
tmpfs of its own mounted on the test's spool directory and remounted ro/rw, as
ext4's errors=remount-ro would (not a private mount namespace: unshare needs /
to be a mount point, and in a chroot, as fresh-check's, it is not); without
root the directory is chmod 0555 instead (root ignores that mode).
Everything runs on loopback and every loop is bounded.
"""
import http.client
import json
import os
import re
import resource
import socket
import subprocess
import threading
import time

import psycopg2
import pytest

from conftest import (connect, free_port, http_request, ingest_env, metric, processor_env, query, scale, sign,
                      start_ingest, summary, wait_until)

SECRET = "hardening-secret"
PATH = "/webhooks/dialpad"
ROOT = os.geteuid() == 0


def call_event(i):
    return {"call_id": 5850000000300000 + i, "state": "hangup", "direction": "inbound",
            "external_number": "+14155550123", "event_timestamp": 1767261726001 + i}


def key(i):
    return f"call:{5850000000300000 + i}:hangup:{1767261726001 + i}"


def post_event(port, i, timeout=5.0):
    """POST event i signed on a new connection: (status, answer) or (0, None) if the connection failed."""
    try:
        status, _, raw = http_request("POST", port, PATH, body=sign(call_event(i), SECRET), timeout=timeout)
    except (OSError, http.client.HTTPException):
        return 0, None
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, None


def cpu_seconds(pid):
    """utime + stime of pid, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def log_lines(d):
    return len(d.logtext().splitlines())


def keys_in_db(db):
    try:
        c = connect(db)
    except psycopg2.Error:
        return set()
    try:
        return {r[0] for r in query(c, "SELECT dedupe_key FROM webhook_events")}
    finally:
        c.close()


def open_idle(port, n):
    """n TCP connections to port that send nothing (the kernel's backlog takes them all)."""
    socks = []
    for _ in range(n):
        socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    return socks


def close_all(socks):
    for s in socks:
        s.close()
    socks.clear()


# ---------------------------------------------------------------- ingest: 2x its fd limit in idle connections

def test_ingest_survives_twice_its_fd_limit_in_idle_connections(daemons, db):
    nofile = 256
    port, mport = free_port(), free_port()
    env = ingest_env(db, port, secret=SECRET, DIALHOOK_READ_TIMEOUT_MS=60000,
                     DIALHOOK_METRICS_LISTEN=f"127.0.0.1:{mport}")
    d = daemons.start("dialhook-ingest", env, http_port=port, nofile=nofile)
    d.wait_http("/readyz")
    idle = open_idle(port, 2 * nofile)
    try:
        time.sleep(1)
        assert d.proc.poll() is None, "ingest died under the idle flood:\n" + d.logtext()[-3000:]
        m = re.search(r"DIALHOOK_MAX_CONNECTIONS lowered to fit the open-file limit.* max_connections=(\d+) "
                      rf"nofile={nofile} ", d.logtext())
        assert m, "no start-up line about the lowered connection cap:\n" + d.logtext()
        cap = int(m.group(1))
        assert 0 < cap < nofile
        wait_until(lambda: metric(mport, "dialhook_ingest_connections") == cap, f"{cap} connections held")
        refused = "dialhook_ingest_connections_refused_total"
        wait_until(lambda: (metric(mport, refused) or 0) >= 2 * nofile - cap,
                   "the connections over the cap closed at once")
        assert d.proc.poll() is None, d.logtext()[-3000:]
        # a new connection while the cap is reached is closed at once, never answered
        assert post_event(port, 0)[0] == 0
        # once some close, a new connection is served
        close_all(idle[:10])
        del idle[:10]
        wait_until(lambda: post_event(port, 1)[0] == 200, "a signed webhook answered 200 on a new connection",
                   timeout=10)
        assert key(1) in keys_in_db(db)
    finally:
        close_all(idle)
    wait_until(lambda: metric(mport, "dialhook_ingest_connections") == 0, "the idle connections gone")

    # accept() failing: the running daemon's limit lowered under what its cap assumed
    lim = open_fds(d.pid) + 8
    resource.prlimit(d.pid, resource.RLIMIT_NOFILE, (lim, lim))
    flood = open_idle(port, 100)
    try:
        d.wait_log("could not accept a connection, pausing")
        cpu0, lines0 = cpu_seconds(d.pid), log_lines(d)
        time.sleep(3)
        cpu = cpu_seconds(d.pid) - cpu0
        lines = log_lines(d) - lines0
        assert d.proc.poll() is None, d.logtext()[-3000:]
        assert cpu < 0.75, f"{cpu:.2f} s of CPU in 3 s while accept() fails: spinning"
        assert lines <= 5, f"{lines} log lines in 3 s while accept() fails"
    finally:
        close_all(flood)
    wait_until(lambda: post_event(port, 2)[0] == 200,
               "a signed webhook answered 200 after accept() recovered", timeout=15)
    errors = metric(mport, "dialhook_ingest_accept_errors_total", 'listener="webhooks"')
    assert errors and errors > 0, errors
    assert d.stop() == 0
    summary("ingest_fd_limit", nofile=nofile, cap=cap, idle=2 * nofile, accept_errors=int(errors),
            cpu_while_emfile_s=round(cpu, 2), log_lines_while_emfile=lines, crashed=0)


# ---------------------------------------------------------------- processor: slow flood on its metrics port

class SlowFlood:
    """n clients that each send a request to port one byte every `every` seconds, and
    reconnect whenever they are closed (as an attacker would)."""

    REQ = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"

    def __init__(self, port, n, every=2.0):
        self.port, self.n, self.every = port, n, every
        self.stop = threading.Event()
        self.reconnects = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self):
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=1)
            s.setblocking(False)
            return [s, 0]
        except OSError:
            return None

    def _run(self):
        conns = [self._open() for _ in range(self.n)]
        while not self.stop.is_set():
            for i, c in enumerate(conns):
                if c is not None:
                    try:
                        c[0].send(self.REQ[c[1] % len(self.REQ):c[1] % len(self.REQ) + 1])
                        c[1] += 1
                        continue
                    except OSError:
                        c[0].close()
                conns[i] = self._open()
                self.reconnects += 1
            self.stop.wait(self.every)
        for c in conns:
            if c is not None:
                c[0].close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=30)


def test_processor_metrics_listener_under_slow_flood(daemons, db, sql):
    nofile, window = 64, scale(8.0, 12.0)
    mport = free_port()
    p = daemons.start("dialhook-processor", processor_env(db, DIALHOOK_METRICS_LISTEN=f"127.0.0.1:{mport}"),
                      http_port=mport, nofile=nofile)
    p.wait_http("/readyz")
    ing = start_ingest(daemons, db, secret=SECRET)
    with SlowFlood(mport, 100) as flood:
        time.sleep(1.0)
        cpu0, lines0, t0 = cpu_seconds(p.pid), log_lines(p), time.monotonic()
        # the database connection is lost under the flood: the reconnect must get a descriptor
        killed = query(sql, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE"
                            " application_name = 'dialhook-processor' AND datname = current_database()")[0][0]
        assert killed >= 1
        wait_until(lambda: p.logtext().count("database connected") >= 2, "the processor to reconnect",
                   timeout=window)
        assert post_event(ing.port, 7)[0] == 200
        wait_until(lambda: query(sql, "SELECT count(*) FROM webhook_events WHERE dedupe_key = %s"
                                      " AND processed_at IS NOT NULL", key(7))[0][0] == 1,
                   "the new event processed", timeout=window)
        time.sleep(max(0.0, window - (time.monotonic() - t0)))
        took = time.monotonic() - t0
        cpu = cpu_seconds(p.pid) - cpu0
        lines = log_lines(p) - lines0
        assert p.proc.poll() is None, p.logtext()[-3000:]
    assert cpu < 0.2 * took, f"{cpu:.2f} s of CPU in {took:.1f} s under the slow flood"
    assert lines <= 40, f"{lines} log lines in {took:.1f} s under the slow flood:\n" + p.logtext()[-3000:]
    assert query(sql, "SELECT count(*) FROM calls WHERE dialpad_call_id = %s", 5850000000300007)[0][0] == 1
    wait_until(lambda: http_request("GET", mport, "/metrics", timeout=2)[0] == 200,
               "/metrics after the flood", timeout=10)
    assert p.stop() == 0
    summary("processor_slow_flood", nofile=nofile, slow_clients=100, reconnects_by_flood=flood.reconnects,
            window_s=round(took, 1), cpu_s=round(cpu, 2), log_lines=lines, db_reconnected=1, processed=1)


# ---------------------------------------------------------------- read-only spool directory

@pytest.fixture
def spool(tmp_path):
    """The spool directory, on a tmpfs of its own when root (unmounted after the test)."""
    d = tmp_path / "spool"
    d.mkdir()
    if ROOT:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m,mode=0750", "tmpfs", str(d)],
                       check=True, capture_output=True, timeout=10)
    yield d
    if ROOT:
        subprocess.run(["umount", "-l", str(d)], capture_output=True, timeout=10)


def set_writable(spool, writable):
    """Make the spool directory read-only or writable again (remount as root, else chmod)."""
    if ROOT:
        subprocess.run(["mount", "-o", "remount," + ("rw" if writable else "ro"), str(spool)],
                       check=True, capture_output=True, timeout=10)
    else:
        spool.chmod(0o750 if writable else 0o555)


def segments(spool):
    return sorted(f.name for f in spool.iterdir() if f.name.endswith(".seg"))


def spool_events(daemons, db, spool, first, n):
    """One ingest (database down) spools events first..first+n-1, then stops (sealing its segment)."""
    d = start_ingest(daemons, db, secret=SECRET, DIALHOOK_SPOOL_DIR=spool, DIALHOOK_DB_TIMEOUT_MS=1000)
    got = [post_event(d.port, i) for i in range(first, first + n)]
    assert all(g == (200, {"status": "spooled"}) for g in got), {g[0] for g in got}
    assert d.stop() == 0, d.logtext()[-2000:]


def count_inserts(db):
    c = connect(db)
    try:
        return query(c, "SELECT n FROM test_insert_statements")[0][0]
    finally:
        c.close()


def test_readonly_spool_replays_every_event_once(daemons, db, sql, pg, spool):
    n = scale(300, 1500)
    # every INSERT statement on webhook_events, counted by the database itself (a statement-level
    # trigger fires even when ON CONFLICT DO NOTHING skips every row)
    for stmt in ("CREATE TABLE test_insert_statements (n int8 NOT NULL)",
                 "INSERT INTO test_insert_statements VALUES (0)",
                 "CREATE FUNCTION test_count_insert() RETURNS trigger LANGUAGE plpgsql AS"
                 " $$BEGIN UPDATE test_insert_statements SET n = n + 1; RETURN NULL; END$$",
                 "CREATE TRIGGER test_count_insert AFTER INSERT ON webhook_events"
                 " FOR EACH STATEMENT EXECUTE FUNCTION test_count_insert()"):
        query(sql, stmt)
    sql.close()
    port = free_port()
    with pg.down():
        spool_events(daemons, db, spool, 0, n)
        spool_events(daemons, db, spool, n, n)
        segs = segments(spool)
        assert len(segs) == 2, segs
        env = ingest_env(db, port, secret=SECRET, DIALHOOK_SPOOL_DIR=spool, DIALHOOK_DB_TIMEOUT_MS=1000)
        set_writable(spool, False)      # as ext4 errors=remount-ro would make it
        d = daemons.start("dialhook-ingest", env, http_port=port)
        d.wait_http("/healthz")
    want = {key(i) for i in range(2 * n)}
    wait_until(lambda: want <= keys_in_db(db), "every acknowledged event in webhook_events", timeout=60)
    time.sleep(5)  # replay goes on meanwhile if it loops
    inserts = count_inserts(db)
    c = connect(db)
    try:
        rows, distinct = query(c, "SELECT count(*), count(DISTINCT dedupe_key) FROM webhook_events")[0]
    finally:
        c.close()
    assert rows == distinct == 2 * n
    # 500 records per replay statement: one or two per segment; a few more for a transient retry
    assert inserts <= 2 * ((n + 499) // 500) + 2, f"{inserts} INSERT statements to replay two segments"
    assert segments(spool) == segs, "the segments cannot have been removed from a read-only directory"
    assert metric(port, "dialhook_ingest_spool_unremovable_segments") == 2
    assert metric(port, "dialhook_ingest_spool_replayed_total") == 2 * n
    assert d.logtext().count("it will not be replayed again") == 2, d.logtext()[-3000:]
    # writable again: the removal, retried with backoff, succeeds; nothing is replayed again
    set_writable(spool, True)
    wait_until(lambda: segments(spool) == [], "the finished segments removed", timeout=40)
    assert metric(port, "dialhook_ingest_spool_unremovable_segments") == 0
    assert count_inserts(db) == inserts
    assert d.stop() == 0
    summary("spool_readonly", acked=2 * n, stored=rows, segments=2, insert_statements=inserts,
            unremovable=2, removed_after_rw=2, lost=0)


def test_spool_unwritable_while_database_down(daemons, db, pg, spool):
    port = free_port()
    env = ingest_env(db, port, secret=SECRET, DIALHOOK_SPOOL_DIR=spool, DIALHOOK_DB_TIMEOUT_MS=1000)
    with pg.down():
        d = daemons.start("dialhook-ingest", env, http_port=port)
        d.wait_http("/readyz")
        status, _, raw = http_request("GET", port, "/readyz")
        assert (status, json.loads(raw).get("spool")) == (200, "on")
        # the directory becomes read-only while the database is down
        set_writable(spool, False)
        got = [post_event(port, i) for i in range(20)]
        assert all(g == (503, {"status": "error", "reason": "unavailable"}) for g in got), got
        status, _, raw = http_request("GET", port, "/readyz")
        assert (status, json.loads(raw)) == (503, {"status": "error", "reason": "unavailable"})
        assert metric(port, "dialhook_ingest_spool_writable") == 0
        assert d.logtext().count("outage spool cannot be written") == 1, d.logtext()[-3000:]
        # writable again: spooled again
        set_writable(spool, True)
        wait_until(lambda: post_event(port, 100) == (200, {"status": "spooled"}),
                   "the spool to take events again", timeout=10)
        assert http_request("GET", port, "/readyz")[0] == 200
        assert metric(port, "dialhook_ingest_spool_writable") == 1
        d.wait_log("outage spool written again")
    wait_until(lambda: key(100) in keys_in_db(db), "the spooled event replayed", timeout=30)
    assert not {key(i) for i in range(20)} & keys_in_db(db)
    assert d.stop() == 0
    summary("spool_unwritable", refused_503=20, readyz_while_unwritable=503, log_lines=1, spooled_after=1,
            lost=0)
