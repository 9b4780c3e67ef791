"""The chat widget in Chromium on a phone (360 × 740): keyboard use, focus, text-only
rendering, reply buttons, links, the fallback when the assistant is down, axe-core with
the panel open, 200 % zoom, and the plain link to search without JavaScript.

The conversation with the real assistant is at the end (it needs bot/models)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import assert_accessible, save_screenshot, settled, watch_errors
from tests.chat.stack import StubRasa

pytestmark = pytest.mark.browser

HTML_TEXT = "<b>Hej</b> <img src=x onerror=alert(1)>"
STUB_REPLY = [
    {"recipient_id": "x", "text": HTML_TEXT},
    {"recipient_id": "x", "text": "Hvor bor du?", "buttons": [
        {"title": "København", "payload": '/inform_municipality{"municipality":"koebenhavn"}'},
        {"title": "Aarhus", "payload": '/inform_municipality{"municipality":"aarhus"}'},
    ]},
    {"recipient_id": "x", "custom": {"links": [
        {"title": "U-turn", "text": "Rådgivning til unge og deres forældre",
         "url": "/tilbud/u-turn-koebenhavn"},
        {"title": "Evil", "text": "", "url": "https://evil.example/"},
    ]}},
]


@pytest.fixture()
def stub(stub_rasa: StubRasa) -> StubRasa:
    stub_rasa.reply = STUB_REPLY
    return stub_rasa


def tab_to(page: Page, selector: str, limit: int = 15) -> None:
    """Press Tab until the element is focused, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def focus_is_visible(page: Page) -> bool:
    return page.evaluate("""() => {
        const s = getComputedStyle(document.activeElement);
        return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
    }""")


def open_chat_by_keyboard(page: Page) -> None:
    tab_to(page, "button.chat-launcher")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.locator("#chat-input")).to_be_focused()


def log(page: Page):
    return page.get_by_role("log")


def test_chat_by_keyboard_text_only_buttons_and_links(live_server, phone, stub):
    page = phone.new_page()
    errors = watch_errors(page)
    page.goto(live_server + "/")
    launcher = page.locator("button.chat-launcher")
    expect(launcher).to_have_attribute("aria-haspopup", "dialog")
    open_chat_by_keyboard(page)
    expect(page.get_by_role("dialog", name="Chat med Indgang")).to_be_visible()
    expect(log(page)).to_have_attribute("aria-live", "polite")
    expect(log(page)).to_contain_text("Hej. Jeg er Indgangs chatassistent")
    assert focus_is_visible(page)

    page.keyboard.type("min søn ryger hash")
    page.keyboard.press("Enter")
    expect(log(page).locator(".chat-message--user")).to_have_text(
        re.compile("min søn ryger hash"))
    expect(log(page).get_by_text(HTML_TEXT, exact=True)).to_be_visible()
    assert log(page).locator("b, img").count() == 0, "the bot's text is shown as text"
    offer = log(page).get_by_role("link", name="U-turn")
    expect(offer).to_have_attribute("href", "/tilbud/u-turn-koebenhavn")
    expect(log(page)).to_contain_text("Rådgivning til unge og deres forældre")
    assert log(page).get_by_role("link", name="Evil").count() == 0
    expect(page.locator("#chat-input")).to_be_focused()
    assert stub.received[-1]["message"] == "min søn ryger hash"

    # A reply button, by keyboard: its payload goes to the bot, its title shows as said.
    tab_to(page, ".chat-reply")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(log(page).locator(".chat-message--user").last).to_contain_text("København")
    first_buttons = log(page).locator(".chat-buttons").first.get_by_role("button")
    for i in range(first_buttons.count()):
        expect(first_buttons.nth(i)).to_be_disabled()
    # The answer's new buttons show once the assistant has replied, so it has the payload.
    expect(log(page).locator(".chat-buttons")).to_have_count(2)
    expect(log(page).locator(".chat-buttons").last.get_by_role("button").first).to_be_enabled()
    assert stub.received[-1]["message"] == '/inform_municipality{"municipality":"koebenhavn"}'
    expect(page.locator("#chat-input")).to_be_focused()

    # Esc closes; focus returns to the launcher. Reopening keeps the conversation.
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    expect(log(page).locator(".chat-message--user")).to_have_count(2)

    # The close button works too.
    page.get_by_role("button", name="Luk chatten").click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(launcher).to_be_focused()

    # The link works, and the conversation follows to the next page.
    launcher.click()
    log(page).get_by_role("link", name="U-turn").first.click()
    expect(page).to_have_url(live_server + "/tilbud/u-turn-koebenhavn")
    expect(page.get_by_role("heading", level=1)).to_contain_text("U-turn")
    page.locator("button.chat-launcher").click()
    expect(log(page).locator(".chat-message--user")).to_have_count(2)
    assert log(page).locator(".chat-reply:enabled").count() == 2  # only the last turn's
    assert errors == []


@pytest.mark.parametrize("lang", ["da", "en"])
def test_assistant_down_says_so_and_offers_other_ways(live_server, phone, rasa_down, lang):
    home, says, search, intake = {
        "da": ("/", "ikke tilgængelig", "/soeg", "/en-indgang"),
        "en": ("/en/", "not available", "/en/search", "/en/one-entrance"),
    }[lang]
    page = phone.new_page()
    errors = watch_errors(page)
    page.goto(live_server + home)
    page.locator("button.chat-launcher").click()
    page.locator("#chat-input").fill("hej")
    page.locator("#chat-input").press("Enter")
    message = log(page).locator(".chat-message--bot").last
    expect(message).to_contain_text(says)
    expect(message).to_contain_text("112")
    expect(message).to_contain_text("70 201 201")
    hrefs = [a.get_attribute("href") for a in message.get_by_role("link").all()]
    assert hrefs == [search, intake, "tel:112", "tel:70201201"]

    # The page keeps working: the offered search and intake pages open.
    message.get_by_role("link").nth(1).click()
    expect(page).to_have_url(live_server + intake)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.go_back()
    page.locator("button.chat-launcher").click()
    log(page).locator(".chat-message--bot").last.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(re.escape(live_server + search)))
    assert errors == []


def test_portal_unreachable_shows_the_same_fallback(live_server, phone):
    """No answer at all (network down, portal error): the page's own fallback is shown."""
    page = phone.new_page()
    page.goto(live_server + "/en/")
    page.route("**/chat/messages", lambda route: route.abort())
    page.locator("button.chat-launcher").click()
    page.locator("#chat-input").fill("hello")
    page.locator("#chat-input").press("Enter")
    message = log(page).locator(".chat-message--bot").last
    expect(message).to_contain_text("not available")
    expect(message.get_by_role("link", name="Call 112")).to_have_attribute("href", "tel:112")
    page.unroute("**/chat/messages")
    page.route("**/chat/messages", lambda route: route.fulfill(status=500, body="oops"))
    page.locator("#chat-input").fill("hello again")
    page.locator("#chat-input").press("Enter")
    expect(log(page).locator(".chat-message--bot")).to_have_count(4)  # 2 greetings + 2


def test_refusals_are_shown_plainly(live_server, phone, rasa_down):
    page = phone.new_page()
    page.goto(live_server + "/en/")
    page.route("**/chat/messages", lambda route: route.fulfill(
        status=429, content_type="application/json",
        body='{"status": "error", "error": "rate_limited", "message": "Please wait"}'))
    page.locator("button.chat-launcher").click()
    page.locator("#chat-input").fill("hello")
    page.locator("#chat-input").press("Enter")
    expect(log(page).locator(".chat-message--notice")).to_have_text(re.compile("Please wait"))


@pytest.mark.parametrize("lang", ["da", "en"])
def test_no_accessibility_violations_with_the_chat_open(live_server, phone, stub, axe,
                                                        artifacts, lang):
    page = phone.new_page()
    errors = watch_errors(page)
    page.goto(live_server + ("/" if lang == "da" else "/en/"))
    page.locator("button.chat-launcher").click()
    page.locator("#chat-input").fill("min søn ryger hash")
    page.locator("#chat-input").press("Enter")
    expect(log(page).get_by_role("link", name="U-turn")).to_be_visible()
    settled(page)
    save_screenshot(page, str(artifacts / f"chat-open-{lang}.png"), full_page=False)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    panel = page.get_by_role("dialog").bounding_box()
    assert panel["width"] <= 360 and panel["height"] <= 740
    assert_accessible(page, axe)
    assert errors == []


def test_usable_at_200_percent_zoom(browser, live_server, stub):
    """A 1280 × 800 screen at 200 % zoom is 640 × 400 CSS pixels."""
    context = browser.new_context(viewport={"width": 640, "height": 400},
                                  device_scale_factor=2, reduced_motion="reduce")
    page = context.new_page()
    page.goto(live_server + "/en/")
    page.locator("button.chat-launcher").click()
    dialog = page.get_by_role("dialog")
    page.locator("#chat-input").fill("my son smokes hash")
    page.get_by_role("button", name="Send").click()
    expect(log(page).get_by_role("link", name="U-turn")).to_be_visible()
    for target in (page.locator("#chat-input"), page.get_by_role("button", name="Send"),
                   page.get_by_role("button", name="Close chat")):
        expect(target).to_be_in_viewport()
    assert page.evaluate("document.querySelector('.chat-panel').scrollWidth") <= 640
    assert dialog.bounding_box()["width"] <= 640
    context.close()


def test_the_launcher_covers_nothing(live_server, phone):
    page = phone.new_page()
    page.goto(live_server + "/")
    launcher = page.locator("button.chat-launcher")
    expect(launcher).to_be_visible()
    assert page.locator("header .chat-launcher").count() == 1
    # Every footer link can be reached and clicked where it is.
    for link in page.locator("footer a").all():
        link.scroll_into_view_if_needed()
        box = link.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        hit = page.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('a')?.href",
                            [x, y])
        assert hit == link.evaluate("a => a.href")


@pytest.mark.parametrize(("home", "search"), [("/", "/soeg"), ("/en/", "/en/search")])
def test_without_javascript_the_chat_link_leads_to_search(browser, live_server, home, search):
    from tests.browser.conftest import PHONE

    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + home)
    expect(page.get_by_role("dialog")).to_have_count(0)  # a closed dialog is not shown
    page.locator("header").get_by_role("link", name="Chat").click()
    expect(page).to_have_url(live_server + search)
    expect(page.get_by_role("search").first).to_be_visible()
    context.close()


# --- With the real assistant -----------------------------------------------------------

@pytest.mark.rasa
def test_chat_with_the_assistant(live_server, phone, with_rasa, axe, artifacts):
    page = phone.new_page()
    errors = watch_errors(page)
    page.goto(live_server + "/")
    open_chat_by_keyboard(page)
    page.keyboard.type("min søn på 17 ryger hash hver dag")
    page.keyboard.press("Enter")

    # No municipality chosen yet: the assistant asks, with buttons.
    reply = log(page).locator(".chat-reply", has_text=re.compile("Københav"))
    expect(reply.first).to_be_visible(timeout=90_000)
    reply.first.click()
    offer = log(page).locator('a[href="/tilbud/u-turn-koebenhavn"]')
    expect(offer.first).to_be_visible(timeout=90_000)
    expect(reply.first).to_be_disabled()
    settled(page)
    save_screenshot(page, str(artifacts / "chat-assistant-da.png"), full_page=False)
    assert_accessible(page, axe)

    offer.first.click()
    expect(page).to_have_url(live_server + "/tilbud/u-turn-koebenhavn")
    expect(page.get_by_role("heading", level=1)).to_contain_text("U-turn")
    assert errors == []
