"""When the classifier is unsure, the catalogue's search; several needs; nothing here.

Against the real portal (conftest's `portal_url`): the offers, the situations the words
name (`understood`) and the nearest offers elsewhere (`nearest`) are the portal's own.
"""

from __future__ import annotations

from typing import Any

from actions.actions import (
    ActionFallbackChoices,
    ActionOutOfScope,
    ActionReadMetadata,
    ActionSuggestOffers,
)
from actions.portal import PortalClient
from conftest import make_tracker
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from test_actions import api, links, slots_after


def run(action: type, client: PortalClient, tracker: Tracker) -> tuple[list[dict], dict]:
    dispatcher = CollectingDispatcher()
    events = action(client).run(dispatcher, tracker, {})
    return dispatcher.messages, slots_after(events)


def offer_slugs(messages: list[dict[str, Any]]) -> list[str]:
    """The offers linked in the messages, in order (offer pages only)."""
    slugs = []
    for message in messages:
        for item in links(message):
            path = item["url"].split("?")[0]
            if path.startswith(("/tilbud/", "/en/offers/")):
                slugs.append(path.rsplit("/", 1)[-1])
    return slugs


def situations_of(portal_url: str, slug: str) -> set[str]:
    return set(api(portal_url, f"/offers/{slug}")["situations"])


def unsure(text: str, ranking: list[tuple[str, float]] | None = None, **slots: Any) -> Tracker:
    tracker = make_tracker(text, "nlu_fallback", **slots)
    tracker.latest_message["intent_ranking"] = [
        {"name": name, "confidence": confidence} for name, confidence in ranking or []]
    return tracker


def test_unsure_about_debt_words_offers_debt_help_with_the_topic_first(
        client: PortalClient, portal_url: str) -> None:
    messages, slots = run(ActionFallbackChoices, client,
                          unsure("hvem kan hjælpe mig med mine rykkere og inkasso",
                                 municipality="haderslev"))
    slugs = offer_slugs(messages)
    assert slugs and slugs[0] == "gaeldsraadgivning-haderslev"
    assert "måske" in messages[0]["text"]
    buttons = [b["payload"] for m in messages for b in m.get("buttons") or []]
    assert buttons[0] == "/situation_debt" and "/request_human" in buttons
    assert slots["situation"] == "debt" and slots["shown_offers"][0] == slugs[0]


def test_unsure_without_a_municipality_says_the_offers_may_be_far_away(
        client: PortalClient, portal_url: str) -> None:
    messages, _ = run(ActionFallbackChoices, client,
                      unsure("I think my niece is being abused, can I get advice anonymously?",
                             lang="en"))
    slugs = offer_slugs(messages)
    assert slugs, messages
    assert "violence" in situations_of(portal_url, slugs[0])
    assert any("municipality" in (m.get("text") or "") for m in messages)
    assert all(item["url"].startswith("/en/") for m in messages for item in links(m))


def test_nonsense_still_gets_the_plain_choices(client: PortalClient) -> None:
    messages, slots = run(ActionFallbackChoices, client, unsure("blomst kaffe ja måske"))
    assert len(messages) == 1 and "ikke sikker" in messages[0]["text"]
    assert offer_slugs(messages) == [] and "situation" not in slots


def test_a_message_that_might_be_a_crisis_never_gets_offers(client: PortalClient) -> None:
    messages, _ = run(ActionFallbackChoices, client,
                      unsure("jeg kan ikke mere med al den gæld",
                             [("nlu_fallback", 0.3), ("crisis", 0.25), ("situation_debt", 0.2)],
                             municipality="haderslev"))
    assert offer_slugs(messages) == []
    assert "112" in messages[0]["text"]


def test_out_of_scope_that_is_really_a_request_for_help_gets_offers(
        client: PortalClient, portal_url: str) -> None:
    tracker = make_tracker("min søn er autist og er ved at blive gammel, hvor kan han bo?",
                           "out_of_scope", municipality="aarhus")
    messages, _ = run(ActionOutOfScope, client, tracker)
    slugs = offer_slugs(messages)
    assert slugs and "disability" in situations_of(portal_url, slugs[0])


def test_out_of_scope_weather_is_still_out_of_scope(client: PortalClient) -> None:
    for text, lang, words in (("hvad bliver vejret i morgen", "da", "kan jeg desværre ikke"),
                              ("can you order a pizza for me", "en", "cannot help with that")):
        messages, _ = run(ActionOutOfScope, client,
                          make_tracker(text, "out_of_scope", lang=lang))
        assert len(messages) == 1 and words in messages[0]["text"]
        assert offer_slugs(messages) == []


def guided(text: str, intent: str, client: PortalClient, **slots: Any) -> tuple[list, dict]:
    tracker = make_tracker(text, intent, **slots)
    events = ActionReadMetadata(client).run(CollectingDispatcher(), tracker, {})
    filled = make_tracker(text, intent, **{**slots, **slots_after(events)})
    return run(ActionSuggestOffers, client, filled)


def test_two_needs_in_one_message_get_offers_for_both(client: PortalClient,
                                                      portal_url: str) -> None:
    messages, slots = guided("jeg drikker for meget og har gæld", "situation_alcohol", client,
                             municipality="haderslev")
    per_topic = [m for m in messages if offer_slugs([m])]
    assert len(per_topic) == 2, [m.get("text") for m in messages]
    first, second = (situations_of(portal_url, offer_slugs([m])[0]) for m in per_topic)
    assert "alcohol" in first or "drugs" in first
    assert "debt" in second
    assert "alkohol" in per_topic[0]["text"].lower() and "gæld" in per_topic[1]["text"].lower()
    assert set(slots["shown_offers"]) == set(offer_slugs(per_topic))


def test_debt_in_holstebro_says_so_and_shows_only_debt_help_elsewhere(
        client: PortalClient, portal_url: str) -> None:
    messages, _ = guided("jeg har gæld", "situation_debt", client, municipality="holstebro")
    text = messages[0]["text"]
    assert "ikke et tilbud om gæld" in text and "Holstebro" in text
    slugs = offer_slugs(messages)
    assert slugs, "the nearest debt help elsewhere"
    assert slugs[0] == "gaeldsraadgivning-haderslev"  # as the words rank them, as on the page
    assert all("debt" in situations_of(portal_url, slug) for slug in slugs)
    whys = [item["text"] for item in links(messages[0])]
    assert all(("Kommune" in why or "regionens" in why or "uanset" in why) for why in whys)


def test_a_misread_situation_with_nothing_here_lets_the_words_decide(
        client: PortalClient, portal_url: str) -> None:
    # The intent says violence (nothing of it in Haderslev); the words are about debt.
    messages, slots = guided("jeg skylder penge til alle og rykkerne hober sig op",
                             "situation_violence", client, municipality="haderslev")
    slugs = offer_slugs(messages)
    assert slugs and slugs[0] == "gaeldsraadgivning-haderslev", messages
    assert slots["shown_offers"][0] == "gaeldsraadgivning-haderslev"


def test_a_municipality_and_a_need_in_one_message_gets_offers_at_once(
        client: PortalClient, portal_url: str) -> None:
    from actions.actions import ActionSetMunicipality
    from conftest import entity

    text = "vi bor i Aarhus og min mor er lige blevet udskrevet fra psykiatrisk afdeling"
    tracker = make_tracker(text, "inform_municipality", [entity("municipality", "Aarhus")])
    messages, slots = run(ActionSetMunicipality, client, tracker)
    assert slots["municipality"] == "aarhus" and slots["situation"] == "discharged"
    slugs = offer_slugs(messages)
    assert slugs and "discharged" in situations_of(portal_url, slugs[0]), messages


def test_a_municipality_alone_is_noted_and_the_need_asked(client: PortalClient) -> None:
    from actions.actions import ActionSetMunicipality
    from conftest import entity

    tracker = make_tracker("jeg bor i Aarhus", "inform_municipality",
                           [entity("municipality", "Aarhus")])
    messages, slots = run(ActionSetMunicipality, client, tracker)
    assert "situation" not in slots and offer_slugs(messages) == []
    assert "Aarhus" in messages[0]["text"]
