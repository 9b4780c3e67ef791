"""The assistant understands ordinary requests (issue 11), through the real stack.

The portal runs on a free port, Rasa and its action server from bot/ (tests/conftest.py's
`rasa_stack`). Each test chats as a citizen would and checks what they would see: an offer
that serves their life situation (as the portal's API says), for every need they name,
and nothing off-topic. Skipped locally, failed in CI, without bot/.venv or a trained model.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from tests.chat.replies import answer, assert_links_work, says, urls
from tests.chat.stack import Visitor

pytestmark = pytest.mark.rasa


@pytest.fixture()
def visitor(live_server: str, with_rasa) -> Visitor:
    return Visitor(live_server)


def offer_slugs(reply: dict[str, Any]) -> list[str]:
    return [url.split("?")[0].rsplit("/", 1)[-1] for url in urls(reply)
            if url.startswith(("/tilbud/", "/en/offers/"))]


def situations_of(base: str, slug: str) -> set[str]:
    with urllib.request.urlopen(f"{base}/api/v1/offers/{slug}", timeout=10) as response:
        return set(json.loads(response.read())["situations"])


def text_of(reply: dict[str, Any]) -> str:
    return " ".join(m["text"] for m in reply["messages"])


@pytest.mark.parametrize("page, municipality, message, situation", [
    ("/", "egedal", "findes der en gruppe for folk med angst?", "mental-health"),
    ("/", "aarhus", "jeg lever med depression og vil gerne lære at komme mig",
     "mental-health"),
    ("/", "aarhus", "min søn er autist og er ved at blive gammel, hvor kan han bo?",
     "disability"),
    ("/", "aalborg",
     "Jeg har boet på krisecenter og skal flytte ud, kan jeg få støtte bagefter?", "violence"),
    ("/en/", "bornholm", "I think my niece is being abused, can I get advice anonymously?",
     "violence"),
])
def test_the_issues_five_messages_get_a_fitting_offer_first(
        visitor: Visitor, live_server: str, page: str, municipality: str, message: str,
        situation: str) -> None:
    visitor.choose_municipality(municipality)
    visitor.open_page(page)
    reply = answer(visitor, message)
    slugs = offer_slugs(reply)
    assert slugs, f"no offer for {message!r}: {text_of(reply)}"
    assert situation in situations_of(live_server, slugs[0]), (message, slugs)
    if page.startswith("/en/"):
        assert all(url.startswith("/en/") for url in urls(reply)), urls(reply)
    assert_links_work(visitor, reply)


def test_two_needs_in_one_message_get_offers_for_both(visitor: Visitor,
                                                      live_server: str) -> None:
    visitor.choose_municipality("haderslev")
    visitor.open_page("/")
    reply = answer(visitor, "jeg drikker for meget og har gæld")
    served = [situations_of(live_server, slug) for slug in offer_slugs(reply)]
    assert any("debt" in s for s in served), (offer_slugs(reply), text_of(reply))
    assert any({"alcohol", "drugs"} & s for s in served), (offer_slugs(reply), text_of(reply))


def test_debt_in_holstebro_is_said_plainly_with_debt_help_elsewhere(
        visitor: Visitor, live_server: str) -> None:
    visitor.choose_municipality("holstebro")
    visitor.open_page("/")
    reply = answer(visitor, "jeg har gæld og kan ikke betale mine regninger")
    assert "Holstebro" in text_of(reply) and "ikke" in text_of(reply), text_of(reply)
    slugs = offer_slugs(reply)
    assert slugs, text_of(reply)
    assert all("debt" in situations_of(live_server, slug) for slug in slugs), slugs
    assert_links_work(visitor, reply)


def test_english_written_on_a_danish_page_is_answered_in_english(visitor: Visitor) -> None:
    visitor.choose_municipality("koebenhavn")
    visitor.open_page("/")
    reply = answer(visitor, "my son smokes weed every day and I am worried")
    assert offer_slugs(reply), text_of(reply)
    assert all(url.startswith("/en/") for url in urls(reply)), urls(reply)


def test_a_question_about_the_offer_just_shown_is_answered_from_its_facts(
        visitor: Visitor, live_server: str) -> None:
    visitor.choose_municipality("haderslev")
    visitor.open_page("/")
    shown = answer(visitor, "jeg har gæld og kan ikke betale mine regninger")
    assert "gaeldsraadgivning-haderslev" in offer_slugs(shown), text_of(shown)
    reply = answer(visitor, "er det gratis?")
    # No seed gives a price: the answer says so honestly and links the offer shown.
    with urllib.request.urlopen(f"{live_server}/api/v1/offers/gaeldsraadgivning-haderslev",
                                timeout=10) as response:
        price = json.loads(response.read())["facts"]["price"]
    assert price["known"] is False
    assert "/tilbud/gaeldsraadgivning-haderslev" in urls(reply), reply
    everything = " ".join(says(m) for m in reply["messages"]).lower()
    assert "kilderne siger ikke" in everything and "koster" in everything, reply
    anonymous = answer(visitor, "kan jeg være anonym?")
    assert "anonym" in " ".join(says(m) for m in anonymous["messages"]).lower(), anonymous
