"""The citizen's status page: opened with reference and code (never in a URL), then the
status, the caseworker, the consents with withdrawal, giving consent, adding information."""

from __future__ import annotations

from portal.intake import service
from tests.booking.web import text_of
from tests.intake.helpers import citizen, token
from tests.intake.test_api_intake import BODY


def sent(app, **change):
    client = citizen(app)
    doctor = client.get("/api/v1/consent-texts?municipality=fredericia&lang=da").get_json()
    ids = [i["id"] for i in doctor["items"] if i["key"] == "share-doctor"]
    body = {**BODY, "lang": "da", "consents": ids, **change}
    if body["asker"] != "self" and body.get("authority", "none") == "none":
        body["consents"] = []
    return client.post("/api/v1/intakes", json=body).get_json()


def open_status(client, made, lang="da"):
    url = "/en-indgang/status" if lang == "da" else "/en/one-entrance/status"
    return client.post(url, data={"csrf_token": token(client, url),
                                  "reference": made["reference"], "code": made["code"]})


def test_the_code_opens_the_status_page_and_is_never_in_a_url(intake_app):
    made = sent(intake_app)
    client = citizen(intake_app)
    direct = client.get(f"/en-indgang/status/{made['reference']}")
    assert direct.status_code == 303  # not opened in this browser
    response = open_status(client, made)
    assert response.status_code == 303
    assert made["code"] not in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert page.headers["Cache-Control"] == "no-store"
    text = text_of(page.get_data(as_text=True))
    assert "Modtaget" in text and "Endnu ikke" in text  # no caseworker yet
    assert "Tilbagekald samtykke" in text
    assert made["code"] not in text


def test_wrong_code_and_unknown_reference_answer_alike(intake_app):
    made = sent(intake_app)
    client = citizen(intake_app)
    wrong = open_status(client, {**made, "code": "AAAA-BBBB-CCCC-DDDD"})
    unknown = open_status(client, {**made, "reference": "ZZ99-ZZ99"})
    assert wrong.status_code == unknown.status_code == 403
    assert "Referencenummeret eller koden er ikke rigtig" in text_of(wrong.get_data(as_text=True))


def test_withdraw_is_one_action_effective_at_once_and_kept(intake_app):
    made = sent(intake_app)
    client = citizen(intake_app)
    open_status(client, made)
    page = f"/en-indgang/status/{made['reference']}"
    with intake_app.app_context():
        consent_id = service.by_reference(made["reference"]).consents[0].id
    response = client.post(f"{page}/tilbagekald", data={
        "csrf_token": token(client, page), "consent_id": consent_id}, follow_redirects=True)
    text = text_of(response.get_data(as_text=True))
    assert "Dit samtykke er trukket tilbage" in text
    assert "Trukket tilbage" in text
    with intake_app.app_context():
        consent = service.by_reference(made["reference"]).consents[0]
        assert consent.withdrawn_at is not None  # kept, from now on


def test_add_information_and_its_errors(intake_app):
    made = sent(intake_app)
    client = citizen(intake_app)
    open_status(client, made)
    page = f"/en-indgang/status/{made['reference']}"
    empty = client.post(f"{page}/tilfoej", data={"csrf_token": token(client, page),
                                                 "information": "  "})
    assert empty.status_code == 400
    assert "Skriv det, du vil tilføje." in text_of(empty.get_data(as_text=True))
    added = client.post(f"{page}/tilfoej", data={"csrf_token": token(client, page),
                                                 "information": "Jeg er flyttet."})
    assert added.status_code == 303
    with intake_app.app_context():
        events = service.by_reference(made["reference"]).events
        assert any(e.kind == "information_added" and e.note == "Jeg er flyttet."
                   for e in events)


def test_the_citizen_consents_to_a_relatives_intake(intake_app):
    made = sent(intake_app, asker="relative", authority="none", agencies=["doctor"])
    assert made["status"] == "awaiting_consent"
    client = citizen(intake_app)
    open_status(client, made)
    page = f"/en-indgang/status/{made['reference']}"
    assert "Jeg er personen" in text_of(client.get(page).get_data(as_text=True))
    form = f"{page}/samtykke"
    html = client.get(form).get_data(as_text=True)
    assert " checked" not in html
    missing = client.post(form, data={"csrf_token": token(client, form)})
    assert missing.status_code == 400
    done = client.post(form, data={"csrf_token": token(client, form), "self": "yes",
                                   "consent-share-doctor": "yes"})
    assert done.status_code == 303
    with intake_app.app_context():
        intake = service.by_reference(made["reference"])
        assert intake.status == "received"
        [consent] = intake.consents
        assert (consent.given_by, consent.capacity, consent.channel) == ("self", "self", "web")


def test_printable_receipt_again_without_the_code(intake_app):
    made = sent(intake_app)
    client = citizen(intake_app)
    open_status(client, made)
    receipt = client.get(f"/en/one-entrance/status/{made['reference']}/receipt")
    text = text_of(receipt.get_data(as_text=True))
    assert "Consents given" in text and "Version 1" in text
    assert made["code"] not in text


def test_closing_on_this_browser_needs_the_code_again(intake_app):
    made = sent(intake_app)
    client = citizen(intake_app)
    open_status(client, made)
    page = f"/en-indgang/status/{made['reference']}"
    client.post(f"{page}/luk", data={"csrf_token": token(client, page)})
    assert client.get(page).status_code == 303
