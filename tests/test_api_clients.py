"""Who may use the API how: anyone within a per-address rate limit; server-to-server
clients (the assistant's action server) with a token from the environment, unlimited;
a wrong token is refused, never taken for an anonymous client."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import make_app

TOKEN = "a-test-token-that-is-long-enough"
OFFERS = "/api/v1/offers"


@pytest.fixture(scope="module")
def limited_app(app: Flask) -> Flask:
    """The portal on the session's database with a small API limit and a known token."""
    return make_app(app.config["SQLALCHEMY_DATABASE_URI"], API_RATE_LIMIT="3/minute",
                    API_TOKENS={"assistant": TOKEN})


def from_address(app: Flask, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_an_anonymous_client_is_limited_per_address(limited_app):
    client = from_address(limited_app, "192.0.2.1")
    assert [client.get(OFFERS).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(OFFERS, query_string={"lang": "en"})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.get_json() == {"error": "too_many_requests",
                                  "message": "Please wait a moment and try again."}
    danish = client.get(OFFERS)
    assert danish.status_code == 429 and "Vent" in danish.get_json()["message"]
    # Another address is not held back, and the pages are not rate limited.
    assert from_address(limited_app, "192.0.2.2").get(OFFERS).status_code == 200
    assert client.get("/soeg").status_code == 200


def test_the_assistant_with_its_token_is_not_limited(limited_app):
    client = from_address(limited_app, "192.0.2.3")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert {client.get(OFFERS, headers=headers).status_code for _ in range(10)} == {200}


@pytest.mark.parametrize("header", [
    "Bearer not-our-token", f"Bearer {TOKEN}x", f"Basic {TOKEN}", "Bearer", f"Token {TOKEN}",
])
def test_a_wrong_token_is_refused_in_the_asked_language(limited_app, header):
    client = from_address(limited_app, "192.0.2.4")
    english = client.get(OFFERS, query_string={"lang": "en"}, headers={"Authorization": header})
    assert english.status_code == 401
    assert english.headers["WWW-Authenticate"].lower().startswith("bearer")
    assert english.get_json() == {"error": "unauthorized",
                                  "message": "The API token is not valid."}
    danish = client.get(OFFERS, headers={"Authorization": header})
    assert danish.get_json()["message"] == "API-nøglen er ikke gyldig."


def test_without_a_configured_token_no_token_is_accepted(app):
    """An empty PORTAL_API_TOKEN never matches, not even an empty bearer token."""
    bare = make_app(app.config["SQLALCHEMY_DATABASE_URI"], API_TOKENS={"assistant": ""})
    client = bare.test_client()
    for header in ("Bearer ", "Bearer x"):
        assert client.get(OFFERS, headers={"Authorization": header}).status_code == 401
    assert client.get(OFFERS).status_code == 200


def test_the_token_comes_from_the_environment(monkeypatch, tmp_path):
    from portal.config import Config

    monkeypatch.setenv("PORTAL_API_TOKEN", "from-the-environment")
    monkeypatch.setenv("API_RATE_LIMIT", "10/second")
    config = Config(str(tmp_path))
    assert config.API_TOKENS == {"assistant": "from-the-environment"}
    assert config.API_RATE_LIMIT == "10/second"
