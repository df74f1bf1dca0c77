"""Paced webhook sender for the end-to-end latency benchmark.

Sends the bodies of a file (one signed webhook per line) to URL at a steady
RATE per second from THREADS keep-alive connections: body i is due at
start + i / RATE, whatever happened to the others (an open-loop load, so a
slow response does not hide latency by slowing the sender). Writes one line
"id t_ack" per stored event (t_ack = wall-clock seconds when the 200 arrived)
to OUT, and prints a summary line. Loopback only; bounded by the file.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse


def main():
    url, path, rate, threads, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    with open(path, "rb") as f:
        bodies = [line.rstrip(b"\n") for line in f if line.strip()]
    u = urllib.parse.urlsplit(url)
    assert u.hostname in ("127.0.0.1", "localhost"), "loopback only"
    lock = threading.Lock()
    state = {"next": 0, "late": 0, "non2xx": 0}
    acks = []
    start = time.time() + 0.5

    def worker():
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        local = []
        while True:
            with lock:
                i = state["next"]
                state["next"] += 1
            if i >= len(bodies):
                break
            due = start + i / rate
            now = time.time()
            if due > now:
                time.sleep(due - now)
            elif now - due > 0.05:
                with lock:
                    state["late"] += 1
            try:
                conn.request("POST", u.path, body=bodies[i], headers={"Content-Type": "application/jwt"})
                r = conn.getresponse()
                data = r.read()
                t = time.time()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
                with lock:
                    state["non2xx"] += 1
                continue
            if r.status != 200:
                with lock:
                    state["non2xx"] += 1
                continue
            doc = json.loads(data)
            if doc.get("status") == "stored":
                local.append((doc["id"], t))
        with lock:
            acks.extend(local)
        conn.close()

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    took = time.time() - start
    with open(out, "w") as f:
        for i, t in acks:
            f.write(f"{i} {t:.6f}\n")
    print(f"paced: sent={len(bodies)} stored={len(acks)} non2xx={state['non2xx']} "
          f"late_over_50ms={state['late']} took={took:.1f}s rate={len(bodies) / took:.0f}/s")


if __name__ == "__main__":
    main()
