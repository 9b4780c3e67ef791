"""A citizen's way through the portal on a phone, in Danish and in English.

The flows run with JavaScript switched off: finding help must never depend on it.
"""

from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from tests.browser.pages import save_screenshot
from tests.conftest import need

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
    save_screenshot(page, str(artifacts / f"flow-offer-{lang}.png"))

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


def test_pages_are_light(live_server):
    """A first visit on a phone and a second page stay within the page-weight targets,
    measured as the benchmark measures them (bench/harness: Chromium's own byte counts,
    targets defined once in bench/harness/targets.py), and static files come from the
    cache the second time. No JavaScript of the design system is needed."""
    from bench.harness import pageweight

    chromium = shutil.which("chromium")
    need(chromium is not None, "Debian's chromium is not installed (make browser)")
    # In a thread of its own: Playwright's sync API runs one session per thread, and the
    # other browser tests hold this thread's.
    with ThreadPoolExecutor(max_workers=1) as pool:
        weight = pool.submit(pageweight.page_weights, live_server, chromium, "demo").result()
    assert weight["method"] == "chromium", weight.get("not_measured")
    first, second = weight["first_visit"], weight["second_page"]
    listing = "\n".join(f"{r['transfer']:>8} {r['url']}" for r in first["resources"])
    assert first["pass"], f"first visit: {first['bytes']} bytes\n{listing}"
    assert second["pass"], f"second page: {second['bytes']} bytes"
    assert weight["cache_ok"], weight["cache_checks"]
    assert not any("/js/" in r["url"] for r in first["resources"]), "no JavaScript is needed"
