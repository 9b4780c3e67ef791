"""A citizen's way through the portal on a phone, in Danish and in English.

The flows run with JavaScript switched off: finding help must never depend on it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

FLOWS = {
    "da": {
        "home": "/",
        "municipality_label": "Din kommune",
        "choose": "Vælg kommune",
        "search_label": "Beskriv din situation med dine egne ord",
        "search_button": "Søg",
        "query": "min søn ryger hash",
        "place": "Københavns Kommune",
        "offer_path": "/tilbud/u-turn-koebenhavn",
        "in_short": "Kort fortalt",
        "relatives": "Til pårørende",
        "results": re.compile(r"\d+ tilbud i eller nær Københavns Kommune"),
    },
    "en": {
        "home": "/en/",
        "municipality_label": "Your municipality",
        "choose": "Choose municipality",
        "search_label": "Describe your situation in your own words",
        "search_button": "Search",
        "query": "my son smokes hash",
        "place": "City of Copenhagen",
        "offer_path": "/en/offers/u-turn-koebenhavn",
        "in_short": "In short",
        "relatives": "For relatives",
        "results": re.compile(r"\d+ offers? in or near City of Copenhagen"),
    },
}


@pytest.fixture()
def no_js_phone(browser):
    from tests.browser.conftest import PHONE

    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    yield context
    context.close()


@pytest.mark.parametrize("lang", ["da", "en"])
def test_from_home_to_an_offer(live_server, no_js_phone, artifacts, lang):
    f = FLOWS[lang]
    page = no_js_phone.new_page()
    page.goto(live_server + f["home"])
    expect(page.locator("html")).to_have_attribute("lang", lang)

    # Choose København: the choice is remembered and the search shows offers near it.
    page.get_by_label(f["municipality_label"]).select_option("koebenhavn")
    page.get_by_role("button", name=f["choose"]).click()
    expect(page.get_by_role("heading", level=2, name=f["results"])).to_be_visible()
    cookie = {c["name"]: c["value"] for c in no_js_phone.cookies()}
    assert cookie.get("kommune") == "koebenhavn"

    # Describe the situation in everyday words.
    page.get_by_label(f["search_label"]).fill(f["query"])
    page.get_by_role("button", name=f["search_button"], exact=True).click()
    expect(page.get_by_role("heading", level=2, name=f["results"])).to_be_visible()
    titles = page.locator(".offer-list .card-heading a")
    hrefs = [titles.nth(i).get_attribute("href") for i in range(min(3, titles.count()))]
    assert f["offer_path"] in hrefs, hrefs

    # The offer answers the quick questions.
    page.locator(f'.offer-list a[href="{f["offer_path"]}"]').click()
    expect(page).to_have_url(live_server + f["offer_path"])
    expect(page.get_by_role("heading", level=1)).to_contain_text("U-turn")
    expect(page.get_by_role("heading", level=2, name=f["in_short"])).to_be_visible()
    page.screenshot(path=str(artifacts / f"flow-offer-{lang}.png"), full_page=True)

    # The municipality is remembered on other pages too.
    page.get_by_role("navigation", name=re.compile("Hovedmenu|Main menu")).get_by_role(
        "link", name=f["relatives"]).click()
    expect(page.locator("#relatives-offers")).to_contain_text(f["place"])
    page.goto(live_server + f["home"])
    expect(page.get_by_label(f["municipality_label"])).to_have_value("koebenhavn")
    expect(page.locator(".municipality-box")).to_contain_text(f["place"])


def test_language_switch_keeps_the_page_and_the_municipality(live_server, no_js_phone):
    page = no_js_phone.new_page()
    page.goto(live_server + "/")
    page.get_by_label("Din kommune").select_option("koebenhavn")
    page.get_by_role("button", name="Vælg kommune").click()
    page.goto(live_server + "/tilbud/u-turn-koebenhavn")
    page.locator("header").get_by_role("link", name="English").click()
    expect(page).to_have_url(live_server + "/en/offers/u-turn-koebenhavn")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(live_server + "/en/search")
    expect(page.get_by_role("heading", level=2)).to_contain_text(
        "in or near City of Copenhagen")


def test_pages_are_light(live_server, phone, browser):
    """A first visit on a phone stays under 150 KB, a second page under 15 KB (compressed)."""
    page = phone.new_page()
    transferred: list[tuple[str, int]] = []

    def count(response):
        sizes = response.request.sizes()
        transferred.append((response.url, sizes["responseBodySize"] + sizes["responseHeadersSize"]))

    page.on("response", count)
    page.goto(live_server + "/", wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_load_state("networkidle")
    first = sum(size for _, size in transferred)
    listing = "\n".join(f"{size:>8} {url}" for url, size in transferred)
    first_listing = listing
    assert first < 150_000, f"first visit: {first} bytes\n{listing}"
    assert not any("/js/" in url for url, _ in transferred), "no JavaScript is needed"

    transferred.clear()
    page.goto(live_server + "/tilbud/u-turn-koebenhavn", wait_until="load")
    page.wait_for_load_state("networkidle")
    second = sum(size for _, size in transferred)
    listing = "\n".join(f"{size:>8} {url}" for url, size in transferred)
    assert second < 15_000, f"second page: {second} bytes\n{listing}"
    print(f"\nfirst visit {first} B:\n{first_listing}\nsecond page {second} B:\n{listing}")
