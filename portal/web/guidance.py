"""Guidance pages from content/pages (relatives, open offers, accessibility, privacy, ...)."""

from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, abort, g, render_template, url_for
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from portal.catalogue import service
from portal.extensions import db
from portal.guidance.models import Page, PageText
from portal.i18n import route

bp = Blueprint("guidance", __name__)
_markdown = MarkdownIt("commonmark", {"html": False})


@lru_cache(maxsize=256)
def render_markdown(source: str) -> Markup:
    """Content Markdown to HTML. Raw HTML in content is shown as text, never rendered."""
    return Markup(_markdown.render(source))


@route(bp, {"da": "/<slug>", "en": "/en/<slug>"})
def page(lang: str, slug: str):
    if not service.could_be_slug(slug):
        abort(404)
    row = db.session.scalars(
        select(Page).join(PageText).where(PageText.lang == lang, PageText.slug == slug)
        .options(selectinload(Page.texts))
    ).first()
    if row is None:
        abort(404)
    g.alternate_urls = {t.lang: url_for("guidance.page", lang=t.lang, slug=t.slug)
                        for t in row.texts}
    offers = None
    if row.key == "relatives":
        query = service.OfferQuery(
            audience="relatives", lang=lang, per_page=service.MAX_PER_PAGE,
            municipality=g.municipality.slug if g.municipality else None,
        )
        offers = service.find_offers(query)
    return render_template("guidance/page.html", page=row, text=row.text(lang),
                           body=render_markdown(row.text(lang).body), offers=offers)


def page_url(key: str, lang: str) -> str | None:
    """Link to a guidance page by its key, for navigation and footers."""
    return _page_slugs().get((key, lang)) and url_for(
        "guidance.page", lang=lang, slug=_page_slugs()[(key, lang)])


def _page_slugs() -> dict[tuple[str, str], str]:
    if "page_slugs" not in g:  # once per request, however many links the page has
        try:
            rows = db.session.execute(
                select(Page.key, PageText.lang, PageText.slug).join(PageText)).all()
        except SQLAlchemyError:
            # The error page renders this layout too: without a database it must still
            # render (without these links) rather than fail a second time.
            db.session.rollback()
            rows = []
        g.page_slugs = {(key, lang): slug for key, lang, slug in rows}
    return g.page_slugs
