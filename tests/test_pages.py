"""The citizen pages through Flask's test client, in Danish and in English.

CSRF protection is on here, as in production: forms are posted with the token the page
gave. The translations must be compiled (`make translations`) for the Danish text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.catalogue import service
from portal.catalogue.query import MAX_PER_PAGE, OfferQuery
from tests.conftest import make_app

DA_MONTHS = ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
             "september", "oktober", "november", "december"]
EN_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]


class Page(HTMLParser):
    """The parts of a page the tests look at: links, forms, inputs and the visible text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.lang: str | None = None
        self.links: list[dict[str, str]] = []
        self.forms: list[dict] = []
        self.text_parts: list[str] = []
        self._link: dict[str, str] | None = None
        self._skip = 0
        self.feed(html)
        self.text = " ".join(" ".join(self.text_parts).split())

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "a":
            self._link = {**a, "text": ""}
            self.links.append(self._link)
        elif tag == "form":
            self.forms.append({**a, "fields": {}, "selects": []})
        elif tag == "input" and self.forms:
            if a.get("type") != "checkbox" or "checked" in a:
                self.forms[-1]["fields"][a.get("name", "")] = a.get("value", "")
            if a.get("type") == "checkbox":
                self.forms[-1].setdefault("checkboxes", {})[a["id"]] = "checked" in a
        elif tag == "select" and self.forms:
            self.forms[-1]["selects"].append(a.get("name"))
        elif tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "a":
            self._link = None
        elif tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if self._skip:
            return
        self.text_parts.append(data)
        if self._link is not None:
            self._link["text"] += data

    def hrefs(self) -> list[str]:
        return [link.get("href", "") for link in self.links]

    def form(self, action_part: str) -> dict:
        return next(f for f in self.forms if action_part in f.get("action", ""))


def get(client, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, f"{url}: {response.status_code}"
    assert response.mimetype == "text/html"
    return Page(response.get_data(as_text=True))


def offer_slugs(page: Page) -> list[str]:
    slugs = []
    for href in page.hrefs():
        m = re.fullmatch(r"/(?:tilbud|en/offers)/([a-z0-9-]+)", href)
        if m and m.group(1) not in slugs:
            slugs.append(m.group(1))
    return slugs


# --- language -------------------------------------------------------------------------

PAGES = [
    # url, lang, status, text that must be there, text of the other language that must not
    ("/", "da", 200, "Hvad har du brug for hjælp til?", "What do you need help with?"),
    ("/en/", "en", 200, "What do you need help with?", "Hvad har du brug for hjælp til?"),
    ("/soeg?q=hash", "da", 200, "Beskriv din situation med dine egne ord",
     "Describe your situation"),
    ("/en/search?q=cannabis", "en", 200, "Describe your situation in your own words",
     "Beskriv din situation"),
    ("/tilbud/u-turn-koebenhavn", "da", 200, "Kan jeg bare møde op?", "Can I just go there?"),
    ("/en/offers/u-turn-koebenhavn", "en", 200, "Can I just go there?", "Kan jeg bare møde op?"),
    ("/til-paaroerende", "da", 200, "Tilbud til pårørende", "Offers for relatives"),
    ("/en/for-relatives", "en", 200, "Offers for relatives", "Tilbud til pårørende"),
    ("/tilbud/findes-ikke", "da", 404, "Vi kunne ikke finde siden", "We could not find the page"),
    ("/en/offers/nope", "en", 404, "We could not find the page", "Vi kunne ikke finde siden"),
    ("/findes/slet/ikke", "da", 404, "Vi kunne ikke finde siden", "We could not find the page"),
    ("/en/no/such/page", "en", 404, "We could not find the page", "Vi kunne ikke finde siden"),
]


@pytest.mark.parametrize(("url", "lang", "status", "present", "absent"), PAGES)
def test_pages_speak_their_language(client, url, lang, status, present, absent):
    page = get(client, url, status)
    assert page.lang == lang
    assert present in page.text
    assert absent not in page.text
    # The frame is translated too: menu, demonstration note and footer.
    if lang == "da":
        for text in ("Find hjælp", "Demonstration.", "Tilgængelighedserklæring",
                     "Gå til sidens indhold", "ring 112"):
            assert text in page.text
        for text in ("Find help", "Accessibility statement", "Go to the page content"):
            assert text not in page.text
    else:
        for text in ("Find help", "Demonstration.", "Accessibility statement",
                     "Go to the page content", "call 112"):
            assert text in page.text
        for text in ("Find hjælp", "Tilgængelighedserklæring", "Gå til sidens indhold"):
            assert text not in page.text


SWITCHES = [
    ("/", "/en/"),
    ("/en/", "/"),
    ("/soeg?q=hash", "/en/search?q=hash"),
    ("/en/search?q=weed", "/soeg?q=weed"),
    ("/tilbud/u-turn-koebenhavn", "/en/offers/u-turn-koebenhavn"),
    ("/en/offers/housing-first-koebenhavn", "/tilbud/housing-first-koebenhavn"),
    ("/til-paaroerende", "/en/for-relatives"),
    ("/en/for-relatives", "/til-paaroerende"),
    ("/tilbud/findes-ikke", "/en/offers/findes-ikke"),
    ("/en/offers/nope", "/tilbud/nope"),
]


@pytest.mark.parametrize(("url", "expected"), SWITCHES)
def test_language_switch_leads_to_the_same_page(client, url, expected):
    response = client.get(url)
    page = Page(response.get_data(as_text=True))
    other = "en" if page.lang == "da" else "da"
    switches = [link for link in page.links if link.get("hreflang") == other]
    assert switches, "no link to the other language"
    for link in switches:
        assert link["href"] == expected
        assert link.get("lang") == other  # the link text is in the other language
    assert any(link["text"].strip() == ("English" if other == "en" else "Dansk")
               for link in switches)


def test_search_in_the_other_language_keeps_the_words(client):
    page = get(client, "/soeg?q=min+s%C3%B8n+ryger+hash&anonymous=1")
    switch = next(link for link in page.links if link.get("hreflang") == "en")
    parts = urlsplit(switch["href"])
    assert parts.path == "/en/search"
    assert parse_qs(parts.query) == {"q": ["min søn ryger hash"], "anonymous": ["1"]}


# --- home -----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["da", "en"])
def test_home_offers_every_life_situation_with_an_icon(app, client, lang):
    page = get(client, "/" if lang == "da" else "/en/")
    with app.app_context():
        situations = service.list_situations()
        names = [s.text(lang).name for s in situations]
        slugs = [s.slug for s in situations]
    search = "/soeg" if lang == "da" else "/en/search"
    for slug, name in zip(slugs, names, strict=True):
        link = next(lk for lk in page.links if lk.get("href") == f"{search}?situation={slug}")
        assert name in link["text"]
    # Every entry point has a DKFDS icon, including situations whose icon DKFDS lacks.
    assert page.html.count('class="icon-svg situation-icon"') == len(slugs)
    assert page.form("/kommune" if lang == "da" else "/en/municipality")["selects"] == [
        "municipality"]


def test_pages_follow_the_content_security_policy(client):
    for url in ("/", "/en/search?q=hash", "/tilbud/u-turn-koebenhavn", "/til-paaroerende",
                "/tilbud/findes-ikke"):
        html = client.get(url).get_data(as_text=True)
        assert " style=" not in html and "<style" not in html
        # Scripts only from files; a JSON data block (the chat's strings) is not a script.
        assert not re.search(r'<script(?![^>]*\b(?:src=|type="application/json"))', html), (
            "inline script")
        assert 'href="#main-content"' in html and 'id="main-content"' in html


# --- municipality chooser -------------------------------------------------------------


@pytest.mark.parametrize(("home", "action", "search"), [
    ("/", "/kommune", "/soeg"),
    ("/en/", "/en/municipality", "/en/search"),
])
def test_choosing_a_municipality_is_remembered(client, home, action, search):
    form = get(client, home).form(action)
    fields = dict(form["fields"], municipality="koebenhavn")
    assert fields["csrf_token"]
    response = client.post(form["action"], data=fields)
    assert response.status_code == 303
    assert response.headers["Location"] == search
    cookie = client.get_cookie("kommune")
    assert cookie is not None and cookie.value == "koebenhavn"
    assert cookie.http_only

    place = "Københavns Kommune" if home == "/" else "City of Copenhagen"
    results = get(client, search)
    assert place in results.text
    assert 'value="koebenhavn" selected' in results.html
    again = get(client, home)
    assert 'value="koebenhavn" selected' in again.html
    assert place in again.text

    # "All municipalities" forgets the choice.
    form = again.form(action)
    client.post(form["action"], data=dict(form["fields"], municipality=""))
    assert client.get_cookie("kommune") is None


def test_municipality_form_without_its_token_is_refused_kindly(client):
    response = client.post("/kommune", data={"municipality": "koebenhavn"})
    assert response.status_code == 400
    page = Page(response.get_data(as_text=True))
    assert page.lang == "da"
    assert "Formularen var udløbet" in page.text
    assert client.get_cookie("kommune") is None
    # The page in the other language is the front page (the form's address takes only POST).
    assert {link["href"] for link in page.links if link.get("hreflang") == "en"} == {"/en/"}


def test_municipality_form_does_not_redirect_elsewhere(client):
    form = get(client, "/").form("/kommune")
    response = client.post(form["action"], data=dict(
        form["fields"], municipality="koebenhavn", next="https://example.org/"))
    assert response.headers["Location"] == "/soeg"


# --- search ---------------------------------------------------------------------------


FILTERS = [
    ("anonymous=1", "f-anonymous", lambda o: o.anonymous),
    ("virtual=1", "f-virtual", lambda o: o.virtual),
    ("access=open,self", "f-access", lambda o: not o.needs_referral),
    ("audience=relatives", "f-relatives", lambda o: o.for_relatives),
    ("situation=debt", None, lambda o: "debt" in {s.slug for s in o.situations}),
    ("municipality=koebenhavn", None,
     lambda o: o.area.slug in ("koebenhavn", "region-hovedstaden")),
]


@pytest.mark.parametrize(("params", "checkbox", "fits"), FILTERS)
def test_search_filters(app, client, params, checkbox, fits):
    everything = offer_slugs(get(client, "/soeg?per_page=100"))
    page = get(client, f"/soeg?per_page=100&{params}")
    found = offer_slugs(page)
    assert found, "the demo catalogue has offers for every filter"
    with app.app_context():
        offers = {slug: service.get_offer(slug) for slug in everything}
        assert all(fits(offers[slug]) for slug in found)
        assert set(found) == {slug for slug in everything if fits(offers[slug])}
    if checkbox:
        assert page.form("/soeg")["checkboxes"][checkbox] is True
        assert not get(client, "/soeg").form("/soeg")["checkboxes"][checkbox]
    # Each chosen filter can be removed with one link.
    assert "Valgte filtre" in page.text


def test_search_for_a_situation_in_words(client):
    page = get(client, "/soeg?q=min+s%C3%B8n+ryger+hash&municipality=koebenhavn")
    assert "u-turn-koebenhavn" in offer_slugs(page)[:3]
    assert "Søgeresultater for »min søn ryger hash«" in page.html


def test_search_with_an_unknown_filter_says_what_is_wrong(client):
    page = get(client, "/soeg?municipality=atlantis", 400)
    assert "Vi kender ikke kommunen »atlantis«." in page.text
    page = get(client, "/en/search?municipality=atlantis", 400)
    assert "We do not know the municipality “atlantis”." in page.text


def test_html_in_a_search_is_shown_as_text(client):
    for url in ("/soeg?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
                "/en/search?q=%3Cb%3Ebold%3C%2Fb%3E%22%3E"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html
        assert "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(
        "/soeg?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E").get_data(as_text=True)


# --- offer ----------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "intake", "answer"), [
    ("/tilbud/housing-first-koebenhavn", "/en-indgang", "Nej."),
    ("/en/offers/housing-first-koebenhavn", "/en/one-entrance", "No."),
])
def test_referred_offer_shows_the_way_in(client, url, intake, answer):
    page = get(client, url)
    assert intake in page.hrefs()
    assert 'id="referral-path"' in page.html
    assert answer in page.text
    # ... and points to open offers meanwhile.
    assert any("access=open%2Cself" in h or "access=open,self" in h for h in page.hrefs())


def test_every_referred_offer_leads_on(app, client):
    """The way in, and the open offers meanwhile, work for every referred offer."""
    with app.app_context():
        referred = [o.slug for o in service.find_offers(OfferQuery(
            access=frozenset({"referral"}), per_page=MAX_PER_PAGE)).items]
    assert referred
    for slug in referred:
        for url, intake in ((f"/tilbud/{slug}", "/en-indgang"),
                            (f"/en/offers/{slug}", "/en/one-entrance")):
            page = get(client, url)
            assert intake in page.hrefs()
            meanwhile = [h for h in page.hrefs() if "access=open" in h]
            assert meanwhile, url
            results = get(client, meanwhile[0])
            assert offer_slugs(results), f"{url}: no open offers at {meanwhile[0]}"


@pytest.mark.parametrize(("url", "texts"), [
    ("/tilbud/u-turn-koebenhavn",
     ["Kort fortalt", "Kan jeg bare møde op?", "Ja.", "Kan jeg være anonym?",
      "Du behøver ikke at sige, hvem du er.", "Hvornår?", "Hvad sker der så?"]),
    ("/en/offers/u-turn-koebenhavn",
     ["In short", "Can I just go there?", "Yes.", "Can I be anonymous?",
      "You do not have to say who you are.", "When?", "What happens next?"]),
])
def test_open_offer_answers_the_quick_questions(client, url, texts):
    page = get(client, url)
    for text in texts:
        assert text in page.text
    assert 'id="referral-path"' not in page.html
    assert "/en-indgang" not in page.hrefs()


def test_online_offer_says_how(client):
    page = get(client, "/tilbud/virtuel-alkoholbehandling-holstebro")
    assert "Kan jeg bruge det online?" in page.text
    assert "Via chat." in page.text


@pytest.mark.parametrize("lang", ["da", "en"])
def test_dates_are_written_in_the_page_language(app, client, lang):
    with app.app_context():
        checked = service.get_offer("u-turn-koebenhavn").last_checked
    if lang == "da":
        page = get(client, "/tilbud/u-turn-koebenhavn")
        expected = f"{checked.day}. {DA_MONTHS[checked.month - 1]} {checked.year}"
    else:
        page = get(client, "/en/offers/u-turn-koebenhavn")
        expected = f"{EN_MONTHS[checked.month - 1]} {checked.day}, {checked.year}"
    assert expected in page.text
    assert f'datetime="{checked.isoformat()}"' in page.html


# --- frame ----------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "links"), [
    ("/", ["/tilgaengelighedserklaering", "/privatliv", "/til-paaroerende",
           "/aabne-tilbud-og-visitation", "/soeg"]),
    ("/en/", ["/en/accessibility-statement", "/en/privacy", "/en/for-relatives",
              "/en/open-offers-and-referral", "/en/search"]),
])
def test_footer_and_menu_links(client, url, links):
    hrefs = get(client, url).hrefs()
    for link in links:
        assert link in hrefs


def test_every_guidance_page_renders_in_both_languages(app, client):
    from portal.guidance.service import page_url

    with app.test_request_context("/"):
        urls = [page_url(key, lang) for key in
                ("relatives", "open-offers", "accessibility", "privacy", "intake")
                for lang in ("da", "en")]
    for url in urls:
        assert url, "every guidance page has both languages"
        page = get(client, url)
        assert page.lang == ("en" if url.startswith("/en/") else "da")


@pytest.mark.parametrize(("url", "text"), [
    ("/", "Der gik noget galt"),
    ("/en/", "Something went wrong"),
])
def test_database_down_gives_a_kind_error_page(tmp_path, url, text):
    """A database that cannot be reached: the citizen gets the error page in their
    language (with the layout), never a trace or a bare server error."""
    missing = tmp_path / "no" / "such" / "folder" / "db.sqlite3"
    down = make_app(f"sqlite:///{missing}")
    response = down.test_client().get(url)
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert text in body
    assert "Traceback" not in body and "sqlalchemy" not in body.lower()
    assert '<footer' in body


def test_design_system_files_are_cached_and_revalidated(client):
    """A phone keeps the design system's stylesheet; asking again costs a 304, not 200 KB."""
    home = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/dkfds/[^"]+\.css[^"]*)"', home).group(1)
    first = client.get(css, headers={"Accept-Encoding": "br, gzip"})
    assert first.status_code == 200
    assert first.headers["Content-Encoding"] in ("br", "gzip")
    assert "max-age=31536000" in first.headers["Cache-Control"]
    again = client.get(css, headers={"Accept-Encoding": "br, gzip",
                                     "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
