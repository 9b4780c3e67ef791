"""What the caseworker tests share: intakes made as the web form and the API make them,
and browsers signed in as caseworkers of a team."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from flask.testing import FlaskClient

from portal.core.extensions import db
from portal.intake import service as intakes
from portal.staff.models import CASEWORKER, TREATER
from tests.staff.helpers import browser, new_member, sign_in

STORY = "Min søn drikker for meget og har mistet sit job"
EMAIL = "citizen.test@example.invalid"
PHONE = "+45 12 34 56 78"
INBOX = "/personale/henvendelser"


def page(reference: str, suffix: str = "") -> str:
    return f"{INBOX}/{reference}{suffix}"


def transcript_text_id(app: Flask, municipality: str = "egedal") -> int:
    with app.app_context():
        return next(t.id for t in intakes.consent_texts(municipality, "da") if t.transcript)


def consent_ids(app: Flask, municipality: str = "egedal", transcript: bool = False) -> list[int]:
    with app.app_context():
        return [t.id for t in intakes.consent_texts(municipality, "da")
                if t.transcript == transcript]


def make_intake(app: Flask, municipality: str = "egedal", situations=("mental-health",),
                asker: str = "self", authority: str = "none", email: str | None = EMAIL,
                now: dt.datetime | None = None, consents: list[int] | None = None,
                transcript: str | None = None, story: str = STORY, urgency: str = "no-hurry",
                channel: str = "web") -> str:
    """A submitted intake's reference (routed as content/routing.yml says)."""
    contact = {"method": "email" if email else "phone", "phone": PHONE, "times": "Formiddag"}
    if email:
        contact["email"] = email
    with app.app_context():
        data = intakes.IntakeData(
            lang="da", municipality=municipality, asker=asker, authority=authority,
            situations=list(situations), story=story, goals="At han får det bedre",
            agencies=["jobcentre"], contact=contact, needs=["interpreter"], urgency=urgency,
            consents=list(consents or []), transcript=transcript,
            summary="Borgeren spurgte om støtte" if channel == "chat" else "")
        return intakes.submit(data, channel, now=now).intake.reference


def intake(app: Flask, reference: str):
    """The intake (detached: read its fields in the test)."""
    with app.app_context():
        item = intakes.by_reference(reference)
        db.session.expunge(item)
        return item


def caseworker(app: Flask, team: str = "egedal-css") -> tuple[FlaskClient, int, str]:
    """A browser with a new caseworker of `team` signed in: (client, id, e-mail)."""
    member_id, email = new_member(app, roles=(CASEWORKER,), unit=team)
    client = browser(app)
    assert sign_in(client, email).status_code == 303
    return client, member_id, email


def treater(app: Flask) -> FlaskClient:
    member_id, email = new_member(app, roles=(TREATER,))
    client = browser(app)
    assert sign_in(client, email).status_code == 303
    return client
