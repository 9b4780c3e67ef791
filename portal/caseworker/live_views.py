"""Live chats handed over from the assistant: availability and the conversation.

- `/personale/chat` (`/en/staff/chat`): the caseworker marks themself available for
  chat (or not), and sees the live chats of their teams — put through to them, to a
  colleague, ended in the last hours. With JavaScript the page keeps a stream open
  (`/live/caseworker/chats`, server-sent events): new chats and crisis alerts appear at
  once, and the stream is the heartbeat that keeps the caseworker available (see
  chat/handoff.py for the rule). Without JavaScript each load of the page counts.
- `/personale/chat/<reference>`: the conversation with the citizen (the live-chat room
  of livechat/_room.html), the summary, and "End the chat", which hands the citizen back
  to the assistant. Only caseworkers of the intake's team (caseworker.service.may_see:
  one rule for every caseworker page); any other reference is a 404 like an unknown one.
  Every opening of a conversation is in the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import user_logged_out
from werkzeug.routing import BuildError

from portal.caseworker import service
from portal.chat.service import handoffs
from portal.core import audit
from portal.core.extensions import db
from portal.core.i18n import DEFAULT, LANGUAGES, format_moment, route
from portal.core.models import utcnow
from portal.livechat import service as livechat
from portal.staff import service as staff

bp = Blueprint("caseworker_live", __name__)
caseworker_only = staff.staff_required(handoffs.CASEWORKER)

CHATS = {"da": "/personale/chat", "en": "/en/staff/chat"}
AVAILABILITY = {"da": "/personale/chat/tilgaengelighed", "en": "/en/staff/chat/availability"}
CHAT = {"da": "/personale/chat/<reference>", "en": "/en/staff/chat/<reference>"}
END = {"da": "/personale/chat/<reference>/afslut", "en": "/en/staff/chat/<reference>/end"}
# How long the caseworker's browser may follow a chat's room (a staff grant also needs
# the same sign-in, which ends after STAFF_SESSION_HOURS).
GRANT = dt.timedelta(hours=12)
POLL_SECONDS = 1.0  # the chats stream looks for new chats and alerts this often
RETRY_MS = 1000


def init_app(app) -> None:
    app.register_blueprint(bp)
    staff.register_page(app, "caseworker_live.chats", _l("Live chat"), handoffs.CASEWORKER)
    user_logged_out.connect(_signed_out, app)


def _signed_out(sender, user=None, **extra) -> None:
    """Signing out ends availability for chat (also "sign out everywhere", and a staff
    session that ran out)."""
    member_id = getattr(user, "id", None)
    if isinstance(member_id, int):
        handoffs.end_availability(member_id)


def _me():
    return staff.current_member()


def _lang(value: object) -> str:
    return value if isinstance(value, str) and value in LANGUAGES else DEFAULT


# --- the chat page: availability and the list ----------------------------------------------


def chat_rows(member, lang: str) -> list[dict]:
    """The live chats as the page and its stream show them (texts in `lang`)."""
    rows = []
    for chat in handoffs.chats_for(member):
        if chat.ended:
            status = _("Ended")
        elif chat.mine and not chat.answered:
            status = _("Waiting for you")
        elif chat.mine:
            status = _("With you")
        else:
            status = _("With %(name)s", name=chat.caseworker or _("a colleague"))
        rows.append({**chat.state(), "status": status,
                     "url": url_for("caseworker_live.conversation", lang=lang,
                                    reference=chat.reference),
                     "title": _("Chat %(time)s, %(reference)s",
                                time=format_moment(chat.created_at, lang),
                                reference=chat.reference),
                     "alert": _crisis_alert(chat.reference) if chat.crisis_at else None})
    return rows


def _crisis_alert(reference: str) -> str:
    return _("Crisis: the assistant read a message in chat %(reference)s as a crisis. The "
             "citizen was shown 112 and Livslinien. Read the chat now.", reference=reference)


@route(bp, CHATS)
@caseworker_only
def chats(lang: str):
    member = _me()
    handoffs.seen(member)
    row = handoffs.availability(member)
    return render_template(
        "caseworker/live.html", member=member, chats=chat_rows(member, lang),
        flagged=bool(row and row.available), available=handoffs.is_available(member),
        teams=[u for u in member.units if u.id in handoffs.team_ids(member)],
        minutes=max(1, current_app.config["CHAT_AVAILABLE_SECONDS"] // 60),
        seconds=current_app.config["CHAT_AVAILABLE_SECONDS"])


@route(bp, AVAILABILITY, methods=["POST"])
@caseworker_only
def availability(lang: str):
    member = _me()
    on = request.form.get("available") == "1"
    if on and not handoffs.team_ids(member):
        flash(_("You are in no team, so no chat can be put through to you."), "info")
        on = False
    handoffs.set_available(member, on)
    flash(_("You are available for chat. Keep this page open.") if on
          else _("You are not available for chat."), "success")
    return redirect(url_for("caseworker_live.chats", lang=lang), 303)


# --- one conversation -------------------------------------------------------------------------


def _visible_chat(reference: str):
    """The intake and its live chat, if this caseworker may see them (else 404)."""
    intake = service.visible_intake(_me(), reference)
    handoff = handoffs.handoff_of_intake(intake) if intake is not None else None
    if handoff is None or handoff.room_id is None:
        abort(404)
    return intake, handoff


def intake_page_url(lang: str, reference: str) -> str | None:
    """The handoff page of the intake (the caseworker area's `views`), if there is one."""
    try:
        return url_for("caseworker.intake_page", lang=lang, reference=reference)
    except BuildError:
        return None


@route(bp, CHAT)
@caseworker_only
def conversation(lang: str, reference: str):
    member = _me()
    intake, handoff = _visible_chat(reference)
    audit.record(member.id, member.email, "view_live_chat", "intake", intake.reference)
    db.session.commit()
    handoffs.seen(member)
    ended = handoff.ended_at is not None
    room = livechat.room_for(handoff.room_id, livechat.STAFF, utcnow() + GRANT,
                             staff_id=member.id, writable=not ended)
    if room is None:
        abort(404)
    holder = handoffs.holder_of(handoff)
    return render_template(
        "caseworker/live_chat.html", intake=intake, handoff=handoff, room=room,
        holder=holder, ended=ended, intake_url=intake_page_url(lang, intake.reference),
        started=format_moment(handoff.created_at, lang),
        alert=_crisis_alert(intake.reference) if handoff.crisis_at else None)


@route(bp, END, methods=["POST"])
@caseworker_only
def end(lang: str, reference: str):
    member = _me()
    intake, handoff = _visible_chat(reference)
    if handoff.ended_at is None:
        audit.record(member.id, member.email, "end_live_chat", "intake", intake.reference)
        handoffs.end(handoff, member, current_app.extensions["chat_bot"])
        flash(_("The chat has ended. The assistant has the conversation again.")
              if handoff.resumed_at else
              _("The chat has ended. The assistant takes over the conversation at the "
                "citizen's next message."), "success")
    return redirect(url_for("caseworker_live.conversation", lang=lang,
                            reference=intake.reference), 303)


# --- the chat page's stream: new chats, alerts, and the heartbeat ------------------------------


def _event(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@bp.get("/live/caseworker/chats")
def chat_events():
    """Server-sent events for a signed-in caseworker's chat pages: `chats` (the list,
    sent at the start and whenever it changes), `forbidden` when the sign-in has ended.
    While it is open the caseworker counts as seen (available, if they said so). The
    stream ends after LIVECHAT_STREAM_SECONDS; the browser reconnects by itself."""
    member = _me()
    if member is None or not handoffs.team_ids(member):
        return jsonify(error="forbidden"), 403
    login_id = session.get("_user_id")
    lang = _lang(request.args.get("lang"))
    config = current_app.config
    seconds = config["LIVECHAT_STREAM_SECONDS"]
    keep_alive = min(config["LIVECHAT_HEARTBEAT_SECONDS"], handoffs.HEARTBEAT_SECONDS)

    def stream() -> Iterator[str]:
        yield f"retry: {RETRY_MS}\n\n"
        ends = time.monotonic() + seconds
        last_rows: list | None = None
        last_beat = 0.0
        while True:
            current = staff.member_by_login_id(login_id) if login_id else None
            if current is None:
                db.session.remove()
                yield _event("forbidden", {})
                return
            now = time.monotonic()
            beat = now - last_beat >= keep_alive
            if beat:
                handoffs.seen(current)
                last_beat = now
            rows = chat_rows(current, lang)
            db.session.remove()  # no transaction is held while waiting
            if rows != last_rows:
                last_rows = rows
                yield _event("chats", {"chats": rows})
            elif beat:
                yield ": keep-alive\n\n"
            if time.monotonic() >= ends:
                return
            time.sleep(POLL_SECONDS)

    response = Response(stream_with_context(stream()), mimetype="text/event-stream")
    response.headers["X-Accel-Buffering"] = "no"
    return response
