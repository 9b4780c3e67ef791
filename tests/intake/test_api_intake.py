"""The intake API (`/api/v1`): consent texts, sending an intake, reading it and
withdrawing a consent with its code — the contract the assistant builds on."""

from __future__ import annotations

import pytest

from tests.booking.own_db import booking_app
from tests.chat.stack import API_TOKEN
from tests.intake.helpers import citizen

BODY = {
    "lang": "en", "municipality": "fredericia", "asker": "self",
    "situations": ["loneliness"], "story": "I am alone a lot.", "goals": "Meet people.",
    "agencies": ["doctor"], "contact": {"method": "phone", "phone": "12345678",
                                       "times": "mornings"},
    "needs": ["interpreter"], "urgency": "this-week",
}
TOKEN = {"Authorization": f"Bearer {API_TOKEN}"}


def texts(client, municipality="fredericia", lang="en"):
    response = client.get(f"/api/v1/consent-texts?municipality={municipality}&lang={lang}")
    assert response.status_code == 200
    return {item["key"]: item for item in response.get_json()["items"]}


def test_consent_texts_in_both_languages_with_the_transcript_marked(intake_app):
    client = citizen(intake_app)
    english = texts(client)
    assert english["share-chat-transcript"]["transcript"] is True
    doctor = english["share-doctor"]
    assert doctor["agency"] == "doctor" and doctor["version"] == 1 and not doctor["transcript"]
    assert doctor["info_types"] and doctor["parties"] and doctor["refusal"]
    danish = texts(client, lang="da")
    assert danish["share-doctor"]["text"].startswith("Jeg giver samtykke")
    # Egedal's own jobcentre text replaces the default one
    assert "Jobcenter Egedal" in texts(client, "egedal")["share-jobcentre"]["parties"]


@pytest.mark.parametrize("query", ["municipality=atlantis&lang=en",
                                   "municipality=egedal&lang=fr", "lang=da"])
def test_consent_texts_refuse_an_unknown_municipality_or_language(intake_app, query):
    response = citizen(intake_app).get(f"/api/v1/consent-texts?{query}")
    assert response.status_code == 400
    assert response.get_json()["errors"]


def test_send_read_and_withdraw(intake_app):
    client = citizen(intake_app)
    doctor = texts(client)["share-doctor"]["id"]
    response = client.post("/api/v1/intakes", json={
        **BODY, "consents": [doctor],
        "contact": {**BODY["contact"], "interpreter_language": "arabic"}})
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert made["status"] == "received" and made["team"]
    assert made["status_url"].endswith(f"/en/one-entrance/status/{made['reference']}")
    assert made["contact_due_at"]
    assert response.headers["Cache-Control"] == "no-store"
    headers = {"X-Intake-Code": made["code"]}
    shown = client.get(f"/api/v1/intakes/{made['reference']}", headers=headers).get_json()
    assert shown["status"] == "received" and shown["municipality"] == "fredericia"
    assert shown["caseworker"] is None
    [consent] = shown["consents"]
    assert consent["key"] == "share-doctor" and consent["withdrawn_at"] is None
    assert (consent["given_by"], consent["capacity"]) == ("self", "self")
    withdrawn = client.post(f"/api/v1/intakes/{made['reference']}/consents/{consent['id']}"
                            "/withdraw", headers=headers)
    assert withdrawn.status_code == 200 and withdrawn.get_json()["withdrawn_at"]
    again = client.get(f"/api/v1/intakes/{made['reference']}", headers=headers).get_json()
    assert again["consents"][0]["withdrawn_at"]  # kept, marked withdrawn
    missing = client.post(f"/api/v1/intakes/{made['reference']}/consents/999999/withdraw",
                          headers=headers)
    assert missing.status_code == 404


def test_a_relative_without_authority_waits_and_cannot_consent(intake_app):
    client = citizen(intake_app)
    body = {**BODY, "asker": "relative", "authority": "none"}
    made = client.post("/api/v1/intakes", json=body).get_json()
    assert made["status"] == "awaiting_consent"
    doctor = texts(client)["share-doctor"]["id"]
    refused = client.post("/api/v1/intakes", json={**body, "consents": [doctor]})
    assert refused.status_code == 400
    assert "power of attorney" in refused.get_json()["errors"]["consents"]


def test_with_the_token_the_channel_is_chat(intake_app):
    from portal.intake import service

    client = citizen(intake_app)
    made = client.post("/api/v1/intakes", json=BODY, headers=TOKEN).get_json()
    with intake_app.app_context():
        assert service.by_reference(made["reference"]).channel == "chat"


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"asker": "someone"}, "asker", "Choose who is asking"),
    ({"municipality": "atlantis"}, "municipality", "Choose a municipality from the list"),
    ({"contact": {"method": "email"}}, "contact.email", "Write the e-mail address we"),
    ({"contact": {"method": "phone", "phone": "123"}}, "contact.phone", "Danish phone number"),
    ({"situations": [], "story": ""}, "story", "at least one situation"),
    ({"urgency": "yesterday"}, "urgency", "how soon"),
    ({"consents": [999999]}, "consents", "consent texts have changed"),
])
def test_bad_fields_are_named_in_the_asked_language(intake_app, change, field, words):
    response = citizen(intake_app).post("/api/v1/intakes", json={**BODY, **change})
    assert response.status_code == 400
    assert words in response.get_json()["errors"][field]


def test_messages_in_danish(intake_app):
    response = citizen(intake_app).post("/api/v1/intakes", json={
        **BODY, "lang": "da", "contact": {"method": "letter"}})
    assert response.get_json()["errors"]["contact.address"] == \
        "Skriv den adresse, vi skal sende brevet til."


def test_wrong_code_and_unknown_reference_get_the_same_403(intake_app):
    client = citizen(intake_app)
    made = client.post("/api/v1/intakes", json=BODY).get_json()
    wrong = client.get(f"/api/v1/intakes/{made['reference']}",
                       headers={"X-Intake-Code": "AAAA-BBBB-CCCC-DDDD"})
    unknown = client.get("/api/v1/intakes/ZZ99-ZZ99", headers={"X-Intake-Code": made["code"]})
    assert wrong.status_code == unknown.status_code == 403
    assert wrong.get_json() == unknown.get_json()
    assert wrong.get_json()["error"] == "forbidden"


def test_sending_is_limited_per_address_but_not_for_the_assistant(tmp_path_factory):
    app = booking_app(tmp_path_factory, "intake_limit", INTAKE_RATE_LIMIT="2/hour")
    client = citizen(app)
    assert client.post("/api/v1/intakes", json=BODY).status_code == 201
    assert client.post("/api/v1/intakes", json=BODY).status_code == 201
    limited = client.post("/api/v1/intakes", json=BODY)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert client.post("/api/v1/intakes", json=BODY, headers=TOKEN).status_code == 201


def test_wrong_codes_are_limited(tmp_path_factory):
    app = booking_app(tmp_path_factory, "intake_codes", BOOKING_CODE_RATE_LIMIT="3/hour",
                      INTAKE_RATE_LIMIT="")
    client = citizen(app)
    made = client.post("/api/v1/intakes", json=BODY).get_json()
    url = f"/api/v1/intakes/{made['reference']}"
    answers = [client.get(url, headers={"X-Intake-Code": "AAAA-BBBB-CCCC-DDDD"}).status_code
               for _ in range(4)]
    assert answers == [403, 403, 403, 429]
    # the right code waits too: the limit is per intake
    assert client.get(url, headers={"X-Intake-Code": made["code"]}).status_code == 429
