"""The monitoring files in docs/ name only metrics the daemons really export.

docs/grafana-dashboard.json and docs/prometheus-alerts.yml are not run here (no
Prometheus or Grafana on the build machines), so this checks what can be checked
statically: every dialhook_* name in their PromQL is registered in the C code of
ingest/ or processor/ (histograms also with _bucket/_sum/_count), every label used
in a dialhook_* selector is one the code sets, every alert is complete and points at
an existing docs/operations.md section, and operations.md mentions every alert.
No database, no daemons: fast."""
import glob
import json
import os
import re

import pytest
import yaml

from conftest import TOP

DASHBOARD = os.path.join(TOP, "docs", "grafana-dashboard.json")
ALERTS = os.path.join(TOP, "docs", "prometheus-alerts.yml")
OPERATIONS = os.path.join(TOP, "docs", "operations.md")

NAME_RE = re.compile(r"\bdialhook_[a-z0-9_]*[a-z0-9]")
# a dialhook_* metric followed by a {label matcher list}
SELECTOR_RE = re.compile(r"\b(dialhook_[a-z0-9_]*[a-z0-9])\s*\{([^}]*)\}")
MATCHER_RE = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
HIST_SUFFIXES = ("_bucket", "_sum", "_count")
# labels the exposition adds itself (histogram buckets, in common/metrics.c)
BUILTIN_LABELS = {"le"}


def c_sources():
    files = []
    for d in ("ingest", "processor"):
        files += glob.glob(os.path.join(TOP, d, "**", "*.c"), recursive=True)
    assert files, "no C sources found under ingest/ and processor/"
    text = ""
    for f in sorted(files):
        with open(f, encoding="utf-8") as fh:
            text += fh.read() + "\n"
    return text


def registered():
    """(every quoted dialhook_* name in the daemons' C code, the histogram names)."""
    src = c_sources()
    names = set(re.findall(r'"(dialhook_[a-z0-9_]+)"', src))
    hists = set(re.findall(r'metrics_histogram\(\s*[^,]+,\s*"(dialhook_[a-z0-9_]+)"', src))
    # guard the guard: if registration moved or got renamed, fail loudly here
    assert len(names) >= 15, names
    assert hists, "no metrics_histogram() registration found"
    assert hists <= names
    return names, hists


def label_names_in_code():
    """Label names the C code formats into series, e.g. "route=\\"%s\\",status=..."."""
    return set(re.findall(r'([a-z_]+)=\\"', c_sources()))


def metric_known(name, names, hists):
    if name in names:
        return True
    for suf in HIST_SUFFIXES:
        if name.endswith(suf) and name[: -len(suf)] in hists:
            return True
    return False


def walk_exprs(node):
    """Every PromQL string under a dashboard node: targets' expr fields."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "expr" and isinstance(v, str):
                yield v
            else:
                yield from walk_exprs(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk_exprs(v)


def load_dashboard():
    with open(DASHBOARD, encoding="utf-8") as f:
        return json.load(f)


def load_rules():
    with open(ALERTS, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    rules = [r for g in doc["groups"] for r in g["rules"]]
    assert rules, "no rules in the alert file"
    return rules


def dashboard_exprs():
    exprs = list(walk_exprs(load_dashboard()))
    assert len(exprs) >= 20, exprs
    return exprs


def alert_exprs():
    return [r["expr"] for r in load_rules()]


def used_names(exprs):
    return {n for e in exprs for n in NAME_RE.findall(e)}


def heading_anchors(markdown):
    """GitHub-style anchors of the ## headings."""
    anchors = set()
    for h in re.findall(r"^#{1,6} (.+)$", markdown, re.M):
        a = re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
        anchors.add(a)
    return anchors


def test_the_checker_itself_can_fail():
    names, hists = registered()
    assert not metric_known("dialhook_ingest_invented_total", names, hists)
    # a suffix only makes sense on a histogram
    counter = "dialhook_ingest_events_stored_total"
    assert counter in names and counter not in hists
    assert not metric_known(counter + "_bucket", names, hists)
    h = sorted(hists)[0]
    assert metric_known(h + "_bucket", names, hists) and not metric_known(h + "_buckets", names, hists)
    assert used_names(["rate(dialhook_x_total[5m]) / dialhook_y"]) == {"dialhook_x_total", "dialhook_y"}


@pytest.mark.parametrize("which", ["dashboard", "alerts"])
def test_every_metric_name_is_registered_in_the_code(which):
    exprs = dashboard_exprs() if which == "dashboard" else alert_exprs()
    used = used_names(exprs)
    # both files must really use the daemons' metrics, not a handful
    assert len(used) >= (12 if which == "dashboard" else 8), sorted(used)
    names, hists = registered()
    unknown = sorted(n for n in used if not metric_known(n, names, hists))
    assert not unknown, "not registered in ingest/ or processor/: %s" % unknown


@pytest.mark.parametrize("which", ["dashboard", "alerts"])
def test_every_label_in_a_selector_is_set_by_the_code(which):
    exprs = dashboard_exprs() if which == "dashboard" else alert_exprs()
    known = label_names_in_code() | BUILTIN_LABELS
    seen = set()
    for e in exprs:
        for metric, matchers in SELECTOR_RE.findall(e):
            for label in MATCHER_RE.findall(matchers):
                seen.add(label)
                assert label in known, (metric, label, e)
    assert seen, "no label matchers found at all"


def test_dashboard_shape():
    d = load_dashboard()
    assert 36 <= d["schemaVersion"] <= 40
    variables = d["templating"]["list"]
    assert any(v["type"] == "datasource" and v["name"] == "DS_PROMETHEUS" and v["query"] == "prometheus"
               for v in variables), variables
    panels = [p for p in d["panels"] if p["type"] != "row"]
    assert len(panels) >= 10
    ids = [p["id"] for p in d["panels"]]
    assert len(ids) == len(set(ids)), "duplicate panel ids"
    for p in panels:
        assert p["datasource"]["uid"] == "${DS_PROMETHEUS}", p["title"]
        assert p["targets"], p["title"]
        for t in p["targets"]:
            assert t["datasource"]["uid"] == "${DS_PROMETHEUS}", p["title"]
            assert t["expr"].count("(") == t["expr"].count(")"), t["expr"]
    text = json.dumps(d)
    # the panels the brief asks for, by the metric each one is built on
    for needed in ("dialhook_processor_lag_seconds", "dialhook_ingest_events_stored_total",
                   "dialhook_processor_events_processed_total", "dialhook_processor_events_skipped_total",
                   'status=~\\"2..\\"', 'status=~\\"4..\\"', 'status=~\\"5..\\"',
                   "histogram_quantile(0.5, sum by (le) (rate(dialhook_ingest_commit_seconds_bucket",
                   "histogram_quantile(0.99, sum by (le) (rate(dialhook_ingest_commit_seconds_bucket",
                   "dialhook_ingest_batch_size", "dialhook_processor_batch_size",
                   "dialhook_processor_events_dead_total", "dialhook_ingest_pending_requests",
                   "dialhook_ingest_db_connections"):
        assert needed in text, needed


def test_every_alert_is_complete_and_points_at_operations_md():
    with open(OPERATIONS, encoding="utf-8") as f:
        anchors = heading_anchors(f.read())
    names = set()
    for r in load_rules():
        name = r.get("alert")
        assert name and re.fullmatch(r"Dialhook[A-Za-z0-9]+", name), r
        assert name not in names, "duplicate alert %s" % name
        names.add(name)
        assert isinstance(r.get("expr"), str) and r["expr"].strip(), name
        assert re.fullmatch(r"\d+[smh]", str(r.get("for", ""))), (name, r.get("for"))
        assert r.get("labels", {}).get("severity") in {"critical", "warning", "info"}, name
        ann = r.get("annotations", {})
        assert ann.get("summary"), name
        m = re.fullmatch(r"docs/operations\.md#([a-z0-9-]+)", ann.get("runbook", ""))
        assert m, (name, ann.get("runbook"))
        assert m.group(1) in anchors, (name, m.group(1), sorted(anchors))
    assert len(names) >= 8, names


def test_operations_md_mentions_every_alert():
    with open(OPERATIONS, encoding="utf-8") as f:
        text = f.read()
    missing = sorted(r["alert"] for r in load_rules() if r["alert"] not in text)
    assert not missing, "docs/operations.md does not mention: %s" % missing
    assert "prometheus-alerts.yml" in text and "grafana-dashboard.json" in text
