"""'Talk to a person': a chat handed over to a caseworker, and who is there to take one.

The rules:

- A handoff (`create`, from the action server through `POST /api/v1/handoffs`) is an
  intake like any other (channel chat, asked by the citizen themself, the summary, and
  the transcript only with the citizen's transcript consent, recorded with channel
  chat), routed to its team. It is *live* when a caseworker of that team is available
  now: the chat is put through to them in a live-chat room (the intake's `room_id`).
  Otherwise the intake waits in the team's inbox and the citizen is told, in their
  language, when and how they will be contacted (`later_message`).
- Available (`available_caseworkers`): a caseworker of the team who marked themself
  "available for chat" AND whose chat page was seen open within
  `CHAT_AVAILABLE_SECONDS` (90 s). With JavaScript the page keeps a stream open that
  marks them seen every few seconds (`heartbeat_due`); without it, each load of the page
  does, and the page says so. A flag alone is not enough: a tab closed or a laptop gone
  to sleep must not leave a citizen waiting for nobody. Signing out ends availability
  (`end_availability`, on Flask-Login's sign-out signal).
- While a handoff is live the portal relays the citizen's chat messages to the room
  (`relay`) and still sends them to Rasa, whose conversation the action server paused:
  a paused Rasa parses and logs them and answers nothing. Crisis comes first even then:
  `is_crisis` asks Rasa's NLU (`/model/parse`) about the message; on a crisis the
  citizen gets the crisis answer from the portal at once and the caseworker an alert
  (`note_crisis`: the chat page shows it, live).
- The caseworker ends the chat (`end`): the room closes, and Rasa is told to resume the
  conversation (its HTTP API); if Rasa cannot be told then, the citizen's next message
  tries again first (`resume_pending`), so the assistant is never left paused.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal.chat.models import Availability, Handoff
from portal.core.extensions import db
from portal.core.i18n import format_moment
from portal.core.models import utcnow
from portal.intake import service as intakes
from portal.livechat import service as livechat
from portal.staff import service as staff

log = logging.getLogger(__name__)

CASEWORKER = "caseworker"  # the staff role (portal.staff.models.CASEWORKER)
ROOM_KIND = "handoff"
CRISIS_INTENT = "crisis"  # the bot's crisis intent (bot/components/crisis_guard.py)
HEARTBEAT_SECONDS = 15  # how often an open chat page marks its caseworker as seen
RECENT_HOURS = 12  # ended chats stay on the chat page this long
MAX_LIVE_HOURS = 12  # a live chat nobody ended ends by itself after this long


class HandoffError(ValueError):
    """The request cannot be made into a handoff: `errors` per field, as codes."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


class Bot(Protocol):
    def send(self, sender: str, message: str, metadata: dict[str, Any]) -> list[Any] | None: ...


@dataclass
class HandoffRequest:
    conversation_id: str
    lang: str
    municipality: str
    situations: list[str]
    summary: str
    transcript: str | None = None
    transcript_consent_id: int | None = None
    contact: dict[str, str] | None = None


@dataclass
class Created:
    intake: Any  # portal.intake.models.Intake
    code: str
    team: Any | None  # the staff Unit, if any
    handoff: Handoff | None  # only when live
    caseworker: Any | None  # who the chat is put through to
    message: str

    @property
    def live(self) -> bool:
        return self.handoff is not None


# --- availability --------------------------------------------------------------------------


def _availability(member_id: int) -> Availability:
    row = db.session.get(Availability, member_id)
    if row is None:
        row = Availability(staff_id=member_id, available=False)
        db.session.add(row)
    return row


def availability(member) -> Availability | None:
    return db.session.get(Availability, member.id)


def set_available(member, on: bool, now: dt.datetime | None = None) -> None:
    row = _availability(member.id)
    row.available = bool(on)
    row.seen_at = now or utcnow()
    db.session.commit()


def seen(member, now: dt.datetime | None = None) -> None:
    """The member's chat page is open now (a page load, or its stream's heartbeat)."""
    row = db.session.get(Availability, member.id)
    if row is not None and row.available:
        row.seen_at = now or utcnow()
        db.session.commit()


def end_availability(member_id: int) -> None:
    """Signed out: no chat is put through to them any more."""
    row = db.session.get(Availability, member_id)
    if row is not None and row.available:
        row.available = False
        db.session.commit()


def window() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config["CHAT_AVAILABLE_SECONDS"])


def is_available(member, now: dt.datetime | None = None) -> bool:
    row = db.session.get(Availability, member.id)
    return (row is not None and row.available and row.seen_at is not None
            and row.seen_at >= (now or utcnow()) - window()
            and member.is_active and member.has_role(CASEWORKER))


def team_ids(member) -> set[int]:
    if member is None or not member.has_role(CASEWORKER):
        return set()
    return {unit.id for unit in member.units if unit.kind == staff.TEAM}


def available_caseworkers(team_id: int, now: dt.datetime | None = None) -> list:
    """The team's caseworkers available for a chat now, the least busy first."""
    now = now or utcnow()
    unit = db.session.get(staff.Unit, team_id)
    if unit is None:
        return []
    members = [m for m in unit.members if is_available(m, now)]
    busy = _open_counts({m.id for m in members})
    return sorted(members, key=lambda m: (busy.get(m.id, 0), m.name, m.id))


def _open_counts(member_ids: set[int]) -> dict[int, int]:
    if not member_ids:
        return {}
    counts: dict[int, int] = {}
    for caseworker_id in db.session.scalars(select(Handoff.caseworker_id).where(
            Handoff.caseworker_id.in_(member_ids), Handoff.ended_at.is_(None))):
        counts[caseworker_id] = counts.get(caseworker_id, 0) + 1
    return counts


# --- making a handoff ------------------------------------------------------------------------


def create(request: HandoffRequest, now: dt.datetime | None = None) -> Created:
    """The intake, and the live chat when a caseworker of its team is available."""
    now = now or utcnow()
    consents: list[int] = []
    if request.transcript_consent_id is not None:
        text = intakes.consent_text(request.transcript_consent_id)
        offered = {t.id for t in intakes.consent_texts(request.municipality, request.lang)}
        if text is None or not text.transcript or text.id not in offered:
            raise HandoffError({"transcript_consent_id": "not_transcript_consent"})
        consents.append(text.id)
    if request.transcript is not None and not consents:
        raise HandoffError({"transcript": "transcript_without_consent"})
    data = intakes.IntakeData(
        lang=request.lang, municipality=request.municipality, asker="self",
        authority="none", situations=list(request.situations), story="", goals="",
        agencies=[], contact=dict(request.contact or {}), needs=[],
        urgency="no-hurry", consents=consents, summary=request.summary,
        transcript=request.transcript)
    try:
        submitted = intakes.submit(data, "chat", now)
    except intakes.IntakeError as error:
        raise HandoffError(dict(error.errors)) from None
    intake = submitted.intake
    team = db.session.get(staff.Unit, intake.team_id) if intake.team_id else None
    caseworker = None
    if team is not None and active_for(request.conversation_id) is None:
        candidates = available_caseworkers(team.id, now)
        caseworker = candidates[0] if candidates else None
    handoff = None
    if caseworker is not None:
        room = livechat.open_room(ROOM_KIND)
        intake.room_id = room.id
        handoff = Handoff(conversation_id=request.conversation_id, intake_id=intake.id,
                          room_id=room.id, caseworker_id=caseworker.id, lang=request.lang,
                          created_at=now)
        db.session.add(handoff)
        intakes.note_live_chat(intake.id, True, caseworker.id, now)
        db.session.commit()
        message = live_message(team, request.lang)
    else:
        message = later_message(intake, team, request.lang)
    return Created(intake, submitted.code, team, handoff, caseworker, message)


def live_message(team, lang: str) -> str:
    with force_locale(lang):
        return _("A caseworker from %(team)s joins this chat now. You can write to them "
                 "here.", team=team.name)


def later_message(intake, team, lang: str) -> str:
    """When and how the citizen will be contacted, from their wish and the deadline."""
    with force_locale(lang):
        who = (_("A caseworker from %(team)s", team=team.name) if team is not None
               else _("A caseworker from the municipality"))
        due = format_moment(intake.contact_due_at, lang) if intake.contact_due_at else None
        method = (intake.contact or {}).get("method")
        parts = [_("Nobody can take the chat right now.")]
        if due and method == "phone":
            parts.append(_("%(who)s will call you no later than %(due)s.", who=who, due=due))
        elif due and method == "email":
            parts.append(_("%(who)s will write to you by e-mail no later than %(due)s.",
                           who=who, due=due))
        elif due and method == "letter":
            parts.append(_("%(who)s will send you a letter no later than %(due)s.",
                           who=who, due=due))
        elif due:
            parts.append(_("%(who)s will look at your request no later than %(due)s. Follow "
                           "it on the status page with your reference and code.",
                           who=who, due=due))
        times = (intake.contact or {}).get("times")
        if times and method in ("phone", "email", "letter"):
            parts.append(_("You asked to be contacted: %(times)s.", times=times))
        return " ".join(parts)


# --- the conversation while live ---------------------------------------------------------------


def active_for(conversation_id: str, now: dt.datetime | None = None) -> Handoff | None:
    """The conversation's live handoff that has not ended, if any. One left open for
    `MAX_LIVE_HOURS` (nobody ended it) ends now: the citizen gets the assistant back
    (`resume_pending`) instead of writing into a room nobody reads."""
    now = now or utcnow()
    handoff = db.session.scalar(select(Handoff).where(
        Handoff.conversation_id == conversation_id, Handoff.ended_at.is_(None)
    ).order_by(Handoff.id.desc()).limit(1))
    if handoff is not None and handoff.created_at < now - dt.timedelta(hours=MAX_LIVE_HOURS):
        if handoff.room_id:
            livechat.close_room(handoff.room_id, now)
        handoff.ended_at = now
        intakes.note_live_chat(handoff.intake_id, False, None, now)
        db.session.commit()
        return None
    return handoff


def end_stale(now: dt.datetime | None = None) -> int:
    """End the live chats nobody ended within `MAX_LIVE_HOURS` (`flask retention run`):
    their rooms close, so their messages are forgotten in time; Rasa is resumed at the
    citizen's next message (`resume_pending`). Returns how many were ended."""
    now = now or utcnow()
    stale = list(db.session.scalars(select(Handoff).where(
        Handoff.ended_at.is_(None),
        Handoff.created_at < now - dt.timedelta(hours=MAX_LIVE_HOURS))))
    for handoff in stale:
        if handoff.room_id:
            livechat.close_room(handoff.room_id, now)
        handoff.ended_at = now
        intakes.note_live_chat(handoff.intake_id, False, None, now)
    db.session.commit()
    return len(stale)


def forget_conversations(days: int, now: dt.datetime | None = None) -> int:
    """`days` after a live chat ended, forget which assistant conversation it came from
    (Rasa keeps the citizen's words under that id): the link to the intake goes."""
    limit = (now or utcnow()) - dt.timedelta(days=days)
    old = list(db.session.scalars(select(Handoff).where(
        Handoff.ended_at.is_not(None), Handoff.ended_at < limit,
        Handoff.conversation_id != "")))
    for handoff in old:
        handoff.conversation_id = ""
    db.session.commit()
    return len(old)


def resume_pending(conversation_id: str, bot: Any) -> None:
    """Ended chats whose Rasa conversation could not be resumed then: try again."""
    for handoff in db.session.scalars(select(Handoff).where(
            Handoff.conversation_id == conversation_id, Handoff.ended_at.is_not(None),
            Handoff.resumed_at.is_(None))):
        _resume(handoff, bot)


def relay(handoff: Handoff, text: str):
    """The citizen's message into the room (raises livechat's MessageRefused)."""
    room = livechat.get_room(handoff.room_id) if handoff.room_id else None
    if room is None:
        raise livechat.MessageRefused("closed")
    return livechat.post(room, livechat.CITIZEN, text)


def is_crisis(bot: Any, text: str) -> bool:
    """Does the assistant read `text` as a crisis? (False when it cannot say.)"""
    parse = getattr(bot, "parse", None)
    return parse is not None and parse(text) == CRISIS_INTENT


def note_crisis(handoff: Handoff, now: dt.datetime | None = None) -> None:
    handoff.crisis_at = now or utcnow()
    db.session.commit()
    log.warning("live chat %s: the assistant recognised a crisis", handoff.id)


def end(handoff: Handoff, member, bot: Any, now: dt.datetime | None = None) -> None:
    """The caseworker ends the chat: the room closes; Rasa takes the conversation back."""
    if handoff.ended_at is None:
        now = now or utcnow()
        if handoff.room_id:
            livechat.close_room(handoff.room_id, now)
        handoff.ended_at = now
        handoff.ended_by = member.id
        intakes.note_live_chat(handoff.intake_id, False, member.id, now)
        db.session.commit()
    if handoff.resumed_at is None:
        _resume(handoff, bot)


def _resume(handoff: Handoff, bot: Any) -> None:
    resume = getattr(bot, "resume", None)
    if resume is not None and resume(handoff.conversation_id):
        handoff.resumed_at = utcnow()
        db.session.commit()
    else:
        log.warning("live chat %s ended; Rasa could not be told to resume yet", handoff.id)


# --- the caseworker's side ----------------------------------------------------------------------


@dataclass
class ChatRow:
    """A live chat as the caseworker's chat page lists it."""

    id: int
    reference: str
    created_at: dt.datetime
    caseworker: str | None  # the name of who it was put through to
    mine: bool
    answered: bool  # a caseworker has written in it
    ended: bool
    crisis_at: dt.datetime | None
    situations: list[str] = field(default_factory=list)

    def state(self) -> dict[str, Any]:
        return {"id": self.id, "reference": self.reference, "mine": self.mine,
                "answered": self.answered, "ended": self.ended,
                "crisis": self.crisis_at.isoformat() if self.crisis_at else None,
                "caseworker": self.caseworker}


def chats_for(member, now: dt.datetime | None = None) -> list[ChatRow]:
    """The live chats of the member's teams: going on, and ended in the last hours;
    newest first, the member's own going-on chats before the others."""
    teams = team_ids(member)
    if not teams:
        return []
    since = (now or utcnow()) - dt.timedelta(hours=RECENT_HOURS)
    rows = db.session.execute(select(Handoff, intakes.Intake).join(
        intakes.Intake, intakes.Intake.id == Handoff.intake_id
    ).where(intakes.Intake.team_id.in_(teams),
            (Handoff.ended_at.is_(None)) | (Handoff.ended_at >= since)
    ).order_by(Handoff.id.desc()))
    chats = []
    for handoff, intake in rows:
        holder = staff.get_member(handoff.caseworker_id) if handoff.caseworker_id else None
        messages = livechat.messages_after(handoff.room_id, 0) if handoff.room_id else []
        chats.append(ChatRow(
            id=handoff.id, reference=intake.reference, created_at=handoff.created_at,
            caseworker=holder.name if holder else None, mine=handoff.caseworker_id == member.id,
            answered=any(m.sender == livechat.STAFF for m in messages),
            ended=handoff.ended_at is not None, crisis_at=handoff.crisis_at,
            situations=list(intake.situations or [])))
    chats.sort(key=lambda c: (c.ended, not c.mine))
    return chats


def handoff_of_intake(intake) -> Handoff | None:
    """The intake's live chat (the newest, if it had more than one)."""
    return db.session.scalar(select(Handoff).where(Handoff.intake_id == intake.id)
                             .order_by(Handoff.id.desc()).limit(1))


def holder_of(handoff: Handoff):
    return staff.get_member(handoff.caseworker_id) if handoff.caseworker_id else None


def team_of(handoff: Handoff):
    intake = db.session.get(intakes.Intake, handoff.intake_id)
    return db.session.get(staff.Unit, intake.team_id) if intake and intake.team_id else None
