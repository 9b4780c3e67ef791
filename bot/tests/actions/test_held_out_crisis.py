"""The crisis guard on the held-out phrasings (tests/held_out/crisis.yml): a floor.

The held-out set is never used to tune the guard; these floors are the figures the
guard had when the set was first measured (crisis recall 27/69, false alarms 11/68), so
this test only says the guard did not get worse there. Run `python -m
tests.held_out.report --misses` for the figures beside the tuned ones and the misses.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_REPORT = Path(__file__).resolve().parents[1] / "held_out" / "report.py"
_spec = importlib.util.spec_from_file_location("held_out_report", _REPORT)
report = sys.modules["held_out_report"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)

MIN_RECALL = 0.39
MAX_FALSE_ALARMS = 0.17


def test_the_guard_is_no_worse_on_the_held_out_phrasings() -> None:
    if not report.HELD_OUT.exists():
        pytest.skip(f"no held-out crisis phrasings at {report.HELD_OUT}")
    figures = report.measure(report.held_out())
    assert figures.recall >= MIN_RECALL, figures
    assert figures.false_alarm_rate <= MAX_FALSE_ALARMS, figures

