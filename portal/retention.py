"""`flask retention run`: forget what is no longer needed (run it from a timer, e.g.
hourly; safe to repeat).

1. Close the chat rooms of sessions that are over (their end plus the booking area's
   grace time has passed) or cancelled: nobody writes in them any more.
2. Delete the messages of rooms closed more than `SESSION_MESSAGE_RETENTION_DAYS` ago.
3. Delete sent, failed and cancelled e-mails and SMS (they hold addresses) older than
   `OUTBOX_RETENTION_DAYS`.

Each area keeps its own rules; this only composes their services.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import click
from flask import current_app
from flask.cli import AppGroup

from portal.booking import service as booking
from portal.core.models import utcnow
from portal.livechat import service as livechat
from portal.outbox import service as outbox

retention_cli = AppGroup("retention", help="Delete conversations and messages after their time.")


@dataclass(frozen=True)
class Result:
    rooms_closed: int
    messages_deleted: int
    outbox_deleted: int


def run(now: dt.datetime | None = None) -> Result:
    now = now or utcnow()
    config = current_app.config
    closed = livechat.close_rooms(booking.rooms_of_ended_sessions(now), now)
    messages = livechat.purge(config["SESSION_MESSAGE_RETENTION_DAYS"], now)
    sent = outbox.purge(dt.timedelta(days=config["OUTBOX_RETENTION_DAYS"]), now)
    return Result(closed, messages, sent)


@retention_cli.command("run")
def run_command() -> None:
    """Close ended sessions' chats; delete old chat messages and sent e-mails/SMS."""
    result = run()
    click.echo(f"retention: {result.rooms_closed} chat(s) closed, "
               f"{result.messages_deleted} chat message(s) deleted, "
               f"{result.outbox_deleted} sent e-mail/SMS deleted")
