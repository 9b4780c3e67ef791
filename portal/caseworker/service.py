"""The caseworker's rules: which intakes a caseworker may see, their inbox, and the
coordinating role (accept, hand over, log a contact, close).

One rule decides what a caseworker sees (`may_see`): an intake of one of their own
teams. Every caseworker page and the export ask it; an intake they may not see is
treated exactly like an unknown reference (the pages answer 404), so guessing
references teaches nothing.

Every view of personal data and every action is written to the audit log
(portal/core/audit.py) in the same transaction as what it records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from portal.catalogue import service as catalogue
from portal.core import audit
from portal.core import text as text_rules
from portal.core.extensions import db
from portal.core.models import utcnow
from portal.intake import service as intakes
from portal.staff import service as staff

SUBJECT = "intake"
# How a contact with the citizen happened (logged on the handoff page).
CONTACT_METHODS = ("phone", "email", "letter", "meeting", "video", "chat")
MAX_NOTE = 2000
MAX_REASON = 1000
RECENTLY_CLOSED_DAYS = 30
URGENCY_ORDER = {"today": 0, "this-week": 1, "no-hurry": 2}


def typable(text: str) -> bool:
    """Whether a reason or note holds only what people type (line breaks included)."""
    return text_rules.typable(text, lines=True)


class NotAllowed(Exception):
    """The member may see the intake but not do this (`code` says why)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- who sees what ------------------------------------------------------------------------


def team_ids(member) -> set[int]:
    """The member's own teams (none without the caseworker role)."""
    if member is None or not member.has_role(staff.CASEWORKER):
        return set()
    return {unit.id for unit in member.units if unit.kind == staff.TEAM}


def may_see(member, intake) -> bool:
    """The one rule: a caseworker sees an intake of one of their own teams."""
    return intake is not None and intake.team_id is not None \
        and intake.team_id in team_ids(member)


def visible_intake(member, reference: str):
    """The intake with `reference` if the member may see it, else None (unknown and
    not allowed look the same)."""
    if not isinstance(reference, str) or len(reference) > 40:
        return None
    intake = intakes.by_reference(reference)
    return intake if may_see(member, intake) else None


def is_coordinator(member, intake) -> bool:
    return intake.caseworker_id is not None and intake.caseworker_id == member.id


def can_accept(member, intake) -> bool:
    return (may_see(member, intake) and intake.status == intakes.RECEIVED
            and intake.caseworker_id is None)


def can_manage(member, intake) -> bool:
    """Hand over, log a contact, close: the coordinating caseworker of an accepted
    intake; any member of the team while nobody has accepted it."""
    if not may_see(member, intake) or intake.status == intakes.CLOSED:
        return False
    return intake.caseworker_id is None or is_coordinator(member, intake)


# --- the inbox ------------------------------------------------------------------------------


@dataclass
class Inbox:
    new: list = field(default_factory=list)        # received, nobody has it yet
    awaiting: list = field(default_factory=list)   # waiting for the citizen's consent
    mine: list = field(default_factory=list)       # I am the coordinating caseworker
    others: list = field(default_factory=list)     # accepted by someone else in the team
    closed: list = field(default_factory=list)     # closed in the last 30 days

    @property
    def references(self) -> list[str]:
        return [i.reference for group in (self.new, self.awaiting, self.mine, self.others,
                                          self.closed) for i in group]


def _priority(now: dt.datetime):
    def key(intake) -> tuple:
        return (not intakes.is_overdue(intake, now), URGENCY_ORDER.get(intake.urgency, 3),
                intake.created_at)
    return key


def inbox(member, now: dt.datetime | None = None) -> Inbox:
    """The intakes of the member's teams, grouped, urgent and overdue first. The view
    of the list is audit-logged (it shows who asked and about what)."""
    now = now or utcnow()
    teams = team_ids(member)
    box = Inbox()
    for intake in intakes.intakes_of_teams(teams, (intakes.RECEIVED, intakes.ACCEPTED,
                                                   intakes.AWAITING_CONSENT)):
        if intake.status == intakes.AWAITING_CONSENT:
            box.awaiting.append(intake)
        elif intake.status == intakes.RECEIVED:
            box.new.append(intake)
        elif intake.caseworker_id == member.id:
            box.mine.append(intake)
        else:
            box.others.append(intake)
    since = now - dt.timedelta(days=RECENTLY_CLOSED_DAYS)
    box.closed = sorted((i for i in intakes.intakes_of_teams(teams, (intakes.CLOSED,))
                         if i.closed_at and i.closed_at >= since),
                        key=lambda i: i.closed_at, reverse=True)
    for group in (box.new, box.awaiting, box.mine, box.others):
        group.sort(key=_priority(now))
    _audit(member, "view_inbox", "inbox", str(member.id),
           " ".join(box.references))
    db.session.commit()
    return box


def _audit(member, action: str, subject_type: str, subject_id: str, detail: str = "") -> None:
    audit.record(member.id, member.email, action, subject_type, subject_id, detail)


# --- the handoff page -----------------------------------------------------------------------


def record_view(member, intake, action: str = "view", detail: str = "") -> None:
    """An audit entry for a view of the intake's personal data (committed now)."""
    _audit(member, action, SUBJECT, intake.reference, detail)
    db.session.commit()


def transcript_visible(intake) -> bool:
    return bool(intake.transcript) and intakes.transcript_consented(intake)


def audit_trail(member, intake) -> list:
    """Who looked at the intake and what they did: shown to its coordinating caseworker."""
    return audit.entries_for(SUBJECT, intake.reference) if is_coordinator(member, intake) else []


def handover_teams(intake) -> list:
    """The caseworker teams of the intake's municipality it can be handed to."""
    return [t for t in staff.teams(intake.municipality) if t.id != intake.team_id]


def team_names(ids: set[int]) -> dict[int, str]:
    return {t.id: t.name for t in staff.teams() if t.id in ids}


def member_names(ids: set[int]) -> dict[int, str]:
    names = {}
    for member_id in ids:
        member = staff.get_member(member_id)
        if member is not None:
            names[member_id] = member.name
    return names


def suggested_offers(intake, lang: str, per_situation: int = 5) -> list[tuple]:
    """Open offers (no referral needed) for each of the intake's situations in its
    municipality: the catalogue's "which offers fit" rule, as on the search page.
    [(situation or None, [offers])]."""
    found = []
    for slug in intake.situations or []:
        situation = catalogue.get_situation(slug)
        if situation is None:
            continue
        results = catalogue.find_offers(catalogue.OfferQuery(
            access=catalogue.OPEN_ACCESS, lang=lang, municipality=intake.municipality,
            situation=slug, per_page=per_situation))
        if results.items:
            found.append((situation, results.items))
    return found


# --- the actions ------------------------------------------------------------------------------


def accept(member, intake, now: dt.datetime | None = None) -> None:
    """Become the coordinating caseworker. Raises NotAllowed("taken") when someone else
    was first (atomic: see intake.service.accept)."""
    if not can_accept(member, intake):
        raise NotAllowed("taken" if intake.caseworker_id else "not_received")
    try:
        intakes.accept(intake, member, now)
    except intakes.Refused as refused:
        raise NotAllowed(refused.code) from None
    _audit(member, "accept", SUBJECT, intake.reference)
    db.session.commit()


def hand_over(member, intake, team_slug: str, reason: str,
              now: dt.datetime | None = None) -> None:
    if not can_manage(member, intake):
        raise NotAllowed("not_coordinator")
    team = next((t for t in handover_teams(intake) if t.slug == team_slug), None)
    if team is None:
        raise NotAllowed("bad_team")
    reason = reason.strip()[:MAX_REASON]
    if not reason:
        raise NotAllowed("no_reason")
    intakes.hand_over(intake, member.id, team, reason, now)
    _audit(member, "hand_over", SUBJECT, intake.reference, f"to {team.slug}")
    db.session.commit()


def log_contact(member, intake, method: str, note: str,
                now: dt.datetime | None = None) -> None:
    if not can_manage(member, intake):
        raise NotAllowed("not_coordinator")
    if method not in CONTACT_METHODS:
        raise NotAllowed("bad_method")
    intakes.log_contact(intake, member.id, method, note.strip()[:MAX_NOTE], now)
    _audit(member, "log_contact", SUBJECT, intake.reference, method)
    db.session.commit()


def close(member, intake, reason: str, now: dt.datetime | None = None) -> None:
    if not can_manage(member, intake):
        raise NotAllowed("not_coordinator")
    reason = reason.strip()[:MAX_REASON]
    if not reason:
        raise NotAllowed("no_reason")
    intakes.close(intake, member.id, reason, now)
    _audit(member, "close", SUBJECT, intake.reference)
    db.session.commit()


def export(member, intake) -> dict:
    """Everything held about the intake; the export is audit-logged before it is built
    (so the export shows itself)."""
    _audit(member, "export", SUBJECT, intake.reference)
    db.session.flush()
    data = intakes.export(intake)
    db.session.commit()
    return data
