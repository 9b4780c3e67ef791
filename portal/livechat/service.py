"""Live conversations: rooms, messages, and forgetting them.

A room's messages are read by id ("everything after the last one I have"), which is
what the live transport sends on. Messages are deleted `SESSION_MESSAGE_RETENTION_DAYS`
after the room was closed (`purge`, run by `flask retention run`).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from flask import current_app, session
from sqlalchemy import delete, func, select

from portal.core.extensions import db
from portal.core.models import utcnow
from portal.core.text import strip_untypable
from portal.livechat.models import CITIZEN, MAX_MESSAGE_LENGTH, STAFF, Room, RoomMessage


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
    text = strip_untypable(body).strip()
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


def purge(retention_days: int, now: dt.datetime | None = None,
          kinds: tuple[str, ...] | None = None, exclude: tuple[str, ...] = ()) -> int:
    """Delete the messages of rooms closed more than `retention_days` ago (of these
    `kinds` only, or of every kind but `exclude`: each kind of chat has its period)."""
    limit = (now or utcnow()) - dt.timedelta(days=retention_days)
    closed = select(Room.id).where(Room.closed_at.is_not(None), Room.closed_at < limit)
    if kinds is not None:
        closed = closed.where(Room.kind.in_(kinds))
    if exclude:
        closed = closed.where(Room.kind.not_in(exclude))
    result = db.session.execute(delete(RoomMessage).where(RoomMessage.room_id.in_(closed)))
    db.session.commit()
    return result.rowcount or 0


def room_states(room_ids: set[int]) -> dict[int, tuple[int, bool]]:
    """For each room: the id of its newest message (0: none yet) and whether it is
    closed. One indexed query for all the rooms a live process is watching."""
    if not room_ids:
        return {}
    newest = (select(RoomMessage.room_id, func.max(RoomMessage.id).label("last"))
              .where(RoomMessage.room_id.in_(room_ids)).group_by(RoomMessage.room_id)
              .subquery())
    rows = db.session.execute(
        select(Room.id, newest.c.last, Room.closed_at.is_not(None))
        .outerjoin(newest, newest.c.room_id == Room.id).where(Room.id.in_(room_ids)))
    return {room_id: (last or 0, bool(closed)) for room_id, last, closed in rows}


def close_rooms(room_ids: list[int], now: dt.datetime | None = None) -> int:
    """Close these rooms (those still open); returns how many were closed now."""
    closed = 0
    for room_id in room_ids:
        room = db.session.get(Room, room_id)
        if room is not None and room.closed_at is None:
            room.closed_at = now or utcnow()
            closed += 1
    db.session.commit()
    return closed


# --- Who may use a room: granted by the page that let someone in --------------------------
# A booking's session page grants its room to the citizen who gave the code, or to the
# treater whose booking it is; the live endpoints check the grant on every send and on
# every connection. Grants live in this browser's signed session cookie (never a token
# in a URL) and end with it, or at `until` (the end of the session and its grace time).

GRANTS = "live_rooms"
NOTICE = "live_notice"
MAX_GRANTS = 5
MAX_SHOWN = 500


@dataclass(frozen=True)
class Grant:
    role: str  # citizen | staff
    staff_id: int | None
    until: float  # UNIX time: no sending after it

    @property
    def writable(self) -> bool:
        return time.time() < self.until


def grant(room_id: int, role: str, until: dt.datetime, staff_id: int | None = None) -> None:
    if role not in (CITIZEN, STAFF):
        raise ValueError(role)
    grants = {k: v for k, v in session.get(GRANTS, {}).items() if k != str(room_id)}
    grants[str(room_id)] = [role, staff_id, until.timestamp()]
    session[GRANTS] = dict(list(grants.items())[-MAX_GRANTS:])


def allowed(room_id: int) -> Grant | None:
    """This browser's grant for the room, if any. (A staff grant is only good together
    with that member's sign-in: the live views check `staff_id` against it.)"""
    value = session.get(GRANTS, {}).get(str(room_id))
    if not (isinstance(value, list) and len(value) == 3 and value[0] in (CITIZEN, STAFF)):
        return None
    return Grant(value[0], value[1], float(value[2]))


def revoke(room_id: int) -> None:
    grants = session.get(GRANTS, {})
    if str(room_id) in grants:
        session[GRANTS] = {k: v for k, v in grants.items() if k != str(room_id)}


def note_refusal(room_id: int, code: str, draft: str) -> None:
    """A message sent without JavaScript was refused: the page says why and gives the
    text back in the box (nothing typed is lost)."""
    session[NOTICE] = {"room": room_id, "error": code, "draft": draft[:MAX_MESSAGE_LENGTH]}


def take_notice(room_id: int) -> dict | None:
    notice = session.get(NOTICE)
    if isinstance(notice, dict) and notice.get("room") == room_id:
        session.pop(NOTICE)
        return notice
    return None


@dataclass
class RoomView:
    """What a page needs to show a room: its messages so far, whether this visitor can
    write in it, and a refused message to show again."""

    id: int
    role: str
    closed: bool
    writable: bool
    messages: list[RoomMessage] = field(default_factory=list)
    notice: dict | None = None


def room_for(room_id: int, role: str, until: dt.datetime, staff_id: int | None = None,
             writable: bool = True) -> RoomView | None:
    """Let this browser into the room as `role` (until `until`) and give what the page
    shows. `writable=False` shows the conversation without the form (it is over)."""
    room = get_room(room_id)
    if room is None:
        return None
    grant(room_id, role, until, staff_id)
    closed = room.closed_at is not None
    return RoomView(room.id, role, closed, writable and not closed and utcnow() < until,
                    messages_after(room.id, 0, MAX_SHOWN), take_notice(room.id))


def _send_limiter():
    from portal.core.ratelimit import RateLimiter

    limiter = current_app.extensions.get("livechat_send_limiter")
    if limiter is None:
        limiter = current_app.extensions.setdefault("livechat_send_limiter", RateLimiter(
            current_app.config["RATELIMIT_STORAGE_URI"],
            {"live-send": current_app.config["LIVECHAT_RATE_LIMIT"]}))
    return limiter


def send(room_id: int, access: Grant, body: object) -> RoomMessage:
    """Post as the holder of `access` (checked by the caller against the sign-in):
    refused (`MessageRefused`) when the room is gone or closed, the session is over,
    the text is empty or too long, or too many messages come too fast."""
    room = get_room(room_id)
    if room is None:
        raise MessageRefused("closed")
    if not access.writable:
        raise MessageRefused("closed")
    text = clean(body)
    if _send_limiter().retry_after({"live-send": f"{room_id}:{access.role}"}) is not None:
        raise MessageRefused("too_fast")
    return post(room, access.role, text, staff_id=access.staff_id)
