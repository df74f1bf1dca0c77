"""Fault-injection suite fixtures: the integration suite's fixtures (pg, db, sql,
daemons, ...) reused as they are. test/integration is not a package, so its
conftest.py is loaded here under another module name (dialhook_it_conftest) and
its public names re-exported; pytest then sees the same fixtures. What only the
fault suite needs (its scale and its summary lines) is defined below.
"""
import importlib.util
import os
import sys

_IT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "integration"))
_spec = importlib.util.spec_from_file_location("dialhook_it_conftest", os.path.join(_IT, "conftest.py"))
_mod = importlib.util.module_from_spec(_spec)
sys.modules["dialhook_it_conftest"] = _mod
_spec.loader.exec_module(_mod)

from dialhook_it_conftest import *  # noqa: E402,F401,F403  (fixtures and helpers)
from dialhook_it_conftest import Daemon, Postgres, query, migrate  # noqa: E402,F401

# FAULTS_SCALE=short (make check) or full (make faults): counts and durations.
FULL = os.environ.get("FAULTS_SCALE", "short") == "full"


def scale(short, full):
    return full if FULL else short


def summary(case, **fields):
    """Print a case's one-line summary `fault case=... k=v ...`; also appended to $FAULTS_SUMMARY."""
    line = f"fault case={case} " + " ".join(f"{k}={v}" for k, v in fields.items())
    print("\n" + line, flush=True)
    path = os.environ.get("FAULTS_SUMMARY")
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")
