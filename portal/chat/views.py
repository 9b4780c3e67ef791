"""The chat endpoint and the widget's page data. Thin: the rules are in service.py."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import flask_babel
from flask import current_app, g, jsonify, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import Markup

from portal.chat import bp, service
from portal.chat.service import handoffs
from portal.core.extensions import csrf
from portal.core.i18n import DEFAULT, LANGUAGES, current_lang
from portal.core.models import utcnow
from portal.guidance.service import page_url
from portal.livechat import service as livechat

CONVERSATION_KEY = "chat_conversation"
# How long this browser may follow a live chat with a caseworker (the grant's end).
LIVE_GRANT = dt.timedelta(hours=12)


@bp.post("/messages")
@csrf.exempt  # checked below, once the page's language is known, to answer in JSON
def messages():
    data = request.get_json(silent=True)
    lang = _language(data)
    g.lang = lang
    flask_babel.refresh()  # answer (errors too) in the page's language
    try:
        csrf.protect()
    except CSRFError:
        return _error("csrf", _("The chat has expired. Please reload the page and try "
                                "again."), 400)
    if not isinstance(data, dict):
        return _error("bad_request", _("The message could not be read. Please try again."), 400)

    sender = _conversation_id()
    wait = current_app.extensions["chat_limiter"].retry_after(sender, request.remote_addr or "")
    if wait is not None:
        response = _error("rate_limited", _("You have sent many messages in a short time. "
                                            "Please wait a minute, then try again."), 429)
        response.headers["Retry-After"] = str(wait)
        return response

    try:
        text = service.clean_message(data.get("message"))
    except service.MessageError as error:
        if error.code == "too_long":
            message = _("Your message is too long. Please use at most %(limit)d characters.",
                        limit=service.MAX_MESSAGE_LENGTH)
        else:
            message = _("Please write a message.")
        return _error(error.code, message, 400)

    municipality = getattr(g, "municipality", None)
    metadata = {"lang": lang, "municipality": municipality.slug if municipality else None}
    bot = current_app.extensions["chat_bot"]
    live = handoffs.active_for(sender)
    if live is not None:
        body = _while_live(bot, live, sender, text, metadata, lang)
        if body is not None:
            return jsonify(body)
        # The caseworker ended the chat just now: the assistant answers this message.
    handoffs.resume_pending(sender, bot)
    body = service.answer(bot, sender, text, metadata,
                          fallback=lambda: _unavailable(lang)).to_json()
    # "Talk to a person": the action server may have put the chat through this turn.
    live = handoffs.active_for(sender)
    if live is not None:
        body["live"] = _live_info(live, lang)
    return jsonify(body)  # never stored: see core.security


def _while_live(bot: service.Bot, live, sender: str, text: str, metadata: dict[str, Any],
                lang: str) -> dict[str, Any] | None:
    """A message while a caseworker has the chat: into the room (the caseworker sees it
    at once), and to the paused Rasa, which logs it and answers nothing. A crisis is
    answered at once, and the caseworker alerted. None when the chat has ended."""
    try:
        handoffs.relay(live, text)
    except livechat.MessageRefused as refused:
        if refused.code == "closed":
            return None
        raise
    bot.send(sender, text, metadata)
    messages = []
    if handoffs.is_crisis(bot, text):
        handoffs.note_crisis(live)
        messages.append(service.Message(
            text=_("If you are in danger or think about taking your own life, get help "
                   "now: call 112 in acute danger, or Livslinien on 70 201 201. The "
                   "caseworker has been told."),
            links=service.crisis_links()).to_json())
    return {"status": "ok", "messages": messages, "live": _live_info(live, lang)}


def _live_info(live, lang: str) -> dict[str, Any]:
    """What the widget needs to show the live chat: the room's stream (this browser is
    let into the room: a grant in its session) and who the citizen writes with."""
    livechat.grant(live.room_id, livechat.CITIZEN, utcnow() + LIVE_GRANT)
    holder, team = handoffs.holder_of(live), handoffs.team_of(live)
    name = holder.name if holder else _("a caseworker")
    return {
        "room": live.room_id,
        "stream": url_for("livechat.events", room=live.room_id, lang=lang),
        "name": name,
        "team": team.name if team else "",
        "with": (_("You are now writing with %(name)s, %(team)s.", name=name, team=team.name)
                 if team else _("You are now writing with %(name)s.", name=name)),
        "label": _("%(name)s wrote:", name=name),
    }


def widget_context() -> dict[str, Any]:
    return {"chat_panel": chat_panel}


def chat_panel() -> Markup:
    """The chat panel's markup for the page's language, rendered once per language.

    It is in every page and the same for every visitor (no per-request data: the CSRF
    token is in the page's head), so each process renders it once per language instead
    of on every page (it was about half of an offer page's rendering time). With
    template auto-reload (development) it is rendered every time.
    """
    lang = current_lang()
    if current_app.jinja_env.auto_reload:
        return _render_panel()
    cache: dict[str, Markup] = current_app.extensions.setdefault("chat_panel", {})
    if lang not in cache:
        cache[lang] = _render_panel()
    return cache[lang]


def _render_panel() -> Markup:
    return Markup(render_template("chat/_widget.html", chat_config=_widget_config()))


def _widget_config() -> dict[str, Any]:
    """What the widget's script needs from the page: URLs and strings in its language."""
    lang = current_lang()
    return {
        "url": url_for("chat.messages"),
        "lang": lang,
        # The portal waits for Rasa's connect and for its answer: the page waits longer.
        "timeout_ms": int((getattr(current_app.extensions["chat_bot"], "timeout", 8) * 2 + 10)
                          * 1000),
        "greeting": [service.Message(text=_(
            "Hello. I am Indgang's chat assistant. Tell me in your own words what you "
            "need help with — for yourself or for someone close to you.")).to_json(),
            service.Message(text=_(
            "I am a computer program: I guide you to offers, but I decide nothing. "
            "You are anonymous here, so please do not write your name, CPR number or "
            "other personal details.")).to_json()],
        "fallback": _unavailable(lang).to_json()["messages"],
        "strings": {
            "you": _("You wrote:"),
            "bot": _("The assistant wrote:"),
            "writing": _("The assistant is writing …"),
            # A live chat with a caseworker (handed over by the assistant):
            "sending": _("Sending …"),
            "staff": _("The caseworker wrote:"),
            "back": _("The caseworker has ended the chat. The assistant is back: you "
                      "can write to it as before."),
            "lost": _("The connection to the caseworker was lost. Reload the page to "
                      "try again."),
        },
    }


def _unavailable(lang: str) -> service.Reply:
    intake = page_url("intake", lang) or url_for(
        "guidance.page", lang=lang, slug="en-indgang" if lang == "da" else "one-entrance")
    return service.unavailable_reply(url_for("catalogue.search", lang=lang), intake)


def _language(data: object) -> str:
    value = data.get("lang") if isinstance(data, dict) else None
    if value not in LANGUAGES:
        value = request.args.get("lang")
    return value if value in LANGUAGES else DEFAULT


def _conversation_id() -> str:
    """A random id for this visit's conversation (Rasa's `sender`); no personal data."""
    value = session.get(CONVERSATION_KEY)
    if not isinstance(value, str) or not value:
        value = secrets.token_urlsafe(16)
        session[CONVERSATION_KEY] = value
    return value


def _error(code: str, message: str, status: int):
    response = jsonify(status="error", error=code, message=message)
    response.status_code = status
    return response
