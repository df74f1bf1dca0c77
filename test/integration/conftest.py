"""Integration-test fixtures: a throwaway PostgreSQL, a fresh migrated database
per test, and helpers to run the real daemons and sign webhooks. These helpers
are the only copy: test files and test/faults (through its conftest.py) import
them rather than write their own.

Everything here talks to real processes over loopback; nothing is mocked.
Daemons are started by PID and always stopped (SIGTERM, then SIGKILL) in
teardown; a daemon log containing sanitizer or assertion output fails the test.
A binary that is not built fails the test that needs it (never a skip: make
check builds every binary first, so a missing one is a broken build).
"""
import base64
import contextlib
import hashlib
import hmac
import http.client
import json
import os
import re
import resource
import signal
import socket
import subprocess
import time
import uuid

import psycopg2
import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("DIALHOOK_BIN_DIR", os.path.join(TOP, "bin"))
PGDIR = os.environ.get("DIALHOOK_TEST_PGDIR", os.path.join(TOP, "tmp", "pg-test"))
PG_SH = os.path.join(TOP, "test", "pg.sh")
LOGDIR = os.path.join(TOP, "tmp", "test-logs")

SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer",
                   "Assertion", "assertion")


def binpath(name):
    """The path of a built binary; fails the calling test if it is not there."""
    path = os.path.join(BIN, name)
    if not os.path.exists(path):
        pytest.fail(f"{name} is not built: {path} is missing (DIALHOOK_BIN_DIR={BIN})", pytrace=False)
    return path


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- PostgreSQL

class Postgres:
    """The session's throwaway cluster (test/pg.sh); restartable for outage tests."""

    def __init__(self, pgdir):
        self.pgdir = pgdir
        self.url = None

    def start(self):
        out = subprocess.run(["sh", PG_SH, "start", self.pgdir], check=True,
                             capture_output=True, text=True).stdout.strip()
        self.url = out.splitlines()[-1]
        return self.url

    def halt(self, mode="fast"):
        env = dict(os.environ, PG_STOP_MODE=mode)
        subprocess.run(["sh", PG_SH, "halt", self.pgdir], check=True, env=env)

    @contextlib.contextmanager
    def down(self, mode="fast"):
        """The cluster stopped (pg_ctl -m mode) for the with-block and started again on the
        same port after it, also when the block fails."""
        self.halt(mode)
        try:
            yield
        finally:
            self.restart_same_port()

    def restart_same_port(self):
        """Start again on the same port (the daemons keep their DATABASE_URL)."""
        port = self.url.rsplit(":", 1)[1].split("/")[0]
        env = dict(os.environ, DIALHOOK_PG_FIXED_PORT=port)
        subprocess.run(["sh", PG_SH, "start", self.pgdir], check=True, env=env,
                       capture_output=True)

    def stop(self):
        subprocess.run(["sh", PG_SH, "stop", self.pgdir], check=False)

    def admin_url(self, dbname="postgres"):
        return self.url.rsplit("/", 1)[0] + "/" + dbname


@pytest.fixture(scope="session")
def pg():
    p = Postgres(PGDIR)
    p.stop()
    p.start()
    yield p
    p.stop()


def run_ctl(url, *args, timeout=None):
    """dialhookctl args with DATABASE_URL=url; the CompletedProcess (text output captured)."""
    return subprocess.run([binpath("dialhookctl"), *args], env=dict(os.environ, DATABASE_URL=url),
                          capture_output=True, text=True, timeout=timeout)


def migrate(url):
    r = run_ctl(url, "migrate")
    assert r.returncode == 0, r.stderr
    return r


@pytest.fixture
def fresh_db(pg):
    """URL of a new, empty database (not migrated); dropped afterwards."""
    name = "t_" + uuid.uuid4().hex[:12]
    c = psycopg2.connect(pg.admin_url())
    c.autocommit = True
    c.cursor().execute(f"CREATE DATABASE {name}")
    c.close()
    url = pg.admin_url(name)
    yield url
    try:
        c = psycopg2.connect(pg.admin_url())
        c.autocommit = True
        c.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        c.close()
    except psycopg2.Error:
        pass  # the cluster may be down after an outage test; it is removed at session end


@pytest.fixture
def db(fresh_db):
    """URL of a new database migrated with `dialhookctl migrate`."""
    migrate(fresh_db)
    return fresh_db


def connect(url):
    """A psycopg2 autocommit connection; the caller closes it."""
    c = psycopg2.connect(url)
    c.autocommit = True
    return c


@pytest.fixture
def sql(db):
    """A psycopg2 autocommit connection to the test database."""
    c = connect(db)
    yield c
    c.close()


def query(conn, q, *args):
    with conn.cursor() as cur:
        cur.execute(q, args if args else None)
        return cur.fetchall() if cur.description else None


def undone(conn):
    """How many webhook_events are neither processed nor dead."""
    return query(conn, "SELECT count(*) FROM webhook_events"
                       " WHERE processed_at IS NULL AND dead_at IS NULL")[0][0]


def wait_until(pred, what, timeout=30.0, step=0.05, daemon=None):
    """Poll pred() every step seconds until it is true; fail after timeout seconds, or at once
    (with its log) if daemon, a Daemon the wait depends on, exits meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        if daemon is not None and daemon.proc.poll() is not None:
            raise AssertionError(f"{daemon.name} exited {daemon.proc.returncode} waiting for {what}:\n"
                                 + daemon.logtext()[-4000:])
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# The keys of a `dialhookctl gen-events --expect` line (spec-11.md): every calls
# column but id, app_id, created_at and updated_at (timestamps as <column>_ms),
# then "recordings", the leg's call_recordings rows sorted by url.
EXPECT_KEYS = ["dialpad_call_id", "status", "state", "direction", "external_number", "internal_number",
               "master_call_id", "entry_point_call_id", "operator_call_id",
               "target_type", "target_id", "target_name", "target_email", "target_phone", "target_office_id",
               "contact_id", "contact_type", "contact_name", "contact_phone", "contact_email",
               "is_internal", "is_transferred", "was_recorded", "group_id",
               "started_at_ms", "rang_at_ms", "first_rang_at_ms", "queued_at_ms", "answered_at_ms",
               "ended_at_ms", "duration_ms", "total_duration_ms", "talk_time_ms", "hold_time_ms",
               "mos_score", "labels", "csat_score", "transcription_text", "recap_summary", "recap_outcome",
               "recap_action_items", "recap_purposes", "custom_data", "recording_url", "voicemail_url",
               "last_event_at_ms", "outcome", "recordings"]
RECORDING_KEYS = ["url", "recording_id", "recording_type", "duration_ms", "started_at_ms"]


def ms(col):
    """SQL: timestamptz col as exact integer epoch ms. extract() returns numeric
    since PostgreSQL 14, so this never goes through a double (date_part does:
    it turns 9007199254740993 into ...992)."""
    return f"(extract(epoch FROM {col}) * 1000)::int8"


def _call_col(key):
    if key == "recordings":     # the leg's call_recordings rows, as a JSON array sorted by url
        obj = ", ".join(f"'{k}', " + (ms("r.started_at") if k == "started_at_ms" else f"r.{k}")
                        for k in RECORDING_KEYS)
        return (f"(SELECT coalesce(json_agg(json_build_object({obj}) ORDER BY r.url COLLATE \"C\"), '[]')"
                " FROM call_recordings r WHERE r.app_id = c.app_id AND r.dialpad_call_id = c.dialpad_call_id)")
    return ms(key[:-3]) if key.endswith("_at_ms") else key


# calls columns compared row by row with the --expect lines (json columns come
# back as Python values, labels as a list, mos_score as a float)
CALL_COLS = ",\n    ".join(_call_col(k) for k in EXPECT_KEYS)


def calls_rows(conn):
    """Every calls row as a tuple of CALL_COLS, its recordings included, in (app_id, dialpad_call_id) order."""
    return [tuple(r) for r in query(conn, f"SELECT {CALL_COLS} FROM calls c ORDER BY c.app_id, c.dialpad_call_id")]


def expected_rows(path):
    """The rows a gen-events --expect file says calls must end up with, in the same order."""
    with open(path) as f:
        return [tuple(json.loads(line)[k] for k in EXPECT_KEYS) for line in f]


def recordings_rows(conn):
    """The whole call_recordings table as (dialpad_call_id, url, ...) tuples, in key order
    (with calls_rows this also catches a recording whose leg has no calls row)."""
    cols = ", ".join(ms(k[:-3]) if k.endswith("_at_ms") else k for k in RECORDING_KEYS)
    return [tuple(r) for r in query(conn, f"SELECT dialpad_call_id, {cols} FROM call_recordings"
                                          " ORDER BY app_id, dialpad_call_id, url COLLATE \"C\"")]


def expected_recordings(path):
    """The call_recordings rows a gen-events --expect file implies, in recordings_rows' order."""
    with open(path) as f:
        return [(x["dialpad_call_id"], *(r[k] for k in RECORDING_KEYS))
                for x in map(json.loads, f) for r in x["recordings"]]


def assert_matches_expect(conn, path, expected=None):
    """calls and call_recordings equal what gen-events --expect wrote to path
    (expected: expected_rows(path), if already read); names the first differing
    row and column."""
    expected = expected_rows(path) if expected is None else expected
    got = calls_rows(conn)
    assert len(got) == len(expected), f"{len(got)} calls rows, expected {len(expected)}"
    bad = [(g, e) for g, e in zip(got, expected) if g != e]
    if bad:
        g, e = bad[0]
        cols = {k: (gv, ev) for k, gv, ev in zip(EXPECT_KEYS, g, e) if gv != ev}
        raise AssertionError(f"{len(bad)} calls rows differ from the expectation; first: leg {e[0]}: "
                             f"column: (got, expected) {cols}")
    assert recordings_rows(conn) == expected_recordings(path), "call_recordings differ from the expectation"


# ---------------------------------------------------------------- daemons

class Daemon:
    """One dialhook daemon process with its log in tmp/test-logs/. nofile: an open-file
    limit (soft and hard, so the daemon cannot raise it)."""

    def __init__(self, name, env, args=(), http_port=None, nofile=None):
        path = binpath(name)
        os.makedirs(LOGDIR, exist_ok=True)
        self.name = name
        self.port = http_port
        self.logpath = os.path.join(LOGDIR, f"{name}-{uuid.uuid4().hex[:8]}.log")
        self.log = open(self.logpath, "wb")
        full_env = dict(os.environ)
        full_env.update({k: str(v) for k, v in env.items()})
        full_env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")

        def limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.proc = subprocess.Popen([path, *args], env=full_env, stdout=self.log,
                                     stderr=subprocess.STDOUT, preexec_fn=limit if nofile else None)

    @property
    def pid(self):
        return self.proc.pid

    def logtext(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_http(self, path="/healthz", timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited {self.proc.returncode}:\n{self.logtext()}")
            try:
                status, _, _ = http_request("GET", self.port, path, timeout=1)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"{self.name} did not serve {path} in {timeout}s:\n{self.logtext()}")

    def wait_log(self, needle, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if needle in self.logtext():
                return
            time.sleep(0.05)
        raise AssertionError(f"{self.name}: '{needle}' not logged in {timeout}s:\n{self.logtext()}")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=15.0):
        return self.proc.wait(timeout=timeout)

    def stop(self, timeout=15.0):
        """SIGTERM, wait, SIGKILL if needed; return the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def sanitizer_report(self):
        text = self.logtext()
        return [line for line in text.splitlines() if any(m in line for m in SANITIZER_MARKS)]


@pytest.fixture
def daemons():
    """Start daemons with daemons.start(...); all are stopped at teardown and
    their logs checked for sanitizer output."""
    started = []

    class Starter:
        def start(self, name, env, args=(), http_port=None, nofile=None):
            d = Daemon(name, env, args, http_port, nofile)
            started.append(d)
            return d

        @property
        def all(self):
            return started

    yield Starter()
    reports = []
    for d in started:
        d.stop()
        bad = d.sanitizer_report()
        if bad:
            reports.append(f"{d.name} ({d.logpath}):\n" + "\n".join(bad[:20]))
    assert not reports, "sanitizer/assert output in daemon logs:\n" + "\n".join(reports)


# The webhook secret the integration tests sign with (test_faults, test_hardening and
# test_ctl use secrets of their own, passed as secret=).
SECRET = "fixture-secret-do-not-use"


def ingest_env(db, port, secret=SECRET, **env):
    """dialhook-ingest's environment: listening on 127.0.0.1:port; env adds or overrides."""
    return {"DATABASE_URL": db, "DIALHOOK_LISTEN": f"127.0.0.1:{port}", "DIALPAD_WEBHOOK_SECRET": secret,
            "DIALHOOK_LOG_LEVEL": "info", **env}


def start_ingest(daemons, db, wait="/readyz", port=None, secret=SECRET, timeout=10.0, **env):
    """Start dialhook-ingest (on a free port unless port is given) and, unless wait is None,
    wait up to timeout seconds for wait to answer 200. env: more DIALHOOK_* variables."""
    port = port or free_port()
    d = daemons.start("dialhook-ingest", ingest_env(db, port, secret, **env), http_port=port)
    if wait:
        d.wait_http(wait, timeout=timeout)
    return d


def processor_env(db, **env):
    """dialhook-processor's environment: metrics on a free port, a 100 ms poll interval;
    env adds or overrides."""
    return {"DATABASE_URL": db, "DIALHOOK_METRICS_LISTEN": f"127.0.0.1:{free_port()}",
            "DIALHOOK_POLL_INTERVAL_MS": 100, **env}


def start_processor(daemons, db, wait="/readyz", **env):
    """Start dialhook-processor and, unless wait is None, wait for wait on its metrics port."""
    env = processor_env(db, **env)
    port = int(env["DIALHOOK_METRICS_LISTEN"].rsplit(":", 1)[1])
    d = daemons.start("dialhook-processor", env, http_port=port)
    if wait:
        d.wait_http(wait)
    return d


def processor_once(daemons, db, timeout=120, **env):
    """Run dialhook-processor --once to the end (at most timeout seconds); it must exit 0."""
    d = daemons.start("dialhook-processor", processor_env(db, **env), args=["--once"])
    rc = d.wait(timeout=timeout)
    assert rc == 0, d.logtext()[-4000:]
    return d


# ---------------------------------------------------------------- HTTP and JWT

def http_request(method, port, path, body=None, headers=None, timeout=10.0):
    """One request on a new connection; returns (status, headers dict, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if isinstance(body, str):
            body = body.encode()
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def post(d, body, path="/webhooks/dialpad", headers=None, timeout=10.0):
    """POST body to daemon d on a new connection: (status, headers dict, parsed JSON answer or None)."""
    status, hdrs, raw = http_request("POST", d.port, path, body=body, headers=headers, timeout=timeout)
    try:
        doc = json.loads(raw) if raw else None
    except ValueError:
        doc = None
    return status, hdrs, doc


def metric(port, name, labels=""):
    """The value of one series on port's /metrics (labels: what goes inside {}), or None."""
    try:
        _, _, raw = http_request("GET", port, "/metrics", timeout=5)
    except OSError:
        return None
    sel = re.escape(name) + (r"\{" + re.escape(labels) + r"\}" if labels else "")
    m = re.search(rf"^{sel} (\S+)$", raw.decode(), re.M)
    return float(m.group(1)) if m else None


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def sign(claims, secret, header=None):
    """A compact HS256 JWT as Dialpad sends it: claims = the event object."""
    header = header if header is not None else {"alg": "HS256", "typ": "JWT"}
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url((claims if isinstance(claims, str) else json.dumps(claims, separators=(",", ":"))).encode())
    sig = hmac.new(secret.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest()
    return f"{h}.{p}.{b64url(sig)}"
