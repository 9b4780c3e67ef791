"""The chat endpoint without the real assistant: Rasa down, a stub Rasa for the edge cases,
CSRF, the message limit and the rate limit. (The real assistant: test_chat_e2e.py.)"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask

from portal.chat import service
from portal.chat.limits import ChatLimiter
from tests.chat.stack import StubRasa, closed_url
from tests.conftest import need

FALLBACK = {
    "da": {"page": "/", "says": "ikke tilgængelig", "search": "/soeg",
           "intake": "/en-indgang"},
    "en": {"page": "/en/", "says": "not available", "search": "/en/search",
           "intake": "/en/one-entrance"},
}


def open_page(client, path: str = "/") -> str:
    """The page's CSRF token, as the widget reads it from <meta name="csrf-token">."""
    html = client.get(path).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def say(client, token: str | None, message, lang: str = "da"):
    headers = {"X-CSRFToken": token} if token else {}
    return client.post("/chat/messages", json={"message": message, "lang": lang},
                       headers=headers)


@pytest.fixture()
def stub(stub_rasa: StubRasa) -> StubRasa:
    return stub_rasa


@pytest.fixture()
def limiter(app: Flask) -> Iterator[None]:
    previous = app.extensions["chat_limiter"]
    app.extensions["chat_limiter"] = ChatLimiter("memory://", "3/minute", "")
    yield
    app.extensions["chat_limiter"] = previous


# --- Rasa down -------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["da", "en"])
def test_rasa_down_is_a_plain_answer_with_other_ways(client, rasa_down, lang):
    f = FALLBACK[lang]
    token = open_page(client, f["page"])
    response = say(client, token, "min søn ryger hash", lang)
    assert response.status_code == 200
    data = response.get_json()
    assert data["status"] == "unavailable"
    [message] = data["messages"]
    assert f["says"] in message["text"]
    assert "112" in message["text"] and "70 201 201" in message["text"]
    urls = [link["url"] for link in message["links"]]
    assert urls == [f["search"], f["intake"], "tel:112", "tel:70201201"]
    assert all(link["title"] and link["text"] for link in message["links"])
    # The offered pages exist, and the portal keeps working.
    for url in urls[:2]:
        assert client.get(url).status_code == 200, url
    assert client.get(f["page"]).status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_rasa_down_is_unavailable(client, rasa_down):
    """Nothing listens at Rasa's address (how fast the answer comes is a benchmark
    figure: `make bench-chat`)."""
    token = open_page(client)
    assert say(client, token, "hej").get_json()["status"] == "unavailable"


def test_the_default_rasa_address_comes_from_the_environment(monkeypatch, tmp_path):
    from portal.config import Config

    assert Config(str(tmp_path)).RASA_URL == "http://127.0.0.1:5005"
    monkeypatch.setenv("RASA_URL", "http://rasa.internal:5005")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://redis:6379/1")
    config = Config(str(tmp_path))
    assert config.RASA_URL == "http://rasa.internal:5005"
    assert config.RATELIMIT_STORAGE_URI == "redis://redis:6379/1"


# --- What the endpoint refuses ---------------------------------------------------------

@pytest.mark.parametrize(("lang", "says"), [("da", "Genindlæs siden"),
                                            ("en", "reload the page")])
def test_missing_csrf_token_is_refused_in_the_pages_language(client, rasa_down, lang, says):
    open_page(client)
    response = say(client, None, "hej", lang)
    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf"
    assert says in response.get_json()["message"]
    wrong = say(client, "not-the-token", "hej", lang)
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "csrf"


@pytest.mark.parametrize(("lang", "says"), [("da", "for lang"), ("en", "too long")])
def test_too_long_message_is_refused(client, rasa_down, lang, says):
    token = open_page(client)
    response = say(client, token, "a" * (service.MAX_MESSAGE_LENGTH + 1), lang)
    assert response.status_code == 400
    data = response.get_json()
    assert data["error"] == "too_long"
    assert says in data["message"] and "1000" in data["message"]
    # The limit itself is allowed.
    assert say(client, token, "a" * service.MAX_MESSAGE_LENGTH, lang).status_code == 200


@pytest.mark.parametrize("message", ["", "   ", None, 42, ["hej"]])
def test_empty_or_odd_message_is_refused(client, rasa_down, message):
    token = open_page(client)
    response = say(client, token, message)
    assert response.status_code == 400
    assert response.get_json()["error"] == "empty"


def test_a_body_that_is_not_json_is_refused(client, rasa_down):
    token = open_page(client)
    for body, kind in [("message=hej", "application/x-www-form-urlencoded"),
                       ("[1, 2]", "application/json"), ("{", "application/json")]:
        response = client.post("/chat/messages", data=body, content_type=kind,
                               headers={"X-CSRFToken": token})
        assert response.status_code == 400, body
        assert response.is_json


def test_other_methods_get_json_not_a_page(client):
    response = client.get("/chat/messages")
    assert response.status_code == 405
    assert response.is_json


@pytest.mark.parametrize(("lang", "says"), [("da", "Vent et minut"), ("en", "wait a minute")])
def test_rate_limit_gives_429_in_the_pages_language(client, rasa_down, limiter, lang, says):
    token = open_page(client)
    for _ in range(3):
        assert say(client, token, "hej", lang).status_code == 200
    response = say(client, token, "hej", lang)
    assert response.status_code == 429
    data = response.get_json()
    assert data["error"] == "rate_limited"
    assert says in data["message"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    # Another visitor (another conversation) is not held back by this one.
    other = client.application.test_client()
    assert say(other, open_page(other), "hej", lang).status_code == 200


def test_rate_limit_per_address_covers_visitors_without_cookies(app: Flask, rasa_down):
    previous = app.extensions["chat_limiter"]
    app.extensions["chat_limiter"] = ChatLimiter("memory://", "", "2/minute")
    try:
        codes = []
        for _ in range(3):
            fresh = app.test_client()
            codes.append(say(fresh, open_page(fresh), "hej").status_code)
        assert codes == [200, 200, 429]
    finally:
        app.extensions["chat_limiter"] = previous


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_or_skip() -> str:
    """Production keeps the limits in Redis (one count for all workers)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        need(False, f"Redis at {REDIS_URL} is needed for this test: {exc}")
    return REDIS_URL


def test_workers_share_the_limit_in_redis(app: Flask):
    """Two gunicorn workers (two limiters on one Redis) count one visitor together, so
    a visitor whose messages land on different workers is still held to the limit."""
    url = redis_or_skip()
    visitor, address = f"visitor-{uuid.uuid4()}", f"test-{uuid.uuid4()}"
    workers = [ChatLimiter(url, "3/minute", "") for _ in range(2)]
    waits = [workers[i % 2].retry_after(visitor, address) for i in range(4)]
    assert waits[:3] == [None, None, None]
    assert waits[3] is not None and 1 <= waits[3] <= 60
    # Another visitor is not held back.
    assert workers[1].retry_after(f"visitor-{uuid.uuid4()}", address) is None


def test_a_broken_rate_limit_store_does_not_stop_the_chat(app: Flask, client, rasa_down):
    previous = app.extensions["chat_limiter"]
    app.extensions["chat_limiter"] = ChatLimiter(
        closed_url().replace("http", "redis") + "/0", "1/minute", "1/minute")
    try:
        token = open_page(client)
        for _ in range(2):
            assert say(client, token, "hej").status_code == 200
    finally:
        app.extensions["chat_limiter"] = previous


# --- What goes to Rasa -----------------------------------------------------------------

def test_rasa_gets_a_random_conversation_id_and_the_pages_context(app: Flask, stub):
    stub.reply = [{"recipient_id": "x", "text": "Hej"}]
    first, second = app.test_client(), app.test_client()
    token = open_page(first)
    assert say(first, token, "hej").get_json()["status"] == "ok"
    first.set_cookie("kommune", "koebenhavn")
    say(first, open_page(first, "/en/"), "hello", "en")
    first.set_cookie("kommune", "atlantis")
    say(first, token, "hej")
    say(second, open_page(second), "hej")

    a, b, c, d = stub.received
    assert a["message"] == "hej"
    assert a["metadata"] == {"lang": "da", "municipality": None}
    assert b["metadata"] == {"lang": "en", "municipality": "koebenhavn"}
    assert c["metadata"] == {"lang": "da", "municipality": None}  # unknown: not passed on
    assert a["sender"] == b["sender"] == c["sender"] != d["sender"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,}", a["sender"])


# --- What comes back from Rasa ---------------------------------------------------------

def test_the_bots_messages_are_normalised(client, stub):
    stub.reply = [
        {"recipient_id": "x", "text": "<b>Hej</b> <script>alert(1)</script>"},
        {"recipient_id": "x", "text": "Hvor bor du?", "buttons": [
            {"title": "København", "payload": '/inform_municipality{"municipality":"koebenhavn"}'},
            {"title": "no payload"}, "not a button", {"title": "", "payload": "/x"},
        ]},
        {"recipient_id": "x", "custom": {"links": [
            {"title": "U-turn", "text": "For unge", "url": "/tilbud/u-turn-koebenhavn"},
            {"title": "Søg", "text": "", "url": "/soeg?q=min søn&municipality=koebenhavn"},
            {"title": "Livslinien", "text": "Døgnet rundt?", "url": "tel:70 20 12 01"},
            {"title": "Evil", "text": "", "url": "https://evil.example/"},
            {"title": "Evil", "text": "", "url": "//evil.example/"},
            {"title": "Evil", "text": "", "url": "/\\evil.example/"},
            {"title": "Evil", "text": "", "url": "/\t/evil.example/"},
            {"title": "Evil", "text": "", "url": "javascript:alert(1)"},
            {"title": "Evil", "text": "", "url": "data:text/html,<script>alert(1)</script>"},
            {"title": "No title", "url": ""}, {"url": "/tilbud/x"},
        ]}},
        {"recipient_id": "x", "image": "https://evil.example/x.png"},
        {"recipient_id": "x", "text": 42},
        "not a message",
    ]
    token = open_page(client)
    data = say(client, token, "hej").get_json()
    assert data["status"] == "ok"
    assert data["messages"] == [
        {"text": "<b>Hej</b> <script>alert(1)</script>", "buttons": [], "links": []},
        {"text": "Hvor bor du?", "buttons": [
            {"title": "København",
             "payload": '/inform_municipality{"municipality":"koebenhavn"}'}], "links": [
            {"title": "U-turn", "text": "For unge", "url": "/tilbud/u-turn-koebenhavn"},
            {"title": "Søg", "text": "", "url": "/soeg?q=min søn&municipality=koebenhavn"},
            {"title": "Livslinien", "text": "Døgnet rundt?", "url": "tel:70201201"},
        ]},
    ]


def test_links_join_the_text_rasa_sent_them_with():
    """Rasa's REST channel splits `utter_message(text=..., json_message=...)` in two."""
    link = {"title": "U-turn", "text": "", "url": "/tilbud/u-turn-koebenhavn"}
    raw = [
        {"custom": {"links": [link]}},  # nothing before it: stays on its own
        {"text": "Ring 112"}, {"custom": {"links": [link]}},
        {"custom": {"links": [link]}},  # the text before already has links
    ]
    assert [(m.text, len(m.links)) for m in service.normalise(raw)] == [
        ("", 1), ("Ring 112", 1), ("", 1)]


@pytest.mark.parametrize(("status", "reply"), [
    (200, []),  # what Rasa says when its action server is down
    (200, [{"recipient_id": "x", "image": "https://example.org/x.png"}]),
    (200, {"text": "not a list"}),
    (200, b"<html>not json</html>"),
    (500, [{"text": "error"}]),
    (404, b"Not found"),
])
def test_no_usable_answer_is_unavailable(client, stub, status, reply):
    stub.status, stub.reply = status, reply
    response = say(client, open_page(client), "hej")
    assert response.status_code == 200
    assert response.get_json()["status"] == "unavailable"


def test_a_slow_rasa_is_unavailable_after_the_timeout(client, stub):
    """Rasa answers after 3 s, the portal waits 1 s: the citizen is told the assistant is
    unavailable instead of getting the late answer (the time it takes: `make bench-chat`)."""
    stub.delay, stub.reply = 3, [{"text": "too late"}]
    token = open_page(client)
    data = say(client, token, "hej").get_json()
    assert data["status"] == "unavailable"
    assert "too late" not in str(data)


# --- The links the endpoint lets through -----------------------------------------------

@pytest.mark.parametrize(("url", "expected"), [
    ("/tilbud/u-turn-koebenhavn", "/tilbud/u-turn-koebenhavn"),
    ("/en/offers/u-turn-koebenhavn", "/en/offers/u-turn-koebenhavn"),
    ("/en-indgang", "/en-indgang"),
    ("/soeg?q=hash&municipality=koebenhavn", "/soeg?q=hash&municipality=koebenhavn"),
    ("tel:112", "tel:112"),
    ("tel:70 201 201", "tel:70201201"),
    ("tel:+45 70-20-12-01", "tel:+4570201201"),
    ("https://example.org/", None),
    ("http://127.0.0.1:5000/tilbud/x", None),
    ("//example.org/", None),
    ("/\\example.org", None),
    ("/tilbud\\..\\x", None),
    ("/\t/example.org", None),
    ("/\n/example.org", None),
    (" /tilbud/x", None),
    ("javascript:alert(1)", None),
    ("JavaScript:alert(1)", None),
    ("tel:112;javascript:alert(1)", None),
    ("tel:", None),
    ("mailto:a@example.org", None),
    ("tilbud/x", None),
    ("", None),
    (None, None),
    (["/tilbud/x"], None),
    ("/" + "a" * 600, None),
])
def test_safe_url(url, expected):
    assert service.safe_url(url) == expected


# --- The widget on the pages -----------------------------------------------------------

@pytest.mark.parametrize(("path", "lang", "search"), [
    ("/", "da", "/soeg"), ("/en/", "en", "/en/search"),
    ("/tilbud/u-turn-koebenhavn", "da", "/soeg"), ("/en/for-relatives", "en", "/en/search"),
    ("/tilbud/findes-ikke", "da", "/soeg"),
])
def test_every_page_has_the_chat(client, path, lang, search):
    html = client.get(path).get_data(as_text=True)
    # Without JavaScript the chat link is a plain link to search.
    assert re.search(rf'<a class="function-link chat-launcher" href="{re.escape(search)}"'
                     r" data-chat-launcher>", html)
    assert re.search(r'<script src="/static/chat\.js\?v=[0-9a-f]{10}" defer></script>', html)
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', html)
    assert 'role="log" aria-live="polite"' in html
    config = json.loads(re.search(
        r'<script type="application/json" id="chat-config">(.*?)</script>', html, re.S
    ).group(1))
    assert config["url"] == "/chat/messages" and config["lang"] == lang
    greeting = config["greeting"][0]["text"]
    assert ("Hej" in greeting) if lang == "da" else ("Hello" in greeting)
    assert [link["url"] for link in config["fallback"][0]["links"]][2:] == [
        "tel:112", "tel:70201201"]


def test_the_script_is_cached_for_a_year(client):
    html = client.get("/").get_data(as_text=True)
    src = re.search(r'<script src="(/static/chat\.js\?v=[0-9a-f]+)"', html).group(1)
    response = client.get(src)
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]
    script = response.get_data(as_text=True)
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script


def test_behind_a_trusted_proxy_the_address_limit_sees_each_visitor(app: Flask):
    """With TRUSTED_PROXIES set, visitors behind the same proxy are counted apart; the
    same visitor is still limited."""
    from tests.conftest import make_app

    proxied = make_app(app.config["SQLALCHEMY_DATABASE_URI"], TRUSTED_PROXIES=1)
    proxied.extensions["chat_limiter"] = ChatLimiter("memory://", "", "2/minute")

    def from_address(address: str) -> int:
        visitor = proxied.test_client()
        token = open_page(visitor)
        return visitor.post("/chat/messages", json={"message": "hej", "lang": "da"},
                            headers={"X-CSRFToken": token,
                                     "X-Forwarded-For": address}).status_code

    assert [from_address(f"192.0.2.{n}") for n in range(1, 5)] == [200] * 4
    assert [from_address("198.51.100.7") for _ in range(3)] == [200, 200, 429]
