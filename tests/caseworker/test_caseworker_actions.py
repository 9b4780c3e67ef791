"""The coordinating role: accept (once, atomically), hand over with a reason, log a
contact (clears overdue), close; the e-mails they queue; the transcript only with an
active consent."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import select

from portal.caseworker import service
from portal.core.extensions import db
from portal.core.models import utcnow
from portal.intake import service as intakes
from portal.intake.models import Intake
from portal.outbox.models import OutboxMessage
from portal.staff import service as staff
from tests.caseworker.helpers import (
    EMAIL,
    INBOX,
    PHONE,
    STORY,
    caseworker,
    consent_ids,
    make_intake,
    page,
    transcript_text_id,
)
from tests.staff.helpers import new_member, text_of, token


def post(client, reference: str, suffix: str, **data):
    return client.post(page(reference, suffix),
                       data={"csrf_token": token(client, page(reference)), **data})


def mail_to(app, recipient: str, reference: str) -> list[OutboxMessage]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient == recipient, OutboxMessage.key.contains(reference))))


def status_of(app, reference: str) -> tuple:
    with app.app_context():
        i = intakes.by_reference(reference)
        team = staff.get_unit("egedal-css")
        return i.status, i.caseworker_id, i.team_id == team.id, i.first_contact_at


def test_accept_makes_me_the_coordinator_and_tells_the_citizen_once(cw_app):
    reference = make_intake(cw_app)
    client, me, _email = caseworker(cw_app)
    response = post(client, reference, "/modtag")
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Du er nu koordinerende sagsbehandler" in text_of(html) or \
        "coordinating caseworker for" in text_of(html)
    assert status_of(cw_app, reference)[:2] == ("accepted", me)
    assert reference in text_of(client.get(INBOX).get_data(as_text=True))
    mails = mail_to(cw_app, EMAIL, reference)
    assert len(mails) == 1
    # No personal data in it beyond the reference.
    assert STORY not in mails[0].body and PHONE not in mails[0].body
    assert reference in mails[0].body


def test_a_second_accept_is_refused_politely(cw_app):
    reference = make_intake(cw_app)
    first, me, _email = caseworker(cw_app)
    second, _other, _email = caseworker(cw_app)
    assert post(first, reference, "/modtag").status_code == 303
    response = post(second, reference, "/modtag")
    assert response.status_code == 303
    html = text_of(second.get(response.headers["Location"]).get_data(as_text=True))
    assert "Another caseworker accepted" in html or "En anden sagsbehandler" in html
    assert status_of(cw_app, reference)[1] == me
    assert len(mail_to(cw_app, EMAIL, reference)) == 1


def test_two_accepting_at_once_exactly_one_wins(cw_app):
    reference = make_intake(cw_app)
    ids = [new_member(cw_app, roles=("caseworker",), unit="egedal-css")[0] for _ in range(2)]
    barrier = threading.Barrier(2)
    results: dict[int, str] = {}

    def accept(member_id: int) -> None:
        with cw_app.app_context():
            member = staff.get_member(member_id)
            item = intakes.by_reference(reference)
            barrier.wait()
            try:
                service.accept(member, item)
                results[member_id] = "won"
            except service.NotAllowed as refused:
                results[member_id] = refused.code

    threads = [threading.Thread(target=accept, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == ["taken", "won"]
    winner = next(i for i, r in results.items() if r == "won")
    assert status_of(cw_app, reference)[:2] == ("accepted", winner)


def test_hand_over_moves_it_to_the_other_team_with_its_reason(cw_app):
    reference = make_intake(cw_app)
    css, me, _email = caseworker(cw_app, "egedal-css")
    job, _id, _email = caseworker(cw_app, "egedal-jobcenter")
    post(css, reference, "/modtag")
    # A reason is required, and the team must be one of the municipality's.
    response = post(css, reference, "/overdrag", team="egedal-jobcenter", reason=" ")
    assert response.status_code == 400
    assert "Skriv, hvorfor" in text_of(response.get_data(as_text=True)) or \
        "Write why" in text_of(response.get_data(as_text=True))
    response = post(css, reference, "/overdrag", team="fredericia-voksen", reason="x")
    assert response.status_code == 400
    response = post(css, reference, "/overdrag", team="egedal-jobcenter",
                    reason="Beskæftigelse er det tungeste")
    assert response.status_code == 303
    assert "Jobcenter Egedal" in text_of(css.get(INBOX).get_data(as_text=True))  # the notice
    assert reference not in text_of(css.get(INBOX).get_data(as_text=True))
    assert css.get(page(reference)).status_code == 404
    job_inbox = text_of(job.get(INBOX).get_data(as_text=True))
    assert reference in job_inbox
    html = text_of(job.get(page(reference)).get_data(as_text=True))
    assert "Beskæftigelse er det tungeste" in html  # the history keeps the reason
    status, coordinator, in_css, _first = status_of(cw_app, reference)
    assert (status, coordinator, in_css) == ("received", None, False)
    assert len(mail_to(cw_app, "jobcenter@egedal.demo.invalid", reference)) == 1


def test_only_the_coordinator_hands_over_logs_and_closes(cw_app):
    reference = make_intake(cw_app)
    mine, _me, _email = caseworker(cw_app)
    colleague, _id, _email = caseworker(cw_app)
    post(mine, reference, "/modtag")
    for suffix, data in (("/overdrag", {"team": "egedal-jobcenter", "reason": "r"}),
                         ("/kontakt", {"method": "phone"}), ("/luk", {"reason": "r"})):
        response = post(colleague, reference, suffix, **data)
        assert response.status_code == 303
        html = text_of(colleague.get(response.headers["Location"]).get_data(as_text=True))
        assert "Only the coordinating caseworker" in html or "Kun den koordinerende" in html
    assert status_of(cw_app, reference)[0] == "accepted"
    assert status_of(cw_app, reference)[3] is None


def test_a_logged_contact_clears_overdue(cw_app):
    arrived = utcnow() - dt.timedelta(days=10)
    reference = make_intake(cw_app, now=arrived)
    client, _me, _email = caseworker(cw_app)
    assert "OVERDUE" in client.get(INBOX).get_data(as_text=True) or \
        "FORSINKET" in client.get(INBOX).get_data(as_text=True)
    post(client, reference, "/modtag")
    response = post(client, reference, "/kontakt", method="")
    assert response.status_code == 400
    response = post(client, reference, "/kontakt", method="phone", note="Talte med borgeren")
    assert response.status_code == 303
    assert status_of(cw_app, reference)[3] is not None
    html = client.get(page(reference)).get_data(as_text=True)
    assert "OVERDUE" not in html and "FORSINKET" not in html
    assert "Talte med borgeren" in html


def test_close_needs_a_reason_and_ends_the_actions(cw_app):
    reference = make_intake(cw_app)
    client, _me, _email = caseworker(cw_app)
    post(client, reference, "/modtag")
    assert post(client, reference, "/luk", reason="").status_code == 400
    assert post(client, reference, "/luk", reason="Hjulpet videre").status_code == 303
    assert status_of(cw_app, reference)[0] == "closed"
    html = client.get(page(reference)).get_data(as_text=True)
    assert 'name="reason"' not in html  # no more forms
    inbox = client.get(INBOX).get_data(as_text=True)
    assert reference in inbox


def test_overdue_counts_working_days_over_weekends_and_holidays(cw_app):
    cph = intakes.TIMEZONE
    with cw_app.app_context():
        # Wednesday 1 April 2026: Maundy Thursday, Good Friday, the weekend and Easter
        # Monday are days off, so two working days end on Wednesday 8 April.
        arrived = dt.datetime(2026, 4, 1, 10, 0, tzinfo=cph)
        due = intakes.contact_due(arrived)
        assert due.astimezone(cph).date() == dt.date(2026, 4, 8)
        item = Intake(status="received", contact_due_at=due)
        assert not intakes.is_overdue(item, dt.datetime(2026, 4, 8, 20, 0, tzinfo=cph))
        assert intakes.is_overdue(item, dt.datetime(2026, 4, 9, 0, 30, tzinfo=cph))
        # Friday 13 March 2026: Monday and Tuesday.
        due = intakes.contact_due(dt.datetime(2026, 3, 13, 15, 0, tzinfo=cph))
        assert due.astimezone(cph).date() == dt.date(2026, 3, 17)
        item.first_contact_at = dt.datetime(2026, 3, 20, tzinfo=cph)
        assert not intakes.is_overdue(item, dt.datetime(2026, 4, 30, tzinfo=cph))


def test_the_team_is_told_once_on_arrival_without_personal_data(cw_app):
    reference = make_intake(cw_app)
    mails = mail_to(cw_app, "css@egedal.demo.invalid", reference)
    assert len(mails) == 1
    assert STORY not in mails[0].body and EMAIL not in mails[0].body
    with cw_app.app_context():
        item = intakes.by_reference(reference)
        from portal.intake import notify

        notify.received(item, staff.get_unit("egedal-css"))
        db.session.commit()
    assert len(mail_to(cw_app, "css@egedal.demo.invalid", reference)) == 1


def test_a_team_without_an_address_is_told_through_its_caseworkers(cw_app):
    with cw_app.app_context():
        unit = staff.get_unit("egedal-jobcenter")
        unit.email = None
        db.session.commit()
    try:
        _id, email = new_member(cw_app, roles=("caseworker",), unit="egedal-jobcenter")
        reference = make_intake(cw_app, situations=("work-education",))
        assert len(mail_to(cw_app, email, reference)) == 1
        assert len(mail_to(cw_app, "jobcenter.egedal@demo.invalid", reference)) == 1
    finally:
        with cw_app.app_context():
            staff.get_unit("egedal-jobcenter").email = "jobcenter@egedal.demo.invalid"
            db.session.commit()


def test_no_email_to_a_citizen_who_gave_none(cw_app):
    reference = make_intake(cw_app, email=None)
    client, _me, _email = caseworker(cw_app)
    post(client, reference, "/modtag")
    with cw_app.app_context():
        keys = list(db.session.scalars(select(OutboxMessage.key).where(
            OutboxMessage.key.contains(reference))))
    assert not any(":accepted:" in key for key in keys)


def test_the_transcript_is_shown_only_while_its_consent_is_active(cw_app):
    transcript = "Borger: jeg har brug for hjælp til min gæld"
    tid = transcript_text_id(cw_app)
    reference = make_intake(cw_app, consents=[tid], transcript=transcript, channel="chat")
    client, _me, _email = caseworker(cw_app)
    assert transcript in client.get(page(reference)).get_data(as_text=True)
    with cw_app.app_context():
        item = intakes.by_reference(reference)
        consent = next(c for c in item.consents if c.text_id == tid)
        intakes.withdraw(item, consent.id)
    html = client.get(page(reference)).get_data(as_text=True)
    assert transcript not in html
    assert "withdrew their consent" in html or "trukket" in html


def test_consents_are_listed_with_the_exact_text_shown(cw_app):
    given = consent_ids(cw_app)[:2]
    reference = make_intake(cw_app, consents=given)
    client, _me, _email = caseworker(cw_app)
    html = client.get(page(reference)).get_data(as_text=True)
    with cw_app.app_context():
        item = intakes.by_reference(reference)
        consent = item.consents[0]
        text, cid = consent.consent_text.text, consent.id
    assert page(reference, f"/samtykke/{cid}") in html
    shown = client.get(page(reference, f"/samtykke/{cid}"))
    assert shown.status_code == 200
    assert text.split("\n")[0][:40] in text_of(shown.get_data(as_text=True))
    assert client.get(page(reference, "/samtykke/999999")).status_code == 404


def test_a_relatives_intake_without_authority_waits_for_consent(cw_app):
    reference = make_intake(cw_app, asker="relative", authority="none")
    client, _me, _email = caseworker(cw_app)
    html = text_of(client.get(page(reference)).get_data(as_text=True))
    assert "A relative cannot consent" in html or "pårørende kan ikke" in html.lower()
    assert "Accept: become" not in html
    reference2 = make_intake(cw_app, asker="relative", authority="power_of_attorney")
    html = text_of(client.get(page(reference2)).get_data(as_text=True))
    assert "fuldmagt" in html


def test_suggested_open_offers_for_the_situations(cw_app):
    reference = make_intake(cw_app, situations=("mental-health",))
    client, _me, _email = caseworker(cw_app)
    with cw_app.app_context():
        item = intakes.by_reference(reference)
        offers = service.suggested_offers(item, "da")
        assert offers and all(o.access in ("open", "self") for _s, items in offers
                              for o in items)
        slugs = [o.slug for _s, items in offers for o in items]
    assert "straksraadgivning-egedal" in slugs            # open, in Egedal
    assert "gruppeforloeb-psykiatri-egedal" not in slugs  # needs a referral
    assert "straksraadgivning-egedal" in client.get(page(reference)).get_data(as_text=True)
