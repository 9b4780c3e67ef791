"""Conversations with the real assistant, through the portal's chat endpoint over HTTP.

The portal runs on a free port (live_server); Rasa and its action server run from bot/
(fixture `rasa_stack` in tests/conftest.py), and the action server asks this portal's
API for offers. Skipped locally, failed in CI, without bot/.venv or a trained model.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.chat.stack import Visitor

pytestmark = pytest.mark.rasa

DANISH_WORDS = re.compile(r"\b(og|jeg|du|det|til|er|har|hvor|kan)\b", re.IGNORECASE)


@pytest.fixture()
def visitor(live_server: str, with_rasa) -> Visitor:
    return Visitor(live_server)


def urls(reply: dict[str, Any]) -> list[str]:
    return [link["url"] for m in reply["messages"] for link in m["links"]]


def says(message: dict[str, Any]) -> str:
    """All a message shows, digits without spaces: its text, link titles and links."""
    parts = [message["text"]] + [f'{lk["title"]} {lk["text"]} {lk["url"]}'
                                 for lk in message["links"]]
    return re.sub(r"(?<=\d) (?=\d)", "", " ".join(parts))


def answer(visitor: Visitor, message: str) -> dict[str, Any]:
    status, reply = visitor.say(message)
    assert status == 200, reply
    assert reply["status"] == "ok", f"the assistant did not answer {message!r}: {reply}"
    assert reply["messages"], reply
    return reply


def assert_crisis_first(reply: dict[str, Any]) -> None:
    first = says(reply["messages"][0])
    assert "112" in first and "70201201" in first, reply["messages"][0]


def assert_links_work(visitor: Visitor, reply: dict[str, Any]) -> None:
    for url in urls(reply):
        assert url.startswith("/") or url.startswith("tel:"), url
        if url.startswith("/"):
            assert visitor.get(url)[0] == 200, url


def test_son_smoking_hash_in_koebenhavn_gets_u_turn(visitor: Visitor):
    visitor.choose_municipality("koebenhavn")
    visitor.open_page("/")
    reply = answer(visitor, "min søn på 17 ryger hash hver dag")
    assert "/tilbud/u-turn-koebenhavn" in urls(reply), reply
    assert_links_work(visitor, reply)


def test_suicidal_thoughts_get_112_and_livslinien_at_once(visitor: Visitor):
    visitor.open_page("/")
    assert_crisis_first(answer(visitor, "jeg har ikke lyst til at leve mere"))


def test_english_page_gets_an_english_answer_with_english_links(visitor: Visitor):
    visitor.choose_municipality("koebenhavn")
    visitor.open_page("/en/")
    reply = answer(visitor, "my brother drinks too much every day")
    links = urls(reply)
    assert any(url.startswith("/en/offers/") for url in links), reply
    assert not any(url.startswith("/tilbud/") for url in links), reply
    text = " ".join(m["text"] for m in reply["messages"])
    assert not DANISH_WORDS.search(text), text
    assert_links_work(visitor, reply)


def test_crisis_in_the_middle_of_the_municipality_question(visitor: Visitor):
    visitor.open_page("/")
    asked = answer(visitor, "min søn ryger hash hver dag")
    question = " ".join(m["text"] for m in asked["messages"]).lower()
    assert "kommune" in question or any(m["buttons"] for m in asked["messages"]), asked
    assert "/tilbud/u-turn-koebenhavn" not in urls(asked)  # it cannot know where yet
    assert_crisis_first(answer(visitor, "jeg vil ikke leve mere"))
