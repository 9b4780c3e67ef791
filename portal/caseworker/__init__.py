"""The caseworkers' side: their teams' inbox, the handoff page, the coordinating role
(`views`), and live chats handed over from the assistant (`live_views`)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.caseworker import live_views, views

    views.init_app(app)
    live_views.init_app(app)
