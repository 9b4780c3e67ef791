"""The staff tests write (members, lockouts, schedules, bookings): they get a database of
their own with content/ and the demo staff loaded (tests/booking/own_db.py)."""

from __future__ import annotations

import pytest

from portal.core.extensions import db
from tests.booking.own_db import booking_app


@pytest.fixture(scope="session")
def staff_app(tmp_path_factory):
    app = booking_app(tmp_path_factory, "staff")
    yield app
    with app.app_context():
        db.engine.dispose()
