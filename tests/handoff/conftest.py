"""The handoff tests write intakes, chats and availability: a database of their own
(content/ and the demo staff loaded), and a stub Rasa with its HTTP API."""

from __future__ import annotations

import pytest

from portal.chat.rasa import RasaClient
from portal.core.extensions import db
from tests.booking.own_db import booking_app
from tests.chat.stack import RASA_TOKEN, StubRasa


@pytest.fixture(scope="session")
def handoff_app(tmp_path_factory):
    # Streams end after 2 s here (the browser would reconnect), so a test reads one whole.
    app = booking_app(tmp_path_factory, "handoff", LIVECHAT_STREAM_SECONDS=2,
                      LIVECHAT_HEARTBEAT_SECONDS=0.5)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture()
def rasa(handoff_app):
    """The portal's chat talks to a stub Rasa (webhook and HTTP API, with the token)."""
    server = StubRasa()
    previous = handoff_app.extensions["chat_bot"]
    handoff_app.extensions["chat_bot"] = RasaClient(server.url, timeout=2, token=RASA_TOKEN)
    yield server
    handoff_app.extensions["chat_bot"] = previous
    server.close()


@pytest.fixture(autouse=True)
def nobody_available(handoff_app):
    """Each test starts with no caseworker available for chat (they share a database)."""
    from portal.chat.models import Availability

    with handoff_app.app_context():
        db.session.query(Availability).update({"available": False})
        db.session.commit()
