"""A second, independent oracle for `dialhookctl gen-events`.

gen-events --expect writes what each leg's calls row and call_recordings rows
must end with, from the generator's own knowledge of its lifecycles. This
module derives the same rows the other way round: it decodes the generated
bodies and applies the merge rules of the issue-11 spec (spec-11.md: NEWEST,
greatest, earliest, OR, outcome, call_recordings) to them, and it checks every
field against the types of Dialpad's OpenAPI spec. If the two oracles agree,
the expectation is both what the generator meant and what the rules give for
what it actually sent.
"""
import json
import math

from conftest import b64url_decode

# Field types of schemas.call.CallProto, CallContactProto and
# CallRecordingDetailsProto in Dialpad's OpenAPI spec (dialpad-python-sdk
# dialpad_api_spec.json); every one is nullable. Not in the spec but in webhook
# samples (dialpad-webhooks.md section 2.2): talk_time, hold_time,
# date_first_rang, date_queued, is_internal, call_recording_ids,
# voicemail_link, voicemail_recording_id, transferred_from, target.office_id,
# recap_*; the samples send contact/target ids as numbers where the spec says
# string, and pcsat's csat_score is sent as a number on purpose (the spec of
# issue 11 accepts both).
CALL_PROTO = {
    "call_id": int, "master_call_id": int, "entry_point_call_id": int, "operator_call_id": int,
    "state": str, "direction": str, "external_number": str, "internal_number": str,
    "contact": dict, "target": dict, "entry_point_target": dict, "proxy_target": dict,
    "date_started": int, "date_rang": int, "date_connected": int, "date_ended": int,
    "duration": (int, float), "total_duration": (int, float), "event_timestamp": int,
    "group_id": str, "is_transferred": bool, "was_recorded": bool, "labels": list,
    "mos_score": (int, float), "csat_score": str, "custom_data": str, "recording_details": list,
    "routing_breadcrumbs": list, "transcription_text": str,
}
SAMPLE_FIELDS = {
    "talk_time": int, "hold_time": int, "date_first_rang": int, "date_queued": int, "is_internal": bool,
    "call_recording_ids": list, "voicemail_link": str, "voicemail_recording_id": str,
    "transferred_from": dict, "recap_summary": str, "recap_outcome": str, "recap_action_items": list,
    "recap_purposes": list, "recording_url": (str, list),
}
CONTACT_PROTO = {"id": (str, int), "type": str, "name": str, "phone": str, "email": str,
                 "office_id": (int, str)}
RECORDING_PROTO = {"id": str, "recording_type": str, "url": str, "duration": int, "start_time": int}
RECORDING_TYPES = {"callrecording", "admincallrecording", "voicemail"}
# the 31 call states of CreateCallEventSubscription.call_states (without "all")
CALL_STATES = {
    "admin", "admin_recording", "ai_playbook", "barge", "blocked", "call_transcription", "calling",
    "connected", "csat", "dispositions", "eavesdrop", "hangup", "hold", "merged", "missed", "monitor",
    "parked", "pcsat", "postcall", "preanswer", "queued", "recap_action_items", "recap_outcome",
    "recap_purposes", "recap_summary", "recording", "ringing", "takeover", "transcription",
    "voicemail", "voicemail_uploaded"}
POST_CALL = {"transcription", "call_transcription", "recap_summary", "recap_action_items", "recap_outcome",
             "recap_purposes", "csat", "pcsat", "dispositions", "postcall", "admin", "ai_playbook",
             "recording", "admin_recording", "voicemail_uploaded"}
RANK = {"calling": 1, "ringing": 1, "preanswer": 1, "queued": 1,
        "connected": 2, "hold": 2, "parked": 2, "merged": 2, "takeover": 2, "barge": 2, "monitor": 2,
        "eavesdrop": 2, "hangup": 3, "missed": 3, "voicemail": 3, "blocked": 3}
STATUS = [None, "ringing", "active", "ended"]


def claims_of(body):
    """The event of one body: a compact JWT's claims, or the plain JSON."""
    body = body.strip()
    if body.startswith("{"):
        return json.loads(body)
    return json.loads(b64url_decode(body.split(".")[1]))


def _type_ok(v, t):
    if v is None:
        return True
    if isinstance(v, bool):
        return t is bool or (isinstance(t, tuple) and bool in t)
    return isinstance(v, t)


def check_types(c):
    """Problems with event c's field types (an empty list when it conforms)."""
    bad = []
    for k, v in c.items():
        t = CALL_PROTO.get(k) or SAMPLE_FIELDS.get(k)
        if k == "csat_score" and c.get("state") == "pcsat":
            t = int
        if t is None:
            bad.append(f"unknown field {k}")
        elif not _type_ok(v, t):
            bad.append(f"{k}: {v!r}")
    for k in ("contact", "target", "entry_point_target", "proxy_target", "transferred_from"):
        for f, v in (c.get(k) or {}).items():
            if f not in CONTACT_PROTO or not _type_ok(v, CONTACT_PROTO[f]):
                bad.append(f"{k}.{f}: {v!r}")
    for item in c.get("recording_details") or []:
        for f, v in item.items():
            if f not in RECORDING_PROTO or not _type_ok(v, RECORDING_PROTO[f]):
                bad.append(f"recording_details.{f}: {v!r}")
        if item.get("recording_type") not in RECORDING_TYPES:
            bad.append(f"recording_type {item.get('recording_type')!r}")
    for k in ("labels", "call_recording_ids", "recap_action_items", "recap_purposes"):
        if any(not isinstance(x, str) for x in c.get(k) or []):
            bad.append(f"{k} holds a non-string")
    if isinstance(c.get("recording_url"), list) and any(not isinstance(x, str) for x in c["recording_url"]):
        bad.append("recording_url holds a non-string")
    if c.get("state") not in CALL_STATES:
        bad.append(f"state {c.get('state')!r}")
    return bad


def _text(v):
    """A text column's value: None for null and for the empty string."""
    if v is None or v == "":
        return None
    return v if isinstance(v, str) else json.dumps(v)


def _newest(evs, get):
    """NEWEST: the value of the event with the greatest (event_timestamp, value) carrying one; equal
    timestamps keep the greatest value, numerically for numbers (spec-11 DEVIATIONS 1), else by
    the bytes of its text."""
    best = None
    for c in evs:
        v = get(c)
        if v is None:
            continue
        tie = v if isinstance(v, (int, float)) and not isinstance(v, bool) else \
            json.dumps(v, ensure_ascii=False, separators=(",", ":")).encode()
        key = (c["event_timestamp"], tie)
        if best is None or key > best[0]:
            best = (key, v)
    return None if best is None else best[1]


def _greatest(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return max(vals, key=lambda v: v.encode() if isinstance(v, str) else v)


def _round_ms(v):
    return None if v is None else int(math.floor(v + 0.5))


def _sub(c, obj, key):
    return _text((c.get(obj) or {}).get(key))


def _any_true(evs, key):
    vals = [c.get(key) for c in evs if c.get(key) is not None]
    return None if not vals else any(vals)


def _recordings(evs):
    """call_recordings rows of one leg: url -> row, each column the greatest non-null."""
    rows = {}

    def add(url, rid, typ, dur, start):
        if not isinstance(url, str) or url == "":
            return
        r = rows.setdefault(url, {"url": url, "recording_id": None, "recording_type": None,
                                  "duration_ms": None, "started_at_ms": None})
        for k, v in (("recording_id", rid), ("recording_type", typ), ("duration_ms", dur),
                     ("started_at_ms", start)):
            if v is not None:
                r[k] = _greatest([r[k], v])

    for c in evs:
        for item in c.get("recording_details") or []:
            rid = item.get("id")
            add(item.get("url"), str(rid) if rid is not None else None, item.get("recording_type"),
                item.get("duration"), item.get("start_time"))
        if c.get("voicemail_link"):
            add(c["voicemail_link"], None, "voicemail", None, None)
        ru = c.get("recording_url")
        for u in (ru if isinstance(ru, list) else [ru]):
            add(u, None, None, None, None)
    return [rows[u] for u in sorted(rows, key=lambda u: u.encode())]


def merge_leg(evs):
    """The expected --expect line for one leg's events, by the spec's rules."""
    ts = [c["event_timestamp"] for c in evs]
    live = [c for c in evs if c["state"] not in POST_CALL]
    status = 0
    for c in evs:
        r = RANK.get(c["state"], 0)
        if c.get("date_connected") is not None:
            r = max(r, 2)
        if c.get("date_ended") is not None:
            r = 3
        status = max(status, r)
    earliest = lambda k: min((c[k] for c in evs if c.get(k) is not None), default=None)  # noqa: E731
    latest = lambda k: max((c[k] for c in evs if c.get(k) is not None), default=None)  # noqa: E731
    greatest_ms = lambda k: _round_ms(latest(k))  # noqa: E731
    details = [i for c in evs for i in c.get("recording_details") or []]
    rec_urls = [i.get("url") for i in details if i.get("recording_type") != "voicemail"]
    for c in evs:
        ru = c.get("recording_url")
        rec_urls += ru if isinstance(ru, list) else [ru]
    vm_urls = [i.get("url") for i in details if i.get("recording_type") == "voicemail"]
    vm_urls += [c.get("voicemail_link") for c in evs]
    recordings = _recordings(evs)
    x = {
        "dialpad_call_id": evs[0]["call_id"],
        "status": STATUS[status],
        "state": max(((c["event_timestamp"], c["state"].encode()) for c in live), default=(0, b""))[1].decode()
        or None,
        "direction": _greatest([_text(c.get("direction")) for c in evs]),
        "external_number": _greatest([_text(c.get("external_number")) for c in evs]),
        "internal_number": _greatest([_text(c.get("internal_number")) for c in evs]),
        "master_call_id": latest("master_call_id"),
        "entry_point_call_id": latest("entry_point_call_id"),
        "operator_call_id": _newest(evs, lambda c: c.get("operator_call_id")),
        "target_office_id": _newest(evs, lambda c: None if (c.get("target") or {}).get("office_id") is None
                                    else int(c["target"]["office_id"])),
        "contact_id": _newest(evs, lambda c: None if (c.get("contact") or {}).get("id") is None
                              else str(c["contact"]["id"])),
        "is_internal": _any_true(evs, "is_internal"),
        "is_transferred": _any_true(evs, "is_transferred"),
        "was_recorded": _any_true(evs, "was_recorded"),
        "group_id": _newest(evs, lambda c: _text(c.get("group_id"))),
        "started_at_ms": earliest("date_started"),
        "rang_at_ms": earliest("date_rang"),
        "first_rang_at_ms": earliest("date_first_rang"),
        "queued_at_ms": earliest("date_queued"),
        "answered_at_ms": earliest("date_connected"),
        "ended_at_ms": latest("date_ended"),
        "duration_ms": greatest_ms("duration"),
        "total_duration_ms": greatest_ms("total_duration"),
        "talk_time_ms": greatest_ms("talk_time"),
        "hold_time_ms": greatest_ms("hold_time"),
        "mos_score": _newest(evs, lambda c: c.get("mos_score")),
        "labels": _newest(evs, lambda c: c.get("labels")),
        "csat_score": _newest(evs, lambda c: None if c.get("csat_score") is None else str(c["csat_score"])),
        "transcription_text": _newest(evs, lambda c: _text(c.get("transcription_text"))),
        "recap_summary": _newest(evs, lambda c: _text(c.get("recap_summary"))),
        "recap_outcome": _newest(evs, lambda c: _text(c.get("recap_outcome"))),
        "recap_action_items": _newest(evs, lambda c: c.get("recap_action_items")),
        "recap_purposes": _newest(evs, lambda c: c.get("recap_purposes")),
        "custom_data": _newest(evs, lambda c: c.get("custom_data")),
        "recording_url": _greatest([_text(u) for u in rec_urls]),
        "voicemail_url": _greatest([_text(u) for u in vm_urls]),
        "recordings": recordings,
        "last_event_at_ms": max(ts),
    }
    for k in ("type", "id", "name", "email", "phone"):
        x["target_" + k] = _newest(evs, lambda c, k=k: _sub(c, "target", k))
    x["target_id"] = None if x["target_id"] is None else int(x["target_id"])
    for k in ("type", "name", "phone", "email"):
        x["contact_" + k] = _newest(evs, lambda c, k=k: _sub(c, "contact", k))
    if x["status"] != "ended":
        x["outcome"] = None
    elif any(c["state"] == "blocked" for c in evs):
        x["outcome"] = "blocked"
    elif x["answered_at_ms"] is not None:
        x["outcome"] = "answered"
    elif (any(c["state"] in ("voicemail", "voicemail_uploaded") for c in evs) or x["voicemail_url"]
          or any(r["recording_type"] == "voicemail" for r in recordings)):
        x["outcome"] = "voicemail"
    else:
        x["outcome"] = "missed"
    return x


def expect_from_bodies(bodies):
    """Every leg's expected line from the bodies (duplicates allowed), sorted by call_id; and type problems."""
    legs, problems = {}, []
    for b in bodies:
        c = claims_of(b)
        problems += [f"{c.get('call_id')}/{c.get('state')}: {p}" for p in check_types(c)]
        legs.setdefault(c["call_id"], []).append(c)
    return [merge_leg(legs[k]) for k in sorted(legs)], problems
