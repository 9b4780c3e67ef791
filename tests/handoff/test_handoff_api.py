"""`POST /api/v1/handoffs`: only the assistant's token; the intake it makes (channel
chat, asked by the citizen, the summary, the transcript only with its consent); live
when a caseworker of the routed team is available, else when and how they will be
contacted."""

from __future__ import annotations

from portal.core.extensions import db
from portal.intake.models import ConsentText
from tests.handoff.helpers import (
    AUTH,
    JOBCENTER,
    available_caseworker,
    handoff_body,
    handoff_of,
    intake_of,
    post_handoff,
)


def transcript_consent_id(app, municipality: str = "egedal", lang: str = "da") -> int:
    from portal.intake import service as intakes

    with app.app_context():
        return next(t.id for t in intakes.consent_texts(municipality, lang) if t.transcript)


def count_intakes(app) -> int:
    from portal.intake.models import Intake

    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Intake.id)))


def other_consent_id(app) -> int:
    from portal.intake import service as intakes

    with app.app_context():
        return next(t.id for t in intakes.consent_texts("egedal", "da") if not t.transcript)


def test_without_the_assistants_token_nothing_is_handed_over(handoff_app):
    client = handoff_app.test_client()
    response = client.post("/api/v1/handoffs", json=handoff_body())
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    wrong = client.post("/api/v1/handoffs", json=handoff_body(),
                        headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    assert wrong.get_json()["error"] == "unauthorized"


def test_nobody_available_the_intake_waits_and_the_citizen_is_told_when(handoff_app):
    response = post_handoff(handoff_app, conversation_id="nobody-there",
                            contact={"method": "phone", "phone": "12 34 56 78",
                                     "times": "formiddag"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["live"] is False
    assert body["team"] == "Center for Social Service, Egedal (demo)"
    assert "ringe" in body["message"] and "senest" in body["message"]
    assert "formiddag" in body["message"]
    assert body["code"] and body["reference"] and body["contact_due_at"]
    assert body["reference"] in body["status_url"]
    intake = intake_of(handoff_app, body["reference"])
    assert (intake.channel, intake.asker, intake.status) == ("chat", "self", "received")
    assert intake.summary.startswith("Situationer: bolig")
    # Stored as every form stores a number (core.contact): ready for a sender.
    assert intake.contact == {"method": "phone", "phone": "+4512345678", "times": "formiddag"}
    assert intake.transcript is None and intake.room_id is None
    assert handoff_of(handoff_app, body["reference"]) is None


def test_the_message_is_in_the_citizens_language(handoff_app):
    body = post_handoff(handoff_app, lang="en", contact={"method": "email",
                                                         "email": "kim@example.org"}).get_json()
    assert body["live"] is False
    assert "by e-mail no later than" in body["message"]


def test_a_caseworker_of_the_team_available_takes_the_chat_live(handoff_app):
    _client, member_id = available_caseworker(handoff_app, JOBCENTER)
    response = post_handoff(handoff_app, conversation_id="live-1",
                            situations=["work-education"])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["live"] is True
    assert body["team"] == "Jobcenter Egedal (demo)"
    assert "Jobcenter Egedal (demo)" in body["message"]
    intake = intake_of(handoff_app, body["reference"])
    assert intake.room_id is not None and intake.channel == "chat"
    handoff = handoff_of(handoff_app, body["reference"])
    assert handoff.caseworker_id == member_id and handoff.room_id == intake.room_id
    assert handoff.conversation_id == "live-1"


def test_a_transcript_needs_the_citizens_transcript_consent(handoff_app):
    response = post_handoff(handoff_app, transcript="Borger: hej\nAssistent: hej")
    assert response.status_code == 400
    assert "transcript" in response.get_json()["errors"]
    wrong = post_handoff(handoff_app, transcript="Borger: hej",
                         transcript_consent_id=other_consent_id(handoff_app))
    assert wrong.status_code == 400
    assert "transcript_consent_id" in wrong.get_json()["errors"]


def test_the_transcript_and_its_consent_are_stored_with_channel_chat(handoff_app):
    consent_id = transcript_consent_id(handoff_app)
    response = post_handoff(handoff_app, transcript="Borger: hej\nAssistent: hej",
                            transcript_consent_id=consent_id)
    assert response.status_code == 201, response.get_json()
    reference = response.get_json()["reference"]
    from portal.intake.models import Consent, Intake

    with handoff_app.app_context():
        intake = db.session.query(Intake).filter_by(reference=reference).one()
        assert intake.transcript == "Borger: hej\nAssistent: hej"
        consents = db.session.query(Consent).filter_by(intake_id=intake.id).all()
        assert [(c.key, c.channel, c.given_by, c.capacity) for c in consents] == [
            ("share-chat-transcript", "chat", "self", "self")]
        assert consents[0].text_hash == db.session.get(ConsentText, consent_id).text_hash


def test_bad_requests_are_named_in_the_asked_language(handoff_app):
    client = handoff_app.test_client()
    unknown = client.post("/api/v1/handoffs", headers=AUTH,
                          json=handoff_body(municipality="atlantis", lang="en"))
    assert unknown.status_code == 400
    assert "municipality" in unknown.get_json()["errors"]
    assert "Choose a municipality" in unknown.get_json()["errors"]["municipality"]
    no_phone = client.post("/api/v1/handoffs", headers=AUTH,
                           json=handoff_body(contact={"method": "phone"}))
    assert no_phone.status_code == 400
    assert "telefonnummer" in " ".join(no_phone.get_json()["errors"].values()).lower()
    long = client.post("/api/v1/handoffs", headers=AUTH,
                       json=handoff_body(summary="x" * 4001))
    assert long.status_code == 400 and "summary" in long.get_json()["errors"]
    situation = client.post("/api/v1/handoffs", headers=AUTH,
                            json=handoff_body(situations=["not-a-situation"]))
    assert situation.status_code == 400 and "situations" in situation.get_json()["errors"]


def test_untypable_text_and_a_body_that_is_not_json_are_refused_not_stored(handoff_app):
    """A NUL (PostgreSQL refuses it) or a lone surrogate (no character: it cannot be
    written as UTF-8) from the action server is a 400 naming the field, never a 500."""
    client = handoff_app.test_client()
    consent = transcript_consent_id(handoff_app)
    before = count_intakes(handoff_app)
    nul = client.post("/api/v1/handoffs", headers=AUTH,
                      json=handoff_body(summary="Situationer:\x00 bolig"))
    assert nul.get_json()["errors"]["summary"] == ("Teksten må kun have bogstaver, tal, "
                                                   "mellemrum og tegnsætning.")
    for fields, field in (({"summary": "Situationer:\x00 bolig"}, "summary"),
                          ({"transcript": "bruger: hej \ud800", "transcript_consent_id":
                            consent}, "transcript"),
                          ({"contact": {"method": "email", "email": "a\x1b@b.dk"}},
                           "contact.email")):
        response = client.post("/api/v1/handoffs", headers=AUTH, json=handoff_body(**fields))
        assert response.status_code == 400, fields
        assert field in response.get_json()["errors"], response.get_json()
    broken = client.post("/api/v1/handoffs", headers={**AUTH, "Content-Type":
                                                       "application/json"}, data="{")
    assert broken.status_code == 400
    assert broken.get_json()["errors"] == {"request": "Forespørgslen kunne ikke læses."}
    assert count_intakes(handoff_app) == before


def test_the_endpoint_is_in_the_openapi_document(handoff_app):
    document = handoff_app.test_client().get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/handoffs"]["post"]
    assert {"201", "400", "401"} <= set(operation["responses"])
