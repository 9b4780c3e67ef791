"""Live conversations: rooms, messages, and forgetting them.

A room's messages are read by id ("everything after the last one I have"), which is
what the live transport sends on. Messages are deleted `SESSION_MESSAGE_RETENTION_DAYS`
after the room was closed (`purge`, run by `flask livechat purge`).
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import delete, select

from portal.core.extensions import db
from portal.core.models import utcnow
from portal.livechat.models import CITIZEN, MAX_MESSAGE_LENGTH, STAFF, Room, RoomMessage

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class MessageRefused(ValueError):
    """Empty, too long, or the conversation has ended: `code` says which."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def open_room(kind: str) -> Room:
    room = Room(kind=kind)
    db.session.add(room)
    db.session.flush()
    return room


def get_room(room_id: int) -> Room | None:
    return db.session.get(Room, room_id)


def clean(body: object) -> str:
    if not isinstance(body, str):
        raise MessageRefused("empty")
    text = _CONTROL.sub("", body).strip()
    if not text:
        raise MessageRefused("empty")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise MessageRefused("too_long")
    return text


def post(room: Room, sender: str, body: object, staff_id: int | None = None) -> RoomMessage:
    if sender not in (CITIZEN, STAFF):
        raise ValueError(sender)
    if room.closed_at is not None:
        raise MessageRefused("closed")
    message = RoomMessage(room_id=room.id, sender=sender, body=clean(body),
                          staff_id=staff_id if sender == STAFF else None)
    db.session.add(message)
    db.session.commit()
    return message


def messages_after(room_id: int, after_id: int = 0, limit: int = 200) -> list[RoomMessage]:
    return list(db.session.scalars(select(RoomMessage).where(
        RoomMessage.room_id == room_id, RoomMessage.id > after_id
    ).order_by(RoomMessage.id).limit(limit)))


def close_room(room_id: int, now: dt.datetime | None = None) -> None:
    room = db.session.get(Room, room_id)
    if room is not None and room.closed_at is None:
        room.closed_at = now or utcnow()


def purge(retention_days: int, now: dt.datetime | None = None) -> int:
    """Delete the messages of rooms closed more than `retention_days` ago."""
    limit = (now or utcnow()) - dt.timedelta(days=retention_days)
    closed = select(Room.id).where(Room.closed_at.is_not(None), Room.closed_at < limit)
    result = db.session.execute(delete(RoomMessage).where(RoomMessage.room_id.in_(closed)))
    db.session.commit()
    return result.rowcount or 0
