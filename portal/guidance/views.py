"""Guidance pages (relatives, open offers vs. referral, accessibility, privacy, ...)."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, url_for

from portal.catalogue import service as catalogue
from portal.core.i18n import route
from portal.guidance import service

bp = Blueprint("guidance", __name__)


@route(bp, {"da": "/<slug>", "en": "/en/<slug>"})
def page(lang: str, slug: str):
    row = service.get_page(lang, slug)
    if row is None:
        abort(404)
    g.alternate_urls = {t.lang: url_for("guidance.page", lang=t.lang, slug=t.slug)
                        for t in row.texts}
    offers = None
    if row.key == "relatives":
        chosen = g.get("municipality")
        offers = catalogue.offers_for_relatives(lang, chosen.slug if chosen else None)
    return render_template("guidance/page.html", page=row, text=row.text(lang),
                           body=service.render_markdown(row.text(lang).body), offers=offers)
