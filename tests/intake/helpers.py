"""Helpers for the intake tests: an app with a database of its own (content/ and the demo
teams loaded), a browser-like client with its own address, and a whole web intake."""

from __future__ import annotations

import itertools
import re

from flask import Flask
from flask.testing import FlaskClient

from tests.booking.web import csrf_token, text_of

_addresses = itertools.count(1)

STEPS_DA = ["hvem", "kommune", "situation", "maal", "instanser", "kontakt", "behov", "hast",
            "samtykke", "tjek"]
STEPS_EN = ["who", "municipality", "situation", "goals", "agencies", "contact", "needs",
            "urgency", "consent", "review"]
BASE = {"da": "/en-indgang", "en": "/en/one-entrance"}


def citizen(app: Flask) -> FlaskClient:
    """A fresh browser (own cookies) from an address of its own."""
    client = app.test_client()
    n = next(_addresses)
    client.environ_base["REMOTE_ADDR"] = f"10.20.{n // 250 % 250}.{n % 250 + 1}"
    return client


def token(client: FlaskClient, url: str) -> str:
    return csrf_token(client.get(url).get_data(as_text=True))


def post_step(client: FlaskClient, lang: str, step: str, data: dict, follow: bool = False):
    url = f"{BASE[lang]}/{step}"
    form = {"csrf_token": token(client, url), **data}
    return client.post(url, data=form, follow_redirects=follow)


ANSWERS = {
    "who": {"asker": "self"},
    "municipality": {"municipality": "egedal"},
    "situation": {"situations": ["mental-health", "work-education"],
                  "story": "Jeg har det svært <b>og</b> sover dårligt."},
    "goals": {"goals": "Komme i gang med en uddannelse."},
    "agencies": {"agencies": ["jobcentre", "doctor"]},
    "contact": {"method": "email", "email": "borger@example.dk", "times": "efter kl. 15"},
    "needs": {"needs": ["easy-read"]},
    "urgency": {"urgency": "this-week"},
}


def fill(client: FlaskClient, lang: str = "da", **overrides: dict) -> None:
    """Answer every step up to the consent step (each answer must be accepted)."""
    steps = STEPS_DA if lang == "da" else STEPS_EN
    for key, slug in zip(ANSWERS, steps, strict=False):
        answer = overrides.get(key, ANSWERS[key])
        response = post_step(client, lang, slug, answer)
        assert response.status_code == 303, (slug, text_of(response.get_data(as_text=True)))


def consent_keys(html: str) -> list[str]:
    """The consent lines a page asks about (their radio names), in page order."""
    return list(dict.fromkeys(re.findall(r'name="consent-([a-z0-9-]+)"', html)))


def code_on(html: str) -> str:
    shown = re.search(r'<p class="booking-code intake-code"[^>]*>(.*?)</p>', html, re.S).group(1)
    shown = re.sub(r'<span class="sr-only">.*?</span>', "", shown)
    return re.sub(r"<[^>]+>", "", shown).strip()


def reference_on(html: str) -> str:
    return re.search(r'class="booking-reference">([A-Z0-9-]+)<', html).group(1)
