"""An offer's `facts` (`GET /api/v1/offers/<slug>`): answers to "er det gratis?", "kan
jeg være anonym?", "hvor ligger det?" ... from the offer's own content, honest where the
content has no answer. Expected values are read from the content YAML files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

API = "/api/v1"
KINDS = {"price", "anonymous", "location", "opening_hours", "referral", "sign_up",
         "waiting_time", "for_whom"}
# How the content and the facts say that the sources give no answer.
NOT_STATED = {"da": ("oplyser ikke", "siger ikke", "nævner ingen", "ikke oplyst"),
              "en": ("do not say", "does not say", "give no", "gives no", "do not give",
                     "not stated")}


@pytest.fixture(scope="module")
def offers(app) -> dict[str, dict]:
    root = Path(app.config["CONTENT_DIR"]) / "offers"
    return {d["slug"]: d for d in (yaml.safe_load(p.read_text(encoding="utf-8"))
                                   for p in sorted(root.glob("*.yml")))}


def facts(client, slug: str, lang: str) -> dict[str, dict]:
    response = client.get(f"{API}/offers/{slug}", query_string={"lang": lang})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["facts"]


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("lang", ["da", "en"])
def test_every_offer_answers_every_kind_of_question_in_its_language(client, offers, lang):
    other = {"da": "The sources", "en": "Kilderne"}[lang]
    for slug in offers:
        found = facts(client, slug, lang)
        assert set(found) == KINDS, slug
        for kind, fact in found.items():
            assert isinstance(fact["known"], bool)
            assert fact["text"].strip(), f"{slug} {kind}: empty"
            assert other not in fact["text"], f"{slug} {kind} is not in {lang}"
            if not fact["known"]:
                assert any(w in fact["text"].lower() for w in NOT_STATED[lang]), (
                    f"{slug} {kind}: not known, but does not say so: {fact['text']}")


@pytest.mark.parametrize("lang", ["da", "en"])
def test_price_and_opening_hours_are_never_invented(client, offers, lang):
    """No offer's content gives a price or opening hours: the answer says so."""
    for slug in offers:
        found = facts(client, slug, lang)
        assert found["price"]["known"] is False
        assert found["opening_hours"]["known"] is False
        for kind in ("price", "opening_hours"):
            # No amount, no time: no digit beside the provider's name ("N7 i Frederikshavn").
            text = found[kind]["text"].replace(offers[slug][lang]["provider"], "").lower()
            assert "gratis" not in text and "free of charge" not in text
            assert not any(c.isdigit() for c in text), f"{slug} {kind}: {text}"


def test_price_names_who_to_ask(client, offers):
    found = facts(client, "gaeldsraadgivning-haderslev", "da")
    assert found["price"]["text"] == (
        "Kilderne siger ikke, om det koster noget. Spørg "
        f"{offers['gaeldsraadgivning-haderslev']['da']['provider']}, når du tager kontakt.")


@pytest.mark.parametrize("lang", ["da", "en"])
def test_anonymity_follows_the_offer_and_never_promises_it_otherwise(client, offers, lang):
    for slug, offer in offers.items():
        fact = facts(client, slug, lang)["anonymous"]
        assert fact["known"] is bool(offer["anonymous"]), slug
    assert facts(client, "busk-bornholm", "da")["anonymous"]["text"] == (
        "Ja. Du behøver ikke at sige, hvem du er.")
    housing = facts(client, "housing-first-koebenhavn", "en")["anonymous"]["text"]
    assert housing.startswith("Not stated.") and "Ask when you make contact" in housing


@pytest.mark.parametrize("lang", ["da", "en"])
def test_referral_follows_the_access(client, offers, lang):
    yes, no = {"da": ("Ja.", "Nej."), "en": ("Yes.", "No.")}[lang]
    for slug, offer in offers.items():
        fact = facts(client, slug, lang)["referral"]
        assert fact["known"] is True
        assert fact["text"].startswith(yes if offer["access"] == "referral" else no), slug
    assert "Én indgang" in facts(client, "housing-first-koebenhavn", "da")["referral"]["text"]
    english = facts(client, "straksraadgivning-egedal", "en")["referral"]["text"]
    assert english == ("No. You do not need a referral or a decision from the municipality.")


def test_location_says_where_online_and_what_the_content_says_about_an_address(client, offers):
    virtual = facts(client, "virtuel-alkoholbehandling-holstebro", "en")["location"]
    assert virtual["known"] is True
    assert "Online" in virtual["text"] and "chat" in virtual["text"]
    assert "Holstebro" in virtual["text"]
    pitstop = facts(client, "pitstop-aarhus", "da")["location"]["text"]
    assert "Søndervangen" in pitstop  # the one street the content gives
    assert "Region Midtjylland" in pitstop
    housing = facts(client, "housing-first-koebenhavn", "da")["location"]["text"]
    assert "Online" not in housing and "Københavns Kommune" in housing
    assert "oplyser ikke adresse" in housing


@pytest.mark.parametrize("lang", ["da", "en"])
def test_sign_up_and_for_whom_are_the_contents_own_texts(client, offers, lang):
    for slug, offer in offers.items():
        found = facts(client, slug, lang)
        assert words(offer[lang]["how_to_use"]) in words(found["sign_up"]["text"]), slug
        assert words(found["for_whom"]["text"]) == words(offer[lang]["for_whom"]), slug


def test_a_bookable_offer_says_it_is_booked_in_the_portal(app, client):
    """Bookable = its treaters have schedules (the booking area); this database has none."""
    from portal.catalogue.facts import offer_facts
    from portal.catalogue.service import get_offer

    slug = "virtuel-alkoholbehandling-holstebro"
    assert "booking_url" not in client.get(f"{API}/offers/{slug}").get_json()
    assert "portalen" not in facts(client, slug, "da")["sign_up"]["text"]
    with app.test_request_context():
        offer = get_offer(slug)
        booked = offer_facts(offer, "da", bookable=True)
        english = offer_facts(offer, "en", bookable=True)
    assert booked["sign_up"]["text"].endswith("Du kan booke en tid her i portalen.")
    assert "free times are shown in the portal" in english["opening_hours"]["text"]
    assert english["opening_hours"]["known"] is False


@pytest.mark.parametrize(("slug", "known"), [
    ("straksraadgivning-egedal", True),           # "Straks. Kilderne nævner ingen ventetid."
    ("vaeresteder-haderslev", True),              # "Ingen ventetid."
    ("gruppeforloeb-rusmidler-koebenhavn", True),  # "Der er løbende optag."
    ("housing-first-koebenhavn", False),          # "Kilderne oplyser ikke en ventetid."
    ("ungeporten-bornholm", False),               # "Kilden oplyser ikke en ventetid."
])
def test_waiting_time_is_known_only_when_the_content_states_one(client, offers, slug, known):
    for lang in ("da", "en"):
        fact = facts(client, slug, lang)["waiting_time"]
        assert fact["known"] is known, f"{slug} {lang}"
        assert words(fact["text"]) == words(offers[slug][lang]["waiting_time"])
