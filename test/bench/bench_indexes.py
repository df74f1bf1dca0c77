"""The per-event index work of webhook_events with and without migration 002.

Usage: bench_indexes.py ADMIN_URL ROUNDS [icu]

Per round and variant: a fresh database (with `icu`, an ICU en-US default
collation like the official postgres image's linguistic one), migration 001
alone or 001 + 002, then from one backend: N events inserted 500 per durable
commit as ingest does (ON CONFLICT on the dedupe key), and the same events
marked processed 500 per asynchronous commit in id order as the processor
does. Prints rows/s and the backend's CPU time per row (utime + stime from
/proc, so the server must run on this machine: it is far less noisy than
wall time on a shared VM), per run and as medians. Variants alternate order
from round to round.
"""
import os
import statistics
import sys
import time

import psycopg2

N, B = 100000, 500


def cpu_s(pid):
    """utime + stime of a local process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one(admin, variant, k, icu, sql):
    name = f"bench_idx_{variant}_{k}"
    a = psycopg2.connect(admin)
    a.autocommit = True
    a.cursor().execute(f"DROP DATABASE IF EXISTS {name}")
    opts = "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'" if icu else ""
    a.cursor().execute(f"CREATE DATABASE {name} {opts}")
    c = psycopg2.connect(admin.rsplit("/", 1)[0] + "/" + name)
    cur = c.cursor()
    for s in sql[: 1 if variant == "001" else 2]:
        cur.execute(s)
    c.commit()
    cur.execute("SELECT pg_backend_pid()")
    pid = cur.fetchone()[0]
    pad = "x" * 900
    c0 = cpu_s(pid)
    t0 = time.time()
    for i in range(0, N, B):
        cur.execute("INSERT INTO webhook_events (app_id, event_type, dedupe_key, payload)"
                    " SELECT 'default', 'hangup', 'call:' || (5850000000000000 + g) || ':hangup:1767261600912',"
                    " json_build_object('call_id', 5850000000000000 + g, 'pad', %s) FROM generate_series(%s, %s) g"
                    " ON CONFLICT (app_id, dedupe_key) DO NOTHING", (pad, i + 1, i + B))
        c.commit()
    ins = N / (time.time() - t0)
    ins_us = (cpu_s(pid) - c0) * 1e6 / N
    cur.execute("SET synchronous_commit = off")
    c.commit()
    c0 = cpu_s(pid)
    t0 = time.time()
    for i in range(0, N, B):
        cur.execute("UPDATE webhook_events SET processed_at = now() WHERE id = ANY(%s)",
                    (list(range(i + 1, i + B + 1)),))
        c.commit()
    mark = N / (time.time() - t0)
    mark_us = (cpu_s(pid) - c0) * 1e6 / N
    c.close()
    a.cursor().execute(f"DROP DATABASE {name}")
    a.close()
    return ins, mark, ins_us, mark_us


def main():
    admin, rounds, icu = sys.argv[1], int(sys.argv[2]), len(sys.argv) > 3 and sys.argv[3] == "icu"
    sql = [open(f"sql/{f}").read() for f in ("001_init.sql", "002_cheaper_indexes.sql")]
    res = {"001": [], "002": []}
    for k in range(rounds):
        for v in (["001", "002"] if k % 2 == 0 else ["002", "001"]):
            r = one(admin, v, k, icu, sql)
            res[v].append(r)
            print(f"round {k + 1} {v}: insert {r[0]:7.0f} rows/s {r[2]:5.1f} us CPU/row"
                  f"  mark {r[1]:7.0f} rows/s {r[3]:5.1f} us CPU/row", flush=True)
    for v, r in res.items():
        med = [statistics.median(x[i] for x in r) for i in range(4)]
        print(f"median {v}: insert {med[0]:7.0f} rows/s {med[2]:5.1f} us CPU/row"
              f"  mark {med[1]:7.0f} rows/s {med[3]:5.1f} us CPU/row")


main()
