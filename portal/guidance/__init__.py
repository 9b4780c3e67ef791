"""Guidance pages: plain-language pages from `content/pages/` (relatives, open offers vs.
referral, accessibility, privacy, the one-entrance intake)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.guidance import api, service, views

    app.register_blueprint(api.bp)
    # Its `/<slug>` takes any one-segment path the other pages leave: Werkzeug matches
    # fixed segments ("/soeg") before variables, whatever the order of registration.
    app.register_blueprint(views.bp)
    app.add_template_global(service.page_url)
