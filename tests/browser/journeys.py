"""What the whole-journey browser tests share: an axe check for every page, keyboard
helpers, signing a caseworker in, and the citizen's intake form filled in from start to
receipt.

The form is filled in by the names and values of its fields (not their labels), so the
same helper drives the Danish and the English form; what a person reads is asserted in
the tests themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import PHONE
from tests.browser.pages import assert_accessible

DESKTOP = {"width": 1280, "height": 900}
CODE = re.compile(r"[A-Z0-9]{4}(?:-[A-Z0-9]{4}){3}")
START = {"da": "/en-indgang", "en": "/en/one-entrance"}
STATUS = {"da": "/en-indgang/status", "en": "/en/one-entrance/status"}


def check(page: Page, axe, name: str, phone: bool = False) -> None:
    """axe-core finds no WCAG 2.1 A/AA violation; on a phone nothing is wider than it."""
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    assert_accessible(page, axe, name)


def watch(page: Page, errors: list[str] | None = None,
          expected: set[str] | None = None) -> list[str]:
    """The page's script errors, console errors (a CSP violation is one) and failed
    requests, collected into `errors` (a new list if none). A failed request whose URL
    is in `expected` (a 404 the test asks for) is not an error; the console's own line
    about a failed request is left to the response check."""
    errors = [] if errors is None else errors
    expected = set() if expected is None else expected

    def console(message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def response(answer) -> None:
        if answer.status >= 400 and answer.url not in expected:
            errors.append(f"{answer.status} {answer.url}")

    page.on("console", console)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", response)
    return errors


def press(page: Page, locator: Locator) -> None:
    """Keyboard only: focus the link or button, then Enter."""
    locator.focus()
    page.keyboard.press("Enter")


def tick(page: Page, locator: Locator) -> None:
    """Tick a radio button or checkbox by keyboard: focus it, press space."""
    locator.focus()
    page.keyboard.press("Space")
    expect(locator).to_be_checked()


def sign_in(page: Page, base: str, email: str, password: str, path: str) -> None:
    """A caseworker opens `path`, is sent to sign in, types by keyboard, lands on it."""
    page.goto(base + path)
    expect(page).to_have_url(re.compile(r"/personale/log-ind\?next="))
    page.get_by_label("E-mailadresse").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    expect(page).to_have_url(base + path)


@dataclass
class Asking:
    """The answers of one intake (field values, not labels)."""

    lang: str = "da"
    asker: str = "self"
    authority: str | None = None  # only for a relative or a professional
    municipality: str = "egedal"
    situations: tuple[str, ...] = ("mental-health",)
    story: str = ""
    goals: str = ""
    agencies: tuple[str, ...] = ()
    email: str = "borger@example.dk"
    times: str = ""
    urgency: str = "this-week"
    consents: dict[str, str] = field(default_factory=dict)  # text key -> "yes"/"no"


@dataclass
class Receipt:
    reference: str
    code: str


def _next(page: Page) -> None:
    """Enter on the step's one button; the next page has another title."""
    title = page.title()
    press(page, page.locator("form.intake-form button[type=submit]"))
    expect(page).not_to_have_title(title)


def _option(page: Page, name: str, value: str) -> Locator:
    return page.locator(f'input[name="{name}"][value="{value}"]')


def fill_intake(page: Page, base: str, axe, answers: Asking, name: str) -> Receipt:
    """From the start page to the receipt, every page axe-checked at phone width."""
    page.goto(base + START[answers.lang])
    check(page, axe, f"{name}-start", phone=True)
    press(page, page.get_by_role("link", name="Start", exact=True))  # the same in Danish
    expect(page.locator('input[name="asker"]').first).to_be_visible()
    tick(page, _option(page, "asker", answers.asker))
    if answers.authority:
        tick(page, _option(page, "authority", answers.authority))
    check(page, axe, f"{name}-who", phone=True)
    _next(page)
    page.locator("#f-municipality").select_option(answers.municipality)
    check(page, axe, f"{name}-municipality", phone=True)
    _next(page)
    for situation in answers.situations:
        tick(page, _option(page, "situations", situation))
    if answers.story:
        page.locator("#f-story").fill(answers.story)
    check(page, axe, f"{name}-situation", phone=True)
    _next(page)
    if answers.goals:
        page.locator("#f-goals").fill(answers.goals)
    check(page, axe, f"{name}-goals", phone=True)
    _next(page)
    for agency in answers.agencies:
        tick(page, _option(page, "agencies", agency))
    check(page, axe, f"{name}-agencies", phone=True)
    _next(page)
    tick(page, _option(page, "method", "email"))
    page.locator("#f-email").fill(answers.email)
    if answers.times:
        page.locator("#f-times").fill(answers.times)
    check(page, axe, f"{name}-contact", phone=True)
    _next(page)
    check(page, axe, f"{name}-needs", phone=True)
    _next(page)
    tick(page, _option(page, "urgency", answers.urgency))
    check(page, axe, f"{name}-urgency", phone=True)
    _next(page)
    for key, answer in answers.consents.items():
        tick(page, page.locator(f"#f-consent-{key}" + ("" if answer == "yes" else "-no")))
    check(page, axe, f"{name}-consent", phone=True)
    _next(page)
    check(page, axe, f"{name}-review", phone=True)
    _next(page)  # "Send the request"
    reference = page.locator(".alert-success .booking-reference").inner_text().strip()
    code = CODE.search(page.locator(".intake-code").inner_text())
    assert reference and code, "the receipt shows the reference and the code"
    check(page, axe, f"{name}-receipt", phone=True)
    return Receipt(reference, code.group(0))


def open_status(page: Page, base: str, axe, receipt: Receipt, lang: str, name: str) -> None:
    """The citizen (another browser) opens the status page with reference and code."""
    page.goto(base + STATUS[lang])
    check(page, axe, f"{name}-status-form", phone=True)
    page.locator("#f-reference").focus()
    page.keyboard.type(receipt.reference)
    page.locator("#f-code").focus()
    page.keyboard.type(receipt.code)
    page.keyboard.press("Enter")
    expect(page.locator("h1 .booking-reference")).to_have_text(receipt.reference)
    check(page, axe, f"{name}-status", phone=True)
