"""The caseworker tests write (intakes, actions, audit entries): a database of their own
with content/ and the demo staff and teams loaded (tests/booking/own_db.py)."""

from __future__ import annotations

import pytest

from portal.core.extensions import db
from tests.booking.own_db import booking_app


@pytest.fixture(scope="session")
def cw_app(tmp_path_factory):
    app = booking_app(tmp_path_factory, "caseworker")
    yield app
    with app.app_context():
        db.engine.dispose()
