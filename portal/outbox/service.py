"""Queue messages with what they are about; send them later, once.

`queue` adds a message to the caller's transaction (committed with the booking it is
about, or not at all). `drain` sends what is due:

1. claim a message (pending -> sending) and commit the claim, so no other drain takes it;
2. send it;
3. mark it sent — or, when the sender says it certainly failed (`SendError`), put it back
   as pending with a later `send_after` (1, 2, 4, ... minutes), until `MAX_ATTEMPTS`.

A drain that dies between 1 and 3 leaves the message `sending`: it may or may not have
gone, so it is never sent again automatically; `flask outbox status` lists such messages
for a person to look at. Retried, never sent twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select, update

from portal.core.extensions import db
from portal.core.models import utcnow
from portal.outbox.models import (
    CANCELLED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    OutboxMessage,
)
from portal.outbox.senders import Sender, SendError

log = logging.getLogger("portal.outbox")
MAX_ATTEMPTS = 6


@dataclass
class DrainResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0


def queue(key: str, channel: str, recipient: str, subject: str, body: str,
          send_after: dt.datetime | None = None,
          attachments: list[dict] | None = None) -> OutboxMessage:
    """Add a message to the session (the caller commits). `key` says what it is for;
    a key already queued is not queued again (the existing message is returned)."""
    existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    if existing is not None:
        return existing
    message = OutboxMessage(key=key, channel=channel, recipient=recipient, subject=subject,
                            body=body, send_after=send_after or utcnow(),
                            attachments=attachments or [])
    db.session.add(message)
    return message


def cancel(key_prefix: str) -> int:
    """Cancel the pending messages whose key starts with `key_prefix` (in the caller's
    transaction): e.g. the reminders of a cancelled booking."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.key.startswith(key_prefix, autoescape=True),
               OutboxMessage.status == PENDING)
        .values(status=CANCELLED))
    return result.rowcount or 0


def _claim(message_id: int, now: dt.datetime) -> bool:
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == PENDING)
        .values(status=SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1))
    db.session.commit()
    return result.rowcount == 1


def drain(senders: Mapping[str, Sender], now: dt.datetime | None = None,
          limit: int = 100) -> DrainResult:
    """Send the messages that are due (at most `limit`)."""
    now = now or utcnow()
    result = DrainResult()
    due = select(OutboxMessage.id).where(
        OutboxMessage.status == PENDING, OutboxMessage.send_after <= now
    ).order_by(OutboxMessage.send_after, OutboxMessage.id).limit(limit)
    ids = list(db.session.scalars(due))
    db.session.commit()
    for message_id in ids:
        if not _claim(message_id, now):
            continue  # another drain took it
        message = db.session.get(OutboxMessage, message_id)
        sender = senders.get(message.channel)
        try:
            if sender is None:
                raise SendError(f"no sender for {message.channel}")
            sender.send(message)
        except SendError as error:
            if message.attempts >= MAX_ATTEMPTS:
                message.status = FAILED
                result.failed += 1
            else:
                message.status = PENDING
                message.send_after = now + dt.timedelta(minutes=2 ** (message.attempts - 1))
                result.retried += 1
            message.last_error = str(error)[:500]
            log.warning("outbox %s (%s) not sent: %s", message.id, message.key, error)
        except Exception:  # unknown outcome: leave it `sending`, never send it again
            log.exception("outbox %s (%s): outcome unknown", message.id, message.key)
            db.session.rollback()
            result.unknown += 1
            continue
        else:
            message.status = SENT
            message.sent_at = utcnow()
            result.sent += 1
        db.session.commit()
    return result


def stuck(older_than: dt.timedelta = dt.timedelta(minutes=10),
          now: dt.datetime | None = None) -> list[OutboxMessage]:
    """Messages claimed long ago and never marked: their outcome is unknown."""
    limit = (now or utcnow()) - older_than
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.status == SENDING, OutboxMessage.claimed_at < limit)))


def purge(older_than: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Delete sent, failed and cancelled messages (they hold addresses) after a while."""
    limit = (now or utcnow()) - older_than
    rows = list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.status.in_((SENT, FAILED, CANCELLED)),
        OutboxMessage.created_at < limit)))
    for row in rows:
        db.session.delete(row)
    db.session.commit()
    return len(rows)
