"""The chat's rules, apart from HTTP and from Rasa.

- What a citizen may send (`clean_message`).
- What of the bot's messages reaches the browser (`normalise`): plain text, reply
  buttons and links, where a link may only be a portal path or a phone number.
- What the citizen gets when the assistant cannot answer (`unavailable_reply`): plainly
  that, and the ways that always work — search, the one-entrance intake, 112 and
  Livslinien.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from flask_babel import gettext as _

# The handoff to a person: its rules are in handoff.py; other areas (the caseworker's
# live chat page) reach them as `chat.service.handoffs`.
from portal.chat import handoff as handoffs  # noqa: F401
from portal.core.text import strip_untypable

MAX_MESSAGE_LENGTH = 1000
MAX_TEXT_LENGTH = 4000
MAX_TITLE_LENGTH = 300
MAX_URL_LENGTH = 500
MAX_BUTTONS = 30
MAX_LINKS = 12

CRISIS_PHONE = "112"
LIVSLINIEN_PHONE = "70201201"

_TEL = re.compile(r"tel:(\+?[0-9][0-9 \-]{1,30})", re.IGNORECASE)


class MessageError(ValueError):
    """A citizen's message the chat does not send on: `code` is "empty" or "too_long"."""

    def __init__(self, code: Literal["empty", "too_long"]) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Link:
    title: str
    text: str
    url: str


@dataclass(frozen=True)
class Message:
    text: str = ""
    buttons: list[Button] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "buttons": [{"title": b.title, "payload": b.payload} for b in self.buttons],
            "links": [{"title": lk.title, "text": lk.text, "url": lk.url} for lk in self.links],
        }


@dataclass(frozen=True)
class Reply:
    status: Literal["ok", "unavailable"]
    messages: list[Message]

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "messages": [m.to_json() for m in self.messages]}


class Bot(Protocol):
    def send(self, sender: str, message: str, metadata: dict[str, Any]) -> list[Any] | None: ...


def clean_message(value: object) -> str:
    """The citizen's message, trimmed; raises MessageError when empty or too long."""
    if not isinstance(value, str):
        raise MessageError("empty")
    text = strip_untypable(value).strip()
    if not text:
        raise MessageError("empty")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise MessageError("too_long")
    return text


def safe_url(value: object) -> str | None:
    """A link the chat may show: a path on this portal, or a phone number. Else None.

    Allowed: "/tilbud/x", "/soeg?q=...", "tel:70 201 201" (given back as "tel:70201201").
    Dropped: other schemes and hosts ("https://...", "javascript:..."), protocol-relative
    "//host" and "/\\host" (browsers read both as another site), and control characters.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_URL_LENGTH:
        return None
    tel = _TEL.fullmatch(value.strip())
    if tel:
        return "tel:" + re.sub(r"[ \-]", "", tel.group(1))
    if not value.startswith("/") or value[1:2] in ("/", "\\"):
        return None
    # Browsers drop tabs and newlines inside a URL ("/\t/host" becomes "//host") and read
    # "\" as "/": refuse them all. A plain space (in a query) is harmless.
    if "\\" in value or value != value.strip() or re.search(r"[\x00-\x1f\x7f]", value):
        return None
    return value


def _text(value: object, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    return strip_untypable(value).strip()[:limit]


def _buttons(value: object) -> list[Button]:
    if not isinstance(value, list):
        return []
    buttons = []
    for item in value[:MAX_BUTTONS]:
        if not isinstance(item, dict):
            continue
        title = _text(item.get("title"), MAX_TITLE_LENGTH)
        payload = _text(item.get("payload"), MAX_MESSAGE_LENGTH)
        if title and payload:
            buttons.append(Button(title, payload))
    return buttons


def _links(custom: object) -> list[Link]:
    if not isinstance(custom, dict) or not isinstance(custom.get("links"), list):
        return []
    links = []
    for item in custom["links"][:MAX_LINKS]:
        if not isinstance(item, dict):
            continue
        url = safe_url(item.get("url"))
        title = _text(item.get("title"), MAX_TITLE_LENGTH)
        if url and title:
            links.append(Link(title, _text(item.get("text"), MAX_TITLE_LENGTH), url))
    return links


def normalise(raw: list[Any]) -> list[Message]:
    """Rasa's messages as the widget shows them; unknown parts and unsafe links dropped.

    The text stays text: the widget renders it with textContent, so "<b>" shows as
    "<b>". Messages with nothing left to show are left out. Rasa's REST channel sends
    one utterance's text (and buttons) and its `custom` links as two messages; the
    links join the text they belong to.
    """
    messages: list[Message] = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        message = Message(
            text=_text(item.get("text"), MAX_TEXT_LENGTH),
            buttons=_buttons(item.get("buttons")),
            links=_links(item.get("custom")),
        )
        if not (message.text or message.buttons or message.links):
            continue
        only_links = not message.text and not message.buttons
        if only_links and messages and not messages[-1].links:
            previous = messages.pop()
            message = Message(previous.text, previous.buttons, message.links)
        messages.append(message)
    return messages


def crisis_links() -> list[Link]:
    return [
        Link(_("Call 112"), _("In acute danger."), f"tel:{CRISIS_PHONE}"),
        Link(_("Call Livslinien on 70 201 201"),
             _("If you have thoughts of suicide. You can be anonymous."),
             f"tel:{LIVSLINIEN_PHONE}"),
    ]


def unavailable_reply(search_url: str, intake_url: str) -> Reply:
    """What the citizen gets when the assistant cannot answer: plainly that, and other ways."""
    return Reply("unavailable", [Message(
        text=_("The chat assistant is not available right now. You can still find help "
               "here. In acute danger, call 112. If you have thoughts of suicide, call "
               "Livslinien on 70 201 201."),
        links=[
            Link(_("Find help"), _("Describe your situation and find open offers."),
                 search_url),
            Link(_("One entrance"),
                 _("One start with the municipality instead of many doors."), intake_url),
            *crisis_links(),
        ],
    )])


def answer(bot: Bot, sender: str, message: str, metadata: dict[str, Any],
           fallback: Callable[[], Reply]) -> Reply:
    """The bot's answer to one message, or `fallback()` when the bot gives none.

    An empty answer counts as none: Rasa answers with nothing when its action server is
    down, and a citizen must never be left without a reply.
    """
    raw = bot.send(sender, message, metadata)
    messages = normalise(raw) if raw is not None else []
    if not messages:
        return fallback()
    return Reply("ok", messages)
