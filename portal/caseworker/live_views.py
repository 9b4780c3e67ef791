"""Live chats handed over from the assistant: availability and the conversation."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
