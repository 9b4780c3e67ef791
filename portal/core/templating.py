"""What every page's template gets: the language, the other language's address of the
same page, the chosen municipality (set by the catalogue, see `catalogue.views`), dates
and content text as paragraphs."""

from __future__ import annotations

import re

from flask import Flask, g
from flask_babel import format_date
from markupsafe import Markup, escape

from portal.core.i18n import alternate_url, current_lang, other_lang


def init_app(app: Flask) -> None:
    app.add_template_filter(paragraphs)

    @app.before_request
    def remember_language() -> None:
        g.lang = current_lang()

    @app.context_processor
    def page_context():
        lang = current_lang()
        return {
            "lang": lang,
            "other_lang": other_lang(lang),
            "alternate_url": alternate_url,
            "chosen_municipality": g.get("municipality"),
            "format_date": lambda d: format_date(d, format="long"),
        }


def paragraphs(text: str) -> Markup:
    """Plain content text to escaped HTML paragraphs (blank line = new paragraph)."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text or "") if b.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(escape(" ".join(b.split()))) for b in blocks
    )
