"""The live endpoints of a session's chat: the stream of new messages (server-sent
events) and sending one (JSON from livechat.js, or a plain form without JavaScript).

Both answer only to a browser the session page let in (`service.allowed`: a grant in
the signed session cookie), checked on every send and on every connection; a staff
grant holds only while that member is still signed in (the stream checks again every
time it wakes, so "sign out everywhere" also ends the streams of other browsers). The
paths start with /live/ so that production can route them to the threaded server of
the streams (README, "Live sessions").
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
)
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.core.extensions import db
from portal.core.i18n import DEFAULT, LANGUAGES, format_moment
from portal.livechat import service, transport
from portal.livechat.models import STAFF, RoomMessage
from portal.staff import service as staff

bp = Blueprint("livechat", __name__)

# A stream ends after LIVECHAT_STREAM_SECONDS (the browser reconnects by itself, and
# access is checked anew) and sends a comment line every LIVECHAT_HEARTBEAT_SECONDS (so
# proxies keep the connection, and a browser that has gone is noticed).
RETRY_MS = 1000


def init_app(app) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def live_helpers():
        return {"live_clock": lambda moment, lang: format_moment(moment, lang, time_only=True),
                "live_refusal": _refusal_message}


def _lang(value: object) -> str:
    return value if isinstance(value, str) and value in LANGUAGES else DEFAULT


def _room_number(value: str) -> int | None:
    """The room id of a path (a plain string in the route, so any value gets the same
    403 as a room this browser was not let into)."""
    return int(value) if value.isdigit() and len(value) < 10 else None


def _still_allowed(room_id: int | None, login_id: str | None) -> service.Grant | None:
    """The grant of this browser for the room, if it still holds: a staff grant needs
    the same member still signed in (with the current session version)."""
    if room_id is None:
        return None
    access = service.allowed(room_id)
    if access is None or access.role != STAFF:
        return access
    member = staff.member_by_login_id(login_id) if login_id else None
    return access if member is not None and member.id == access.staff_id else None


def message_json(message: RoomMessage, lang: str) -> dict:
    return {"id": message.id, "sender": message.sender, "body": message.body,
            "at": message.created_at.isoformat(),
            "time": format_moment(message.created_at, lang, time_only=True)}


def _event(name: str, data: dict, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _after(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 19 else 0


@bp.get("/live/rooms/<room>/events")
def events(room: str):
    """Server-sent events: every message after `after` (or the browser's
    Last-Event-ID), then each new one as it comes; `closed` when the conversation is
    over. The stream ends after `LIVECHAT_STREAM_SECONDS` and the browser reconnects
    by itself from the last id it received."""
    login_id = session.get("_user_id")
    room_id = _room_number(room)
    access = _still_allowed(room_id, login_id)
    if room_id is None or access is None:
        return jsonify(error="forbidden"), 403
    lang = _lang(request.args.get("lang"))
    after = max(_after(request.args.get("after")), _after(request.headers.get("Last-Event-ID")))
    config = current_app.config
    seconds, heartbeat = config["LIVECHAT_STREAM_SECONDS"], config["LIVECHAT_HEARTBEAT_SECONDS"]
    hub = transport.hub()

    def stream() -> Iterator[str]:
        last, closed, changed = after, False, True
        ends = time.monotonic() + seconds
        yield f"retry: {RETRY_MS}\n\n"
        while True:
            payload = []
            if changed:  # the hub saw a new message or the room closing (or: the start)
                payload = [(m.id, message_json(m, lang))
                           for m in service.messages_after(room_id, last)]
                room = service.get_room(room_id)
                closed = room is None or room.closed_at is not None
            # Access, at every wake-up (a keep-alive too): a treater's sign-in may have
            # ended ("sign out everywhere"); the session's time may be over.
            allowed = _still_allowed(room_id, login_id) is not None
            db.session.remove()  # no transaction or connection is held while waiting
            if not allowed:
                yield _event("forbidden", {})
                return
            for message_id, data in payload:
                last = message_id
                yield _event("message", data, message_id)
            if closed or not access.writable:
                yield _event("closed", {})
                return
            left = ends - time.monotonic()
            if left <= 0:
                return
            changed = hub.wait(room_id, last, min(heartbeat, left))
            if not changed:
                yield ": keep-alive\n\n"

    response = Response(stream_with_context(stream()), mimetype="text/event-stream")
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


REFUSALS = {
    "empty": 400,
    "too_long": 400,
    "closed": 409,
    "too_fast": 429,
}


def _refusal_message(code: str) -> str:
    return {
        "empty": _("Write a message first."),
        "too_long": _("The message is too long: at most %(n)d characters.",
                      n=service.MAX_MESSAGE_LENGTH),
        "closed": _("The conversation has ended: your message was not sent."),
        "too_fast": _("You are sending messages very fast. Wait a moment and try again."),
        "forbidden": _("You no longer have access to this conversation. Open the session "
                       "page again."),
    }.get(code, "")


def _back(value: str | None) -> str | None:
    """The session page the form came from (this site's paths only)."""
    return staff.local_path(value)


@bp.post("/live/rooms/<room>/messages")
def send(room: str):
    """Send a message: JSON `{"body", "lang"}` (201 with the message) or a form (back
    to the session page; a refused message is shown there again, with the reason)."""
    as_json = request.is_json
    data = request.get_json(silent=True) if as_json else request.form
    data = data if isinstance(data, dict) or not as_json else {}
    lang = _lang(data.get("lang"))
    back = None if as_json else _back(request.form.get("next"))
    with force_locale(lang):
        room_id = _room_number(room)
        access = _still_allowed(room_id, session.get("_user_id"))
        if room_id is None or access is None:
            if as_json:
                return jsonify(error="forbidden", message=_refusal_message("forbidden")), 403
            return render_template("errors/error.html", code=403, title=_("No access"),
                                   message=_refusal_message("forbidden")), 403
        body = data.get("body")
        try:
            message = service.send(room_id, access, body)
        except service.MessageRefused as refused:
            if as_json:
                return jsonify(error=refused.code,
                               message=_refusal_message(refused.code)), REFUSALS[refused.code]
            service.note_refusal(room_id, refused.code, body if isinstance(body, str) else "")
            return redirect((back or "/") + "#live-form", 303)
        transport.hub().notify(room_id, message.id)
        if as_json:
            return jsonify(message=message_json(message, lang)), 201
    return redirect((back or "/") + "#live-form", 303)
