"""Writing content into rows: upsert by key, texts per language, changed fields only.

Only fields whose values differ are set, so loading the same content twice changes
nothing (and keeps every row id).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from portal.core.i18n import LANGUAGES


def upsert(session: Session, existing: dict[str, Any], model: type, key: str,
           key_field: str = "slug", **values: Any) -> Any:
    """The row for `key` (created if missing) with `values` set where they differ."""
    row = existing.get(key)
    if row is None:
        row = model(**{key_field: key})
        session.add(row)
        existing[key] = row
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
    return row


def sync_texts(owner: Any, text_model: type, item: Any) -> None:
    """Make `owner.texts` hold one row per language with the item's text in it
    (`item.da`, `item.en`, ...: a content file's text per language)."""
    current = {t.lang: t for t in owner.texts}
    for lang in LANGUAGES:
        values = getattr(item, lang).model_dump()
        row = current.get(lang)
        if row is None:
            row = text_model(lang=lang)
            owner.texts.append(row)
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
    for lang, row in current.items():
        if lang not in LANGUAGES:
            owner.texts.remove(row)


def remove_missing(session: Session, existing: dict[str, Any], keep: set[str]) -> int:
    """Delete the rows whose key the content no longer has; returns how many."""
    removed = 0
    for key, row in existing.items():
        if key not in keep:
            session.delete(row)
            removed += 1
    return removed
