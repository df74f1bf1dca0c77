"""A DNS server on 127.0.0.1 for the resolution tests, in a thread of the test.

FakeDNS(answers={"db.dialhook.test": "127.0.0.1"}) answers A queries for
those names (case-insensitively: libevent's resolver randomises the case of
the question and checks it comes back as sent), AAAA and other types with an
empty answer, anything else with NXDOMAIN. FakeDNS(drop=True) reads every
query and never answers: a resolver that is down. `queries` counts what
arrived; resolv_conf(dir) writes a resolv.conf naming the server (libevent
reads "nameserver IP:PORT"). stop() closes the socket and joins the thread.
"""
import os
import socket
import struct
import threading


class FakeDNS:
    def __init__(self, answers=None, drop=False):
        self.answers = {k.lower(): v for k, v in (answers or {}).items()}
        self.drop = drop
        self.queries = 0
        self.names = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def resolv_conf(self, directory):
        path = os.path.join(directory, f"resolv-{self.port}.conf")
        with open(path, "w") as f:
            f.write(f"nameserver 127.0.0.1:{self.port}\n")
        return path

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()

    def _serve(self):
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self.queries += 1
            if self.drop or len(data) < 12:
                continue
            reply = self._reply(data)
            if reply is not None:
                self.sock.sendto(reply, peer)

    def _reply(self, q):
        qid, flags, qdcount = struct.unpack(">HHH", q[:6])
        if qdcount != 1:
            return None
        labels, i = [], 12
        while i < len(q) and q[i] != 0:
            n = q[i]
            labels.append(q[i + 1:i + 1 + n].decode("ascii", "replace"))
            i += 1 + n
        qtype, _qclass = struct.unpack(">HH", q[i + 1:i + 5])
        question = q[12:i + 5]
        name = ".".join(labels).lower()
        self.names.append(name)
        addr = self.answers.get(name)
        rflags = 0x8000 | (flags & 0x7900) | 0x0400 | 0x0080  # QR, opcode+RD, AA, RA
        if addr is None:
            return struct.pack(">HHHHHH", qid, rflags | 3, 1, 0, 0, 0) + question   # NXDOMAIN
        if qtype != 1:
            return struct.pack(">HHHHHH", qid, rflags, 1, 0, 0, 0) + question       # no data
        answer = struct.pack(">HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(addr)
        return struct.pack(">HHHHHH", qid, rflags, 1, 1, 0, 0) + question + answer
