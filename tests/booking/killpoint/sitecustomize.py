"""A kill point for the fault tests (tests/booking/test_faults.py), loaded only by the
processes those tests start (their PYTHONPATH begins with this folder). Never part of
the portal: production code has no test hooks.

With INDGANG_TEST_KILLPOINT="module:function" (e.g. "portal.outbox.service:queue") and
INDGANG_TEST_KILLPOINT_MARKER=<path>, the first call of that function in this process
tree writes the process id to <path> and then waits, so the test can kill the process
right there (SIGKILL: no cleanup, no rollback by Python). Later calls, once the marker
exists (a restarted worker, the next drain), go straight through.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import os
import sys
import time

_TARGET = os.environ.get("INDGANG_TEST_KILLPOINT", "")
_MARKER = os.environ.get("INDGANG_TEST_KILLPOINT_MARKER", "")
_WAIT_SECONDS = 120


def _stop_here(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if not os.path.exists(_MARKER):
            partial = f"{_MARKER}.{os.getpid()}"
            with open(partial, "w") as out:
                out.write(str(os.getpid()))
            os.replace(partial, _MARKER)  # appears whole, with the pid in it
            time.sleep(_WAIT_SECONDS)  # the test kills us during this
        return function(*args, **kwargs)

    return wrapper


def _patch(module) -> None:
    owner, _, name = _TARGET.partition(":")[2].rpartition(".")
    holder = module
    for part in filter(None, owner.split(".")):
        holder = getattr(holder, part)
    setattr(holder, name, _stop_here(getattr(holder, name)))


class _Finder(importlib.abc.MetaPathFinder):
    """Patches the target's module right after it is first imported."""

    def __init__(self, module_name: str) -> None:
        self.module_name = module_name

    def find_spec(self, fullname, path, target=None):
        if fullname != self.module_name:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original = loader.exec_module

        def exec_module(module):
            original(module)
            _patch(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if _TARGET and _MARKER:
    sys.meta_path.insert(0, _Finder(_TARGET.partition(":")[0]))
