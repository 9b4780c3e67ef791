"""Guidance pages from `content/pages/`: which page a path shows, and links to pages by key.

Pages are known by a stable `key` ("intake", "relatives", "open-offers",
"accessibility", "privacy") and have a slug per language ("/en-indgang",
"/en/one-entrance"); other areas, the API and the assistant link to them by key.
"""

from __future__ import annotations

from functools import lru_cache

from flask import g, url_for
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from portal.core.extensions import db
from portal.core.slugs import could_be_slug
from portal.guidance.models import Page, PageText

_markdown = MarkdownIt("commonmark", {"html": False})


def get_page(lang: str, slug: str) -> Page | None:
    """The page at `slug` in `lang`, with its texts in every language."""
    if not could_be_slug(slug):
        return None
    return db.session.scalars(
        select(Page).join(PageText).where(PageText.lang == lang, PageText.slug == slug)
        .options(selectinload(Page.texts))
    ).first()


def list_pages() -> list[Page]:
    """Every guidance page with its texts, by key."""
    return list(db.session.scalars(
        select(Page).order_by(Page.key).options(selectinload(Page.texts))))


def page_url(key: str, lang: str, external: bool = False) -> str | None:
    """The address of the page with `key` in `lang`, or None when there is no such page."""
    slug = _page_slugs().get((key, lang))
    return url_for("guidance.page", lang=lang, slug=slug, _external=external) if slug else None


def _page_slugs() -> dict[tuple[str, str], str]:
    if "page_slugs" not in g:  # once per request, however many links the page has
        try:
            rows = db.session.execute(
                select(Page.key, PageText.lang, PageText.slug).join(PageText)).all()
        except SQLAlchemyError:
            # The error page renders the layout too: without a database it must still
            # render (without these links) rather than fail a second time.
            db.session.rollback()
            rows = []
        g.page_slugs = {(key, lang): slug for key, lang, slug in rows}
    return g.page_slugs


@lru_cache(maxsize=256)
def render_markdown(source: str) -> Markup:
    """Content Markdown to HTML. Raw HTML in content is shown as text, never rendered."""
    return Markup(_markdown.render(source))
