"""Whole journeys of the one-entrance intake in Chromium, both sides at once: the citizen
(or a relative) on a phone (360 × 740), the caseworker on a desktop, each in a browser
context of their own, against one live portal with the demo teams and caseworkers
(`flask demo load`). axe-core finds no WCAG 2.1 A/AA violation on any page either of
them visits; the citizen's pages are no wider than the phone. Typing, ticking and
pressing are done by keyboard.

1. A citizen's intake with a yes and a no to consent → the routed team's caseworker
   accepts → the citizen sees their coordinating caseworker and how to reach them, and
   withdraws the consent → the caseworker sees it withdrawn, in the history too.
2. A relative without authority: the intake waits for the citizen's consent, which the
   citizen gives on the status page; a relative with power of attorney: "fuldmagt".
3. The coordinating caseworker hands the intake over to another team with a reason.
4. A caseworker of another municipality gets the same 404 as for an unknown reference;
   the coordinating caseworker sees who looked at the intake.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from portal import demo
from portal.core.extensions import db
from portal.core.models import utcnow
from portal.intake import service as intakes
from tests.booking.own_db import booking_app
from tests.browser.conftest import PHONE
from tests.browser.journeys import (
    DESKTOP,
    Asking,
    Receipt,
    check,
    fill_intake,
    open_status,
    press,
    sign_in,
    tick,
    watch,
)
from tests.caseworker.helpers import STORY, make_intake
from tests.conftest import served
from tests.staff.helpers import PASSWORD, new_member

pytestmark = pytest.mark.browser

INBOX = "/personale/henvendelser"
CSS = ("css.egedal@demo.invalid", "Dorte Demo (sagsbehandler, CSS Egedal)",
       "Center for Social Service, Egedal (demo)", "css@egedal.demo.invalid")
JOBCENTRE = ("jobcenter.egedal@demo.invalid", "Emil Demo (sagsbehandler, Jobcenter Egedal)",
             "Jobcenter Egedal (demo)")
FREDERICIA = "dinindgang.fredericia@demo.invalid"
# The purposes of the consent texts (content/consents/egedal.yml and default.yml).
JOBCENTRE_DA = "At kommunens koordinerende sagsbehandler og jobcentret kan lægge én fælles " \
               "plan med dig."
PSYCHIATRY_DA = "At kommunens koordinerende sagsbehandler og psykiatrien kan lægge én " \
                "fælles plan med dig."
DOCTOR_EN = "So that the municipality's coordinating caseworker and your own doctor can " \
            "make one joint plan with you."


@pytest.fixture(scope="module")
def portal(tmp_path_factory) -> Iterator[tuple[Flask, str]]:
    """One live portal for the module (threaded, as `make run` serves it), with the demo
    teams and caseworkers; no per-address limit on intakes (all come from 127.0.0.1)."""
    app = booking_app(tmp_path_factory, "intake_journeys", INTAKE_RATE_LIMIT="")
    with served(app) as url:
        yield app, url
    with app.app_context():
        db.engine.dispose()


class People:
    """Browser contexts opened in one test (each a person's own browser), all closed
    at its end; every page's script errors are collected."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []
        self.expected: set[str] = set()  # URLs the test expects to fail (404s)

    def _page(self, viewport: dict) -> Page:
        context = self.browser.new_context(viewport=viewport)
        self.contexts.append(context)
        context.set_default_timeout(10_000)
        page = context.new_page()
        watch(page, self.errors, self.expected)
        return page

    def phone(self) -> Page:
        return self._page(PHONE)

    def desk(self) -> Page:
        return self._page(DESKTOP)


@pytest.fixture()
def people(browser) -> Iterator[People]:
    crowd = People(browser)
    yield crowd
    for context in crowd.contexts:
        context.close()


def group(page: Page, key: str):
    """An inbox group's list (new, awaiting, mine, others, closed)."""
    return page.locator(f'ul[aria-labelledby="group-{key}"]')


def intake_link(page: Page, reference: str):
    return page.get_by_role("link", name=f"Henvendelse {reference}", exact=True)


def consent_item(page: Page, purpose: str):
    """A consent on the caseworker's handoff page, by its purpose."""
    return page.locator("li.day-item").filter(has=page.get_by_role("heading", name=purpose))


def test_citizen_consents_caseworker_accepts_citizen_sees_them_and_withdraws(
        portal, people, axe):
    app, base = portal
    citizen, worker = people.phone(), people.desk()

    # The citizen, on a phone in Danish: mental health and work, the jobcentre and the
    # psychiatry involved; yes to the jobcentre, no to the psychiatry.
    receipt = fill_intake(citizen, base, axe, Asking(
        lang="da", situations=("mental-health", "work-education"),
        story="Jeg sover dårligt og kan ikke passe mit arbejde.", goals="At sove igen.",
        agencies=("jobcentre", "psychiatry"),
        consents={"share-jobcentre": "yes", "share-psychiatry": "no"}), "j1")
    expect(citizen.get_by_text(f"Din henvendelse er sendt til {CSS[2]}.")).to_be_visible()
    given = citizen.locator("section.intake-consent-record")
    expect(given).to_have_count(1)
    expect(given).to_contain_text(JOBCENTRE_DA)
    expect(citizen.locator("h2#consents-not-given + ul")).to_contain_text(PSYCHIATRY_DA)

    # The weightiest need (mental health) routes it to CSS: its caseworker signs in,
    # finds it among the new intakes and opens the handoff page.
    sign_in(worker, base, CSS[0], demo.PASSWORD, INBOX)
    expect(group(worker, "new").locator(intake_link(worker, receipt.reference))).to_be_visible()
    check(worker, axe, "j1-inbox")
    press(worker, intake_link(worker, receipt.reference))
    expect(worker.get_by_role("heading", level=1)).to_contain_text(receipt.reference)
    expect(worker.get_by_text("Jeg sover dårligt og kan ikke passe mit arbejde.")).to_be_visible()
    expect(consent_item(worker, JOBCENTRE_DA)).to_contain_text("Givet")
    expect(consent_item(worker, PSYCHIATRY_DA)).to_have_count(0)  # said no: not given
    check(worker, axe, "j1-handoff")
    press(worker, worker.get_by_role("button", name="Modtag: bliv koordinerende sagsbehandler"))
    expect(worker.get_by_text(f"Du er nu koordinerende sagsbehandler for {receipt.reference}."
                              )).to_be_visible()
    check(worker, axe, "j1-accepted")

    # Later, in another browser, the citizen opens the status page with reference and
    # code: their coordinating caseworker, and how to reach them.
    status = people.phone()
    open_status(status, base, axe, receipt, "da", "j1")
    facts = status.locator("dl.booking-summary")
    expect(facts).to_contain_text("En koordinerende sagsbehandler har taget den")
    expect(facts).to_contain_text(CSS[1])
    expect(facts.get_by_role("link", name=CSS[3])).to_have_attribute("href", f"mailto:{CSS[3]}")

    # One press withdraws the consent to the jobcentre, at once.
    withdraw = status.get_by_role("button", name=re.compile(
        rf"^Tilbagekald samtykke\s*: {re.escape(JOBCENTRE_DA)}$"))
    press(status, withdraw)
    expect(status.get_by_text("Dit samtykke er trukket tilbage:")).to_be_visible()
    expect(status.locator("section.intake-consent-record")).to_contain_text("Trukket tilbage")
    expect(status.get_by_role("button", name="Tilbagekald samtykke")).to_have_count(0)
    check(status, axe, "j1-status-withdrawn", phone=True)

    # The caseworker reloads: withdrawn, and the history says so.
    worker.reload()
    expect(consent_item(worker, JOBCENTRE_DA)).to_contain_text("Trukket tilbage")
    expect(worker.locator("ol.intake-history")).to_contain_text(
        "Borgeren trak et samtykke tilbage")
    check(worker, axe, "j1-withdrawn")
    assert people.errors == []


def test_a_relative_asks_and_the_citizen_consents_on_the_status_page(portal, people, axe):
    app, base = portal
    relative, worker = people.phone(), people.desk()

    # A relative, in English, without power of attorney or guardianship.
    receipt = fill_intake(relative, base, axe, Asking(
        lang="en", asker="relative", authority="none", situations=("loneliness",),
        story="My brother has been alone at home for months.", agencies=("doctor",),
        email="pårørende@example.dk"), "j2")
    expect(relative.locator("dl.booking-summary")).to_contain_text(
        "Waiting for the consent of the person it is about")
    expect(relative.get_by_text("Your request waits for the consent of the person it is "
                                "about.")).to_be_visible()

    # The caseworker finds it among those awaiting the citizen's consent, and may not
    # accept it yet.
    sign_in(worker, base, CSS[0], demo.PASSWORD, INBOX)
    awaiting = group(worker, "awaiting")
    expect(awaiting.locator(intake_link(worker, receipt.reference))).to_be_visible()
    item = awaiting.locator("li").filter(has=intake_link(worker, receipt.reference))
    expect(item).to_contain_text(
        "En pårørende, uden fuldmagt eller værgemål: venter på borgerens samtykke")
    check(worker, axe, "j2-inbox")
    press(worker, intake_link(worker, receipt.reference))
    expect(worker.get_by_role("heading", level=1)).to_contain_text("Venter på borgerens samtykke")
    expect(worker.get_by_text("Henvendelsen venter på borgerens samtykke.")).to_be_visible()
    expect(worker.get_by_role("button", name="Modtag: bliv koordinerende sagsbehandler")
           ).to_have_count(0)
    check(worker, axe, "j2-handoff-awaiting")

    # The citizen, given the reference and the code, consents themselves.
    citizen = people.phone()
    open_status(citizen, base, axe, receipt, "en", "j2")
    press(citizen, citizen.get_by_role("link", name="I am the person: I want to give consent"))
    expect(citizen.get_by_role("heading", level=1, name="Give consent")).to_be_visible()
    check(citizen, axe, "j2-give-consent", phone=True)
    tick(citizen, citizen.locator("#f-consent-share-doctor"))
    tick(citizen, citizen.get_by_label("I am the person this request is about, and I want "
                                       "the municipality to contact me."))
    press(citizen, citizen.get_by_role("button", name="Save my answers"))
    expect(citizen.get_by_text("Thank you. Your answers are saved, and your request is now "
                               "with the team.")).to_be_visible()
    expect(citizen.locator("dl.booking-summary")).to_contain_text(
        "Received: waiting for a caseworker to take it")
    check(citizen, axe, "j2-status-consented", phone=True)

    # The caseworker sees it arrive among the new ones, consented by the citizen.
    worker.goto(base + INBOX)
    expect(group(worker, "new").locator(intake_link(worker, receipt.reference))).to_be_visible()
    expect(group(worker, "awaiting").locator(intake_link(worker, receipt.reference))
           ).to_have_count(0)
    check(worker, axe, "j2-inbox-received")
    press(worker, intake_link(worker, receipt.reference))
    expect(consent_item(worker, DOCTOR_EN)).to_contain_text("Givet")
    expect(consent_item(worker, DOCTOR_EN)).to_contain_text("af borgeren")
    expect(worker.locator("ol.intake-history")).to_contain_text("Borgeren gav samtykke")
    expect(worker.get_by_role("button", name="Modtag: bliv koordinerende sagsbehandler")
           ).to_be_visible()
    check(worker, axe, "j2-handoff-received")
    assert people.errors == []


def test_the_deadline_runs_from_the_citizens_consent_not_the_relatives_request(
        portal, people, axe):
    """A relative asked a week ago; nobody may start before the citizen consents, so
    nothing is overdue then, and the two working days run from the consent."""
    app, base = portal
    with app.app_context():
        sent = intakes.submit(intakes.IntakeData(
            lang="da", municipality="egedal", asker="relative", authority="none",
            situations=["loneliness"], story="Min mor er meget alene.", goals="",
            agencies=["doctor"], contact={"method": "email", "email": "mor@example.dk"},
            needs=[], urgency="this-week", consents=[]),
            "web", now=utcnow() - dt.timedelta(days=7))
        receipt = Receipt(sent.intake.reference, sent.code)
    worker, citizen = people.desk(), people.phone()

    sign_in(worker, base, CSS[0], demo.PASSWORD, INBOX)
    item = group(worker, "awaiting").locator("li").filter(
        has=intake_link(worker, receipt.reference))
    expect(item).to_contain_text("Første kontakt senest")
    expect(item).not_to_contain_text("FORSINKET")
    check(worker, axe, "j2d-inbox-awaiting")

    open_status(citizen, base, axe, receipt, "da", "j2d")
    press(citizen, citizen.get_by_role("link", name="Jeg er personen: Jeg vil give samtykke"))
    expect(citizen.locator("#f-self")).to_be_visible()
    check(citizen, axe, "j2d-give-consent", phone=True)
    tick(citizen, citizen.locator("#f-consent-share-doctor-no"))
    tick(citizen, citizen.locator("#f-self"))
    press(citizen, citizen.get_by_role("button", name="Gem mine svar"))
    expect(citizen.locator("dl.booking-summary")).to_contain_text("Vi kontakter dig senest")
    check(citizen, axe, "j2d-status-consented", phone=True)

    worker.reload()
    item = group(worker, "new").locator("li").filter(has=intake_link(worker, receipt.reference))
    expect(item).to_be_visible()
    expect(item).not_to_contain_text("FORSINKET")
    check(worker, axe, "j2d-inbox-new")
    with app.app_context():
        due = intakes.by_reference(receipt.reference).contact_due_at
    assert due > utcnow() + dt.timedelta(days=1)  # two working days from today
    assert people.errors == []


def test_a_relative_with_power_of_attorney_consents_and_the_caseworker_sees_fuldmagt(
        portal, people, axe):
    app, base = portal
    relative, worker = people.phone(), people.desk()
    receipt = fill_intake(relative, base, axe, Asking(
        lang="da", asker="relative", authority="power_of_attorney", situations=("housing",),
        agencies=("jobcentre",), consents={"share-jobcentre": "yes"}), "j2f")
    expect(relative.locator("section.intake-consent-record")).to_contain_text(
        "af en pårørende eller fagperson med fuldmagt")

    sign_in(worker, base, CSS[0], demo.PASSWORD, INBOX)
    item = group(worker, "new").locator("li").filter(has=intake_link(worker, receipt.reference))
    expect(item).to_contain_text("En pårørende, med fuldmagt")
    press(worker, intake_link(worker, receipt.reference))
    expect(consent_item(worker, JOBCENTRE_DA)).to_contain_text(
        "af en pårørende med fuldmagt")
    check(worker, axe, "j2f-handoff")
    assert people.errors == []


def test_hand_over_to_the_jobcentre_with_a_reason(portal, people, axe):
    app, base = portal
    reference = make_intake(app, situations=("housing",))  # CSS takes housing
    css, jobcentre = people.desk(), people.desk()

    sign_in(css, base, CSS[0], demo.PASSWORD, f"{INBOX}/{reference}")
    press(css, css.get_by_role("button", name="Modtag: bliv koordinerende sagsbehandler"))
    expect(css.get_by_text(f"Du er nu koordinerende sagsbehandler for {reference}.")
           ).to_be_visible()
    css.get_by_label("Team", exact=True).select_option(label=JOBCENTRE[2])
    css.get_by_label("Hvorfor (gemmes i historikken)").fill(
        "Borgeren vil først og fremmest i job.")
    press(css, css.get_by_role("button", name="Overdrag", exact=True))
    expect(css).to_have_url(base + INBOX)
    expect(css.get_by_text(f"{reference} er overdraget til {JOBCENTRE[2]}.")).to_be_visible()
    expect(intake_link(css, reference)).to_have_count(0)  # gone from CSS's inbox
    check(css, axe, "j3-css-inbox")

    # The old URL is now the same 404 as a reference that never existed.
    people.expected |= {f"{base}{INBOX}/{reference}", f"{base}{INBOX}/ZZZZ-ZZZZ"}
    gone = css.goto(f"{base}{INBOX}/{reference}")
    assert gone is not None and gone.status == 404
    gone_text = css.locator("main").inner_text()
    check(css, axe, "j3-css-404")
    unknown = css.goto(f"{base}{INBOX}/ZZZZ-ZZZZ")
    assert unknown is not None and unknown.status == 404
    assert css.locator("main").inner_text() == gone_text

    # The jobcentre's caseworker finds it among the new ones; the history has the reason.
    sign_in(jobcentre, base, JOBCENTRE[0], demo.PASSWORD, INBOX)
    expect(group(jobcentre, "new").locator(intake_link(jobcentre, reference))).to_be_visible()
    check(jobcentre, axe, "j3-jobcentre-inbox")
    press(jobcentre, intake_link(jobcentre, reference))
    history = jobcentre.locator("ol.intake-history")
    expect(history).to_contain_text(f"Overdraget fra {CSS[2]} til {JOBCENTRE[2]} af {CSS[1]}")
    expect(history).to_contain_text("Borgeren vil først og fremmest i job.")
    expect(jobcentre.get_by_role("button", name="Modtag: bliv koordinerende sagsbehandler")
           ).to_be_visible()
    check(jobcentre, axe, "j3-jobcentre-handoff")
    assert people.errors == []


def test_another_municipality_gets_a_404_and_the_coordinator_sees_who_looked(
        portal, people, axe):
    app, base = portal
    reference = make_intake(app, situations=("mental-health",))  # Egedal: CSS
    _colleague_id, colleague_email = new_member(app, roles=("caseworker",), unit="egedal-css")
    fredericia, colleague, coordinator = people.desk(), people.desk(), people.desk()

    # A caseworker of Fredericia guesses the URL: the same 404 as an unknown reference.
    people.expected |= {f"{base}{INBOX}/{reference}", f"{base}{INBOX}/ZZZZ-ZZZZ"}
    sign_in(fredericia, base, FREDERICIA, demo.PASSWORD, INBOX)
    expect(intake_link(fredericia, reference)).to_have_count(0)
    check(fredericia, axe, "j4-fredericia-inbox")
    guessed = fredericia.goto(f"{base}{INBOX}/{reference}")
    assert guessed is not None and guessed.status == 404
    guessed_text = fredericia.locator("main").inner_text()
    assert STORY not in guessed_text
    check(fredericia, axe, "j4-fredericia-404")
    unknown = fredericia.goto(f"{base}{INBOX}/ZZZZ-ZZZZ")
    assert unknown is not None and unknown.status == 404
    assert fredericia.locator("main").inner_text() == guessed_text

    # A colleague in CSS looks at it; then the demo caseworker accepts it and, as the
    # coordinating caseworker, sees the colleague's view in the audit log.
    sign_in(colleague, base, colleague_email, PASSWORD, f"{INBOX}/{reference}")
    expect(colleague.get_by_text(STORY)).to_be_visible()
    expect(colleague.get_by_role("heading", name="Hvem har set denne henvendelse")
           ).to_have_count(0)  # not theirs to see
    check(colleague, axe, "j4-colleague-handoff")

    sign_in(coordinator, base, CSS[0], demo.PASSWORD, f"{INBOX}/{reference}")
    press(coordinator, coordinator.get_by_role(
        "button", name="Modtag: bliv koordinerende sagsbehandler"))
    expect(coordinator.get_by_role("heading", name="Hvem har set denne henvendelse")
           ).to_be_visible()
    looked = coordinator.locator("ul.intake-audit")
    expect(looked).to_contain_text(f"{colleague_email} — view")
    expect(looked).to_contain_text(f"{CSS[0]} — accept")
    expect(looked).not_to_contain_text(FREDERICIA)  # a 404 showed them nothing
    check(coordinator, axe, "j4-coordinator-audit")
    assert people.errors == []
