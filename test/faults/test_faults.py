"""Fault-injection suite (issue 7): the daemons under load while PostgreSQL, the
daemons themselves, their connections and their clients misbehave.

Every case ends with the same two checks:
  1. every event that got a 200 is in webhook_events (by its dedupe key, and
     with the id the 200 carried when it said "stored");
  2. after what was not acknowledged is redelivered (as Dialpad's retry would)
     and the processors finish, `calls` and `call_recordings` equal gen-events'
     --expect rows.
Load is sent from Python threads over keep-alive http.client connections to
127.0.0.1 (per-event outcome recorded) or by gen-events --url. Every loop is
bounded in count and time; daemons are stopped by PID by the `daemons` fixture.

FAULTS_SCALE=short (make check) or full (make faults) sets counts and durations.
Each case prints one summary line `fault case=... sent=... acked=... stored=...
lost=0` (also appended to $FAULTS_SUMMARY).
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time

from conftest import (assert_matches_expect, b64url_decode, binpath, calls_rows, connect, expected_rows,
                      free_port, http_request, processor_once, query, scale, start_ingest, start_processor,
                      summary, undone, wait_until)

SECRET = "faults-secret"
PATH = "/webhooks/dialpad"


# ---------------------------------------------------------------- helpers

def key_of(body):
    """Ingest's dedupe key for a generated (native call) event."""
    c = json.loads(b64url_decode(body.split(".")[1]))
    return f"call:{c['call_id']}:{c['state']}:{c['event_timestamp']}"


class Events:
    """gen-events --out/--expect: signed bodies, their keys, the expected calls rows."""

    def __init__(self, tmp_path, calls, seed, shuffle=True, duplicates=None):
        out, expect = tmp_path / f"ev{seed}.jwt", tmp_path / f"expect{seed}.jsonl"
        args = [binpath("dialhookctl"), "gen-events", "--out", str(out), "--expect", str(expect),
                "--secret", SECRET, "--calls", str(calls), "--seed", str(seed)]
        if shuffle:
            args.append("--shuffle")
        if duplicates:
            args += ["--duplicates", str(duplicates)]
        r = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        self.bodies = out.read_text().split()
        self.keys = [key_of(b) for b in self.bodies]
        self.unique = set(self.keys)
        self.expected = expected_rows(expect)
        self.expect_path = expect


class Load:
    """Threads POSTing bodies (each at most once per pass) over keep-alive
    connections; records per body: status and parsed answer; connection errors
    are recorded as status 0. Stops at the end of the list, on stop(), or at
    `max_seconds`; `pace` sleeps between requests of one thread."""

    def __init__(self, port, bodies, threads=8, pace=0.0, max_seconds=120.0, timeout=10.0):
        self.port, self.bodies, self.pace, self.timeout = port, bodies, pace, timeout
        self.results = [None] * len(bodies)
        self.next = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.deadline = time.monotonic() + max_seconds
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def _take(self):
        with self.lock:
            if self.next >= len(self.bodies) or self.stopping.is_set() or time.monotonic() > self.deadline:
                return None
            i = self.next
            self.next += 1
            return i

    def _run(self):
        conn = None
        while True:
            i = self._take()
            if i is None:
                break
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                conn.request("POST", PATH, body=self.bodies[i])
                r = conn.getresponse()
                raw = r.read()
                try:
                    doc = json.loads(raw)
                except ValueError:
                    doc = None
                self.results[i] = (r.status, doc)
                if r.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                self.results[i] = (0, None)
                conn.close()
                conn = None
                time.sleep(0.01)
            if self.pace:
                time.sleep(self.pace)
        if conn is not None:
            conn.close()

    def stop(self):
        self.stopping.set()

    def join(self, timeout=120.0):
        end = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.1, end - time.monotonic()))
        assert not any(t.is_alive() for t in self.threads), "load threads did not finish"
        return self

    def count(self, pred):
        return sum(1 for r in self.results if r is not None and pred(r))

    @property
    def sent(self):
        return self.count(lambda r: True)

    @property
    def acked(self):
        return self.count(lambda r: r[0] == 200)

    def statuses(self):
        out = {}
        for r in self.results:
            if r is not None:
                out[r[0]] = out.get(r[0], 0) + 1
        return out


def check_acked_stored(conn, bodies, results):
    """Every 200 is in webhook_events; a "stored" 200 with the id it announced.
    Returns (acked keys, rows in webhook_events)."""
    in_db = dict(query(conn, "SELECT dedupe_key, id FROM webhook_events"))
    acked, lost, wrong_id = set(), [], []
    for body, res in zip(bodies, results):
        if res is None or res[0] != 200:
            continue
        k = key_of(body)
        acked.add(k)
        if k not in in_db:
            lost.append(k)
        elif res[1] and res[1].get("status") == "stored" and res[1].get("id") != in_db[k]:
            wrong_id.append((k, res[1].get("id"), in_db[k]))
    assert not lost, f"{len(lost)} acknowledged events missing from webhook_events, e.g. {lost[:5]}"
    assert not wrong_id, f"stored ids differ from the 200 answers: {wrong_id[:5]}"
    return acked, len(in_db)


def redeliver(port, bodies, results, rounds=10):
    """Dialpad's retry for what was not acknowledged: POST again until 200
    (bounded). Returns how many were redelivered."""
    todo = [i for i, r in enumerate(results) if r is None or r[0] != 200]
    n = len(todo)
    for _ in range(rounds):
        if not todo:
            break
        load = Load(port, [bodies[i] for i in todo], threads=4).start().join()
        todo = [i for i, r in zip(todo, load.results) if r is None or r[0] != 200]
        if todo:
            time.sleep(0.5)
    assert not todo, f"{len(todo)} events still not acknowledged after {rounds} redeliveries"
    return n


def finish_and_compare(daemons, db, ev):
    """Processor --once over everything, then calls == the generator's expectation."""
    processor_once(daemons, db, timeout=300)
    conn = connect(db)
    try:
        assert undone(conn) == 0
        assert_matches_expect(conn, ev.expect_path, ev.expected)     # calls and call_recordings
        return len(ev.expected)
    finally:
        conn.close()


# ---------------------------------------------------------------- PostgreSQL stopped -m immediate

def pg_immediate_case(daemons, db, pg, tmp_path, spool):
    ev = Events(tmp_path, scale(200, 1500), seed=101)
    extra = {"DIALHOOK_DB_TIMEOUT_MS": 1000}
    if spool:
        extra["DIALHOOK_SPOOL_DIR"] = str(tmp_path / "spool")
    ing = start_ingest(daemons, db, secret=SECRET, timeout=15, **extra)
    load = Load(ing.port, ev.bodies, threads=8, pace=scale(0.08, 0.05), max_seconds=scale(60, 240)).start()
    wait_until(lambda: load.acked >= len(ev.bodies) // 4, "a quarter acknowledged", timeout=60)
    down = scale(3.0, 8.0)
    with pg.down("immediate"):
        acked_at_halt = load.acked
        time.sleep(down)
    ing.wait_http("/readyz", timeout=30)
    load.join(timeout=scale(90, 300))
    st = load.statuses()
    non2xx = {s: n for s, n in st.items() if s != 200}
    if spool:
        assert not non2xx, f"with the spool every request must get a 2xx: {st}"
    else:
        assert set(non2xx) <= {503}, f"only 503s are allowed without the spool: {st}"
        assert non2xx.get(503, 0) > 0, f"the outage produced no 503 at all; the case proves nothing: {st}"
    assert load.acked > acked_at_halt + 50, "nothing acknowledged after the restart; the load ended too early"
    conn = connect(db)
    try:
        if spool:  # replay is asynchronous: wait for the spool to drain into the table
            wait_until(lambda: len(ev.unique - set(r[0] for r in query(conn, "SELECT dedupe_key FROM webhook_events")))
                       == 0, "the spool replay", timeout=60)
        acked, stored = check_acked_stored(conn, ev.bodies, load.results)
    finally:
        conn.close()
    resent = redeliver(ing.port, ev.bodies, load.results)
    rows = finish_and_compare(daemons, db, ev)
    assert ing.proc.poll() is None
    summary("pg_immediate_spool" if spool else "pg_immediate", sent=load.sent, acked=load.acked,
            acked_before_halt=acked_at_halt, non2xx=sum(non2xx.values()), down_s=down, stored=stored,
            redelivered=resent, calls=rows, lost=0)


def test_pg_immediate_stop_without_spool(daemons, db, pg, tmp_path):
    pg_immediate_case(daemons, db, pg, tmp_path, spool=False)


def test_pg_immediate_stop_with_spool(daemons, db, pg, tmp_path):
    pg_immediate_case(daemons, db, pg, tmp_path, spool=True)


# ---------------------------------------------------------------- ingest kill -9

def test_ingest_kill_9_under_load(daemons, db, tmp_path):
    ev = Events(tmp_path, scale(200, 1500), seed=202)
    port = free_port()
    ing = start_ingest(daemons, db, secret=SECRET, timeout=15, port=port)
    load = Load(port, ev.bodies, threads=8, max_seconds=120).start()
    wait_until(lambda: load.acked >= len(ev.bodies) // 3, "a third acknowledged", timeout=60)
    ing.proc.send_signal(signal.SIGKILL)
    ing.proc.wait()
    load.stop()
    load.join()
    st = load.statuses()
    assert set(st) <= {200, 0}, st
    conn = connect(db)
    try:
        acked, stored = check_acked_stored(conn, ev.bodies, load.results)
    finally:
        conn.close()
    # a new ingest on the same port; Dialpad's retries of what was not acknowledged
    ing2 = start_ingest(daemons, db, secret=SECRET, timeout=15, port=port)
    resent = redeliver(port, ev.bodies, load.results)
    rows = finish_and_compare(daemons, db, ev)
    assert ing2.proc.poll() is None
    summary("ingest_kill9", sent=load.sent, acked=load.acked, conn_errors=st.get(0, 0), stored=stored,
            redelivered=resent, calls=rows, lost=0)


# ---------------------------------------------------------------- processor kill -9 mid-batch

def test_processor_kill_9_mid_batch(daemons, db, tmp_path):
    ev = Events(tmp_path, scale(400, 3000), seed=303, duplicates="0.1")
    ing = start_ingest(daemons, db, secret=SECRET, timeout=15)
    load = Load(ing.port, ev.bodies, threads=8, max_seconds=180).start()
    conn = connect(db)
    try:
        wait_until(lambda: query(conn, "SELECT count(*) FROM webhook_events")[0][0] >= len(ev.unique) // 2,
                   "half the events stored", timeout=60)
        p = start_processor(daemons, db, DIALHOOK_BATCH_SIZE=10)
        total = query(conn, "SELECT count(*) FROM webhook_events")[0][0]
        wait_until(lambda: query(conn, "SELECT count(*) FROM webhook_events WHERE processed_at IS NOT NULL")[0][0]
                   >= 50, "some batches", timeout=60)
        p.proc.send_signal(signal.SIGKILL)
        p.proc.wait()
        done = query(conn, "SELECT count(*) FROM webhook_events WHERE processed_at IS NOT NULL")[0][0]
        assert 0 < done < query(conn, "SELECT count(*) FROM webhook_events")[0][0], \
            "kill -9 did not land mid-drain; the case proves nothing"
        load.join()
        assert load.statuses() == {200: len(ev.bodies)}, load.statuses()
        acked, stored = check_acked_stored(conn, ev.bodies, load.results)
        p2 = start_processor(daemons, db, DIALHOOK_BATCH_SIZE=50)
        wait_until(lambda: undone(conn) == 0, "the restarted processor to drain", timeout=120)
        assert p2.stop() == 0
        got = calls_rows(conn)
        assert_matches_expect(conn, ev.expect_path, ev.expected)     # after kill -9 + restart
    finally:
        conn.close()
    summary("processor_kill9", sent=load.sent, acked=load.acked, stored=stored, processed_before_kill=done,
            stored_at_start=total, calls=len(got), lost=0)


# ---------------------------------------------------------------- pg_terminate_backend on a processor

def test_processor_connection_terminated(daemons, db, tmp_path):
    ev = Events(tmp_path, scale(300, 2500), seed=404, duplicates="0.1")
    ing = start_ingest(daemons, db, secret=SECRET, timeout=15)
    p = start_processor(daemons, db, DIALHOOK_BATCH_SIZE=20)
    load = Load(ing.port, ev.bodies, threads=6, pace=0.002, max_seconds=180).start()
    conn = connect(db)
    kills = 0
    try:
        end = time.monotonic() + scale(4, 15)
        while time.monotonic() < end and (load.sent < len(ev.bodies) or kills == 0):
            time.sleep(0.5)
            n = query(conn, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                            " WHERE application_name = 'dialhook-processor' AND datname = current_database()")[0][0]
            kills += n
        load.join()
        assert kills >= 2, f"only {kills} processor backends terminated"
        assert load.statuses() == {200: len(ev.bodies)}, load.statuses()
        acked, stored = check_acked_stored(conn, ev.bodies, load.results)
        wait_until(lambda: undone(conn) == 0, "the processor to reconnect and drain", timeout=120)
        assert p.proc.poll() is None, "the processor died"
        got = calls_rows(conn)
        assert_matches_expect(conn, ev.expect_path, ev.expected)
        reconnects = p.logtext().count("database connected")
        assert reconnects >= 2, p.logtext()[-3000:]
    finally:
        conn.close()
    assert p.stop() == 0
    summary("processor_terminate_backend", sent=load.sent, acked=load.acked, stored=stored, backends_killed=kills,
            processor_connects=reconnects, calls=len(got), lost=0)


# ---------------------------------------------------------------- full spool

def test_full_spool_503_then_recovers(daemons, db, pg, tmp_path):
    ev = Events(tmp_path, scale(600, 1500), seed=505)
    spool = tmp_path / "spool"
    ing = start_ingest(daemons, db, secret=SECRET, timeout=15, DIALHOOK_DB_TIMEOUT_MS=1000,
                       DIALHOOK_SPOOL_DIR=str(spool), DIALHOOK_SPOOL_MAX_BYTES="1M")
    with pg.down("immediate"):
        # each body is ~1 kB: a 1 MiB spool is full after roughly a thousand events
        load = Load(ing.port, ev.bodies, threads=8, max_seconds=120).start().join(timeout=180)
        st = load.statuses()
        assert set(st) <= {200, 503}, st
        assert st.get(503, 0) > 0, f"the 1 MiB spool never filled: {st}"
        assert st.get(200, 0) > 0, f"nothing was spooled: {st}"
        size = sum(f.stat().st_size for f in spool.rglob("*") if f.is_file())
        assert size <= 1024 * 1024 + 64 * 1024, f"spool grew to {size} bytes over its 1 MiB cap"
    ing.wait_http("/readyz", timeout=30)
    conn = connect(db)
    try:
        acked_keys = {key_of(b) for b, r in zip(ev.bodies, load.results) if r and r[0] == 200}
        wait_until(lambda: not (acked_keys - {r[0] for r in query(conn, "SELECT dedupe_key FROM webhook_events")}),
                   "the spool replay", timeout=60)
        acked, stored = check_acked_stored(conn, ev.bodies, load.results)
    finally:
        conn.close()
    resent = redeliver(ing.port, ev.bodies, load.results)
    rows = finish_and_compare(daemons, db, ev)
    summary("spool_full", sent=load.sent, acked=load.acked, non2xx=st.get(503, 0), spool_bytes=size,
            stored=stored, redelivered=resent, calls=rows, lost=0)


# ---------------------------------------------------------------- hostile clients

def _closed_within(s, seconds):
    """Wait for the peer to close (EOF or reset); returns elapsed seconds or None."""
    t0 = time.monotonic()
    s.settimeout(0.2)
    while time.monotonic() - t0 < seconds:
        try:
            data = s.recv(65536)
            if data == b"":
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except OSError:
            return time.monotonic() - t0
    return None


def test_hostile_clients_do_not_starve_healthy_ones(daemons, db, tmp_path):
    timeout_ms = 1500
    ev = Events(tmp_path, scale(100, 600), seed=606)
    ing = start_ingest(daemons, db, secret=SECRET, timeout=15, DIALHOOK_READ_TIMEOUT_MS=timeout_ms)
    port = ing.port
    duration = scale(8.0, 30.0)
    stop = threading.Event()
    closed = {}          # kind -> list of seconds-until-closed (None = never closed while we watched)
    lock = threading.Lock()

    def note(kind, v):
        with lock:
            closed.setdefault(kind, []).append(v)

    def slow_client():
        # a valid request, one byte per second
        body = ev.bodies[0].encode()
        req = (f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        t0 = time.monotonic()
        try:
            for i in range(len(req)):
                if stop.is_set():
                    break
                s.sendall(req[i:i + 1])
                if _closed_within(s, 1.0) is not None:
                    note("slow_1Bps", round(time.monotonic() - t0, 1))
                    return
            note("slow_1Bps", None)
        except OSError:
            note("slow_1Bps", round(time.monotonic() - t0, 1))
        finally:
            s.close()

    def endless_body():
        # chunked body, a small chunk every 0.2 s, never the last chunk
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        t0 = time.monotonic()
        try:
            s.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
            while not stop.is_set():
                s.sendall(b"8\r\nxxxxxxxx\r\n")
                if _closed_within(s, 0.2) is not None:
                    note("endless_body", round(time.monotonic() - t0, 1))
                    return
            note("endless_body", None)
        except OSError:
            note("endless_body", round(time.monotonic() - t0, 1))
        finally:
            s.close()

    def endless_length_body():
        # a declared Content-Length the client never completes, trickled
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        t0 = time.monotonic()
        try:
            s.sendall(f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\n\r\n".encode())
            while not stop.is_set():
                s.sendall(b"x" * 16)
                if _closed_within(s, 0.2) is not None:
                    note("endless_length_body", round(time.monotonic() - t0, 1))
                    return
            note("endless_length_body", None)
        except OSError:
            note("endless_length_body", round(time.monotonic() - t0, 1))
        finally:
            s.close()

    def oversized_headers():
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        t0 = time.monotonic()
        status = None
        try:
            head = f"POST {PATH} HTTP/1.1\r\nHost: x\r\n".encode()
            s.sendall(head + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 1000) for i in range(64)))
            s.settimeout(5)
            data = s.recv(4096)
            status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "closed"
            rest = _closed_within(s, 5)
            note("oversized_headers", (status, None if rest is None else round(time.monotonic() - t0, 1)))
        except OSError:
            note("oversized_headers", (status or "reset", round(time.monotonic() - t0, 1)))
        finally:
            s.close()

    nidle = scale(300, 2000)

    def idle_flood():
        socks = []
        try:
            for _ in range(nidle):
                socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            t0 = time.monotonic()
            open_ = list(socks)
            while open_ and time.monotonic() - t0 < 4 * timeout_ms / 1000 + 5:
                still = []
                for s in open_:
                    s.setblocking(False)
                    try:
                        if s.recv(1) == b"":
                            continue
                    except BlockingIOError:
                        still.append(s)
                        continue
                    except OSError:
                        continue
                open_ = still
                time.sleep(0.1)
            note("idle_flood", (nidle, len(open_), round(time.monotonic() - t0, 1)))
        finally:
            for s in socks:
                s.close()

    abusers = ([threading.Thread(target=slow_client) for _ in range(scale(5, 20))]
               + [threading.Thread(target=endless_body) for _ in range(scale(3, 10))]
               + [threading.Thread(target=endless_length_body) for _ in range(scale(3, 10))]
               + [threading.Thread(target=oversized_headers) for _ in range(scale(3, 10))]
               + [threading.Thread(target=idle_flood)])
    for t in abusers:
        t.daemon = True
        t.start()
    # healthy clients while the abuse runs: every request answered 200, quickly
    latencies, healthy = [], []
    t_end = time.monotonic() + duration
    i = 0
    while time.monotonic() < t_end and i < len(ev.bodies):
        t0 = time.monotonic()
        status, _, _ = http_request("POST", port, PATH, body=ev.bodies[i], timeout=5)
        latencies.append(time.monotonic() - t0)
        healthy.append(status)
        i += 1
        time.sleep(duration / len(ev.bodies))
    stop.set()
    for t in abusers:
        t.join(timeout=4 * timeout_ms / 1000 + 15)
    assert not any(t.is_alive() for t in abusers)
    assert ing.proc.poll() is None, ing.logtext()[-3000:]
    assert healthy and all(s == 200 for s in healthy), {s: healthy.count(s) for s in set(healthy)}
    latencies.sort()
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    assert latencies[-1] < 2.0, f"a healthy request took {latencies[-1]:.2f}s while under abuse"
    # what the abusers saw
    limit = 2 * timeout_ms / 1000 + 1.5
    problems, trickle = [], []
    for kind in ("slow_1Bps", "endless_body", "endless_length_body"):
        never = [v for v in closed.get(kind, []) if v is None or v > limit]
        if never:
            trickle.append(f"{kind}: {len(never)}/{len(closed[kind])} connections not closed within {limit}s "
                           f"(closed after {closed[kind]})")
    for status, after in closed.get("oversized_headers", []):
        if status not in ("431", "400", "413", "closed", "reset"):
            problems.append(f"oversized headers answered {status}")
    (n, left, took), = closed["idle_flood"]
    if left:
        problems.append(f"idle_flood: {left}/{n} idle connections still open after {took}s")
    conn = connect(db)
    try:
        results = [(s, None) for s in healthy]
        acked, stored = check_acked_stored(conn, ev.bodies[:len(healthy)], results)
    finally:
        conn.close()
    summary("hostile_clients", healthy_sent=len(healthy), healthy_acked=healthy.count(200),
            healthy_p99_ms=round(p99 * 1000, 1), healthy_max_ms=round(latencies[-1] * 1000, 1),
            slow_closed_s=closed.get("slow_1Bps"), endless_closed_s=closed.get("endless_body"),
            endless_len_closed_s=closed.get("endless_length_body"),
            oversized=closed.get("oversized_headers"), idle_flood=closed.get("idle_flood"),
            stored=stored, lost=0, problems=len(problems), trickle_not_closed=len(trickle))
    assert not problems, "; ".join(problems)
    # DIALHOOK_READ_TIMEOUT_MS is one deadline for each request's headers and body
    # (common/httpserv.c), not a per-read inactivity timeout: trickling clients are closed.
    assert not trickle, "; ".join(trickle)


# ---------------------------------------------------------------- 3 ingests + 3 processors

def test_three_ingests_three_processors_shuffled_duplicates(daemons, db, tmp_path):
    port = free_port()
    ings = [start_ingest(daemons, db, secret=SECRET, timeout=15, port=port, DIALHOOK_DB_CONNECTIONS=2)
            for _ in range(3)]
    procs = [start_processor(daemons, db, DIALHOOK_BATCH_SIZE=100) for _ in range(3)]
    calls = scale(500, 5000)
    expect = tmp_path / "expect.jsonl"
    t0 = time.monotonic()
    r = subprocess.run([binpath("dialhookctl"), "gen-events", "--url", f"http://127.0.0.1:{port}{PATH}",
                        "--calls", str(calls), "--shuffle", "--duplicates", "0.2", "--seed", "707",
                        "--concurrency", "24", "--retries", "0", "--expect", str(expect)],
                       env=dict(os.environ, DIALPAD_WEBHOOK_SECRET=SECRET), capture_output=True, text=True,
                       timeout=600)
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stdout + r.stderr
    assert "non-2xx   0" in r.stdout and "failed    0" in r.stdout, r.stdout
    conn = connect(db)
    try:
        nevents = query(conn, "SELECT count(*) FROM webhook_events")[0][0]
        redelivered = round(0.2 * nevents)
        assert f"(stored {nevents}, duplicate {redelivered}, other 0)" in r.stdout, r.stdout
        wait_until(lambda: undone(conn) == 0, "three processors to drain", timeout=300)
        got = calls_rows(conn)
        assert_matches_expect(conn, expect)
        assert query(conn, "SELECT count(*) FROM webhook_events WHERE attempts <> 0 OR dead_at IS NOT NULL") == [(0,)]
    finally:
        conn.close()
    for d in ings:  # all three still serving (they share the port through SO_REUSEPORT)
        assert d.proc.poll() is None, d.logtext()[-2000:]
    for d in procs:
        assert d.stop() == 0
    summary("three_by_three", sent=nevents + redelivered, acked=nevents + redelivered, stored=nevents,
            duplicates=redelivered, calls=len(got), send_s=round(took, 1), lost=0)
