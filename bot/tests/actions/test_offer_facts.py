"""Questions about an offer just shown (`action_answer_offer_fact`): which fact is asked,
which offer, and the answer from the portal's facts (the fake portal for the flows, the
real one for the contract)."""

from __future__ import annotations

from typing import Any

import pytest
from actions.actions import ActionFallbackChoices
from actions.offer_facts import (
    KINDS,
    ActionAnswerOfferFact,
    chosen_offer,
    fact_kinds,
    names_an_offer,
)
from actions.portal import PortalClient
from conftest import closed_url, entity, make_tracker
from fake_portal import TOKEN, FakePortal
from rasa_sdk.executor import CollectingDispatcher

STRAKS, UTURN, HOUSING = ("straksraadgivning-egedal", "u-turn-koebenhavn",
                          "housing-first-koebenhavn")


def ask(client: PortalClient, text: str, shown: list[str] | None, *, lang: str = "da",
        entities: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    tracker = make_tracker(text, "ask_offer_fact", entities, lang=lang, shown_offers=shown)
    dispatcher = CollectingDispatcher()
    assert ActionAnswerOfferFact(client).run(dispatcher, tracker, {}) == []
    return dispatcher.messages


def links(message: dict[str, Any]) -> list[dict[str, str]]:
    return (message.get("custom") or {}).get("links") or []


# --- which fact: the keyword table ------------------------------------------------------

@pytest.mark.parametrize(("text", "kinds"), [
    ("er det gratis?", ["price"]),
    ("koster det noget", ["price"]),
    ("skal jeg betale noget", ["price"]),
    ("how much does it cost", ["price"]),
    ("is it free", ["price"]),
    ("kan jeg være anonym?", ["anonymous"]),
    ("ka man vaere anonym", ["anonymous"]),
    ("kan jeg vare annonym", ["anonymous"]),
    ("skal jeg sige mit navn", ["anonymous"]),
    ("can i stay anonymous", ["anonymous"]),
    ("hvor ligger det?", ["location"]),
    ("hvor er det henne", ["location"]),
    ("hvad er adressen", ["location"]),
    ("where is it", ["location"]),
    ("hvornår har de åbent?", ["opening_hours"]),
    ("hvornaar har de aabent", ["opening_hours"]),
    ("hvad er abningstiderne", ["opening_hours"]),
    ("are they open at weekends", ["opening_hours"]),
    ("skal jeg have en henvisning?", ["referral"]),
    ("skal jeg ha en henvisnig", ["referral"]),
    ("kan jeg bare møde op", ["referral"]),
    ("er det et åbent tilbud", ["referral"]),  # "åbent tilbud" is no referral, not hours
    ("do i need a referral", ["referral"]),
    ("can i just walk in", ["referral"]),
    ("how do I sign up?", ["sign_up"]),
    ("hvordan tilmelder jeg mig", ["sign_up"]),
    ("hvordan kontakter jeg dem", ["sign_up"]),
    ("er der ventetid", ["waiting_time"]),
    ("hvor lang tid skal jeg vente", ["waiting_time"]),
    ("how long is the wait", ["waiting_time"]),
    ("hvem er det for", ["for_whom"]),
    ("is there an age limit", ["for_whom"]),
    ("er det gratis og kan jeg være anonym", ["price", "anonymous"]),
    ("is it free and anonymous", ["price", "anonymous"]),
    ("hej", []),
])
def test_the_kind_of_question_is_read_from_the_words(text: str, kinds: list[str]) -> None:
    assert fact_kinds(text) == kinds


def test_every_kind_has_its_wording_in_both_languages() -> None:
    from actions import texts
    for kind in KINDS:
        for lang in ("da", "en"):
            assert texts.text(f"text_fact_{kind}", lang)
            assert texts.text(f"text_fact_question_{kind}", lang).endswith("?")


# --- which offer ----------------------------------------------------------------------

TITLES = {STRAKS: "Straks-rådgivning (op til 5 timer)",
          UTURN: "U-turn — for unge med rusmidler og deres forældre",
          "busk-bornholm": "BUSK-gruppen: anonym rådgivning om overgreb og vold"}
SHOWN = [STRAKS, UTURN, "busk-bornholm"]


@pytest.mark.parametrize(("text", "slug"), [
    ("er det første gratis", STRAKS),
    ("is the first one free", STRAKS),
    ("hvor ligger det andet tilbud", UTURN),
    ("where is the second one", UTURN),
    ("den sidste, er den gratis?", "busk-bornholm"),
    ("er u-turn gratis", UTURN),
    ("hvor holder busk-gruppen til", "busk-bornholm"),
    ("er det gratis", None),
    # "anonym" is in BUSK's title, but here it is the question, not the offer.
    ("kan jeg være anonym", None),
    # "rådgivning" is in two titles: it picks neither.
    ("er rådgivningen gratis", None),
])
def test_an_ordinal_or_a_title_word_picks_one_offer(text: str, slug: str | None) -> None:
    assert chosen_offer(text, SHOWN, TITLES) == slug


# --- the answers ------------------------------------------------------------------------

def test_one_offer_shown_gets_its_answer_and_its_page(fake: FakePortal,
                                                      fake_client: PortalClient) -> None:
    [message] = ask(fake_client, "er det gratis?", [STRAKS])
    assert message["text"] == "Om Straks-rådgivning:\n\nprice of straksraadgivning-egedal (da)."
    assert [lk["url"] for lk in links(message)] == [f"/tilbud/{STRAKS}"]
    [asked] = [r for r in fake.requests if r.path.startswith("/api/v1/offers/")]
    assert asked.path == f"/api/v1/offers/{STRAKS}" and asked.query["lang"] == ["da"]
    assert asked.headers["Authorization"] == f"Bearer {TOKEN}"


def test_two_facts_in_one_question_are_both_answered_with_labels(
        fake_client: PortalClient) -> None:
    [message] = ask(fake_client, "er det gratis og kan jeg være anonym", [UTURN])
    assert "Pris: price of u-turn-koebenhavn (da)." in message["text"]
    assert "Anonym: anonymous of u-turn-koebenhavn (da)." in message["text"]


def test_several_offers_shown_get_a_short_answer_each(fake_client: PortalClient) -> None:
    [message] = ask(fake_client, "hvor ligger det?", [STRAKS, UTURN, HOUSING])
    cards = links(message)
    assert [c["url"] for c in cards] == [f"/tilbud/{s}" for s in (STRAKS, UTURN, HOUSING)]
    assert [c["text"] for c in cards] == [f"location of {s} (da)."
                                          for s in (STRAKS, UTURN, HOUSING)]
    assert cards[0]["title"] == "Straks-rådgivning"


def test_the_second_one_answers_only_for_the_second(fake_client: PortalClient) -> None:
    [message] = ask(fake_client, "hvad med den anden, er den anonym?", [STRAKS, UTURN])
    assert message["text"].startswith("Om U-turn")
    assert "anonymous of u-turn-koebenhavn" in message["text"]
    assert "straksraadgivning" not in message["text"]


def test_a_referral_question_about_a_referred_offer_links_the_intake(
        fake_client: PortalClient) -> None:
    [message] = ask(fake_client, "skal jeg have en henvisning", [HOUSING])
    assert "referral of housing-first-koebenhavn (da)." in message["text"]
    assert [lk["url"] for lk in links(message)] == [f"/tilbud/{HOUSING}", "/en-indgang"]
    [open_offer] = ask(fake_client, "skal jeg have en henvisning", [STRAKS])
    assert "/en-indgang" not in [lk["url"] for lk in links(open_offer)]


def test_english_asks_and_answers_in_english(fake: FakePortal,
                                             fake_client: PortalClient) -> None:
    [message] = ask(fake_client, "do i need a referral", [UTURN], lang="en")
    assert message["text"] == "About U-turn – for unge med rusmidler:\n\n" \
                              "referral of u-turn-koebenhavn (en)."
    assert links(message)[0]["url"] == f"/en/offers/{UTURN}"


def test_no_offer_shown_says_so_and_offers_the_topics(fake: FakePortal,
                                                      fake_client: PortalClient) -> None:
    for shown in (None, []):
        [message] = ask(fake_client, "er det gratis?", shown)
        assert "jeg har ikke vist dig nogen endnu" in message["text"]
        assert "/situation_alcohol" in [b["payload"] for b in message["buttons"]]
    assert not [r for r in fake.requests if r.path.startswith("/api/v1/offers/")]


def test_an_unclear_question_asks_which_fact_and_the_button_answers_it(
        fake_client: PortalClient) -> None:
    [message] = ask(fake_client, "hvad med det tilbud", [STRAKS])
    assert message["text"] == "Hvad vil du gerne vide om Straks-rådgivning?"
    payloads = [b["payload"] for b in message["buttons"]]
    assert len(payloads) == len(KINDS)
    assert '/ask_offer_fact{"offer_fact": "waiting_time"}' in payloads
    [answer] = ask(fake_client, '/ask_offer_fact{"offer_fact": "waiting_time"}', [STRAKS],
                   entities=[entity("offer_fact", "waiting_time")])
    assert "waiting_time of straksraadgivning-egedal (da)." in answer["text"]


@pytest.mark.parametrize("shown", [None, [STRAKS]])
@pytest.mark.parametrize("text", ["hvor langt er der til månen",
                                  "er der en natcafe hvor jeg kan sove"])
def test_a_message_that_asks_no_fact_gets_the_assistants_unsure_answer(
        fake: FakePortal, fake_client: PortalClient, text: str, shown: list[str] | None
) -> None:
    """The classifier may take another question for one about an offer: no fact asked
    and no offer named, and the answer is the fallback's (topics, a person), not a fact."""
    fallback = CollectingDispatcher()
    ActionFallbackChoices(fake_client).run(fallback, make_tracker(text, "ask_offer_fact"), {})
    messages = ask(fake_client, text, shown)
    assert [m["text"] for m in messages] == [m["text"] for m in fallback.messages]
    assert "/request_human" in [b["payload"] for m in messages for b in m.get("buttons", [])]
    assert not [r for r in fake.requests if r.path.startswith("/api/v1/offers/")]


@pytest.mark.parametrize(("text", "names"), [
    ("hvad med det tilbud", True),
    ("og det første?", True),
    ("what about the second one", True),
    ('/ask_offer_fact{"offer_fact": "price"}', True),
    ("jeg har det dårligt", False),
    ("hvor langt er der til månen", False),
])
def test_which_messages_point_at_an_offer(text: str, names: bool) -> None:
    assert names_an_offer(text) is names


def test_the_portal_down_is_said_plainly() -> None:
    client = PortalClient(base_url=closed_url(), timeout=0.5, token=None)
    [message] = ask(client, "er det gratis?", [STRAKS])
    assert "Jeg kan ikke slå tilbud op lige nu" in message["text"]


def test_an_offer_the_portal_no_longer_has_is_left_out(fake_client: PortalClient) -> None:
    [message] = ask(fake_client, "er det gratis?", ["no-such-offer", STRAKS])
    assert message["text"].startswith("Om Straks-rådgivning")


# --- the real portal's facts ------------------------------------------------------------

def test_the_real_portals_facts_answer_honestly(client: PortalClient) -> None:
    [free] = ask(client, "er det gratis?", ["virtuel-alkoholbehandling-holstebro"])
    assert "Kilderne siger ikke, om det koster noget." in free["text"]
    assert "gratis" not in free["text"].lower()
    [anonymous] = ask(client, "kan jeg være anonym", ["busk-bornholm"])
    assert "Ja. Du behøver ikke at sige, hvem du er." in anonymous["text"]
    [referral] = ask(client, "do i need a referral", ["housing-first-koebenhavn"], lang="en")
    assert "Yes. The municipality must first decide" in referral["text"]
    assert links(referral)[-1]["url"].startswith("/en/")
    detail = client.offer("virtuel-alkoholbehandling-holstebro", "en")
    assert set(detail.facts) == set(KINDS)
    assert detail.offer.booking_path  # the demo staff's schedules make it bookable
    [sign_up] = ask(client, "how do i sign up", ["virtuel-alkoholbehandling-holstebro"],
                    lang="en")
    assert "You can book a time here in the portal." in sign_up["text"]
    assert detail.offer.booking_path in [lk["url"] for lk in links(sign_up)]
