"""The caseworker's pages: their teams' inbox and the handoff page."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
