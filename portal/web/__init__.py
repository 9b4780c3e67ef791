"""The citizen-facing pages, one blueprint per area."""

from __future__ import annotations

import re

from flask import Flask, g, request
from flask_babel import format_date
from markupsafe import Markup, escape

from portal.catalogue.service import get_municipality
from portal.i18n import alternate_url, current_lang, other_lang

MUNICIPALITY_COOKIE = "kommune"


def register_web(app: Flask) -> None:
    from portal.web import catalogue, guidance, preferences

    app.register_blueprint(catalogue.bp)
    app.register_blueprint(preferences.bp)
    app.register_blueprint(guidance.bp)  # last: its /<slug> rule is the catch-all
    app.add_template_filter(paragraphs)
    app.add_template_global(guidance.page_url)

    @app.before_request
    def remember_choices() -> None:
        g.lang = current_lang()
        if request.path.startswith(("/static/", "/dkfds/", "/api/")):
            return
        g.municipality = get_municipality(request.cookies.get(MUNICIPALITY_COOKIE))

    @app.context_processor
    def page_context():
        lang = current_lang()
        return {
            "lang": lang,
            "other_lang": other_lang(lang),
            "alternate_url": alternate_url,
            "chosen_municipality": getattr(g, "municipality", None),
            "format_date": lambda d: format_date(d, format="long"),
        }


def paragraphs(text: str) -> Markup:
    """Plain content text to escaped HTML paragraphs (blank line = new paragraph)."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text or "") if b.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(escape(" ".join(b.split()))) for b in blocks
    )
