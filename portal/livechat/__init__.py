"""Live conversations between a citizen and a member of staff, inside the portal."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.livechat import (
        models,  # noqa: F401  (the tables)
        views,
    )

    views.init_app(app)
