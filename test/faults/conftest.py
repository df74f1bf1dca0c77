"""Fault-injection suite fixtures: the integration suite's fixtures (pg, db, sql,
daemons, ...) reused as they are. test/integration is not a package, so its
conftest.py is loaded here under another module name (dialhook_it_conftest) and
its public names re-exported; pytest then sees the same fixtures.
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
