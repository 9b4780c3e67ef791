"""Staff accounts: treaters and caseworkers, their units, signing in and out."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.staff import models  # noqa: F401  (the tables)
