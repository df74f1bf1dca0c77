"""The calls and call_recordings rows a set of Dialpad call events must give, computed here in
Python from the rules in docs/events.md, independently of the C code. The column list (name,
type, payload path, rule) is read from the processor's own table,
processor/columns.h, so a new column is covered as soon as it has a row; what each type and
rule means is implemented below, separately.

Also: the SQL that reads the rows back in the same shape (calls_sql, recordings_sql).
"""
import json
import math
import os
import re

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

RINGING = {"call.calling", "call.ringing", "call.preanswer", "call.queued", "call.ring"}
ACTIVE = {"call.started", "call.connected", "call.hold", "call.parked", "call.merged", "call.takeover",
          "call.barge", "call.monitor", "call.eavesdrop"}
ENDED = {"call.ended", "call.hangup", "call.missed", "call.voicemail", "call.blocked"}
POSTCALL = {"call.admin", "call.admin_recording", "call.ai_playbook", "call.call_transcription", "call.csat",
            "call.dispositions", "call.pcsat", "call.postcall", "call.recap_action_items",
            "call.recap_outcome", "call.recap_purposes", "call.recap_summary", "call.recording",
            "call.recording.completed", "call.transcription", "call.voicemail_uploaded"}
HANDLED = RINGING | ACTIVE | ENDED | POSTCALL
STATUS = {1: "ringing", 2: "active", 3: "ended"}

TS_MIN, TS_END = -210866803200000, 9224318016000000     # timestamptz's range in epoch ms
INT64 = (-2**63, 2**63 - 1)


def read_columns():
    """[(name, type, path, rule)] from processor/columns.h, in parameter order."""
    with open(os.path.join(TOP, "processor", "columns.h")) as f:
        text = f.read()
    return re.findall(r'X\((\w+),\s*(CT_\w+),\s*"([^"]*)",\s*(MR_\w+)\)', text)


COLUMNS = read_columns()
NEWEST = [c[0] for c in COLUMNS if c[3] == "MR_NEWEST"]
# every column of calls_sql(), in order: the key, the table's columns, each NEWEST one's provenance
NAMES = ["app_id", "dialpad_call_id"] + [c[0] for c in COLUMNS] + [n + "_event_ms" for n in NEWEST]
TS_COLS = {c[0] for c in COLUMNS if c[1] == "CT_TS"}
JSON_COLS = {c[0] for c in COLUMNS if c[1] == "CT_JSON"}


def dumps(v):
    """The JSON text tests store payloads with (json columns keep it verbatim)."""
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


class Bad(Exception):
    """A present value of the wrong type: a field error."""


# ---------------------------------------------------------------- values by type

def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def as_int64(v):
    if isinstance(v, bool):
        raise Bad
    if isinstance(v, int):
        n = v
    elif isinstance(v, float) and v.is_integer() and "e" not in dumps(v).lower():
        n = int(v)
    elif isinstance(v, str) and re.fullmatch(r"-?[0-9]+", v):
        n = int(v)
    else:
        raise Bad
    if not INT64[0] <= n <= INT64[1]:
        raise Bad
    return n


def as_double(v):
    if is_num(v):
        return float(v)
    if isinstance(v, str):
        try:
            if re.fullmatch(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?", v):
                return float(v)
        except ValueError:
            pass
    raise Bad


def as_text(v):
    if not isinstance(v, str):
        raise Bad
    return v or None


def label(s):
    """One element as PostgreSQL's array_out writes it."""
    quote = s == "" or s.upper() == "NULL" or any(ch in '"\\{},' or ch in " \t\n\r\v\f" for ch in s)
    s = s.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"' if quote else s


def parse(typ, v):
    """A present, non-null value of a column type -> its value (None: absent), or raise Bad."""
    if typ == "CT_TEXT":
        return as_text(v)
    if typ == "CT_TEXTNUM":
        return dumps(v) if is_num(v) else as_text(v)
    if typ == "CT_INT8":
        return as_int64(v)
    if typ == "CT_TS":
        n = as_int64(v)
        if not TS_MIN <= n < TS_END:
            raise Bad
        return n
    if typ == "CT_MS":
        d = as_double(v)
        if not 0 <= d <= 1e12:
            raise Bad
        return int(math.floor(d + 0.5))
    if typ == "CT_BOOL":
        if not isinstance(v, bool):
            raise Bad
        return v
    if typ == "CT_FLOAT8":
        d = as_double(v)
        return 0.0 if d == 0 else d
    if typ == "CT_JSON":
        return dumps(v)
    if typ == "CT_LABELS":
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise Bad
        return "{" + ",".join(label(x) for x in v) + "}"
    raise AssertionError(typ)


def tie_key(typ, v):
    """How NEWEST breaks a tie of equal timestamps: text in byte order, numbers as numbers."""
    return v.encode() if isinstance(v, str) else v


def order_key(typ, v):
    """The order GREATEST/LEAST use."""
    return v.encode() if isinstance(v, str) else v


# ---------------------------------------------------------------- one event

def get(p, path):
    """(present, value) of a payload path; a non-object parent counts as absent here."""
    obj = p
    parts = path.split(".")
    for part in parts[:-1]:
        obj = obj.get(part)
        if not isinstance(obj, dict):
            return False, None
    v = obj.get(parts[-1])
    return v is not None, v


def recordings_of(p, errors):
    recs = []

    def opt(item, key, typ):
        v = item.get(key)
        if v is None:
            return None
        try:
            return parse(typ, v)
        except Bad:
            errors.append("recording_details")
            return None

    det = p.get("recording_details")
    if det is not None:
        if not isinstance(det, list):
            errors.append("recording_details")
            det = []
        for item in det:
            if not isinstance(item, dict):
                errors.append("recording_details")
                continue
            url = opt(item, "url", "CT_TEXT")
            if url is None:
                continue
            recs.append({"url": url, "recording_id": opt(item, "id", "CT_TEXTNUM"),
                         "recording_type": opt(item, "recording_type", "CT_TEXT"),
                         "duration_ms": opt(item, "duration", "CT_MS"),
                         "started_at_ms": opt(item, "start_time", "CT_TS")})
    link = p.get("voicemail_link")
    if link is not None:
        if isinstance(link, str):
            if link:
                recs.append({"url": link, "recording_id": None, "recording_type": "voicemail",
                             "duration_ms": None, "started_at_ms": None})
        else:
            errors.append("voicemail_link")
    ru = p.get("recording_url")
    if ru is not None:
        for u in (ru if isinstance(ru, list) else [ru]):
            if not isinstance(u, str):
                errors.append("recording_url")
            elif u:
                recs.append({"url": u, "recording_id": None, "recording_type": None, "duration_ms": None,
                             "started_at_ms": None})
    return recs


def contribution(t, p):
    """(call_id, {column: (value, event ts)}, [recordings], [field errors]) of one event, or None."""
    if t not in HANDLED or not isinstance(p, dict):
        return None
    try:
        cid = as_int64(p.get("call_id")) if p.get("call_id") is not None else None
    except Bad:
        cid = None
    if cid is None:
        return None
    errors, row = [], {}
    for obj in ("target", "contact"):
        if p.get(obj) is not None and not isinstance(p[obj], dict):
            errors.append(obj)
    for name, typ, path, rule in COLUMNS:
        if not path:
            continue
        present, v = get(p, path)
        if not present:
            continue
        try:
            val = parse(typ, v)
        except Bad:
            errors.append(path)
            continue
        if val is not None:
            row[name] = val
    ts = row.get("last_event_at")
    if t not in POSTCALL:
        st = p.get("state")
        if st is not None and not isinstance(st, str):
            errors.append("state")
            st = None
        row["state"] = st or t[len("call."):]
    recs = recordings_of(p, errors)
    for kind, col in (("vm", "voicemail_url"), ("rec", "recording_url")):
        urls = [r["url"].encode() for r in recs if (r["recording_type"] == "voicemail") == (kind == "vm")]
        if urls:
            row[col] = max(urls).decode()
    rank = 1 if t in RINGING else 2 if t in ACTIVE else 3 if t in ENDED else 0
    if "answered_at" in row:
        rank = max(rank, 2)
    if "ended_at" in row:
        rank = 3
    if rank:
        row["status"] = rank
    row["seen_blocked"] = t == "call.blocked"
    row["seen_voicemail"] = t in ("call.voicemail", "call.voicemail_uploaded")
    return cid, {k: (v, ts) for k, v in row.items()}, recs, errors


# ---------------------------------------------------------------- merging

def newer(typ, a, b):
    """NEWEST: (ts, value) a beats b; a missing timestamp loses to any real one."""
    (va, ta), (vb, tb) = a, b
    ka = (ta is not None, ta if ta is not None else 0, tie_key(typ, va))
    kb = (tb is not None, tb if tb is not None else 0, tie_key(typ, vb))
    return ka > kb


def merge_into(acc, contrib):
    for name, typ, path, rule in COLUMNS:
        if name not in contrib:
            continue
        new = contrib[name]
        if name not in acc:
            acc[name] = new
        elif rule in ("MR_RANK", "MR_GREATEST", "MR_OR"):
            if order_key(typ, new[0]) > order_key(typ, acc[name][0]):
                acc[name] = new
        elif rule == "MR_LEAST":
            if order_key(typ, new[0]) < order_key(typ, acc[name][0]):
                acc[name] = new
        elif rule == "MR_NEWEST":
            if newer(typ, new, acc[name]):
                acc[name] = new


def outcome(acc):
    if acc.get("status", (0,))[0] != 3:
        return None
    if acc.get("seen_blocked", (False,))[0]:
        return "blocked"
    if "answered_at" in acc:
        return "answered"
    if acc.get("seen_voicemail", (False,))[0] or "voicemail_url" in acc:
        return "voicemail"
    return "missed"


def oracle(events, app_id="default"):
    """(calls rows, call_recordings rows) in the shape of calls_sql() / recordings_sql()."""
    accs, recs = {}, {}
    for t, p in events:
        if isinstance(p, str):
            p = json.loads(p)
        c = contribution(t, p)
        if c is None:
            continue
        cid, contrib, rs, _ = c
        merge_into(accs.setdefault(cid, {}), contrib)
        for r in rs:
            acc = recs.setdefault((cid, r["url"].encode()), dict(r))
            for k in ("recording_id", "recording_type", "duration_ms", "started_at_ms"):
                if r[k] is not None and (acc[k] is None or order_key("", r[k]) > order_key("", acc[k])):
                    acc[k] = r[k]
    rows = []
    for cid in sorted(accs):
        acc = accs[cid]
        out = [app_id, cid]
        for name, typ, path, rule in COLUMNS:
            if rule == "MR_DERIVED":
                out.append(outcome(acc))
                continue
            v = acc.get(name, (None, None))[0]
            if name == "status" and v is not None:
                v = STATUS[v]
            if typ == "CT_LABELS" and v is not None:
                v = parse_labels_literal(v)
            out.append(v)
        out += [acc[n][1] if n in acc else None for n in NEWEST]
        rows.append(tuple(out))
    rec_rows = [(app_id, cid, r["url"], r["recording_id"], r["recording_type"], r["duration_ms"],
                 r["started_at_ms"]) for (cid, _), r in sorted(recs.items())]
    return rows, rec_rows


def parse_labels_literal(lit):
    """The list psycopg2 gives for a text[] literal in array_out's form."""
    out, i, body = [], 0, lit[1:-1]
    while i < len(body):
        if body[i] == '"':
            i += 1
            s = ""
            while body[i] != '"':
                if body[i] == "\\":
                    i += 1
                s += body[i]
                i += 1
            i += 1
        else:
            j = body.find(",", i)
            j = len(body) if j < 0 else j
            s, i = body[i:j], j
        out.append(s)
        i += 1          # the comma
    return out


def field_errors(events):
    """Every field error the events carry, as payload paths (the metric's labels)."""
    out = []
    for t, p in events:
        if isinstance(p, str):
            p = json.loads(p)
        c = contribution(t, p)
        if c is not None:
            out += c[3]
    return out


# ---------------------------------------------------------------- reading back

def calls_sql():
    cols = ["app_id", "dialpad_call_id"]
    for name, typ, path, rule in COLUMNS:
        if typ == "CT_TS":
            cols.append(f"(extract(epoch FROM {name}) * 1000)::int8")
        elif typ == "CT_JSON":
            cols.append(f"{name}::text")
        else:
            cols.append(name)
    cols += [n + "_event_ms" for n in NEWEST]
    return f"SELECT {', '.join(cols)} FROM calls ORDER BY app_id, dialpad_call_id"


def recordings_sql():
    return ("SELECT app_id, dialpad_call_id, url, recording_id, recording_type, duration_ms,"
            " (extract(epoch FROM started_at) * 1000)::int8 FROM call_recordings"
            " ORDER BY app_id, dialpad_call_id, url COLLATE \"C\"")


def col(row, name):
    """The value of column name in a row of calls_sql()/oracle()."""
    return row[NAMES.index(name)]
