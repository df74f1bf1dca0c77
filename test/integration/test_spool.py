"""dialhook-ingest's outage spool (DIALHOOK_SPOOL_DIR) against a real PostgreSQL
that is halted and restarted: acknowledged while the database is down, replayed
afterwards with nothing lost and nothing twice, full spool => 503, a crashed
ingest's segments replayed by the next one, a torn tail dropped.

Each test that halts the session's cluster restarts it in a finally block.
"""
import glob
import json
import os
import signal
import time

import psycopg2

from conftest import SECRET, http_request, metric, post, query, sign, start_ingest


def call_event(i, pad=0):
    ev = {"call_id": 5850000000200000 + i, "state": "hangup", "direction": "inbound",
          "external_number": "+14155550123", "event_timestamp": 1767261726001 + i}
    if pad:
        ev["notes"] = "x" * pad
    return ev


def key(i):
    return f"call:{5850000000200000 + i}:hangup:{1767261726001 + i}"


def start_outage_ingest(daemons, db, spool_dir, **env):
    """Ingest with a 1 s database timeout and, unless spool_dir is None, the spool there; returns
    once the database is connected (with a spool /readyz is 200 before the database is reached)."""
    if spool_dir is not None:
        env["DIALHOOK_SPOOL_DIR"] = str(spool_dir)
    d = start_ingest(daemons, db, **{"DIALHOOK_DB_TIMEOUT_MS": 1000, **env})
    d.wait_log("database connection up")
    return d


def keys_in_db(db):
    c = psycopg2.connect(db)
    try:
        return [r[0] for r in query(c, "SELECT dedupe_key FROM webhook_events")]
    finally:
        c.close()


def wait_keys(db, n, timeout=20.0):
    deadline = time.time() + timeout
    got = []
    while time.time() < deadline:
        try:
            got = keys_in_db(db)
            if len(got) >= n:
                return got
        except psycopg2.Error:
            pass
        time.sleep(0.2)
    return got


def segments(spool_dir, pattern="*.seg"):
    return glob.glob(os.path.join(str(spool_dir), pattern))


def wait_no_segments(spool_dir, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline and segments(spool_dir):
        time.sleep(0.1)
    return segments(spool_dir)


def test_database_down_spooled_then_replayed_nothing_lost_nothing_twice(daemons, db, sql, pg, tmp_path):
    spool = tmp_path / "spool"
    d = start_outage_ingest(daemons, db, spool)
    assert post(d, sign(call_event(0), SECRET))[2]["status"] == "stored"
    sql.close()
    statuses = []
    with pg.down():
        for i in range(1, 41):
            statuses.append(post(d, sign(call_event(i), SECRET)))
        # a redelivery of an event stored before the outage, and one of an event spooled in it
        statuses.append(post(d, sign(call_event(0), SECRET)))
        statuses.append(post(d, sign(call_event(5), SECRET)))
        status, _, raw = http_request("GET", d.port, "/readyz")
        assert status == 200 and json.loads(raw)["database"] == "down"
        assert segments(spool), "nothing in the spool directory"
    assert [s for s, _, _ in statuses if s != 200] == []
    assert {doc["status"] for _, _, doc in statuses} == {"spooled"}
    got = wait_keys(db, 41)
    assert len(got) == len(set(got)) == 41
    assert set(got) == {key(i) for i in range(41)}
    assert wait_no_segments(spool) == []
    assert metric(d.port, "dialhook_ingest_events_spooled_total") == 42
    assert metric(d.port, "dialhook_ingest_spool_replayed_total") == 42
    time.sleep(1.5)
    assert len(keys_in_db(db)) == 41
    assert post(d, sign(call_event(99), SECRET))[2]["status"] == "stored"


def test_spool_full_503_then_recovers(daemons, db, sql, pg, tmp_path):
    spool = tmp_path / "spool"
    d = start_outage_ingest(daemons, db, spool, DIALHOOK_SPOOL_MAX_BYTES="1M")
    sql.close()
    acked, refused = [], []
    with pg.down():
        for i in range(12):
            status, hdrs, doc = post(d, sign(call_event(i, pad=150 * 1024), SECRET))
            if status == 200:
                assert doc["status"] == "spooled"
                acked.append(i)
            else:
                assert status == 503 and doc["reason"] == "unavailable"
                assert hdrs["retry-after"] == "1"
                refused.append(i)
        assert acked and refused, (acked, refused)
        assert metric(d.port, "dialhook_ingest_spool_failures_total", 'reason="full"') >= 1
    got = wait_keys(db, len(acked))
    assert sorted(got) == sorted(key(i) for i in acked)
    assert wait_no_segments(spool) == []
    d.wait_http("/readyz")
    for i in refused:   # Dialpad's retries, once the database is back
        assert post(d, sign(call_event(i, pad=150 * 1024), SECRET))[0] == 200
    assert set(keys_in_db(db)) == {key(i) for i in range(12)}


def test_kill_9_after_spooling_next_ingest_replays(daemons, db, sql, pg, tmp_path):
    spool = tmp_path / "spool"
    d = start_outage_ingest(daemons, db, spool)
    sql.close()
    with pg.down():
        for i in range(25):
            status, _, doc = post(d, sign(call_event(i), SECRET))
            assert (status, doc["status"]) == (200, "spooled")
        d.proc.send_signal(signal.SIGKILL)
        d.wait()
    assert segments(spool)
    d2 = start_outage_ingest(daemons, db, spool)
    got = wait_keys(db, 25)
    assert sorted(got) == sorted(key(i) for i in range(25))
    assert wait_no_segments(spool) == []
    d2.wait_log("spool segment replayed")


def test_torn_tail_dropped_earlier_records_stored(daemons, db, sql, pg, tmp_path):
    spool = tmp_path / "spool"
    d = start_outage_ingest(daemons, db, spool)
    sql.close()
    with pg.down():
        for i in range(10):
            assert post(d, sign(call_event(i), SECRET))[2]["status"] == "spooled"
        assert d.stop() == 0      # SIGTERM seals the segment
        segs = segments(spool)
        assert len(segs) == 1
        # a crash mid-write: the start of a record header, never acknowledged
        with open(segs[0], "ab") as f:
            f.write(b"DHSP\x01\x00\x00\x00\x00\x01\x00\x00garbage")
    d2 = start_outage_ingest(daemons, db, spool)
    got = wait_keys(db, 10)
    assert sorted(got) == sorted(key(i) for i in range(10))
    d2.wait_log("torn tail")
    assert wait_no_segments(spool) == []
    assert segments(spool, "*.bad") == []
    assert metric(d2.port, "dialhook_ingest_spool_torn_bytes_total") == 19


def test_without_spool_still_503(daemons, db, sql, pg):
    d = start_outage_ingest(daemons, db, None)
    sql.close()
    with pg.down():
        status, _, doc = post(d, sign(call_event(1), SECRET))
        assert status == 503 and doc["reason"] == "unavailable"
        assert http_request("GET", d.port, "/readyz")[0] == 503


def test_refused_record_kept_in_rejected_file_others_replayed(daemons, db, sql, pg, tmp_path):
    # a record PostgreSQL refuses for good (not transient): the trigger raises P0001 for one key
    bad = key(3)
    sql.cursor().execute(
        "CREATE FUNCTION t_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.dedupe_key = '{bad}' THEN RAISE EXCEPTION 'refused by test'; END IF; "
        "RETURN NEW; END $$; "
        "CREATE TRIGGER t_refuse BEFORE INSERT ON webhook_events "
        "FOR EACH ROW EXECUTE FUNCTION t_refuse()")
    spool = tmp_path / "spool"
    d = start_outage_ingest(daemons, db, spool)
    sql.close()
    with pg.down():
        for i in range(8):
            assert post(d, sign(call_event(i), SECRET))[2]["status"] == "spooled"
    got = wait_keys(db, 7)
    assert sorted(got) == sorted(key(i) for i in range(8) if i != 3)
    assert wait_no_segments(spool) == []
    rejected = segments(spool, "*.seg.rejected")
    assert len(rejected) == 1
    raw = open(rejected[0], "rb").read()
    assert raw[:4] == b"DHSP" and int.from_bytes(raw[8:12], "little") == len(raw)
    assert bad.encode() in raw
    d.wait_log("database refused a spooled event")
    assert metric(d.port, "dialhook_ingest_spool_rejected_total") == 1
    time.sleep(1.5)     # never retried
    assert metric(d.port, "dialhook_ingest_spool_rejected_total") == 1
    assert len(keys_in_db(db)) == 7
