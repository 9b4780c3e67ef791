"""The live-session tests write bookings and messages: a database of their own."""

from __future__ import annotations

import pytest

from portal.core.extensions import db
from tests.booking.own_db import booking_app


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    # Streams end after 2 s here (the browser would reconnect), so a test can read one
    # whole; the hub polls as in production.
    app = booking_app(tmp_path_factory, "live", LIVECHAT_STREAM_SECONDS=2,
                      LIVECHAT_HEARTBEAT_SECONDS=0.5)
    yield app
    with app.app_context():
        db.engine.dispose()
