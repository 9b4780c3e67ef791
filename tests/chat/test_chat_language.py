"""The assistant answers in the language the citizen writes, through the real Rasa stack.

English written on a Danish page is answered in English with the English pages' links,
Danish on the English page in Danish with the Danish pages' links, a crisis too; a short
"ok" or a button keeps the conversation's language (bot/actions/language.py). Same
set-up as test_chat_e2e.py: skipped locally, failed in CI, without bot/.venv or a model.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.chat.replies import (
    DANISH_WORDS,
    answer,
    assert_crisis_first,
    assert_links_work,
    urls,
)
from tests.chat.stack import Visitor

pytestmark = pytest.mark.rasa

ENGLISH_WORDS = re.compile(r"\b(and|you|the|is|are|your|with|can)\b", re.IGNORECASE)


@pytest.fixture()
def visitor(live_server: str, with_rasa) -> Visitor:
    return Visitor(live_server)


def offer_urls(reply: dict[str, Any]) -> list[str]:
    return [u for u in urls(reply) if u.startswith(("/tilbud/", "/en/offers/"))]


def text_of(reply: dict[str, Any]) -> str:
    return " ".join(m["text"] for m in reply["messages"])


def assert_english(reply: dict[str, Any]) -> None:
    text = text_of(reply)
    assert ENGLISH_WORDS.search(text) and not DANISH_WORDS.search(text), text


def assert_danish(reply: dict[str, Any]) -> None:
    text = text_of(reply)
    assert DANISH_WORDS.search(text) and not ENGLISH_WORDS.search(text), text


def test_english_on_a_danish_page_gets_english_and_the_english_pages(visitor: Visitor):
    visitor.choose_municipality("koebenhavn")
    visitor.open_page("/")
    assert visitor.lang == "da"
    reply = answer(visitor, "my brother drinks too much every day, what can I do")
    offers = offer_urls(reply)
    assert offers and all(u.startswith("/en/offers/") for u in offers), reply
    assert_english(reply)
    assert_links_work(visitor, reply)
    # A short answer says nothing of its language: the conversation keeps English.
    assert_english(answer(visitor, "ok"))


def test_danish_on_the_english_page_gets_danish_and_the_danish_pages(visitor: Visitor):
    visitor.open_page("/en/")
    assert visitor.lang == "en"
    asked = answer(visitor, "min søn ryger hash hver dag, hvad kan vi gøre")
    assert "kommune" in text_of(asked).lower(), asked  # the municipality form, in Danish
    assert_danish(asked)
    button = next(b for m in asked["messages"] for b in m["buttons"]
                  if '"koebenhavn"' in b["payload"])
    # A button keeps the language too.
    reply = answer(visitor, button["payload"])
    offers = offer_urls(reply)
    assert "/tilbud/u-turn-koebenhavn" in offers, reply
    assert all(u.startswith("/tilbud/") for u in offers), reply
    assert_danish(reply)
    assert_links_work(visitor, reply)


def test_a_crisis_is_answered_in_the_language_it_is_written_in(live_server: str, with_rasa):
    english = Visitor(live_server)
    english.open_page("/")
    reply = answer(english, "I want to end my life")
    assert_crisis_first(reply)
    assert reply["messages"][0]["text"].startswith("That sounds really hard"), reply
    assert_english(reply)

    danish = Visitor(live_server)
    danish.open_page("/en/")
    reply = answer(danish, "jeg vil ikke leve mere")
    assert_crisis_first(reply)
    assert reply["messages"][0]["text"].startswith("Det lyder rigtig svært"), reply
    assert_danish(reply)
