"""The action server against the real portal API (see conftest.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from actions.actions import (
    ActionAskMunicipality,
    ActionFallbackChoices,
    ActionIAmABot,
    ActionReadMetadata,
    ActionSetMunicipality,
    ActionSuggestOffers,
    ValidateMunicipalityForm,
    resolve_municipality,
)
from actions.portal import PortalClient, PortalUnavailable
from conftest import entity, make_tracker
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

SON_HASH = "min søn på 17 ryger hash hver dag"


def slots_after(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def guided(tracker_text: str, intent: str, client: PortalClient, *,
           metadata: dict[str, Any], entities: list[dict[str, Any]] | None = None,
           **slots: Any) -> list[dict[str, Any]]:
    """One situation turn as Rasa runs it: metadata into slots, then the offers."""
    tracker = make_tracker(tracker_text, intent, entities, metadata, **slots)
    events = ActionReadMetadata(client).run(CollectingDispatcher(), tracker, {})
    filled = make_tracker(tracker_text, intent, entities, metadata,
                          **{**slots, **slots_after(events)})
    dispatcher = CollectingDispatcher()
    ActionSuggestOffers(client).run(dispatcher, filled, {})
    return dispatcher.messages


def links(message: dict[str, Any]) -> list[dict[str, str]]:
    return (message.get("custom") or {}).get("links") or []


def all_urls(messages: list[dict[str, Any]]) -> list[str]:
    return [link["url"] for m in messages for link in links(m)]


def api(portal_url: str, path: str, **params: Any) -> dict[str, Any]:
    """The portal API's answer, asked apart from the client under test."""
    response = requests.get(f"{portal_url}/api/v1{path}", params=params, timeout=5)
    response.raise_for_status()
    return response.json()


def offer(portal_url: str, slug: str, lang: str = "da") -> dict[str, Any]:
    return api(portal_url, f"/offers/{slug}", lang=lang)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def intake_of(portal_url: str, lang: str) -> str:
    pages = api(portal_url, "/pages", lang=lang)["items"]
    return path_of(next(p["url"] for p in pages if p["key"] == "intake"))


# -- guidance ----------------------------------------------------------------------


def test_son_on_hash_in_copenhagen_gets_u_turn_first_and_support_for_the_parent(
        client: PortalClient, portal_url: str) -> None:
    messages = guided(SON_HASH, "situation_drugs", client,
                      metadata={"lang": "da", "municipality": "koebenhavn"},
                      entities=[entity("relation", "søn")])
    first = links(messages[0])
    assert first[0]["url"] == "/tilbud/u-turn-koebenhavn"
    assert 1 <= len([lk for lk in first if lk["url"].startswith("/tilbud/")]) <= 3
    assert all(lk["text"] for lk in first), "every offer has a line on why it fits"
    assert "Københavns Kommune" in messages[0]["text"]
    # Then what exists for the parent as a relative.
    assert len(messages) >= 2
    relatives = links(messages[1])
    assert "pårørende" in messages[1]["text"]
    assert relatives, "a relatives offer follows"
    for lk in relatives:
        if lk["url"].startswith("/tilbud/"):
            slug = lk["url"].rsplit("/", 1)[1]
            assert "relatives" in offer(portal_url, slug)["audiences"]


def test_english_gives_english_text_and_english_offer_paths(client: PortalClient) -> None:
    messages = guided("my son is 17 and smokes hash every day", "situation_drugs", client,
                      metadata={"lang": "en", "municipality": "koebenhavn"},
                      entities=[entity("relation", "son")])
    urls = [u for u in all_urls(messages) if "/offers/" in u or "/tilbud/" in u]
    assert urls[0] == "/en/offers/u-turn-koebenhavn"
    assert all(u.startswith("/en/offers/") for u in urls)
    assert messages[0]["text"].startswith("Here are offers in")
    assert "relative" in messages[1]["text"]


def test_relative_support_searches_offers_for_relatives(client: PortalClient,
                                                        portal_url: str) -> None:
    messages = guided("jeg er pårørende og kan ikke mere", "situation_relative_support",
                      client, metadata={"lang": "da", "municipality": "haderslev"})
    urls = [u for u in all_urls(messages) if u.startswith("/tilbud/")]
    assert urls
    for url in urls:
        assert "relatives" in offer(portal_url, url.rsplit("/", 1)[1])["audiences"]


def test_referred_offers_come_with_the_intake_link(client: PortalClient,
                                                   portal_url: str) -> None:
    messages = guided("jeg er hjemløs og sover på gaden", "situation_housing", client,
                      metadata={"lang": "da", "municipality": "koebenhavn"})
    slugs = [u.rsplit("/", 1)[1] for u in all_urls(messages) if u.startswith("/tilbud/")]
    assert any(offer(portal_url, s)["access"] == "referral" for s in slugs)
    intake = [lk for lk in links(messages[0]) if lk["url"] == "/en-indgang"]
    assert intake and "visitation" in intake[0]["text"]
    # The link is the referred offer's own referral path, as the API gives it.
    referred = next(s for s in slugs if offer(portal_url, s)["access"] == "referral")
    assert path_of(offer(portal_url, referred)["referral_path"]["url"]) == "/en-indgang"
    english = guided("I am homeless", "situation_housing", client,
                     metadata={"lang": "en", "municipality": "koebenhavn"})
    assert "/en/one-entrance" in all_urls(english)


def test_why_line_says_open_and_anonymous(client: PortalClient) -> None:
    messages = guided(SON_HASH, "situation_drugs", client,
                      metadata={"lang": "da", "municipality": "koebenhavn"})
    why = links(messages[0])[0]["text"]
    assert "uden visitation" in why and "anonym" in why


def test_nothing_found_is_said_plainly_with_the_nearest_elsewhere_and_intake(
        client: PortalClient, portal_url: str) -> None:
    messages = guided("jeg har gæld og rykkere", "situation_debt", client,
                      metadata={"lang": "da", "municipality": "bornholm"})
    text = messages[0]["text"]
    assert "fandt ikke et tilbud om gæld og økonomi i Bornholms Regionskommune" in text
    urls = all_urls(messages)
    offers = [u.rsplit("/", 1)[1] for u in urls if u.startswith("/tilbud/")]
    assert offers and all("debt" in offer(portal_url, slug)["situations"] for slug in offers)
    # Each is marked with where it is; the municipality's own way in comes last.
    whys = [lk["text"] for lk in links(messages[0]) if lk["url"].startswith("/tilbud/")]
    assert all("du skal måske bo der" in why or "uanset" in why for why in whys), whys
    assert urls[-1] == intake_of(portal_url, "da")


def test_button_payload_searches_by_situation(client: PortalClient) -> None:
    messages = guided("/situation_alcohol", "situation_alcohol", client,
                      metadata={"lang": "da", "municipality": "holstebro"})
    assert "/tilbud/virtuel-alkoholbehandling-holstebro" in all_urls(messages)


def test_portal_down_says_so_and_offers_search_and_intake(gone_client: PortalClient) -> None:
    """Down after it was seen: the search and intake paths last seen."""
    messages = guided(SON_HASH, "situation_drugs", gone_client,
                      metadata={"lang": "da", "municipality": "koebenhavn"},
                      entities=[entity("relation", "søn")])
    assert len(messages) == 1
    assert "kan ikke slå tilbud op lige nu" in messages[0]["text"]
    urls = all_urls(messages)
    assert any(u.startswith("/soeg") for u in urls) and "/en-indgang" in urls
    english = guided("I drink too much", "situation_alcohol", gone_client,
                     metadata={"lang": "en", "municipality": "koebenhavn"})
    assert "cannot look up offers right now" in english[0]["text"]
    assert "/en/one-entrance" in all_urls(english)
    assert "/en/search?q=I+drink+too+much" in all_urls(english)


def test_portal_never_seen_says_so_without_links(down_client: PortalClient) -> None:
    """The bot knows no portal path of its own: the chat widget adds its own links."""
    messages = guided(SON_HASH, "situation_drugs", down_client,
                      metadata={"lang": "da", "municipality": "koebenhavn"})
    assert len(messages) == 1
    assert "kan ikke slå tilbud op lige nu" in messages[0]["text"]
    assert all_urls(messages) == [] and not messages[0].get("custom")
    dispatcher = CollectingDispatcher()
    ActionIAmABot(down_client).run(dispatcher, make_tracker(), {})
    assert "Én indgang" in dispatcher.messages[0]["text"]
    assert all_urls(dispatcher.messages) == []


def test_portal_down_still_asks_for_the_municipality(down_client: PortalClient) -> None:
    dispatcher = CollectingDispatcher()
    ActionAskMunicipality(down_client).run(dispatcher, make_tracker(), {})
    assert "kommune" in dispatcher.messages[0]["text"]


# -- municipalities ------------------------------------------------------------------


def test_lenient_municipality_names(client: PortalClient) -> None:
    for written, slug in [("kbh", "koebenhavn"), ("Kobenhavn", "koebenhavn"),
                          ("københavn", "koebenhavn"), ("Copenhagen", "koebenhavn"),
                          ("århus", "aarhus"), ("Arhus", "aarhus"),
                          ("jeg bor i Holstebro kommune", "holstebro"),
                          ("Bornholms Regionskommune", "bornholm"),
                          ("Fredricia", "fredericia")]:
        assert resolve_municipality(written, "da", client).slug == slug, written


def test_ask_municipality_has_a_button_per_catalogue_municipality(client: PortalClient) -> None:
    dispatcher = CollectingDispatcher()
    ActionAskMunicipality(client).run(dispatcher, make_tracker(lang="en"), {})
    message = dispatcher.messages[0]
    assert message["text"].startswith("Which municipality")
    payloads = [b["payload"] for b in message["buttons"]]
    assert len(payloads) == 12  # 11 municipalities and "somewhere else"
    assert '/inform_municipality{"municipality": "koebenhavn"}' in payloads


def validate(value: str, client: PortalClient, lang: str = "da") -> tuple[dict, list]:
    dispatcher = CollectingDispatcher()
    result = ValidateMunicipalityForm(client).validate_municipality(
        value, dispatcher, make_tracker(value, "inform_municipality", lang=lang), {})
    return result, dispatcher.messages


def test_form_accepts_lenient_names_and_is_honest_about_the_rest(
        client: PortalClient) -> None:
    assert validate("kbh", client)[0]["municipality"] == "koebenhavn"
    result, _ = validate("Odense", client)
    assert result == {"municipality": "other", "municipality_name": "Odense"}
    result, messages = validate("blå blomster", client)
    assert result == {"municipality": None}
    assert "kunne ikke genkende" in messages[0]["text"]


def test_unknown_municipality_gets_an_honest_answer_and_the_search(
        client: PortalClient) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("Odense", "inform_municipality", lang="da", municipality="other",
                           municipality_name="Odense", situation="debt",
                           search_text="jeg har gæld")
    ActionSuggestOffers(client).run(dispatcher, tracker, {})
    text = dispatcher.messages[0]["text"]
    assert "Odense er ikke med i demo-kataloget" in text and "Holstebro" in text
    urls = all_urls(dispatcher.messages)
    assert not [u for u in urls if u.startswith("/tilbud/")]
    assert any(u.startswith("/soeg") for u in urls)


def test_municipality_named_outside_the_form_redoes_the_search(client: PortalClient) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("jeg bor i kbh", "inform_municipality",
                           [entity("municipality", "kbh")], lang="da", municipality="holstebro",
                           situation="drugs", search_text=SON_HASH)
    events = ActionSetMunicipality(client).run(dispatcher, tracker, {})
    assert slots_after(events)["municipality"] == "koebenhavn"
    assert all_urls(dispatcher.messages)[0] == "/tilbud/u-turn-koebenhavn"
    # Without a situation yet: noted, and asked what it is about.
    dispatcher = CollectingDispatcher()
    ActionSetMunicipality(client).run(
        dispatcher, make_tracker("I live in Aarhus", "inform_municipality",
                                 [entity("municipality", "aarhus")], lang="en"), {})
    assert "Aarhus" in dispatcher.messages[0]["text"]


# -- metadata ------------------------------------------------------------------------


def read(client: PortalClient, tracker: Tracker) -> dict[str, Any]:
    return slots_after(ActionReadMetadata(client).run(CollectingDispatcher(), tracker, {}))


def test_metadata_sets_language_and_municipality(client: PortalClient) -> None:
    slots = read(client, make_tracker("hi", "greet",
                                      metadata={"lang": "en", "municipality": "aarhus"}))
    assert slots["lang"] == "en" and slots["municipality"] == "aarhus"
    # No metadata: Danish by default, and an earlier language stays.
    assert read(client, make_tracker("hej", "greet", lang=None))["lang"] == "da"
    assert "lang" not in read(client, make_tracker("hej", "greet", metadata={}, lang="en"))


def test_empty_metadata_does_not_overwrite_a_municipality_chosen_in_the_chat(
        client: PortalClient) -> None:
    tracker = make_tracker("hej", "greet", metadata={"lang": "da", "municipality": None},
                           municipality="aarhus")
    assert "municipality" not in read(client, tracker)
    # The same portal value as before does not undo a choice made in the chat either...
    tracker = make_tracker("hej", "greet", metadata={"lang": "da", "municipality": "kolding"},
                           municipality="aarhus", metadata_municipality="kolding")
    assert "municipality" not in read(client, tracker)
    # ...but a new choice on the page does.
    tracker = make_tracker("hej", "greet", metadata={"lang": "da", "municipality": "esbjerg"},
                           municipality="aarhus", metadata_municipality="kolding")
    assert read(client, tracker)["municipality"] == "esbjerg"


def test_situation_message_is_remembered_with_its_words_and_relation(
        client: PortalClient) -> None:
    slots = read(client, make_tracker(SON_HASH, "situation_drugs", [entity("relation", "søn")],
                                      {"lang": "da", "municipality": "koebenhavn"}))
    assert slots["situation"] == "drugs" and slots["search_text"] == SON_HASH
    assert slots["relation"] == "søn"
    slots = read(client, make_tracker("/situation_debt", "situation_debt"))
    assert slots["situation"] == "debt" and slots["search_text"] is None
    assert slots["relation"] is None
    slots = read(client, make_tracker("jeg bor i kbh", "inform_municipality",
                                      [entity("municipality", "kbh")]))
    assert slots["municipality"] == "koebenhavn"


def test_a_place_name_that_is_an_everyday_word_does_not_move_the_citizen(
        client: PortalClient) -> None:
    tracker = make_tracker("han står ude på vejen og råber", "situation_violence",
                           [entity("municipality", "vejen")], {"lang": "da"},
                           municipality="koebenhavn")
    assert "municipality" not in read(client, tracker)
    tracker = make_tracker("jeg bor i Vejen", "inform_municipality",
                           [entity("municipality", "vejen")], {"lang": "da"},
                           municipality="koebenhavn")
    assert read(client, tracker)["municipality"] == "other"


# -- fallback ------------------------------------------------------------------------


def test_fallback_offers_choices_search_and_a_person(client: PortalClient) -> None:
    dispatcher = CollectingDispatcher()
    ActionFallbackChoices(client).run(dispatcher, make_tracker("blomst kaffe", "nlu_fallback"),
                                      {})
    message = dispatcher.messages[0]
    assert "ikke sikker" in message["text"] and "112" in message["text"]
    payloads = [b["payload"] for b in message["buttons"]]
    assert "/request_human" in payloads and "/situation_alcohol" in payloads
    assert links(message)[0]["url"] == "/soeg?q=blomst+kaffe"


# -- ways in: a person, applying, the bot itself ---------------------------------------


@pytest.mark.parametrize("action, pages", [
    (ActionIAmABot, ["intake"]),
])
def test_ways_in_link_to_the_portals_pages_in_both_languages(
        client: PortalClient, portal_url: str, action: type, pages: list[str]) -> None:
    for lang in ("da", "en"):
        dispatcher = CollectingDispatcher()
        action(client).run(dispatcher, make_tracker(lang=lang), {})
        message = dispatcher.messages[0]
        expected = {"intake": intake_of(portal_url, lang),
                    "search": path_of(api(portal_url, "/offers", lang=lang)["search_url"])}
        assert [lk["url"] for lk in links(message)] == [expected[p] for p in pages]
        assert ("One entrance" if lang == "en" else "Én indgang") in message["text"]
    assert expected["intake"] == "/en/one-entrance" and expected["search"] == "/en/search"


# -- the client's token ------------------------------------------------------------------


def test_the_client_sends_its_token_and_a_wrong_one_is_refused(
        portal_url: str, client: PortalClient, monkeypatch: pytest.MonkeyPatch) -> None:
    assert client.municipalities("da")
    monkeypatch.setenv("PORTAL_API_TOKEN", "not-the-token")
    wrong = PortalClient(base_url=portal_url)  # the token from the environment
    assert wrong.token == "not-the-token"
    with pytest.raises(PortalUnavailable, match="401"):
        wrong.municipalities("da")
    monkeypatch.delenv("PORTAL_API_TOKEN")
    assert PortalClient(base_url=portal_url).token is None
