"""`content/pages/<key>.yml`: a guidance page in both languages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.content.problems import Problem, duplicates, named_after
from portal.content.rows import remove_missing, sync_texts, upsert
from portal.content.schema import PageFile
from portal.content.sources import check_sources
from portal.core.i18n import LANGUAGES
from portal.guidance.models import Page, PageText


def check(pages: list[tuple[str, PageFile]], seed_lines: dict[str, int] | None,
          ) -> list[Problem]:
    problems: list[Problem] = []
    for file, page in pages:
        problems += named_after(file, "key", page.key)
        problems += check_sources(file, page.sources, seed_lines)
    problems += duplicates("page", [(file, "key", p.key) for file, p in pages])
    for lang in LANGUAGES:
        problems += duplicates(f"page slug ({lang})", [
            (file, f"{lang}.slug", getattr(p, lang).slug) for file, p in pages])
    return problems


def sync(session: Session, pages: list[PageFile]) -> None:
    """Upsert every page and delete the ones the content no longer has."""
    rows = {p.key: p for p in session.scalars(select(Page))}
    for item in pages:
        page = upsert(session, rows, Page, item.key, key_field="key",
                      sources=[s.model_dump() for s in item.sources],
                      last_checked=item.last_checked)
        sync_texts(page, PageText, item)
    remove_missing(session, rows, {p.key for p in pages})
