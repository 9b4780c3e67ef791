"""`flask retention run`: forget what is no longer needed (run it from a timer, e.g.
hourly; safe to repeat).

1. Close the chat rooms of sessions that are over (their end plus the booking area's
   grace time has passed) or cancelled: nobody writes in them any more.
2. Delete the messages of rooms closed more than `SESSION_MESSAGE_RETENTION_DAYS` ago.
3. Delete sent, failed and cancelled e-mails and SMS (they hold addresses) older than
   `OUTBOX_RETENTION_DAYS`.
4. The one-entrance intake (each period its own setting):
   - unfinished intake drafts not touched for `INTAKE_DRAFT_RETENTION_DAYS`;
   - anonymous chats, `ANONYMOUS_CHAT_RETENTION_DAYS` after they ended: the messages of
     the live chats handed over to a caseworker (rooms of kind "handoff", instead of the
     sessions' period; a live chat nobody ended ends after 12 hours), which assistant
     conversation they came from, and the assistant's transcripts kept on intakes from
     the chat;
   - closed intakes, `CLOSED_INTAKE_RETENTION_DAYS` after closing: their personal data
     is deleted; the consent records and a minimal event trail stay (see
     `intake.service.anonymise` for what and why).

Each area keeps its own rules; this only composes their services.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import click
from flask import current_app
from flask.cli import AppGroup

from portal.booking import service as booking
from portal.chat import service as chat
from portal.core.models import utcnow
from portal.intake import service as intake
from portal.livechat import service as livechat
from portal.outbox import service as outbox

retention_cli = AppGroup("retention", help="Delete conversations and messages after their time.")


@dataclass(frozen=True)
class Result:
    rooms_closed: int
    messages_deleted: int
    outbox_deleted: int
    drafts_deleted: int = 0
    handoff_messages_deleted: int = 0
    transcripts_deleted: int = 0
    intakes_anonymised: int = 0
    handoffs_ended: int = 0


# The live chats handed over from the assistant to a caseworker (portal/chat/handoff.py).
HANDOFF_ROOMS = ("handoff",)


def run(now: dt.datetime | None = None) -> Result:
    now = now or utcnow()
    config = current_app.config
    closed = livechat.close_rooms(booking.rooms_of_ended_sessions(now), now)
    messages = livechat.purge(config["SESSION_MESSAGE_RETENTION_DAYS"], now,
                              exclude=HANDOFF_ROOMS)
    sent = outbox.purge(dt.timedelta(days=config["OUTBOX_RETENTION_DAYS"]), now)
    chat_days = config["ANONYMOUS_CHAT_RETENTION_DAYS"]
    # Live chats nobody ended close; ended ones forget their assistant conversation.
    handoffs_ended = chat.handoffs.end_stale(now)
    chat.handoffs.forget_conversations(chat_days, now)
    return Result(
        closed, messages, sent,
        drafts_deleted=intake.purge_drafts(config["INTAKE_DRAFT_RETENTION_DAYS"], now),
        handoff_messages_deleted=livechat.purge(chat_days, now, kinds=HANDOFF_ROOMS),
        transcripts_deleted=intake.forget_transcripts(
            intake.chat_intakes_to_forget(chat_days, now)),
        intakes_anonymised=intake.anonymise(intake.closed_intakes_to_anonymise(
            config["CLOSED_INTAKE_RETENTION_DAYS"], now), now),
        handoffs_ended=handoffs_ended)


@retention_cli.command("run")
def run_command() -> None:
    """Close ended sessions' chats; delete old chat messages, sent e-mails/SMS, intake
    drafts and transcripts; delete closed intakes' personal data."""
    result = run()
    click.echo(f"retention: {result.rooms_closed} chat(s) closed, "
               f"{result.messages_deleted} chat message(s) deleted, "
               f"{result.outbox_deleted} sent e-mail/SMS deleted, "
               f"{result.drafts_deleted} intake draft(s) deleted, "
               f"{result.handoff_messages_deleted} handed-over chat message(s) deleted, "
               f"{result.transcripts_deleted} transcript(s) deleted, "
               f"{result.intakes_anonymised} closed intake(s) anonymised")
