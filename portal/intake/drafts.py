"""The web intake's unfinished drafts, kept server-side (IntakeDraft).

The browser holds only a random key in its (signed) session cookie; the database holds
the key's hash and what was typed, step by step. A reload, a dropped connection or the
same browser coming back a day later loses nothing; "start over" deletes the draft.
Drafts nobody finishes are deleted by `flask retention run` (INTAKE_DRAFT_RETENTION_DAYS).
"""

from __future__ import annotations

import hashlib
import secrets

from flask import session
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import utcnow
from portal.intake.models import IntakeDraft

KEY = "intake_draft"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def current() -> IntakeDraft | None:
    """This browser's draft, if it has one."""
    key = session.get(KEY)
    if not isinstance(key, str) or not key:
        return None
    return db.session.scalar(select(IntakeDraft).where(IntakeDraft.key_hash == _hash(key)))


def save(values: dict, step: str, lang: str) -> IntakeDraft:
    """Merge a step's values into this browser's draft (a new one if it has none)."""
    draft = current()
    if draft is None:
        key = secrets.token_urlsafe(32)
        session[KEY] = key
        draft = IntakeDraft(key_hash=_hash(key), data={})
        db.session.add(draft)
    draft.data = {**(draft.data or {}), **values}  # a new dict: JSON columns see the change
    draft.step = step
    draft.lang = lang
    draft.updated_at = utcnow()
    db.session.commit()
    return draft


def delete() -> None:
    """Start over, or the intake was sent: the draft is gone, and the key with it."""
    draft = current()
    if draft is not None:
        db.session.delete(draft)
        db.session.commit()
    session.pop(KEY, None)
