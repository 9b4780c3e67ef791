"""The audit log: who saw or did what with personal data, and when.

Rows are only ever added. The database refuses to change or delete them (triggers on
SQLite and PostgreSQL, in the migration): no caseworker, and no bug, can rewrite who
looked at an intake. Each entry names the staff member, the action and the subject
(e.g. "intake", its reference) — never the personal data itself.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, select
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.extensions import db
from portal.core.models import UtcDateTime, utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    staff_id: Mapped[int | None]          # no foreign key: the entry outlives the account
    staff_email: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(60))        # e.g. view, export, accept
    subject_type: Mapped[str] = mapped_column(String(40))  # e.g. intake
    subject_id: Mapped[str] = mapped_column(String(60))    # e.g. the intake's reference
    detail: Mapped[str] = mapped_column(String(300), default="")


def record(staff_id: int | None, staff_email: str, action: str, subject_type: str,
           subject_id: str, detail: str = "") -> AuditEntry:
    """Add an entry to the caller's transaction (committed with what it records)."""
    entry = AuditEntry(staff_id=staff_id, staff_email=staff_email, action=action,
                       subject_type=subject_type, subject_id=subject_id, detail=detail[:300])
    db.session.add(entry)
    return entry


def entries_for(subject_type: str, subject_id: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.subject_type == subject_type, AuditEntry.subject_id == subject_id
    ).order_by(AuditEntry.id)))
