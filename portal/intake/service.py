"""The one-entrance intake's rules: one place for the web form, the API and the chat.

- Which consent texts a person in a municipality sees (`consent_texts`): the default
  texts, each replaced by the municipality's own text with the same id.
- Which team takes an intake (`route`): the team of the weightiest life situation in
  content/routing.yml (the municipality's rules first, then the default), else the
  fallback team; the unit "<municipality>-<team>".
- Submitting (`submit`): an adult's consent is their own. A relative without power of
  attorney or guardianship cannot consent for them: their intake waits for the
  citizen's consent ("awaiting_consent"); a professional cannot consent for them either.
  Consents are stored with the exact text version shown, its hash, the language, the
  time, the channel, who gave them and in what capacity.
- Opening an intake with its reference and code (`open_intake`), withdrawing a consent
  (from now on, never deleting it), adding information.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from portal.core import codes
from portal.core.extensions import db
from portal.core.i18n import TIMEZONE
from portal.core.models import utcnow
from portal.core.ratelimit import RateLimiter
from portal.intake.models import (
    ACCEPTED,
    AWAITING_CONSENT,
    CLOSED,
    RECEIVED,
    Consent,
    ConsentText,
    Intake,
    IntakeDraft,
    IntakeEvent,
    RoutingRule,
)
from portal.intake.workdays import add_working_days
from portal.staff import service as staff


class IntakeError(ValueError):
    """Input the rules refuse, per field (the caller shows the messages)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


class AccessDenied(Exception):
    """Unknown reference or wrong code (never told apart)."""


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("too many attempts")
        self.retry_after = retry_after


@dataclass
class IntakeData:
    """A complete intake, validated for shape by the caller (web form, API, chat)."""

    lang: str
    municipality: str
    asker: str
    authority: str
    situations: list[str]
    story: str
    goals: str
    agencies: list[str]
    contact: dict
    needs: list[str]
    urgency: str
    agencies_other: str = ""
    consents: list[int] = field(default_factory=list)  # ConsentText ids given
    summary: str = ""          # from the chat
    transcript: str | None = None


@dataclass(frozen=True)
class Submitted:
    intake: Intake
    code: str  # shown once; only its hash is kept


# --- consent texts -------------------------------------------------------------------


def consent_texts(municipality: str, lang: str) -> list[ConsentText]:
    """The consent texts a person in `municipality` sees: the newest version of each
    default text, replaced by the municipality's own where it has one."""
    rows = db.session.scalars(select(ConsentText).where(
        ConsentText.active, ConsentText.lang == lang,
        ConsentText.municipality.in_(("", municipality))
    ).order_by(ConsentText.key, ConsentText.version))
    chosen: dict[str, ConsentText] = {}
    for row in rows:
        current = chosen.get(row.key)
        if (current is None or (row.municipality and not current.municipality)
                or (row.municipality == current.municipality and row.version > current.version)):
            chosen[row.key] = row
    return sorted(chosen.values(), key=lambda t: (t.transcript, t.key))


def consent_text(text_id: int) -> ConsentText | None:
    return db.session.get(ConsentText, text_id)


# --- routing -------------------------------------------------------------------------


def route(municipality: str, situations: list[str]):
    """The team (a staff unit) that takes an intake about `situations` in `municipality`:
    the team of its weightiest situation (the municipality's own routing, else the
    default's), else the fallback; None when the municipality has no such team."""
    rules = list(db.session.scalars(select(RoutingRule).where(
        RoutingRule.municipality.in_(("", municipality)))))
    own = {r.situation: r for r in rules if r.municipality == municipality}
    table = own or {r.situation: r for r in rules if r.municipality == ""}
    chosen = sorted((table[s] for s in set(situations) if s and s in table),
                    key=lambda r: r.rank)
    if "" in table:
        chosen.append(table[""])
    for rule in chosen:
        unit = staff.get_unit(f"{municipality}-{rule.team}")
        if unit is not None:
            return unit
    return None


def served_municipalities() -> set[str]:
    """Municipalities with a team to take intakes."""
    return {unit.municipality for unit in staff.teams()}


# --- submitting ----------------------------------------------------------------------


def needs_citizens_consent(asker: str, authority: str) -> bool:
    """Someone other than the citizen, without power of attorney or guardianship."""
    return asker != "self" and authority == "none"


def contact_due(arrived: dt.datetime) -> dt.datetime:
    """End of the working day CONTACT_DEADLINE_WORKING_DAYS after arrival (Copenhagen)."""
    days = current_app.config["CONTACT_DEADLINE_WORKING_DAYS"]
    local = arrived.astimezone(TIMEZONE).date()
    due = add_working_days(local, days)
    return dt.datetime.combine(due, dt.time(23, 59), TIMEZONE).astimezone(dt.UTC)


def submit(data: IntakeData, channel: str, now: dt.datetime | None = None) -> Submitted:
    """Store the intake and its consents, route it, queue the team's e-mail."""
    now = now or utcnow()
    errors: dict[str, str] = {}
    texts = {t.id: t for t in consent_texts(data.municipality, data.lang)}
    given = list(dict.fromkeys(data.consents))
    if given and needs_citizens_consent(data.asker, data.authority):
        errors["consents"] = "relative_cannot_consent"
    unknown = [i for i in given if i not in texts]
    if unknown:
        errors["consents"] = "unknown_consent"
    if data.transcript is not None and not any(texts[i].transcript for i in given
                                                if i in texts):
        errors["transcript"] = "transcript_without_consent"
    if errors:
        raise IntakeError(errors)
    code = codes.new_code()
    awaiting = needs_citizens_consent(data.asker, data.authority)
    intake = Intake(
        reference=codes.new_reference(), code_hash=codes.hash_code(code), channel=channel,
        status=AWAITING_CONSENT if awaiting else RECEIVED,
        lang=data.lang, municipality=data.municipality, asker=data.asker,
        authority=data.authority, situations=list(data.situations), story=data.story,
        goals=data.goals, agencies=list(data.agencies), agencies_other=data.agencies_other,
        contact=dict(data.contact), needs=list(data.needs), urgency=data.urgency,
        summary=data.summary, transcript=data.transcript, created_at=now,
        # The team may not start before the citizen has consented: the deadline for the
        # first contact runs from then (give_consents), not from a relative's request.
        contact_due_at=None if awaiting else contact_due(now))
    team = route(data.municipality, data.situations)
    intake.team_id = team.id if team else None
    capacity = "self" if data.asker == "self" else data.authority
    for text_id in given:
        text = texts[text_id]
        intake.consents.append(Consent(
            text_id=text.id, key=text.key, version=text.version, text_hash=text.text_hash,
            lang=text.lang, channel=channel, given_by=data.asker, capacity=capacity,
            given_at=now))
    intake.events.append(IntakeEvent(kind="received", to_team_id=intake.team_id,
                                     created_at=now))
    db.session.add(intake)
    db.session.flush()
    from portal.intake import notify

    notify.received(intake, team)
    db.session.commit()
    return Submitted(intake, code)


# --- the citizen's side afterwards ---------------------------------------------------


def _limiter() -> RateLimiter:
    limiter = current_app.extensions.get("intake_code_limiter")
    if limiter is None:
        config = current_app.config
        limiter = current_app.extensions.setdefault("intake_code_limiter", RateLimiter(
            config["RATELIMIT_STORAGE_URI"],
            {"intake-code-address": config["BOOKING_CODE_RATE_LIMIT_PER_ADDRESS"],
             "intake-code-reference": config["BOOKING_CODE_RATE_LIMIT"]}))
    return limiter


def open_intake(reference: str, code: str, address: str | None) -> Intake:
    """The intake with this reference, if `code` is its code. Every attempt counts (per
    reference, and per address unless `address` is None: a trusted server client)."""
    reference = codes.normalise(reference)
    keys = {"intake-code-reference": reference or "-"}
    if address is not None:
        keys = {"intake-code-address": address, **keys}
    wait = _limiter().retry_after(keys)
    if wait is not None:
        raise TooManyAttempts(wait)
    intake = None
    if len(reference) == codes.REFERENCE_CHARS + 1:
        intake = db.session.scalar(select(Intake).where(Intake.reference == reference))
    if intake is None or not codes.code_matches(code, intake.code_hash):
        raise AccessDenied
    return intake


def by_reference(reference: str) -> Intake | None:
    """For staff views (their own access rules apply)."""
    reference = codes.normalise(reference)
    return db.session.scalar(select(Intake).where(Intake.reference == reference))


def withdraw(intake: Intake, consent_id: int, now: dt.datetime | None = None) -> Consent:
    """Withdraw a consent: from now on, never backwards; the record stays."""
    consent = next((c for c in intake.consents if c.id == consent_id), None)
    if consent is None:
        raise KeyError(consent_id)
    if consent.withdrawn_at is None:
        consent.withdrawn_at = now or utcnow()
        intake.events.append(IntakeEvent(kind="consent_withdrawn",
                                         note=f"{consent.key} v{consent.version}"))
        db.session.commit()
    return consent


def give_consents(intake: Intake, text_ids: list[int], given_by: str, capacity: str,
                  channel: str, now: dt.datetime | None = None) -> list[Consent]:
    """The citizen consents later (a relative's intake that waited for them)."""
    now = now or utcnow()
    texts = {t.id: t for t in consent_texts(intake.municipality, intake.lang)}
    if any(i not in texts for i in text_ids):
        raise IntakeError({"consents": "unknown_consent"})
    added = []
    for text_id in dict.fromkeys(text_ids):
        text = texts[text_id]
        consent = Consent(text_id=text.id, key=text.key, version=text.version,
                          text_hash=text.text_hash, lang=text.lang, channel=channel,
                          given_by=given_by, capacity=capacity, given_at=now)
        intake.consents.append(consent)
        added.append(consent)
    if intake.status == AWAITING_CONSENT and given_by == "self":
        intake.status = RECEIVED
        intake.contact_due_at = contact_due(now)  # the team starts now
    intake.events.append(IntakeEvent(kind="consent_given", note=", ".join(
        f"{c.key} v{c.version}" for c in added)))
    db.session.commit()
    return added


def add_information(intake: Intake, text: str) -> IntakeEvent:
    """The citizen adds something (shown to the caseworker in the history)."""
    if intake.status == CLOSED:
        raise IntakeError({"information": "closed"})
    event = IntakeEvent(kind="information_added", note=text)
    intake.events.append(event)
    db.session.commit()
    return event


def note_live_chat(intake_id: int, started: bool, staff_id: int | None,
                   now: dt.datetime | None = None) -> None:
    """The history notes that a live chat with a caseworker started or ended (never its
    words). Added to the caller's transaction."""
    db.session.add(IntakeEvent(intake_id=intake_id, staff_id=staff_id,
                               kind="live_chat_started" if started else "live_chat_ended",
                               created_at=now or utcnow()))


def active_consents(intake: Intake) -> list[Consent]:
    return [c for c in intake.consents if c.withdrawn_at is None]


def intakes_of_teams(team_ids: set[int], statuses: tuple[str, ...]) -> list[Intake]:
    if not team_ids:
        return []
    return list(db.session.scalars(select(Intake).where(
        Intake.team_id.in_(team_ids), Intake.status.in_(statuses)
    ).order_by(Intake.created_at)))



# --- the coordinating caseworker's actions ----------------------------------------------
# Who may do them is the caseworker area's rule (portal/caseworker/service.py). These do
# not commit: the caller adds its audit entry and commits both together.


class Refused(Exception):
    """The action does not apply to the intake as it stands (`code` says why)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def accept(intake: Intake, caseworker, now: dt.datetime | None = None) -> None:
    """`caseworker` becomes the coordinating caseworker. Atomic: of two caseworkers
    accepting at once exactly one succeeds (the UPDATE only matches while nobody has
    it); the other gets Refused("taken")."""
    from sqlalchemy import update

    from portal.intake import notify

    now = now or utcnow()
    result = db.session.execute(
        update(Intake).where(Intake.id == intake.id, Intake.caseworker_id.is_(None),
                             Intake.status == RECEIVED)
        .values(caseworker_id=caseworker.id, status=ACCEPTED, accepted_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(intake)
        raise Refused("taken" if intake.caseworker_id is not None else "not_received")
    db.session.refresh(intake, ["caseworker_id", "status", "accepted_at"])
    intake.events.append(IntakeEvent(kind="accepted", staff_id=caseworker.id,
                                     to_team_id=intake.team_id, created_at=now))
    notify.accepted(intake, caseworker)


def hand_over(intake: Intake, by_staff_id: int, team, reason: str,
              now: dt.datetime | None = None) -> IntakeEvent:
    """Hand the intake to another team of its municipality, with a reason; it waits in
    the new team's inbox for one of them to accept it (the history keeps who had it)."""
    from portal.intake import notify

    if intake.status == CLOSED:
        raise Refused("closed")
    if team is None or team.municipality != intake.municipality or team.id == intake.team_id:
        raise Refused("bad_team")
    event = IntakeEvent(kind="handed_over", staff_id=by_staff_id, from_team_id=intake.team_id,
                        to_team_id=team.id, note=reason, created_at=now or utcnow())
    intake.events.append(event)
    intake.team_id = team.id
    intake.caseworker_id = None
    intake.accepted_at = None
    if intake.status == ACCEPTED:
        intake.status = RECEIVED
    db.session.flush()
    notify.handed_over(intake, team, event.id)
    return event


def log_contact(intake: Intake, by_staff_id: int, method: str, note: str,
                now: dt.datetime | None = None) -> IntakeEvent:
    """A contact with the citizen; the first one meets the contact deadline."""
    if intake.status == CLOSED:
        raise Refused("closed")
    now = now or utcnow()
    if intake.first_contact_at is None:
        intake.first_contact_at = now
    event = IntakeEvent(kind=f"contact:{method}", staff_id=by_staff_id,
                        to_team_id=intake.team_id, note=note, created_at=now)
    intake.events.append(event)
    return event


def close(intake: Intake, by_staff_id: int, reason: str,
          now: dt.datetime | None = None) -> IntakeEvent:
    if intake.status == CLOSED:
        raise Refused("closed")
    now = now or utcnow()
    intake.status = CLOSED
    intake.closed_at = now
    event = IntakeEvent(kind="closed", staff_id=by_staff_id, to_team_id=intake.team_id,
                        note=reason, created_at=now)
    intake.events.append(event)
    return event


def is_overdue(intake: Intake, now: dt.datetime | None = None) -> bool:
    """No first contact logged by the deadline (an open intake only)."""
    return (intake.status != CLOSED and intake.first_contact_at is None
            and intake.contact_due_at is not None and intake.contact_due_at < (now or utcnow()))


def transcript_consented(intake: Intake) -> bool:
    """The transcript may be read only while a transcript consent is active."""
    return any(c.consent_text.transcript for c in active_consents(intake))


def export(intake: Intake) -> dict:
    """Everything held about one intake (portal/intake/export.py)."""
    from portal.intake.export import export as build

    return build(intake)


# --- retention (`flask retention run`) -------------------------------------------------


def purge_drafts(days: int, now: dt.datetime | None = None) -> int:
    """Delete unfinished drafts not touched for `days` days."""
    from sqlalchemy import delete

    limit = (now or utcnow()) - dt.timedelta(days=days)
    result = db.session.execute(delete(IntakeDraft).where(IntakeDraft.updated_at < limit))
    db.session.commit()
    return result.rowcount or 0


def chat_intakes_to_forget(days: int, now: dt.datetime | None = None) -> list[Intake]:
    """Intakes from the chat whose conversation ended more than `days` days ago and
    still hold its transcript (the chat ended when it was handed over)."""
    limit = (now or utcnow()) - dt.timedelta(days=days)
    return list(db.session.scalars(select(Intake).where(
        Intake.transcript.is_not(None), Intake.created_at < limit)))


def forget_transcripts(intakes: list[Intake]) -> int:
    for intake in intakes:
        intake.transcript = None
        intake.events.append(IntakeEvent(kind="transcript_deleted"))
    db.session.commit()
    return len(intakes)


ANONYMISED = "personal_data_deleted"


def closed_intakes_to_anonymise(days: int, now: dt.datetime | None = None) -> list[Intake]:
    """Closed more than `days` days ago, and not anonymised yet."""
    limit = (now or utcnow()) - dt.timedelta(days=days)
    done = select(IntakeEvent.intake_id).where(IntakeEvent.kind == ANONYMISED)
    return list(db.session.scalars(select(Intake).where(
        Intake.status == CLOSED, Intake.closed_at < limit, Intake.id.not_in(done))))


def anonymise(intakes: list[Intake], now: dt.datetime | None = None) -> int:
    """Delete a closed intake's personal data and keep what proves how it was handled.

    Deleted: the story, goals, other agencies, contact details, needs, the chat's
    summary and transcript, and every note (added information, contacts, hand-over
    and closing reasons) — all of it is about the citizen.
    Kept: the reference, municipality, team, times and status; the consent records
    (key, text version and its hash, language, channel, capacity, given/withdrawn
    times: they hold nothing about the person beyond that, and they are the proof that
    information was shared lawfully — GDPR art. 7(1) asks the controller to be able to
    show consent was given); and the events without their notes (who handled it and
    when: the trail a complaint or the ombudsman would ask for). The audit log is never
    changed.
    """
    now = now or utcnow()
    for intake in intakes:
        intake.story = intake.goals = intake.agencies_other = intake.summary = ""
        intake.contact, intake.needs, intake.transcript = {}, [], None
        for event in intake.events:
            event.note = ""
        intake.events.append(IntakeEvent(kind=ANONYMISED, created_at=now))
    db.session.commit()
    return len(intakes)


def rooms_of_intakes(intakes: list[Intake]) -> list[int]:
    return [i.room_id for i in intakes if i.room_id is not None]


# --- the citizen's pages and the API (helper functions they share) ---------------------


def relevant_texts(municipality: str, lang: str, agencies: list[str]) -> list[ConsentText]:
    """The consent texts a person is asked about: one per agency they named (in the
    order of AGENCIES), and any text tied to no agency. The chat's transcript text is
    asked in the chat only."""
    from portal.intake.models import AGENCIES

    texts = [t for t in consent_texts(municipality, lang) if not t.transcript]
    return sorted((t for t in texts if t.agency is None or t.agency in agencies),
                  key=lambda t: (AGENCIES.index(t.agency) if t.agency in AGENCIES else -1,
                                 t.key))


def check_submission_limit(address: str | None) -> None:
    """Intakes sent from one address (INTAKE_RATE_LIMIT): TooManyAttempts when too many.
    `address` None: a trusted server client (the assistant), not counted per address."""
    if address is None:
        return
    limiter = current_app.extensions.get("intake_submit_limiter")
    if limiter is None:
        config = current_app.config
        limiter = current_app.extensions.setdefault("intake_submit_limiter", RateLimiter(
            config["RATELIMIT_STORAGE_URI"], {"intake-submit": config["INTAKE_RATE_LIMIT"]}))
    wait = limiter.retry_after({"intake-submit": address})
    if wait is not None:
        raise TooManyAttempts(wait)


def team_of(intake: Intake):
    """The staff unit (team) the intake is with, or None."""
    if intake.team_id is None:
        return None
    return next((u for u in staff.teams(intake.municipality) if u.id == intake.team_id),
                None) or next((u for u in staff.teams() if u.id == intake.team_id), None)


def caseworker_of(intake: Intake):
    """The coordinating caseworker (a staff member), or None."""
    return staff.get_member(intake.caseworker_id) if intake.caseworker_id else None
