"""Booking virtual sessions: schedules, free times, anonymous bookings with a code."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.booking import models  # noqa: F401  (the tables)
