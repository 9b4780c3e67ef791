"""The search understands which life situations the words name, lists only offers that
fit them, and says plainly when nothing in the municipality does (then it shows the
nearest fitting offers elsewhere, marked as such) — on the page and in the API.

Which offer serves which situation, and where each municipality is, is read from the
content files (plain `yaml`), so the tests follow the content as editors change it.
"""

from __future__ import annotations

import html
import math
import re
from urllib.parse import urlencode

import pytest
import yaml

from portal.catalogue import service
from portal.catalogue.search import OfferKeywords, SituationMatcher, SituationVocabulary
from tests.conftest import ROOT

API = "/api/v1/offers"


def _load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


OFFERS = {p.stem: _load(p) for p in (ROOT / "content" / "offers").glob("*.yml")}
PLACES = _load(ROOT / "content" / "municipalities.yml")
MUNICIPALITIES = {m["slug"]: m for m in PLACES["municipalities"]}


def serves(slug: str, situation: str) -> bool:
    return situation in OFFERS[slug]["situations"]


def api(client, **params) -> dict:
    response = client.get(f"{API}?{urlencode(params)}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def page_text(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status
    body = response.get_data(as_text=True)
    main = body[body.index("<main"):body.index("</main>")]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def km(a: str, b: str) -> float:
    (lat1, lon1), (lat2, lon2) = MUNICIPALITIES[a]["position"], MUNICIPALITIES[b]["position"]
    lat1, lon1, lat2, lon2 = map(math.radians, (lat1, lon1, lat2, lon2))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371 * math.asin(math.sqrt(h))


# --- understanding the words -----------------------------------------------------------

@pytest.mark.parametrize(("words", "situations"), [
    ("jeg drikker for meget og har gæld", ["alcohol", "debt"]),
    ("I drink too much and I have debts", ["alcohol", "debt"]),
    ("gaeld", ["debt"]),                        # æ written as ae
    ("gld", []),                                # too little left to mean anything
    ("alkohl", ["alcohol"]),                    # a typo
    ("alkoholproblemer", ["alcohol"]),          # a compound
    ("min søn er autist og er ved at blive gammel, hvor kan han bo?", ["disability"]),
    ("hash og hjemløs", ["drugs", "housing"]),
    ("I think my niece is being abused, can I get advice anonymously?", ["violence"]),
])
def test_the_words_name_their_life_situations(app, words, situations):
    with app.test_request_context():
        understood = service.understand(words)
    assert understood.slugs[:len(situations)] == situations or (
        set(understood.slugs[:len(situations)]) == set(situations)), understood
    assert understood.confident == bool(situations)


@pytest.mark.parametrize("words", ["hvad er klokken", "og i på", "", "hjælp", "???",
                                   # an everyday word alone is not a request for help
                                   "blomst kaffe ja måske", "kaffe", "coffee"])
def test_words_that_name_no_situation_are_not_understood_with_confidence(app, words):
    with app.test_request_context():
        assert not service.understand(words).confident


# --- one need is one need --------------------------------------------------------------

@pytest.mark.parametrize(("words", "need"), [
    # A family member ("min søn": the writer is a relative, which the assistant handles)
    # and an everyday time word ("hver dag") are not needs of their own.
    ("min søn på 17 ryger hash hver dag", {"drugs", "young-substances"}),
    ("min mor drikker hver weekend", {"alcohol"}),
    ("min far drikker hver dag", {"alcohol"}),
    ("my dad has been drinking every night", {"alcohol"}),
    ("min datter på 15 har det svært i skolen", {"young-people"}),
    ("min mand er voldelig", {"violence"}),
    ("i feel so alone since my wife died", {"loneliness"}),
    ("jeg drikker hver aften og kan ikke stoppe", {"alcohol"}),
    # An everyday word of another situation is not a second need.
    ("savner nogen at drikke en kop kaffe med", {"loneliness"}),
    ("jeg er bange for at jeg er ved at blive alkoholiker", {"alcohol"}),
])
def test_a_single_need_is_understood_as_one(app, words, need):
    with app.test_request_context():
        understood = service.understand(words)
    assert understood.confident and understood.slugs, understood
    assert set(understood.slugs) <= need, understood


@pytest.mark.parametrize("words", ["bekymret for min søn", "min søn", "pårørende"])
def test_a_relative_with_no_other_need_is_understood_as_a_relative(app, words):
    with app.test_request_context():
        understood = service.understand(words)
    assert understood.slugs == ["relatives"] and understood.confident, understood


def test_several_needs_are_each_named_on_their_own_words(app):
    with app.test_request_context():
        understood = service.understand("jeg drikker for meget og har gæld og er hjemløs")
    assert understood.slugs == ["alcohol", "debt", "housing"] and understood.confident


def test_a_single_need_with_a_relative_lists_only_its_offers(client):
    data = api(client, q="min mor drikker hver weekend")
    assert data["understood"] == {
        "situations": [{"slug": "alcohol", "name": "Alkohol"}], "confident": True}
    assert data["items"]
    # Offers for young people's substance use are part of alcohol (`part_of`).
    assert all(serves(i["slug"], "alcohol") or serves(i["slug"], "young-substances")
               for i in data["items"]), [i["slug"] for i in data["items"]]


def test_offers_serving_a_second_situation_do_not_blur_what_the_words_mean():
    """In a large catalogue many offers serve a second situation (bench/generate.py:
    one in two). Their keywords must not make a situation's own words say less, nor
    lend them to the other situation: "inkasso" stays debt, with confidence."""
    situations = ([SituationVocabulary("debt", ["Gæld og økonomi"], ["gæld", "inkasso"]),
                   SituationVocabulary("loneliness", ["Ensomhed"], ["ensom", "en kop kaffe"])]
                  + [SituationVocabulary(f"other-{i}", [f"Andet {i}"], [f"ord{i}"])
                     for i in range(12)])

    def exact(word: str) -> tuple[tuple[str, float], ...]:
        return ((word, 1.0),)

    def offers(second: str | None) -> list[OfferKeywords]:
        debt = [OfferKeywords(frozenset({"debt"} | ({second} if second and i % 2 else set())),
                              ("gældsrådgivning", "inkasso", "budget")) for i in range(60)]
        return debt + [OfferKeywords(frozenset({"loneliness"}), ("fællesskab",))] * 5

    small = SituationMatcher(situations, offers(None), exact)
    large = SituationMatcher(situations, offers("loneliness"), exact)
    for words in ("inkasso", "gæld", "gældsrådgivning og inkasso"):
        understood = large.understand(words)
        assert understood.slugs == ["debt"] and understood.confident, (words, understood)
    assert large.understand("inkasso") == small.understand("inkasso")


# --- nothing off-topic -------------------------------------------------------------------

def test_debt_in_holstebro_shows_no_off_topic_offer_and_the_nearest_elsewhere(client):
    data = api(client, q="gæld", municipality="holstebro")
    assert data["understood"] == {
        "situations": [{"slug": "debt", "name": "Gæld og økonomi"}], "confident": True}
    assert all(serves(item["slug"], "debt") for item in data["items"])
    assert data["items"] == [] and data["total"] == 0  # Holstebro has no debt offer
    nearest = data["nearest"]
    assert 1 <= len(nearest) <= 5
    assert all(serves(item["slug"], "debt") for item in nearest)
    assert {item["elsewhere"] for item in nearest} <= {"anyone", "region", "nearby"}
    serving_holstebro = {"holstebro", MUNICIPALITIES["holstebro"]["region"]}
    assert not {item["municipality"]["slug"] for item in nearest} & serving_holstebro
    # Nearby municipalities nearest first (in steps of 50 km).
    steps = [km("holstebro", item["municipality"]["slug"]) // 50
             for item in nearest if item["elsewhere"] == "nearby"]
    assert steps == sorted(steps)


def test_debt_in_holstebro_page_says_so_and_marks_the_offers_elsewhere(client):
    text = page_text(client, "/soeg?" + urlencode({"q": "gæld", "municipality": "holstebro"}))
    assert ("Vi fandt ikke et tilbud om »gæld« i Holstebro Kommune. "
            "Her er de nærmeste andre steder:") in text
    assert "De nærmeste tilbud andre steder" in text
    assert "Du skal måske bo i Haderslev Kommune for at bruge det." in text
    for off_topic in ("aflastning-holstebro", "cafeer-holstebro", "videre-i-livet-holstebro"):
        assert OFFERS[off_topic]["da"]["title"] not in text
    english = page_text(client, "/en/search?" + urlencode({"q": "debt",
                                                           "municipality": "holstebro"}))
    assert ("We did not find an offer about “debt” in Holstebro Municipality. "
            "Here are the nearest ones elsewhere:") in english
    assert "You may have to live in Haderslev Municipality to use it." in english


def test_the_nearest_elsewhere_has_a_heading_of_its_own(client):
    body = client.get("/soeg?" + urlencode({"q": "gæld", "municipality": "holstebro"})
                      ).get_data(as_text=True)
    assert re.search(r'<h2 id="nearest-heading">[^<]+</h2>\s*<ol [^>]*'
                     r'aria-labelledby="nearest-heading"', body)


def test_a_chosen_situation_with_nothing_here_also_shows_the_nearest(client):
    data = api(client, situation="debt", municipality="holstebro")
    assert data["total"] == 0 and data["nearest"]
    assert "understood" not in data


def test_when_something_here_fits_nothing_elsewhere_is_shown(client):
    data = api(client, q="gæld", municipality="haderslev")
    assert data["items"][0]["slug"] == "gaeldsraadgivning-haderslev"
    assert all(serves(item["slug"], "debt") for item in data["items"])
    assert data["nearest"] == []


def test_words_not_understood_keep_the_ranking_and_show_nothing_elsewhere(client):
    data = api(client, q="frokostpause", municipality="holstebro")
    assert data["understood"]["confident"] is False
    assert data["nearest"] == []


# --- several needs at once -------------------------------------------------------------

@pytest.mark.parametrize(("q", "lang"), [("jeg drikker for meget og har gæld", "da"),
                                         ("I drink too much and I have debts", "en")])
def test_several_needs_show_the_best_offer_for_each_first(client, q, lang):
    data = api(client, q=q, lang=lang, per_page=2)
    first, second = (item["slug"] for item in data["items"])
    assert serves(first, "alcohol") and serves(second, "debt"), (first, second)
    assert [s["slug"] for s in data["understood"]["situations"]] == ["alcohol", "debt"]


def test_several_needs_in_a_municipality(client):
    slugs = [i["slug"] for i in api(client, q="jeg drikker for meget og har gæld",
                                    municipality="haderslev")["items"]]
    assert "gaeldsraadgivning-haderslev" in slugs[:2]
    assert all(serves(s, "alcohol") or serves(s, "debt") for s in slugs)


# --- the right offer first, nationally ----------------------------------------------------

@pytest.mark.parametrize(("q", "lang", "situation", "offer"), [
    ("findes der en gruppe for folk med angst?", "da", "mental-health", None),
    ("jeg lever med depression og vil gerne lære at komme mig", "da", "mental-health",
     "recoveryskole-aarhus"),
    ("min søn er autist og er ved at blive gammel, hvor kan han bo?", "da", "disability",
     "specialmiljoe-autisme-hinnerup"),
    ("Jeg har boet på krisecenter og skal flytte ud, kan jeg få støtte bagefter?", "da",
     "violence", "kvinderaadgiver-aalborg"),
    ("I think my niece is being abused, can I get advice anonymously?", "en", "violence",
     "busk-bornholm"),
])
def test_the_issues_five_messages_find_a_fitting_offer_nationally(client, q, lang,
                                                                   situation, offer):
    data = api(client, q=q, lang=lang, per_page=3)
    slugs = [i["slug"] for i in data["items"]]
    assert slugs and serves(slugs[0], situation), slugs
    named = [s["slug"] for s in data["understood"]["situations"]]
    assert named[0] == situation and data["understood"]["confident"]
    assert all(any(serves(s, n) for n in named) for s in slugs), (slugs, named)
    if offer:
        assert offer in slugs, slugs


@pytest.mark.parametrize(("q", "lang", "expected"), [
    ("gæld", "da", "gaeldsraadgivning-haderslev"),
    ("vold i hjemmet", "da", "kvinderaadgiver-aalborg"),
    ("autism older adults place to live", "en", "specialmiljoe-autisme-hinnerup"),
    ("stoffmisbrug", "da", "straksbehandling-koebenhavn"),
])
def test_the_right_offer_comes_first_without_a_municipality(client, q, lang, expected):
    assert api(client, q=q, lang=lang, per_page=1)["items"][0]["slug"] == expected


# --- the API's contract ---------------------------------------------------------------------

def test_understood_only_with_words_and_nearest_always(client):
    without = api(client)
    assert "understood" not in without and without["nearest"] == []
    only_small_words = api(client, q="og i på")
    assert only_small_words["understood"] == {"situations": [], "confident": False}
    english = api(client, q="debt", lang="en")
    assert english["understood"]["situations"] == [{"slug": "debt", "name": "Debt and money"}]


def test_the_openapi_document_declares_understood_and_nearest(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    offer_list = next(s for name, s in schemas.items() if name.startswith("OfferList"))
    assert {"understood", "nearest"} <= set(offer_list["properties"])
    assert "nearest" in offer_list["required"] and "understood" not in offer_list["required"]
    nearest = next(s for name, s in schemas.items() if name.startswith("NearestOffer"))
    assert nearest["properties"]["elsewhere"]["enum"] == ["anyone", "region", "nearby"]


# --- bad input ---------------------------------------------------------------------------

@pytest.mark.parametrize("q", [
    "<script>alert('gæld')</script>",
    "gæld\x00\x07\x1b[31m",
    "ø" * 200,
    "gæld " * 40,
    "\u202egæld\u200b",
    "%00%ff",
])
def test_odd_words_never_give_a_server_error(client, q):
    for url in (f"{API}?" + urlencode({"q": q, "municipality": "holstebro"}),
                "/soeg?" + urlencode({"q": q, "municipality": "holstebro"}),
                "/en/search?" + urlencode({"q": q})):
        assert client.get(url).status_code in (200, 400), url


def test_too_long_words_are_refused_kindly(client):
    assert client.get(f"{API}?" + urlencode({"q": "gæld" * 60})).status_code == 400
    assert client.get("/soeg?" + urlencode({"q": "gæld" * 60})).status_code == 400


def test_the_page_escapes_the_words_in_its_sentence(client):
    body = client.get("/soeg?" + urlencode({"q": "<b>gæld</b>", "municipality": "holstebro"})
                      ).get_data(as_text=True)
    assert "<b>gæld</b>" not in body
    assert "»&lt;b&gt;gæld&lt;/b&gt;«" in body


# --- content -------------------------------------------------------------------------------

def test_every_municipality_has_a_position_in_denmark():
    for municipality in PLACES["municipalities"]:
        latitude, longitude = municipality["position"]
        assert 54.5 <= latitude <= 57.8 and 8.0 <= longitude <= 15.2, municipality["slug"]

