"""`dialhookctl migrate --wait DURATION` (issue 14): compose starts migrate when
the postgres healthcheck first passes, which can be before PostgreSQL accepts
TCP connections. With --wait, migrate retries with backoff (a progress line per
failed attempt) until the database is up or the duration is over; without it,
it fails at once as before.

The session's cluster is halted and restarted on the same port; each test
restarts it in a finally block.
"""
import subprocess
import threading
import time

from conftest import binpath, run_ctl


def migrate(url, *args, timeout=90):
    t = time.monotonic()
    r = run_ctl(url, "migrate", *args, timeout=timeout)
    return r, time.monotonic() - t


def test_wait_outlasts_a_database_that_starts_later(fresh_db, pg):
    pg.halt()
    starter = threading.Timer(3.0, pg.restart_same_port)
    try:
        starter.start()
        r, took = migrate(fresh_db, "--wait", "60s")
    finally:
        starter.join()
    assert r.returncode == 0, r.stderr
    assert "applied 001_init" in r.stdout
    progress = [line for line in r.stderr.splitlines() if "waiting for the database (attempt" in line]
    assert progress, r.stderr
    assert all("next attempt in" in line for line in progress)
    assert "database reachable after" in r.stderr
    assert 2.5 < took < 30, took


def test_without_wait_it_fails_at_once(fresh_db, pg):
    with pg.down():
        r, took = migrate(fresh_db)
    assert r.returncode == 1
    assert "could not connect to the database" in r.stderr
    assert "waiting for the database" not in r.stderr
    assert took < 3, took


def test_too_short_a_wait_gives_up_with_a_clear_message(fresh_db, pg):
    with pg.down():
        r, took = migrate(fresh_db, "--wait", "2s")
    assert r.returncode == 1
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("dialhookctl migrate: gave up waiting for the database after "), last
    assert "(--wait 2s, " in last and "check DATABASE_URL" in last
    assert r.stderr.count("waiting for the database (attempt") >= 2
    assert 2 <= took < 8, took


def test_wait_usage_and_help(fresh_db):
    for bad in ("abc", "5x", "2h", "-1"):
        r, _ = migrate(fresh_db, "--wait", bad)
        assert r.returncode == 2 and "--wait" in r.stderr, (bad, r.stderr)
    r, _ = migrate(fresh_db, "--wait")
    assert r.returncode == 2
    r = subprocess.run([binpath("dialhookctl"), "migrate", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--wait DURATION" in r.stdout
    r = subprocess.run([binpath("dialhookctl"), "--help"], capture_output=True, text=True)
    assert "migrate       [--status] [--wait DURATION]" in r.stdout
    # an explicit 0 is one attempt, like no --wait
    r, _ = migrate(fresh_db, "--wait=0")
    assert r.returncode == 0, r.stderr
