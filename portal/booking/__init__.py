"""Booking virtual sessions: schedules, free times, anonymous bookings with a code."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.booking import (
        api,
        models,  # noqa: F401  (the tables)
        views,
    )

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)

    from portal.booking import session_views, staff_views

    session_views.init_app(app)
    staff_views.init_app(app)
