"""Who sees which intake: a caseworker sees their own teams' intakes only; anything else
answers exactly like an unknown reference, on every caseworker URL."""

from __future__ import annotations

import pytest

from portal.core import codes
from tests.caseworker.helpers import INBOX, STORY, caseworker, make_intake, page, treater
from tests.staff.helpers import text_of, token

ACTIONS = {"/modtag": {}, "/overdrag": {"team": "egedal-jobcenter", "reason": "Forkert team"},
           "/kontakt": {"method": "phone", "note": "Ringede"}, "/luk": {"reason": "Dublet"}}
READS = ("", "/eksport", "/samtykke/1")


def test_inbox_shows_only_the_members_own_teams(cw_app):
    css_ref = make_intake(cw_app, situations=("mental-health",))        # egedal-css
    job_ref = make_intake(cw_app, situations=("work-education",))       # egedal-jobcenter
    css, _id, _email = caseworker(cw_app, "egedal-css")
    job, _id, _email = caseworker(cw_app, "egedal-jobcenter")
    css_inbox = text_of(css.get(INBOX).get_data(as_text=True))
    job_inbox = text_of(job.get(INBOX).get_data(as_text=True))
    assert css_ref in css_inbox and job_ref not in css_inbox
    assert job_ref in job_inbox and css_ref not in job_inbox
    assert "Center for Social Service, Egedal" in css_inbox


def test_english_inbox_and_page(cw_app):
    reference = make_intake(cw_app)
    client, _id, _email = caseworker(cw_app)
    assert reference in client.get("/en/staff/intakes").get_data(as_text=True)
    response = client.get(f"/en/staff/intakes/{reference}")
    assert response.status_code == 200
    assert "Accept: become the coordinating caseworker" in response.get_data(as_text=True)


def test_another_teams_intake_is_a_404_on_every_url_like_a_made_up_one(cw_app):
    theirs = make_intake(cw_app, situations=("work-education",))  # egedal-jobcenter
    other_municipality = make_intake(cw_app, municipality="fredericia")
    made_up = codes.new_reference()
    client, _id, _email = caseworker(cw_app, "egedal-css")
    csrf = token(client, INBOX)
    bodies = {}
    for reference in (theirs, other_municipality, made_up, "../../etc", "x" * 300):
        for suffix in READS:
            response = client.get(page(reference, suffix))
            assert response.status_code == 404, (reference, suffix)
            bodies.setdefault(suffix, set()).add(text_of(response.get_data(as_text=True)))
        for suffix, data in ACTIONS.items():
            response = client.post(page(reference, suffix), data={"csrf_token": csrf, **data})
            assert response.status_code == 404, (reference, suffix)
    # Nothing tells a real reference from a made-up one.
    assert all(len(texts) == 1 for texts in bodies.values())
    # And nothing happened to their intake.
    owner, _id, _email = caseworker(cw_app, "egedal-jobcenter")
    html = owner.get(page(theirs)).get_data(as_text=True)
    assert "Accept: become" in html or "Modtag" in html
    assert "Nobody yet" in html or "Ingen endnu" in html


def test_without_the_caseworker_role_the_pages_are_refused(cw_app):
    reference = make_intake(cw_app)
    client = treater(cw_app)
    assert client.get(INBOX).status_code == 403
    response = client.get(page(reference))
    assert response.status_code == 403
    assert STORY not in response.get_data(as_text=True)
    response = client.post(page(reference, "/modtag"),
                           data={"csrf_token": token(client, "/personale")})
    assert response.status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(cw_app):
    reference = make_intake(cw_app)
    client = cw_app.test_client()
    for url in (INBOX, page(reference), page(reference, "/eksport")):
        response = client.get(url)
        assert response.status_code in (302, 303)
        assert "/personale/log-ind" in response.headers["Location"]


def test_actions_need_the_csrf_token(cw_app):
    reference = make_intake(cw_app)
    client, _id, _email = caseworker(cw_app)
    response = client.post(page(reference, "/modtag"))
    assert response.status_code == 400
    assert "Nobody yet" in client.get(f"/en/staff/intakes/{reference}").get_data(as_text=True)


@pytest.mark.parametrize("lang_prefix", ["", "/en"])
def test_markup_in_the_story_is_shown_escaped(cw_app, lang_prefix):
    story = '<script>alert("x")</script> <b>fed</b> \u202e\u200b'
    reference = make_intake(cw_app, story=story)
    client, _id, _email = caseworker(cw_app)
    url = page(reference) if not lang_prefix else f"/en/staff/intakes/{reference}"
    html = client.get(url).get_data(as_text=True)
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(" in html
