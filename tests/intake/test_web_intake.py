"""The intake on the web, step by step, with the test client: what a citizen (or a
relative) sees and can do, in Danish and English, without JavaScript."""

from __future__ import annotations

import re

from portal.intake.models import Intake, IntakeDraft
from tests.booking.web import field_error, text_of
from tests.intake.helpers import (
    BASE,
    STEPS_DA,
    STEPS_EN,
    citizen,
    code_on,
    consent_keys,
    fill,
    post_step,
    reference_on,
    token,
)


def send(client, lang="da", answers="yes", **overrides):
    """A whole intake; `answers`: yes or no to every consent line. Returns the receipt."""
    fill(client, lang, **overrides)
    steps = STEPS_DA if lang == "da" else STEPS_EN
    page = client.get(f"{BASE[lang]}/{steps[8]}").get_data(as_text=True)
    data = {f"consent-{key}": answers for key in consent_keys(page)}
    assert post_step(client, lang, steps[8], data).status_code == 303
    response = post_step(client, lang, steps[9], {})
    assert response.status_code == 303, text_of(response.get_data(as_text=True))
    return client.get(response.headers["Location"])


def test_start_page_keeps_the_guidance_and_starts(intake_app):
    client = citizen(intake_app)
    for url, words in (("/en-indgang", ["Én indgang", "Start", "112"]),
                       ("/en/one-entrance", ["One entrance", "Start", "112"])):
        response = client.get(url)
        assert response.status_code == 200
        page = text_of(response.get_data(as_text=True))
        for word in words:
            assert word in page
        assert "kommer snart" not in page and "coming soon" not in page
        assert response.headers["Cache-Control"] == "no-store"


def test_each_step_shows_progress_and_a_back_link(intake_app):
    client = citizen(intake_app)
    for number, slug in enumerate(STEPS_DA[:-1], start=1):
        html = client.get(f"/en-indgang/{slug}").get_data(as_text=True)
        assert f"Trin {number} af 10" in text_of(html)
        assert 'class="back-link"' in html
    html = client.get("/en/one-entrance/contact").get_data(as_text=True)
    assert "Step 6 of 10" in text_of(html)
    assert 'href="/en/one-entrance/agencies"' in html


def test_errors_at_the_field_and_in_the_summary_in_danish_and_english(intake_app):
    client = citizen(intake_app)
    response = post_step(client, "da", "kontakt", {"method": "phone", "phone": "12"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Skriv et dansk telefonnummer" in field_error(html, "phone")
    assert 'href="#f-phone"' in html and 'id="error-summary"' in html
    assert field_error(html, "email") is None  # only the chosen way is asked for
    response = post_step(client, "en", "contact", {"method": "letter"})
    html = response.get_data(as_text=True)
    assert field_error(html, "address") == "Write the postal address we should send the letter to."
    response = post_step(client, "en", "who", {})
    assert field_error(response.get_data(as_text=True), "asker") == "Choose who is asking for help."
    response = post_step(client, "da", "situation", {"story": ""})
    assert "Vælg mindst én situation" in field_error(response.get_data(as_text=True), "story")


def test_nothing_typed_is_lost_even_with_an_error(intake_app):
    client = citizen(intake_app)
    post_step(client, "da", "kontakt", {"method": "email", "email": "not an address",
                                        "times": "om morgenen"})
    html = client.get("/en-indgang/kontakt").get_data(as_text=True)  # a reload
    assert 'value="not an address"' in html and 'value="om morgenen"' in html


def test_draft_is_kept_server_side_and_survives_a_new_client_with_the_cookie(intake_app):
    first = citizen(intake_app)
    post_step(first, "da", "maal", {"goals": "Sove om natten"})
    cookie = first.get_cookie("session")
    with intake_app.app_context():
        from portal.core.extensions import db

        drafts = db.session.query(IntakeDraft).all()
        assert any(d.data.get("goals") == "Sove om natten" for d in drafts)
        # the browser holds a random key; the database only its hash
        assert all(len(d.key_hash) == 64 for d in drafts)
    again = intake_app.test_client()
    again.set_cookie("session", cookie.value)
    assert "Sove om natten" in again.get("/en-indgang/maal").get_data(as_text=True)
    other = citizen(intake_app)
    assert "Sove om natten" not in other.get("/en-indgang/maal").get_data(as_text=True)


def test_start_over_deletes_the_draft(intake_app):
    client = citizen(intake_app)
    post_step(client, "da", "maal", {"goals": "Noget helt særligt"})
    assert "Fortsæt, hvor du slap" in text_of(client.get("/en-indgang").get_data(as_text=True))
    url = "/en-indgang/start-forfra"
    response = client.post(url, data={"csrf_token": token(client, "/en-indgang")})
    assert response.status_code == 303
    assert "Noget helt særligt" not in client.get("/en-indgang/maal").get_data(as_text=True)


def test_the_municipality_is_prefilled_from_the_chosen_one(intake_app):
    client = citizen(intake_app)
    client.set_cookie("kommune", "fredericia")
    html = client.get("/en-indgang/kommune").get_data(as_text=True)
    assert '<option value="fredericia" selected>' in html


def test_nothing_is_pre_ticked(intake_app):
    client = citizen(intake_app)
    fill(client)
    for slug in STEPS_DA[:-1]:
        fresh = citizen(intake_app)
        assert " checked" not in fresh.get(f"/en-indgang/{slug}").get_data(as_text=True), slug
    consent = client.get("/en-indgang/samtykke").get_data(as_text=True)
    assert consent_keys(consent) == ["share-jobcentre", "share-doctor"]
    assert " checked" not in consent
    assert "share-chat-transcript" not in consent  # the chat's own text


def test_consent_lines_name_what_who_why_and_what_no_means(intake_app):
    client = citizen(intake_app)
    fill(client, "en")
    page = text_of(client.get("/en/one-entrance/consent").get_data(as_text=True))
    for words in ("Which information", "Shared between", "Jobcenter Egedal",
                  "If you say no", "No, I do not consent", "Yes, I consent"):
        assert words in page
    response = post_step(client, "en", "consent", {"consent-share-jobcentre": "yes"})
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "consent-share-doctor") == \
        "Answer yes or no."


def test_review_has_change_links_that_return_to_it(intake_app):
    client = citizen(intake_app)
    fill(client)
    page = client.get("/en-indgang/samtykke").get_data(as_text=True)
    post_step(client, "da", "samtykke", {f"consent-{k}": "no" for k in consent_keys(page)})
    review = client.get("/en-indgang/tjek").get_data(as_text=True)
    assert 'href="/en-indgang/kontakt?return=review"' in review
    assert "borger@example.dk" in review
    assert "&lt;b&gt;og&lt;/b&gt;" in review  # what was typed is shown escaped
    response = post_step(client, "da", "kontakt?return=review",
                         {"return": "review", "method": "phone", "phone": "12 34 56 78"})
    assert response.headers["Location"].endswith("/en-indgang/tjek")


def test_review_sends_an_unfinished_intake_back_to_its_first_gap(intake_app):
    client = citizen(intake_app)
    post_step(client, "da", "hvem", {"asker": "self"})
    response = client.get("/en-indgang/tjek")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/en-indgang/kommune")


def test_the_code_is_shown_once_with_what_happens_next(intake_app):
    client = citizen(intake_app)
    receipt = send(client)
    html = receipt.get_data(as_text=True)
    code = code_on(html)
    reference = reference_on(html)
    assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){3}", code)
    page = text_of(html)
    assert "Egedal" in page
    assert "kontakter dig" in page
    assert "Version 1" in page and "Jeg giver samtykke til" in page
    assert receipt.headers["Cache-Control"] == "no-store"
    again = client.get(receipt.request.path).get_data(as_text=True)
    assert code not in text_of(again).replace(" ", "")
    assert code.replace("-", "") not in re.sub(r"[^A-Z0-9]", "", text_of(again))
    with intake_app.app_context():
        from portal.core.extensions import db

        intake = db.session.query(Intake).filter_by(reference=reference).one()
        assert intake.channel == "web" and intake.status == "received"
        assert code not in intake.code_hash
        assert sorted(c.key for c in intake.consents) == ["share-doctor", "share-jobcentre"]
        # Mental health is weightier than work in Egedal's table: the CSS team takes it.
        assert intake.team_id is not None
    # the draft is gone
    assert "Fortsæt, hvor du slap" not in text_of(client.get("/en-indgang").get_data(
        as_text=True))


def test_saying_no_is_recorded_as_not_given(intake_app):
    client = citizen(intake_app)
    page = text_of(send(client, "en", answers="no").get_data(as_text=True))
    assert "Consents not given" in page
    assert "version 1" in page


def test_a_relative_without_authority_gets_no_consent_boxes_and_waits(intake_app):
    client = citizen(intake_app)
    fill(client, who={"asker": "relative", "authority": "none"})
    html = client.get("/en-indgang/samtykke").get_data(as_text=True)
    assert consent_keys(html) == []
    assert "skal selv give samtykke" in text_of(html)
    post_step(client, "da", "samtykke", {})
    response = post_step(client, "da", "tjek", {})
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    with intake_app.app_context():
        from portal.core.extensions import db

        intake = db.session.query(Intake).filter_by(reference=reference_on(receipt)).one()
        assert intake.status == "awaiting_consent" and intake.consents == []


def test_a_relative_with_power_of_attorney_consents_for_the_citizen(intake_app):
    client = citizen(intake_app)
    receipt = send(client, who={"asker": "relative", "authority": "power_of_attorney"})
    reference = reference_on(receipt.get_data(as_text=True))
    with intake_app.app_context():
        from portal.core.extensions import db

        intake = db.session.query(Intake).filter_by(reference=reference).one()
        assert intake.status == "received"
        assert {(c.given_by, c.capacity) for c in intake.consents} == {
            ("relative", "power_of_attorney")}


def test_forms_refuse_a_post_without_the_csrf_token(intake_app):
    client = citizen(intake_app)
    for url in ("/en-indgang/hvem", "/en-indgang/status", "/en-indgang/start-forfra"):
        assert client.post(url, data={"asker": "self"}).status_code == 400, url
