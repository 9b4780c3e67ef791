"""Safe defaults for personal data: what may be cached, what a Referer may carry, which
forms may skip the CSRF check. Each rule is checked on every route the portal has, so a
new page or endpoint is held to it without a test of its own."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from portal.core.extensions import csrf

PUBLIC = "public, max-age=60"
# The published catalogue: the same for everyone, no personal data, no secret.
PUBLIC_ENDPOINTS = {
    "catalogue_api.offers", "catalogue_api.offer", "catalogue_api.municipalities",
    "catalogue_api.situations", "guidance_api.pages", "api.openapi",
}
# Values for the variables in the routes' paths, so that each route answers 200.
SAMPLES = {"slug": "u-turn-koebenhavn", "filename": "site.css", "reference": "AB12-CD34",
           "token": "0" * 24, "room": "1", "step": "hvem",
           "consent_id": "1"}
PAGE_SLUGS = {"guidance.page": {"da": "en-indgang", "en": "one-entrance"}}
# Routes whose sample cannot answer 200 without data of its own (the session app holds no
# bookings): what they answer instead. Their cache policy is checked all the same.
NOT_200 = {
    "booking.confirmation": 303,      # nothing booked in this browser: to the code form
    "booking.request_received": 303,  # nothing requested in this browser
    "booking.request_time": 404,      # the sample offer promises no start within N days
    "booking.show": 303,              # the booking's code not given: to the code form
    "booking.cancel": 303,
    "booking.move": 303,
    "booking.calendar": 404,          # the token does not match
    "booking_api.booking": 400,       # no X-Booking-Code
    "staff.home": 302,                # staff pages: not signed in, to the sign-in page
    "treater.day": 302,
    "treater.schedule": 302,
    "treater.requests": 302,
    "treater.session_page": 302,
    "caseworker.inbox": 302,
    "caseworker.intake_page": 302,
    "caseworker.export": 302,
    "caseworker.consent_text": 302,
    "caseworker_live.chats": 302,
    "caseworker_live.conversation": 302,
    "caseworker_live.chat_events": 403,  # the chats stream: signed-in caseworkers only
    "staff.oidc_reply": 404,          # single sign-on is off unless configured
    "livechat.events": 403,           # no session page let this browser into the room
    "intake.receipt": 303,            # nothing sent from this browser: to the code form
    "intake.status_page": 303,        # the intake's code not given: to the code form
    "intake.give_consent": 303,
    "intake.print_receipt": 303,
    "intake.export": 303,
    "intake_api.intake": 400,         # no X-Intake-Code
    "intake_api.consent_texts": 400,  # no municipality
}


def get_routes(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, a URL that answers 200, or as NOT_200 says) for every GET route."""
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        values = dict(rule.defaults or {})
        for name in rule.arguments - set(values):
            values[name] = SAMPLES[name]
        if rule.endpoint in PAGE_SLUGS:
            values["slug"] = PAGE_SLUGS[rule.endpoint][values["lang"]]
        if rule.endpoint == "dkfds":
            values["filename"] = "css/dkfds-borgerdk.min.css"
        url = rule.build(values, append_unknown=False)[1]
        routes.append((rule.endpoint, url))
    return routes


def test_only_the_published_catalogue_is_publicly_cacheable(app, client):
    seen = set()
    for endpoint, url in get_routes(app):
        response = client.get(url)
        assert response.status_code == NOT_200.get(endpoint, 200), url
        cache_control = response.headers["Cache-Control"]
        if endpoint in PUBLIC_ENDPOINTS:
            assert cache_control == PUBLIC, url
        elif endpoint in ("static", "dkfds"):
            assert "max-age=31536000" in cache_control, url  # versioned URLs, see assets
        else:
            assert cache_control == "no-store", url
        seen.add(endpoint)
    assert seen >= PUBLIC_ENDPOINTS


@pytest.mark.parametrize("url", [
    "/api/v1/offers?municipality=atlantis",  # an error is never cached, even on a public route
    "/api/v1/offers/no-such-offer",
    "/api/v1/nothing-here",
    "/no-such-page",
    "/tilbud/no-such-offer",
    "/soeg?page=0",
])
def test_errors_are_never_stored(client, url):
    response = client.get(url)
    assert response.status_code in (400, 404)
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_carry_a_secret_and_are_never_stored(client):
    """Every page holds the visitor's CSRF token (and soon references and codes)."""
    response = client.get("/")
    assert re.search(r'<meta name="csrf-token" content="[^"]+"', response.get_data(as_text=True))
    assert response.headers["Cache-Control"] == "no-store"


def test_answers_that_set_a_cookie_are_never_stored(client):
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    response = client.post("/kommune", data={"municipality": "aarhus", "csrf_token": token})
    assert response.status_code == 303
    assert "Set-Cookie" in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    chat = client.post("/chat/messages", json={"message": "hej"},
                       headers={"X-CSRFToken": token})
    assert chat.headers["Cache-Control"] == "no-store"


def test_no_referrer_ever_leaves_a_page(app, client):
    """A URL may hold a booking reference or a code: no Referer may carry it on."""
    responses = [client.get(url) for _endpoint, url in get_routes(app)]
    responses += [client.get("/no-such-page"), client.post("/chat/messages", json={})]
    for response in responses:
        assert response.headers["Referrer-Policy"] == "no-referrer", response.request.path


def test_csrf_is_never_skipped_for_a_whole_blueprint(app):
    assert not csrf._exempt_blueprints
    # One view checks the token itself, to answer in the page's language and in JSON.
    # The booking API's writes are for clients without a browser session (the assistant's
    # action server, apps): no cookie gives them any authority, the booking's code does.
    assert csrf._exempt_views == {"portal.chat.views.messages",
                                  "portal.booking.api.create_booking",
                                  "portal.booking.api.cancel_booking",
                                  "portal.intake.api.create_intake",
                                  "portal.intake.api.withdraw_consent",
                                  # The assistant's token only (401 without it).
                                  "portal.chat.api.create_handoff"}


def test_every_form_refuses_a_post_without_its_token(app, client):
    posts = [rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]
    assert posts, "no form at all?"
    for url in posts:
        response = client.post(url, data={"municipality": "aarhus"})
        # (A chat handoff needs the assistant's token before anything else: 401.)
        assert response.status_code == (401 if url == "/api/v1/handoffs" else 400), url
        assert "Set-Cookie" not in response.headers or "kommune=" not in response.headers[
            "Set-Cookie"], url
