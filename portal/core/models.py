"""Pieces the areas' models share: texts per language, and the content fingerprint."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator

from portal.core.extensions import db


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator):
    """A moment in time, always timezone-aware UTC in Python.

    PostgreSQL keeps it as `timestamptz`; SQLite has no time zones, so it is stored as
    naive UTC and given back as UTC. A naive datetime is refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a timezone-aware one")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class TextsMixin:
    """`entity.text(lang)` returns the entity's text row in `lang`, falling back to Danish.

    Translatable text lives in a `*_texts` table per entity, one row per language.
    """

    texts: list

    def text(self, lang: str):
        by_lang = {row.lang: row for row in self.texts}
        return by_lang.get(lang) or by_lang["da"]


class ContentState(db.Model):
    """One row: a fingerprint of the loaded `content/`, written by the loader, so that
    per-process caches (the catalogue's search index) know when to rebuild."""

    __tablename__ = "content_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


def content_fingerprint(session: Session) -> str:
    """The fingerprint of the content in the database ("" before the first load)."""
    state = session.get(ContentState, 1)
    return state.fingerprint if state else ""


def record_content_fingerprint(session: Session, fingerprint: str) -> None:
    """Note that the database now holds the content with `fingerprint` (not committed)."""
    state = session.get(ContentState, 1)
    now = dt.datetime.now(dt.UTC)
    if state is None:
        session.add(ContentState(id=1, fingerprint=fingerprint, loaded_at=now))
    elif state.fingerprint != fingerprint:
        state.fingerprint = fingerprint
        state.loaded_at = now
