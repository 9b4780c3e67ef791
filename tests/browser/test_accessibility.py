"""axe-core finds no WCAG 2.1 A/AA violations on the main pages, in Danish and English.

Each page is also saved as a 360 px wide screenshot in test-artifacts/ for a human look.
"""

from __future__ import annotations

import pytest

from tests.browser.pages import assert_accessible, save_screenshot

pytestmark = pytest.mark.browser


PAGES = {
    # name: (Danish path, English path)
    "home": ("/", "/en/"),
    "search": ("/soeg?q=min+s%C3%B8n+ryger+hash&municipality=koebenhavn&anonymous=1",
               "/en/search?q=my+son+smokes+hash&municipality=koebenhavn&anonymous=1"),
    "search-empty": ("/soeg?q=zzzz+qqqq&virtual=1&municipality=bornholm",
                     "/en/search?q=zzzz+qqqq&virtual=1&municipality=bornholm"),
    # Nothing in Holstebro fits: the plain sentence and the nearest offers elsewhere.
    "search-elsewhere": ("/soeg?q=g%C3%A6ld&municipality=holstebro",
                         "/en/search?q=debt&municipality=holstebro"),
    "offer": ("/tilbud/u-turn-koebenhavn", "/en/offers/u-turn-koebenhavn"),
    "offer-referral": ("/tilbud/housing-first-koebenhavn",
                       "/en/offers/housing-first-koebenhavn"),
    "relatives": ("/til-paaroerende", "/en/for-relatives"),
    "not-found": ("/tilbud/findes-ikke", "/en/offers/nope"),
}


@pytest.mark.parametrize("lang", ["da", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_accessibility_violations(live_server, phone, artifacts, axe, name, lang):
    path = PAGES[name][0 if lang == "da" else 1]
    page = phone.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    response = page.goto(live_server + path)
    assert response.status == (404 if name == "not-found" else 200)
    page.wait_for_load_state("networkidle")
    save_screenshot(page, str(artifacts / f"{name}-{lang}.png"))

    # Nothing is wider than the phone (no sideways scrolling).
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    assert_accessible(page, axe, path)
    # A 404 logs its own status as a console error; anything else (CSP, ...) is a fault.
    assert [e for e in errors if "404" not in e] == []
