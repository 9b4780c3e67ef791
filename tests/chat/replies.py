"""What the chat's replies show, for the tests that talk to the real assistant.

A reply is the portal's `POST /chat/messages` answer: `{"status", "messages": [{"text",
"buttons", "links"}]}`.
"""

from __future__ import annotations

import re
from typing import Any

from tests.chat.stack import Visitor

DANISH_WORDS = re.compile(r"\b(og|jeg|du|det|til|er|har|hvor|kan)\b", re.IGNORECASE)


def urls(reply: dict[str, Any]) -> list[str]:
    return [link["url"] for m in reply["messages"] for link in m["links"]]


def says(message: dict[str, Any]) -> str:
    """All a message shows, digits without spaces: its text, link titles and links."""
    parts = [message["text"]] + [f'{lk["title"]} {lk["text"]} {lk["url"]}'
                                 for lk in message["links"]]
    return re.sub(r"(?<=\d) (?=\d)", "", " ".join(parts))


def answer(visitor: Visitor, message: str) -> dict[str, Any]:
    status, reply = visitor.say(message)
    assert status == 200, reply
    assert reply["status"] == "ok", f"the assistant did not answer {message!r}: {reply}"
    assert reply["messages"], reply
    return reply


def assert_crisis_first(reply: dict[str, Any]) -> None:
    first = says(reply["messages"][0])
    assert "112" in first and "70201201" in first, reply["messages"][0]


def assert_links_work(visitor: Visitor, reply: dict[str, Any]) -> None:
    for url in urls(reply):
        assert url.startswith("/") or url.startswith("tel:"), url
        if url.startswith("/"):
            assert visitor.get(url)[0] == 200, url
