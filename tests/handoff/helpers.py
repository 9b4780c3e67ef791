"""What the handoff tests share: caseworkers signed in, availability, the API call the
action server makes, and a citizen's chat."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from portal.chat.models import Handoff
from portal.core.extensions import db
from portal.intake.models import Intake
from tests.chat.stack import API_TOKEN
from tests.staff.helpers import browser, new_member, sign_in, token

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
CSS = "egedal-css"  # Egedal's fallback team (housing goes there)
JOBCENTER = "egedal-jobcenter"  # work and education


def caseworker(app: Flask, unit: str = CSS, lang: str = "da") -> tuple[FlaskClient, int]:
    """A browser with a new caseworker of `unit` signed in (client, member id)."""
    member_id, email = new_member(app, roles=("caseworker",), unit=unit)
    client = browser(app)
    assert sign_in(client, email, lang=lang).status_code == 303
    return client, member_id


def set_available(client: FlaskClient, on: bool = True, lang: str = "da"):
    page = "/personale/chat" if lang == "da" else "/en/staff/chat"
    return client.post(page + ("/tilgaengelighed" if lang == "da" else "/availability"),
                       data={"csrf_token": token(client, page), "available": "1" if on else "0"})


def available_caseworker(app: Flask, unit: str = CSS) -> tuple[FlaskClient, int]:
    client, member_id = caseworker(app, unit)
    assert set_available(client).status_code == 303
    return client, member_id


def handoff_body(conversation_id: str = "conversation-1", **fields: Any) -> dict[str, Any]:
    return {"conversation_id": conversation_id, "lang": "da", "municipality": "egedal",
            "situations": ["housing"], "summary": "Situationer: bolig. Spurgt om: bostøtte.",
            "transcript": None, "transcript_consent_id": None, "contact": None, **fields}


def post_handoff(app: Flask, **fields: Any):
    return app.test_client().post("/api/v1/handoffs", json=handoff_body(**fields),
                                  headers=AUTH)


def intake_of(app: Flask, reference: str) -> Intake:
    with app.app_context():
        intake = db.session.query(Intake).filter_by(reference=reference).one()
        db.session.expunge_all()
        return intake


def handoff_of(app: Flask, reference: str) -> Handoff | None:
    with app.app_context():
        found = db.session.query(Handoff).join(Intake, Intake.id == Handoff.intake_id) \
            .filter(Intake.reference == reference).one_or_none()
        db.session.expunge_all()
        return found


class Citizen:
    """A citizen's browser with the chat widget (JSON posts to /chat/messages)."""

    def __init__(self, app: Flask, lang: str = "da") -> None:
        self.client = browser(app)
        self.lang = lang
        self.token = token(self.client, "/" if lang == "da" else "/en")

    def say(self, message: str) -> tuple[int, dict[str, Any]]:
        response = self.client.post("/chat/messages",
                                    json={"message": message, "lang": self.lang},
                                    headers={"X-CSRFToken": self.token})
        return response.status_code, response.get_json()

    def stream(self, room: int, after: int = 0) -> list[tuple[str, dict]]:
        return events(self.client, f"/live/rooms/{room}/events?lang={self.lang}&after={after}")


def events(client: FlaskClient, url: str) -> list[tuple[str, dict]]:
    """Read a whole server-sent-events stream (it ends after LIVECHAT_STREAM_SECONDS)."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/event-stream"
    found = []
    for block in response.get_data(as_text=True).split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines()
                      if ": " in line and not line.startswith(":"))
        if "event" in fields:
            found.append((fields["event"], json.loads(fields["data"])))
    return found
