"""The JSON API's contract (`/api/v1`), as a client such as the assistant relies on it.

Expected results are computed from the content YAML files themselves (read here with
plain `yaml`, not with the portal's loader), so the tests follow the content as editors
change it instead of repeating lists of slugs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec

from tests.conftest import ROOT

API = "/api/v1"
SUMMARY_FIELDS = {"slug", "title", "summary", "url", "municipality", "access", "anonymous",
                  "virtual", "situations"}
DETAIL_TEXT_FIELDS = ("description", "for_whom", "how_to_use", "waiting_time", "what_happens",
                      "provider", "contact")


@dataclass
class Catalogue:
    offers: dict[str, dict]          # slug -> the offer file's data
    regions: dict[str, dict]         # slug -> region entry
    municipalities: dict[str, dict]  # slug -> municipality entry
    situations: list[dict]           # in file order
    pages: dict[str, dict]           # key -> page file's data

    def serving(self, municipality: str) -> set[str]:
        """Where offers for citizens of `municipality` come from: it and its region."""
        return {municipality, self.municipalities[municipality]["region"]}

    def expected(self, params: dict[str, str]) -> set[str]:
        """The offers the content says fit the API filters in `params`."""
        found = set()
        for slug, offer in self.offers.items():
            if "municipality" in params and (
                offer["municipality"] not in self.serving(params["municipality"])
            ):
                continue
            if "situation" in params and params["situation"] not in offer["situations"]:
                continue
            if "access" in params and offer["access"] not in params["access"].split(","):
                continue
            if params.get("anonymous") == "1" and not offer["anonymous"]:
                continue
            if params.get("virtual") == "1" and not offer["virtual"]:
                continue
            if "audience" in params and params["audience"] not in offer["audiences"]:
                continue
            found.add(slug)
        return found


def _read(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cat(app) -> Catalogue:
    root = Path(app.config["CONTENT_DIR"])
    places = _read(root / "municipalities.yml")
    return Catalogue(
        offers={d["slug"]: d for d in map(_read, sorted(root.glob("offers/*.yml")))},
        regions={r["slug"]: r for r in places["regions"]},
        municipalities={m["slug"]: m for m in places["municipalities"]},
        situations=_read(root / "situations.yml")["situations"],
        pages={d["key"]: d for d in map(_read, sorted(root.glob("pages/*.yml")))},
    )


def get_json(client, path: str, status: int = 200, **params):
    response = client.get(path, query_string=params)
    assert response.status_code == status, f"{path} {params}: {response.get_data(as_text=True)}"
    assert response.mimetype == "application/json"
    return response.get_json()


def all_offers(client, **params) -> list[dict]:
    """Every matching offer in one page (the catalogue is smaller than the page limit)."""
    body = get_json(client, f"{API}/offers", per_page="100", **params)
    assert body["total"] == len(body["items"]), "more than 100 matches: page through them"
    return body["items"]


def slugs(items: list[dict]) -> list[str]:
    return [item["slug"] for item in items]


# --- /offers -------------------------------------------------------------------------


def test_offer_items_have_the_contract_fields(client, cat):
    body = get_json(client, f"{API}/offers", per_page="100")
    assert body["total"] == len(cat.offers)
    assert body["page"] == 1 and body["per_page"] == 100
    assert sorted(slugs(body["items"])) == sorted(cat.offers)
    for item in body["items"]:
        assert set(item) >= SUMMARY_FIELDS, item["slug"]
        offer = cat.offers[item["slug"]]
        assert item["access"] == offer["access"]
        assert item["anonymous"] is offer["anonymous"]
        assert item["virtual"] is offer["virtual"]
        assert set(item["situations"]) == set(offer["situations"])
        assert item["municipality"]["slug"] == offer["municipality"]
        assert item["title"] == offer["da"]["title"]
        assert item["summary"] == offer["da"]["summary"]
        assert "relevance" not in item


def test_default_page_size_and_total(client, cat):
    body = get_json(client, f"{API}/offers")
    assert body["total"] == len(cat.offers)
    assert body["per_page"] == 20
    assert len(body["items"]) == min(20, len(cat.offers))


@pytest.mark.parametrize(("lang", "prefix"), [("da", "/tilbud/"), ("en", "/en/offers/")])
def test_urls_point_at_the_offer_page_in_the_language(client, lang, prefix):
    items = all_offers(client, lang=lang)
    for item in items:
        assert urlsplit(item["url"]).path == prefix + item["slug"]
    # And the page is there.
    page = client.get(urlsplit(items[0]["url"]).path)
    assert page.status_code == 200
    assert f'lang="{lang}"' in page.get_data(as_text=True)


def test_without_lang_the_texts_are_danish_and_with_lang_en_english(client, cat):
    for lang, params in (("da", {}), ("da", {"lang": "da"}), ("en", {"lang": "en"})):
        for item in all_offers(client, **params):
            offer = cat.offers[item["slug"]]
            assert item["title"] == offer[lang]["title"]
            assert item["summary"] == offer[lang]["summary"]
            area = offer["municipality"]
            names = cat.municipalities.get(area) or cat.regions[area]
            assert item["municipality"]["name"] == names[lang]["name"]


def test_municipality_includes_its_regions_offers(client, cat):
    regional = {s for s, o in cat.offers.items() if o["municipality"] == "region-midtjylland"}
    assert regional
    for municipality in ("aarhus", "holstebro"):
        found = set(slugs(all_offers(client, municipality=municipality)))
        assert regional <= found, municipality
        local = {s for s, o in cat.offers.items() if o["municipality"] == municipality}
        assert local <= found
    assert not regional & set(slugs(all_offers(client, municipality="koebenhavn")))


def test_every_municipality_and_situation_filter_matches_the_content(client, cat):
    for municipality in cat.municipalities:
        params = {"municipality": municipality}
        assert set(slugs(all_offers(client, **params))) == cat.expected(params), params
    for situation in cat.situations:
        params = {"situation": situation["slug"]}
        expected = cat.expected(params)
        assert expected, f"no offer has the life situation {situation['slug']}"
        assert set(slugs(all_offers(client, **params))) == expected, params


FILTERS = [
    {"access": "open"},
    {"access": "self"},
    {"access": "referral"},
    {"access": "self,referral"},
    {"anonymous": "1"},
    {"virtual": "1"},
    {"audience": "relatives"},
    {"audience": "citizens"},
    {"municipality": "holstebro", "access": "open", "virtual": "1"},
    {"municipality": "aarhus", "situation": "discharged", "access": "open"},
    {"municipality": "koebenhavn", "anonymous": "1", "situation": "drugs"},
    {"municipality": "haderslev", "audience": "relatives", "access": "open"},
    {"situation": "relatives", "access": "open", "anonymous": "1"},
]


@pytest.mark.parametrize("params", FILTERS,
                         ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_filters_return_exactly_what_the_content_says(client, cat, params):
    expected = cat.expected(params)
    assert expected, "pick filters that match something, or the test proves little"
    body = get_json(client, f"{API}/offers", per_page="100", **params)
    assert set(slugs(body["items"])) == expected
    assert body["total"] == len(expected)


def test_filters_that_match_nothing_give_an_empty_list(client, cat):
    params = {"municipality": "esbjerg", "anonymous": "1"}
    assert cat.expected(params) == set()
    body = get_json(client, f"{API}/offers", **params)
    assert {k: body[k] for k in ("items", "total", "page", "per_page")} == {
        "items": [], "total": 0, "page": 1, "per_page": 20}
    # v1 only gains fields: the same search on the portal's page, for "see all" links.
    assert body["search_url"] == "http://localhost/soeg?municipality=esbjerg&anonymous=1"


def test_false_flags_do_not_filter(client, cat):
    for value in ("0", "false", "no", ""):
        body = get_json(client, f"{API}/offers", anonymous=value, virtual=value)
        assert body["total"] == len(cat.offers)


def test_without_search_text_local_offers_come_first_then_by_danish_title(client, cat):
    for lang in ("da", "en"):
        items = all_offers(client, municipality="aarhus", lang=lang)
        key = [(cat.offers[s]["municipality"] in cat.regions, cat.offers[s]["da"]["title"])
               for s in slugs(items)]
        assert key == sorted(key)


def test_pagination_walks_the_whole_list_once(client, cat):
    everything = slugs(all_offers(client))
    seen = []
    page = 1
    while True:
        body = get_json(client, f"{API}/offers", page=str(page), per_page="7")
        assert body["total"] == len(cat.offers)
        assert body["page"] == page and body["per_page"] == 7
        if not body["items"]:
            break
        assert len(body["items"]) <= 7
        seen += slugs(body["items"])
        page += 1
    assert seen == everything
    assert page == -(-len(cat.offers) // 7) + 1  # the first empty page is just past the end


def test_search_ranks_the_best_match_first(client, cat):
    items = get_json(client, f"{API}/offers", q="gæld")["items"]
    assert items[0]["slug"] == "gaeldsraadgivning-haderslev"
    scores = [item["relevance"] for item in items]
    assert scores == sorted(scores, reverse=True)
    english = get_json(client, f"{API}/offers", q="debt", lang="en")["items"]
    assert english[0]["slug"] == "gaeldsraadgivning-haderslev"
    assert english[0]["title"] == cat.offers["gaeldsraadgivning-haderslev"]["en"]["title"]


def test_search_respects_the_filters(client, cat):
    params = {"municipality": "koebenhavn"}
    found = set(slugs(all_offers(client, q="gæld", **params)))
    assert found <= cat.expected(params)
    assert "gaeldsraadgivning-haderslev" not in found


# --- /offers/<slug> ------------------------------------------------------------------


def _text(value) -> str | None:
    return value.strip() if isinstance(value, str) else value


@pytest.mark.parametrize("lang", ["da", "en"])
def test_offer_details_match_the_content(client, cat, lang):
    for slug, offer in cat.offers.items():
        body = get_json(client, f"{API}/offers/{slug}", lang=lang)
        assert set(body) >= SUMMARY_FIELDS
        assert body["slug"] == slug
        assert body["title"] == offer[lang]["title"]
        for name in DETAIL_TEXT_FIELDS:
            assert body[name] == _text(offer[lang][name]), f"{slug} {lang}.{name}"
        assert body["legal_basis"] == _text(offer[lang].get("legal_basis"))
        assert body["min_age"] == offer.get("min_age")
        assert body["max_age"] == offer.get("max_age")
        assert body["sources"] == offer["sources"]
        assert body["last_checked"] == offer["last_checked"].isoformat()
        assert set(body["audiences"]) == set(offer["audiences"])
        assert set(body["channels"]) == set(offer.get("channels", []))
        assert urlsplit(body["url"]).path == (
            f"/tilbud/{slug}" if lang == "da" else f"/en/offers/{slug}")


@pytest.mark.parametrize("lang", ["da", "en"])
def test_a_referred_offer_shows_the_way_in_through_the_intake(client, cat, lang):
    referred = [s for s, o in cat.offers.items() if o["access"] == "referral"]
    assert "housing-first-koebenhavn" in referred
    intake_slug = cat.pages["intake"][lang]["slug"]
    intake_path = f"/{intake_slug}" if lang == "da" else f"/en/{intake_slug}"
    for slug in referred:
        path = get_json(client, f"{API}/offers/{slug}", lang=lang)["referral_path"]
        assert path["kind"] == "one-entrance-intake"
        assert urlsplit(path["url"]).path == intake_path
    assert client.get(intake_path).status_code == 200
    for slug in set(cat.offers) - set(referred):
        assert get_json(client, f"{API}/offers/{slug}", lang=lang)["referral_path"] is None


def test_an_unknown_offer_is_a_404_in_json(client):
    body = get_json(client, f"{API}/offers/no-such-offer", status=404)
    assert body["error"] == "not_found"
    assert "no-such-offer" in body["message"]
    english = get_json(client, f"{API}/offers/no-such-offer", status=404, lang="en")
    assert english["message"] != body["message"]


def test_unknown_api_routes_and_methods_answer_in_json(client):
    assert get_json(client, f"{API}/nothing-here", status=404)["message"]
    response = client.post(f"{API}/offers")
    assert response.status_code == 405
    assert response.get_json()["message"]


# --- /municipalities and /situations --------------------------------------------------


@pytest.mark.parametrize("lang", ["da", "en"])
def test_municipalities_with_their_regions(client, cat, lang):
    items = get_json(client, f"{API}/municipalities", lang=lang)["items"]
    assert sorted(slugs(items)) == sorted(cat.municipalities)
    for item in items:
        muni = cat.municipalities[item["slug"]]
        region = cat.regions[muni["region"]]
        assert item["kind"] == "municipality"
        assert item["name"] == muni[lang]["name"]
        assert item["region"] == {"slug": region["slug"], "name": region[lang]["name"]}
    assert items[slugs(items).index("aarhus")]["region"]["slug"] == "region-midtjylland"
    if lang == "da":
        names = [item["name"] for item in items]
        assert names == sorted(names)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_situations_in_content_order(client, cat, lang):
    items = get_json(client, f"{API}/situations", lang=lang)["items"]
    assert slugs(items) == [s["slug"] for s in cat.situations]
    for item, situation in zip(items, cat.situations, strict=True):
        assert item["name"] == situation[lang]["name"]
        assert item["description"] == situation[lang]["description"]


# --- the OpenAPI document ------------------------------------------------------------


@pytest.fixture(scope="module")
def spec(app) -> dict:
    response = app.test_client().get(f"{API}/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_openapi_document_is_valid_openapi_3_1(spec):
    assert re.fullmatch(r"3\.1\.\d+", spec["openapi"])
    validate_spec(spec)  # raises with the reason when invalid
    assert spec["servers"] == [{"url": API}]


def api_rules(app) -> dict[str, set[str]]:
    """OpenAPI path -> its methods ("get", "post", ...), for every route under /api/v1."""
    found: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API + "/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len(API):])
            found.setdefault(path, set()).update(
                m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    return found


def test_every_api_route_is_documented_and_every_documented_path_exists(app, spec):
    routes = api_rules(app)
    assert set(routes) == set(spec["paths"])
    for path, methods in routes.items():
        assert set(spec["paths"][path]) == methods, path


# A value each documented query parameter refuses (400 naming the parameter).
REFUSED = {"q": "a" * 201, "municipality": "atlantis", "situation": "space-travel",
           "access": "foo", "anonymous": "maybe", "virtual": "2", "audience": "children",
           "lang": "fr", "page": "0", "per_page": "1000", "from": "2026-13-01",
           "to": "tomorrow", "channel": "fax"}
# Valid values for the parameters a route requires (its other parameters are optional).
REQUIRED = {"municipality": "egedal"}


def test_every_parameter_a_route_reads_is_documented_and_vice_versa(app, client, spec):
    """Views read their parameters only through their declaration (`@spec.validate`),
    which is also what the document shows: so every documented parameter is enforced
    (a bad value is a 400 naming it), and no view reads an undocumented one."""
    for module in ("catalogue", "guidance", "booking", "intake", "chat"):
        source = (ROOT / "portal" / module / "api.py").read_text()
        assert "request.args" not in source and "request.values" not in source, module
    for path, methods in api_rules(app).items():
        if "get" not in methods:
            continue
        parameters = spec["paths"][path]["get"].get("parameters", [])
        documented = {p["name"] for p in parameters if p["in"] == "query"}
        url = API + path.replace("{slug}", "housing-first-koebenhavn")
        for name in documented:
            response = client.get(url, query_string={name: REFUSED[name]})
            assert response.status_code == 400, (path, name)
            assert response.get_json()["parameter"] == name
        if any(p["in"] == "header" and p.get("required") for p in parameters):
            continue  # a booking by its code: tests/booking/test_api_booking.py
        required = {p["name"]: REQUIRED[p["name"]] for p in parameters
                    if p["in"] == "query" and p.get("required")}
        response = client.get(url, query_string={**required, "unknown": "x"})
        assert response.status_code == 200, path
    path_params = {p["name"] for p in spec["paths"]["/offers/{slug}"]["get"]["parameters"]
                   if p["in"] == "path"}
    assert path_params == {"slug"}


def _response_validator(spec: dict, path: str, status: int) -> OAS31Validator:
    schema = spec["paths"][path]["get"]["responses"][str(status)]["content"][
        "application/json"]["schema"]
    return OAS31Validator({**schema, "components": spec["components"]})


@pytest.mark.parametrize(("path", "url", "status"), [
    ("/offers", "/offers", 200),
    ("/offers", "/offers?q=alkohol&lang=en&municipality=holstebro", 200),
    ("/offers", "/offers?access=foo", 400),
    ("/offers/{slug}", "/offers/housing-first-koebenhavn", 200),
    ("/offers/{slug}", "/offers/virtuel-alkoholbehandling-holstebro?lang=en", 200),
    ("/offers/{slug}", "/offers/no-such-offer", 404),
    ("/offers/{slug}", "/offers/u-turn-koebenhavn?lang=fr", 400),
    ("/municipalities", "/municipalities?lang=en", 200),
    ("/municipalities", "/municipalities?lang=xx", 400),
    ("/situations", "/situations", 200),
    ("/situations", "/situations?lang=xx", 400),
])
def test_responses_match_the_documented_schemas(client, spec, path, url, status):
    response = client.get(API + url)
    assert response.status_code == status
    errors = list(_response_validator(spec, path, status).iter_errors(response.get_json()))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


# --- bad input -----------------------------------------------------------------------


BAD_PARAMETERS = [
    ("/offers", "municipality=atlantis", "municipality"),
    ("/offers", "municipality=region-midtjylland", "municipality"),
    ("/offers", "situation=space-travel", "situation"),
    ("/offers", "access=foo", "access"),
    ("/offers", "access=open,foo", "access"),
    ("/offers", "anonymous=maybe", "anonymous"),
    ("/offers", "virtual=2", "virtual"),
    ("/offers", "audience=children", "audience"),
    ("/offers", "per_page=0", "per_page"),
    ("/offers", "per_page=1000", "per_page"),
    ("/offers", "per_page=-5", "per_page"),
    ("/offers", "per_page=%D9%A3", "per_page"),  # an Arabic-Indic 3
    ("/offers", "page=x", "page"),
    ("/offers", "page=0", "page"),
    ("/offers", "page=1.5", "page"),
    ("/offers", "page=%C2%B2", "page"),  # a superscript 2
    ("/offers", "page=" + "9" * 5000, "page"),
    ("/offers", "lang=fr", "lang"),
    ("/offers", "q=" + "a" * 201, "q"),
    ("/offers/u-turn-koebenhavn", "lang=fr", "lang"),
    ("/municipalities", "lang=fr", "lang"),
    ("/situations", "lang=EN", "lang"),
]


@pytest.mark.parametrize(("path", "query", "parameter"), BAD_PARAMETERS,
                         ids=[f"{p}?{q[:30]}" for p, q, _ in BAD_PARAMETERS])
def test_bad_parameters_are_a_400_naming_the_parameter(client, path, query, parameter):
    response = client.get(f"{API}{path}?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "bad_parameter"
    assert body["parameter"] == parameter
    assert isinstance(body["message"], str) and body["message"].strip()


def test_limits_themselves_are_accepted(client):
    assert get_json(client, f"{API}/offers", q="a" * 200)["page"] == 1
    assert get_json(client, f"{API}/offers", per_page="100")["per_page"] == 100
    assert get_json(client, f"{API}/offers", per_page="1")["per_page"] == 1
    assert get_json(client, f"{API}/offers", page=" 2 ")["page"] == 2


def test_error_messages_follow_the_asked_language(client):
    danish = get_json(client, f"{API}/offers", status=400, municipality="atlantis")
    english = get_json(client, f"{API}/offers", status=400, municipality="atlantis", lang="en")
    assert "atlantis" in danish["message"] and "atlantis" in english["message"]
    assert "municipality" in english["message"]
    assert danish["message"] != english["message"]


ODD_VALUES = [
    "", " ", "%00", "a%00b", "%ff%fe", "%e2%80%ae", "%F0%9F%98%80" * 50, "x" * 10_000,
    "%27%3B%20DROP%20TABLE%20offers%3B--", "%3Cscript%3E", "..%2F..%2Fetc%2Fpasswd",
    "9" * 5000, "-1", "1e3", "0x10", "%C2%B2", "%EF%BC%91",  # a full-width 1
    "%0A", "%E2%80%8B", "null", "true", "[]", "%7B%7D", "open%2Copen%2C%2C", "%20open%20",
]
PARAMETER_NAMES = ["q", "municipality", "situation", "access", "anonymous", "virtual",
                   "audience", "lang", "page", "per_page", "unknown"]


def _ok(response, allowed=(200, 400, 404)) -> None:
    assert response.status_code in allowed, (response.status_code, response.request.url)
    if response.status_code == 308:  # "//" in a path (from a "/" in a slug) is merged
        assert response.location
    elif response.request.path.startswith(API):
        body = response.get_json()
        assert isinstance(body, dict)
        if response.status_code != 200:
            assert body["message"]


def test_odd_inputs_never_give_a_server_error(client):
    for name in PARAMETER_NAMES:
        for value in ODD_VALUES:
            _ok(client.get(f"{API}/offers?{name}={value}"))
            _ok(client.get(f"{API}/offers?{name}={value}&{name}=open"))
    for value in ODD_VALUES:
        for path in (f"{API}/offers/{value}", f"{API}/municipalities?lang={value}",
                     f"{API}/situations?lang={value}",
                     f"{API}/offers/u-turn-koebenhavn?lang={value}"):
            _ok(client.get(path))


def test_odd_slugs_and_cookies_on_pages_never_give_a_server_error(client):
    """The pages share the catalogue lookups: a NUL must not reach PostgreSQL from them."""
    for value in ("%00", "a%00b", "x" * 500, "%ff", "%C3%B8"):
        for path in (f"/tilbud/{value}", f"/en/offers/{value}", f"/{value}", f"/en/{value}",
                     f"/soeg?municipality={value}", f"/soeg?q={value}&page={value}"):
            _ok(client.get(path), allowed=(200, 400, 404))
    for cookie in ('"\\000"', "a\x00b", "x" * 500, "aarhus"):
        response = client.get("/", headers={"Cookie": f"kommune={cookie}"})
        assert response.status_code == 200, cookie


# Derandomized: the same examples on every run, so CI cannot turn red by chance; run it
# with a larger max_examples and without derandomize to explore.
@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@example(params={"page": "²", "per_page": "9" * 5000}, slug="\x00")
@given(
    params=st.dictionaries(
        st.sampled_from(PARAMETER_NAMES),
        st.one_of(st.text(max_size=250), st.integers().map(str),
                  st.sampled_from(["open", "self,referral", "1", "0", "en", "aarhus",
                                   "alcohol", "relatives"])),
        max_size=6,
    ),
    slug=st.text(max_size=100),
)
def test_no_request_gives_a_server_error(app, params, slug):
    client = app.test_client()
    for path in (f"{API}/offers", f"{API}/offers/{quote(slug, safe='')}",
                 f"{API}/municipalities", f"{API}/situations"):
        response = client.get(path, query_string=params)
        _ok(response, allowed=(200, 308, 400, 404))
        if response.status_code == 400:
            assert response.get_json()["parameter"] in params
